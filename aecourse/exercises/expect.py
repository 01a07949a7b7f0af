"""The vocabulary exercises are written in: call an answer safely, compare, recognise mistakes.

An exercise is a list of :class:`~aecourse.exercises.core.Case` objects. Most cases
give *inputs* and let the answer be compared with the reference on them; a few
shared *probes* check properties every answer of a kind must have:

- :func:`call` runs the answer on copies of its inputs and fails it if it changed
  them in place (every case goes through it, so no exercise forgets that check);
- :func:`close`, :func:`exact_int`: how a result is compared with the reference's;
- :class:`Mistake`: a wrong answer learners often give, recognised so the feedback
  says what went wrong ("batch-size times too large");
- :func:`seeded`: a generator for a case's random inputs, drawn anew for every check (:func:`drawn_with`);
- shared probes: :func:`same_shape` (e.g. one value per image), :func:`finite_and_close`
  (no overflow on extreme inputs), :func:`gradients` (gradients flow as in the reference).

Failure messages name the case and show the learner's value, never the answer.
"""
import contextvars
import math
import numbers
import random
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from typing import Callable

import torch

from ..runtime import isolated_rng


def clone_all(args):
    """Fresh copies of the tensors in ``args`` (other values as they are)."""
    return tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args)


def call(answer, *args):
    """Call ``answer(*args)`` on copies of ``args`` and check it left them unchanged.

    The learner's function gets fresh copies (``requires_grad`` kept), so the check's own
    inputs can never be corrupted; changing an input in place is reported as a failure.
    """
    copies = [a.detach().clone().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a
              for a in args]
    before = [c.detach().clone() if isinstance(c, torch.Tensor) else None for c in copies]
    result = answer(*copies)
    for position, (copy, original) in enumerate(zip(copies, before), start=1):
        if original is not None and (copy.shape != original.shape or not torch.equal(copy.detach(), original)):
            raise AssertionError(f"your function changed its input (argument {position}) in place; "
                                 "compute a new tensor instead (avoid operations ending in '_', or `x -= ...`)")
    return result


def _prefix(what):
    """``"what: "``, or nothing when the case's description already says what is checked."""
    return f"{what}: " if what else ""


def _shown(value):
    if isinstance(value, torch.Tensor):
        if value.numel() == 1:
            return f"{value.item():.6g}"
        return f"values starting {[round(v, 6) for v in value.detach().flatten()[:3].tolist()]}"
    return f"{value:.6g}" if isinstance(value, float) else repr(value)[:80]


def expect_number(got, expected, what, rel_tol=1e-6, abs_tol=1e-9):
    """Assert that ``got`` is a finite real number (or one-element tensor) close to ``expected``."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        _plain(got, what)
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (numbers.Integral, float)):
        raise AssertionError(f"{_prefix(what)}expected a number, got {type(got).__name__} {got!r:.80}")
    got = float(got)  # a plain float: a subclass cannot bend the comparison
    if not math.isfinite(got):
        raise AssertionError(f"{_prefix(what)}your result is {got}")
    if not math.isclose(got, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        raise AssertionError(f"{_prefix(what)}your result {got:.6g} is not the correct value")


def _plain(got, what):
    """A tensor subclass could redefine the comparisons themselves: ask for a plain tensor."""
    if type(got) is not torch.Tensor and not isinstance(got, torch.nn.Parameter):
        raise AssertionError(f"{_prefix(what)}expected a plain torch.Tensor, got the subclass {type(got).__name__}")


def expect_float_tensor(got, shape, what):
    """Assert that ``got`` is a plain floating-point tensor of the given shape."""
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"{_prefix(what)}expected a torch.Tensor, got {type(got).__name__}")
    _plain(got, what)
    if got.shape != torch.Size(shape):
        raise AssertionError(f"{_prefix(what)}expected shape {tuple(shape)}, got {tuple(got.shape)}")
    if not got.is_floating_point():
        raise AssertionError(f"{_prefix(what)}expected a floating-point tensor, got dtype {got.dtype}")


def expect_tensor(got, expected, what, rtol=1e-4, atol=1e-5):
    """Assert that ``got`` is a finite floating tensor of ``expected``'s shape and values."""
    expect_float_tensor(got, expected.shape, what)
    if not torch.isfinite(got).all():
        raise AssertionError(f"{_prefix(what)}your result contains NaN or infinity")
    got = got.detach().to(expected.dtype).cpu()
    if not torch.allclose(got, expected.detach().cpu(), rtol=rtol, atol=atol):
        raise AssertionError(f"{_prefix(what)}your result ({_shown(got)}) is not the correct value")


