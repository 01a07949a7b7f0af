"""How good a reconstruction is, in the units the literature uses.

The course's reconstruction error is the **squared error summed over the pixels
of an image (pixels in [0, 1]) and averaged over images**, the unit of Hinton &
Salakhutdinov (2006), where PCA with 30 components scores 13.87 on MNIST.

For denoising, :func:`psnr` and :func:`ssim` follow the usual conventions:
images are clipped to [0, 1] (data range 1), each image is scored on its own,
and the scores are averaged over images.
"""
import numpy as np
import torch

from .runtime import predict


def squared_error_per_image(x_hat, x):
    """Summed squared error of each image.

    Args:
        x_hat, x: tensors of the same shape (N, ...), pixels in [0, 1].

    Returns:
        Tensor of shape (N,).
    """
    if x_hat.shape != x.shape:
        raise ValueError(f"Reconstruction shape {tuple(x_hat.shape)} differs from input shape {tuple(x.shape)}.")
    return (x_hat - x).pow(2).flatten(1).sum(1)


def reconstruction_error(model, x, batch_size=1000):
    """Mean summed squared error per image of ``model`` on ``x`` (a float).

    ``model`` maps a batch of shape (B, ...) to a reconstruction of the same shape.
    """
    return squared_error_per_image(predict(model, x, batch_size), x.cpu()).mean().item()


def psnr(x_hat, x):
    """Peak signal-to-noise ratio of each image, in dB: 10 log10(1 / MSE), with data range 1.

    Args:
        x_hat, x: tensors (N, ...) of the same shape; ``x_hat`` is clipped to [0, 1] first.

    Returns:
        Tensor (N,). An exact reconstruction gives +inf.
    """
    if x_hat.shape != x.shape:
        raise ValueError(f"Shapes differ: {tuple(x_hat.shape)} and {tuple(x.shape)}.")
    mse = (x_hat.clamp(0, 1) - x).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(1 / mse)


def ssim(x_hat, x):
    """Structural similarity of each grey image (Wang et al. 2004), from scikit-image.

    scikit-image's defaults: a 7 x 7 uniform window, K1 = 0.01, K2 = 0.03, data range 1;
    ``x_hat`` is clipped to [0, 1] first.

    Args:
        x_hat, x: tensors (N, 1, H, W) or (N, H, W).

    Returns:
        Tensor (N,), values in [-1, 1], 1 for identical images.
    """
    from skimage.metrics import structural_similarity

    if x_hat.shape != x.shape:
        raise ValueError(f"Shapes differ: {tuple(x_hat.shape)} and {tuple(x.shape)}.")
    a = x_hat.detach().clamp(0, 1).cpu().reshape(-1, *x.shape[-2:]).double().numpy()
    b = x.detach().cpu().reshape(-1, *x.shape[-2:]).double().numpy()
    return torch.tensor(np.array([structural_similarity(i, j, data_range=1.0) for i, j in zip(a, b)]))


def checkerboard_energy(images):
    """Share of each image's variation that lies in period-2 patterns: the checkerboard artefact.

    A transposed convolution whose kernel size is not a multiple of its stride stamps its kernel
    unevenly and leaves a pattern that repeats every 2 pixels (Odena, Dumoulin & Olah 2016). In the
    2-D Fourier transform such patterns sit at the highest frequency along the rows or the columns
    (u = H/2 or v = W/2). The share is their energy over the energy of every coefficient but the
    mean: 0 for a flat or smooth image, 1 for a pure checkerboard or stripes of period 2.

    Args:
        images: tensor (N, C, H, W), H and W even.

    Returns:
        Tensor (N,), values in [0, 1] (0 for a constant image).
    """
    if images.ndim != 4 or images.shape[-1] % 2 or images.shape[-2] % 2:
        raise ValueError(f"checkerboard_energy takes images (N, C, H, W) with even H and W, got {tuple(images.shape)}.")
    height, width = images.shape[-2:]
    power = torch.fft.fft2(images.detach().double()).abs().pow(2)
    power[..., 0, 0] = 0  # the mean is not a pattern
    period_2 = torch.zeros(height, width, dtype=torch.bool, device=power.device)
    period_2[height // 2, :] = period_2[:, width // 2] = True
    total = power.sum(dim=(1, 2, 3))
    share = power[..., period_2].sum(dim=(1, 2)) / total.clamp_min(1e-300)
    return torch.where(total > 0, share, torch.zeros_like(share)).float().cpu()
