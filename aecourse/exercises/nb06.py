"""Exercises of notebook 06, variational autoencoders."""
import math

import torch
import torch.nn.functional as F

from .. import likelihood, losses
from .core import Case, Exercise
from .expect import (
    Mistake,
    a_run_seed,
    adam,
    call,
    close,
    expect_float_tensor,
    finite_and_close,
    gradients,
    keeps_dtype,
    on_another_device,
    ratio,
    seeded,
    sgd,
)
from .questions import Question

# --- Exercise 1: the reparameterisation trick -------------------------------------------------

def reparameterize_reference(mu, logvar):
    """A sample z = mu + sigma * eps of N(mu, diag(exp(logvar))), eps ~ N(0, I), differentiable in mu and logvar."""
    std = torch.exp(0.5 * logvar)  # sigma = exp(log(sigma^2) / 2)
    eps = torch.randn_like(std)
    return mu + std * eps


def _latents(seed, n=4096, d=8):
    """``n`` rows of ``d`` latents, every entry with its own mu (spread 2) and logvar (from -2 to 2)."""
    g = seeded(seed)
    return torch.randn(n, d, generator=g) * 2, torch.rand(n, d, generator=g) * 4 - 2


def _standardised(answer, seed):
    """``(mu, logvar, (z - mu) / sigma)`` for the answer's sample z: N(0, 1) noise, independent entry by entry."""
    mu, logvar = _latents(seed)
    z = call(answer, mu, logvar)
    expect_float_tensor(z, mu.shape, "the samples")
    if z.dtype != mu.dtype:
        raise AssertionError(f"your samples are {z.dtype} for {mu.dtype} mu and logvar: keep mu's dtype "
                             "(the decoder's weights are float32), e.g. with torch.randn_like(mu)")
    z = z.detach()
    if torch.equal(z, mu):
        raise AssertionError("your samples equal mu: a sample also needs the noise sigma * eps")
    if not torch.isfinite(z).all():
        raise AssertionError("your samples contain NaN or infinity")
    return mu, logvar, (z.double() - mu.double()) / torch.exp(0.5 * logvar.double())


def _own_mean_and_spread(answer):
    mu, logvar, eps = _standardised(answer, 10)
    means = {"mu < -1": eps[mu < -1].mean().item(), "mu > 1": eps[mu > 1].mean().item()}
    if abs(eps.mean().item()) > 0.05 or any(abs(m) > 0.06 for m in means.values()):
        raise AssertionError("your samples are not centred on each entry's own mu: (z - mu) / sigma averages "
                             + " and ".join(f"{m:.3g} where {where}" for where, m in means.items())
                             + " (0 for both when z = mu + sigma * eps)")
    bands = {"logvar < -1": logvar < -1, "logvar > 1": logvar > 1}
    spread = {where: eps[band].pow(2).mean().sqrt().item() for where, band in bands.items()}
    if all(abs(s ** 2 - 1) < 0.1 for s in spread.values()) and abs(eps.pow(2).mean().item() - 1) < 0.05:
        return
    by_variance = eps * torch.exp(-0.5 * logvar.double())  # (z - mu) / sigma^2
    if all(abs(by_variance[band].pow(2).mean().item() - 1) < 0.1 for band in bands.values()):
        raise AssertionError("your noise is scaled by exp(logvar), the variance; the standard deviation is "
                             "sigma = exp(logvar / 2)")
    raise AssertionError("the spread of your samples does not follow each entry's own logvar: entries with "
                         + " and ".join(f"{where} spread {s:.3g} sigma" for where, s in spread.items())
                         + ", where sigma = exp(logvar / 2) of that entry (1 sigma for both): scale each entry's "
                         "noise by its own sigma")


