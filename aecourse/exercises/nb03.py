"""Exercises of notebook 03, convolutional autoencoders."""
import torch
import torch.nn as nn

from .core import Case, Exercise
from .expect import (
    Mistake,
    a_run_seed,
    call,
    close,
    drawn,
    expect_float_tensor,
    gradients,
    keeping_lists,
    keeps_dtype,
    on_another_device,
    seeded,
    whole_number,
)
from .questions import Question

# --- Exercise 1: parameters of a convolution --------------------------------------------------

def conv_parameters_reference(in_channels, out_channels, kernel):
    """Weights and biases of nn.Conv2d(in_channels, out_channels, kernel)."""
    return in_channels * out_channels * kernel * kernel + out_channels


WEIGHTS_ONLY = Mistake(lambda got, expected, c_in, c_out, k: f"for ({c_in}, {c_out}, {k}) you counted the weights "
                                                             "only; every output channel also has a bias",
                       lambda got, expected, c_in, c_out, k: got == expected - c_out)


def _not_the_value(why):
    """A mistake's message that shows the settings and the learner's result, then says why it is wrong."""
    def message(got, expected, *settings):
        shown = repr(settings[0] if len(settings) == 1 else settings)
        shown = shown if len(shown) <= 60 else shown[:56] + " ..."
        return f"for {shown} your result {got!r:.40} is not the correct value: {why}"
    return message


CONV_MISTAKES = [
    WEIGHTS_ONLY,
    Mistake(_not_the_value("you counted one bias per input channel; a convolution has one bias per output channel "
                           "(per filter)"),
            lambda got, expected, c_in, c_out, k: got == c_in * c_out * k * k + c_in != expected),
    Mistake(_not_the_value("each filter has a k x k kernel for every input channel, so count the input channels too"),
            lambda got, expected, c_in, c_out, k: got == c_out * k * k + c_out != expected),
    Mistake(_not_the_value("the kernel is k x k, square: it has k * k weights per pair of channels, not k"),
            lambda got, expected, c_in, c_out, k: got == c_in * c_out * k + c_out != expected),
    Mistake(_not_the_value("you counted one bias for the whole layer; there is one bias per output channel"),
            lambda got, expected, c_in, c_out, k: got == c_in * c_out * k * k + 1 != expected),
]


def _conv(c_in, c_out, kernel, description):
    return Case(description, inputs=lambda: (c_in, c_out, kernel), compare=whole_number(), mistakes=CONV_MISTAKES)


def _random_conv(description, seed):
    """Channels and kernel drawn anew for every check: a table of the values some check used does not pass."""
    def inputs():
        c_in, c_out = drawn(seed, 1, 257, 2)
        return c_in, c_out + (c_out == c_in), drawn(seed + 1, 2, 12, 1)[0]  # the mistakes differ from the answer
    return Case(description, inputs=inputs, compare=whole_number(), mistakes=CONV_MISTAKES)


conv_parameters = Exercise(
    "Exercise 1: parameters of a convolution",
    conv_parameters_reference,
    cases=[
        _conv(1, 16, 3, "nn.Conv2d(1, 16, 3): 16 filters of 3 x 3"),
        _conv(16, 32, 3, "many input channels: (16, 32, 3)"),
        _conv(32, 32, 7, "a large kernel: (32, 32, 7)"),
        _conv(64, 4, 1, "a 1 x 1 convolution (64, 4, 1)"),
        _random_conv("random channels and kernel", seed=1),
        _random_conv("random channels and kernel, again", seed=3),
    ],
    hints=[
        "Each output channel has one kernel per input channel, and one bias.",
        "The weight tensor has shape (out_channels, in_channels, kernel, kernel); the bias has out_channels numbers.",
        "in_channels * out_channels * kernel * kernel + out_channels. The image size does not appear.",
    ],
    formula=True,  # building the layer and counting its parameters measures, not the formula
)


# --- Exercise 2: output size of a convolution -------------------------------------------------

def conv_output_size_reference(size, kernel, stride=1, padding=0):
    """Height (or width) of nn.Conv2d's output for an input of height `size`."""
    return (size + 2 * padding - kernel) // stride + 1


def _size_case(description, *settings, mistakes=()):
    return Case(description, inputs=lambda: settings, compare=whole_number(), mistakes=mistakes)


def _settings(seed, *ranges):
    """One whole number from each ``(low, high)`` range (high excluded), drawn anew for every check."""
    g = seeded(seed)
    return [int(torch.randint(low, high, (1,), generator=g)) for low, high in ranges]


def _random_conv_settings(seed):
    size, kernel, stride, padding = _settings(seed, (1, 64), (1, 8), (1, 5), (0, 4))
    return size, min(kernel, size + 2 * padding), stride, padding  # the kernel fits the padded input