def close(rtol=1e-4, atol=1e-5):
    """Compare a result with the reference's: tensors by shape and values, numbers by value."""
    def compare(got, expected, what):
        if isinstance(expected, torch.Tensor):
            expect_tensor(got, expected, what, rtol=rtol, atol=atol)
        else:
            expect_number(got, expected, what, rel_tol=rtol, abs_tol=atol)
    return compare


def exact_int():
    """Compare a whole-number result (a count, a size) exactly; it must be an integer, not a float."""
    def compare(got, expected, what):
        if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_floating_point():
            got = got.item()
        if isinstance(got, float) and got.is_integer():
            raise AssertionError(f"{_prefix(what)}you returned the float {got}; this is a whole number, "
                                 "so use integer division // instead of /")
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            raise AssertionError(f"{_prefix(what)}expected a whole number (int), got {type(got).__name__} {got!r:.80}")
        got = int(got)  # a plain int: a subclass cannot bend the comparison
        if got != expected:
            raise AssertionError(f"{_prefix(what)}your result {got} is not the correct value")
    return compare


@dataclass
class Mistake:
    """A wrong answer learners often give, and what to tell them when it is recognised.

    Mistakes are consulted only when an answer has already failed its comparison.

    Attributes:
        message: the feedback, saying what went wrong without giving the answer away; a string,
            or ``message(got, expected, *inputs) -> str`` to show what the learner returned.
        looks_like: ``looks_like(got, expected, *inputs) -> bool``; an error inside it counts as
            "no" (it is given whatever the learner returned).
    """

    message: object
    looks_like: Callable

    def diagnose(self, got, expected, args):
        try:
            recognised = bool(self.looks_like(got, expected, *args))
        except Exception:  # the learner's value may be anything
            recognised = False
        if recognised:
            raise AssertionError(self.message(got, expected, *args) if callable(self.message) else self.message)


def ratio(got, expected):
    """``got / expected`` as a float, for mistakes such as "batch-size times too large"."""
    got = got.detach().cpu() if isinstance(got, torch.Tensor) else torch.tensor(float(got))
    return float(got.double().reshape(()) / torch.as_tensor(expected).detach().cpu().double().reshape(()))


_CHECK_SEED = contextvars.ContextVar("check_seed", default=None)


@contextmanager
def drawn_with(check_seed):
    """Inside, cases draw their inputs from ``check_seed``: :func:`seeded` mixes it into every generator, and
    torch's global generator (what ``torch.rand_like`` in an answer draws from) starts from it, isolated from
    the learner's random numbers. :meth:`~aecourse.exercises.core.Exercise.evaluate` draws a new one per check."""
    token = _CHECK_SEED.set(check_seed)
    try:
        with isolated_rng(check_seed):
            yield
    finally:
        _CHECK_SEED.reset(token)


def seeded(seed):
    """A ``torch.Generator`` for the inputs of a case: ``seed`` tells a case's draws apart.

    Within a check (:func:`drawn_with`) the generator is seeded with a mix of ``seed`` and the check's seed, so
    every check draws new inputs (an answer that looks up the values one check saw fails the next) while the
    same check seed draws the same ones again. Outside a check it is seeded with ``seed`` alone. The answer
    and the reference see the same inputs: a case builds them once and gives both a copy.
    """
    check_seed = _CHECK_SEED.get()
    if check_seed is not None:
        seed = random.Random(f"{check_seed}/{seed}").getrandbits(63)
    return torch.Generator().manual_seed(seed)


# --- shared probes ---------------------------------------------------------------------------------
# Each returns the ``compare`` or ``observe`` step of a Case: ``Case(description, inputs=..., compare=same_shape())``.

def same_shape():
    """Compare only the kind of result: a floating tensor of the reference's shape and dtype
    (e.g. one value per image)."""
    def compare(got, expected, what):
        expect_float_tensor(got, expected.shape, what)
        if got.dtype != expected.dtype:
            raise AssertionError(f"{_prefix(what)}expected dtype {expected.dtype}, got {got.dtype}")
    return compare


def finite_and_close(rtol=1e-4, atol=1e-5):
    """Compare like :func:`close`, first saying so plainly if the result overflowed to NaN or infinity."""
    def compare(got, expected, what):
        if isinstance(got, torch.Tensor) and got.is_floating_point() and not torch.isfinite(got).all():
            raise AssertionError(f"{_prefix(what)}your result is {_shown(got)}, not finite: rewrite it so that no step "
                                 "overflows or takes the log of 0")
        close(rtol, atol)(got, expected, what)
    return compare


