"""The exercise mechanism: check a learner's answer safely, give hints, fall back.

An :class:`Exercise` holds a reference solution, a list of :class:`Case` checks
and hints revealed one at a time. :meth:`Exercise.evaluate` is the plain check
function: it runs every case under a time limit and returns a :class:`Result`,
whatever the learner's code does (raise, loop forever, return the wrong shape,
dtype or NaN, change its inputs). :meth:`Exercise.check` is what a notebook
calls: it shows the result in a widget and returns the implementation the rest
of the notebook should use (the learner's when it passes, the reference until then).

Under nbgrader's autograder (``NBGRADER_EXECUTION`` set) ``check`` raises
``AssertionError`` for an answer that does not pass, so the check cell doubles
as a graded test cell.
"""
import inspect
import os
import signal
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


class TimeLimitExceeded(BaseException):
    """Raised inside learner code that runs past the time limit.

    A ``BaseException``, so that an ``except Exception`` in the learner's code cannot swallow it.
    """


@dataclass
class Case:
    """One check of an answer.

    Attributes:
        description: what is checked, in words the learner understands.
        test: ``test(answer)`` raises ``AssertionError(message)`` when the answer fails;
            any other exception is reported as raised by the learner's code.
    """

    description: str
    test: callable


@dataclass
class Result:
    """Outcome of :meth:`Exercise.evaluate`.

    Attributes:
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


def run_with_time_limit(function, seconds):
    """Call ``function()``; raise :class:`TimeLimitExceeded` after ``seconds``.

    In the main thread on Linux and macOS a timer signal interrupts the code.
    Elsewhere (Windows, other threads) the call runs in a daemon thread that is
    abandoned when the time runs out.
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def interrupt(signum, frame):
            raise TimeLimitExceeded()

        previous = signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed back to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeLimitExceeded()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _learner_frames(error):
    """Traceback frames outside this package and installed libraries: the learner's code."""
    return [f for f in traceback.extract_tb(error.__traceback__)
            if not f.filename.startswith(_PACKAGE_DIR) and "site-packages" not in f.filename]


def _raised_by_learner(error):
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1] in _learner_frames(error)


def _describe_error(error):
    """``TypeError: ... (your code, line 3: return x.sum(2))``: the learner's last line, if any."""
    text = f"{type(error).__name__}: {error}"
    frames = _learner_frames(error)
    if frames and frames[-1].line:
        text += f" (your code, line {frames[-1].lineno}: {frames[-1].line.strip()})"
    return text


class Exercise:
    """An auto-checked exercise with hints and a reference solution.

    Args:
        name: a short title shown in the feedback.
        reference: the reference implementation (used for checking and as fallback).
        cases: the :class:`Case` checks an answer must pass.
        hints: hints from gentle to explicit, revealed one at a time.
        time_limit: seconds that all cases together may take.
    """

    def __init__(self, name, reference, cases, hints=(), time_limit=10.0):
        self.name, self.reference, self.cases = name, reference, list(cases)
        self.hints, self.time_limit = list(hints), time_limit
        self._hints_shown = 0

    def evaluate(self, answer):
        """Run every case against ``answer`` and return a :class:`Result`. Never raises."""
        result = Result(self.name, NOT_ATTEMPTED)
        if answer is None or answer is Ellipsis:
            return result

        def run_cases():
            for case in self.cases:
                try:
                    case.test(answer)
                    result.passed.append(case.description)
                except NotImplementedError:
                    raise
                except AssertionError as failure:
                    why = ("your code raised " + _describe_error(failure)  # an assert of the learner's own
                           if _raised_by_learner(failure) else str(failure))
                    result.failed.append((case.description, why))
                except Exception as error:
                    result.failed.append((case.description, "your code raised " + _describe_error(error)))

        try:
            run_with_time_limit(run_cases, self.time_limit)
        except NotImplementedError:
            return Result(self.name, NOT_ATTEMPTED)
        except TimeLimitExceeded:
            result.failed.append(("time limit", f"your code did not finish within {self.time_limit:g} s "
                                                "(an endless loop, or far too much work?)"))
        except BaseException as error:  # SystemExit, KeyboardInterrupt raised by the answer itself
            result.failed.append(("running your code", "it raised " + _describe_error(error)))
        result.status = CORRECT if not result.failed else INCORRECT
        return result

    def hint(self):
        """The next hint (the last one again once all are shown)."""
        if not self.hints:
            return "No hint for this exercise."
        self._hints_shown = min(self._hints_shown + 1, len(self.hints))
        return f"Hint {self._hints_shown} of {len(self.hints)}: {self.hints[self._hints_shown - 1]}"

    def solution(self):
        """Source code of the reference solution."""
        return inspect.getsource(self.reference)

    def check(self, answer):
        """Show the feedback for ``answer`` and return the implementation to use from now on.

        Returns ``answer`` when it passes, otherwise the reference implementation
        (the feedback says so), so that the notebook still runs to the end.

        Raises:
            AssertionError: only under nbgrader (``NBGRADER_EXECUTION`` set), for an
                answer that does not pass: this is what makes the cell a graded test.
        """
        from ..widgets import CheckFeedback  # widgets import ipywidgets; keep evaluate() light

        result = self.evaluate(answer)
        if os.environ.get("NBGRADER_EXECUTION"):
            assert result.correct, str(result)
        from IPython.display import display
        display(CheckFeedback(self, answer, result))
        return answer if result.correct else self.reference
