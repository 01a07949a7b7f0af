"""Exercises of notebook 06, variational autoencoders."""
import math

import torch
import torch.nn.functional as F

from .. import likelihood, losses
from .core import Case, Exercise
from .expect import Mistake, call, expect_float_tensor, finite_and_close, gradients, ratio, seeded

# --- Exercise 1: the reparameterisation trick -------------------------------------------------

def reparameterize_reference(mu, logvar):
    """A sample z = mu + sigma * eps of N(mu, diag(exp(logvar))), eps ~ N(0, I), differentiable in mu and logvar."""
    std = torch.exp(0.5 * logvar)  # sigma = exp(log(sigma^2) / 2)
    eps = torch.randn_like(std)
    return mu + std * eps


def _many(mu_value, logvar_value, n=20_000):
    return lambda: (torch.full((n, 2), mu_value), torch.full((n, 2), logvar_value))


def _statistics(mu_value, logvar_value):
    def test(answer):
        mu, logvar = _many(mu_value, logvar_value)()
        z = call(answer, mu, logvar)
        expect_float_tensor(z, mu.shape, "the samples")
        if torch.equal(z, mu):
            raise AssertionError("your samples equal mu: a sample also needs the noise sigma * eps")
        std, variance = math.exp(0.5 * logvar_value), math.exp(logvar_value)
        mean, spread = z.mean().item(), z.std().item()
        if abs(spread - std) > 0.05 * std and abs(spread - variance) < 0.05 * variance:
            raise AssertionError(f"your samples spread {spread:.3g} around mu: that is exp(logvar), the variance; "
                                 f"the standard deviation is exp(logvar / 2) = {std:.3g}")
        if abs(mean - mu_value) > 0.05 * max(1, std) or abs(spread - std) > 0.05 * std:
            raise AssertionError(f"for mu = {mu_value}, logvar = {logvar_value}, your 20,000 samples have mean "
                                 f"{mean:.3g} and standard deviation {spread:.3g}; expected {mu_value} and {std:.3g}")
    return test


def _differentiable(answer):
    mu = torch.zeros(64, 3, requires_grad=True)
    logvar = torch.zeros(64, 3, requires_grad=True)
    z = answer(mu, logvar)
    if not isinstance(z, torch.Tensor) or z.grad_fn is None:
        raise AssertionError("your sample is not connected to mu and logvar: write z from them with torch "
                             "operations (a Normal(...).sample(), or the noise alone, would block the gradient)")
    z.sum().backward()
    if mu.grad is None or not torch.allclose(mu.grad, torch.ones_like(mu)):
        raise AssertionError("the gradient of z with respect to mu must be 1: z = mu + ...")
    if logvar.grad is None or not logvar.grad.abs().sum() > 0:
        raise AssertionError("no gradient reaches logvar: the noise must be scaled by sigma = exp(logvar / 2)")


def _fresh_noise(answer):
    mu, logvar = torch.zeros(1000, 2), torch.zeros(1000, 2)
    if torch.equal(call(answer, mu, logvar), call(answer, mu, logvar)):
        raise AssertionError("two calls gave the same sample: draw new noise every time (torch.randn_like)")


reparameterize = Exercise(
    "Exercise 1: the reparameterisation trick",
    reparameterize_reference,
    cases=[
        Case("samples of N(0, 1): mean 0, standard deviation 1", _statistics(0.0, 0.0)),
        Case("mu = 3, logvar = log 4: mean 3, standard deviation 2", _statistics(3.0, math.log(4.0))),
        Case("gradients flow to mu and logvar", _differentiable),
        Case("new noise on every call", _fresh_noise),
    ],
    hints=[
        "Write the sample as a deterministic function of mu, logvar and a noise eps that does not depend on them.",
        "eps = torch.randn_like(mu) is N(0, 1). The standard deviation is sigma = exp(logvar / 2).",
        "return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)",
    ],
    same_as=["torch.distributions.Normal.rsample"],
)


# --- Exercise 2: the Gaussian KL term ----------------------------------------------------------

def _gaussians(seed, n=6, d=4):
    return lambda: (torch.randn(n, d, generator=seeded(seed)), torch.randn(n, d, generator=seeded(seed + 1)))


