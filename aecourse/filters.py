"""Classical denoising filters, the baselines a practitioner tries first, and their tuning.

All work on batches of grey images (N, 1, H, W) in [0, 1] and return a new tensor of the
same shape. The blur, the median and the masked-pixel fill are vectorised in torch; non-local
means, total variation, wavelet shrinkage and the bilateral filter are scikit-image's,
applied image by image. :func:`tune` picks each filter's strength on validation images.
"""
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from skimage import restoration

from . import instant


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


def fill_dropped_pixels(x, size=3):
    """Fill zero pixels with the mean of the non-zero pixels around them (normalised convolution).

    For masking noise, where dropped pixels are 0. Pixels with no non-zero neighbour stay 0.
    """
    _check(x)
    kernel = torch.ones(1, 1, size, size, dtype=x.dtype, device=x.device)
    present = (x != 0).to(x.dtype)
    total = F.conv2d(x, kernel, padding=size // 2)
    count = F.conv2d(present, kernel, padding=size // 2)
    return torch.where(present.bool(), x, total / count.clamp(min=1))


def _per_image(denoise, x, threads=False):
    """Apply ``denoise`` (a 2-D float64 array to an array of the same shape) to every image of ``x``.

    ``threads=True`` spreads the images over a thread pool, for a ``denoise`` that releases Python's GIL
    (compiled loops: non-local means, twice as fast on 2 cores); for one built of many small NumPy steps
    (total variation, wavelets) threads only contend for the GIL, and one thread is 2-3 times faster.
    """
    _check(x)
    images = x.detach().cpu().double().numpy()[:, 0]
    if threads:
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            out = np.stack(list(pool.map(denoise, images, chunksize=64)))
    else:
        out = np.stack([denoise(image) for image in images])
    return torch.from_numpy(out).to(x.device, x.dtype)[:, None]


def nl_means(x, h, patch_size=3, patch_distance=5):
    """Non-local means (Buades et al. 2005): average pixels whose surrounding patches look alike.

    Args:
        h: how different two patches may be and still count as alike (pixel units, [0, 1]
            images); larger smooths more.
        patch_size: side of the compared patches, pixels.
        patch_distance: how far (pixels) to search for similar patches.
    """
    if not h > 0:
        raise ValueError(f"h must be positive, got {h!r}.")
    return _per_image(lambda image: restoration.denoise_nl_means(
        image, h=h, patch_size=patch_size, patch_distance=patch_distance, fast_mode=True), x, threads=True)


def total_variation(x, weight):
    """Total-variation denoising (Rudin, Osher & Fatemi 1992; Chambolle's algorithm): the image closest
    to ``x`` with little total gradient, so flat regions with sharp edges; larger ``weight`` is flatter."""
    if not weight > 0:
        raise ValueError(f"weight must be positive, got {weight!r}.")
    return _per_image(lambda image: restoration.denoise_tv_chambolle(image, weight=weight), x)


def wavelet(x, sigma):
    """Wavelet shrinkage (BayesShrink, Chang et al. 2000): shrink the small wavelet coefficients, where
    noise lives, of an image with noise of standard deviation ``sigma`` (pixel units)."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}.")
    return _per_image(lambda image: restoration.denoise_wavelet(image, sigma=sigma, rescale_sigma=True), x)


def bilateral(x, sigma_color, sigma_spatial=1.0):
    """Bilateral filter (Tomasi & Manduchi 1998): a blur that averages only pixels of similar value, so
    edges survive. ``sigma_color``: how similar (pixel units); ``sigma_spatial``: how near (pixels)."""
    if not (sigma_color > 0 and sigma_spatial > 0):
        raise ValueError(f"sigma_color and sigma_spatial must be positive, got {sigma_color!r}, {sigma_spatial!r}.")
    return _per_image(lambda image: restoration.denoise_bilateral(
        image, sigma_color=sigma_color, sigma_spatial=sigma_spatial), x)


# Each classical denoiser with the setting tune() chooses and the values it tries.
CANDIDATES = {
    "Gaussian blur": (gaussian_blur, "sigma", (0.5, 0.75, 1.0, 1.5)),
    "median": (median_filter, "size", (3, 5)),
    "masked-pixel fill": (fill_dropped_pixels, "size", (3, 5)),
    "non-local means": (nl_means, "h", (0.05, 0.1, 0.2, 0.3, 0.45)),
    "total variation": (total_variation, "weight", (0.05, 0.1, 0.2, 0.4)),
    "wavelet": (wavelet, "sigma", (0.1, 0.2, 0.35, 0.5)),
    "bilateral": (bilateral, "sigma_color", (0.1, 0.2, 0.35, 0.5)),
}


@dataclass(frozen=True)
class Tuned:
    """A classical denoiser with its setting chosen on validation images.

    Attributes:
        method: its name, a key of :data:`CANDIDATES`.
        setting: ``(parameter name, value)``.
        validation_score: its mean score on the validation images with that setting.
    """

    method: str
    setting: tuple
    validation_score: float

    def __call__(self, x):
        function, name, _ = CANDIDATES[self.method]
        return function(x, **{name: self.setting[1]})

    def __str__(self):
        return f"{self.method} ({self.setting[0]} {self.setting[1]})"


def tune(noisy, clean, score, methods=None):
    """Choose each denoiser's setting by its mean ``score`` on validation images (never the test images).

    Args:
        noisy: corrupted validation images (N, 1, H, W).
        clean: the same images without noise (N, 1, H, W).
        score: ``score(denoised, clean) -> (N,)`` per image, higher is better (e.g. PSNR); the
            denoised images are clipped to [0, 1] first.
        methods: names from :data:`CANDIDATES` (default: all).

    Returns:
        ``{method: Tuned}``, in the order of ``methods``.

    With ``AECOURSE_INSTANT=1`` the same images, score and settings give the stored choice
    (:mod:`aecourse.instant`).
    """
    _check(noisy)
    if noisy.shape != clean.shape:
        raise ValueError("noisy and clean must have the same shape, "
                         f"got {tuple(noisy.shape)} and {tuple(clean.shape)}.")
    methods = list(CANDIDATES) if methods is None else list(methods)
    unknown = [m for m in methods if m not in CANDIDATES]
    if unknown:
        raise ValueError(f"Unknown denoiser {unknown}: choose from {', '.join(CANDIDATES)}.")

    def choose():
        chosen = {}
        for method in methods:
            function, name, values = CANDIDATES[method]
            results = {value: score(function(noisy, **{name: value}).clamp(0, 1), clean).mean().item()
                       for value in values}
            best = max(results, key=results.get)
            chosen[method] = [name, best, results[best]]
        return chosen

    grids = {method: CANDIDATES[method][1:] for method in methods}
    chosen = instant.remember("filters.tune", (noisy, clean, grids), choose,  # kept in instant mode
                              code=[score, *(CANDIDATES[method][0] for method in methods)])
    return {method: Tuned(method, (name, value), validation_score)
            for method, (name, value, validation_score) in chosen.items()}
