"""Exercises of notebook 07, adversarial autoencoders."""
import math

import torch
import torch.nn.functional as F

from .core import Case, Exercise
from .expect import Mistake, call, expect_float_tensor, finite_and_close, gradients, seeded


def _logits(seed, n=16):
    return lambda: (torch.randn(n, 1, generator=seeded(seed)) * 3, torch.randn(n, 1, generator=seeded(seed + 1)) * 3)


# --- Exercise 1: the discriminator's loss -----------------------------------------------------

def discriminator_loss_reference(real_logits, fake_logits, smoothing=0.0):
    """Binary cross-entropy from logits: prior samples are "real" (target 1 - smoothing), codes "fake" (target 0).

    The mean over the real batch plus the mean over the fake batch (a 0-d tensor).
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1 - smoothing))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def _naive(real_logits, fake_logits, smoothing=0.0):
    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())


DISCRIMINATOR_MISTAKES = [
    Mistake("your loss is not finite for large logits: log(sigmoid(t)) takes the log of a rounded 0. Compute it "
            "from the logits (F.binary_cross_entropy_with_logits, or softplus), which never rounds to log(0)",
            lambda got, expected, *args: not torch.isfinite(got).all()),
    Mistake("you swapped the targets: prior samples are real (target 1), the encoder's codes fake (target 0)",
            lambda got, expected, real, fake, *rest: torch.isclose(
                got, discriminator_loss_reference(fake, real), rtol=1e-4)),
    Mistake("with smoothing, only the real targets move (1 -> 1 - smoothing); the fake targets stay at 0 "
            "(one-sided label smoothing, Salimans et al. 2016)",
            lambda got, expected, real, fake, smoothing=0.0: smoothing > 0 and any(
                torch.isclose(got, value, rtol=1e-4) for value in (
                    discriminator_loss_reference(real, fake),
                    F.binary_cross_entropy_with_logits(real, torch.full_like(real, 1 - smoothing))
                    + F.binary_cross_entropy_with_logits(fake, torch.full_like(fake, smoothing))))),
    Mistake("your loss is half the expected value: add the real and the fake terms, each a mean over its batch",
            lambda got, expected, *args: torch.isclose(got * 2, expected, rtol=1e-4)),
]

discriminator_loss = Exercise(
    "Exercise 1: the discriminator's loss",
    discriminator_loss_reference,
    cases=[
        Case("16 real and 16 fake logits", inputs=_logits(0), mistakes=DISCRIMINATOR_MISTAKES),
        Case("one-sided label smoothing 0.1", inputs=lambda: (*_logits(2)(), 0.1), mistakes=DISCRIMINATOR_MISTAKES),
        Case("confident logits (+-60) stay finite",
             inputs=lambda: (torch.tensor([[60.0], [-60.0]]), torch.tensor([[-60.0], [60.0]])),
             compare=finite_and_close(), mistakes=DISCRIMINATOR_MISTAKES),
        Case("gradients reach both sets of logits", inputs=_logits(4), observe=gradients(wrt=(0, 1))),
    ],
    hints=[
        "Binary cross-entropy with target 1 for the prior samples and 0 for the codes; compute it from logits.",
        "F.binary_cross_entropy_with_logits(logits, targets) averages over the batch. Targets: "
        "torch.full_like(real_logits, 1 - smoothing) and torch.zeros_like(fake_logits).",
        "Return the real term plus the fake term.",
    ],
)


# --- Exercise 2: the encoder's adversarial loss -----------------------------------------------

def encoder_loss_reference(fake_logits):
    """The non-saturating loss of the encoder: make the discriminator call its codes real (a 0-d tensor)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


ENCODER_MISTAKES = [
    Mistake("you minimise log(1 - D(code)), the saturating loss: when the discriminator rejects the codes easily its "
            "gradient vanishes and the encoder stops learning. Maximise log D(code) instead: binary cross-entropy "
            "of the codes with target 1",
            lambda got, expected, fake: torch.isclose(got, -F.softplus(fake).mean(), rtol=1e-4)
            or torch.isclose(got, torch.log(1 - torch.sigmoid(fake)).mean(), rtol=1e-4)),
    Mistake("your loss has the wrong sign: the encoder minimises the cross-entropy of its codes with target 1",
            lambda got, expected, fake: torch.isclose(got, -expected, rtol=1e-4)),
    Mistake("your loss is not finite for a confident discriminator: compute it from the logits",
            lambda got, expected, fake: not torch.isfinite(got).all()),
]


