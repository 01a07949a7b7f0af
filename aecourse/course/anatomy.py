"""Reading a course notebook's anatomy: its sections, exercises and points.

One place that knows the conventions (docs/INSTRUCTORS.md), used by the
conventions check (:mod:`.lint`), the points tables and the tests. An exercise is
a *statement* (a Markdown cell with a ``### Exercise N · title`` heading), an
*answer cell* (nbgrader ``solution``, the worked solution between ``### BEGIN
SOLUTION`` and ``### END SOLUTION``) and right below it a *check cell* (nbgrader
``grade`` with points, locked)::

    name = exercises.name.check(name)
    ### BEGIN HIDDEN TESTS
    assert ...
    ### END HIDDEN TESTS

A graded *question* has the same three parts: a statement headed ``### Question N · title``, an answer
cell that sets ``qN`` between the solution markers (under a released line ``qN = ...``), and a check
cell ``exercises.qN.check(qN)`` (nbgrader ``grade`` with points, locked; no hidden tests: the check
raises under the autograder). A statement that asks the learner to read the answer off a widget says
so with ``*Use the widget:*`` (:data:`INSTRUMENT`).
"""
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

CHECK_CELL = re.compile(r"^(\w+) = exercises\.(\w+)\.check\(\1\)", re.MULTILINE)
EXERCISE_HEADING = re.compile(r"^### (Exercise|Question) (\d+) · (.+)$", re.MULTILINE)
QUESTION_CHECK = re.compile(r"^exercises\.(q\d+)\.check\((q\d+)\b", re.MULTILINE)
INSTRUMENT = "*Use the widget:*"
SECTION_HEADING = re.compile(r"^## (\d+) · (.+)$", re.MULTILINE)
SETUP_CALL = re.compile(r"aecourse\.setup\(([^)]*)\)")  # the first code cell's call; a graded release marks it
EXERCISE_MODULE = re.compile(r"^from aecourse\.exercises import (\w+) as exercises$", re.MULTILINE)


@dataclass
class ExerciseCells:
    """One exercise of a notebook.

    Attributes:
        number, title: from the statement's heading (None when the statement is missing).
        statement: index of the Markdown statement cell (None when missing).
        answer, check: indices of the answer and check cells.
        name: the function the learner writes; ``exercise``: its attribute in the exercise module.
        points: the check cell's nbgrader points.
    """

    number: int
    title: str
    statement: int
    answer: int
    check: int
    name: str
    exercise: str
    points: float


def notebook_paths(paths):
    """The notebooks named by ``paths``: files, or folders whose ``*.ipynb`` are taken in order."""
    notebooks = []
    for path in map(Path, paths):
        notebooks += sorted(path.glob("*.ipynb")) if path.is_dir() else [path]
    if not notebooks:
        raise FileNotFoundError(f"No notebooks found in {', '.join(map(str, paths))}.")
    return notebooks


def read(path):
    """A notebook as an ``nbformat.NotebookNode``."""
    return nbformat.read(str(path), as_version=4)


def source(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def nbgrader_metadata(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell):
    return cell.cell_type == "code" and bool(nbgrader_metadata(cell).get("solution"))


def is_check(cell):
    return cell.cell_type == "code" and bool(nbgrader_metadata(cell).get("grade"))


def _graded_parts(notebook, kind):
    """``[(answer, check, statement, number, title)]`` of the answer cells under ``### <kind> N`` headings.

    An answer cell belongs to the nearest exercise or question heading above it (before another answer
    cell); one with no heading counts as an exercise, so that the conventions check can say it lacks one.
    """
    found = []
    for index, cell in enumerate(notebook.cells):
        if not is_answer(cell):
            continue
        check = index + 1 if index + 1 < len(notebook.cells) and is_check(notebook.cells[index + 1]) else None
        statement = number = title = None
        heading_kind = "Exercise"
        for earlier in range(index - 1, -1, -1):
            if is_answer(notebook.cells[earlier]):
                break
            heading = EXERCISE_HEADING.search(source(notebook.cells[earlier]))
            if notebook.cells[earlier].cell_type == "markdown" and heading:
                heading_kind, number, title = heading.group(1), int(heading.group(2)), heading.group(3).strip()
                statement = earlier
                break
        if heading_kind == kind:
            found.append((index, check, statement, number, title))
    return found


def exercises(notebook):
    """The notebook's exercises in order, as :class:`ExerciseCells` (missing parts as None)."""
    found = []
    for index, check, statement, number, title in _graded_parts(notebook, "Exercise"):
        match = CHECK_CELL.search(source(notebook.cells[check])) if check is not None else None
        points = nbgrader_metadata(notebook.cells[check]).get("points", 0) if check is not None else 0
        found.append(ExerciseCells(number, title, statement, index, check, match and match.group(1),
                                   match and match.group(2), points))
    return found


@dataclass
class QuestionCells:
    """One graded question of a notebook: like :class:`ExerciseCells`; ``name`` is ``qN`` (None when the
    check cell does not read ``exercises.qN.check(qN)``), ``instrument`` whether it is read off a widget."""

    number: int
    title: str
    statement: int
    answer: int
    check: int
    name: str
    points: float
    instrument: bool


def questions(notebook):
    """The notebook's graded questions in order, as :class:`QuestionCells`."""
    found = []
    for index, check, statement, number, title in _graded_parts(notebook, "Question"):
        match = QUESTION_CHECK.search(source(notebook.cells[check])) if check is not None else None
        points = nbgrader_metadata(notebook.cells[check]).get("points", 0) if check is not None else 0
        instrument = statement is not None and INSTRUMENT in source(notebook.cells[statement])
        found.append(QuestionCells(number, title, statement, index, check,
                                   match.group(1) if match and match.group(1) == match.group(2) else None,
                                   points, instrument))
    return found


def exercise_module(notebook):
    """The name of the notebook's exercise module (``nb01``), from its import line, or None."""
    for cell in notebook.cells:
        match = EXERCISE_MODULE.search(source(cell)) if cell.cell_type == "code" else None
        if match:
            return match.group(1)
    return None


def points(notebook):
    """Total points of the notebook's check cells."""
    return sum(nbgrader_metadata(c).get("points", 0) for c in notebook.cells if is_check(c))


def sections(notebook):
    """``[(number, title)]`` of the numbered ``## N · title`` headings, in order."""
    return [(int(m.group(1)), m.group(2).strip()) for c in notebook.cells if c.cell_type == "markdown"
            for m in SECTION_HEADING.finditer(source(c))]


def title(notebook):
    """The notebook's title: the first line of its first cell, without the ``#``."""
    first = source(notebook.cells[0]).strip().splitlines()[0] if notebook.cells else ""
    return first.lstrip("# ").strip()


def points_table(notebooks_dir):
    """Markdown table of every notebook's exercises, questions and points, from the nbgrader metadata."""
    lines = ["| notebook | exercises (points) | questions (points) | total |", "|---|---|---|---|"]
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        notebook = read(path)
        items = ", ".join(f"{e.number} {e.title} ({e.points:g})" for e in exercises(notebook))
        asked = ", ".join(f"{q.number} {q.title} ({q.points:g})" for q in questions(notebook)) or "-"
        lines.append(f"| `{path.stem}` | {items} | {asked} | {points(notebook):g} |")
    return "\n".join(lines)
