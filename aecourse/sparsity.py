"""Sparse codes: the top-k activation that makes them, and the measures that describe them.

(The L1 and KL sparsity penalties are in :mod:`aecourse.losses`.) Shapes:
``codes`` is (N, units), one row per image. A unit is **active** on an image when its code value is above
``threshold`` (default 0: a ReLU or top-k unit that fires at all; for sigmoid
codes pass a threshold such as 0.1, and say which you use).
"""
import torch


def _check_codes(codes, name="codes"):
    if not isinstance(codes, torch.Tensor) or codes.ndim != 2 or not codes.is_floating_point():
        shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
        raise ValueError(f"{name} must be a floating-point tensor of shape (N, units), got {shape}.")


def _check_k(k, units):
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= units:
        raise ValueError(f"k must be a whole number between 1 and the code width {units}, got {k!r}.")


def top_k(codes, k):
    """Keep the ``k`` largest values of each row, set the others to 0 (Makhzani & Frey 2013).

    Gradients flow through the kept values only. Ties are broken by position (the first
    ones win), so every row has exactly ``k`` kept entries. Shape (N, units) -> (N, units).
    """
    _check_codes(codes)
    _check_k(k, codes.shape[1])
    index = codes.topk(k, dim=1).indices
    return torch.zeros_like(codes).scatter(1, index, codes.gather(1, index))


def active(codes, threshold=0.0):
    """Boolean (N, units): which units are active on which image."""
    _check_codes(codes)
    return codes > threshold


def l0(codes, threshold=0.0):
    """Mean number of active units per image (a float)."""
    return active(codes, threshold).sum(1).float().mean().item()


def dead_fraction(codes, threshold=0.0):
    """Fraction of units active on no image of ``codes`` (a float in [0, 1])."""
    return (~active(codes, threshold).any(0)).float().mean().item()


def fraction_of_variance_unexplained(reconstruction, target):
    """FVU = ||target - reconstruction||^2 / ||target - mean(target)||^2, over all rows (a float).

    0 is perfect; 1 is no better than predicting the mean row. Shapes (N, d) and (N, d).
    """
    if reconstruction.shape != target.shape:
        raise ValueError(f"Shapes differ: {tuple(reconstruction.shape)} and {tuple(target.shape)}.")
    residual = (target - reconstruction).pow(2).sum()
    spread = (target - target.mean(0)).pow(2).sum().clamp(min=1e-12)
    return (residual / spread).item()


def class_purity(codes, labels, top=50, threshold=0.0):
    """For each unit, the share of its ``top`` most strongly activating images that carry its most common label.

    A unit that fires for one class only scores 1; one that fires across all ten classes
    of a balanced set scores about 0.1. A unit active (above ``threshold``) on fewer than
    ``top`` images is too rare to judge and gets NaN, like a dead unit: otherwise a unit
    that fires on a single image would score a perfect 1.

    Returns:
        Tensor (units,) of purities in [0, 1], NaN for units active on fewer than ``top`` images.
    """
    _check_codes(codes)
    if labels.shape != (codes.shape[0],):
        raise ValueError(f"labels must have shape ({codes.shape[0]},), got {tuple(labels.shape)}.")
    if not 1 <= top <= codes.shape[0]:
        raise ValueError(f"top must be between 1 and the number of images {codes.shape[0]}, got {top!r}.")
    top_labels = labels[codes.topk(top, dim=0).indices]  # (top, units)
    counts = torch.zeros(int(labels.max()) + 1, codes.shape[1])
    counts.scatter_add_(0, top_labels, torch.ones_like(top_labels, dtype=counts.dtype))
    purity = counts.max(0).values / top
    judged = (codes > threshold).sum(0) >= top
    return torch.where(judged, purity, torch.full_like(purity, float("nan")))