def _ceil_division(a, b):
    return -(-a // b)


CONV_SIZE_MISTAKES = [
    Mistake(_not_the_value("you are one short: with stride 1 the kernel fits at size + 2 * padding - kernel + 1 "
                           "positions (the first one counts too), and a stride keeps every stride-th of them, the "
                           "first included: ... // stride + 1"),
            lambda got, expected, *settings: got == expected - 1),
    Mistake(_not_the_value("you rounded up: where the last stride leaves too few pixels for the whole kernel there "
                           "is no output pixel, so round down (//)"),
            lambda got, expected, size, kernel, stride=1, padding=0:
            got == _ceil_division(size + 2 * padding - kernel, stride) + 1 != expected),
]


def _conv_size_case(description, *settings):
    return _size_case(description, *settings, mistakes=CONV_SIZE_MISTAKES)


def _random_size_case(description, seed, settings):
    """Settings drawn anew for every check: a table of the sizes some check used does not pass the next."""
    return Case(description, inputs=lambda: settings(seed), compare=whole_number())


conv_output_size = Exercise(
    "Exercise 2: output size of a convolution",
    conv_output_size_reference,
    cases=[
        _conv_size_case("stride 1: 28 -> 26 with a 3 x 3 kernel", 28, 3, 1, 0),
        _conv_size_case("stride 1, padding 1 keeps 28", 28, 3, 1, 1),
        _conv_size_case("stride 2 halves: 28 -> 14", 28, 3, 2, 1),
        _conv_size_case("stride 2 halves: 14 -> 7", 14, 3, 2, 1),
        _conv_size_case("sizes that do not divide evenly: 7 -> 4", 7, 3, 2, 1),
        _conv_size_case("a kernel as large as the input: 7 -> 1", 7, 7, 1, 0),
        _conv_size_case("the defaults, stride 1 and padding 0: 28 -> 24 with a 5 x 5 kernel", 28, 5),
        _conv_size_case("an input 10 million pixels high (the formula, not a test tensor)", 10_000_000, 5, 3, 2),
        _random_size_case("random settings", 1, _random_conv_settings),
        _random_size_case("random settings, again", 2, _random_conv_settings),
    ],
    hints=[
        "Padding adds `padding` pixels on each side, so the kernel slides over size + 2 * padding pixels.",
        "The kernel fits at (size + 2 * padding - kernel) + 1 positions with stride 1; a stride s keeps every s-th.",
        "(size + 2 * padding - kernel) // stride + 1",
    ],
    formula=True,  # running a convolution on a test tensor measures, not the formula
)


# --- Exercise 3: output size of a transposed convolution --------------------------------------

def transposed_output_size_reference(size, kernel, stride=1, padding=0, output_padding=0):
    """Height (or width) of nn.ConvTranspose2d's output for an input of height `size`."""
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def _random_transposed_settings(seed):
    size, kernel, stride, padding, output_padding = _settings(seed, (1, 64), (1, 8), (1, 5), (0, 4), (0, 4))
    # PyTorch's limits: output_padding below the stride, and an output at least 1 pixel high
    return size, kernel, stride, min(padding, (kernel - 1) // 2), output_padding % stride


TRANSPOSED_MISTAKES = [
    Mistake(_not_the_value("you left out output_padding: it adds output_padding pixels on one side"),
            lambda got, expected, size, kernel, stride=1, padding=0, output_padding=0:
            output_padding > 0 and got == expected - output_padding),
    Mistake(_not_the_value("padding trims padding pixels from each border, so subtract 2 * padding"),
            lambda got, expected, size, kernel, stride=1, padding=0, output_padding=0:
            padding > 0 and got in (expected + padding, expected + 4 * padding)),
    Mistake(_not_the_value("the size input pixels sit stride apart: from the first to the last is (size - 1) * "
                           "stride pixels, not size * stride"),
            lambda got, expected, size, kernel, stride=1, padding=0, output_padding=0:
            got == expected + stride),
    Mistake(_not_the_value("that is the convolution's formula, which maps the large size to the small one; a "
                           "transposed convolution goes the other way: solve the convolution's formula for the "
                           "input size"),
            lambda got, expected, size, kernel, stride=1, padding=0, output_padding=0:
            got == conv_output_size_reference(size, kernel, stride, padding) != expected),
]


def _transposed_case(description, *settings):
    return _size_case(description, *settings, mistakes=TRANSPOSED_MISTAKES)


transposed_output_size = Exercise(
    "Exercise 3: output size of a transposed convolution",
    transposed_output_size_reference,
    cases=[
        _transposed_case("stride 1: 1 -> 7 with a 7 x 7 kernel", 1, 7, 1, 0, 0),
        _transposed_case("stride 1, padding 1 keeps 5", 5, 3, 1, 1, 0),
        _transposed_case("stride 2 doubles: 7 -> 14", 7, 3, 2, 1, 1),
        _transposed_case("stride 2 doubles: 14 -> 28", 14, 3, 2, 1, 1),
        _transposed_case("kernel 4, stride 2: 7 -> 14 without output_padding", 7, 4, 2, 1, 0),
        _transposed_case("without output_padding: 7 -> 13", 7, 3, 2, 1, 0),
        _transposed_case("the defaults, stride 1 and no padding: 7 -> 11 with a 5 x 5 kernel", 7, 5),
        _transposed_case("stride 2, the default paddings: 7 -> 15 with a 3 x 3 kernel", 7, 3, 2),
        _transposed_case("an input 10 million pixels high (the formula, not a test tensor)", 10_000_000, 5, 3, 0, 2),
        _random_size_case("random settings", 3, _random_transposed_settings),
        _random_size_case("random settings, again", 4, _random_transposed_settings),
    ],
    hints=[
        "A transposed convolution undoes the size arithmetic of a convolution: solve the convolution's formula "
        "for the input size.",
        "Each of the size input pixels is placed stride apart ((size - 1) * stride + 1 positions) and spread "
        "by the kernel; padding trims the border on each side.",
        "(size - 1) * stride - 2 * padding + kernel + output_padding",
    ],
    formula=True,
)


# --- Exercise 4: a transposed convolution by stamping (the build exercise) ---------------------

def conv_transpose2d_reference(x, weight, stride=1, padding=0):
    """Transposed convolution of x (B, C_in, H, W) with weight (C_in, C_out, k, k), no bias, by stamping.

    Input pixel (i, j) adds its value times the kernel to the output at rows i * stride ... i * stride + k - 1
    and columns j * stride ... j * stride + k - 1; then ``padding`` rows and columns are cropped from each border.
    """
    batch, _, height, width = x.shape
    _, c_out, k, _ = weight.shape  # nn.ConvTranspose2d stores (C_in, C_out, k, k)
    full = x.new_zeros(batch, c_out, (height - 1) * stride + k, (width - 1) * stride + k)  # x's dtype and device
    for i in range(height):
        for j in range(width):
            # every image's pixel (i, j), in every input channel, times that channel's kernels, summed over C_in
            stamp = torch.einsum("bc,cokl->bokl", x[:, :, i, j], weight)  # (B, C_out, k, k)
            full[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += stamp  # overlapping stamps add up
    return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]  # crop, not pad


def _transposed(x, weight, stride=1, padding=0, dilation=1):
    """PyTorch's transposed convolution: what the mistakes below compare an answer with (never the answer)."""
    return torch.nn.functional.conv_transpose2d(x, weight, stride=stride, padding=padding, dilation=dilation)


def _same_values(a, b):
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.detach().cpu().to(b.dtype), b, rtol=1e-4, atol=1e-5))


