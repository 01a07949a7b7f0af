"""Results tables: rows, verdicts, the JSON an executed notebook carries, the course table in the README."""
import json

import nbformat
import pytest

from aecourse import results
from aecourse.paths import course_root
from aecourse.results import Results

ROOT = course_root()


def test_rows_verdicts_and_spread():
    table = Results()
    assert table.add("PCA", 13.87, published=13.87, better="lower").verdict == "matches"
    assert table.add("deep AE", 3.80, published=3.00, better="lower").verdict == "worse"
    assert table.add("probe error", 1.2, published=1.35, better="lower").verdict == "better"
    assert table.add("PSNR", 20.22, published=19.0, better="higher").verdict == "better"
    assert table.add("no direction", 5.0, published=4.0).verdict == "differs"
    seeds = table.add("over seeds", [2.9, 3.1, 3.0], published=3.05, better="lower")
    assert seeds.runs == 3 and seeds.ours == pytest.approx(3.0) and seeds.spread == pytest.approx(0.1)
    assert seeds.verdict == "matches"  # inside the spread of our runs
    assert table.add("ours only", 7.0).verdict == ""
    assert "3.00 ± 0.1 (3 runs)" in table.to_markdown()


def test_bad_rows_are_refused():
    table = Results()
    with pytest.raises(ValueError, match="finite number"):
        table.add("x", float("nan"))
    with pytest.raises(ValueError, match="better"):
        table.add("x", 1.0, better="smaller")
    with pytest.raises(ValueError, match="empty"):
        table.add("x", [])


def test_the_displayed_table_carries_its_rows_as_json(tmp_path):
    table = Results()
    table.add("PCA, 30 components", 13.87, published=13.87, source="Hinton & Salakhutdinov 2006", unit="SE/image")
    bundle = table._repr_mimebundle_()
    assert "<table>" in bundle["text/html"] and "13.87" in bundle["text/plain"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("results", outputs=[
        nbformat.v4.new_output("display_data", data=json.loads(json.dumps(bundle)))])])
    nbformat.write(notebook, tmp_path / "09_example.ipynb")
    [row] = results.read_notebook(tmp_path / "09_example.ipynb")
    assert row.quantity == "PCA, 30 components" and row.published == 13.87 and row.source.startswith("Hinton")
    assert "| 09 | PCA, 30 components |" in results.course_table(tmp_path)


def test_every_notebook_shows_a_results_table():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert results.read_notebook(path), f"{path.name} shows no results table"


def test_the_readme_table_is_in_sync_with_the_committed_notebooks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = results.updated_readme(readme, results.course_table(ROOT / "notebooks"))
    assert readme == expected, "run: python -m aecourse.results notebooks/ --update README.md"


def test_the_command_line(capsys):
    results.main([str(ROOT / "notebooks"), "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"notebook", "quantity", "ours", "published", "source"} <= set(rows[0])
    with pytest.raises(SystemExit, match="No notebooks"):
        results.main([str(ROOT / "tests")])
