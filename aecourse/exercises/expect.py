"""The vocabulary exercises are written in: call an answer safely, compare, recognise mistakes.

An exercise is a list of :class:`~aecourse.exercises.core.Case` objects. Most cases
give *inputs* and let the answer be compared with the reference on them; a few
shared *probes* check properties every answer of a kind must have:

- :func:`call` runs the answer on copies of its inputs and fails it if it changed
  them in place (every case goes through it, so no exercise forgets that check);
- :func:`close`, :func:`exact_int`: how a result is compared with the reference's;
- :class:`Mistake`: a wrong answer learners often give, recognised so the feedback
  says what went wrong ("batch-size times too large");
- shared probes: :func:`same_shape` (e.g. one value per image), :func:`finite_and_close`
  (no overflow on extreme inputs), :func:`gradients` (gradients flow as in the reference).

Failure messages name the case and show the learner's value, never the answer.
"""
import math
import numbers
from dataclasses import dataclass
from typing import Callable

import torch


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


def seeded(seed):
    """A ``torch.Generator`` seeded with ``seed``: inputs of a case are the same on every run."""
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
