"""Exercises of notebook 04, denoising autoencoders."""
import torch

from .. import metrics, noise
from .core import Case, Exercise
from .expect import Mistake, call, close, expect_float_tensor, on_another_device, seeded


def _grey(n=2000, seed=0):
    """Images with no exact 0 or 1, so every corrupted pixel can be told apart."""
    return torch.rand(n, 1, 8, 8, generator=seeded(seed)) * 0.8 + 0.1


def _corrupted(answer, x, p):
    out = call(answer, x, p)
    expect_float_tensor(out, x.shape, "the corrupted batch (it keeps the input's shape)")
    return out


def _per_image(mask):
    """A boolean mask of a batch as (images, pixels of one image)."""
    return mask.reshape(mask.shape[0], -1)


def _spread(success, trials, dim):
    """How much the counts of ``success`` along ``dim`` vary, relative to independent coin flips on ``trials``
    (of the probability observed overall): about 1 for independent flips, near 0 for a fixed count, far above 1
    for flips made together (a whole image, row or position at once)."""
    s, n = success.sum(dim).double(), trials.sum(dim).double()
    q = s.sum() / n.sum()
    if not 0 < q < 1:
        return 1.0  # all or nothing: the checks of the fraction say what is wrong
    return float(((s - q * n) ** 2).sum() / (q * (1 - q) * n).sum())


def _coin_flips(hit, what, how):
    """``hit`` (images, pixels) must look like an independent coin flip of the same probability for every pixel
    of every image: not in clumps, not the same pixels in several images, not a fixed number per image.
    The bounds hold for independent flips on 2,000 images of 64 pixels with any seed (about 8 standard
    deviations away)."""
    everywhere, (images, pixels) = torch.ones_like(hit), hit.shape
    per_image = _spread(hit, everywhere, 1)
    if per_image > 1.33:
        raise AssertionError(f"the pixels {what} come in clumps (whole images, rows or blocks at a time): each pixel "
                             f"must be {what} with probability p independently of the others ({how})")
    rate = hit.double().mean().item()
    same = images - len(torch.unique(hit, dim=0))  # images whose mask another image has too
    expected = images * (images - 1) / 2 * (rate ** 2 + (1 - rate) ** 2) ** pixels  # pairs equal by chance
    if same > 5 + 100 * expected:
        raise AssertionError(f"the same pixels are {what} in several images of the batch: draw a new random number "
                             f"for every pixel of every image ({how}), not one mask shaped like a single image")
    if per_image < 0.75:
        raise AssertionError(f"every image had (nearly) the same number of pixels {what}: each pixel must be {what} "
                             f"with probability p on its own (a coin flip per pixel, {how}), so the count varies "
                             "from image to image, rather than exactly a fraction p of each image")
    if _spread(hit, everywhere, 0) > 2.5:
        raise AssertionError(f"some pixel positions are {what} far more often than others across the batch: every "
                             f"pixel of every image must be {what} with the same probability p ({how})")


def _not_a_fixed_count(answer, x, p, what, changed):
    """Coin flips hit a number of pixels that varies from call to call; a fixed fraction p does not."""
    counts = {int(changed(_corrupted(answer, x, p), x).sum()) for _ in range(4)}
    if len(counts) == 1:
        raise AssertionError(f"four calls {what} exactly {counts.pop():,} pixels each time: you pick a fixed "
                             "fraction p of the pixels, but each pixel must be hit with probability p on its own (a "
                             "coin flip per pixel), so the number hit varies a little from call to call")


def _keeps_device(answer):
    on_another_device(answer, (torch.rand(4, 1, 8, 8), 0.3),
                      "your function makes its random numbers (or a new tensor) on the CPU, whatever the device of "
                      "x: draw them with torch.rand_like(x), or pass device=x.device")


def _keeps_dtype(answer):
    x = torch.rand(50, 1, 8, 8, generator=seeded(6), dtype=torch.float64) * 0.8 + 0.1
    out = call(answer, x, 0.3)
    if not isinstance(out, torch.Tensor) or out.dtype != torch.float64:
        raise AssertionError(f"for a float64 batch you returned {getattr(out, 'dtype', type(out).__name__)}: keep the "
                             "input's dtype (no .float(), and no new tensor made with the default dtype)")
    expect_float_tensor(out, x.shape, "the corrupted batch")
    kept = (out != 0) & (out != 1)
    if not torch.equal(out[kept], x[kept]):
        raise AssertionError("pixels that are not hit must keep their exact value")


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


