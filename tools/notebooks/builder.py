"""Write a course notebook from a list of cells: the helpers the notebook builders in this folder share.

A builder (``nb05.py``, ...) lists the notebook's cells in order and calls :func:`write`;
the result is an unexecuted notebook with the course's cell metadata (nbgrader answer and
check cells, nbval tags). Then ``make execute NB=05`` runs it in the laptop profile, which
makes the committed, executed notebook. Edit the builder and rebuild, or edit the
notebook in JupyterLab: both are fine, but a rebuild replaces the notebook's cells.

    python tools/notebooks/nb05.py          # writes notebooks/05_sparse_autoencoders.ipynb (unexecuted)
    python tools/notebooks/nb05.py --prose  # copies only the Markdown into the executed notebook

``--prose`` keeps the executed notebook's code cells and outputs and refuses to run if any code
cell differs from the builder's: use it after correcting the text to the numbers of a run.
"""
import sys
import textwrap
from pathlib import Path

import nbformat

from aecourse.grading import slides

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _clean(text):
    return textwrap.dedent(text).strip("\n")


def md(text):
    """A Markdown cell."""
    return nbformat.v4.new_markdown_cell(_clean(text))


def code(text, check_output=False):
    """A code cell; ``check_output=True`` makes nbval compare its output with the committed one."""
    cell = nbformat.v4.new_code_cell(_clean(text))
    if check_output:
        cell.metadata["tags"] = ["nbval-check-output"]
    return cell


HOW_TO_USE = """\
**How to use this notebook.** Run the cells from top to bottom (Shift+Enter, or *Run > Run All Cells*).
The first code cell prints the run profile: `laptop` (the default) gives the real results in about {minutes}
minutes on a 2-core CPU; `test` is a one-minute smoke run on little data; `full` trains longer for
published-quality numbers (a GPU helps). Choose one before starting JupyterLab, e.g.
`AECOURSE_PROFILE=full make lab`. `make lab` opens your workspace, `workspace/`, where the exercises are
yours to do; this notebook in `notebooks/` is the teacher's copy with the worked solutions.
Each exercise has an answer cell for you to complete and a check cell under it:
the check says what passed, what failed and why, gives hints one at a time, and after a failed attempt can show
a worked solution. Until your answer passes, the rest of the notebook uses a reference implementation, so it
always runs to the end; instructors grade the same cells with nbgrader. Widgets (sliders, drop-downs) redraw
at once from models the notebook has already trained."""


def how_to_use(minutes):
    """The opening's "How to use this notebook" paragraph, the same in every notebook but for its run time."""
    return HOW_TO_USE.format(minutes=minutes)


def answer(grade_id, text):
    """An nbgrader answer cell (the solution between ### BEGIN SOLUTION and ### END SOLUTION)."""
    cell = code(text)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                                 "solution": True, "task": False}
    return cell


def check(grade_id, text, points=1):
    """An nbgrader check cell: locked, graded, with hidden tests."""
    cell = code(text)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def _copy_prose(path, cells):
    notebook = nbformat.read(str(path), as_version=4)
    kinds = [(c.cell_type, c.source if c.cell_type == "code" else None) for c in notebook.cells]
    if kinds != [(c.cell_type, c.source if c.cell_type == "code" else None) for c in cells]:
        sys.exit(f"{path.name}: the code cells differ from the builder's; rebuild and execute instead of --prose.")
    changed = 0
    for executed, built in zip(notebook.cells, cells):
        if executed.cell_type == "markdown" and executed.source != built.source:
            executed.source, changed = built.source, changed + 1
    slides.propose(notebook)
    nbformat.write(notebook, str(path))
    print(f"copied {changed} Markdown cells into {path}; its code and outputs are unchanged")
    return path


def write(name, cells):
    """Write ``notebooks/<name>.ipynb`` (unexecuted; with ``--prose`` only its Markdown); return its path.

    Markdown cells are cut at their inner headings and every cell gets its slide type
    (:mod:`aecourse.grading.slides`), as the conventions check requires.
    """
    if set(sys.argv[1:]) - {"--prose"}:
        sys.exit(f"usage: python {Path(sys.argv[0]).name} [--prose]")
    path = NOTEBOOKS / f"{name}.ipynb"
    cells = slides.split_at_headings(cells)
    if "--prose" in sys.argv[1:]:
        return _copy_prose(path, cells)
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL,
                                                               "language_info": {"name": "python"}})
    slides.propose(notebook)
    nbformat.validate(notebook)
    nbformat.write(notebook, str(path))
    print(f"wrote {path} ({len(cells)} cells); now run: make execute NB={name[:2]}")
    return path
