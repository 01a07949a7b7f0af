"""Exercises of notebook 04, denoising autoencoders."""
import torch

from .. import metrics, noise
from .core import Case, Exercise
from .expect import Mistake, call, close, expect_float_tensor, seeded


def _grey(n=2000, seed=0):
    """Images with no exact 0 or 1, so every corrupted pixel can be told apart."""
    return torch.rand(n, 1, 8, 8, generator=seeded(seed)) * 0.8 + 0.1


def _corrupted(answer, x, p):
    out = call(answer, x, p)
    expect_float_tensor(out, x.shape, "the corrupted batch (it keeps the input's shape)")
    return out


def _random_and_spread(answer):
    """Noise must be drawn afresh each call, and hit every part of the batch at the same rate."""
    x = _grey()
    first, second = _corrupted(answer, x, 0.3), _corrupted(answer, x, 0.3)
    if torch.equal(first, second):
        raise AssertionError("two calls gave exactly the same noise: draw the pixels to hit at random every time "
                             "(torch.rand_like)")
    share = (first != x).float().reshape(4, -1).mean(1)  # the share of pixels hit in each quarter of the batch
    if (share - 0.3).abs().max() > 0.03:
        raise AssertionError(f"with p = 0.3 the quarters of the batch had {[f'{v:.0%}' for v in share.tolist()]} of "
                             "their pixels hit: every pixel must be hit with the same probability p")


# --- Exercise 1: salt-and-pepper noise --------------------------------------------------------

def _fraction_changed(p):
    def test(answer):
        x = _grey()
        out = _corrupted(answer, x, p)
        changed = out != x
        fraction = changed.float().mean().item()
        if abs(fraction - p) > 0.02:
            raise AssertionError(f"with p = {p} you changed {fraction:.1%} of the pixels; expected about {p:.0%}")
        values = out[changed]
        if not torch.all((values == 0) | (values == 1)):
            raise AssertionError("changed pixels must become exactly 0 (pepper) or 1 (salt)")
        if p > 0:
            salt = (values == 1).float().mean().item()
            if not 0.4 < salt < 0.6:
                raise AssertionError(f"{salt:.0%} of the changed pixels are salt (1); expected about half")
    return test


def _p_zero_and_one(answer):
    x = _grey(200)
    if not torch.equal(_corrupted(answer, x, 0.0), x):
        raise AssertionError("with p = 0 the images must come back unchanged")
    out = _corrupted(answer, x, 1.0)
    if not torch.all((out == 0) | (out == 1)):
        raise AssertionError("with p = 1 every pixel must be 0 or 1")


salt_and_pepper = Exercise(
    "Exercise 1: salt-and-pepper noise",
    noise.salt_and_pepper,
    cases=[
        Case("p = 0.1 on 128,000 pixels", _fraction_changed(0.1)),
        Case("p = 0.5", _fraction_changed(0.5)),
        Case("p = 0 and p = 1", _p_zero_and_one),
        Case("random: new noise every call, spread over the whole batch", _random_and_spread),
    ],
    hints=[
        "Draw one uniform random number per pixel (torch.rand_like(x)): it decides whether the pixel is hit. "
        "A second one decides salt or pepper.",
        "hit = torch.rand_like(x) < p; salt = torch.rand_like(x) < 0.5. torch.where chooses per pixel.",
        "torch.where(hit, salt.float(), x): hit pixels become 1.0 or 0.0, the others keep their value.",
    ],
)


# --- Exercise 2: masking noise ----------------------------------------------------------------

def _masks(p):
    def test(answer):
        x = _grey()
        out = _corrupted(answer, x, p)
        zeroed = out == 0
        fraction = zeroed.float().mean().item()
        if abs(fraction - p) > 0.02:
            raise AssertionError(f"with p = {p} you zeroed {fraction:.1%} of the pixels; expected about {p:.0%}")
        kept = ~zeroed
        if p > 0 and kept.any() and torch.allclose(out[kept], x[kept] / (1 - p)):
            raise AssertionError("you rescaled the kept pixels by 1 / (1 - p), like nn.Dropout does; masking noise "
                                 "leaves them as they are")
        if not torch.equal(out[kept], x[kept]):
            raise AssertionError("pixels that are not masked must keep their value")
    return test


masking = Exercise(
    "Exercise 2: masking noise",
    noise.masking,
    cases=[
        Case("p = 0.25 on 128,000 pixels", _masks(0.25)),
        Case("p = 0.75", _masks(0.75)),
        Case("p = 0 leaves the images alone", _masks(0.0)),
        Case("random: new noise every call, spread over the whole batch", _random_and_spread),
    ],
    hints=[
        "One uniform random number per pixel decides whether the pixel is kept.",
        "keep = torch.rand_like(x) >= p is True for a fraction 1 - p of the pixels.",
        "Multiply: x * keep. Do not divide by 1 - p: that is dropout's rescaling, not masking noise.",
    ],
)


# --- Exercise 3: PSNR -------------------------------------------------------------------------

def _noisy_batch():
    x = _grey(6)
    x_hat = (x + 0.1 * torch.randn(x.shape, generator=seeded(3))).clamp(0, 1)
    x_hat[0] = (x[0] + 0.3).clamp(0, 1)  # one much worse image, so per-image and whole-batch averages differ
    return x_hat, x


PSNR_MISTAKES = [
    Mistake("you returned one PSNR for the whole batch; return one value per image, shape (N,), and average those",
            lambda got, expected, x_hat, x: got.numel() == 1 and torch.allclose(
                got.float().reshape(()), 10 * torch.log10(1 / (x_hat - x).pow(2).mean()), atol=1e-3)),
    Mistake("your PSNR has the wrong sign: 10 log10(1 / MSE), larger is better",
            lambda got, expected, x_hat, x: got.shape == expected.shape and torch.allclose(got, -expected, atol=1e-3)),
]

psnr = Exercise(
    "Exercise 3: PSNR",
    metrics.psnr,
    cases=[
        Case("an error of 0.1 everywhere is 20 dB",
             inputs=lambda: (torch.full((2, 1, 4, 4), 0.1), torch.zeros(2, 1, 4, 4)),
             compare=close(atol=1e-3), mistakes=PSNR_MISTAKES),
        Case("one value per image, 6 images, one much noisier", inputs=_noisy_batch,
             compare=close(atol=1e-3), mistakes=PSNR_MISTAKES),
    ],
    hints=[
        "First the mean squared error of each image: average over every dimension except the first.",
        "(x_hat - x).pow(2).flatten(1).mean(1) has shape (N,).",
        "10 * torch.log10(1 / mse): with pixels in [0, 1] the peak value is 1.",
    ],
    same_as=["skimage.metrics.peak_signal_noise_ratio"],
)