def _stamped_like(variant, when=lambda x, weight, stride, padding: True):
    """``looks_like`` of a :class:`Mistake`: the answer returned what ``variant(x, weight, stride, padding)`` does."""
    def looks_like(got, expected, x, weight, stride=1, padding=0):
        return (when(x, weight, stride, padding) and not _same_values(got, expected)
                and _same_values(got, variant(x, weight, stride, padding)))
    return looks_like


def _sizes(got, expected, x, weight, stride=1, padding=0):
    return (f"your output is {got.shape[-2]} x {got.shape[-1]} pixels, the transposed convolution's "
            f"{expected.shape[-2]} x {expected.shape[-1]} (input {x.shape[-2]} x {x.shape[-1]}, kernel "
            f"{weight.shape[-1]}, stride {stride}, padding {padding})")


def _spatial_offset(got, expected):
    """How many pixels taller and wider the answer's output is than the right one, or None."""
    if not isinstance(got, torch.Tensor) or got.ndim != 4 or got.shape[:2] != expected.shape[:2]:
        return None
    return got.shape[-2] - expected.shape[-2], got.shape[-1] - expected.shape[-1]


STAMPING_MISTAKES = [
    Mistake(lambda got, expected, *inputs: _sizes(got, expected, *inputs) + ": with padding 0, out[..., p:-p] is "
            "empty (-0 is 0): crop with an end computed from the size, e.g. out[..., p:out.shape[-1] - p]",
            lambda got, expected, x, weight, stride=1, padding=0: padding == 0 and 0 in got.shape[-2:]),
    Mistake(lambda got, expected, x, weight, stride=1, padding=0: "your output has C_in = "
            f"{x.shape[1]} channels, not C_out = {weight.shape[1]}: nn.ConvTranspose2d stores its weight as "
            "(C_in, C_out, k, k), the other way round from nn.Conv2d's (C_out, C_in, k, k)",
            lambda got, expected, x, weight, stride=1, padding=0:
            got.ndim == 4 and x.shape[1] != weight.shape[1] and got.shape[1] == x.shape[1]),
    Mistake("you read the weight as (C_out, C_in, k, k), as nn.Conv2d stores it: nn.ConvTranspose2d stores "
            "(C_in, C_out, k, k), so input channel c stamps weight[c, o] onto output channel o",
            _stamped_like(lambda x, weight, stride, padding: _transposed(x, weight.transpose(0, 1), stride, padding),
                          when=lambda x, weight, stride, padding: weight.shape[0] == weight.shape[1])),
    Mistake("you summed over the output channels: output channel o is the sum, over the input channels c, of "
            "x[:, c] stamped with weight[c, o] (torch.einsum('bc,cokl->bokl', ...) for one input pixel)",
            _stamped_like(lambda x, weight, stride, padding: torch.nn.functional.conv_transpose2d(
                x, weight.sum(1, keepdim=True), stride=stride, padding=padding, groups=x.shape[1]))),
    Mistake("you flipped the kernel: stamps of the flipped kernel add up to an ordinary convolution (nn.Conv2d's "
            "sliding window over the input padded by k - 1), not a transposed one; stamp the kernel as it is, "
            "output[i * stride + a] += x[i] * weight[a]",
            _stamped_like(lambda x, weight, stride, padding: _transposed(x, weight.flip(-2, -1), stride, padding))),
    Mistake("you swapped the kernel's rows and columns: weight[c, o, a, b] goes to output row i * stride + a and "
            "column j * stride + b",
            _stamped_like(lambda x, weight, stride, padding: _transposed(x, weight.transpose(-2, -1), stride,
                                                                         padding))),
    Mistake("you applied the stride to the kernel (its taps stride pixels apart) instead of to the stamps: each "
            "stamp is the whole k x k kernel, its taps side by side, and it is the stamps that sit stride pixels "
            "apart (input pixel i stamps at output rows i * stride ... i * stride + k - 1)",
            lambda got, expected, x, weight, stride=1, padding=0: stride > 1 and any(
                _stamped_like(lambda x, weight, _, padding: _transposed(x, weight, step, padding, dilation=stride))(
                    got, expected, x, weight, stride, padding) for step in (1, stride))),
    Mistake("your stamps sit 1 pixel apart: input pixel (i, j) stamps at output row i * stride and column "
            "j * stride, so consecutive stamps are stride pixels apart",
            _stamped_like(lambda x, weight, stride, padding: _transposed(x, weight, 1, padding),
                          when=lambda x, weight, stride, padding: stride > 1)),
    Mistake("you did not crop the padding: in a transposed convolution, padding removes padding rows and columns "
            "from each border of the stamped output (it undoes the padding of the convolution it transposes)",
            _stamped_like(lambda x, weight, stride, padding: _transposed(x, weight, stride),
                          when=lambda x, weight, stride, padding: padding > 0)),
    Mistake("you added padding instead of cropping it: in a transposed convolution, padding removes padding rows "
            "and columns from each border of the stamped output",
            lambda got, expected, x, weight, stride=1, padding=0: padding > 0 and any(
                _stamped_like(variant)(got, expected, x, weight, stride, padding) for variant in (
                    lambda x, weight, stride, padding: torch.nn.functional.pad(_transposed(x, weight, stride),
                                                                               (padding,) * 4),
                    lambda x, weight, stride, padding: _transposed(torch.nn.functional.pad(x, (padding,) * 4),
                                                                   weight, stride)))),
    Mistake("your output has the right size, but you cropped 2 * padding rows and columns from one side: crop "
            "padding from *each* border, top and bottom, left and right",
            lambda got, expected, x, weight, stride=1, padding=0: padding > 0 and any(
                _same_values(got, crop) for full in [_transposed(x, weight, stride)]
                for crop in (full[..., 2 * padding:, 2 * padding:],
                             full[..., :full.shape[-2] - 2 * padding, :full.shape[-1] - 2 * padding]))),
    Mistake(lambda got, expected, *inputs: _sizes(got, expected, *inputs) + ", one pixel off: the last input pixel "
            "starts its stamp at (H - 1) * stride, so the stamped output is (H - 1) * stride + k high before "
            "cropping (Exercise 3's formula with output_padding 0), not H * stride + ...",
            lambda got, expected, *inputs: _spatial_offset(got, expected) in ((1, 1), (-1, -1), (1, 0), (0, 1),
                                                                               (-1, 0), (0, -1))),
]