def _independent(answer):
    _, _, eps = _standardised(answer, 11)
    if eps.std(1).mean() < 0.5:
        raise AssertionError("your noise is the same in every latent dimension of a row (the samples lie on a "
                             "line): draw one noise value per entry, of mu's shape (torch.randn_like(mu))")
    if eps.std(0).min() < 0.5:
        raise AssertionError("your noise is the same for every row of the batch: each image needs its own noise, "
                             "of mu's shape (torch.randn_like(mu))")
    c = (eps - eps.mean(0)) / eps.std(0)
    across = (c.T @ c / (len(c) - 1) - torch.eye(c.shape[1], dtype=c.dtype)).abs()
    if across.max() > 0.1:
        i, j = divmod(int(across.argmax()), c.shape[1])
        raise AssertionError(f"your noise is correlated across latent dimensions (correlation {across[i, j]:.2f} "
                             f"between dimensions {i} and {j}): the noise of every entry must be independent")
    half = len(c) // 2
    rows = max(abs((c[:-1] * c[1:]).mean().item()), abs((c[:half] * c[half:2 * half]).mean().item()))
    if rows > 0.1:
        raise AssertionError(f"your noise is correlated across rows of the batch (correlation {rows:.2f}): "
                             "every image needs its own, independent noise")


def _normal_noise(answer):
    _, _, eps = _standardised(answer, 12)
    within, beyond = (eps.abs() < 1).double().mean().item(), (eps.abs() > 2).double().mean().item()
    if abs(within - 0.6827) > 0.02 or abs(beyond - 0.0455) > 0.01:
        raise AssertionError(f"your noise is not normally distributed: {within:.1%} of it lies within one standard "
                             f"deviation and {beyond:.1%} beyond two (a normal distribution: 68.3% and 4.6%); "
                             "eps ~ N(0, 1) is torch.randn_like(mu), not torch.rand_like (uniform)")


def _differentiable(answer):
    g = seeded(13)
    mu = torch.randn(64, 3, generator=g).requires_grad_(True)
    logvar = torch.randn(64, 3, generator=g).requires_grad_(True)
    z = answer(mu, logvar)
    if not isinstance(z, torch.Tensor) or z.grad_fn is None:
        raise AssertionError("your sample is not connected to mu and logvar: write z from them with torch "
                             "operations (a Normal(...).sample(), or the noise alone, would block the gradient)")
    expect_float_tensor(z, mu.shape, "the sample")
    z.sum().backward()
    if mu.grad is None or not torch.allclose(mu.grad, torch.ones_like(mu)):
        raise AssertionError("the gradient of z with respect to mu must be 1: z = mu + ... (torch.normal(mu, sigma) "
                             "samples without a gradient)")
    if logvar.grad is None or not logvar.grad.abs().sum() > 0:
        raise AssertionError("no gradient reaches logvar: the noise must be scaled by sigma = exp(logvar / 2)")
    if not torch.allclose(logvar.grad, 0.5 * (z.detach() - mu.detach()), rtol=1e-3, atol=1e-5):
        raise AssertionError("the gradient of z with respect to logvar should be sigma * eps / 2 = (z - mu) / 2 "
                             "(z = mu + exp(logvar / 2) * eps, with eps drawn independently of mu and logvar); "
                             "yours is not")


def _fresh_noise(answer):
    mu, logvar = torch.zeros(1000, 2), torch.zeros(1000, 2)
    if torch.equal(call(answer, mu, logvar), call(answer, mu, logvar)):
        raise AssertionError("two calls gave the same sample: draw new noise every time (torch.randn_like)")


def _dtype_and_device(answer):
    mu, logvar = (t[:10, :3].double() for t in _latents(14))
    z = call(answer, mu, logvar)
    expect_float_tensor(z, mu.shape, "float64 samples")
    if z.dtype != torch.float64:
        raise AssertionError(f"for float64 mu and logvar your sample is {z.dtype}: make the noise like mu "
                             "(torch.randn_like(mu)) and keep mu's dtype")
    on_another_device(answer, (mu.float(), logvar.float()), "your noise is made on the CPU whatever device mu is "
                      "on: draw it on mu's device, torch.randn_like(mu) (or device=mu.device)")


