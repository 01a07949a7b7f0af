"""How likely a VAE finds an image: the log-weights of the importance-weighted bound, and the stable
log-mean-exp that turns them into it.

For a VAE with a Gaussian encoder q(z|x) = N(mu, diag(sigma^2)), a standard normal
prior p(z) and a Bernoulli decoder p(x|z) with logits, Burda et al. (2015) bound
the log-likelihood from below with K samples z_k ~ q(z|x):

    log p(x) >= log (1/K) sum_k p(x, z_k) / q(z_k | x)

K = 1 gives the ELBO (in expectation); the bound rises with K towards log p(x).
All values are in nats per image; the negative of the bound is the usual "NLL".
"""
import math

import torch
import torch.nn.functional as F

from .runtime import device_of, isolated_rng

LOG_2PI = math.log(2 * math.pi)


def log_mean_exp(values, dim=0):
    """``log(mean(exp(values)))`` along ``dim``, without overflow (values near +-1000 are fine)."""
    if not isinstance(values, torch.Tensor) or values.ndim == 0:
        raise ValueError("values must be a tensor with at least one dimension.")
    return torch.logsumexp(values, dim) - math.log(values.shape[dim])


def _gaussian_log_density(z, mu, logvar):
    """log N(z; mu, diag(exp(logvar))), summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


def log_weights(encode, decode, x, samples):
    """``log p(x, z_k) - log q(z_k | x)`` for ``samples`` draws per image: tensor (samples, N).

    Args:
        encode: maps images (N, ...) to ``(mu, logvar)``, each (N, latent).
        decode: maps codes (B, latent) to pixel logits shaped like the images (B, ...).
        x: images (N, ...) with pixels in [0, 1] (grey levels or binarised).
        samples: draws of z per image.
    """
    mu, logvar = encode(x)
    std = (0.5 * logvar).exp()
    z = mu + std * torch.randn((samples, *mu.shape), device=mu.device, dtype=mu.dtype)  # (K, N, latent)
    logits = decode(z.reshape(-1, mu.shape[1])).reshape(samples, *x.shape)
    log_likelihood = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none")
    log_likelihood = log_likelihood.flatten(2).sum(2)  # (K, N): summed over pixels
    log_prior = -0.5 * (LOG_2PI + z.pow(2)).sum(-1)
    return log_likelihood + log_prior - _gaussian_log_density(z, mu, logvar)


@torch.no_grad()
def log_weights_of(model, x, samples, seed, batch_size=50):
    """:func:`log_weights` of a VAE ``model`` (with ``encode`` and ``decode``) for every image: (samples, N).

    The images go through in batches of ``batch_size`` on the model's device, in evaluation mode; the
    draws come from one isolated generator seeded with ``seed``, so the same call gives the same
    log-weights and the notebook's own random stream is untouched. ``log_mean_exp`` over dimension 0
    of the result is the importance-weighted bound of each image (notebook 06 writes it).

    Returns:
        Tensor (samples, N) on the CPU, in nats.
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples (K) must be a whole number >= 1, got {samples!r}.")
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise ValueError(f"x must be a batch of images (N, ...), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}.")
    model.eval()
    device = device_of(model, x.device)
    with isolated_rng(seed):  # one random stream for all the images, the same on every call
        return torch.cat([log_weights(model.encode, model.decode, batch.to(device), samples).cpu()
                          for batch in x.split(batch_size)], dim=1)