def _maps(seed, batch, c_in, c_out, height, width, kernel, dtype=torch.float32):
    g = seeded(seed)
    return (torch.randn(batch, c_in, height, width, generator=g, dtype=dtype),
            torch.randn(c_in, c_out, kernel, kernel, generator=g, dtype=dtype))


def _stamping_case(description, seed, batch, c_in, c_out, height, width, kernel, stride=None, padding=None,
                   dtype=torch.float32):
    """Values drawn anew for every check; ``stride`` and ``padding`` None: the defaults (not passed)."""
    def inputs():
        settings = tuple(s for s in (stride, padding) if s is not None)
        return (*_maps(seed, batch, c_in, c_out, height, width, kernel, dtype), *settings)
    return Case(description, inputs=inputs, compare=keeps_dtype(close()), mistakes=STAMPING_MISTAKES)


def _random_stamping(description, seed):
    """Shapes and settings drawn anew for every check: strides 1-2, paddings 0-1, kernels 2-4, 1-4 channels."""
    def inputs():
        batch, c_in, c_out, height, width = drawn(seed, 1, 5, 5)
        stride, padding, kernel = drawn(seed + 1, 1, 3, 1)[0], drawn(seed + 2, 0, 2, 1)[0], drawn(seed + 3, 2, 5, 1)[0]
        if (min(height, width) - 1) * stride + kernel - 2 * padding < 1:
            padding = 0  # an output at least one pixel high
        return (*_maps(seed + 4, batch, c_in, c_out, height, width, kernel), stride, padding)
    return Case(description, inputs=inputs, compare=keeps_dtype(close()), mistakes=STAMPING_MISTAKES)