reparameterize = Exercise(
    "Exercise 1: the reparameterisation trick",
    reparameterize_reference,
    cases=[
        Case("independent noise for every latent dimension and every row (4,096 rows of 8 latents)", _independent),
        Case("each entry's own mean and standard deviation (every entry with its own mu and logvar)",
             _own_mean_and_spread),
        Case("normally distributed noise", _normal_noise),
        Case("gradients flow to mu and logvar", _differentiable),
        Case("new noise on every call", _fresh_noise),
        Case("the sample keeps mu's dtype (float64) and device", _dtype_and_device),
    ],
    hints=[
        "Write the sample as a deterministic function of mu, logvar and a noise eps that does not depend on them.",
        "eps = torch.randn_like(mu) is N(0, 1). The standard deviation is sigma = exp(logvar / 2).",
        "return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)",
    ],
    same_as=["torch.distributions"],  # the statement: without torch.distributions (rsample)
)


# --- Exercise 2: the Gaussian KL term ----------------------------------------------------------

def _gaussians(seed, n=6, d=4, mu_scale=1.0, logvar_shift=0.0):
    def make():
        mu = torch.randn(n, d, generator=seeded(seed)) * mu_scale
        return mu, torch.randn(n, d, generator=seeded(seed + 1)) + logvar_shift
    return make


def _reversed_kl(mu, logvar):
    """KL(N(0, I) || N(mu, sigma^2)) of each row: the KL the other way round."""
    return 0.5 * ((1 + mu.pow(2)) * torch.exp(-logvar) - 1 + logvar).sum(1)


KL_MISTAKES = [
    Mistake("your KL is the other way round, KL(N(0, I) || q): the VAE's term is KL(q || N(0, I)), "
            "-1/2 sum(1 + logvar - mu^2 - exp(logvar))",
            lambda got, expected, mu, logvar: torch.allclose(got, _reversed_kl(mu, logvar), rtol=1e-4, atol=1e-4)),
    Mistake(lambda got, expected, mu, logvar: f"your KL is off by {(got - expected).mean().item():.3g} per image, "
                                              "1/2 per latent dimension: the formula has a 1 inside the sum, "
                                              "-1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))",
            lambda got, expected, mu, logvar: any(torch.allclose(got, expected + sign * 0.5 * mu.shape[1], atol=1e-4)
                                                  for sign in (1, -1))),
    Mistake("you summed over the images (dim 0); sum each image's latent dimensions (dim 1): one KL per image",
            lambda got, expected, mu, logvar: torch.allclose(
                got, -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(0), atol=1e-4)),

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
        Case("6 random Gaussians in 4 dimensions", inputs=_gaussians(0), mistakes=KL_MISTAKES,
             compare=keeps_dtype(close())),
        Case("zero at the prior: mu = 0, logvar = 0", inputs=lambda: (torch.zeros(3, 5), torch.zeros(3, 5))),
        Case("wide, far Gaussians (logvar near 5, mu near +-10)",
             inputs=_gaussians(4, n=3, d=3, mu_scale=10.0, logvar_shift=5.0), mistakes=KL_MISTAKES),
        Case("5 Gaussians in 5 dimensions: one KL per image, summed over its latents",
             inputs=_gaussians(6, n=5, d=5), mistakes=KL_MISTAKES),
        Case("gradients reach mu and logvar", inputs=_gaussians(2), observe=gradients(wrt=(0, 1))),
    ],
    hints=[
        "Kingma & Welling (2013), Appendix B: KL = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).",
        "log sigma^2 is logvar itself, and sigma^2 = logvar.exp(). Sum over dim 1, the latent dimensions.",
        "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)",
    ],
    same_as=["torch.distributions", "aecourse.losses.gaussian_kl"],  # kl_divergence, _kl_normal_normal
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


def _confident(seed, n=3):
    """Logits from 100 to 300 in size, either sign, and binary images: about half the pixels on the wrong side."""
    def make():
        g = seeded(seed)
        sign = torch.randint(0, 2, (n, 1, 28, 28), generator=g) * 2.0 - 1
        logits = sign * (100 + 200 * torch.rand(n, 1, 28, 28, generator=g))
        x = torch.randint(0, 2, (n, 1, 28, 28), generator=g).float()
        return logits, x, torch.randn(n, 20, generator=g), torch.randn(n, 20, generator=g) * 0.5
    return make


