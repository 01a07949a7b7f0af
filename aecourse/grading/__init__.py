"""Graded exercises with nbgrader: release the student versions, autograde submissions (:mod:`.pipeline`).

From the course folder::

    python -m aecourse.grading release [--to build/student] [--self-study]
    python -m aecourse.grading grade SUBMISSIONS [--out build/grades]

The notebooks' conventions, slides and the learner's workspace are :mod:`aecourse.course`.
"""
from .pipeline import GradingError, assignments, course_dir, grade, mark_graded, nbgrader, notebooks_dir, release

__all__ = ["GradingError", "assignments", "course_dir", "grade", "mark_graded", "nbgrader", "notebooks_dir",
           "release"]
