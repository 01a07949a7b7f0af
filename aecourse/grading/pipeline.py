"""Graded exercises with nbgrader: release student versions, autograde submissions.

Each notebook in ``notebooks/`` is one nbgrader assignment named after the
notebook. The instructor directory ``course/`` holds only ``nbgrader_config.py``;
everything nbgrader writes there is generated.

A *graded* release (the default) marks each student version's setup call
``aecourse.setup(..., graded=True)``, so its check widgets never offer the
solution; a self-study release leaves that out.

``SUBMISSIONS`` holds one folder per student (the folder name is the student id)
with that student's notebooks, named as released (``01_autoencoder_basics.ipynb``).
Grading writes ``grades.csv`` (one row per student and notebook), one HTML
feedback report per student and notebook, and the class report (:mod:`.report`).
Autograding runs each notebook top to bottom in the fast ``test`` profile unless
``AECOURSE_PROFILE`` says otherwise.
"""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from ..course import anatomy
from ..course.anatomy import SETUP_CALL
from ..paths import course_root
from . import report as class_report


class GradingError(RuntimeError):
    """An nbgrader step failed, or the submissions folder is not usable."""


def course_dir():
    """The instructor directory, ``course/`` in the course folder."""
    return course_root() / "course"


def notebooks_dir():
    """The instructor's notebooks, ``notebooks/`` in the course folder."""
    return course_root() / "notebooks"


def assignments(notebooks=None):
    """Assignment ids: the names of the notebooks in ``notebooks`` (default :func:`notebooks_dir`), in order."""
    return [path.stem for path in sorted(Path(notebooks or notebooks_dir()).glob("*.ipynb"))]


def mark_graded(notebook):
    """Add ``graded=True`` to the notebook's ``aecourse.setup(...)`` call; return the notebook."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and SETUP_CALL.search(cell.source):
            cell.source = SETUP_CALL.sub(lambda m: f"aecourse.setup({m.group(1) + ', ' if m.group(1) else ''}"
                                                   "graded=True)", cell.source, count=1)
            return notebook
    raise GradingError("The notebook has no aecourse.setup(...) call to mark as graded.")


STUB_LINES = ("# YOUR CODE HERE", "raise NotImplementedError()")  # nbgrader's code stub (ClearSolutions)


def unstub_questions(path):
    """Drop nbgrader's stub from the released answer cells of graded questions.

    nbgrader replaces a solution by ``raise NotImplementedError()``, which inside a function an exercise
    leaves to be written is harmless, but at the top level of a question's answer cell would stop "Run
    all" at the first question. The released cell keeps its first line, ``q1 = ...  # your answer: ...``,
    which the check reads as "not answered yet".
    """
    notebook = nbformat.read(str(path), as_version=4)
    for question in anatomy.questions(notebook):
        cell = notebook.cells[question.answer]
        cell.source = "\n".join(line for line in cell.source.splitlines() if line.strip() not in STUB_LINES)
    nbformat.write(notebook, str(path))


def nbgrader(course_dir, *args):
    """Run an nbgrader command in ``course_dir``; raise :class:`GradingError` if it fails."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # nbgrader runs alembic
    env.setdefault("AECOURSE_PROFILE", "test")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise GradingError(f"`nbgrader {' '.join(args)}` failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def release(course=None, notebooks=None, student_dir=None, graded=True):
    """Make every notebook an assignment and generate its student version with nbgrader.

    Copies each notebook to ``course/source/<id>/<id>.ipynb`` (marked graded unless
    ``graded=False``) and runs ``nbgrader generate_assignment`` (solutions and hidden
    tests removed, outputs cleared, grading cells locked and recorded in the gradebook);
    the graded questions' answer cells keep their ``qN = ...`` line (:func:`unstub_questions`).

    Returns:
        The released notebooks, copied flat into ``student_dir`` when it is given.
    """
    course, notebooks = Path(course or course_dir()), Path(notebooks or notebooks_dir())
    released = []
    for assignment in assignments(notebooks):
        folder = course / "source" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        notebook = nbformat.read(str(notebooks / f"{assignment}.ipynb"), as_version=4)
        nbformat.write(mark_graded(notebook) if graded else notebook, str(folder / f"{assignment}.ipynb"))
        nbgrader(course, "generate_assignment", assignment, "--force")
        released.append(course / "release" / assignment / f"{assignment}.ipynb")
        unstub_questions(released[-1])
    if student_dir is not None:
        Path(student_dir).mkdir(parents=True, exist_ok=True)
        released = [Path(shutil.copy(path, Path(student_dir) / path.name)) for path in released]
    return released


def collect(submissions_dir, course, known):
    """Copy ``submissions_dir/<student>/<id>.ipynb`` into nbgrader's ``submitted/`` layout.

    ``submitted/`` is emptied first, so only this batch is graded; grades of
    earlier batches stay in the gradebook.

    Returns:
        ``{assignment id: [student ids]}`` of what was collected.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise GradingError(f"Submissions folder {submissions_dir} does not exist.")
    known = set(known)
    shutil.rmtree(Path(course) / "submitted", ignore_errors=True)
    collected = {}
    for student in sorted(p for p in submissions_dir.iterdir() if p.is_dir()):
        for notebook in sorted(student.glob("*.ipynb")):
            if notebook.stem not in known:
                print(f"skipped {notebook}: no assignment is called {notebook.stem!r}")
                continue
            target = Path(course) / "submitted" / student.name / notebook.stem
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook, target / notebook.name)
            collected.setdefault(notebook.stem, []).append(student.name)
    if not collected:
        raise GradingError(f"No submissions found: expected {submissions_dir}/<student>/<notebook>.ipynb "
                           f"for notebooks {sorted(known)}.")
    return collected


def grade(submissions_dir, out_dir, course=None, notebooks=None):
    """Autograde a folder of submissions; write grades, feedback and the class report to ``out_dir``.

    Writes ``grades.csv`` (nbgrader's export: one row per student and notebook),
    ``feedback/<student>/<notebook>.html``, and the class report of this batch (:mod:`.report`):
    ``report.csv``, ``report.md`` and ``report-<notebook>.png`` (pass rate, mean points, named
    mistakes, time-limit hits, delegations, crashes and unattempted answers per exercise).

    Returns:
        The rows of ``grades.csv`` as dictionaries.
    """
    course, notebooks = Path(course or course_dir()), Path(notebooks or notebooks_dir())
    release(course, notebooks)  # the gradebook must know the current notebooks and hidden tests
    collected = collect(submissions_dir, course, known=assignments(notebooks))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for assignment, students in collected.items():
        nbgrader(course, "autograde", assignment, "--create", "--force")
        nbgrader(course, "generate_feedback", assignment, "--force")
        for student in students:
            report = course / "feedback" / student / assignment / f"{assignment}.html"
            (out_dir / "feedback" / student).mkdir(parents=True, exist_ok=True)
            shutil.copy(report, out_dir / "feedback" / student / f"{assignment}.html")
    grades = out_dir / "grades.csv"
    nbgrader(course, "export", "--to", str(grades.resolve()))
    autograded = {(student, assignment): course / "autograded" / student / assignment / f"{assignment}.ipynb"
                  for assignment, students in collected.items() for student in students}
    autograded = {key: path for key, path in autograded.items() if path.is_file()}
    class_report.write(class_report.class_outcomes(autograded), out_dir)  # this batch only
    with open(grades, newline="") as f:
        return list(csv.DictReader(f))