def _decoder_training(function, seed):
    """``observe``: learn codes (2, 3, 3, 3) and a kernel (3, 2, 4, 4) with three SGD steps through ``function``
    (stride 2, padding 1: 3 x 3 codes -> 6 x 6 maps) towards random targets; return both after the steps."""
    g = seeded(seed)
    code = torch.randn(2, 3, 3, 3, generator=g).requires_grad_(True)
    weight = (0.3 * torch.randn(3, 2, 4, 4, generator=g)).requires_grad_(True)
    target = torch.rand(2, 2, 6, 6, generator=g)
    for _ in range(3):
        out = function(code, weight, 2, 1)
        if not isinstance(out, torch.Tensor) or out.grad_fn is None:
            raise AssertionError("your result is not connected to its inputs' gradients, so a decoder built on it "
                                 "cannot learn: compute it with torch operations only (no .item(), NumPy, Python "
                                 "floats or .detach())")
        code_grad, weight_grad = torch.autograd.grad((out - target).pow(2).sum(), (code, weight))
        with torch.no_grad():  # a plain SGD step (torch.optim's first step imports much of torch: seconds)
            code, weight = (code - 0.02 * code_grad).requires_grad_(), (weight - 0.02 * weight_grad).requires_grad_()
    return torch.cat([code.detach().flatten(), weight.detach().flatten()])


def _trained_alike(got, expected, what):
    if not torch.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError("after three gradient steps through your function the codes and the kernel differ "
                             "from three steps through the transposed convolution: its gradients are not a "
                             "transposed convolution's")


def _on_the_inputs_device(answer):
    x, weight = _maps(9, 2, 2, 3, 3, 4, 3)
    on_another_device(answer, (x, weight, 2, 1), "create new tensors beside the inputs, e.g. x.new_zeros(...) or "
                                                 "torch.zeros(..., dtype=x.dtype, device=x.device)")


# every convolution torch has, in every form: the gradient of a convolution with respect to its input *is* a
# transposed convolution (torch.autograd.grad through F.conv2d, torch.nn.grad.conv2d_input), a transposed
# convolution is a convolution of the zero-spaced input with the flipped kernel, and a 1-D or 3-D one does a 2-D
# one's work with a dimension added or a loop over the kernel's rows
_CONVOLUTIONS = ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv1d", "conv2d", "conv3d",
                 "convolution", "_convolution", "_convolution_mode", "convolution_overrideable", "convolution_backward",
                 "conv_tbc", "slow_conv_transpose2d", "slow_conv_transpose3d", "thnn_conv2d", "slow_conv3d",
                 "slow_conv_dilated2d", "slow_conv_dilated3d", "_conv_depthwise2d", "conv_depthwise3d",
                 "mkldnn_convolution", "cudnn_convolution", "cudnn_convolution_transpose", "miopen_convolution",
                 "miopen_convolution_transpose", "miopen_depthwise_convolution", "_nnpack_spatial_convolution")


def _convolutions():
    """The dotted names of the convolutions above that this torch has (in torch, or torch._C._nn)."""
    found = []
    for name in _CONVOLUTIONS:
        for namespace, where in (("torch", torch), ("torch._C._nn", torch._C._nn)):
            if callable(getattr(where, name, None)):
                found.append(f"{namespace}.{name}")
                break
    return found


conv_transpose2d = Exercise(
    "Exercise 4: a transposed convolution by stamping",
    conv_transpose2d_reference,
    cases=[
        _stamping_case("one channel, stride 1, no padding: a 3 x 4 input, a 2 x 2 kernel", 11, 1, 1, 1, 3, 4, 2, 1, 0),
        _stamping_case("stride 2, kernel 3: overlapping stamps add up (2 images, 2 -> 3 channels)", 12, 2, 2, 3, 4, 5,
                       3, 2, 0),
        _stamping_case("stride 2, padding 1, kernel 3, 3 channels in and 3 out", 13, 2, 3, 3, 3, 4, 3, 2, 1),
        _stamping_case("stride 2, padding 1, kernel 4: stamps that tile evenly (4 -> 2 channels)", 14, 2, 4, 2, 3, 5,
                       4, 2, 1),
        _stamping_case("stride 1, padding 1, kernel 3: the size kept (2 -> 2 channels)", 15, 3, 2, 2, 4, 4, 3, 1, 1),
        _stamping_case("the defaults, stride 1 and padding 0 (2 -> 3 channels, kernel 3)", 16, 2, 2, 3, 3, 5, 3),
        _random_stamping("random shapes, strides, paddings and kernels", 20),
        _random_stamping("random shapes, strides, paddings and kernels, again", 30),
        _stamping_case("float64 inputs give a float64 result", 17, 2, 2, 3, 3, 3, 3, 2, 1, dtype=torch.float64),
        Case("gradients reach the input and the kernel as through nn.ConvTranspose2d",
             inputs=lambda: (*_maps(18, 2, 3, 2, 3, 4, 3), 2, 1), observe=gradients(wrt=(0, 1))),
        Case("a tiny decoder trained for three steps with your function: the same codes and kernel as the reference's",
             inputs=a_run_seed(19), observe=_decoder_training, compare=_trained_alike),
        Case("inputs on a GPU: the result stays on their device", _on_the_inputs_device),
    ],
    hints=[
        "Start from an output of zeros, (B, C_out, (H - 1) * stride + k, (W - 1) * stride + k), with x's dtype and "
        "device (x.new_zeros). Every input pixel (i, j) adds one k x k stamp to it, at rows i * stride ... and "
        "columns j * stride ...; crop the padding at the end.",
        "The stamp of pixel (i, j) for all images and channels at once: torch.einsum('bc,cokl->bokl', x[:, :, i, j], "
        "weight), shape (B, C_out, k, k): input channel c stamps weight[c, o] onto output channel o, summed over c.",
        "for i in range(H): for j in range(W): out[:, :, i*stride:i*stride+k, j*stride:j*stride+k] += stamp; then "
        "return out[:, :, padding:out.shape[2] - padding, padding:out.shape[3] - padding] (not out[..., p:-p], "
        "which is empty for p = 0).",
    ],
    same_as=["torch.nn.functional.conv_transpose2d", "torch.nn.ConvTranspose2d.forward", "torch.nn.grad",
             *_convolutions()],
    build=True,
)




