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
