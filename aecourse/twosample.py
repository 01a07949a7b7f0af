"""Do two sets of points come from the same distribution? Two-sample statistics for codes against a prior.

- :func:`mmd`: the maximum mean discrepancy with a Gaussian kernel (Gretton et al. 2012),
  unbiased estimate of MMD^2, the bandwidth set to the median distance between all points
  (the "median heuristic"); 0 in expectation when the distributions are equal.
- :func:`mmd_test`: MMD with a permutation test: how often does MMD^2 of a random split
  of the pooled points reach the observed value? A small p-value says "different".
- :func:`sliced_wasserstein`: the mean, over random directions, of the 1-D Wasserstein-1
  distance between the projected points; in the points' own units, easy to read.

Inputs are tensors (N, d) and (M, d); the statistics run on the CPU in float64, from
their own seeded generators, so the same call gives the same number.
"""
from dataclasses import dataclass

import torch


def _check(a, b):
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, torch.Tensor) or value.ndim != 2 or len(value) < 2:
            raise ValueError(f"{name} must be a tensor of shape (N, d) with N >= 2.")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"The two sets have different dimensions: {a.shape[1]} and {b.shape[1]}.")
    return a.detach().double().cpu(), b.detach().double().cpu()


def median_bandwidth(points):
    """The median distance between distinct points of ``points`` (N, d): the kernel's bandwidth."""
    distances = torch.cdist(points, points)
    return distances[torch.triu(torch.ones_like(distances, dtype=torch.bool), diagonal=1)].median().item()


def _mmd2(kernel, n):
    """Unbiased MMD^2 from the pooled kernel matrix, the first ``n`` rows being the first set."""
    xx, yy, xy = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
    m = kernel.shape[0] - n
    return ((xx.sum() - xx.diagonal().sum()) / (n * (n - 1)) + (yy.sum() - yy.diagonal().sum()) / (m * (m - 1))
            - 2 * xy.mean())


def mmd(a, b, bandwidth=None):
    """Unbiased estimate of MMD^2 with a Gaussian kernel ``exp(-|x - y|^2 / (2 bandwidth^2))`` (a float)."""
    a, b = _check(a, b)
    pooled = torch.cat([a, b])
    bandwidth = bandwidth or median_bandwidth(pooled)
    kernel = torch.exp(-torch.cdist(pooled, pooled).pow(2) / (2 * bandwidth ** 2))
    return _mmd2(kernel, len(a)).item()


@dataclass
class MMDTest:
    """Outcome of :func:`mmd_test`: the statistic, its permutation p-value and the threshold at ``level``."""

    mmd2: float
    p_value: float
    threshold: float
    bandwidth: float

    @property
    def same(self):
        """True when the test does not reject "same distribution" (at the level it was run with)."""
        return self.mmd2 <= self.threshold


def mmd_test(a, b, permutations=200, level=0.05, seed=0):
    """MMD^2 of ``a`` against ``b`` with a permutation test; returns an :class:`MMDTest`."""
    a, b = _check(a, b)
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}.")
    pooled = torch.cat([a, b])
    bandwidth = median_bandwidth(pooled)
    kernel = torch.exp(-torch.cdist(pooled, pooled).pow(2) / (2 * bandwidth ** 2))
    observed = _mmd2(kernel, len(a)).item()
    generator = torch.Generator().manual_seed(seed)
    null = []
    for _ in range(permutations):
        order = torch.randperm(len(pooled), generator=generator)
        null.append(_mmd2(kernel[order][:, order], len(a)).item())
    null = torch.tensor(null)
    p_value = ((null >= observed).sum().item() + 1) / (permutations + 1)
    return MMDTest(observed, p_value, torch.quantile(null, 1 - level).item(), bandwidth)


def sliced_wasserstein(a, b, directions=200, seed=0):
    """Mean over random unit directions of the Wasserstein-1 distance between the projections (a float).

    Sets of different sizes are compared through matching quantiles.
    """
    a, b = _check(a, b)
    generator = torch.Generator().manual_seed(seed)
    units = torch.randn(a.shape[1], directions, generator=generator, dtype=torch.float64)
    units = units / units.norm(dim=0, keepdim=True)
    levels = torch.linspace(0, 1, max(len(a), len(b)), dtype=torch.float64)
    qa = torch.quantile(a @ units, levels, dim=0)
    qb = torch.quantile(b @ units, levels, dim=0)
    return (qa - qb).abs().mean().item()
