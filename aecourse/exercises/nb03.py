"""Exercises of notebook 03, convolutional autoencoders."""
import torch
import torch.nn as nn

from .core import Case, Exercise
from .expect import Mistake, call, exact_int, expect_float_tensor, seeded

# --- Exercise 1: parameters of a convolution --------------------------------------------------

def conv_parameters_reference(in_channels, out_channels, kernel):
    """Weights and biases of nn.Conv2d(in_channels, out_channels, kernel)."""
    return in_channels * out_channels * kernel * kernel + out_channels


WEIGHTS_ONLY = Mistake(lambda got, expected, c_in, c_out, k: f"for ({c_in}, {c_out}, {k}) you counted the weights "
                                                             "only; every output channel also has a bias",
                       lambda got, expected, c_in, c_out, k: got == expected - c_out)


def _conv(c_in, c_out, kernel, description):
    return Case(description, inputs=lambda: (c_in, c_out, kernel), compare=exact_int(), mistakes=[WEIGHTS_ONLY])


conv_parameters = Exercise(
    "Exercise 1: parameters of a convolution",
    conv_parameters_reference,
    cases=[
        _conv(1, 16, 3, "nn.Conv2d(1, 16, 3): 16 filters of 3 x 3"),
        _conv(16, 32, 3, "many input channels: (16, 32, 3)"),
        _conv(32, 32, 7, "a large kernel: (32, 32, 7)"),
        _conv(64, 4, 1, "a 1 x 1 convolution (64, 4, 1)"),
    ],
    hints=[
        "Each output channel has one kernel per input channel, and one bias.",
        "The weight tensor has shape (out_channels, in_channels, kernel, kernel); the bias has out_channels numbers.",
        "in_channels * out_channels * kernel * kernel + out_channels. The image size does not appear.",
    ],
    same_as=["torch.nn.Conv2d.__init__"],  # building the layer and counting is measuring, not the formula
)


# --- Exercise 2: output size of a convolution -------------------------------------------------

def conv_output_size_reference(size, kernel, stride=1, padding=0):
    """Height (or width) of nn.Conv2d's output for an input of height `size`."""
    return (size + 2 * padding - kernel) // stride + 1


def _size_case(description, *settings):
    return Case(description, inputs=lambda: settings, compare=exact_int())


conv_output_size = Exercise(
    "Exercise 2: output size of a convolution",
    conv_output_size_reference,
    cases=[
        _size_case("stride 1: 28 -> 26 with a 3 x 3 kernel", 28, 3, 1, 0),
        _size_case("stride 1, padding 1 keeps 28", 28, 3, 1, 1),
        _size_case("stride 2 halves: 28 -> 14", 28, 3, 2, 1),
        _size_case("stride 2 halves: 14 -> 7", 14, 3, 2, 1),
        _size_case("sizes that do not divide evenly: 7 -> 4", 7, 3, 2, 1),
        _size_case("a kernel as large as the input: 7 -> 1", 7, 7, 1, 0),
        _size_case("an input 10 million pixels high (the formula, not a test tensor)", 10_000_000, 5, 3, 2),
    ],
    hints=[
        "Padding adds `padding` pixels on each side, so the kernel slides over size + 2 * padding pixels.",
        "The kernel fits at (size + 2 * padding - kernel) + 1 positions with stride 1; a stride s keeps every s-th.",
        "(size + 2 * padding - kernel) // stride + 1",
    ],
    same_as=["torch.nn.Conv2d.__init__", "torch.conv2d"],  # running a convolution is measuring, not the formula
)


# --- Exercise 3: output size of a transposed convolution --------------------------------------

def transposed_output_size_reference(size, kernel, stride=1, padding=0, output_padding=0):
    """Height (or width) of nn.ConvTranspose2d's output for an input of height `size`."""
    return (size - 1) * stride - 2 * padding + kernel + output_padding


transposed_output_size = Exercise(
    "Exercise 3: output size of a transposed convolution",
    transposed_output_size_reference,
    cases=[
        _size_case("stride 1: 1 -> 7 with a 7 x 7 kernel", 1, 7, 1, 0, 0),
        _size_case("stride 1, padding 1 keeps 5", 5, 3, 1, 1, 0),
        _size_case("stride 2 doubles: 7 -> 14", 7, 3, 2, 1, 1),
        _size_case("stride 2 doubles: 14 -> 28", 14, 3, 2, 1, 1),
        _size_case("kernel 4, stride 2: 7 -> 14 without output_padding", 7, 4, 2, 1, 0),
        _size_case("without output_padding: 7 -> 13", 7, 3, 2, 1, 0),
        _size_case("an input 10 million pixels high (the formula, not a test tensor)", 10_000_000, 5, 3, 0, 2),
    ],
    hints=[
        "A transposed convolution undoes the size arithmetic of a convolution: solve the convolution's formula "
        "for the input size.",
        "Each of the size input pixels is placed stride apart ((size - 1) * stride + 1 positions) and spread "
        "by the kernel; padding trims the border on each side.",
        "(size - 1) * stride - 2 * padding + kernel + output_padding",
    ],
    same_as=["torch.nn.ConvTranspose2d.__init__", "torch.conv_transpose2d"],
)


