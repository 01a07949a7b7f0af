"""Graded questions: a concept or prediction question, answered by a letter or a number.

A :class:`Question` is the short sibling of an :class:`~aecourse.exercises.core.Exercise`: the learner
predicts before running, or reads a value off one of the notebook's widgets, and writes the answer in an
nbgrader answer cell (``q1 = "b"``, ``q2 = 0.3``). The check cell below it calls
``exercises.q1.check(q1)``: in self-study a widget says whether it is right, why a wrong choice is wrong,
and (after answering) the explanation; under nbgrader's autograder a wrong answer raises
``AssertionError``, so the cell is graded like an exercise's check cell, and the class report counts the
wrong choices as named mistakes.

A number measured in this run (the noise level where two curves cross) is passed to the check:
``exercises.q2.check(q2, truth=crossover)``.
"""
import math
import numbers
import os
from dataclasses import dataclass, field
from typing import Optional

from .outcome import CORRECT, INCORRECT, NOT_ATTEMPTED, Result, solutions_shown

ANSWER_CASE = "your answer"  # the case name of a question's one check, as the class report reads it


@dataclass
class Question:
    """A graded question with a multiple-choice or numeric answer.

    Attributes:
        title: shown in the feedback, e.g. ``"Question 1: Which loss falls first?"``.
        answer: the correct choice's letter (``"b"``) for a multiple-choice question; for a numeric one the
            correct number, or None when the notebook passes it measured (``check(q, truth=...)``).
        explanation: why the answer is right, shown once the learner has answered (in self-study also
            after a wrong answer, on request).
        choices: ``{letter: text}`` of a multiple-choice question; None for a numeric one.
        why_not: ``{letter: why that choice is wrong}``, shown when the learner picks it.
        tolerance: how far a numeric answer may be from the truth (absolute, in the question's units).
        unit: the unit of a numeric answer, for the feedback (``"dB"``).
    """

    title: str
    answer: object
    explanation: str
    choices: Optional[dict] = None
    why_not: dict = field(default_factory=dict)
    tolerance: float = 0.0
    unit: str = ""

    def __post_init__(self):
        if self.choices is not None:
            self.choices = {str(k).lower(): v for k, v in self.choices.items()}
            if str(self.answer).lower() not in self.choices:
                raise ValueError(f"{self.title}: the answer {self.answer!r} is not one of the choices "
                                 f"{sorted(self.choices)}.")
            unknown = set(map(str.lower, self.why_not)) - set(self.choices)
            if unknown:
                raise ValueError(f"{self.title}: why_not names {sorted(unknown)}, which are not choices.")
            self.why_not = {k.lower(): v for k, v in self.why_not.items()}

    @property
    def numeric(self):
        return self.choices is None

    def form(self):
        """What an answer looks like, for messages: ``one of "a", "b", "c"`` or ``a number``."""
        if self.numeric:
            return f"a number{f' (in {self.unit})' if self.unit else ''}"
        letters = [f'"{k}"' for k in self.choices]
        return "one of " + ", ".join(letters[:-1]) + " or " + letters[-1]

    def _truth(self, truth):
        value = self.answer if truth is None else truth
        if self.numeric and not isinstance(value, numbers.Real):
            raise ValueError(f"{self.title}: no correct value to compare with; pass the value this run "
                             "measured, check(answer, truth=...).")
        return value

    def evaluate(self, given, truth=None):
        """Check ``given`` and return a :class:`~aecourse.exercises.outcome.Result`. Never raises on the answer.

        Args:
            given: the learner's answer, a letter (any case, surrounding spaces ignored) or a number.
                ``...`` or None (the answer cell as released) is "not attempted".
            truth: for a numeric question whose answer is measured in this run, the measured value.
        """
        if given is None or given is Ellipsis:
            return Result(self.title, NOT_ATTEMPTED)
        expected = self._truth(truth)
        why = self._wrong(given, expected)
        if why is None:
            return Result(self.title, CORRECT, [ANSWER_CASE])
        return Result(self.title, INCORRECT, [], [(ANSWER_CASE, why)])

    def _wrong(self, given, expected):
        """Why ``given`` is wrong, or None when it is right."""
        if self.numeric:
            if isinstance(given, bool) or not isinstance(given, numbers.Real):
                return (f"answer with {self.form()}, like 0.25, not {type(given).__name__} {given!r}"
                        + (" (write the number without quotes)" if isinstance(given, str) else ""))
            if not math.isfinite(given):
                return f"answer with a finite number, not {given}"
            if abs(given - expected) <= self.tolerance:
                return None
            side = "too large" if given > expected else "too small"
            return f"{given:g}{f' {self.unit}' if self.unit else ''} is {side}: look again"
        if not isinstance(given, str):
            return f"answer with {self.form()} (a letter in quotes), not {type(given).__name__} {given!r}"
        letter = given.strip().lower().rstrip(".)")
        if letter not in self.choices:
            return f"{given!r} is not a choice: answer with {self.form()}"
        if letter == str(expected).lower():
            return None
        return f"({letter}) is not it: {self.why_not.get(letter, 'think again about what the figure shows')}"

    def reveal(self, truth=None):
        """The correct answer and the explanation, as one text."""
        expected = self._truth(truth)
        if self.numeric:
            shown = f"{expected:.3g}{f' {self.unit}' if self.unit else ''} (within {self.tolerance:g})"
        else:
            shown = f"({str(expected).lower()}) {self.choices[str(expected).lower()].rstrip('.')}"
        return f"The answer: {shown}. {self.explanation}"

    def check(self, given, truth=None):
        """Show the feedback on ``given``; under nbgrader's autograder raise ``AssertionError`` unless correct.

        Returns None: an answer is not used by the rest of the notebook.
        """
        from .feedback import QuestionFeedback  # ipywidgets is imported only when feedback is shown

        result = self.evaluate(given, truth)
        if os.environ.get("NBGRADER_EXECUTION") and not result.correct:
            raise AssertionError(str(result))
        from IPython.display import display

        display(QuestionFeedback(self, given, result, truth, solutions_shown()))
