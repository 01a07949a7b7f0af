"""The exercise mechanism: check a learner's answer safely, give hints, fall back.

An :class:`Exercise` holds a reference solution, a list of :class:`Case` checks
and hints revealed one at a time. :meth:`Exercise.evaluate` is the plain check
function: it runs every case under a time limit and returns a :class:`Result`,
whatever the learner's code does (raise, loop forever, return the wrong shape,
dtype or NaN, change its inputs). An answer that calls the package's own
implementation of the exercise, or the reference, is marked incorrect: the
exercise is to write it. Every check draws its random inputs anew from a check seed, named in the
feedback of a failed check, so a table of the values one check used fails the next, and
``evaluate(answer, seed=...)`` repeats a check exactly. :meth:`Exercise.check` is what a notebook calls: it shows
the result in a widget and returns what the rest of the notebook should use (the
learner's answer when it passes, a :class:`Fallback` to the reference until then).

Under nbgrader's autograder (``NBGRADER_EXECUTION`` set) ``check`` raises
``AssertionError`` for an answer that does not pass, so the check cell doubles
as a graded test cell. Solutions are shown in self-study only (:func:`.outcome.solutions_shown`).
"""
import inspect
import os
import secrets
import signal
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch

from .expect import call, clone_all, close, drawn_with
from .guard import TORCH, forbidden_functions, watching
from .outcome import CORRECT, INCORRECT, NOT_ATTEMPTED, Fallback, Result, solutions_shown

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)

class TimeLimitExceeded(BaseException):
    """Raised inside learner code that runs past the time limit.

    A ``BaseException``, so that an ``except Exception`` in the learner's code cannot swallow it.
    """


@dataclass
class Case:
    """One check of an answer.

    Most cases compare the answer with the reference on given inputs::

        Case("a batch of 8 images", inputs=lambda: (x_hat, x), mistakes=[...])

    runs ``observe(answer, *inputs())`` and ``observe(reference, *inputs())`` and
    ``compare(got, expected, what)``; when that fails, each
    :class:`~aecourse.exercises.expect.Mistake` may recognise a typical wrong answer and
    say what went wrong instead. A case with a property no comparison
    expresses gives ``test`` instead: ``test(answer)`` raises ``AssertionError(message)``.

    Attributes:
        description: what is checked, in words the learner understands.
        test: a custom check; when given, the other fields are not used.
        inputs: ``inputs() -> tuple`` of arguments, built fresh for every call.
        observe: ``observe(function, *args)``: what is compared; default the result, via
            :func:`~aecourse.exercises.expect.call` (which also fails in-place changes of the inputs).
        compare: ``compare(got, expected, what)`` raises ``AssertionError``; default
            :func:`~aecourse.exercises.expect.close`.
        mistakes: typical wrong answers, tried when the comparison fails (never on a passing answer).
    """

    description: str
    test: Callable = None
    inputs: Callable = None
    observe: Callable = call
    compare: Callable = field(default_factory=close)
    mistakes: Sequence = ()

    def __post_init__(self):
        if (self.test is None) == (self.inputs is None):
            raise ValueError(f"Case {self.description!r}: give either `test` or `inputs`, not both or neither.")

    def run(self, answer, reference):
        """Raise ``AssertionError`` if ``answer`` fails this case."""
        if self.test is not None:
            return self.test(answer)
        args = self.inputs()
        expected = self.observe(reference, *clone_all(args))
        got = self.observe(answer, *args)
        try:
            self.compare(got, expected, "")  # the feedback already names the case
        except AssertionError:
            for mistake in self.mistakes:  # a recognised mistake explains the failure better
                mistake.diagnose(got, expected, args)
            raise


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


def _message(failure):
    """The message of a failed check (a check raises ``AssertionError("...")``), as a plain string."""
    if failure.args and isinstance(failure.args[0], str):
        return failure.args[0]
    return _describe_error(failure)