def _parts(logits, x, mu, logvar):
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return reconstruction, -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


def _through_probabilities(logits, x, mu, logvar):
    """The loss with the reconstruction term computed from sigmoid(logits): PyTorch clamps its log at -100."""
    reconstruction = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").flatten(1).sum(1)
    return (reconstruction + _parts(logits, x, mu, logvar)[1]).mean()


ELBO_MISTAKES = [
    Mistake("your reconstruction term goes through sigmoid(logits): for a logit beyond +-100 the probability rounds "
            "to 0 or 1, and F.binary_cross_entropy clamps log(0) to -100, so a pixel that costs 150 nats counts "
            "100 and gets no gradient. Compute it from the logits: F.binary_cross_entropy_with_logits",
            lambda got, expected, logits, x, mu, logvar: logits.abs().max() > 100 and math.isclose(
                got.item(), _through_probabilities(logits, x, mu, logvar).item(), rel_tol=1e-4)),
    Mistake("your KL is averaged over the latent dimensions while the reconstruction is summed over the pixels: "
            "sum the KL over the latents too (your gaussian_kl gives one KL per image)",
            lambda got, expected, logits, x, mu, logvar: math.isclose(
                got.item(), (_parts(logits, x, mu, logvar)[0] + _parts(logits, x, mu, logvar)[1] / mu.shape[1])
                .mean().item(), rel_tol=1e-4)),
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
        Case("a batch of 8 images, 20 latents", inputs=_batch(0), mistakes=ELBO_MISTAKES,
             compare=keeps_dtype(close())),
        Case("a batch of 3", inputs=_batch(1, n=3), mistakes=ELBO_MISTAKES),
        Case("confident logits (from 100 to 300 in size, half of them on the wrong side) stay finite and exact",
             inputs=_confident(3), compare=finite_and_close(rtol=1e-4, atol=1e-3), mistakes=ELBO_MISTAKES),
        Case("gradients reach the logits, mu and logvar", inputs=_batch(2, n=4), observe=gradients(wrt=(0, 2, 3))),
        Case("gradients at confident logits (a wrong pixel keeps its full gradient)", inputs=_confident(4, n=2),
             observe=gradients(wrt=(0,))),
    ],
    hints=[
        "Two terms per image: the binary cross-entropy of the pixels given the decoder's logits, and the KL of "
        "Exercise 2. Add them, then average over the images.",
        "F.binary_cross_entropy_with_logits(logits, x, reduction='none') keeps one value per pixel: "
        ".flatten(1).sum(1) sums each image's pixels. Your gaussian_kl gives one KL per image.",
        "(bce.flatten(1).sum(1) + gaussian_kl(mu, logvar)).mean()",
    ],
    same_as=["torch.distributions", "aecourse.losses.bernoulli_nll"],  # bernoulli_nll has the reductions
)


# --- Exercise 4: a VAE training step (the build exercise) --------------------------------------

def vae_step_reference(model, x, optimizer):
    """One gradient step on the negative ELBO of the batch ``x``; returns its loss per image (a float).

    ``model.encode(x)`` gives ``(mu, logvar)``, ``model.decode(z)`` the pixels' logits (``x``'s shape).
    """
    model.train()  # batch norm and dropout behave as in training
    optimizer.zero_grad()  # else this step's gradients add to the last step's
    mu, logvar = model.encode(x)  # (B, d) each
    eps = torch.randn_like(mu)  # the step's only random draw: N(0, I), one value per latent and image
    z = mu + torch.exp(0.5 * logvar) * eps  # reparameterised: sigma = exp(logvar / 2)
    logits = model.decode(z)  # x's shape
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)  # (B,)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)  # (B,), summed over the latents
    loss = (reconstruction + kl).mean()  # the negative ELBO per image
    loss.backward()
    optimizer.step()
    return loss.item()  # a float: the step's graph is freed