KL_MISTAKES = [
    Mistake(lambda got, expected, mu, logvar: f"you returned shape {tuple(got.shape)}: one KL per image, shape "
                                              f"({len(mu)},), summed over the {mu.shape[1]} latent dimensions",
            lambda got, expected, mu, logvar: got.shape != expected.shape),
    Mistake("your KL has the wrong sign: it is -1/2 sum(1 + logvar - mu^2 - exp(logvar)), which is never negative",
            lambda got, expected, mu, logvar: torch.allclose(got, -expected, atol=1e-4)),
    Mistake("your KL is averaged over the latent dimensions; the KL of independent dimensions is their sum",
            lambda got, expected, mu, logvar: torch.allclose(got * mu.shape[1], expected, atol=1e-4)),
    Mistake("you used logvar as if it were the standard deviation (or the variance); logvar is log(sigma^2), "
            "so sigma^2 = exp(logvar)",
            lambda got, expected, mu, logvar: any(torch.allclose(got, value, atol=1e-4) for value in (
                -0.5 * (1 + torch.log(logvar.abs().clamp(min=1e-9) ** 2) - mu ** 2 - logvar ** 2).sum(1),
                -0.5 * (1 + torch.log(logvar.abs().clamp(min=1e-9)) - mu ** 2 - logvar).sum(1)))),
]

gaussian_kl = Exercise(
    "Exercise 2: the Gaussian KL term",
    losses.gaussian_kl,
    cases=[
        Case("6 random Gaussians in 4 dimensions", inputs=_gaussians(0), mistakes=KL_MISTAKES),
        Case("zero at the prior: mu = 0, logvar = 0", inputs=lambda: (torch.zeros(3, 5), torch.zeros(3, 5))),
        Case("a wide, far Gaussian (logvar = 5, mu = 10)",
             inputs=lambda: (torch.full((2, 3), 10.0), torch.full((2, 3), 5.0)),
             mistakes=KL_MISTAKES),
        Case("gradients reach mu and logvar", inputs=_gaussians(2), observe=gradients(wrt=(0, 1))),
    ],
    hints=[
        "Kingma & Welling (2013), Appendix B: KL = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).",
        "log sigma^2 is logvar itself, and sigma^2 = logvar.exp(). Sum over dim 1, the latent dimensions.",
        "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)",
    ],
    same_as=["torch.distributions.kl.kl_divergence", "aecourse.losses.gaussian_kl"],
)


# --- Exercise 3: the VAE loss with the right reductions ---------------------------------------

def vae_loss_reference(logits, x, mu, logvar):
    """Negative ELBO per image: BCE summed over pixels + KL summed over latents, averaged over the batch (0-d)."""
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)  # (N,)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)  # (N,)
    return (reconstruction + kl).mean()


def _batch(seed, n=8):
    def make():
        g = seeded(seed)
        return (torch.randn(n, 1, 28, 28, generator=g) * 3, torch.rand(n, 1, 28, 28, generator=g),
                torch.randn(n, 20, generator=g), torch.randn(n, 20, generator=g) * 0.5)
    return make


def _parts(logits, x, mu, logvar):
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return reconstruction, -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


ELBO_MISTAKES = [
    Mistake("your reconstruction term is averaged over the 784 pixels while the KL is summed over the latents: "
            "the KL then outweighs the reconstruction about 784 times and the model learns to ignore its input "
            "(the reduction pitfall of section 3). Sum over pixels",
            lambda got, expected, logits, x, mu, logvar: math.isclose(
                got.item(), (_parts(logits, x, mu, logvar)[0] / 784 + _parts(logits, x, mu, logvar)[1]).mean().item(),
                rel_tol=1e-4)),
    Mistake("your loss is summed over the images of the batch; average it over the images (the loss per image)",
            lambda got, expected, logits, x, mu, logvar: math.isclose(ratio(got, expected), len(x), rel_tol=1e-4)),
    Mistake("your loss is missing the KL term (or has only the KL term): the negative ELBO is reconstruction + KL",
            lambda got, expected, logits, x, mu, logvar: any(math.isclose(got.item(), part.mean().item(), rel_tol=1e-4)
                                                             for part in _parts(logits, x, mu, logvar))),
    Mistake("your loss subtracts the KL; the negative ELBO adds it (the ELBO subtracts it)",
            lambda got, expected, logits, x, mu, logvar: math.isclose(
                got.item(), (_parts(logits, x, mu, logvar)[0] - _parts(logits, x, mu, logvar)[1]).mean().item(),
                rel_tol=1e-4)),
]

