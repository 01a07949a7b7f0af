"""Notebook 03's build exercise, a transposed convolution by stamping (issue 25, item 3).

Every wrong answer comes out INCORRECT with the phrase its feedback must contain; the reference (run directly
through the cases) and a correct answer written differently (``F.fold``) come out CORRECT under 20 check seeds,
and so does the worked solution in the notebook's text source.
"""
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse.exercises import CORRECT, INCORRECT, nb03
from aecourse.exercises.expect import drawn_with
from aecourse.runtime import isolated_rng

EXERCISE = nb03.conv_transpose2d
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_convolutional_autoencoders.md"
SEEDS = range(20)


def folded(x, weight, stride=1, padding=0):
    """Correct, and not the reference's loop: all stamps at once as columns, added up by F.fold."""
    batch, _, height, width = x.shape
    c_out, k = weight.shape[1], weight.shape[-1]
    columns = torch.einsum("bchw,cokl->boklhw", x, weight).reshape(batch, c_out * k * k, height * width)
    full = F.fold(columns, ((height - 1) * stride + k, (width - 1) * stride + k), k, stride=stride)
    return full[..., padding:full.shape[-2] - padding, padding:full.shape[-1] - padding]


def index_added(x, weight, stride=1, padding=0):
    """Correct, a third way: a loop over the kernel's taps, each adding a stride-spaced grid of the output."""
    batch, _, height, width = x.shape
    c_out, k = weight.shape[1], weight.shape[-1]
    out = torch.zeros(batch, c_out, (height - 1) * stride + k, (width - 1) * stride + k, dtype=x.dtype,
                      device=x.device)
    for a in range(k):
        for b in range(k):
            grid = torch.zeros_like(out)
            grid[..., a:a + (height - 1) * stride + 1:stride, b:b + (width - 1) * stride + 1:stride] = \
                torch.einsum("bchw,co->bohw", x, weight[:, :, a, b])
            out = out + grid
    return out[..., padding:out.shape[-2] - padding, padding:out.shape[-1] - padding]


def stamp(x, weight, stride=1, padding=0, *, flip=False, taps=1, spacing=None, extra=0, crop="each",
          channels="bc,cokl->bokl", zeros=lambda x, *shape: x.new_zeros(*shape)):
    """A stamping loop with the parts a hurried learner gets wrong as arguments: ``taps`` spaces the kernel's taps,
    ``spacing`` the stamps (default the stride), ``extra`` pixels added to the stamped size, ``crop`` how the
    padding is handled, ``channels`` the einsum that makes a stamp, ``zeros`` how the output is made."""
    spacing = stride if spacing is None else spacing
    kernel = weight.flip(-2, -1) if flip else weight
    batch, _, height, width = x.shape
    k = weight.shape[-1]
    reach = (k - 1) * taps + 1
    out_channels = torch.einsum(channels, x[:, :, 0, 0], kernel).shape[1]
    full = zeros(x, batch, out_channels, (height - 1) * spacing + reach + extra, (width - 1) * spacing + reach + extra)
    for i in range(height):
        for j in range(width):
            full[:, :, i * spacing:i * spacing + reach:taps, j * spacing:j * spacing + reach:taps] += torch.einsum(
                channels, x[:, :, i, j], kernel)
    if crop == "each":
        return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
    if crop == "minus":
        return full[:, :, padding:-padding, padding:-padding]
    if crop == "one side":
        return full[:, :, 2 * padding:, 2 * padding:]
    if crop == "pad":
        return F.pad(full, (padding,) * 4)
    return full


def padding_the_input(x, weight, stride=1, padding=0):
    return stamp(F.pad(x, (padding,) * 4), weight, stride, padding, crop="none")


def changing_its_input(x, weight, stride=1, padding=0):
    x.unsqueeze_(2)  # (B, C_in, 1, H, W), to broadcast against the kernel
    return stamp(x[:, :, 0], weight, stride, padding)


