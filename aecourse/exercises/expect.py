"""Building blocks for exercise cases: call learner code safely, compare with care.

Failure messages name the case and show the learner's value, never the answer.
"""
import math

import torch


def _snapshot(value):
    return value.detach().clone() if isinstance(value, torch.Tensor) else None


def call(answer, *args):
    """Call ``answer(*args)`` on copies of ``args`` and check it left them unchanged.

    The learner's function gets fresh copies, so the check's own inputs can
    never be corrupted; changing an input in place is reported as a failure.
    """
    copies = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    before = [_snapshot(c) for c in copies]
    result = answer(*copies)
    for position, (copy, original) in enumerate(zip(copies, before), start=1):
        if original is not None and (copy.shape != original.shape or not torch.equal(copy, original)):
            raise AssertionError(f"your function changed its input (argument {position}) in place; "
                                 "compute a new tensor instead (avoid operations ending in '_', or `x -= ...`)")
    return result


def expect_number(got, expected, what, rel_tol=1e-6, abs_tol=1e-9):
    """Assert that ``got`` is a finite real number close to ``expected``."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise AssertionError(f"{what}: expected a number, got {type(got).__name__} {got!r:.80}")
    if not math.isfinite(got):
        raise AssertionError(f"{what}: your result is {got}")
    if not math.isclose(got, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        raise AssertionError(f"{what}: your result {got:.6g} is not the correct value")


def expect_float_tensor(got, shape, what):
    """Assert that ``got`` is a floating-point tensor of the given shape."""
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(got).__name__}")
    if got.shape != shape:
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got {tuple(got.shape)}")
    if not got.is_floating_point():
        raise AssertionError(f"{what}: expected a floating-point tensor, got dtype {got.dtype}")


def expect_tensor(got, expected, what, rtol=1e-4, atol=1e-5):
    """Assert that ``got`` is a finite floating tensor of ``expected``'s shape and values."""
    expect_float_tensor(got, expected.shape, what)
    if not torch.isfinite(got).all():
        raise AssertionError(f"{what}: your result contains NaN or infinity")
    got = got.detach().to(expected.dtype).cpu()
    if not torch.allclose(got, expected.detach().cpu(), rtol=rtol, atol=atol):
        shown = f"{got.item():.6g}" if got.numel() == 1 else f"values starting {got.flatten()[:3].tolist()}"
        raise AssertionError(f"{what}: your result ({shown}) is not the correct value")