class _TinyVAE(torch.nn.Module):
    """The notebook's VAE shrunk: images of 1 x 3 x 4 = 12 pixels, a 3-D code, batch norm in the encoder. A
    ``gain`` of 100 makes a confident decoder: logits from 150 to 300 in size."""

    def __init__(self, gain=1.0):
        super().__init__()
        nn = torch.nn
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(12, 6, bias=False), nn.BatchNorm1d(6), nn.Tanh())
        self.to_mu, self.to_logvar = nn.Linear(6, 3), nn.Linear(6, 3)
        self.decoder = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 12), nn.Unflatten(1, (1, 3, 4)))
        self.register_buffer("gain", torch.tensor(gain))
        with torch.no_grad():
            self.to_logvar.bias.add_(-0.5)  # standard deviations around 0.8: exp(logvar) and exp(logvar / 2) differ
            if gain != 1:
                last = self.decoder[2]
                last.weight.mul_(0.1)
                sign = torch.randint(0, 2, (12,)) * 2.0 - 1
                last.bias.copy_(sign * (1.5 + 1.5 * torch.rand(12)))  # times 100: logits of 150 to 300, either sign

    def encode(self, x):
        h = self.body(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):
        return self.gain * self.decoder(z)

    def forward(self, x):
        raise RuntimeError("vae_step should call model.encode(x) and model.decode(z) and reparameterise itself; "
                           "this model has no forward")


def _vae_training(optimizer, confident=False, steps=3):
    """``observe`` for a VAE step: a fresh tiny VAE (in eval mode, as fit leaves a model), ``steps`` steps on
    batches of 3 to 9 images (near-binary ones for the confident decoder); what the function returned at each
    step, and the parameters it left. Torch's generator is seeded right before every step, so an answer that
    draws its noise once with torch.randn_like(mu) draws the reference's."""
    def observe(function, seed):
        torch.manual_seed(seed)
        model = _TinyVAE(gain=100.0 if confident else 1.0).eval()
        g = torch.Generator().manual_seed(seed)
        size = (3 + seed % 7, 1, 3, 4)
        batches = [torch.rand(size, generator=g) for _ in range(steps)]
        if confident:  # near 0 or near 1, never equal (a pixel the same in every image would get no gradient)
            batches = [0.9 * (torch.rand(size, generator=g) < 0.5) + 0.1 * batch for batch in batches]
        chosen = optimizer(model.parameters())
        returned = []
        for step, batch in enumerate(batches):
            torch.manual_seed(seed + 1 + step)  # the same noise for the reference and the answer
            returned.append(function(model, batch.clone(), chosen))
        return returned, torch.cat([p.detach().flatten() for p in model.parameters()])
    return observe


def _stepped_like_the_reference(got, expected, what):
    returned, parameters = got
    for value in returned:
        if isinstance(value, torch.Tensor):
            raise AssertionError("you returned a tensor; return the step's loss per image as a Python float, "
                                 "loss.item() (a tensor keeps the step's graph alive, and memory fills up)")
        if not isinstance(value, float):
            raise AssertionError(f"you returned {type(value).__name__}; return the step's loss per image, a float")
    if not torch.isfinite(parameters).all():
        raise AssertionError("after your steps some parameters are NaN or infinite")
    if not torch.allclose(parameters, expected[1], rtol=1e-4, atol=1e-5):
        raise AssertionError("after 3 steps the parameters differ from the reference's steps, from the same start "
                             "with the same noise (drawn once per step with torch.randn_like(mu))")
    if not all(math.isclose(value, reference, rel_tol=1e-4, abs_tol=1e-5)
               for value, reference in zip(returned, expected[0])):
        raise AssertionError(f"the parameters are right, but you returned {returned[0]:.6g} at the first step, not "
                             "the step's negative ELBO per image (the loss before the step)")