# --- Exercise 4: a decoder that returns 28 x 28 -----------------------------------------------

def make_decoder_reference():
    """A new decoder: (B, 32, 7, 7) feature maps -> (B, 1, 28, 28) images in [0, 1]."""
    return nn.Sequential(
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # (B, 16, 14, 14)
        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),  # (B, 1, 28, 28)
    )


def _a_module(answer):
    decoder = call(answer)
    if not isinstance(decoder, nn.Module):
        raise AssertionError(f"make_decoder() should return an nn.Module (e.g. an nn.Sequential), "
                             f"got {type(decoder).__name__}")
    if not any(p.requires_grad for p in decoder.parameters()):
        raise AssertionError("your decoder has no trainable parameters: it cannot learn anything")
    return decoder


def _shape_and_range(answer):
    out = _a_module(answer)(torch.randn(5, 32, 7, 7, generator=seeded(0)) * 3)
    expect_float_tensor(out, (5, 1, 28, 28), "the decoder's output for (5, 32, 7, 7) feature maps")
    if out.min() < 0 or out.max() > 1:
        raise AssertionError(f"pixels must lie in [0, 1]; yours range from {out.min().item():.3g} to "
                             f"{out.max().item():.3g}. Which activation squeezes any number into (0, 1)?")


def _learns(answer):
    decoder = _a_module(answer)
    decoder(torch.randn(2, 32, 7, 7, generator=seeded(1))).sum().backward()
    if all(p.grad is None or not p.grad.any() for p in decoder.parameters()):
        raise AssertionError("no gradient reaches your decoder's parameters")
    if any(isinstance(m, nn.Upsample) for m in decoder.modules()):
        raise AssertionError("this exercise is about transposed convolutions: nn.Upsample grows the maps by a fixed "
                             "rule (the checkerboard section compares the two); grow them with nn.ConvTranspose2d")
    if not any(isinstance(m, nn.ConvTranspose2d) and max(m.stride) > 1 for m in decoder.modules()):
        raise AssertionError("grow the maps with transposed convolutions: nn.ConvTranspose2d with stride 2")


make_decoder = Exercise(
    "Exercise 4: a decoder that returns 28 x 28",
    make_decoder_reference,
    cases=[
        Case("returns a module with trainable parameters", _a_module),
        Case("maps (5, 32, 7, 7) to (5, 1, 28, 28), pixels in [0, 1]", _shape_and_range),
        Case("grows the maps with transposed convolutions, gradients flow", _learns),
    ],
    hints=[
        "7 -> 14 -> 28: two layers that each double the height and width. Exercise 3 tells you which settings do.",
        "nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1) takes 7 x 7 to 14 x 14.",
        "Two such layers (32 -> 16 -> 1 channels) with a ReLU between them and nn.Sigmoid() at the end.",
    ],
)


# --- Exercise 5: receptive field ---------------------------------------------------------------

def receptive_field_reference(layers):
    """Side, in input pixels, of the window one output pixel of the last layer sees.

    ``layers``: ``(kernel, stride)`` pairs, first layer first.
    """
    size, step = 1, 1  # step: input pixels between neighbouring pixels of the current layer
    for kernel, stride in layers:
        size += (kernel - 1) * step
        step *= stride
    return size


def _kernels_only(got, expected, layers):
    return got == 1 + sum(kernel - 1 for kernel, _ in layers) != expected


def _own_stride(got, expected, layers):
    return got == 1 + sum((kernel - 1) * stride for kernel, stride in layers) != expected


def _field_case(description, layers):
    return Case(description, inputs=lambda: (list(layers),), compare=exact_int(), mistakes=[
        Mistake("you added up the kernels as if every layer had stride 1: a layer after a stride-2 layer steps over "
                "2 input pixels per pixel of its own input", _kernels_only),
        Mistake("you scaled each kernel by its own stride; a layer's step in input pixels is the product of the "
                "strides *before* it", _own_stride),
    ])


receptive_field = Exercise(
    "Exercise 5: receptive field",
    receptive_field_reference,
    cases=[
        _field_case("no layers: a pixel sees itself", []),
        _field_case("one 3 x 3 convolution sees 3 x 3", [(3, 1)]),
        _field_case("two 3 x 3 convolutions, stride 1: 5 x 5", [(3, 1), (3, 1)]),
        _field_case("our encoder's second layer, two 3 x 3 with stride 2: 7 x 7", [(3, 2), (3, 2)]),
        _field_case("the vector code: (3, 2), (3, 2), then a 7 x 7 convolution: 31 x 31", [(3, 2), (3, 2), (7, 1)]),
        _field_case("2 x 2 pooling three times: 8 x 8", [(2, 2), (2, 2), (2, 2)]),
        _field_case("30 layers of (3, 2): over a billion pixels (the formula, not a test network)", [(3, 2)] * 30),
    ],
    hints=[
        "Go through the layers in order and keep two numbers: the window seen so far, and how many input pixels "
        "apart the pixels of the current layer are.",
        "A layer with kernel k widens the window by (k - 1) times the current step; after it, the step is "
        "multiplied by its stride.",
        "size, step = 1, 1; for kernel, stride in layers: size += (kernel - 1) * step; step *= stride",
    ],
)