# --- Exercise 5: a decoder that returns 28 x 28 -----------------------------------------------

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
    decoder = _a_module(answer)
    batch = drawn(2, 2, 9, 1)[0]
    # large values, a batch of one as the notebook's hidden test draws it (values in [0, 1]), any batch size
    for maps in (torch.randn(5, 32, 7, 7, generator=seeded(0)) * 3, torch.rand(1, 32, 7, 7, generator=seeded(3)),
                 torch.randn(batch, 32, 7, 7, generator=seeded(5))):
        out = decoder(maps)
        expect_float_tensor(out, (len(maps), 1, 28, 28), f"the decoder's output for {tuple(maps.shape)} feature maps")
        if out.min() < 0 or out.max() > 1:
            raise AssertionError(f"pixels must lie in [0, 1]; yours range from {out.min().item():.3g} to "
                                 f"{out.max().item():.3g}. Which activation squeezes any number into (0, 1)?")


def _fresh(answer):
    first, second = _a_module(answer), _a_module(answer)
    if first is second or {id(p) for p in first.parameters()} & {id(p) for p in second.parameters()}:
        raise AssertionError("make_decoder() returned the same decoder twice (or two sharing parameters): build the "
                             "layers inside the function, so that every call returns a fresh, untrained decoder")


def _area(value):
    """Height x width of a batch of maps (B, C, H, W); None for anything else."""
    return value.shape[-2] * value.shape[-1] if isinstance(value, torch.Tensor) and value.ndim == 4 else None


def _grows_only_in_transposed_convolutions(answer):
    """Follow the maps through the decoder's layers: only an nn.ConvTranspose2d may make them larger.

    Growth in another layer (nn.Upsample, a Linear layer and nn.Unflatten, a layer of the learner's own) or
    between layers (F.interpolate or repeat_interleave in forward) is not what the exercise asks.
    """
    decoder, calls = _a_module(answer), []
    leaves = [m for m in decoder.modules() if not any(True for _ in m.children())]
    hooks = [m.register_forward_hook(lambda m, inputs, output: calls.append(
        (m, _area(inputs[0]) if inputs else None, _area(output)))) for m in leaves]
    try:
        out = decoder(torch.rand(2, 32, 7, 7, generator=seeded(4)))
    finally:
        for hook in hooks:
            hook.remove()
    largest = 7 * 7  # the largest maps a transposed convolution has made so far
    between = ("your decoder grows the maps outside its layers (in forward, e.g. with F.interpolate or "
               "repeat_interleave): grow them only with nn.ConvTranspose2d layers (Exercise 3 gives the settings)")
    for module, before, after in calls:
        if before is not None and before > largest:
            raise AssertionError(between)
        if isinstance(module, nn.ConvTranspose2d):
            largest = max(largest, after or 0)
        elif after is not None and after > largest:
            raise AssertionError(f"your decoder grows the maps in {type(module).__name__}, which is not a transposed "
                                 "convolution: grow them only with nn.ConvTranspose2d layers (Exercise 3 gives the "
                                 "settings)")
    if _area(out) is not None and _area(out) > largest:
        raise AssertionError(between)


def _learns(answer):
    decoder = _a_module(answer)
    out = decoder(torch.randn(2, 32, 7, 7, generator=seeded(1)))
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        raise AssertionError("no gradient reaches your decoder's parameters: its output is cut off from them "
                             "(torch.no_grad(), .detach(), .data or NumPy inside forward?)")
    out.sum().backward()
    if all(p.grad is None or not p.grad.any() for p in decoder.parameters()):
        raise AssertionError("no gradient reaches your decoder's parameters")
    if any(isinstance(m, nn.Upsample) for m in decoder.modules()):
        raise AssertionError("this exercise is about transposed convolutions: nn.Upsample grows the maps by a fixed "
                             "rule (the checkerboard section compares the two); grow them with nn.ConvTranspose2d")
    if not any(isinstance(m, nn.ConvTranspose2d) and max(m.stride) > 1 for m in decoder.modules()):
        raise AssertionError("grow the maps with transposed convolutions: nn.ConvTranspose2d with stride 2")


