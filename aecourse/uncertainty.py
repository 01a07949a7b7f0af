"""Is a difference between two of our numbers real? A paired bootstrap confidence interval.

Two methods scored on the same test items (images, queries) give paired scores, and
the difference of their means depends on which items happen to be in the test set.
:func:`paired_difference` resamples the items with replacement, recomputes the
difference each time and reports the central ``level`` share of those differences
(Efron & Tibshirani 1993, the percentile interval), with :func:`scipy.stats.bootstrap`
(``paired=True``, ``method="percentile"``)::

    d = paired_difference(ssim_filter, ssim_network)   # per-image scores, shape (N,) each
    print(d)           # +0.043 (95 % interval +0.039 to +0.047)
    d.decided          # True when the interval leaves out 0

It measures the test set's sampling noise only, not the training seed's: a difference
inside its interval names no winner, and one outside may still move with another seed
(train several seeds for that, and give ``aecourse.results`` their values).
"""
import inspect
import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import bootstrap

# SciPy 1.15 renamed bootstrap's random_state to rng; both take a numpy Generator and draw the same resamples from it
_RNG_KEYWORD = "rng" if "rng" in inspect.signature(bootstrap).parameters else "random_state"


@dataclass(frozen=True)
class Difference:
    """Mean of ``a - b`` over the items, with its bootstrap interval at ``level`` (e.g. 0.95)."""

    mean: float
    low: float
    high: float
    level: float
    items: int

    @property
    def decided(self):
        """True when the interval leaves out 0: on these items one method is better."""
        return self.low > 0 or self.high < 0

    def __str__(self):
        return f"{self.mean:+.3g} ({self.level * 100:.0f} % interval {self.low:+.3g} to {self.high:+.3g})"


def _scores(values, name):
    try:
        scores = torch.as_tensor(values, dtype=torch.float64).detach().cpu()
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be a sequence or tensor of numbers, one per item: {error}") from None
    if scores.dim() != 1:
        raise ValueError(f"{name} must hold one score per item, shape (N,), got shape {tuple(scores.shape)}.")
    if not torch.isfinite(scores).all():
        raise ValueError(f"{name} holds NaN or infinite scores.")
    return scores


def paired_difference(a, b, level=0.95, resamples=2000, seed=0):
    """Bootstrap interval for ``mean(a) - mean(b)``, where ``a[i]`` and ``b[i]`` score the same item.

    Args:
        a, b: scores of two methods on the same N items, shape (N,) each (booleans count as 0/1).
        level: the interval's coverage, in (0, 1).
        resamples: bootstrap resamples of the N items.
        seed: seed of the resampling (a non-negative int for ``numpy.random.default_rng``), so the interval is
            the same on every run.

    Returns:
        :class:`Difference`.
    """
    a, b = _scores(a, "a"), _scores(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a and b must score the same items: got {len(a)} and {len(b)} scores.")
    if len(a) < 2:
        raise ValueError(f"need at least 2 paired scores, got {len(a)}.")
    if isinstance(level, bool) or not isinstance(level, float) or not 0 < level < 1 or math.isnan(level):
        raise ValueError(f"level must be a number between 0 and 1, e.g. 0.95, got {level!r}.")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise ValueError(f"resamples must be an int of at least 100, got {resamples!r}.")
    differences = a - b

    def mean_difference(a, b, axis):
        return np.mean(a - b, axis=axis)

    result = bootstrap((a.numpy(), b.numpy()), mean_difference, paired=True, vectorized=True, method="percentile",
                       n_resamples=resamples, batch=100,  # 100 resamples at a time keeps memory small for large N
                       confidence_level=level, **{_RNG_KEYWORD: np.random.default_rng(seed)})
    low, high = result.confidence_interval
    return Difference(differences.mean().item(), float(low), float(high), level, len(differences))