def _gradient_does_not_vanish(answer):
    fake = torch.full((8, 1), -12.0, requires_grad=True)  # the discriminator is sure these codes are fake
    loss = answer(fake)
    if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
        raise AssertionError("your loss is not connected to the logits: compute it with torch operations")
    loss.backward()
    if fake.grad is None or fake.grad.abs().mean() < 1e-3:
        raise AssertionError("when the discriminator confidently rejects the codes (logits of -12) your loss gives "
                             "almost no gradient: that is the saturating loss; use the non-saturating one")


encoder_loss = Exercise(
    "Exercise 2: the encoder's adversarial loss",
    encoder_loss_reference,
    cases=[
        Case("16 logits of codes", inputs=lambda: (torch.randn(16, 1, generator=seeded(5)) * 3,),
             mistakes=ENCODER_MISTAKES),
        Case("logits of +-60 stay finite", inputs=lambda: (torch.tensor([[60.0], [-60.0]]),),
             compare=finite_and_close(), mistakes=ENCODER_MISTAKES),
        Case("a strong gradient when the discriminator wins", _gradient_does_not_vanish),
    ],
    hints=[
        "The encoder wants the discriminator to say 'real' for its codes: the same cross-entropy, with target 1 "
        "for the codes.",
        "F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)) is -log D(code), averaged.",
    ],
)


# --- Exercise 3: sampling the mixture prior ---------------------------------------------------

def sample_mixture_reference(labels, radius=4.0, std=0.5):
    """One 2-D sample per label: N(centre_k, std^2 I), centre_k at angle 2 pi k / 10 on a circle of `radius`."""
    angles = 2 * math.pi * labels.float() / 10
    centres = radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (n, 2)
    return centres + std * torch.randn(len(labels), 2)


def _component_statistics(answer):
    labels = torch.arange(10).repeat_interleave(2000)
    samples = call(answer, labels)
    expect_float_tensor(samples, (len(labels), 2), "20,000 samples")
    for k in range(10):
        chunk = samples[labels == k]
        centre = 4.0 * torch.tensor([math.cos(2 * math.pi * k / 10), math.sin(2 * math.pi * k / 10)])
        if (chunk.mean(0) - centre).norm() > 0.1:
            raise AssertionError(f"the samples of component {k} are centred at {chunk.mean(0).tolist()}, expected "
                                 f"about {[round(v, 2) for v in centre.tolist()]} (angle 2 pi k / 10, radius 4)")
        if abs(chunk.std(0).mean().item() - 0.5) > 0.05:
            raise AssertionError(f"the samples of component {k} spread {chunk.std(0).mean().item():.3g} around their "
                                 "centre; the standard deviation is 0.5 in each direction")


def _radius_and_std(answer):
    labels = torch.zeros(5000, dtype=torch.long)
    samples = call(answer, labels, 2.0, 0.1)
    if abs(samples.mean(0)[0].item() - 2.0) > 0.02 or abs(samples.std(0).mean().item() - 0.1) > 0.01:
        raise AssertionError(f"with radius 2 and std 0.1, component 0 should sit at (2, 0) with spread 0.1; yours "
                             f"sits at {[round(v, 3) for v in samples.mean(0).tolist()]} with spread "
                             f"{samples.std(0).mean().item():.3g}")


def _random(answer):
    labels = torch.arange(10)
    if torch.equal(call(answer, labels), call(answer, labels)):
        raise AssertionError("two calls gave the same samples: draw the noise at random every time")


sample_mixture = Exercise(
    "Exercise 3: sampling the mixture prior",
    sample_mixture_reference,
    cases=[
        Case("10 components, 2,000 samples each: centres on the circle, spread 0.5", _component_statistics),
        Case("radius and std as given", _radius_and_std),
        Case("new samples on every call", _random),
    ],
    hints=[
        "Component k sits on a circle: its centre is radius * (cos a, sin a) with a = 2 pi k / 10.",
        "angles = 2 * math.pi * labels.float() / 10; centres = radius * torch.stack([angles.cos(), angles.sin()], 1).",
        "Add std * torch.randn(len(labels), 2) to the centres.",
    ],
    same_as=["aecourse.priors.gaussian_mixture", "aecourse.priors.mixture_centres"],
)