make_decoder = Exercise(
    "Exercise 5: a decoder that returns 28 x 28",
    make_decoder_reference,
    cases=[
        Case("returns a module with trainable parameters", _a_module),
        Case("a fresh decoder on every call", _fresh),
        Case("maps (B, 32, 7, 7) to (B, 1, 28, 28) for any batch size B, pixels in [0, 1]", _shape_and_range),
        Case("grows the maps with transposed convolutions, gradients flow", _learns),
        Case("the maps grow in the transposed convolutions only", _grows_only_in_transposed_convolutions),
    ],
    hints=[
        "7 -> 14 -> 28: two layers that each double the height and width. Exercise 3 tells you which settings do.",
        "nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1) takes 7 x 7 to 14 x 14.",
        "Two such layers (32 -> 16 -> 1 channels) with a ReLU between them and nn.Sigmoid() at the end.",
    ],
    # interpolation (nn.Upsample) and nn.PixelShuffle grow the maps without a transposed convolution
    same_as=["torch.nn.functional.interpolate", "torch.pixel_shuffle"],
)


# --- Exercise 6: receptive field ---------------------------------------------------------------

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


def _stride_first(layers):
    size, step = 1, 1
    for kernel, stride in layers:
        step *= stride
        size += (kernel - 1) * step
    return size


FIELD_MISTAKES = [
    Mistake("you added up the kernels as if every layer had stride 1: a layer after a stride-2 layer steps over "
            "2 input pixels per pixel of its own input", _kernels_only),
    Mistake("you scaled each kernel by its own stride; a layer's step in input pixels is the product of the "
            "strides *before* it", _own_stride),
    Mistake(_not_the_value("you multiplied the step by a layer's stride before adding its kernel: a layer's stride "
                           "spaces out the pixels of the layers after it, not its own kernel"),
            lambda got, expected, layers: got == _stride_first(layers) != expected),
    Mistake(_not_the_value("you went through the layers last first: the list is first layer first, and the step a "
                           "layer's kernel is scaled by comes from the strides of the layers before it"),
            lambda got, expected, layers: got == receptive_field_reference(layers[::-1]) != expected),
    Mistake(_not_the_value("you are one short: with no layers at all a pixel sees 1 input pixel, itself, so start "
                           "from 1"),
            lambda got, expected, layers: got == expected - 1),
]


def _field_case(description, layers):
    return Case(description, inputs=lambda: (list(layers),), observe=keeping_lists, compare=whole_number(),
                mistakes=FIELD_MISTAKES)


def _random_layers(description, seed):
    """Between 1 and 6 layers, drawn anew for every check: a table of the networks some check used does not pass."""
    def inputs():
        count = drawn(seed, 1, 7, 1)[0]
        return (list(zip(drawn(seed + 1, 1, 8, count), drawn(seed + 2, 1, 4, count))),)
    return Case(description, inputs=inputs, observe=keeping_lists, compare=whole_number(), mistakes=FIELD_MISTAKES)


receptive_field = Exercise(
    "Exercise 6: receptive field",
    receptive_field_reference,
    cases=[
        _field_case("no layers: a pixel sees itself", []),
        _field_case("one 3 x 3 convolution sees 3 x 3", [(3, 1)]),
        _field_case("two 3 x 3 convolutions, stride 1: 5 x 5", [(3, 1), (3, 1)]),
        _field_case("our encoder's second layer, two 3 x 3 with stride 2: 7 x 7", [(3, 2), (3, 2)]),
        _field_case("the vector code: (3, 2), (3, 2), then a 7 x 7 convolution: 31 x 31", [(3, 2), (3, 2), (7, 1)]),
        _field_case("2 x 2 pooling three times: 8 x 8", [(2, 2), (2, 2), (2, 2)]),
        _field_case("30 layers of (3, 2): over a billion pixels (the formula, not a test network)", [(3, 2)] * 30),
        _random_layers("random layers", seed=1),
        _random_layers("random layers, again", seed=4),
    ],
    hints=[
        "Go through the layers in order and keep two numbers: the window seen so far, and how many input pixels "
        "apart the pixels of the current layer are.",
        "A layer with kernel k widens the window by (k - 1) times the current step; after it, the step is "
        "multiplied by its stride.",
        "size, step = 1, 1; for kernel, stride in layers: size += (kernel - 1) * step; step *= stride",
    ],
    formula=True,
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: Overlapping stamps",
    "b",
    "In one direction, a stamp k pixels wide placed every s pixels covers each interior pixel k / s times when "
    "the stride divides the kernel, and alternately more and fewer times when it does not. Kernel 3, stride 2: "
    "the columns are covered 1, 1, 2, 1, 1 times, and in two dimensions the counts multiply, hence the printed "
    "grid of 1s, 2s and a 4 where the doubled row and column cross; kernel 4 covers every interior column and "
    "every interior row twice, 4 stamps everywhere inside, with only the border lower. This uneven count is the "
    "checkerboard of the next figure.",
    choices={
        "a": "Even for both: with stride 2 the stamps are spread evenly over the output, whatever the kernel size.",
        "b": "Uneven for kernel 3 (1s and 2s, and a 4 where an overlapping row and column cross), even for "
             "kernel 4 (4 everywhere inside).",
        "c": "Even for kernel 3, uneven for kernel 4: the larger kernel overlaps more, so it piles more stamps "
             "onto some pixels than onto others.",
        "d": "Uneven for both: wherever stamps overlap, the overlap shows as a grid of pixels with more stamps.",
    },
    why_not={
        "a": "the stride only sets where the stamps start. A stamp 3 pixels wide placed every 2 pixels covers "
             "some columns twice and their neighbours once; the coverage is the same everywhere only when the "
             "kernel size is a multiple of the stride",
        "c": "how much the stamps overlap does not matter, only whether the overlap is the same everywhere. A "
             "4-wide stamp every 2 pixels covers every interior column exactly twice (4 / 2); a 3-wide one "
             "covers alternate columns twice and once",
        "d": "overlap alone does not make a grid. When every interior pixel is covered the same number of times "
             "a flat input stays flat inside, and only the border, which fewer stamps reach, differs; count, "
             "for each kernel, how many stamps cover one interior column",
    },
)