vae_loss = Exercise(
    "Exercise 3: the VAE loss with the right reductions",
    vae_loss_reference,
    cases=[
        Case("a batch of 8 images, 20 latents", inputs=_batch(0), mistakes=ELBO_MISTAKES),
        Case("a batch of 3", inputs=_batch(1, n=3), mistakes=ELBO_MISTAKES),
        Case("logits of +-100 stay finite",
             inputs=lambda: (torch.full((2, 1, 28, 28), 100.0) * torch.tensor([1.0, -1.0]).view(2, 1, 1, 1),
                             torch.zeros(2, 1, 28, 28), torch.zeros(2, 20), torch.zeros(2, 20)),
             compare=finite_and_close(rtol=1e-4, atol=1e-3)),
        Case("gradients reach the logits, mu and logvar", inputs=_batch(2, n=4), observe=gradients(wrt=(0, 2, 3))),
    ],
    hints=[
        "Two terms per image: the binary cross-entropy of the pixels given the decoder's logits, and the KL of "
        "Exercise 2. Add them, then average over the images.",
        "F.binary_cross_entropy_with_logits(logits, x, reduction='none') keeps one value per pixel: "
        ".flatten(1).sum(1) sums each image's pixels. Your gaussian_kl gives one KL per image.",
        "(bce.flatten(1).sum(1) + gaussian_kl(mu, logvar)).mean()",
    ],
)


# --- Exercise 4: a log-mean-exp that never overflows ------------------------------------------

LME_MISTAKES = [
    Mistake(lambda got, expected, values: f"your result is {got.flatten()[:2].tolist()}...: exp(1000) overflows to "
                                          "infinity in float32 (and exp(-1000) underflows to 0). Subtract the largest "
                                          "value before exp and add it back after the log",
            lambda got, expected, values: not torch.isfinite(got).all()),
    Mistake("you returned log(sum(exp)), not log(mean(exp)): subtract log(K) for K values",
            lambda got, expected, values: torch.allclose(got, expected + math.log(len(values)), atol=1e-3)),
    Mistake("you returned the mean of the values (or their maximum): that is a bound, not log-mean-exp",
            lambda got, expected, values: torch.allclose(got, values.mean(0), atol=1e-4)
            or torch.allclose(got, values.max(0).values, atol=1e-4)),
]

log_mean_exp = Exercise(
    "Exercise 4: a log-mean-exp that never overflows",
    likelihood.log_mean_exp,
    cases=[
        Case("small values, against the direct formula", inputs=lambda: (torch.randn(7, 5, generator=seeded(0)),),
             mistakes=LME_MISTAKES),
        Case("values near +1000 and -1000 (log-weights of real images)",
             inputs=lambda: (torch.tensor([[1000.0, -1000.0], [999.0, -1001.0], [998.0, -1003.0]]),),
             compare=finite_and_close(atol=1e-3), mistakes=LME_MISTAKES),
        Case("one value: log-mean-exp of a single number is the number",
             inputs=lambda: (torch.tensor([[-87.5, 3.0]]),), mistakes=LME_MISTAKES),
        Case("gradients flow (they are the normalised importance weights)",
             inputs=lambda: (torch.randn(6, 3, generator=seeded(3)) * 10,), observe=gradients(wrt=(0,))),
    ],
    hints=[
        "log mean exp(v) = log(1/K sum_k exp(v_k)). Computed naively, exp(1000) is inf in float32.",
        "Factor out the largest value m: log mean exp(v) = m + log mean exp(v - m), and every v - m is <= 0.",
        "m = values.max(0).values; return m + torch.log(torch.exp(values - m).mean(0))",
    ],
    same_as=["torch.logsumexp", "aecourse.likelihood.log_mean_exp"],
)