def through_numpy(x, weight, stride=1, padding=0):
    x_np, w_np = x.detach().numpy(), weight.detach().numpy()
    return torch.from_numpy(stamp(torch.from_numpy(x_np), torch.from_numpy(w_np), stride, padding).numpy())


def with_scipy(x, weight, stride=1, padding=0):
    """Zeros between the input pixels, then scipy's full 2-D convolution (which stamps): NumPy, no gradients."""
    batch, c_in, height, width = x.shape
    spread = np.zeros((batch, c_in, (height - 1) * stride + 1, (width - 1) * stride + 1), dtype=np.float64)
    spread[:, :, ::stride, ::stride] = x.detach().numpy()
    w = weight.detach().numpy()
    out = np.stack([np.stack([sum(scipy.signal.convolve2d(spread[b, c], w[c, o]) for c in range(c_in))
                              for o in range(w.shape[1])]) for b in range(batch)])
    out = torch.from_numpy(out).to(x.dtype)
    return out[..., padding:out.shape[-2] - padding, padding:out.shape[-1] - padding]


# --- delegation in the forms the guard must see through ---------------------------------------------

def module(x, weight, stride=1, padding=0):
    layer = nn.ConvTranspose2d(weight.shape[0], weight.shape[1], weight.shape[-1], stride, padding, bias=False)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer(x)


def conv2d_input(x, weight, stride=1, padding=0):
    height, width = ((n - 1) * stride - 2 * padding + weight.shape[-1] for n in x.shape[-2:])
    return torch.nn.grad.conv2d_input((x.shape[0], weight.shape[1], height, width), weight, x, stride, padding)


def autograd_through_conv2d(x, weight, stride=1, padding=0):
    """The gradient of a convolution with respect to its input is the transposed convolution."""
    height, width = ((n - 1) * stride - 2 * padding + weight.shape[-1] for n in x.shape[-2:])
    z = torch.zeros(x.shape[0], weight.shape[1], height, width, dtype=x.dtype, requires_grad=True)
    return torch.autograd.grad(F.conv2d(z, weight, stride=stride, padding=padding), z, x, create_graph=True)[0]


def autograd_through_conv2d_module(x, weight, stride=1, padding=0):
    layer = nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[-1], stride, padding, bias=False)
    layer.weight.data = weight
    height, width = ((n - 1) * stride - 2 * padding + weight.shape[-1] for n in x.shape[-2:])
    z = torch.zeros(x.shape[0], weight.shape[1], height, width, dtype=x.dtype, requires_grad=True)
    return torch.autograd.grad(layer(z), z, x, create_graph=True)[0]


def direct_convolution(x, weight, stride=1, padding=0):
    """Zeros between the input pixels, k - 1 - padding around them, and a convolution with the flipped kernel."""
    batch, c_in, height, width = x.shape
    k = weight.shape[-1]
    spread = x.new_zeros(batch, c_in, (height - 1) * stride + 1, (width - 1) * stride + 1)
    spread[:, :, ::stride, ::stride] = x
    return F.conv2d(spread, weight.flip(-2, -1).transpose(0, 1), padding=k - 1 - padding)


def as_conv_transpose3d(x, weight, stride=1, padding=0):
    return F.conv_transpose3d(x[:, :, None], weight[:, :, None], stride=(1, stride, stride),
                              padding=(0, padding, padding))[:, :, 0]


def row_by_row_1d(x, weight, stride=1, padding=0):
    """One 1-D transposed convolution per input row and kernel row, placed stride rows apart."""
    batch, c_in, height, width = x.shape
    k = weight.shape[-1]
    full = x.new_zeros(batch, weight.shape[1], (height - 1) * stride + k, (width - 1) * stride + k)
    for i in range(height):
        for a in range(k):
            full[:, :, i * stride + a] += F.conv_transpose1d(x[:, :, i], weight[:, :, a], stride=stride)
    return full[..., padding:full.shape[-2] - padding, padding:full.shape[-1] - padding]