def gradients(wrt=(0,)):
    """Observe the gradients of the (summed) result with respect to the arguments ``wrt``, not the result.

    Compared with the reference's gradients, this catches ``.item()``, NumPy, ``.detach()`` and
    anything else that cuts the graph, and gradients that reach the wrong places.
    """
    def observe(function, *args):
        leaves = tuple(a.detach().clone().requires_grad_(True) if i in wrt else a for i, a in enumerate(args))
        out = function(*leaves)
        if not isinstance(out, torch.Tensor) or out.grad_fn is None:
            raise AssertionError("your result is not connected to its inputs' gradients, so loss.backward() cannot "
                                 "train a model with it: compute it with torch operations only (no .item(), NumPy, "
                                 "Python floats or .detach())")
        out.sum().backward()
        for i in wrt:
            if leaves[i].grad is None:
                raise AssertionError(f"no gradient reaches argument {i + 1}")
        return torch.cat([leaves[i].grad.flatten() for i in wrt])
    return observe


# --- the contract every answer keeps: numbers, dtypes, devices, its inputs ----------------------------

def whole_number():
    """Compare like :func:`~.expect.exact_int`, and ask for a plain number: a tensor, even a 0-d one, is not
    the ``int`` a count or a size is."""
    compare = exact_int()

    def check(got, expected, what):
        if isinstance(got, torch.Tensor):
            raise AssertionError(f"you returned a tensor ({got!r:.60}); a count or a size is a plain whole number: "
                                 "compute it with Python arithmetic on the numbers given (or convert with int(...))")
        compare(got, expected, what)
    return check


def keeps_dtype(compare):
    """``compare``, then: a tensor result has the reference's dtype (float32 inputs give a float32 result)."""
    def checked(got, expected, what):
        compare(got, expected, what)
        if isinstance(expected, torch.Tensor) and got.dtype != expected.dtype:
            raise AssertionError(f"{what + ': ' if what else ''}your result is {got.dtype}, for {expected.dtype} "
                                 f"inputs: keep the inputs' dtype ({expected.dtype}), without .double(), NumPy or "
                                 "torch.tensor(...) of your own")
    return checked


def on_another_device(answer, args, advice):
    """Run ``answer`` on ``args`` moved to PyTorch's "meta" device, which stands in for a GPU (a tensor there has
    a device and a shape, no values): a tensor the answer makes on the CPU (``torch.ones(n, 1)``,
    ``torch.randn(shape)``) fails there as it would on a GPU. The result must be on that device too.
    An answer whose operations cannot run on "meta" for another reason is not judged here."""
    try:
        result = answer(*(a.to("meta") if isinstance(a, torch.Tensor) else a for a in args))
    except (NotImplementedError, RuntimeError, TypeError, ValueError) as error:
        if isinstance(error, RuntimeError) and "device" in str(error):
            raise AssertionError("your function fails when its inputs are on a GPU: " + advice) from None
        return
    if isinstance(result, torch.Tensor) and result.device != torch.device("meta"):
        raise AssertionError(f"for inputs on a GPU your result is on the {result.device.type}, not on the inputs' "
                             "device: " + advice)


def keeping_lists(function, *args):
    """Observe ``function(*args)`` like :func:`~.expect.call`, and fail it if it changed a list it was given."""
    given = [deepcopy(a) if isinstance(a, list) else a for a in args]
    result = call(function, *given)
    for position, (after, before) in enumerate(zip(given, args), start=1):
        if isinstance(before, list) and after != before:
            raise AssertionError(f"your function changed the list it was given (argument {position}) in place, e.g. "
                                 "with .pop(), .reverse() or del; the caller still needs it: read it, do not change it")
    return result


def drawn(seed, low, high, size):
    """``size`` whole numbers in ``[low, high)``, drawn for a case (anew for every check, see ``seeded``)."""
    return torch.randint(low, high, (size,), generator=seeded(seed)).tolist()


def sgd(parameters, lr=0.1):
    """Plain SGD for the tiny models a build exercise's cases train."""
    return torch.optim.SGD(parameters, lr=lr)


def adam(parameters, lr=0.01):
    """Adam, the optimiser ``fit`` uses, for the tiny models a build exercise's cases train."""
    return torch.optim.Adam(parameters, lr=lr)


def a_run_seed(seed):
    """``inputs`` of a case that runs tiny models (a build exercise): one seed for the run, drawn anew per check."""
    return lambda: (drawn(seed, 0, 2**31 - 1, 1)[0],)