def _step_variant(zero_grad=True, train=True, noise=True, std_power=0.5, through_sigmoid=False, pixel_mean=False,
                  kl_mean=False, kl_sign=1.0, batch_sum=False):
    """A VAE step written with one of the usual mistakes (the mistakes below compare with it)."""
    def step(model, x, optimizer):
        if train:
            model.train()
        if zero_grad:
            optimizer.zero_grad()
        mu, logvar = model.encode(x)
        eps = torch.randn_like(mu) if noise else 0
        logits = model.decode(mu + torch.exp(std_power * logvar) * eps)
        if through_sigmoid:
            pixels = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").flatten(1)
        else:
            pixels = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1)
        latents = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
        per_image = ((pixels.mean(1) if pixel_mean else pixels.sum(1))
                     + kl_sign * (latents.mean(1) if kl_mean else latents.sum(1)))
        loss = per_image.sum() if batch_sum else per_image.mean()
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def _vae_step_mistakes(observe):
    def like(variant):
        def looks_like(got, expected, seed):
            wrong = observe(variant, seed)
            return (torch.allclose(got[1], wrong[1], rtol=1e-4, atol=1e-5)
                    and all(isinstance(value, float) and math.isclose(value, other, rel_tol=1e-4, abs_tol=1e-5)
                            for value, other in zip(got[0], wrong[0])))
        return looks_like
    return [
        Mistake("the parameters did not change: every step needs loss.backward() and then optimizer.step(), in "
                "that order, and no torch.no_grad() around them",
                lambda got, expected, seed: torch.allclose(got[1], observe(lambda *args: 0.0, seed)[1])),
        Mistake("your reconstruction term is averaged over the pixels while the KL is summed over the latents: the "
                "KL then outweighs the reconstruction 784 times on MNIST (12 times here) and the model learns to "
                "ignore its input. Sum the cross-entropy over each image's pixels",
                like(_step_variant(pixel_mean=True))),
        Mistake("your KL is averaged over the latent dimensions; sum it over them, as the reconstruction is summed "
                "over the pixels (the KL of independent dimensions is their sum)", like(_step_variant(kl_mean=True))),
        Mistake("your loss subtracts the KL: the negative ELBO adds it (minimising it pulls each code distribution "
                "towards the prior N(0, I))", like(_step_variant(kl_sign=-1.0))),
        Mistake("your code is z = mu, with no noise: that trains an autoencoder with a KL penalty, not a VAE. "
                "Sample z = mu + exp(logvar / 2) * eps with eps = torch.randn_like(mu)",
                like(_step_variant(noise=False))),
        Mistake("your standard deviation is exp(logvar), the variance: logvar is log(sigma^2), so sigma = "
                "exp(logvar / 2)", like(_step_variant(std_power=1.0))),
        Mistake("the gradients add up from step to step: call optimizer.zero_grad() before backward()",
                like(_step_variant(zero_grad=False))),
        Mistake("your loss is summed over the images of the batch: average it over them (the loss per image, what "
                "fit and the notebook report)", like(_step_variant(batch_sum=True))),
        Mistake("the model stays in evaluation mode, so its batch norm does not train as it should: call "
                "model.train() first (fit and predict leave a model in evaluation mode)",
                like(_step_variant(train=False))),
        Mistake("your reconstruction term goes through sigmoid(logits): for a logit beyond +-100 the probability "
                "rounds to 0 or 1, and F.binary_cross_entropy clamps log(0) to -100, so a pixel that costs 150 nats "
                "counts 100 and gets no gradient. Compute it from the logits: F.binary_cross_entropy_with_logits",
                like(_step_variant(through_sigmoid=True))),
    ]


def _vae_step_case(description, seed, optimizer, confident=False):
    observe = _vae_training(optimizer, confident)
    return Case(description, inputs=a_run_seed(seed), observe=observe,
                compare=_stepped_like_the_reference, mistakes=_vae_step_mistakes(observe))


vae_step = Exercise(
    "Exercise 4: a VAE training step",
    vae_step_reference,
    cases=[
        _vae_step_case("a tiny VAE (12-pixel images, a 3-D code, batch norm), 3 steps of plain SGD on batches of "
                       "3 to 9 images", 40, sgd),
        _vae_step_case("the same with Adam (the optimiser fit uses)", 41, adam),
        _vae_step_case("a confident decoder (logits from 150 to 300 in size, half the pixels on the wrong side), "
                       "3 steps of Adam", 42, adam, confident=True),
    ],
    hints=[
        "The step of notebook 01 (model.train(), optimizer.zero_grad(), loss, loss.backward(), optimizer.step()), "
        "with the loss of Exercise 3 computed from a sampled code: encode, reparameterise (Exercise 1), decode.",
        "mu, logvar = model.encode(x); z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu); logits = "
        "model.decode(z). Draw the noise once, with torch.randn_like(mu).",
        "F.binary_cross_entropy_with_logits(logits, x, reduction='none').flatten(1).sum(1) plus "
        "-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1), then .mean(); backward, step, return loss.item().",
    ],
    same_as=["torch.distributions", "aecourse.losses.gaussian_kl", "aecourse.losses.bernoulli_nll",
             "aecourse.train.fit"],
    build=True,
)


