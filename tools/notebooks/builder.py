"""Write a course notebook from a list of cells: the helpers the notebook builders in this folder share.

A builder (``nb05.py``, ...) lists the notebook's cells in order and calls :func:`write`;
the result is an unexecuted notebook with the course's cell metadata (nbgrader answer and
check cells, nbval tags). Then ``make execute NB=05`` runs it in the laptop profile, which
makes the committed, executed notebook. Edit the builder and rebuild, or edit the
notebook in JupyterLab: both are fine, but a rebuild replaces the notebook's cells.

    python tools/notebooks/nb05.py     # writes notebooks/05_sparse_autoencoders.ipynb (unexecuted)
"""
import textwrap
from pathlib import Path

import nbformat

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


def write(name, cells):
    """Write ``notebooks/<name>.ipynb`` (unexecuted); return its path."""
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL,
                                                               "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    path = NOTEBOOKS / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    print(f"wrote {path} ({len(cells)} cells); now run: make execute NB={name[:2]}")
    return path
