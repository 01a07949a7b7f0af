"""The learner's workspace (make lab): student versions without solutions, made once, never overwritten."""
import shutil

import nbformat
import pytest

from aecourse import workspace
from aecourse.grading import GradingError
from aecourse.paths import course_root

pytestmark = pytest.mark.slow  # nbgrader releases the notebooks
NOTEBOOKS = sorted((course_root() / "notebooks").glob("*.ipynb"))


@pytest.fixture
def course(tmp_path):
    """A course of two notebooks (the first and the last) and an empty place for the workspace."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for path in (NOTEBOOKS[0], NOTEBOOKS[-1]):
        shutil.copy(path, notebooks)
    return notebooks, tmp_path / "workspace"


def sources(path):
    return "\n".join(cell.source for cell in nbformat.read(str(path), as_version=4).cells)


def test_the_workspace_has_the_exercises_without_solutions_or_hidden_tests(course):
    notebooks, folder = course
    added, kept = workspace.update(folder, notebooks)
    assert added == sorted(p.name for p in notebooks.glob("*.ipynb")) and kept == []
    for name in added:
        text = sources(folder / name)
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError" in text  # the answer cells are there to fill in
        assert "graded=True" not in text            # self-study: a failed check can show the solution


def test_updating_keeps_the_learners_work_and_adds_new_notebooks(course):
    notebooks, folder = course
    workspace.update(folder, notebooks)
    mine = folder / NOTEBOOKS[0].name
    notebook = nbformat.read(str(mine), as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("my notes"))
    nbformat.write(notebook, str(mine))
    shutil.copy(NOTEBOOKS[1], notebooks)  # the course gains a notebook

    added, kept = workspace.update(folder, notebooks)
    assert added == [NOTEBOOKS[1].name] and NOTEBOOKS[0].name in kept
    assert "my notes" in sources(mine)


def test_reset_replaces_one_notebook_and_keeps_the_old_one(course, capsys):
    notebooks, folder = course
    workspace.update(folder, notebooks)
    mine = folder / NOTEBOOKS[-1].name
    notebook = nbformat.read(str(mine), as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("my notes"))
    nbformat.write(notebook, str(mine))
    number = NOTEBOOKS[-1].name[:2]

    with pytest.raises(SystemExit) as refused:  # no terminal to ask on, and no --yes: nothing changes
        workspace.main(["--dir", str(folder), "--reset", number])
    assert refused.value.code == 1 and "my notes" in sources(mine)

    path, kept = workspace.reset(number, folder, notebooks)
    assert path == mine and "my notes" not in sources(mine)
    assert kept.parent == folder / ".replaced" and "my notes" in sources(kept)
    with pytest.raises(GradingError, match="No single course notebook numbered '42'"):
        workspace.find("42", notebooks)