def _raised_by_learner(error):
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1] in _learner_frames(error)


def _describe_error(error):
    """``TypeError: ... (your code, line 3: return x.sum(2))``: the learner's last line, if any. Never raises."""
    try:
        text = f"{type(error).__name__}: {error}"
    except BaseException:  # an exception whose own message fails
        text = f"{type(error).__name__} (its message could not be shown)"
    try:
        frames = _learner_frames(error)
        if frames and frames[-1].line:
            text += f" (your code, line {frames[-1].lineno}: {frames[-1].line.strip()})"
    except BaseException:
        pass
    return text


def _delegation(used):
    """Why an answer that used what it should have written (``{key: label}``, see :mod:`.guard`) is incorrect."""
    reasons = []
    functions = [label for key, label in used.items() if key != TORCH]
    if functions:
        reasons.append(f"your answer calls {' and '.join(functions)}, which already does what this exercise asks: "
                       "write the computation yourself in the answer cell")
    if TORCH in used:
        reasons.append(f"your answer uses {used[TORCH]}, but this exercise is a formula: write the computation "
                       "yourself with Python arithmetic (+, -, *, //) on the numbers it is given, without tensors, "
                       "layers or torch functions (they measure the result instead of computing it)")
    return "; ".join(reasons)


class Exercise:
    """An auto-checked exercise with hints and a reference solution.

    Args:
        title: shown in the feedback, e.g. ``"Exercise 3: PSNR"``.
        reference: the reference solution, named as the function the learner writes: the package's
            own implementation where the course has one (:func:`aecourse.metrics.psnr` for ``psnr``),
            else ``<name>_reference`` in the notebook's exercise module (``count_parameters_reference``).
        cases: the :class:`Case` checks an answer must pass.
        hints: hints from gentle to explicit, revealed one at a time.
        same_as: functions, modules or packages (or their dotted names, e.g. ``"torch.logsumexp"``,
            ``"torch.distributions"``) that already do what the exercise asks, beyond the package's
            reference, which is always forbidden; an answer
            that calls one of them, in any form (see :mod:`.guard`), is incorrect.
        formula: the exercise is a formula on plain numbers (a size, a count): the answer may not
            use torch at all, since a layer or a test tensor would measure what it should compute.
        build: the notebook's build exercise, a real piece of the method (a training loop, a VAE step),
            checked on tiny models; its table of wrong answers is ``tests/test_build_exercise_nbNN.py`` (notebook
            02's, PCA with an SVD, is in ``tests/test_wrong_answers_nb01_03.py`` with the notebook's others).
        time_limit: seconds that all cases together may take.
    """

    def __init__(self, title, reference, cases, hints=(), same_as=(), formula=False, build=False, time_limit=10.0):
        self.title, self.reference, self.cases, self.build = title, reference, list(cases), build
        self.function_name = reference.__name__.removesuffix("_reference")
        self.hints, self.same_as, self.formula, self.time_limit = list(hints), tuple(same_as), formula, time_limit
        self._hints_shown = 0

    def forbidden(self):
        """What an answer must not call, a :class:`~aecourse.exercises.guard.Forbidden`."""
        return forbidden_functions(self.function_name, self.reference, self.same_as, self.formula)

    def evaluate(self, answer, seed=None):
        """Run every case against ``answer`` and return a :class:`Result`. Never raises.

        The cases draw their random inputs from ``seed``, by default a new one for every check (a
        failed check names it, and ``evaluate(answer, seed=...)`` repeats the check). They run in an
        isolated random stream: checking an answer never changes the random numbers the learner's next
        cell draws.
        """
        if answer is None or answer is Ellipsis:
            return Result(self.title, NOT_ATTEMPTED)
        seed = secrets.randbelow(2 ** 32) if seed is None else seed
        passed, failed, delegated, forbidden = [], [], {}, self.forbidden()
        cases, reference = tuple(self.cases), self.reference  # as they are now, whatever the answer does later

        def guarded(function):
            def watched(*args, **kwargs):
                with watching(forbidden) as calls:
                    try:
                        result = function(*args, **kwargs)
                    finally:
                        for key, label in calls.items():
                            delegated.setdefault(key, label)
                if isinstance(result, torch.nn.Module):  # a module the answer builds is watched while it runs
                    result.forward = guarded(result.forward)
                return result
            return watched

        def run_cases():
            with drawn_with(seed):  # set here: run_with_time_limit may run this in another thread
                for case in cases:
                    try:
                        case.run(guarded(answer), reference)
                        passed.append(case.description)
                    except NotImplementedError:
                        raise
                    except AssertionError as failure:
                        why = ("your code raised " + _describe_error(failure)  # an assert of the learner's own
                               if _raised_by_learner(failure) else _message(failure))
                        failed.append((case.description, why))
                    except Exception as error:
                        failed.append((case.description, "your code raised " + _describe_error(error)))

        try:
            run_with_time_limit(run_cases, self.time_limit)
        except NotImplementedError:
            return Result(self.title, NOT_ATTEMPTED)
        except TimeLimitExceeded:
            failed.append(("time limit", f"your code did not finish within {self.time_limit:g} s "
                                         "(an endless loop, or far too much work?)"))
        except BaseException as error:  # SystemExit, KeyboardInterrupt raised by the answer itself
            failed.append(("running your code", "it raised " + _describe_error(error)))
        if delegated:
            failed.insert(0, ("written in the notebook", _delegation(delegated)))
        if len(passed) + len(failed) < len(cases):
            failed.append(("all checks", "not every check ran"))
        if len(failed) > bool(delegated):  # a check failed: say how to repeat it with the same inputs
            description, why = failed[-1]
            failed[-1] = (description, f"{why} [check seed {seed}: evaluate(answer, seed={seed}) draws the same "
                                       "inputs again]")
        return Result(self.title, CORRECT if not failed else INCORRECT, list(passed), list(failed))

    def hint(self):
        """The next hint (the last one again once all are shown)."""
        if not self.hints:
            return "No hint for this exercise."
        self._hints_shown = min(self._hints_shown + 1, len(self.hints))
        return f"Hint {self._hints_shown} of {len(self.hints)}: {self.hints[self._hints_shown - 1]}"

    def solution(self):
        """Source code of the reference solution (in self-study; not in a graded release)."""
        if not solutions_shown():
            return "Solutions are not shown in a graded release."
        return inspect.getsource(self.reference).replace(self.reference.__name__, self.function_name, 1)

    def use(self, answer, result):
        """What the notebook should use after ``result``: the answer if it passed, else a :class:`Fallback`."""
        return answer if result.correct else Fallback(self, answer)

    def check(self, answer, seed=None):
        """Show the feedback for ``answer`` and return the implementation to use from now on.

        Returns ``answer`` when it passes, otherwise a :class:`Fallback` that computes with
        the reference (the feedback says so), so that the notebook still runs to the end.
        Given a fallback of this exercise (the check cell ran again without its answer cell),
        it checks the learner's answer that the fallback remembers. ``seed`` repeats an earlier
        check (see :meth:`evaluate`).

        Raises:
            AssertionError: only under nbgrader (``NBGRADER_EXECUTION`` set), for an
                answer that does not pass: this is what makes the cell a graded test.
        """
        from .feedback import CheckFeedback  # ipywidgets is imported only when feedback is shown

        if isinstance(answer, Fallback) and answer.exercise is self:
            answer = answer.answer
        result = self.evaluate(answer, seed)
        if os.environ.get("NBGRADER_EXECUTION") and not result.correct:
            raise AssertionError(str(result))
        from IPython.display import display

        display(CheckFeedback(self, answer, result))
        return self.use(answer, result)