# --- Exercise 5: a log-mean-exp that never overflows ------------------------------------------

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
    Mistake("you subtracted the largest value before exp but did not add it back after the log",
            lambda got, expected, values: torch.allclose(got, expected - values.max(0).values, atol=1e-3)),
    Mistake("you divided the sum by K - 1 (or another count); the mean of K values divides by K = values.shape[0]",
            lambda got, expected, values: len(values) > 1 and torch.allclose(
                got, expected + math.log(len(values) / (len(values) - 1)), atol=1e-4)),
]


def _values(seed, shape, scale=1.0):
    return lambda: (torch.randn(*shape, generator=seeded(seed)) * scale,)


def _near_thousand(seed, k=3, columns=4):
    """Every column near +1000 or near -1000 (its sign drawn at random)."""
    def make():
        g = seeded(seed)
        sign = torch.randint(0, 2, (1, columns), generator=g) * 2.0 - 1
        return (sign * 1000 + 3 * torch.randn(k, columns, generator=g),)
    return make


log_mean_exp = Exercise(
    "Exercise 5: a log-mean-exp that never overflows",
    likelihood.log_mean_exp,
    cases=[
        Case("small values, against the direct formula", inputs=_values(0, (7, 5)), mistakes=LME_MISTAKES,
             compare=keeps_dtype(close())),
        Case("values near +1000 and -1000 (a stress test)", inputs=_near_thousand(1),
             compare=finite_and_close(atol=1e-3), mistakes=LME_MISTAKES),
        Case("values from -1000 to +1000 within one column", inputs=lambda: (
             torch.rand(5, 4, generator=seeded(2)) * 2000 - 1000,),
             compare=finite_and_close(atol=1e-3), mistakes=LME_MISTAKES),
        Case("one value: log-mean-exp of a single number is the number", inputs=_values(4, (1, 3), scale=50.0),
             mistakes=LME_MISTAKES),
        Case("values of shape (6, 2, 3): the result has shape (2, 3)", inputs=_values(5, (6, 2, 3), scale=5.0),
             mistakes=LME_MISTAKES),
        Case("gradients flow (they are the normalised importance weights)",
             inputs=lambda: (torch.randn(6, 3, generator=seeded(3)) * 10,), observe=gradients(wrt=(0,))),
    ],
    hints=[
        "log mean exp(v) = log(1/K sum_k exp(v_k)). Computed naively, exp(1000) is inf in float32.",
        "Factor out the largest value m: log mean exp(v) = m + log mean exp(v - m), and every v - m is <= 0.",
        "m = values.max(0).values; return m + torch.log(torch.exp(values - m).mean(0))",
    ],
    # in every spelling (values.logsumexp, torch.special.logsumexp), and the ops that compute it inside
    same_as=["torch.logsumexp", "torch.logcumsumexp", "torch.log_softmax", "scipy.special.logsumexp",
             "aecourse.likelihood.log_mean_exp"],
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: What the reparameterisation changes",
    "b",
    "A sample drawn with .sample() is a number cut off from mu and sigma: the first cell of this section printed "
    "False for it, so the reconstruction term could send no gradient to the encoder. Written as z = mu + sigma * eps, "
    "with the noise eps drawn independently of the parameters, z has the same distribution but dz/dmu = 1 and "
    "dz/dsigma = eps, and autograd's gradients of E[z^2] in the check above matched the exact values (2 mu for mu, "
    "sigma^2 for logvar).",
    choices={
        "a": "The distribution of z: .sample() does not draw exactly from N(mu, sigma^2), mu + sigma * eps does",
        "b": "The gradient's path: z becomes an ordinary differentiable function of mu and sigma, so the gradient of "
             "the reconstruction term reaches the encoder",
        "c": "The randomness: with the noise set apart, z is deterministic and the loss no longer changes from one "
             "step to the next",
        "d": "The KL term: its closed form can only be computed from a reparameterised sample",
    },
    why_not={
        "a": "both give samples of the same Gaussian: if eps ~ N(0, 1), mu + sigma * eps ~ N(mu, sigma^2). What "
             "differs is what autograd sees; look at what the first cell of the section printed for each",
        "c": "eps is drawn afresh on every call (Exercise 1 asks for new noise each time), so z and the loss stay "
             "random, one sampled code per image; only the place where the randomness enters has moved, outside the "
             "parameters",
        "d": "the closed form of the next cells uses mu and logvar only, no sample at all; the sample is needed by "
             "the other term, the reconstruction E_q[log p(x | z)]",
    },
)

