"""Priors for the code of an adversarial autoencoder: anything you can sample from.

Each sampler returns a float32 tensor of shape (n, dim) on the CPU, drawn from
its own generator (``seed``), so the same seed gives the same samples and the
global random stream is untouched.

- :func:`gaussian`: a standard normal in ``dim`` dimensions;
- :func:`gaussian_mixture`: 10 (or ``components``) Gaussians, centred on a circle, in 2-D;
  also returns which component each sample came from, so a label can pick its component;
- :func:`swiss_roll`: a 2-D spiral band.
"""
import math
from functools import lru_cache

import torch

PRIORS = ("gaussian", "mixture", "swiss_roll")


def _check_count(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number of samples, got {n!r}.")


def gaussian(n, dim=2, seed=0):
    """``n`` samples of N(0, I) in ``dim`` dimensions: (n, dim)."""
    _check_count(n)
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be a positive whole number, got {dim!r}.")
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def mixture_centres(components=10, radius=4.0):
    """Centres of the mixture's components, evenly spaced on a circle: (components, 2)."""
    angles = 2 * math.pi * torch.arange(components) / components
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def gaussian_mixture(n, components=10, radius=4.0, std=0.5, seed=0, which=None):
    """``n`` samples of a mixture of ``components`` 2-D Gaussians on a circle of ``radius``, each of ``std``.

    Args:
        which: optional int tensor (n,) naming the component of each sample (e.g. a digit's label);
            by default each sample picks a component uniformly at random.

    Returns:
        ``(samples, which)``: (n, 2) float32 and (n,) int64.
    """
    _check_count(n)
    if isinstance(components, bool) or not isinstance(components, int) or components < 1:
        raise ValueError(f"components must be a positive whole number, got {components!r}.")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}.")
    generator = torch.Generator().manual_seed(seed)
    if which is None:
        which = torch.randint(components, (n,), generator=generator)
    elif which.shape != (n,) or which.min() < 0 or which.max() >= components:
        raise ValueError(f"which must hold {n} component numbers in [0, {components}).")
    noise = std * torch.randn(n, 2, generator=generator)
    return mixture_centres(components, radius)[which] + noise, which.long()


def _roll(n, turns, generator):
    """Points along a spiral of ``turns`` turns, uniform in the spiral's parameter (like scikit-learn's Swiss roll)."""
    t = math.pi * (1.5 + 2 * turns * torch.rand(n, generator=generator))  # angle, from 1.5 pi outwards
    radius = 4 * t / (math.pi * (1.5 + 2 * turns))                        # grows with the angle, up to 4
    return torch.stack([radius * t.cos(), radius * t.sin()], dim=1)


@lru_cache(maxsize=None)
def _roll_centre(turns):
    """The mean point of the spiral, from 200,000 draws of a fixed generator, so the prior is centred."""
    return _roll(200_000, turns, torch.Generator().manual_seed(12345)).mean(0)


def swiss_roll(n, turns=1.5, noise=0.15, seed=0):
    """``n`` samples of a 2-D Swiss roll: a spiral band of ``turns`` turns, centred on the origin,
    radius up to 4: (n, 2)."""
    _check_count(n)
    generator = torch.Generator().manual_seed(seed)
    points = _roll(n, turns, generator) - _roll_centre(turns)
    return points + noise * torch.randn(n, 2, generator=generator)


def sample(name, n, dim=2, seed=0):
    """Samples of the prior called ``name`` ("gaussian", "mixture" or "swiss_roll"): (n, dim)."""
    if name not in PRIORS:
        raise ValueError(f"Unknown prior {name!r}. Choose one of: {', '.join(PRIORS)}.")
    if name != "gaussian" and dim != 2:
        raise ValueError(f"The {name} prior is 2-dimensional; a code of {dim} numbers cannot use it "
                         "(use a 2-number code, or the gaussian prior).")
    if name == "gaussian":
        return gaussian(n, dim, seed)
    if name == "mixture":
        return gaussian_mixture(n, seed=seed)[0]
    return swiss_roll(n, seed=seed)
