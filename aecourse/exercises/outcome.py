"""What checking an answer comes to: a :class:`Result`, its status, the :class:`Fallback` a notebook uses
until the answer passes, and whether solutions may be shown (self-study) or not (a graded release).

The checker (:mod:`.core`) makes these; the feedback widget (:mod:`.feedback`) shows them.
"""
import os
from dataclasses import dataclass, field

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
GRADED_ENV = "AECOURSE_GRADED"
_graded = False


def set_graded(graded):
    """Switch graded mode on or off for this session (``aecourse.setup(graded=True)`` does this)."""
    global _graded
    _graded = bool(graded)


def solutions_shown():
    """Whether a learner may see reference solutions: in self-study yes; in a graded release or under
    the nbgrader autograder (or with ``AECOURSE_GRADED=1``) no."""
    return not (_graded or os.environ.get("NBGRADER_EXECUTION")
                or os.environ.get(GRADED_ENV, "").strip().lower() in ("1", "true", "yes"))


@dataclass
class Result:
    """Outcome of :meth:`Exercise.evaluate`.

    Attributes:
        exercise: the exercise's title.
        status: ``"correct"``, ``"incorrect"`` or ``"not attempted"``.
        passed: descriptions of the cases that passed.
        failed: ``(description, why)`` for each case that failed.
    """

    exercise: str
    status: str
    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    @property
    def correct(self):
        return self.status == CORRECT

    def __str__(self):
        if self.status == NOT_ATTEMPTED:
            return f"{self.exercise}: not solved yet."
        lines = [f"{self.exercise}: {self.status} ({len(self.passed)} of "
                 f"{len(self.passed) + len(self.failed)} checks passed)"]
        lines += [f"  passed: {d}" for d in self.passed]
        lines += [f"  FAILED: {d}: {why}" for d, why in self.failed]
        return "\n".join(lines)


class Fallback:
    """What a check cell hands the notebook while the learner's answer does not pass.

    It computes with the exercise's reference solution, so the notebook runs on, and it
    remembers the learner's answer: checking a fallback again (re-running the check cell,
    or "Check again") checks that answer, never the reference.
    """

    def __init__(self, exercise, answer):
        self.exercise, self.answer = exercise, answer
        self.__name__ = getattr(answer, "__name__", exercise.function_name)
        self.__doc__ = exercise.reference.__doc__
        self.__wrapped__ = exercise.reference  # so inspect.signature shows the expected arguments

    def __call__(self, *args, **kwargs):
        return self.exercise.reference(*args, **kwargs)

    def __repr__(self):
        return f"<the reference solution of {self.exercise.title!r}, used until your answer passes>"
