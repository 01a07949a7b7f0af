"""Classical denoising filters, the baselines a practitioner tries first.

All work on batches of grey images (N, 1, H, W) in [0, 1], vectorised in torch,
and return a new tensor of the same shape.
"""
import torch
import torch.nn.functional as F


def _check(x):
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"Filters take grey image batches of shape (N, 1, H, W), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}.")


def gaussian_blur(x, sigma):
    """Convolve with a Gaussian of standard deviation ``sigma`` pixels (kernel 2*ceil(3 sigma)+1, reflect padding)."""
    _check(x)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}.")
    radius = max(1, int(3 * sigma + 0.999))
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    padded = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1))
    return F.conv2d(rows, kernel.view(1, 1, -1, 1))


def median_filter(x, size=3):
    """Replace each pixel by the median of its ``size`` x ``size`` neighbourhood (reflect padding)."""
    _check(x)
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd number, got {size!r}.")
    radius = size // 2
    padded = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    patches = F.unfold(padded, size)  # (N, size*size, H*W)
    return patches.median(dim=1).values.view_as(x)


def masked_fill(x, size=3):
    """Fill zero pixels with the mean of the non-zero pixels around them (normalised convolution).

    For masking noise, where dropped pixels are 0. Pixels with no non-zero neighbour stay 0.
    """
    _check(x)
    kernel = torch.ones(1, 1, size, size, dtype=x.dtype, device=x.device)
    present = (x != 0).to(x.dtype)
    total = F.conv2d(x, kernel, padding=size // 2)
    count = F.conv2d(present, kernel, padding=size // 2)
    return torch.where(present.bool(), x, total / count.clamp(min=1))
