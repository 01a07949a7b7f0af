"""Corruptions for denoising autoencoders (Vincent et al. 2008, 2010).

Each function takes a batch of images ``x`` (any shape, values in [0, 1], on any
device) and returns a corrupted copy on the same device; ``x`` itself is never
changed. Randomness comes from ``generator``:

- an integer seed: the same seed gives the same noise, on every device (the random
  numbers are drawn on the CPU and moved to ``x``'s device);
- a ``torch.Generator``: numbers are drawn on the generator's device;
- ``None``: PyTorch's global generator of ``x``'s device.
"""
import math

import torch


def _generator(generator):
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(generator)
    raise TypeError(f"generator must be a torch.Generator, an int seed or None, got {type(generator).__name__}.")


def _random(draw, x, generator):
    """``draw`` (torch.rand or torch.randn) numbers shaped like ``x``, from ``generator``, on ``x``'s device."""
    generator = _generator(generator)
    device = x.device if generator is None else generator.device
    return draw(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


def _check_images(x):
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor of images, got "
                        f"{type(x).__name__}{'' if not isinstance(x, torch.Tensor) else ' of ' + str(x.dtype)}.")


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}.")


def _check_level(value, name, positive=False):
    """A level is a number, or a tensor of them (one per image, shaped to broadcast against the batch)."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and bool(torch.isfinite(value).all()
                                              and (value > 0 if positive else value >= 0).all()):
            return
        raise ValueError(f"{name} must hold finite floats {'>' if positive else '>='} 0, got a {value.dtype} tensor "
                         f"from {value.min().item():g} to {value.max().item():g}.")
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or value < 0 or (positive and value == 0)):
        raise ValueError(f"{name} must be a finite number {'>' if positive else '>='} 0, got {value!r}.")


def gaussian(x, sigma, clip=True, generator=None):
    """Additive Gaussian noise: x + sigma * N(0, 1), clipped to [0, 1] unless ``clip=False``.

    Args:
        sigma: standard deviation, in pixel units (pixels span [0, 1]); must be >= 0. A tensor
            gives each image its own, e.g. shape (N, 1, 1, 1) for a batch (N, 1, H, W).
    """
    _check_images(x)
    _check_level(sigma, "sigma")
    noisy = x + sigma * _random(torch.randn, x, generator)
    return noisy.clamp(0, 1) if clip else noisy


def salt_and_pepper(x, p, salt_ratio=0.5, generator=None):
    """Set each pixel, with probability ``p`` (on average a fraction ``p`` of them), to 0 or 1: to 1 (salt) with
    probability ``salt_ratio``, else 0 (pepper)."""
    _check_images(x)
    _check_fraction(p, "p")
    _check_fraction(salt_ratio, "salt_ratio")
    generator = _generator(generator)
    hit = _random(torch.rand, x, generator) < p
    salt = _random(torch.rand, x, generator) < salt_ratio
    return torch.where(hit, salt.to(x.dtype), x)


def speckle(x, sigma, clip=True, generator=None):
    """Multiplicative (speckle) noise: x * (1 + sigma * N(0, 1)), clipped to [0, 1] unless ``clip=False``.

    The noise scales with the pixel: black stays black, bright pixels vary most (standard
    deviation ``sigma * x``), as in coherent imaging (radar, ultrasound, laser light).

    Args:
        sigma: standard deviation of the multiplier around 1; must be >= 0.
    """
    _check_images(x)
    _check_level(sigma, "sigma")
    noisy = x * (1 + sigma * _random(torch.randn, x, generator))
    return noisy.clamp(0, 1) if clip else noisy


def poisson(x, peak, clip=True, generator=None):
    """Shot (Poisson) noise: each pixel counts photons, Poisson(peak * x) / peak, clipped to [0, 1]
    unless ``clip=False``.

    The noise scales with the square root of the signal: a pixel of value ``x`` keeps its
    mean and gets variance ``x / peak``. Fewer photons mean stronger noise.

    Args:
        peak: photons counted at a white pixel (x = 1); must be > 0. 100 is mild, 5 is strong.
    """
    _check_images(x)
    _check_level(peak, "peak", positive=True)
    generator = _generator(generator)
    device = x.device if generator is None else generator.device
    counts = torch.poisson((x * peak).to(device), generator=generator)
    noisy = (counts / peak).to(x.device, x.dtype)
    return noisy.clamp(0, 1) if clip else noisy


def masking(x, p, generator=None):
    """Masking noise: set each pixel to 0 with probability ``p`` (on average a fraction ``p`` of them), like dropout
    on the input (without rescaling)."""
    _check_images(x)
    _check_fraction(p, "p")
    keep = _random(torch.rand, x, generator) >= p
    return x * keep


NOISES = {"gaussian": gaussian, "salt_and_pepper": salt_and_pepper, "masking": masking,
          "speckle": speckle, "poisson": poisson}
# What ``level`` means for each noise, and a range worth exploring: (name, low, high, stronger when it is...).
LEVELS = {"gaussian": ("sigma", 0.0, 1.0, "higher"), "salt_and_pepper": ("p", 0.0, 1.0, "higher"),
          "masking": ("p", 0.0, 1.0, "higher"), "speckle": ("sigma", 0.0, 2.0, "higher"),
          "poisson": ("peak", 1.0, 100.0, "lower")}

NAMES = {"gaussian": "Gaussian", "salt_and_pepper": "salt-and-pepper", "masking": "masking",
         "speckle": "speckle", "poisson": "Poisson"}
_SYMBOLS = {"sigma": "σ", "p": "p", "peak": "peak"}


def label(kind, level):
    """A noise and its level as a reader writes them, e.g. ``label("gaussian", 0.5)`` is ``"Gaussian σ = 0.5"``."""
    if kind not in NOISES:
        raise ValueError(f"Unknown noise {kind!r}. Choose one of: {', '.join(NOISES)}.")
    return f"{NAMES[kind]} {_SYMBOLS[LEVELS[kind][0]]} = {level:g}"


def corrupt(x, kind, level, generator=None):
    """Apply the noise named ``kind`` (a key of ``NOISES``) at ``level`` (its ``LEVELS`` name: sigma, p or peak)."""
    if kind not in NOISES:
        raise ValueError(f"Unknown noise {kind!r}. Choose one of: {', '.join(NOISES)}.")
    return NOISES[kind](x, level, generator=generator)
