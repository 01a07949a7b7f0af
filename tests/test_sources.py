"""Every notebook has one text source (NN_name.md, MyST Markdown) and the two agree, cell by cell."""
import shutil

import jupytext
import nbformat
import pytest

from aecourse.course import anatomy, sources
from aecourse.course.lint import lint_notebook
from aecourse.paths import course_root

NOTEBOOKS = sorted((course_root() / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_every_notebook_agrees_with_its_text_source(path):
    assert sources.differences(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_the_text_source_keeps_the_grading_and_slide_metadata(path):
    """What nbgrader and the decks read survives the text form, field by field."""
    written = jupytext.read(sources.text_source(path))
    executed = anatomy.read(path)
    for a, b in zip(executed.cells, written.cells):
        for key in ("nbgrader", "slideshow", "tags"):
            assert a.metadata.get(key) == b.metadata.get(key), (path.name, key)
    assert sum(anatomy.is_check(c) for c in written.cells) == sum(anatomy.is_check(c) for c in executed.cells) > 0


@pytest.fixture
def pair(tmp_path):
    """A copy of notebook 01 and its text source."""
    for path in (NOTEBOOKS[0], sources.text_source(NOTEBOOKS[0])):
        shutil.copy(path, tmp_path)
    return tmp_path / NOTEBOOKS[0].name


def edit_text(pair, old, new):
    text_path = sources.text_source(pair)
    text = text_path.read_text(encoding="utf-8")
    assert old in text
    text_path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_changed_line_of_code_is_found(pair):
    edit_text(pair, "aecourse.setup(", "aecourse.setup(seed=1) or aecourse.setup(")
    assert any("input differs" in d for d in sources.differences(pair))


def test_changed_points_are_found(pair):
    notebook = anatomy.read(pair)
    check = next(c for c in notebook.cells if anatomy.is_check(c))
    check.metadata["nbgrader"]["points"] += 1
    nbformat.write(notebook, str(pair))
    assert any("metadata differs" in d for d in sources.differences(pair))


def test_a_removed_cell_is_found_and_named_by_the_conventions_check(pair):
    notebook = jupytext.read(sources.text_source(pair))
    del notebook.cells[3]
    jupytext.write(notebook, sources.text_source(pair), fmt=sources.FORMAT)
    assert any("cells, its text source" in d for d in sources.differences(pair))
    assert any(rule == "source" for rule, _ in lint_notebook(pair))


def test_a_missing_text_source_is_named(pair):
    sources.text_source(pair).unlink()
    assert sources.differences(pair) == [f"it has no text source {pair.stem}.md (run: make sync)"]


def test_run_metadata_is_not_a_difference(pair):
    notebook = anatomy.read(pair)
    notebook.cells[1].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    nbformat.write(notebook, str(pair))
    assert sources.differences(pair) == []