def aten(x, weight, stride=1, padding=0):
    return torch.ops.aten.convolution.default(x, weight, None, [stride] * 2, [padding] * 2, [1, 1], True, [0, 0], 1)


WRONG = [
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, flip=True), "you flipped the kernel"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, taps=s, spacing=1), "applied the stride to the kernel"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, taps=s), "applied the stride to the kernel"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, spacing=1), "stamps sit 1 pixel apart"),  # the stride ignored
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, crop="none"), "did not crop the padding"),  # padding ignored
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, crop="pad"), "added padding instead of cropping"),
    (padding_the_input, "added padding instead of cropping"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, crop="minus"), "-0 is 0"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, crop="one side"), "from *each* border"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, channels="bc,ockl->bokl"), "(C_out, C_in, k, k), as nn.Conv2d"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, channels="bc,cokl->bckl"), "channels, not C_out"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, channels="bc,cokl->bckl") if x.shape[1] == w.shape[1]
     else stamp(x, w, s, p), "summed over the output channels"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, extra=s - 1), "one pixel off"),  # H * stride + k - 1 high
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, zeros=lambda x, *shape: torch.zeros(*shape, device=x.device)),
     "dtype"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p, zeros=lambda x, *shape: torch.zeros(*shape, dtype=x.dtype)),
     "GPU"),
    (changing_its_input, "in place"),
    (through_numpy, "not connected"),
    (lambda x, w, s=1, p=0: stamp(x, w, s, p).detach(), "not connected"),
    (with_scipy, "not connected"),
    (lambda x, w, s=1, p=0: stamp(x[:1], w, s, p), "expected shape"),  # the first image only
    (lambda x, w, s=1, p=0: stamp(x, w, s, p) / x.shape[1], None),  # the mean over input channels, not the sum
    (lambda x, w, s=1, p=0: torch.zeros_like(stamp(x, w, s, p)), None),  # the right shape, nothing stamped
    (lambda x, w, s=1, p=0: F.conv_transpose2d(x, w, stride=s, padding=p), "torch.conv_transpose2d"),
    (lambda x, w, s=1, p=0: torch.conv_transpose2d(x, w, stride=s, padding=p), "torch.conv_transpose2d"),
    (module, "torch.nn.ConvTranspose2d.forward"),
    (conv2d_input, "torch.nn.grad"),
    (autograd_through_conv2d, "torch.conv2d"),
    (autograd_through_conv2d_module, "torch.conv2d"),
    (direct_convolution, "torch.conv2d"),
    (lambda x, w, s=1, p=0: torch.convolution(x, w, None, [s] * 2, [p] * 2, [1, 1], True, [0, 0], 1),
     "torch.convolution"),
    (as_conv_transpose3d, "conv_transpose3d"),
    (row_by_row_1d, "conv_transpose1d"),
    (aten, "torch.ops.aten.convolution.default"),
    (lambda x, w, s=1, p=0: torch.ops.aten.conv_transpose2d.input(x, w, None, [s] * 2, [p] * 2),
     "torch.ops.aten.conv_transpose2d.input"),
    (lambda x, w, s=1, p=0: torch.ops.aten.conv_transpose2d(x, w, None, [s] * 2, [p] * 2), "conv_transpose2d"),
    (lambda x, w, s=1, p=0: torch._C._nn.slow_conv_transpose2d(x, w, [w.shape[-1]] * 2, None, [s] * 2, [p] * 2),
     "slow_conv_transpose2d"),
]


