"""Loss terms used across the course, each with its units and reduction stated.

Every term is computed per image and then averaged over the images of a batch, so
that a loss value reads "per image" (the convention of pytorch/examples' VAE and of
Hinton & Salakhutdinov 2006). Reconstruction terms *sum* over pixels, code terms
*sum* over code units: a per-pixel *mean* would shrink the reconstruction term 784
times against the others, the most common VAE and AAE bug.
"""
import math

import torch
import torch.nn.functional as F

from .sparsity import _check_codes


def squared_error(x_hat, x):
    """Squared error summed over the pixels of each image, averaged over the batch (0-d tensor)."""
    if x_hat.shape != x.shape:
        raise ValueError(f"Reconstruction shape {tuple(x_hat.shape)} differs from input shape {tuple(x.shape)}.")
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def bernoulli_nll(logits, x):
    """Cross-entropy of pixels ``x`` in [0, 1] under Bernoulli(sigmoid(logits)), in nats.

    Summed over the pixels of each image, averaged over the batch (0-d tensor); computed
    from logits, so it never takes the log of a rounded 0. For grey-level pixels its minimum
    is not 0 but the pixels' own entropy (about 59 nats per MNIST image).
    """
    if logits.shape != x.shape:
        raise ValueError(f"Logits shape {tuple(logits.shape)} differs from input shape {tuple(x.shape)}.")
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1).mean()


def gaussian_kl(mu, logvar):
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ) of each image, summed over latent dimensions.

    Kingma & Welling (2013), Appendix B: -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).

    Args:
        mu, logvar: tensors (N, latent) of the same shape.

    Returns:
        Tensor (N,), in nats, >= 0; zero exactly when mu = 0 and logvar = 0.
    """
    if not isinstance(mu, torch.Tensor) or mu.ndim != 2 or mu.shape != getattr(logvar, "shape", None):
        raise ValueError(f"mu and logvar must be tensors of the same shape (N, latent), got "
                         f"{tuple(getattr(mu, 'shape', ()))} and {tuple(getattr(logvar, 'shape', ()))}.")
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


def _check_weight(weight, name):
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {weight!r}.")


def kl_sparsity(codes, rho, weight=1.0):
    """Ng's sparsity penalty: ``weight * sum_j KL(rho || rho_hat_j)``, a 0-d tensor.

    ``rho_hat_j`` is the mean activation of unit j over the batch; codes must lie in
    (0, 1) (a sigmoid code). KL between Bernoulli distributions of means ``rho`` and
    ``rho_hat``: ``rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat))``.

    Raises:
        ValueError: ``rho`` outside (0, 1), a negative weight, or codes of the wrong shape.
    """
    _check_codes(codes)
    _check_weight(weight, "weight")
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 < rho < 1:
        raise ValueError(f"rho, the target mean activation, must lie strictly between 0 and 1, got {rho!r}.")
    rho_hat = codes.mean(0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return weight * kl.sum()