q2 = Question(
    "Question 2: How the bound moves with K",
    "c",
    "Every weight w_k = p(x, z_k) / q(z_k | x) has expectation p(x), so their mean over K samples estimates p(x) "
    "with less spread as K grows, and the log of a less spread estimate loses less to Jensen's inequality: L_1 is "
    "the ELBO, and L_K rises with K towards log p(x) without ever passing it (Burda et al. 2015). The printed bounds "
    "rise with K from about the ELBO at K = 1, and how far they rise above it is a lower estimate of the ELBO's gap, "
    "the KL divergence between the encoder's Gaussian and the true posterior.",
    choices={
        "a": "It stays at the ELBO, only less noisy",
        "b": "It falls: more samples include more codes that explain the image badly",
        "c": "It rises towards log p(x), never passing it",
        "d": "It rises without limit, passing log p(x) once K is large enough",
    },
    why_not={
        "a": "that is what happens to the mean of the log-weights: the ELBO estimated from 1,000 samples is still "
             "the ELBO. L_K is the log of the mean of the weights, and the log of a mean is at least the mean of "
             "the logs (Jensen's inequality), by an amount that depends on K",
        "b": "the weights are averaged before the log is taken: a code that explains the image badly has a weight "
             "near 0 and barely moves the mean, while one code that explains it well lifts it, and more samples "
             "give more chances of such a code",
        "d": "the mean of the K weights is an unbiased estimate of p(x) for every K, so by Jensen's inequality its "
             "expected log, L_K, is at most log p(x), whatever K: it stays a lower bound",
    },
)

q3 = Question(
    "Question 3: The scale of the VAE's codes",
    "a",
    "Per code number the KL term is (mu^2 + sigma^2 - 1 - log sigma^2) / 2: the mu^2 charges every image whose code "
    "mean strays from 0, so the codes stay on the prior's scale (after the laptop run's 10 epochs the ends read "
    "roughly -2 and +2), while the reconstruction term spreads them out enough to tell the images apart. A plain "
    "autoencoder has no such cost, and its codes' scale is arbitrary (its 2-D codes in the scatter above). That is "
    "why codes drawn from N(0, I) land among the VAE's training codes and decode to digit-like images.",
    choices={
        "a": "All lie within about 3 of zero, where the prior N(0, 1) puts nearly all its mass",
        "b": "Some span ten units or more, as a plain autoencoder's codes do: a code's scale is whatever training "
             "made it",
        "c": "Every slider is stuck at 0, both ends reading 0.00: the KL term gives every image the prior's mean "
             "as its code",
    },
    why_not={
        "b": "that is the plain autoencoder, whose loss never looks at its codes (see its 2-D codes in the scatter "
             "above). Read the ends again: the VAE's loss has a KL term with mu^2 / 2 for every code number of "
             "every image",
        "c": "that is posterior collapse, the mean-over-pixels model of section 3 (KL practically 0, no active "
             "unit). With the correct loss the reconstruction term pays for codes that tell the images apart, and "
             "the sliders' ends differ from 0",
    },
)
