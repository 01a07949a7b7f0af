"""Exercises of notebook 04, denoising autoencoders."""
import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from .. import metrics, noise
from .core import Case, Exercise
from .expect import Mistake, a_run_seed, adam, call, close, expect_float_tensor, on_another_device, seeded, sgd
from .questions import Question


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


# --- Exercise 4: a blind-spot training step (the build exercise) ------------------------------

def blind_spot_step_reference(model, optimizer, noisy, mask):
    """One training step of a denoiser from noisy images alone (Noise2Self, Batson & Royer 2019): the pixels where
    ``mask`` is True are hidden from the model, each replaced by the weighted mean of its 8 neighbours, and the loss is
    the squared error against the noisy image at those pixels only, averaged over them. Returns it, a float.

    ``noisy`` is a batch (N, 1, H, W); ``mask`` a bool tensor of its shape, True at the pixels hidden this step.
    """
    model.train()  # batch norm and dropout behave as in training
    optimizer.zero_grad()  # else this step's gradients add to the last step's
    kernel = noisy.new_tensor([[0.5, 1.0, 0.5], [1.0, 0.0, 1.0], [0.5, 1.0, 0.5]])  # centre 0: never the pixel itself
    kernel = (kernel / kernel.sum()).view(1, 1, 3, 3)  # weights summing to 1 (the sum is 6); (out, in, 3, 3)
    neighbours = F.conv2d(noisy, kernel, padding=1)  # each pixel's weighted mean of its 8 neighbours (0 beyond)
    inputs = torch.where(mask, neighbours, noisy)  # the hidden pixels replaced, the others as they are
    output = model(inputs)
    loss = (output - noisy)[mask].pow(2).mean()  # against the noisy image, at the hidden pixels only
    loss.backward()
    optimizer.step()
    return loss.item()  # a float: the step's graph is freed


KERNEL = ((0.5, 1.0, 0.5), (1.0, 0.0, 1.0), (0.5, 1.0, 0.5))  # Noise2Self's interpolation, before dividing by 6


def _tiny_denoiser():
    """The notebook's convolutional denoiser in miniature: a 3 x 3 convolution to 4 channels, batch norm, tanh, and a
    3 x 3 convolution back to 1 channel (each output pixel sees 5 x 5 input pixels). The first convolution has no
    bias, as in the notebook: batch norm would cancel it, and Adam would blow its rounding noise up to full steps."""
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.Tanh(),
                         nn.Conv2d(4, 1, 3, padding=1))


def _mask(g, size, hidden):
    """A bool mask of ``size``: each pixel hidden with probability ``hidden`` (and at least one pixel hidden), or,
    for ``hidden="one"``, a single hidden pixel anywhere in the batch."""
    mask = torch.rand(size, generator=g) < hidden if hidden != "one" else torch.zeros(size, dtype=torch.bool)
    mask.view(-1)[torch.randint(0, mask.numel(), (1,), generator=g)] = True
    return mask


def _blind_spot_training(optimizer, size, hidden, steps=3):
    """``observe`` for a blind-spot step: a fresh tiny denoiser (in evaluation mode, as fit and predict leave a model),
    ``steps`` steps on batches of ``size`` noisy images, each with its own mask; what the function returned at each
    step, and the parameters it left. Every call goes through ``call``: an answer that changes ``noisy`` or ``mask``
    in place fails."""
    def observe(function, seed):
        torch.manual_seed(seed)  # the same start for the reference and the answer (the check's own stream)
        model = _tiny_denoiser().eval()
        g = torch.Generator().manual_seed(seed)
        batches = [(torch.rand(size, generator=g), _mask(g, size, hidden)) for _ in range(steps)]
        chosen = optimizer(model.parameters())
        with _one_thread():
            returned = [call(function, model, chosen, noisy, mask) for noisy, mask in batches]
        return returned, torch.cat([p.detach().flatten() for p in model.parameters()])
    return observe


