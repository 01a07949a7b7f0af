"""Builds notebooks/06_variational_autoencoders.ipynb (unexecuted); `make execute NB=06` runs it."""
from builder import answer, check, code, how_to_use, md, write

cells = [
md(r"""
# 06 · Variational autoencoders

An autoencoder's code space has holes. Decode a code that no training image produced and you get a smudge, because
nothing asked the decoder to make sense there. A **variational autoencoder** (VAE; Kingma & Welling 2013, Rezende
et al. 2014) turns the autoencoder into a **generative model**: it asks the codes of all images, together, to fill a
simple shape, a standard normal distribution, so that any code drawn from it decodes to something plausible.

Learners arrive at VAEs with the questions that fill the issue trackers of every VAE repository: why sum and not
mean, why is my KL zero, why are my samples blurry, what does $\beta$ do?
Each question gets a measurement here. Along the way you will check the two pieces of a VAE numerically, put the
test loss beside the published one, tighten the bound it optimises, trace the trade between rate and distortion,
and build a sample-quality measure that notebook 07 reuses.

**Learning objectives.** After this notebook you can
- derive the evidence lower bound (ELBO) and say what its gap is;
- write the reparameterisation trick and the Gaussian KL term, and check both against independent computations;
- train a VAE with the right reductions, and recognise the wrong ones by their symptom (a KL of zero);
- compute the importance-weighted bound with a stable log-mean-exp, and read rate against distortion as $\beta$ varies;
- measure sample quality with a Fréchet distance and say what it rewards and punishes.

**Prerequisites.** Notebook 01 (autoencoders, `fit`); probability: Gaussian densities, expectations, Bayes' rule;
the KL divergence (notebook 05 used it for sparsity).

**Time.** About 75 minutes to read and do the exercises; the code runs in about 4 minutes in the default `laptop`
profile on a 2-core CPU.

""" + how_to_use("4")),
code(r"""
import math

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F

import aecourse
from aecourse import data, frechet, plots
from aecourse.exercises import nb06 as exercises
from aecourse.likelihood import log_weights
from aecourse.live import LiveView
from aecourse.models import MLPAutoencoder
from aecourse.results import Results
from aecourse.runtime import evaluate, isolated_rng, predict
from aecourse.train import fit
from aecourse.widgets import InterpolationExplorer, LatentExplorer

profile = aecourse.setup(seed=0)
EPOCHS = profile.pick(test=1, laptop=10, full=50)   # the published number is "after 10 epochs"
SHORT = profile.pick(test=1, laptop=3, full=20)     # the other models of the notebook
BETA_EPOCHS = profile.pick(test=1, laptop=2, full=20)
SAMPLE_COUNTS = profile.pick(test=[1, 10, 100], laptop=[1, 10, 100, 1000], full=[1, 10, 100, 1000, 5000])
BOUND_IMAGES = profile.pick(test=100, laptop=500, full=2000)   # test images for the importance-weighted bounds
FD_IMAGES = profile.pick(test=300, laptop=2000, full=3000)     # images per set for the Fréchet distance
"""),
md(r"""
## 1 · From autoencoder to generative model

Train a notebook-01 autoencoder with a 20-number code, then try to use it as a generator: fit a Gaussian to the
codes of the training images (their mean and covariance) and decode fresh codes drawn from it.
"""),
code(r"""
x_train, y_train = data.load("mnist", "train", n=profile.n_train)
x_test, y_test = data.load("mnist", "test", n=profile.n_test)
LATENT = 20


def squared_error(model, x):
    return (model(x) - x).pow(2).flatten(1).sum(1).mean()


autoencoder = MLPAutoencoder((784, 400, LATENT))
fit(autoencoder, x_train, squared_error, epochs=SHORT, desc="autoencoder 784-400-20")
ae_codes = predict(autoencoder.encoder, x_train)                              # (N, 20)
fitted = torch.distributions.MultivariateNormal(ae_codes.mean(0), torch.cov(ae_codes.T))
with isolated_rng(1):
    ae_samples = predict(autoencoder.decoder, fitted.sample((FD_IMAGES,)))    # decoded random codes
plots.image_rows({"test digits": x_test[:10], "reconstructed": predict(autoencoder, x_test[:10]),
                  "random codes": ae_samples[:10]}, n=10,
                 title="An autoencoder's decoder on codes drawn from a Gaussian fitted to its codes")
"""),
md(r"""
The decoder draws digit-like strokes for random codes, but many are not digits: tangled loops and half-formed
shapes. An autoencoder is trained on the codes of training images only; nothing made the space around and between
them decode to digits, and a Gaussian fitted to the codes does not know where those gaps are. (Section 8 measures
these samples and holds a surprise: judged by a sample-quality score, this simple recipe does about as well as the
VAE. The VAE's advantages lie elsewhere, and the notebook shows which.)

**The latent-variable model.** A VAE says how images are made: draw a code $z$ from a prior $p(z) = \mathcal N(0, I)$,
then draw the image from the decoder's distribution $p_\theta(x \mid z)$, where $\theta$ are the decoder's weights.
For MNIST every pixel is treated as a Bernoulli variable whose probability is $\mathrm{sigmoid}(\text{logit})$, the
decoder's output. (Grey pixels are not 0 or 1, so for them this "likelihood" is a convenient loss rather than a
normalised probability; section 5 scores binarised images, for which it is exact.) Values are in **nats**, natural
logarithms. The probability of an image is then

$$p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz,$$

and training should make $\log p_\theta(x)$ large for the training images. The integral has no closed form, and
almost every $z$ from the prior explains a given $x$ badly. So we bring in an **encoder** $q_\phi(z \mid x)$ with
weights $\phi$, a Gaussian $\mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))$ that proposes the codes
likely to have made $x$. It approximates the **true posterior** $p_\theta(z \mid x) = p_\theta(x \mid z)\,p(z) /
p_\theta(x)$ (Bayes' rule), which we cannot compute. Three lines give the identity everything rests on: since
$p_\theta(x) = p_\theta(x, z) / p_\theta(z \mid x)$ for every $z$, take logs and average over $z \sim q_\phi$,

$$\log p_\theta(x) = \mathbb E_q\Big[\log \frac{p_\theta(x, z)}{q_\phi(z\mid x)}\Big] + \mathbb E_q\Big[\log
\frac{q_\phi(z \mid x)}{p_\theta(z\mid x)}\Big],$$

and split $p_\theta(x, z) = p_\theta(x \mid z)\,p(z)$ in the first term:

$$\log p_\theta(x) = \underbrace{\mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x \mid z)\big] - \mathrm{KL}\big(q_\phi(z \mid x)\,\|\,p(z)\big)}_{\text{ELBO}(x)} \;+\; \mathrm{KL}\big(q_\phi(z \mid x)\,\|\,p_\theta(z \mid x)\big).$$

The last term, the KL divergence to the true posterior, is never negative, so the **evidence lower bound** (ELBO)
is a lower bound on $\log p_\theta(x)$, and that last term is exactly its **gap**. The VAE maximises the ELBO
over both networks: its first term is a reconstruction term (decode a code sampled from the encoder, score the
image), its second keeps each image's code distribution close to the prior, which is what fills the holes.

## 2 · The two pieces, checked numerically

**Reparameterisation.** The reconstruction term needs a sample $z \sim q_\phi(z \mid x)$, and its gradient with
respect to $\phi$. A sample drawn from the distribution, `torch.distributions.Normal(mu, std).sample()`, is just a
number to autograd: the gradient stops there. Write it instead as a deterministic function of $\mu$, $\sigma$ and
noise that does not depend on them, $z = \mu + \sigma \odot \varepsilon$ with $\varepsilon \sim \mathcal N(0, I)$,
and the gradient flows to $\mu$ and $\sigma$ through ordinary arithmetic. (That is what `.rsample()` does; here you
write it yourself.)
"""),
code(r"""
mu, std = torch.tensor([1.0], requires_grad=True), torch.tensor([2.0], requires_grad=True)
drawn = torch.distributions.Normal(mu, std).sample()
reparameterised = torch.distributions.Normal(mu, std).rsample()
print(f"Normal(mu, std).sample():  connected to mu and std? {drawn.requires_grad}")
print(f"Normal(mu, std).rsample(): connected to mu and std? {reparameterised.requires_grad}")
"""),
md(r"""
### Exercise 1 · The reparameterisation trick

Write `reparameterize(mu, logvar)`: for tensors of shape $(N, d)$, a sample of
$\mathcal N(\mu, \operatorname{diag}(e^{\text{logvar}}))$ for every row, as $\mu + \sigma \odot \varepsilon$ (without
`torch.distributions`). The encoder outputs $\log \sigma^2$ (`logvar`), not $\sigma$: any real number
is a valid log-variance, so the network needs no constraint. Draw fresh noise on every call.
"""),
answer("ex1-reparameterize-answer", r'''
def reparameterize(mu, logvar):
    """A sample z = mu + sigma * eps of N(mu, diag(exp(logvar))), eps ~ N(0, I), differentiable in mu and logvar."""
    ### BEGIN SOLUTION
    std = torch.exp(0.5 * logvar)
    eps = torch.randn_like(std)
    return mu + std * eps
    ### END SOLUTION
'''),
check("ex1-reparameterize-check", r"""
reparameterize = exercises.reparameterize.check(reparameterize)
### BEGIN HIDDEN TESTS
_z = reparameterize(torch.full((50_000, 1), -2.0), torch.full((50_000, 1), math.log(0.25)))
assert abs(_z.mean().item() + 2.0) < 0.02 and abs(_z.std().item() - 0.5) < 0.02
### END HIDDEN TESTS
"""),
md(r"""
A gradient check: for $f(z) = z^2$ with $z \sim \mathcal N(\mu, \sigma^2)$, $\mathbb E[f] = \mu^2 + \sigma^2$, so
$\partial/\partial\mu = 2\mu$ and $\partial/\partial\log\sigma^2 = \sigma^2$. Autograd through your
reparameterisation, averaged over many samples, must agree.
"""),
code(r"""
mu = torch.tensor([1.5], requires_grad=True)
logvar = torch.tensor([math.log(0.49)], requires_grad=True)  # sigma = 0.7
with isolated_rng(2):
    z = reparameterize(mu.expand(200_000, 1), logvar.expand(200_000, 1))
z.pow(2).mean().backward()
print(f"d/d mu       autograd {mu.grad.item():.3f}, exact {2 * 1.5:.3f}")
print(f"d/d logvar   autograd {logvar.grad.item():.3f}, exact {0.49:.3f}")
assert abs(mu.grad.item() - 3.0) < 0.02 and abs(logvar.grad.item() - 0.49) < 0.02
"""),
md(r"""
**The KL term in closed form.** For a diagonal Gaussian against the standard normal, the KL divergence has a
closed form (Kingma & Welling 2013, Appendix B), summed over the latent dimensions $j$:

$$\mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I)\big) = -\tfrac{1}{2}\sum_j \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$

### Exercise 2 · The Gaussian KL term

Write `gaussian_kl(mu, logvar)`: for rows of $\mu$ and $\log\sigma^2$ (shape $(N, d)$), the KL divergence of each row,
a tensor of shape $(N,)$, from the formula above (without `torch.distributions`, which the next cell uses to check
you).
"""),
answer("ex2-gaussian-kl-answer", r'''
def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) of each row, summed over the latent dimensions: shape (N,)."""
    ### BEGIN SOLUTION
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    ### END SOLUTION
'''),
check("ex2-gaussian-kl-check", r"""
gaussian_kl = exercises.gaussian_kl.check(gaussian_kl)
### BEGIN HIDDEN TESTS
_kl = gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]]))
assert torch.allclose(_kl, torch.tensor([0.5 + 0.5 * (4.0 - 1 - math.log(4.0))]), atol=1e-5)
### END HIDDEN TESTS
"""),
md(r"""
Two independent checks of your formula: `torch.distributions` computes the same KL its own way, and a Monte Carlo
estimate averages $\log q(z) - \log p(z)$ over samples $z \sim q$, with an error bar of two standard errors.
"""),
code(r"""
with isolated_rng(3):
    mu, logvar = torch.randn(1, 5), torch.randn(1, 5)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(1, 5), torch.ones(1, 5))
    samples = q.sample((200_000,))                                    # (200000, 1, 5)
    log_ratio = (q.log_prob(samples) - p.log_prob(samples)).sum(-1).flatten()
ours = gaussian_kl(mu, logvar).item()
library = torch.distributions.kl_divergence(q, p).sum().item()
estimate, error = log_ratio.mean().item(), 2 * log_ratio.std().item() / math.sqrt(len(log_ratio))
print(f"closed form {ours:.4f} | torch.distributions {library:.4f} | Monte Carlo {estimate:.4f} +- {error:.4f}")
assert abs(ours - library) < 1e-4 and abs(ours - estimate) < error
"""),
md(r"""
## 3 · The model

The architecture of the PyTorch examples' VAE (`pytorch/examples`, `vae/main.py`): 784-400-20 with a ReLU, an encoder
that returns $\mu$ and $\log\sigma^2$, and a decoder 20-400-784 that returns **logits**, one per pixel: the
Bernoulli decoder $p_\theta(x \mid z)$. Each method is a line of the mathematics.
"""),
code(r"""
class VAE(nn.Module):
    def __init__(self, hidden=(400,), latent=LATENT):
        super().__init__()
        sizes = (784, *hidden)
        self.body = nn.Sequential(nn.Flatten(), *[layer for a, b in zip(sizes, sizes[1:])
                                                  for layer in (nn.Linear(a, b), nn.ReLU())])
        self.to_mu, self.to_logvar = nn.Linear(sizes[-1], latent), nn.Linear(sizes[-1], latent)
        back = (latent, *hidden[::-1])
        self.decoder = nn.Sequential(*[layer for a, b in zip(back, back[1:]) for layer in (nn.Linear(a, b), nn.ReLU())],
                                     nn.Linear(back[-1], 784), nn.Unflatten(1, (1, 28, 28)))

    def encode(self, x):                       # (B, 1, 28, 28) -> mu, logvar: (B, latent) each
        h = self.body(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):                       # (B, latent) -> pixel logits (B, 1, 28, 28)
        return self.decoder(z)

    def forward(self, x):                      # logits of a reconstruction from a sampled code, mu, logvar
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar
"""),
md(r"""
**The loss and its reductions.** The negative ELBO of one image is its reconstruction term, the binary
cross-entropy of its pixels given the decoder's logits **summed over the 784 pixels**, plus its KL term **summed
over the 20 latent dimensions**; the loss of a batch is the **mean over its images**. The PyTorch example sums over
the batch as well (a constant factor, which Adam barely notices); what matters is that both terms are sums: that
keeps them on the scale the mathematics gives them. The model trains with `fit`'s one-cycle schedule at a peak rate
of $3 \cdot 10^{-3}$; section 4 says why.

### Exercise 3 · The VAE loss with the right reductions

Write `vae_loss(logits, x, mu, logvar)`: the negative ELBO per image, averaged over the batch (a 0-d tensor).
`logits` and `x` have shape $(B, 1, 28, 28)$, `x` holding grey values in $[0, 1]$; `mu` and `logvar` shape $(B, d)$.
Use `F.binary_cross_entropy_with_logits(..., reduction="none")` for the pixels (it is stable for any logit) and
your `gaussian_kl`.
"""),
answer("ex3-vae-loss-answer", r'''
def vae_loss(logits, x, mu, logvar):
    """Negative ELBO per image: BCE summed over pixels + KL summed over latents, averaged over the batch (0-d)."""
    ### BEGIN SOLUTION
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return (reconstruction + gaussian_kl(mu, logvar)).mean()
    ### END SOLUTION
'''),
check("ex3-vae-loss-check", r"""
vae_loss = exercises.vae_loss.check(vae_loss)
### BEGIN HIDDEN TESTS
_logits, _x = torch.zeros(2, 1, 28, 28), torch.ones(2, 1, 28, 28)
assert torch.isclose(vae_loss(_logits, _x, torch.zeros(2, 3), torch.zeros(2, 3)), torch.tensor(784 * math.log(2.0)))
### END HIDDEN TESTS
"""),
code(r"""
def elbo_loss(model, x):
    logits, mu, logvar = model(x)
    return vae_loss(logits, x, mu, logvar)


def pixels(model, z):
    "Decode codes (B, latent) to pixel probabilities, the sigmoid of the decoder's logits."
    return torch.sigmoid(predict(model.decode, z))


def reconstruct(model, x):
    "Reconstruct images from the means of their codes."
    return pixels(model, predict(lambda images: model.encode(images)[0], x))


watch = LiveView(x_test[:8], show=reconstruct)  # the VAE returns logits and samples: say what to draw
vae = VAE()
vae_history = fit(vae, x_train, elbo_loss, x_test=x_test, epochs=EPOCHS, lr=3e-3, schedule="one-cycle",
                  desc="VAE 784-400-20", watch=watch)
print("test loss per image after each epoch:", " ".join(f"{value:.1f}" for value in vae_history.test))
"""),
md(r"""
**The reduction pitfall.** Many tutorials write the reconstruction term with `F.binary_cross_entropy(...)` at its
default reduction, a **mean over the pixels**, and keep the KL summed. The reconstruction term then shrinks 784
times against the KL: the loss is $(D + 784\,R)/784$ for distortion $D$ and rate $R$, a $\beta$-VAE with
$\beta = 784$ (section 6 varies $\beta$). Train the same network with that loss and look at what it learns. We also
count its **active units**: a latent dimension is active if its code mean $\mu_j(x)$ varies across the test images
by more than 0.01 (variance), i.e. if it carries information about the image (Burda et al. 2015).
"""),
code(r"""
def mean_pixel_loss(model, x):  # the mistake: reconstruction averaged over pixels, KL summed over latents
    logits, mu, logvar = model(x)
    return F.binary_cross_entropy_with_logits(logits, x) + gaussian_kl(mu, logvar).mean()


def active_units(model, x, threshold=0.01):
    "Burda et al. (2015): latent i is active if its posterior mean varies across images, Cov_x(E_q[z_i]) > 0.01."
    mu = predict(lambda images: model.encode(images)[0], x)
    return int((mu.var(0) > threshold).sum())


def mean_kl(model, x):
    return predict(lambda images: gaussian_kl(*model.encode(images)), x).mean().item()


collapsed = VAE()
fit(collapsed, x_train, mean_pixel_loss, epochs=SHORT, desc="VAE, mean over pixels", watch=watch)
with isolated_rng(4):
    prior_codes = torch.randn(10, LATENT)
plots.image_rows({"test digits": x_test[:10], "correct loss": reconstruct(vae, x_test[:10]),
                  "mean over pixels": reconstruct(collapsed, x_test[:10]),
                  "prior samples, correct loss": pixels(vae, prior_codes),
                  "prior samples, mean loss": pixels(collapsed, prior_codes)}, n=10,
                 title="Reconstructions (from the code means) and prior samples of the two models")
for name, model in (("correct loss", vae), ("mean over pixels", collapsed)):
    print(f"{name:18} KL per image {mean_kl(model, x_test):6.2f} nats, active units {active_units(model, x_test):2d} "
          f"of {LATENT}, test loss {evaluate(model, elbo_loss, x_test):6.1f}")
"""),
md(r"""
With the correct loss the VAE reconstructs the digits, its codes carry 25.2 nats per image, all 20 latent units are
active, and most of its prior samples look like digits (a few are tangles). With the reconstruction term averaged over pixels, the
KL term outweighs it 784 to 1 and the cheapest loss has a KL of practically 0 (0.00 nats per image: every image
gets the prior itself as its code distribution, and no unit is active), so the code says nothing about the image and
the decoder draws the same average blob for every image and every prior sample. Scored with the correct loss, its
test loss is 206.7, twice the correct model's 103.7: the cost of describing every image by the average image.
Section 6's numbers show why: there, the first 3.5 nats of code bought about 52 nats of distortion, a price of about
15 to 1; at $\beta = 784$ no nat of code is worth paying for. This is **posterior collapse**, and "why is my KL zero?" has this answer more
often than any other.
"""),
md(r"""
## 4 · The published number, side by side

The PyTorch example (`pytorch/examples`, `vae/main.py`) is reported with a test loss of **105.6** per image after
10 epochs (Adam at a constant learning rate $10^{-3}$, batches of 128). Our model is the same network, loss (up to the
batch sum), batch size and number of epochs; we change the learning-rate schedule: one cycle up to $3 \cdot 10^{-3}$ and down, as in
notebook 02 (which also cycles Adam's momentum $\beta_1$ between 0.85 and 0.95). The published number is one run
of the example with one seed; the schedule is there to reach it with a margin rather than by luck of the seed. Note what this number is: the negative ELBO with
the **grey-level** pixels as Bernoulli targets. It is not the log-likelihood on **binarised** MNIST that the VAE
papers report; section 5 computes that one too.

The course's own architecture is deeper, 784-512-256-20, with the same loss and schedule.
"""),
code(r"""
deep_vae = VAE(hidden=(512, 256))
deep_history = fit(deep_vae, x_train, elbo_loss, x_test=x_test, epochs=SHORT, lr=3e-3, schedule="one-cycle",
                   desc="VAE 784-512-256-20", watch=watch)
print(f"784-400-20 after {EPOCHS} epochs: test loss {vae_history.test[-1]:.1f} per image (published after 10: 105.6); "
      f"active units {active_units(vae, x_test)}")
print(f"784-512-256-20 after {SHORT} epochs: test loss {deep_history.test[-1]:.1f}; "
      f"active units {active_units(deep_vae, x_test)}")
"""),
md(r"""
Our 784-400-20 reaches **103.7** after 10 epochs, below the reported 105.6: the target is met. The deeper course
architecture, trained here for only 3 epochs of its own schedule to save time, reaches 110.4, with 12 of its 20
latent units active: a deeper decoder can do with fewer code dimensions, but with so short a training this run
cannot tell depth from training time (the `full` profile trains both longer).

## 5 · A tighter bound

The ELBO is a bound. Burda et al. (2015) tighten it with $K$ samples $z_1, \dots, z_K \sim q_\phi(z \mid x)$:

$$\log p_\theta(x) \;\ge\; \mathcal L_K(x) = \mathbb E\Big[\log \frac{1}{K}\sum_{k=1}^{K} w_k\Big], \qquad
w_k = \frac{p_\theta(x, z_k)}{q_\phi(z_k \mid x)},$$

with $\mathcal L_1 = $ ELBO and $\mathcal L_K$ rising towards $\log p_\theta(x)$ as $K$ grows. (The mean of the
$\log w_k$ estimates the ELBO; the log of the mean of the $w_k$ is $\mathcal L_K$, and by Jensen's inequality it is
the larger.) The weights are tiny: $\log w_k$ is around $-100$ nats for an MNIST image and often lower, and anything
below about $-103$ is exactly 0 in float32, so the naive formula returns $-\infty$. Everything must happen in log
space, with a **log-mean-exp**.

### Exercise 4 · A log-mean-exp that never overflows

Write `log_mean_exp(values)`: $\log \frac{1}{K} \sum_k e^{v_k}$ over dimension 0 of `values` (shape $(K, \dots)$),
correct even for values near $+1000$ and $-1000$ (a stress test, far beyond real log-weights), without
`torch.logsumexp` (which does this for you). (The identity that makes it work: for any $m$,
$\log \frac1K\sum_k e^{v_k} = m + \log \frac1K \sum_k e^{v_k - m}$.)
"""),
answer("ex4-log-mean-exp-answer", r'''
def log_mean_exp(values):
    """log(mean(exp(values))) over dim 0, stable for values near +-1000: shape values.shape[1:]."""
    ### BEGIN SOLUTION
    top = values.max(0).values
    return top + torch.log(torch.exp(values - top).mean(0))
    ### END SOLUTION
'''),
check("ex4-log-mean-exp-check", r"""
log_mean_exp = exercises.log_mean_exp.check(log_mean_exp)
### BEGIN HIDDEN TESTS
assert torch.allclose(log_mean_exp(torch.tensor([[-700.0], [-700.0]])), torch.tensor([-700.0]))
assert torch.allclose(log_mean_exp(torch.tensor([[2.0], [0.0]])), torch.tensor([math.log((math.e ** 2 + 1) / 2)]))
### END HIDDEN TESTS
"""),
md(r"""
`aecourse.likelihood.log_weights` computes $\log w_k$ for $K$ samples per image (the encoder's Gaussian, the
standard normal prior and the Bernoulli decoder, all in log space); your `log_mean_exp` turns them into the bound.
We estimate the ELBO itself as the **mean** of 1,000 log-weights per image, which is far less noisy than one.
"""),
code(r"""
@torch.no_grad()
def log_weights_of(model, x, samples, seed):
    "log w_k for `samples` draws per image: (samples, N), computed 50 images at a time on the model's device."
    model.eval()
    device = next(model.parameters()).device
    with isolated_rng(seed):  # one random stream for all the images, the same on every call
        return torch.cat([log_weights(model.encode, model.decode, batch.to(device), samples).cpu()
                          for batch in x.split(50)], dim=1)


def bound(model, x, samples, seed=5):
    "The importance-weighted bound of each image (nats): your log_mean_exp over the K log-weights."
    return log_mean_exp(log_weights_of(model, x, samples, seed))


held_out = x_test[:BOUND_IMAGES]
elbo = log_weights_of(vae, held_out, 1000, seed=6).mean(0)
bounds = {K: bound(vae, held_out, K).mean().item() for K in SAMPLE_COUNTS}
print(f"ELBO (mean of 1,000 log-weights): {elbo.mean():8.2f} nats per image, on {len(held_out)} test images")
print(f"the test loss on the same images:  {evaluate(vae, elbo_loss, held_out):8.2f} (the negative ELBO, one sample)")
for K, value in bounds.items():
    note = "a one-sample estimate of the ELBO" if K == 1 else f"above the ELBO by {value - elbo.mean():.2f}"
    print(f"importance-weighted bound, K = {K:5d}: {value:8.2f}   ({note})")
if profile.name != "test":
    values = list(bounds.values())
    assert all(a < b for a, b in zip(values, values[1:])) and values[-1] > elbo.mean()
"""),
md(r"""
On 500 held-out images the ELBO is $-101.9$ nats per image. It is the test loss of section 4 with the sign
flipped; the loss there, 103.7, averages over all 10,000 test images, and on these 500 it reads 102.1:
the first 500 test images are a little easier than the average one (the MNIST page itself says its first 5,000
test images are cleaner and easier than the last 5,000), and one sampled code per image gives a
noisier estimate than 1,000 (0.2 nats apart here). $K = 1$ is a one-sample estimate of the ELBO ($-101.9$).
With $K = 10$, 100 and 1,000 the bound rises to $-99.4$, $-98.4$ and $-97.9$: 4.0 nats above the ELBO at
$K = 1000$, and still creeping up. So the ELBO's gap, the KL divergence between the encoder's Gaussian and
the true posterior, is about 4 nats per image or more for this model: the encoder's guess at the codes that made an
image is good, not exact.

**The papers' setting.** VAE papers report the negative log-likelihood on **binarised** MNIST: each grey pixel
becomes 1 with its grey level as probability, drawn afresh every time an image is used in training ("dynamic
binarisation"), and a fixed binarisation of the test set is scored. Burda et al. (2015) report **86.76** nats for a
VAE with one stochastic layer (their architecture 784-200-200-50 with tanh units, trained for 3,280 passes, scored
with $K = 5000$). Ours differs in architecture (784-400-20), in training (10 epochs) and in $K$; here is what that
gives.
"""),
code(r"""
def binarised_loss(model, x):
    return elbo_loss(model, torch.bernoulli(x))  # a new binarisation of every batch


binary_vae = VAE()
fit(binary_vae, x_train, binarised_loss, epochs=EPOCHS, lr=3e-3, schedule="one-cycle", desc="VAE on binarised MNIST",
    watch=watch)
with isolated_rng(7):
    binary_test = torch.bernoulli(held_out)  # one fixed binarisation of the test images
binary_nll = -bound(binary_vae, binary_test, SAMPLE_COUNTS[-1]).mean().item()
print(f"binarised MNIST: NLL {binary_nll:.2f} nats per image (importance-weighted, K = {SAMPLE_COUNTS[-1]}); "
      f"Burda et al. 2015: 86.76")
"""),
md(r"""
On binarised MNIST our model's negative log-likelihood is at most about **94** nats ($-\mathcal L_K$ is an upper
bound on the NLL, and a larger $K$ would lower it a little further), 7.3 above Burda et al.'s 86.76. Read
the comparison as orientation, not a match: they trained a different network (784-200-200-50 with tanh units) for
3,280 passes and scored with $K = 5000$ on the whole test set; we trained for 10 epochs and scored with $K = 1000$ on
500 test images. The `full` profile trains longer and uses $K = 5000$.

## 6 · Rate, distortion and $\beta$

The two terms of the loss pull against each other. Call the KL term the **rate** $R$ (how many nats the code carries
about the image beyond the prior) and the reconstruction term the **distortion** $D$ (Alemi et al. 2018). Weight the
rate by $\beta$ (Higgins et al. 2017), minimise $D + \beta R$, and sweep $\beta$: each model lands at one
$(R, D)$ point, and together they trace the trade. Small $\beta$ buys sharp reconstructions with a code that strays
from the prior; large $\beta$ pushes codes onto the prior until, past some point, latent units stop carrying
anything at all: they switch off, and the model is on its way to the collapse of section 3.
"""),
code(r"""
BETAS = [0.25, 0.5, 1, 2, 4, 8]


def beta_loss(beta):
    def loss(model, x):
        logits, mu, logvar = model(x)
        distortion = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        return (distortion + beta * gaussian_kl(mu, logvar)).mean()
    return loss


def rate_and_distortion(model, x):
    "Mean KL (rate) and mean reconstruction term (distortion), nats per image, one sampled code per image."
    def parts(images):
        logits, mu, logvar = model(images)
        distortion = F.binary_cross_entropy_with_logits(logits, images, reduction="none").flatten(1).sum(1)
        return torch.stack([gaussian_kl(mu, logvar), distortion], dim=1)
    return predict(parts, x).mean(0).tolist()


beta_models = {}
for beta in BETAS:
    beta_models[beta] = VAE()
    fit(beta_models[beta], x_train, beta_loss(beta), epochs=BETA_EPOCHS, lr=3e-3, schedule="one-cycle",
        desc=f"beta = {beta}", watch=watch)  # one picture: watch the reconstructions blur as beta grows
sweep = {beta: (*rate_and_distortion(model, x_test), active_units(model, x_test)) for beta, model in beta_models.items()}
print(f"{'beta':>5} {'rate (KL)':>10} {'distortion':>11} {'active units':>13}")
for beta, (rate, distortion, active) in sweep.items():
    print(f"{beta:5g} {rate:10.1f} {distortion:11.1f} {active:13d}")

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4))
rates, distortions, actives = zip(*sweep.values())
ax.plot(rates, distortions, "o-")
for beta, rate, distortion in zip(BETAS, rates, distortions):
    ax.annotate(f"beta = {beta:g}", (rate, distortion), textcoords="offset points", xytext=(5, 3), fontsize=8)
ax.set_xlabel("rate R: KL per image (nats)")
ax.set_ylabel("distortion D: reconstruction term per image (nats)")
ax.set_title("Rate against distortion as beta varies")
ax.grid(alpha=0.3)
ax2.plot(BETAS, actives, "s-")
ax2.set_xscale("log", base=2)
ax2.set_xticks(BETAS, [f"{b:g}" for b in BETAS])
ax2.set_xlabel("beta (log scale)")
ax2.set_ylabel(f"active units (of {LATENT})")
ax2.set_ylim(0, LATENT + 0.5)
ax2.yaxis.get_major_locator().set_params(integer=True)
ax2.set_title("Latent units that carry information")
ax2.grid(alpha=0.3)
plt.show()
with isolated_rng(9):
    beta_codes = torch.randn(8, LATENT)
plots.image_rows({f"beta = {beta:g}": pixels(model, beta_codes) for beta, model in beta_models.items()}, n=8,
                 title="Samples from the prior at each beta (the same 8 codes in every row)")
"""),
md(r"""
Each model here trains for 2 epochs, a shorter budget than the main VAE's 10, so compare the
models with each other rather than with section 4. As $\beta$ grows from 0.25 to 8 the rate falls from 43.5 to 3.5 nats per image and the distortion rises from 78.5
to 154.7: each $\beta$ is a different trade, and $\beta = 1$, where the loss is the negative ELBO, is just one point on the
curve. Units switch off only at the top: with $\beta = 8$, 16 of the 20 units stay active and 4 carry nothing.
The samples show the trade. At small $\beta$ the codes stray from the prior, so prior samples land where no
training code was, and come out tangled; at large $\beta$ the codes carry little, and the samples are clean but
blurry and alike.

## 7 · The latent space

With a 2-number code the whole latent space can be drawn. Train a VAE and a plain autoencoder with 2-D codes and
look at three things: where the test images' codes land, against the prior's contours; what the decoder draws
across the plane (for the VAE, on a grid of the prior's quantiles, as in Kingma & Welling's figure); and what
samples from the prior look like.
"""),
code(r"""
vae_2d = VAE(latent=2)
fit(vae_2d, x_train, elbo_loss, epochs=SHORT, lr=3e-3, schedule="one-cycle", desc="VAE, 2-D code", watch=watch)
autoencoder_2d = MLPAutoencoder((784, 400, 2))
fit(autoencoder_2d, x_train, squared_error, epochs=SHORT, desc="autoencoder, 2-D code", watch=x_test[:8])

codes_2d = {"autoencoder": predict(autoencoder_2d.encoder, x_test), "VAE": predict(lambda x: vae_2d.encode(x)[0], x_test)}
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
for ax, (name, codes) in zip(axes, codes_2d.items()):
    shown = codes[:4000]
    points = ax.scatter(shown[:, 0], shown[:, 1], c=y_test[:4000], cmap="tab10", s=3, alpha=0.6)
    if name == "VAE":
        grid = torch.linspace(-3, 3, 200)
        gx, gy = torch.meshgrid(grid, grid, indexing="xy")
        ax.contour(gx, gy, torch.exp(-(gx ** 2 + gy ** 2) / 2), levels=[0.011, 0.135, 0.6], colors="grey")  # 3, 2, 1 sd
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(f"{name}: codes of test digits" + (" (grey: prior, 1-3 sd)" if name == "VAE" else ""))
fig.colorbar(points, ax=axes, label="digit")
plt.show()

quantiles = torch.distributions.Normal(0, 1).icdf(torch.linspace(0.05, 0.95, 15))
grid = torch.stack(torch.meshgrid(quantiles, quantiles.flip(0), indexing="xy"), dim=-1).reshape(-1, 2)
mosaic = pixels(vae_2d, grid).reshape(15, 15, 28, 28).permute(0, 2, 1, 3).reshape(15 * 28, 15 * 28)
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(mosaic, cmap="gray", extent=(0.05, 0.95, 0.05, 0.95))
ax.set_xlabel("prior quantile of $z_1$ (0.05 = 1.6 sd below the mean)")
ax.set_ylabel("prior quantile of $z_2$")
ax.set_title("What the 2-D VAE draws across the prior")
plt.show()
"""),
md(r"""
The autoencoder's 2-D codes spread wherever training put them (from about $-12$ to 14), a dense central mass with arms
reaching far out (the 1s to the left, the 0s to the lower right); the VAE's codes sit inside the prior's grey contours, most within 3 standard deviations (the 1s stray
beyond), digits side by side and overlapping. The grid decodes codes at the prior's quantiles from 0.05 to 0.95 (1.6 standard deviations either side of the
mean, the middle 90 % of each coordinate, as in Kingma & Welling's figure 4). Across it the VAE's decoder draws
digit-like shapes nearly everywhere, changing smoothly from one to the next, though some cells are shapes between two
digits. Two numbers are too few for
every digit: several digits crowd into the middle of the plane and blur together in the grid.

**Interpolation.** Walk in a straight line between the codes of two test digits, in the 20-D autoencoder of section 1
and in the 20-D VAE, and decode along the way.
"""),
code(r"""
ends = x_test[[3, 2]]  # a 0 and a 1
steps = torch.linspace(0, 1, 10).unsqueeze(1)
ae_path = predict(autoencoder.encoder, ends)
vae_path = predict(lambda x: vae.encode(x)[0], ends)
plots.image_rows({"autoencoder": predict(autoencoder.decoder, (1 - steps) * ae_path[:1] + steps * ae_path[1:]),
                  "VAE": pixels(vae, (1 - steps) * vae_path[:1] + steps * vae_path[1:])}, n=10,
                 title="From a 0 to a 1 in a straight line through each code space")
"""),
md(r"""
Both paths start at the 0 and end at the 1. Halfway, the autoencoder draws a tangle of the two strokes;
the VAE fades one into the other, fainter and blurred, and not a digit either. A VAE is trained on noisy codes (the
reparameterisation adds $\sigma \odot \varepsilon$ to every code), so it learns to decode the neighbourhood of
each training code, which is the reason to expect its path to stay in territory it knows; one pair of digits shows
a tendency, not a rule, so try others in the explorer below.

**Explore.** Move through the VAE's 20-D code space: the sliders follow the directions in which the test images'
codes vary most (the explorer's "principal directions"), from the mean code; or choose single numbers. Then pick two
test digits and slide between them, autoencoder and VAE side by side. Where does each path stop looking
like a digit?

<details><summary>Answer (open after trying)</summary>

As in the figure above, from a 0 to a 1: neither path passes through clean digits half way. The autoencoder's
middle frames are sharp and draw both shapes at once, a ring with a stroke through it, an image no writer would
make; the VAE's middle frames are fainter and blurrier, the ring fading as the stroke appears. Blur is the VAE's
answer to uncertainty: a code half way between two classes could have come from either, and its decoder draws the
average. Along the principal directions, the VAE draws digit-like images wherever its prior is likely to put a
code, because its training asked it to decode such codes (its samples, drawn there, show it); the plain
autoencoder was never asked, and its code space has holes (section 1).
</details>
"""),
code(r"""
vae_codes = predict(lambda x: vae.encode(x)[0], x_test)
LatentExplorer(lambda z: torch.sigmoid(vae.decode(z)), vae_codes)
"""),
code(r"""
InterpolationExplorer({"autoencoder": (autoencoder.encoder, autoencoder.decoder),
                       "VAE": (lambda x: vae.encode(x)[0], lambda z: torch.sigmoid(vae.decode(z)))},
                      x_test[:100], start=3, end=2)
"""),
md(r"""
## 8 · How good are the samples, measured

Looking at samples is not measuring them. The standard measure for image generators is the Fréchet Inception
Distance (FID, Heusel et al. 2017): map real and generated images to the features of a trained classifier, fit a
Gaussian to each set of features, and report the Fréchet distance between the Gaussians,

$$\mathrm{FD} = \|m_1 - m_2\|^2 + \operatorname{Tr}\big(C_1 + C_2 - 2\,(C_1^{1/2} C_2 C_1^{1/2})^{1/2}\big).$$

`aecourse.frechet` is the MNIST analogue: the features are the 128 numbers before the last layer of a small
convolutional classifier trained once on the bundled MNIST training images (its weights ship with the course, so
every run gets the same numbers). We compute the matrix square root by symmetric eigendecompositions rather than
with `scipy.linalg.sqrtm`: the matrix under the root is symmetric, so this is exact and never returns the complex
round-off `sqrtm` can. The distance is biased upwards for small sets, so every set below has the same size, and the
**floor** is the distance between two sets of real images.
"""),
code(r"""
with isolated_rng(10):
    vae_samples = pixels(vae, torch.randn(FD_IMAGES, LATENT))
    beta_samples = {beta: pixels(model, torch.randn(FD_IMAGES, LATENT)) for beta, model in beta_models.items()}
real, other_real, to_blur = x_test[:3 * FD_IMAGES].split(FD_IMAGES)  # three disjoint sets of test images
blurred = F.avg_pool2d(to_blur, 3, stride=1, padding=1)
print(f"the feature classifier's accuracy on the test images: {frechet.accuracy(x_test, y_test):.2%}")
distances = {"two sets of test images (the floor)": frechet.frechet_distance(real, other_real),
             "test against training images": frechet.frechet_distance(real, x_train[:FD_IMAGES]),
             "VAE 784-400-20, prior samples": frechet.frechet_distance(real, vae_samples),
             **{f"VAE with beta = {beta:g}, prior samples": frechet.frechet_distance(real, samples)
                for beta, samples in beta_samples.items()},
             "autoencoder, codes from a fitted Gaussian": frechet.frechet_distance(real, ae_samples),
             "test images blurred (3 x 3 mean)": frechet.frechet_distance(real, blurred)}
for name, distance in distances.items():
    print(f"{name:46} {distance:8.2f}")
plots.image_rows({"VAE samples": vae_samples[:10], "autoencoder": ae_samples[:10], "blurred test": blurred[:10]},
                 n=10, title="What the Fréchet distance compares with the real test images")
"""),
md(r"""
Numbers from this run, 2,000 images per set. Two disjoint sets of real test images are 0.13 apart: that is the
floor (the estimator is biased upwards for finite sets, so even identical distributions do not score 0). Test
against training images is 0.32: the two halves of MNIST were written by different people, and the classifier
has seen the training images, so this pair differs a little more than two test sets do. Blurring
test images with a 3 x 3 mean costs 8.9: the measure punishes blur hard, because the classifier's features
respond to sharp strokes. The VAE's prior samples score 11.6, further from real digits than the blurred ones. Look
at the figure, though: many samples of both generators are shapes that are no digit, which a reader sees at once,
yet they cost about as much as a blur that leaves every digit readable. The Fréchet distance compares the mean and
covariance of the features over the whole set; it is a summary, not a judge of single images, so report it next to
the samples, never instead of them. The $\beta$ sweep (2 epochs per model) traces a U: 43.3 at $\beta = 0.25$
(tangled samples), 27.6 at 0.5, 22.6 at $\beta = 1$, then 30.8, 58.8 and 117.9 at $\beta = 8$ (blurry and alike).
And the surprise promised in section 1: the plain autoencoder, decoding codes from a Gaussian fitted to its
training codes, scores 11.3, no worse than the VAE's 11.6 (by eye its samples are the more tangled). A well-trained autoencoder with a density fitted afterwards
is a respectable generator (Ghosh et al. 2020 make the same point). What the VAE buys is not sharper samples but a
principled model: a bound on the likelihood (section 5), a prior fixed in advance, so sampling needs no density
fitted afterwards, and codes trained to decode well in a neighbourhood, not only at a point (section 7).

## Results: ours against the papers

The PyTorch example's 105.6 after 10 epochs is our anchor; Burda et al.'s 86.76 is the binarised-MNIST
log-likelihood of a longer-trained VAE of another architecture, shown for orientation.
"""),
code(r"""
results = Results("Results of this run, with published numbers where they exist")
anchor = dict(published=105.6, source="pytorch/examples vae/main.py log", better="lower") if EPOCHS == 10 else {}
results.add(f"VAE 784-400-20, test loss per image after {EPOCHS} epochs (grey pixels)", vae_history.test[-1],
            unit="nats", note="one-cycle schedule" + ("; target <= 105.6" if anchor else ""), **anchor)
results.add(f"VAE 784-512-256-20, test loss per image after {SHORT} epochs", deep_history.test[-1], unit="nats",
            better="lower")
results.add("negative ELBO of 784-400-20 (1,000 samples per image)", -elbo.mean().item(), unit="nats",
            better="lower", note=f"{len(held_out)} test images")
for K, value in bounds.items():
    results.add(f"-L_K, upper bound on the NLL, K = {K}", -value, unit="nats", better="lower")
results.add("binarised MNIST NLL (upper bound -L_K), 784-400-20", binary_nll, published=86.76, unit="nats",
            source="Burda et al. 2015, Table 1 (784-200-200-50, VAE k = 1, 3,280 passes)",
            note=f"{EPOCHS} epochs, K = {SAMPLE_COUNTS[-1]}; a different model, for orientation")
for beta, (rate, distortion, active) in sweep.items():
    results.add(f"beta = {beta:g}: active units", active, unit=f"of {LATENT}", digits=0,
                note=f"rate {rate:.1f}, distortion {distortion:.1f}")
results.add("mean-over-pixels loss (the pitfall): KL per image", mean_kl(collapsed, x_test), unit="nats",
            note=f"active units {active_units(collapsed, x_test)}; the correct loss: KL {mean_kl(vae, x_test):.1f}")
for name, distance in distances.items():
    reference = "images" in name and "samples" not in name  # real or blurred images: yardsticks
    results.add(f"Fréchet distance, {name}", distance, unit="FD (MNIST features)",
                better=None if reference else "lower", note=f"{FD_IMAGES} images per set")
results
"""),
md(r"""
## Summary

- An autoencoder's code space has holes: nothing trains the decoder away from the training codes. A VAE is a
  latent-variable model whose encoder guesses the codes behind an image; it maximises the ELBO, a lower bound on
  $\log p(x)$ whose gap is the KL divergence to the true posterior.
- The reparameterisation $z = \mu + \sigma \odot \varepsilon$ lets gradients through the sampling (checked against
  $\partial \mathbb E[z^2]/\partial \mu = 2\mu$), and the KL term has a closed form (checked against
  `torch.distributions` and a Monte Carlo estimate).
- Reductions matter: sum over pixels and latents, average over images. A per-pixel mean makes the KL win 784 to 1
  and the posterior collapses (KL 0.00, no active unit).
- The PyTorch example's 784-400-20 reaches 103.7 nats per image after 10 epochs with a one-cycle schedule (published:
  105.6); on binarised MNIST our short-trained model's NLL is at most about 94, against Burda et al.'s 86.76 after far longer
  training.
- The importance-weighted bound, computed with a stable log-mean-exp, rises with $K$: 4.0 nats above the ELBO at
  $K = 1000$.
- $\beta$ trades rate against distortion; at $\beta = 8$ four of twenty units switch off, and samples blur.
- Measured with a Fréchet distance in the features of an MNIST classifier, the VAE's samples (11.6) score
  further from real digits than blurred test images (8.9), and no better than an autoencoder with a fitted Gaussian (11.3); the distance
  summarises a set and misses malformed single samples, so show the samples with it.

## What to try next

- Train with the exact PyTorch-example recipe (constant rate $10^{-3}$) and several seeds: how far does 105.6 move?
- Replace the Bernoulli decoder by a Gaussian one with a learned variance: how does the loss's scale change, and the
  samples?
- Keep $\beta$ low at the start and raise it during training (KL annealing, Bowman et al. 2016): do fewer units
  switch off?
- Train with the importance-weighted bound itself as the loss (an IWAE, Burda et al. 2015) and compare the active
  units.
- Notebook 07 replaces the KL term by an adversary on the codes, and uses this notebook's Fréchet distance.

## References

- D. P. Kingma, M. Welling (2013). Auto-encoding variational Bayes. *ICLR 2014*, arXiv:1312.6114.
- D. J. Rezende, S. Mohamed, D. Wierstra (2014). Stochastic backpropagation and approximate inference in deep
  generative models. *ICML 2014*.
- Y. Burda, R. Grosse, R. Salakhutdinov (2015). Importance weighted autoencoders. *ICLR 2016*, arXiv:1509.00519.
- I. Higgins et al. (2017). beta-VAE: learning basic visual concepts with a constrained variational framework. *ICLR 2017*.
- A. A. Alemi et al. (2018). Fixing a broken ELBO. *ICML 2018*.
- M. Heusel et al. (2017). GANs trained by a two time-scale update rule converge to a local Nash equilibrium (FID).
  *NeurIPS 2017*.
- P. Ghosh, M. S. M. Sajjadi, A. Vergari, M. Black, B. Schölkopf (2020). From variational to deterministic
  autoencoders. *ICLR 2020*.
- S. R. Bowman et al. (2016). Generating sentences from a continuous space. *CoNLL 2016*.
- PyTorch examples, `vae/main.py`: github.com/pytorch/examples.
"""),
]

write("06_variational_autoencoders", cells)
