"""The conventions check passes on the course's notebooks and names the notebook and rule it catches."""
import re
import subprocess
import sys

import nbformat
import pytest

from aecourse.course import anatomy
from aecourse.course.__main__ import POINTS_BEGIN, POINTS_END, updated
from aecourse.course.lint import lint
from aecourse.paths import course_root

ROOT = course_root()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_follows_the_conventions():
    assert lint([ROOT / "notebooks"]) == []


def test_the_command_line_reports_and_fails(tmp_path):
    done = subprocess.run([sys.executable, "-m", "aecourse.course", "lint", str(ROOT / "notebooks")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "follow the conventions" in done.stdout
    broken = tmp_path / "05_broken.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("no title")]), broken)
    done = subprocess.run([sys.executable, "-m", "aecourse.course", "lint", str(broken)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and f"{broken}: [title]" in done.stdout and "[exercises]" in done.stdout


def first(predicate, notebook):
    return next(i for i, c in enumerate(notebook.cells) if predicate(c))


def drop_a_section(notebook):
    """What happened to notebook 02 once: a whole numbered section lost in a rewrite."""
    index = first(lambda c: c.cell_type == "markdown" and "## 2 · " in anatomy.source(c), notebook)
    notebook.cells[index].source = anatomy.source(notebook.cells[index]).replace("## 2 · ", "## ")
    return notebook


def drop_a_statement(notebook):
    index = first(lambda c: c.cell_type == "markdown" and anatomy.EXERCISE_HEADING.search(anatomy.source(c)), notebook)
    notebook.cells[index].source = anatomy.EXERCISE_HEADING.sub("### Something else",
                                                                anatomy.source(notebook.cells[index]))
    return notebook


def remove_points(notebook):
    index = first(anatomy.is_check, notebook)
    notebook.cells[index].metadata["nbgrader"]["points"] = 0
    return notebook


def add_an_error(notebook):
    index = first(lambda c: c.cell_type == "code", notebook)
    notebook.cells[index].outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[]))
    return notebook


def reorder_execution(notebook):
    code = [c for c in notebook.cells if c.cell_type == "code"]
    code[0].execution_count, code[1].execution_count = code[1].execution_count, code[0].execution_count
    return notebook


def add_a_machine_path(notebook):
    index = first(lambda c: c.cell_type == "code", notebook)
    notebook.cells[index].outputs.append(nbformat.v4.new_output("stream", name="stdout",
                                                                text="saved to /home/alice/aecourse/x.png\n"))
    return notebook


def remove_widgets(notebook):
    checks = {e.check for e in anatomy.exercises(notebook)}
    for index, cell in enumerate(notebook.cells):
        if index not in checks and cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if lint_widget_free(o)]
    return notebook


def lint_widget_free(output):
    return "application/vnd.jupyter.widget-view+json" not in output.get("data", {})


def remove_results(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if "application/vnd.aecourse.results+json" not in o.get("data", {})]
    return notebook


def remove_references(notebook):
    for cell in notebook.cells:
        cell.source = anatomy.source(cell).replace("## References", "References:")
    return notebook


def remove_how_to_use(notebook):
    for cell in notebook.cells:
        cell.source = re.sub("how to use this notebook", "about", anatomy.source(cell), flags=re.IGNORECASE)
    return notebook


def remove_an_answer(notebook):
    index = first(lambda c: c.cell_type == "markdown" and "<details>" in anatomy.source(c), notebook)
    text = anatomy.source(notebook.cells[index])
    notebook.cells[index].source = text[:text.index("<details>")] + text[text.index("</details>") + 10:]
    return notebook


def drop_a_slide_type(notebook):
    del notebook.cells[3].metadata["slideshow"]
    return notebook


def bury_a_heading(notebook):
    """A section heading after other text in its cell cannot start a slide."""
    index = first(lambda c: c.cell_type == "markdown" and "## 2 · " in anatomy.source(c), notebook)
    notebook.cells[index].source = "Some text first.\n\n" + anatomy.source(notebook.cells[index])
    return notebook


BREAKS = [
    ("sections", drop_a_section), ("exercises", drop_a_statement), ("exercises", remove_points),
    ("errors", add_an_error), ("executed", reorder_execution), ("paths", add_a_machine_path),
    ("widget", remove_widgets), ("results", remove_results), ("closing", remove_references),
    ("how-to-use", remove_how_to_use), ("answers", remove_an_answer), ("slides", drop_a_slide_type),
    ("slides", bury_a_heading),
]


def test_slide_types_follow_one_rule_and_an_authors_choice_is_kept():
    from aecourse.course import slides

    cells = [nbformat.v4.new_markdown_cell("# 01 · Title"),
             nbformat.v4.new_code_cell("profile = aecourse.setup(seed=0)"),
             nbformat.v4.new_markdown_cell("Intro.\n\n## 1 · A section\n\nText.\n\n"
                                           "### Exercise 1 · Do it\n\nWrite it."),
             nbformat.v4.new_code_cell("def f(x):\n    return x"),
             nbformat.v4.new_code_cell("LatentExplorer(model.decoder, codes)"),
             nbformat.v4.new_markdown_cell("A short caption."),
             nbformat.v4.new_markdown_cell("one\ntwo\nthree\nfour lines of explanation")]
    cells[6].metadata["slideshow"] = {"slide_type": "notes"}  # the author's choice
    notebook = nbformat.v4.new_notebook(cells=slides.split_at_headings(cells))
    assert [anatomy.source(c).splitlines()[0] for c in notebook.cells[2:5]] == \
        ["Intro.", "## 1 · A section", "### Exercise 1 · Do it"]
    assert slides.propose(notebook) == 8
    assert [slides.slide_type(c) for c in notebook.cells] == \
        ["slide", "skip", "-", "slide", "subslide", "-", "subslide", "-", "notes"]
    assert slides.problems(notebook) == [] and slides.propose(notebook) == 0


@pytest.mark.parametrize("rule,breaks", BREAKS, ids=[b.__name__ for _, b in BREAKS])
@pytest.mark.parametrize("source", [NOTEBOOKS[0], NOTEBOOKS[-1]], ids=lambda p: p.stem[:2])
def test_a_broken_rule_is_named_with_its_notebook(rule, breaks, source, tmp_path):
    broken = tmp_path / source.name
    nbformat.write(breaks(anatomy.read(source)), broken)
    report = lint([broken])
    assert any(line.startswith(f"{broken}: [{rule}]") for line in report), report


def test_points_come_from_the_notebooks_and_the_docs_tables_are_in_sync():
    table = anatomy.points_table(ROOT / "notebooks")
    for doc in ("README.md", "docs/INSTRUCTORS.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert POINTS_BEGIN in text and POINTS_END in text, doc
        assert updated(text, table, doc) == text, f"run: python -m aecourse.course points notebooks/ --update {doc}"