def test_the_reference_is_pytorchs_transposed_convolution():
    g = torch.Generator().manual_seed(0)
    for stride in (1, 2, 3):
        for padding in (0, 1):
            for kernel in (1, 2, 3, 4):
                for c_in, c_out in ((1, 1), (2, 3), (3, 2)):
                    for height, width in ((1, 1), (3, 4), (5, 2)):
                        if (min(height, width) - 1) * stride + kernel - 2 * padding < 1:
                            continue
                        x = torch.randn(2, c_in, height, width, generator=g)
                        weight = torch.randn(c_in, c_out, kernel, kernel, generator=g)
                        expected = F.conv_transpose2d(x, weight, stride=stride, padding=padding)
                        for answer in (nb03.conv_transpose2d_reference, folded, index_added):
                            got = answer(x, weight, stride, padding)
                            assert got.shape == expected.shape
                            assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_the_reference_passes_its_cases_under_20_check_seeds():
    for seed in (None, *SEEDS):  # outside a check, and the inputs of 20 checks
        with isolated_rng(0) if seed is None else drawn_with(seed):
            for case in EXERCISE.cases:  # run directly: evaluate() would call the reference delegation
                case.run(EXERCISE.reference, EXERCISE.reference)


@pytest.mark.parametrize("answer", [folded, index_added])
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_correct_answers_written_differently_pass_under_20_check_seeds(answer):
    for seed in SEEDS:
        result = EXERCISE.evaluate(answer, seed=seed)
        assert result.status == CORRECT, str(result)


def worked_solution():
    """The function the notebook's answer cell defines, its worked solution in place."""
    text = NOTEBOOK.read_text()
    cell = re.search(r"\n(def conv_transpose2d\(.*?### END SOLUTION\n)", text, re.S).group(1)
    namespace = {"torch": torch, "nn": nn}
    exec(cell, namespace)
    return namespace["conv_transpose2d"]


def test_the_notebooks_worked_solution_is_correct():
    solution = worked_solution()
    for seed in range(3):
        result = EXERCISE.evaluate(solution, seed=seed)
        assert result.status == CORRECT, str(result)


def test_the_demonstration_shows_the_uneven_overlap_of_kernel_3_and_stride_2():
    stamps = worked_solution()(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert stamps.tolist() == [[1, 1, 2, 1, 1], [1, 1, 2, 1, 1], [2, 2, 4, 2, 2], [1, 1, 2, 1, 1], [1, 1, 2, 1, 1]]


def test_at_least_six_wrong_answers_and_every_listed_mistake_named():
    assert len(WRONG) >= 6
    named = " ".join(phrase for _, phrase in WRONG if phrase)
    for mistake in ("flipped the kernel", "stride to the kernel", "instead of cropping", "as nn.Conv2d",
                    "one pixel off"):
        assert mistake in named


@pytest.mark.parametrize("index", range(len(WRONG)))
def test_a_wrong_answer_is_incorrect_and_the_feedback_says_why(index):
    wrong, phrase = WRONG[index]
    for seed in (0, 1, 2):
        result = EXERCISE.evaluate(wrong, seed=seed)
        assert result.status == INCORRECT, f"marked correct: {result}"
        feedback = " ".join(why for _, why in result.failed)  # what the checks said, not the names of the checks
        assert phrase is None or phrase in feedback, str(result)


def test_a_named_mistake_never_fires_on_a_correct_answer():
    """The mistakes are consulted only when a comparison fails; here every one is asked directly."""
    with drawn_with(7):
        for case in EXERCISE.cases:
            if case.inputs is None or not case.mistakes:
                continue
            args = case.inputs()
            expected = nb03.conv_transpose2d_reference(*args)
            for mistake in case.mistakes:
                mistake.diagnose(folded(*args), expected, args)  # raises AssertionError if it fires


def test_one_check_is_quick():
    import time

    solution = worked_solution()
    EXERCISE.evaluate(folded, seed=0)  # warm up
    start = time.perf_counter()
    assert EXERCISE.evaluate(solution, seed=1).status == CORRECT
    assert time.perf_counter() - start < 2.0


def test_it_is_marked_as_the_notebooks_build_exercise():
    assert EXERCISE.build and not any(getattr(getattr(nb03, name), "build", False) for name in (
        "conv_parameters", "conv_output_size", "transposed_output_size", "make_decoder", "receptive_field"))