def _salt_and_pepper_flips(answer):
    """Each pixel: hit or not by its own coin flip of probability p, then salt or pepper by its own fair coin,
    independently of the other pixels, of the other images and of the pixel's value."""
    p, x = 0.3, _grey()
    out = _corrupted(answer, x, p)
    hit, salt = out != x, out == 1
    if not torch.all((out[hit] == 0) | (out[hit] == 1)):
        raise AssertionError("changed pixels must become exactly 0 (pepper) or 1 (salt)")
    _coin_flips(_per_image(hit), "hit", "torch.rand_like(x) < p")
    if abs(hit.float().mean().item() - p) > 0.02:
        raise AssertionError(f"with p = {p} you changed {hit.float().mean().item():.1%} of the pixels; "
                             f"expected about {p:.0%}")
    hit, salt = _per_image(hit), _per_image(salt)
    if _spread(salt, hit, 1) > 1.33 or _spread(salt, hit, 0) > 2.5:
        raise AssertionError("salt and pepper are not chosen pixel by pixel: the hit pixels of an image, or of one "
                             "position across the batch, tend to be all salt or all pepper; toss a separate fair "
                             "coin for every pixel (a second torch.rand_like(x) < 0.5)")
    flat = _per_image(x)
    if abs(flat[hit].mean() - flat[~hit].mean()) > 0.05:
        raise AssertionError("which pixels are hit depends on their value: every pixel must be hit with the same "
                             "probability p, bright or dark")
    if abs(flat[salt].mean() - flat[hit & ~salt].mean()) > 0.05:
        raise AssertionError("whether a hit pixel becomes salt or pepper depends on its value (bright pixels become "
                             "salt more often, as with x.round()): toss a fair coin, whatever the pixel's value")
    _not_a_fixed_count(answer, x, p, "changed", lambda out, x: out != x)


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
        Case("every pixel of every image: hit by its own coin flip, salt or pepper by another",
             _salt_and_pepper_flips),
        Case("a float64 batch stays float64", _keeps_dtype),
        Case("works on any device (draws its noise on x's device)", _keeps_device),
    ],
    hints=[
        "Draw one uniform random number per pixel (torch.rand_like(x)): it decides whether the pixel is hit. "
        "A second one decides salt or pepper.",
        "hit = torch.rand_like(x) < p; salt = torch.rand_like(x) < 0.5. torch.where chooses per pixel.",
        "torch.where(hit, salt.float(), x): hit pixels become 1.0 or 0.0, the others keep their value.",
    ],
    same_as=["skimage.util.random_noise"],
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


def _masking_flips(answer):
    """Each pixel is masked by its own coin flip of probability p, independently of the other pixels, of the other
    images and of its value."""
    p, x = 0.3, _grey()
    out = _corrupted(answer, x, p)
    if not torch.all(out[out != x] == 0):
        raise AssertionError("masked pixels must become exactly 0; the others keep their value")
    zeroed = _per_image(out == 0)
    _coin_flips(zeroed, "masked", "torch.rand_like(x) >= p keeps a pixel")
    if abs(zeroed.float().mean().item() - p) > 0.02:
        raise AssertionError(f"with p = {p} you zeroed {zeroed.float().mean().item():.1%} of the pixels; "
                             f"expected about {p:.0%}")
    flat = _per_image(x)
    if abs(flat[zeroed].mean() - flat[~zeroed].mean()) > 0.05:
        raise AssertionError("which pixels are masked depends on their value: every pixel must be masked with the "
                             "same probability p, bright or dark")
    _not_a_fixed_count(answer, x, p, "masked", lambda out, x: out == 0)


masking = Exercise(
    "Exercise 2: masking noise",
    noise.masking,
    cases=[
        Case("p = 0.25 on 128,000 pixels", _masks(0.25)),
        Case("p = 0.75", _masks(0.75)),
        Case("p = 0 leaves the images alone", _masks(0.0)),
        Case("random: new noise every call, spread over the whole batch", _random_and_spread),
        Case("every pixel of every image is masked by its own coin flip", _masking_flips),
        Case("a float64 batch stays float64", _keeps_dtype),
        Case("works on any device (draws its noise on x's device)", _keeps_device),
    ],
    hints=[
        "One uniform random number per pixel decides whether the pixel is kept.",
        "keep = torch.rand_like(x) >= p is True for a fraction 1 - p of the pixels.",
        "Multiply: x * keep. Do not divide by 1 - p: that is dropout's rescaling, not masking noise.",
    ],
    # random_noise(mode="pepper") is masking noise, and so is dropout without its rescaling
    same_as=["skimage.util.random_noise", "torch.nn.functional.dropout", "torch.dropout"],
)


