"""Graded exercises with nbgrader: release student versions, autograde submissions.

Each notebook in ``notebooks/`` is one nbgrader assignment named after the
notebook. The instructor directory ``course/`` holds only ``nbgrader_config.py``;
everything nbgrader writes there is generated. From the repository root::

    python -m aecourse.grading release [--to build/student]
    python -m aecourse.grading grade SUBMISSIONS [--out build/grades]

``SUBMISSIONS`` holds one folder per student (the folder name is the student id)
with that student's notebooks, named as released (``01_autoencoder_basics.ipynb``).
Grading writes ``grades.csv`` (one row per student and notebook) and one HTML
feedback report per student and notebook. Autograding runs each notebook top to
bottom in the fast ``test`` profile unless ``AECOURSE_PROFILE`` says otherwise.
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COURSE_DIR = REPO / "course"
NOTEBOOKS_DIR = REPO / "notebooks"


# A graded check cell, by the convention in docs/INSTRUCTORS.md: `name = exercises.name.check(name)`.
CHECK_CELL = re.compile(r"^(\w+) = exercises\.(\w+)\.check\(\1\)", re.MULTILINE)


class GradingError(RuntimeError):
    """An nbgrader step failed, or the submissions folder is not usable."""


def assignments(notebooks_dir=NOTEBOOKS_DIR):
    """Assignment ids: the names of the notebooks in ``notebooks_dir``, in order."""
    return [path.stem for path in sorted(Path(notebooks_dir).glob("*.ipynb"))]


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


def release(course_dir=COURSE_DIR, notebooks_dir=NOTEBOOKS_DIR, student_dir=None):
    """Make every notebook an assignment and generate its student version with nbgrader.

    Copies each notebook to ``course_dir/source/<id>/<id>.ipynb`` and runs
    ``nbgrader generate_assignment`` (solutions and hidden tests removed, outputs
    cleared, grading cells locked and recorded in the gradebook).

    Returns:
        The released notebooks, copied flat into ``student_dir`` when it is given.
    """
    released = []
    for assignment in assignments(notebooks_dir):
        source = Path(course_dir) / "source" / assignment
        source.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(notebooks_dir) / f"{assignment}.ipynb", source / f"{assignment}.ipynb")
        nbgrader(course_dir, "generate_assignment", assignment, "--force")
        released.append(Path(course_dir) / "release" / assignment / f"{assignment}.ipynb")
    if student_dir is not None:
        Path(student_dir).mkdir(parents=True, exist_ok=True)
        released = [Path(shutil.copy(path, Path(student_dir) / path.name)) for path in released]
    return released


def collect(submissions_dir, course_dir=COURSE_DIR, known=None):
    """Copy ``submissions_dir/<student>/<id>.ipynb`` into nbgrader's ``submitted/`` layout.

    ``submitted/`` is emptied first, so only this batch is graded; grades of
    earlier batches stay in the gradebook.

    Returns:
        ``{assignment id: [student ids]}`` of what was collected.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise GradingError(f"Submissions folder {submissions_dir} does not exist.")
    known = set(known if known is not None else assignments())
    shutil.rmtree(Path(course_dir) / "submitted", ignore_errors=True)
    collected = {}
    for student in sorted(p for p in submissions_dir.iterdir() if p.is_dir()):
        for notebook in sorted(student.glob("*.ipynb")):
            if notebook.stem not in known:
                print(f"skipped {notebook}: no assignment is called {notebook.stem!r}")
                continue
            target = Path(course_dir) / "submitted" / student.name / notebook.stem
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook, target / notebook.name)
            collected.setdefault(notebook.stem, []).append(student.name)
    if not collected:
        raise GradingError(f"No submissions found: expected {submissions_dir}/<student>/<notebook>.ipynb "
                           f"for notebooks {sorted(known)}.")
    return collected


def grade(submissions_dir, out_dir, course_dir=COURSE_DIR, notebooks_dir=NOTEBOOKS_DIR):
    """Autograde a folder of submissions; write ``grades.csv`` and feedback reports to ``out_dir``.

    Returns:
        The rows of ``grades.csv`` as dictionaries.
    """
    release(course_dir, notebooks_dir)  # the gradebook must know the current notebooks and hidden tests
    collected = collect(submissions_dir, course_dir, known=assignments(notebooks_dir))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for assignment, students in collected.items():
        nbgrader(course_dir, "autograde", assignment, "--create", "--force")
        nbgrader(course_dir, "generate_feedback", assignment, "--force")
        for student in students:
            report = Path(course_dir) / "feedback" / student / assignment / f"{assignment}.html"
            (out_dir / "feedback" / student).mkdir(parents=True, exist_ok=True)
            shutil.copy(report, out_dir / "feedback" / student / f"{assignment}.html")
    grades = out_dir / "grades.csv"
    nbgrader(course_dir, "export", "--to", str(grades.resolve()))
    with open(grades, newline="") as f:
        return list(csv.DictReader(f))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aecourse.grading", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="generate the student version of every notebook")
    release_parser.add_argument("--to", default=str(REPO / "build" / "student"), help="folder for the student notebooks")
    grade_parser = commands.add_parser("grade", help="autograde a folder of submissions")
    grade_parser.add_argument("submissions", help="folder with one subfolder of notebooks per student")
    grade_parser.add_argument("--out", default=str(REPO / "build" / "grades"), help="folder for grades.csv and feedback")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            for path in release(student_dir=args.to):
                print(f"released {path}")
        else:
            rows = grade(args.submissions, args.out)
            print(f"{'student':20} {'notebook':32} score")
            for row in rows:
                print(f"{row['student_id']:20} {row['assignment']:32} {float(row['score']):g} / {float(row['max_score']):g}")
            print(f"wrote {Path(args.out) / 'grades.csv'} and feedback reports in {Path(args.out) / 'feedback'}")
    except GradingError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