q2 = Question(
    "Question 2: Where the parameters are",
    "c",
    "The cell prints 222,384 parameters for the MLP, 109,985 for the vector-code convolutional autoencoder and "
    "9,861 for the spatial one: fixed by the architectures, the same in every run. A convolution's parameters "
    "depend on its channels and kernel only (c_in c_out k^2 + c_out, Exercise 1), so sixteen 3 x 3 filters cost "
    "160 however large the maps; the vector design's parameters sit almost all in its two 7 x 7 layers on 7 x 7 "
    "maps, a fully connected layer in disguise, which the spatial design replaces with 1 x 1 convolutions.",
    choices={
        "a": "The vector-code convolutional autoencoder has the most: its layers produce 16 maps of 14 x 14 and "
             "32 of 7 x 7, many more numbers than the MLP's 128 hidden units.",
        "b": "The spatial convolutional autoencoder has the most: its code is six times larger (196 numbers "
             "against 32), and a larger code needs larger layers.",
        "c": "The MLP has the most, the vector-code convolutional autoencoder about half as many, and the "
             "spatial one by far the fewest (under a tenth of the vector one's).",
        "d": "All three have about as many: each maps 784 pixels to a code and back to 784 pixels, and the "
             "image size fixes the parameter count.",
    },
    why_not={
        "a": "feature maps cost computation, not parameters: one filter is reused at every position of its map "
             "(weight sharing), so sixteen 3 x 3 filters cost 160 parameters whether their maps are 14 x 14 or "
             "1,000 x 1,000",
        "b": "the size of a code is how many numbers a layer outputs; a convolution's parameters depend on its "
             "channels and kernel size, not on how many positions it covers, and the spatial design reaches its "
             "196 numbers with small kernels (1 x 1 to go to 4 maps)",
        "d": "only a fully connected layer's parameter count grows with the image size (one weight per pixel and "
             "output); a convolution's does not, which is the point of section 1",
    },
)

q3 = Question(
    "Question 3: From the first layer to the second",
    "d",
    "The caption reads 16 feature maps of 14 x 14 for conv 1 and 32 of 7 x 7 for conv 2: the second strided "
    "convolution halves height and width again, so one pixel of a conv 2 map stands for a 4 x 4 block of the "
    "28 x 28 image. Each such pixel combines a 3 x 3 window of all 16 first-layer maps, whose pixels are 2 input "
    "pixels apart, so it responds to a 7 x 7 window of the input (the receptive field, Exercise 6 below): the maps "
    "say roughly where a part or a combination of strokes is, not where every thin stroke runs.",
    choices={
        "a": "32 maps of 14 x 14: padding 1 keeps the size, so the second layer draws the same strokes at the "
             "same resolution, with twice as many filters.",
        "b": "32 maps of 7 x 7 that are the first layer's maps with every other pixel dropped: each of their pixels "
             "still sees a 3 x 3 window of the input.",
        "c": "32 maps of 7 x 7 that show the digit in finer detail than conv 1's: each layer adds detail to "
             "what the layer before it found.",
        "d": "32 maps of 7 x 7: each pixel stands for a 4 x 4 block of the image and sees a 7 x 7 window of it, "
             "so the thin strokes of conv 1's maps become coarse blobs.",
    },
    why_not={
        "a": "padding 1 keeps the size of a 3 x 3 convolution only at stride 1; read the caption again after "
             "switching the layer: with stride 2 every layer halves the maps",
        "b": "a strided convolution does not just drop pixels: each output pixel is a new weighted sum over a "
             "3 x 3 window of all 16 first-layer maps, whose pixels are themselves 2 input pixels apart, so it "
             "sees more of the input than 3 x 3 and mixes many edge detectors",
        "c": "a 7 x 7 map has a quarter of the pixels of a 14 x 14 one: no layer can draw the digit in finer "
             "detail than its map has pixels, and a deeper layer trades position detail for a wider view",
    },
)
