"""Grading: nbgrader releases and autograding (:mod:`.pipeline`), the notebooks' anatomy
(:mod:`.anatomy`), the conventions check (:mod:`.lint`) and the learner's workspace (:mod:`.workspace`).

From the course folder::

    python -m aecourse.grading release [--to build/student] [--self-study]
    python -m aecourse.grading grade SUBMISSIONS [--out build/grades]
    python -m aecourse.grading lint notebooks/
    python -m aecourse.grading points notebooks/ [--update README.md docs/INSTRUCTORS.md]
    python -m aecourse.grading workspace [--reset 03]     # the learner's workspace that make lab opens
"""
from .anatomy import CHECK_CELL
from .pipeline import GradingError, assignments, course_dir, grade, mark_graded, nbgrader, notebooks_dir, release

__all__ = ["CHECK_CELL", "GradingError", "assignments", "course_dir", "grade", "mark_graded", "nbgrader",
           "notebooks_dir", "release"]