@contextmanager
def _one_thread():
    """Run a block on one CPU thread: a tiny model gains nothing from more, and on a busy machine the threads wait
    for each other (the steps of a check and its mistakes ran 20 to 40 times slower with 2 threads on 2 busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _same_steps_as_the_reference(got, expected, what):
    returned, parameters = got
    for value in returned:
        if isinstance(value, torch.Tensor):
            raise AssertionError("you returned a tensor; return the step's loss as a Python float, loss.item() (a "
                                 "tensor keeps the step's graph alive, and memory fills up)")
        if not isinstance(value, float):
            raise AssertionError(f"you returned {type(value).__name__}; return the step's loss, a float")
    if not torch.isfinite(parameters).all():
        raise AssertionError("after your steps some parameters are NaN or infinite: a mean over no pixels (0 / 0)? An "
                             "image of the batch may have no hidden pixel at all: average over all the hidden pixels "
                             "of the batch together")
    if not torch.allclose(parameters, expected[1], rtol=1e-4, atol=1e-5):
        raise AssertionError("after 3 steps the parameters differ from the reference's steps, from the same start on "
                             "the same noisy images and masks")
    for step, (value, reference) in enumerate(zip(returned, expected[0]), start=1):
        if not math.isclose(value, reference, rel_tol=1e-4, abs_tol=1e-6):
            raise AssertionError(f"the parameters are right, but at step {step} you returned {value:.6g}, not the "
                                 "step's loss: the mean squared error between the output and the noisy image over the "
                                 "hidden pixels, before the step")


def _blind_spot_variant(zero_grad=True, train=True, flip=False, kernel=KERNEL, divide=6.0, padding="zeros",
                        fill="neighbours", target="noisy", where="hidden", reduce="mean"):
    """A blind-spot step written with one of the usual mistakes (the mistakes below compare with it)."""
    def step(model, optimizer, noisy, mask):
        if flip:
            mask = ~mask
        if train:
            model.train()
        if zero_grad:
            optimizer.zero_grad()
        weights = (noisy.new_tensor(kernel) / divide).view(1, 1, 3, 3)
        if padding == "zeros":
            neighbours = F.conv2d(noisy, weights, padding=1)
        elif padding == "renormalised":  # divided by the weights that fall inside the image
            neighbours = F.conv2d(noisy, weights, padding=1) / F.conv2d(torch.ones_like(noisy), weights, padding=1)
        else:
            neighbours = F.conv2d(F.pad(noisy, (1, 1, 1, 1), mode=padding), weights)
        inputs = {"neighbours": torch.where(mask, neighbours, noisy), "none": noisy,
                  "zero": torch.where(mask, torch.zeros_like(noisy), noisy)}[fill]
        error = (model(inputs) - (noisy if target == "noisy" else inputs)).pow(2)
        chosen = {"hidden": mask, "shown": ~mask, "all": torch.ones_like(mask)}[where]
        if reduce == "mean":
            loss = error[chosen].mean()
        elif reduce == "all pixels":
            loss = error[chosen].sum() / error.numel()
        elif reduce == "sum":
            loss = error[chosen].sum()
        else:  # each image's mean, then the mean over the images
            loss = ((error * chosen).flatten(1).sum(1) / chosen.flatten(1).sum(1)).mean()
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def _same_run(got, wrong):
    return (torch.allclose(got[1], wrong[1], rtol=1e-4, atol=1e-5)
            and all(isinstance(value, float) and math.isclose(value, other, rel_tol=1e-4, abs_tol=1e-6)
                    for value, other in zip(got[0], wrong[0])))


def _blind_spot_mistakes(observe):
    def like(*variants):
        return lambda got, expected, seed: any(_same_run(got, observe(variant, seed)) for variant in variants)

    uniform, cross = ((1.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 1.0)), ((0, 1.0, 0), (1.0, 0, 1.0), (0, 1.0, 0))
    centred = ((0.5, 1.0, 0.5), (1.0, 1.0, 1.0), (0.5, 1.0, 0.5))
    return [
        Mistake("the parameters did not change: every step needs loss.backward() and then optimizer.step(), in that "
                "order (a step before backward() finds the gradients zero_grad() just cleared), and no "
                "torch.no_grad() around them",
                lambda got, expected, seed: torch.allclose(got[1], observe(lambda *args: 0.0, seed)[1])),
        Mistake("your loss covers every pixel: at the pixels you did not hide the network sees the very value it "
                "must output, so copying its input, noise included (the identity), is the best it can learn. "
                "Compute the loss at the hidden pixels only, where mask is True",
                like(_blind_spot_variant(where="all"))),
        Mistake("the model still sees the pixels it must predict: replace each hidden pixel by the weighted mean of "
                "its 8 neighbours before running the model, else copying its input (the identity, noise included) "
                "is the best it can learn", like(_blind_spot_variant(fill="none"))),
        Mistake("your loss is computed at the pixels you did not hide, where the network sees the value it must "
                "output (the identity wins): compute it at the hidden pixels, where mask is True",
                like(_blind_spot_variant(where="shown"))),
        Mistake("you hid the pixels where mask is False: mask is True at the pixels to hide this step; replace those "
                "and compute the loss there", like(_blind_spot_variant(flip=True))),
        Mistake("you set the hidden pixels to 0: that hides them too, but the exercise asks for Noise2Self's "
                "interpolation, the weighted mean of the 8 neighbours (F.conv2d with the kernel / 6), so that the "
                "network's input looks like an ordinary image, as it will when it denoises",
                like(_blind_spot_variant(fill="zero"))),
        Mistake("your kernel's centre weight is not 0: each hidden pixel's replacement contains its own noisy value, "
                "so the network can still read the pixel it must predict (the identity creeps back in). The centre "
                "of the kernel is 0", like(*(_blind_spot_variant(kernel=centred, divide=d) for d in (7.0, 6.0)),
                                             _blind_spot_variant(kernel=((1.0,) * 3,) * 3, divide=9.0))),
        Mistake("your kernel's weights do not add up to 1: divide them by their sum, 6 (not by 8 or 9, the number "
                "of neighbours or of cells), so that a hidden pixel gets its neighbours' mean",
                like(*(_blind_spot_variant(divide=d) for d in (1.0, 8.0, 9.0)))),
        Mistake("your interpolation weighs the neighbours differently from the exercise's kernel, "
                "[[0.5, 1, 0.5], [1, 0, 1], [0.5, 1, 0.5]] / 6 (the diagonal neighbours count half)",
                like(_blind_spot_variant(kernel=uniform, divide=8.0), _blind_spot_variant(kernel=cross, divide=4.0))),
        Mistake("at the border of the image your interpolation differs: F.conv2d(noisy, kernel, padding=1) counts the "
                "pixels beyond the border as 0, with the weights still divided by 6 (as Noise2Self does)",
                like(*(_blind_spot_variant(padding=p) for p in ("reflect", "replicate", "renormalised")))),
        Mistake("your loss compares the output with the interpolated input, not with the noisy image: the network "
                "then learns to reproduce the blur of the neighbours. At a hidden pixel the target is its noisy "
                "value, noisy[mask]", like(_blind_spot_variant(target="input"))),
        Mistake("your loss divides the hidden pixels' squared errors by the number of all the pixels: average over "
                "the hidden pixels only (divide by mask.sum(), or take (output - noisy)[mask].pow(2).mean()); else the "
                "loss shrinks with the fraction hidden and changes its scale with every mask",
                like(_blind_spot_variant(reduce="all pixels"))),
        Mistake("your loss is the sum of the squared errors over the hidden pixels: take their mean, so that the "
                "loss does not grow with the number of pixels hidden", like(_blind_spot_variant(reduce="sum"))),
        Mistake("you averaged each image's hidden pixels, then the images: an image with few hidden pixels then "
                "weighs as much as one with many (and one with none gives 0 / 0). Average over all the hidden pixels "
                "of the batch at once", like(_blind_spot_variant(reduce="per image"))),
        Mistake("the gradients add up from step to step: call optimizer.zero_grad() before backward()",
                like(_blind_spot_variant(zero_grad=False))),
        Mistake("the model stays in evaluation mode, so its batch norm does not train as it should: call "
                "model.train() first (fit and predict leave a model in evaluation mode)",
                like(_blind_spot_variant(train=False))),
    ]


def _blind_spot_case(description, seed, optimizer, size, hidden):
    observe = _blind_spot_training(optimizer, size, hidden)
    return Case(description, inputs=a_run_seed(seed), observe=observe,
                compare=_same_steps_as_the_reference, mistakes=_blind_spot_mistakes(observe))


blind_spot_step = Exercise(
    "Exercise 4: a blind-spot training step",
    blind_spot_step_reference,
    cases=[
        _blind_spot_case("a tiny convolutional denoiser (4 channels, batch norm), 3 steps of plain SGD on batches of "
                         "3 noisy 6 x 6 images, about a fifth of the pixels hidden at random, a new mask every step",
                         60, sgd, (3, 1, 6, 6), 0.2),
        _blind_spot_case("the same with Adam (the optimiser fit uses), on 7 x 5 images", 61, adam, (3, 1, 7, 5), 0.2),
        _blind_spot_case("a single hidden pixel per step (8 x 8 images, plain SGD): the loss is that pixel's squared "
                         "error", 62, sgd, (3, 1, 8, 8), "one"),
    ],
    hints=[
        "Three parts between the usual model.train(), optimizer.zero_grad() and loss.backward(), optimizer.step(): "
        "hide the masked pixels (the model's input), run the model, and score it against noisy at the hidden pixels "
        "only.",
        "kernel = noisy.new_tensor([[0.5, 1, 0.5], [1, 0, 1], [0.5, 1, 0.5]]) / 6, then .view(1, 1, 3, 3); "
        "F.conv2d(noisy, kernel, padding=1) gives every pixel the mean of its neighbours, and torch.where(mask, "
        "that, noisy) keeps the pixels that are not hidden.",
        "output = model(inputs); loss = (output - noisy)[mask].pow(2).mean(): the target is the noisy image, and the "
        "mean runs over the hidden pixels only. Then loss.backward(), optimizer.step(), return loss.item().",
    ],
    # skimage's J-invariant denoising hides pixels and interpolates them; fit would run the steps
    same_as=["aecourse.train.fit", "skimage.restoration.j_invariant"],
    build=True,
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: Half the error, how many decibels?",
    math.log10(2) * 10,
    "PSNR is 10 log10(1 / MSE) for images in [0, 1], so dividing the mean squared error by 2 adds "
    "10 log10(2) = 3.01 dB, whatever the starting error: every 3 dB on the tables of this notebook is half the "
    "squared error, every 10 dB a tenth of it.",
    tolerance=0.05, unit="dB")

q2 = Question(
    "Question 2: What a blind denoiser gains",
    "b",
    "At weak noise there is little to remove: the noisy image is already close, and whatever the network blurs or "
    "misplaces costs as much as the noise it removes, so the gain is small (on some digits even negative). At "
    "strong noise the noisy image is far from the clean one and the network's knowledge of what digits look like "
    "is worth many dB. The sweep of section 8 shows the same on 1,000 test images: the curves of the models rise "
    "far above the noisy input's as sigma grows.",
    choices={"a": "About the same number of dB at every sigma: a denoiser removes a fixed share of the noise.",
             "b": "It grows with sigma: small at sigma = 0.1, large at sigma = 0.9.",
             "c": "It shrinks as sigma grows: strong noise destroys the digit, so there is less to recover.",
             "d": "It is below zero everywhere: a model trained on every strength is worse than the noisy image."},
    why_not={"a": "look at both numbers under the pictures at sigma = 0.1 and at 0.9: the distance between them is "
                  "not the same",
             "c": "strong noise destroys much of each pixel, but the network knows what a digit looks like; "
                  "compare the distance between the two PSNRs at the two ends of the slider",
             "d": "read the two PSNRs again at strong noise: the denoised one is far above the noisy one"})

q3 = Question(
    "Question 3: How low can the blind-spot loss go?",
    "b",
    "The loss compares the prediction at a hidden pixel with its noisy value, y = x + n. The network never sees "
    "that pixel, and the noise n is independent of the neighbours it does see, so n cannot be predicted: the "
    "expected loss is sigma^2 (here 0.5^2 = 0.25, the noise is not clipped) plus the squared error against the "
    "clean pixel, and only that second part can shrink. The losses the demonstration prints level off just above "
    "0.25.",
    choices={"a": "Towards 0, as a supervised model's loss does when it trains long enough.",
             "b": "Not below about sigma^2 = 0.25: only the part of the loss that is error against the clean "
                  "image can shrink.",
             "c": "Not below about 2 sigma^2 = 0.5: both the input and the target are noisy.",
             "d": "Not below the noisy input's own error against the clean image, since the target is noisy."},
    why_not={"a": "the target is the noisy value of a pixel the network cannot see; what part of that value can "
                  "its neighbours tell it?",
             "c": "the input's noise does not add to the loss: the hidden pixel's own noise is what no network can "
                  "predict, once",
             "d": "the loss is measured against the noisy value, and the network's output can be much closer to "
                  "the clean image than the noisy input is: count what the noise adds to the loss"})