# --- Exercise 3: PSNR -------------------------------------------------------------------------

def _noisy_batch():
    x = _grey(6)
    x_hat = (x + 0.1 * torch.randn(x.shape, generator=seeded(3))).clamp(0, 1)
    x_hat[0] = (x[0] + 0.3).clamp(0, 1)  # one much worse image, so per-image and whole-batch averages differ
    return x_hat, x


def _one_image():
    """A batch of a single image, not square: (1, 1, 5, 7)."""
    x = torch.rand(1, 1, 5, 7, generator=seeded(7)) * 0.8 + 0.1
    return (x + 0.05 * torch.randn(x.shape, generator=seeded(8))).clamp(0, 1), x


def _mse(x_hat, x):
    return (x_hat - x).pow(2).flatten(1).mean(1)


def _psnr_is(formula):
    """``looks_like``: the learner's values are ``formula(mse of each image)``."""
    return lambda got, expected, x_hat, x: got.shape == expected.shape and torch.allclose(
        got.double(), formula(_mse(x_hat, x).double()).to(got.device), rtol=1e-3, atol=1e-3)


PSNR_MISTAKES = [
    Mistake("you returned one PSNR for the whole batch; return one value per image, shape (N,), and average those",
            lambda got, expected, x_hat, x: got.numel() == 1 and len(x) > 1 and torch.allclose(
                got.float().reshape(()), 10 * torch.log10(1 / (x_hat - x).pow(2).mean()), atol=1e-3)),
    Mistake("your PSNR has the wrong sign: 10 log10(1 / MSE), larger is better",
            lambda got, expected, x_hat, x: got.shape == expected.shape and torch.allclose(got, -expected, atol=1e-3)),
    Mistake("you used the natural logarithm (torch.log); decibels use log base 10 (torch.log10)",
            _psnr_is(lambda mse: 10 * torch.log(1 / mse))),
    Mistake("you summed the squared errors over the pixels; the MSE is their mean",
            lambda got, expected, x_hat, x: got.shape == expected.shape and torch.allclose(
                got.double(), 10 * torch.log10(1 / (x_hat - x).pow(2).flatten(1).sum(1).double()), atol=1e-3)),
    Mistake("you took 10 log10 of 1 / RMSE (the square root of the MSE): it is 10 log10(1 / MSE), or equally "
            "20 log10(1 / RMSE)", _psnr_is(lambda mse: 10 * torch.log10(1 / mse.sqrt()))),
    Mistake("you took 20 log10(1 / MSE): the factor 20 goes with the RMSE; with the MSE it is 10 log10(1 / MSE)",
            _psnr_is(lambda mse: 20 * torch.log10(1 / mse))),
    Mistake("your peak value is 255: these pixels lie in [0, 1], so the peak is 1 and PSNR = 10 log10(1 / MSE)",
            _psnr_is(lambda mse: 10 * torch.log10(255 ** 2 / mse))),
    Mistake(lambda got, expected, x_hat, x: f"you returned shape {tuple(got.shape)}: one PSNR per image, shape "
                                            f"{tuple(expected.shape)}; average the squared errors over every "
                                            "dimension but the first (and squeeze() turns a batch of one into a "
                                            "single number)",
            lambda got, expected, x_hat, x: got.shape != expected.shape),
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
        Case("a batch of one image of 5 x 7 pixels", inputs=_one_image, compare=close(atol=1e-3),
             mistakes=PSNR_MISTAKES),
    ],
    hints=[
        "First the mean squared error of each image: average over every dimension except the first.",
        "(x_hat - x).pow(2).flatten(1).mean(1) has shape (N,).",
        "10 * torch.log10(1 / mse): with pixels in [0, 1] the peak value is 1.",
    ],
    same_as=["skimage.metrics.peak_signal_noise_ratio"],
)
