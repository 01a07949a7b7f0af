"""Exercises of notebook 07, adversarial autoencoders."""
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

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


def _logits(seed, n=16, n_fake=None):
    return lambda: (torch.randn(n, 1, generator=seeded(seed)) * 3,
                    torch.randn(n_fake or n, 1, generator=seeded(seed + 1)) * 3)


def _confident(seed, n=8):
    """Logits from 100 to 300 in size, either sign: beyond where sigmoid rounds to 0 or 1 in float32 (about 17 for 1,
    about 104 for 0) and where F.binary_cross_entropy clamps log(0) to -100."""
    def make():
        g = seeded(seed)
        return tuple((torch.randint(0, 2, (n, 1), generator=g) * 2.0 - 1) * (100 + 200 * torch.rand(n, 1, generator=g))
                     for _ in range(2))
    return make


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
    Mistake("your loss has the wrong sign: the discriminator minimises the binary cross-entropy, which is never "
            "negative",
            lambda got, expected, *args: torch.isclose(got, -expected, rtol=1e-4)),
    Mistake("your loss is summed over the batch; average the real term over the real logits and the fake term over "
            "the fake logits",
            lambda got, expected, real, fake, smoothing=0.0: torch.isclose(
                got, F.binary_cross_entropy_with_logits(real, torch.full_like(real, 1 - smoothing), reduction="sum")
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake), reduction="sum"), rtol=1e-4)),
    Mistake("you averaged the real and the fake logits together, as one batch: average each over its own batch and "
            "add the two means",
            lambda got, expected, real, fake, smoothing=0.0: len(real) != len(fake) and torch.isclose(
                got, F.binary_cross_entropy_with_logits(torch.cat([real, fake]), torch.cat(
                    [torch.full_like(real, 1 - smoothing), torch.zeros_like(fake)])), rtol=1e-4)),
    Mistake("your loss goes through sigmoid(logits): beyond +-100 the probability rounds to 0 or 1, and "
            "F.binary_cross_entropy clamps log(0) to -100, so a logit of 150 on the wrong side costs 100 instead of "
            "150 (and gets no gradient). Compute it from the logits: F.binary_cross_entropy_with_logits",
            lambda got, expected, real, fake, smoothing=0.0: max(real.abs().max(), fake.abs().max()) > 100
            and torch.isclose(got, F.binary_cross_entropy(torch.sigmoid(real), torch.full_like(real, 1 - smoothing))
                              + F.binary_cross_entropy(torch.sigmoid(fake), torch.zeros_like(fake)), rtol=1e-4)),
]


def _targets_on_the_device(answer):
    real, fake = _logits(16, 6, 10)()
    on_another_device(answer, (real, fake, 0.1), "make the targets like the logits, torch.full_like(real_logits, "
                      "1 - smoothing) and torch.zeros_like(fake_logits), not torch.full((n, 1), ...) on the CPU")


discriminator_loss = Exercise(
    "Exercise 1: the discriminator's loss",
    discriminator_loss_reference,
    cases=[
        Case("16 real and 16 fake logits", inputs=_logits(0), mistakes=DISCRIMINATOR_MISTAKES,
             compare=keeps_dtype(close())),
        Case("one-sided label smoothing 0.1", inputs=lambda: (*_logits(2)(), 0.1), mistakes=DISCRIMINATOR_MISTAKES),
        Case("12 real and 20 fake logits: each term averaged over its own batch", inputs=_logits(6, 12, 20),
             mistakes=DISCRIMINATOR_MISTAKES),
        Case("confident logits (from 100 to 300 in size, either sign, smoothing 0.1) stay finite and exact",
             inputs=lambda: (*_confident(8)(), 0.1), compare=finite_and_close(), mistakes=DISCRIMINATOR_MISTAKES),
        Case("gradients reach both sets of logits", inputs=_logits(4), observe=gradients(wrt=(0, 1))),
        Case("gradients at confident logits", inputs=_confident(10), observe=gradients(wrt=(0, 1))),
        Case("logits on a GPU: the targets on the logits' device", _targets_on_the_device),
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
    Mistake("your loss is not finite for a confident discriminator: log(sigmoid(t)) takes the log of a rounded 0 "
            "below t = -104 (and exp(-t) overflows): compute it from the logits (binary cross-entropy with logits, "
            "or softplus)",
            lambda got, expected, fake: not torch.isfinite(got).all()),
    Mistake("you gave the codes target 0, the discriminator's target for them: the encoder wants the discriminator "
            "to call its codes real, target 1",
            lambda got, expected, fake: torch.isclose(got, F.softplus(fake).mean(), rtol=1e-4)),
    Mistake("your loss is summed over the batch; average it over the codes",
            lambda got, expected, fake: len(fake) > 1 and math.isclose(ratio(got, expected), len(fake), rel_tol=1e-4)),
    Mistake("your loss goes through sigmoid(logits): below -100 the probability rounds to 0, and "
            "F.binary_cross_entropy clamps log(0) to -100, so a logit of -150 costs 100 instead of 150 (and gets no "
            "gradient). Compute it from the logits",
            lambda got, expected, fake: fake.min() < -100 and torch.isclose(
                got, F.binary_cross_entropy(torch.sigmoid(fake), torch.ones_like(fake)), rtol=1e-4)),
]


def _target_on_the_device(answer):
    on_another_device(answer, _logits(18)()[:1], "make the target like the logits, torch.ones_like(fake_logits), "
                      "not torch.ones(n, 1) on the CPU")


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
             mistakes=ENCODER_MISTAKES, compare=keeps_dtype(close())),
        Case("confident logits (from 100 to 300 in size, either sign) stay finite and exact",
             inputs=lambda: _confident(12)()[:1], compare=finite_and_close(), mistakes=ENCODER_MISTAKES),
        Case("a strong gradient when the discriminator wins", _gradient_does_not_vanish),
        Case("gradients at confident logits", inputs=lambda: _confident(14)()[:1], observe=gradients(wrt=(0,))),
        Case("logits on a GPU: the target on the logits' device", _target_on_the_device),
    ],
    hints=[
        "The encoder wants the discriminator to say 'real' for its codes: the same cross-entropy, with target 1 "
        "for the codes.",
        "F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)) is -log D(code), averaged.",
    ],
)


# --- Exercise 3: one step of the three phases (the build exercise) -------------------------------

def aae_step_reference(model, critic, images, prior_samples, optimizers, smoothing=0.0):
    """One batch of adversarial autoencoder training, in three phases, each with its own loss and optimiser.

    ``optimizers`` is ``(autoencoder_step, critic_step, encoder_step)``: encoder and decoder, the discriminator,
    the encoder alone. Returns the three losses (reconstruction, discriminator, encoder) as Python floats.
    """
    autoencoder_step, critic_step, encoder_step = optimizers

    # phase 1, reconstruction: encoder and decoder, binary cross-entropy summed over each image's pixels
    logits = model(images)
    reconstruction = F.binary_cross_entropy_with_logits(logits, images, reduction="none").flatten(1).sum(1).mean()
    autoencoder_step.zero_grad()
    reconstruction.backward()
    autoencoder_step.step()

    # phase 2, the discriminator: prior samples are real, codes fake; detached, so no gradient reaches the encoder
    real_logits, fake_logits = critic(prior_samples), critic(model.encoder(images).detach())
    discriminator = (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1 - smoothing))
                     + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    critic_step.zero_grad()
    discriminator.backward()
    critic_step.step()

    # phase 3, the encoder fools the discriminator: fresh codes (phase 1 moved it), target 1 (non-saturating)
    fooled = critic(model.encoder(images))
    encoder = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
    encoder_step.zero_grad()
    encoder.backward()
    encoder_step.step()  # the encoder's parameters only: neither the decoder nor the discriminator moves
    return reconstruction.item(), discriminator.item(), encoder.item()


class _TinyAutoencoder(torch.nn.Module):
    """The notebook's Autoencoder in miniature: images of shape (1, 2, 3), 6 pixels, to a 2-D code and back."""

    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4), torch.nn.ReLU(),
                                           torch.nn.Linear(4, 2))
        self.decoder = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 6),
                                           torch.nn.Unflatten(1, (1, 2, 3)))

    def forward(self, x):
        return self.decoder(self.encoder(x))


OPTIMISERS = ("autoencoder_step", "critic_step", "encoder_step")  # the order of the phases
PHASES = ("phase 1 (reconstruction)", "phase 2 (the discriminator)", "phase 3 (the encoder)")
PARTS = ("encoder", "decoder", "discriminator")
CALLS = ("first", "second")


@dataclass
class _Run:
    """What two calls of a step function did to a tiny AAE: per call, what it returned, the optimisers it
    stepped with the parameters of every part after each step, and the parts each gradient reached, with
    the number of steps taken before it in that call (0: during phase 1, 1: phase 2, 2: phase 3)."""

    returned: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    gradients: list = field(default_factory=list)


def _aae_run(optimizer, smoothing=0.0):
    """``observe`` for the AAE step: two steps of a fresh tiny autoencoder (6 pixels, 2-D code) and discriminator,
    from the same start on the same two batches of 8 images and prior samples, watched through the optimisers'
    step hooks and the parameters' gradient hooks."""
    def observe(function, seed):
        torch.manual_seed(seed)  # the same start for the reference and the answer (the check's own stream)
        model = _TinyAutoencoder()
        critic = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.LeakyReLU(0.2), torch.nn.Linear(4, 1))
        g = torch.Generator().manual_seed(seed)
        batches = [(torch.rand(8, 1, 2, 3, generator=g), torch.randn(8, 2, generator=g)) for _ in CALLS]
        parts = dict(zip(PARTS, (model.encoder, model.decoder, critic)))
        optimizers = (optimizer(model.parameters()), optimizer(critic.parameters()),
                      optimizer(model.encoder.parameters()))
        run = _Run()

        def parameters():
            return {part: torch.cat([p.detach().flatten() for p in module.parameters()]).clone()
                    for part, module in parts.items()}

        for name, stepper in zip(OPTIMISERS, optimizers):
            stepper.register_step_post_hook(lambda *_, name=name: run.steps[-1].append((name, parameters())))
        for part, module in parts.items():
            for p in module.parameters():
                p.register_hook(lambda grad, part=part: run.gradients[-1].append((len(run.steps[-1]), part)))
        for images, real in batches:
            run.steps.append([])
            run.gradients.append([])
            run.returned.append(function(model, critic, images, real, optimizers, smoothing))
        return run
    return observe


def _stepped(steps):
    return [name for name, _ in steps]


def _three_floats(returned):
    if isinstance(returned, torch.Tensor) or (isinstance(returned, (tuple, list))
                                              and any(isinstance(v, torch.Tensor) for v in returned)):
        raise AssertionError("you returned tensors; return the three losses as Python floats, loss.item() (a tensor "
                             "keeps the batch's graph alive, and train_aae's history would fill the memory)")
    if not isinstance(returned, (tuple, list)) or len(returned) != 3:
        raise AssertionError(f"you returned {type(returned).__name__} {returned!r:.60}; return the three losses, "
                             "(reconstruction, discriminator, encoder), as a tuple of Python floats")
    if not all(isinstance(v, float) for v in returned):
        raise AssertionError(f"you returned {', '.join(type(v).__name__ for v in returned)}; return the three losses "
                             "as Python floats, loss.item()")


LEAKS = {  # (phase, part): why a gradient must not reach that part in that phase
    (1, "encoder"): "during phase 2 a gradient reached the encoder: the discriminator's loss must see the codes "
                    "detached, critic(model.encoder(images).detach()), so that its backward() trains the "
                    "discriminator alone (else it fills the encoder's gradients, and the encoder learns from a loss "
                    "it is meant to fight)",
    (1, "decoder"): "during phase 2 a gradient reached the decoder: phase 2 trains the discriminator alone, on "
                    "detached codes",
    (0, "discriminator"): "during phase 1 a gradient reached the discriminator: the reconstruction loss concerns "
                          "the encoder and the decoder only",
    (2, "decoder"): "during phase 3 a gradient reached the decoder: the encoder fools the discriminator with its "
                    "codes, critic(model.encoder(images)), and the decoder plays no part",
}


def _stepped_like_the_reference(got, expected, what):
    for returned in got.returned:
        _three_floats(returned)
    for number, (steps, wanted) in enumerate(zip(got.steps, expected.steps)):
        if _stepped(steps) != _stepped(wanted):
            raise AssertionError(f"the {CALLS[number]} call of aae_step stepped "
                                 f"{', '.join(_stepped(steps)) or 'no optimiser'}; each call steps each optimiser "
                                 "once, in the order of the phases: autoencoder_step, critic_step, encoder_step")
    for reached in got.gradients:
        for leak in sorted(set(reached)):
            if leak in LEAKS:
                raise AssertionError(LEAKS[leak])
    for number, (steps, wanted) in enumerate(zip(got.steps, expected.steps)):
        for phase, ((_, parameters), (_, reference)) in enumerate(zip(steps, wanted)):
            for part in PARTS:
                if not torch.allclose(parameters[part], reference[part], rtol=1e-4, atol=1e-5):
                    raise AssertionError(f"after {PHASES[phase]} of the {CALLS[number]} call, the {part}'s "
                                         "parameters differ from the reference's")
    for number, (returned, wanted) in enumerate(zip(got.returned, expected.returned)):
        for phase, (value, right) in enumerate(zip(returned, wanted)):
            if not math.isclose(value, right, rel_tol=1e-4, abs_tol=1e-6):
                raise AssertionError(f"the parameters are right, but in the {CALLS[number]} call you returned "
                                     f"{value:.6g} for the loss of {PHASES[phase]}, not its value")


def _same_run(got, wrong):
    return (all(_stepped(a) == _stepped(b) for a, b in zip(got.steps, wrong.steps))
            and all(torch.allclose(a[1][part], b[1][part], rtol=1e-4, atol=1e-5)
                    for steps, wrongs in zip(got.steps, wrong.steps) for a, b in zip(steps, wrongs) for part in PARTS)
            and all(isinstance(v, float) and math.isclose(v, w, rel_tol=1e-4, abs_tol=1e-6)
                    for returned, wrongs in zip(got.returned, wrong.returned) for v, w in zip(returned, wrongs)))


def _aae_variant(order=(1, 2, 3), zero_grad=(1, 2, 3), swapped=False, fool="non-saturating", stale=False,
                 per_pixel=False, smoothed=("real",)):
    """A step written with one of the usual mistakes (the mistakes below compare with it)."""
    def step(model, critic, images, prior_samples, optimizers, smoothing=0.0):
        autoencoder_step, critic_step, encoder_step = optimizers
        early_codes = model.encoder(images).detach()  # before phase 1's step: stale by phase 2
        losses = {}
        for phase in order:
            if phase == 1:
                loss, stepper = F.binary_cross_entropy_with_logits(
                    model(images), images, reduction="none").flatten(1).sum(1).mean(), autoencoder_step
                if per_pixel:
                    loss = loss / images[0].numel()
            elif phase == 2:
                codes = early_codes if stale else model.encoder(images).detach()
                real, fake = critic(prior_samples), critic(codes)
                if swapped:
                    real, fake = fake, real
                loss = (F.binary_cross_entropy_with_logits(real, torch.full_like(
                    real, 1 - smoothing if "real" in smoothed else 1.0))
                    + F.binary_cross_entropy_with_logits(fake, torch.full_like(
                        fake, smoothing if "fake" in smoothed else 0.0)))
                stepper = critic_step
            else:
                logits = critic(model.encoder(images))
                loss = {"non-saturating": encoder_loss_reference, "saturating": lambda t: -F.softplus(t).mean(),
                        "target 0": lambda t: F.softplus(t).mean()}[fool](logits)
                stepper = encoder_step
            if phase in zero_grad:
                stepper.zero_grad()
            loss.backward()
            stepper.step()
            losses[phase] = loss.item()
        return losses[1], losses[2], losses[3]
    return step


def _aae_mistakes(observe):
    def like(**mistake):
        variant = _aae_variant(**mistake)
        return lambda got, expected, seed: _same_run(got, observe(variant, seed))

    def stepped(pattern):
        return lambda got, expected, seed: any(pattern(_stepped(steps)) for steps in got.steps)

    return [
        Mistake("your phases run in the wrong order: first the reconstruction (autoencoder_step), then the "
                "discriminator on the codes of the updated encoder (critic_step), then the encoder against the "
                "updated discriminator (encoder_step)",
                stepped(lambda names: sorted(names) == sorted(OPTIMISERS) and names != list(OPTIMISERS))),
        Mistake("phase 3 stepped autoencoder_step, which moves the decoder too: the encoder alone fools the "
                "discriminator, with encoder_step (its own optimiser, with its own Adam statistics)",
                stepped(lambda names: names[:2] == list(OPTIMISERS[:2]) and "autoencoder_step" in names[2:])),
        Mistake("the discriminator took a step in phase 3: phase 3 steps encoder_step only (the discriminator's "
                "gradients from this loss are cleared by critic_step.zero_grad() in the next phase 2)",
                stepped(lambda names: names[:2] == list(OPTIMISERS[:2]) and "critic_step" in names[2:])),
        Mistake("in phase 3 you minimise log(1 - D(code)), the saturating loss: when the discriminator rejects the "
                "codes its gradient vanishes. Use the non-saturating loss of Exercise 2: binary cross-entropy of "
                "critic(codes) with target 1", like(fool="saturating")),
        Mistake("in phase 3 you gave the codes target 0, the discriminator's target for them: the encoder wants "
                "the discriminator to call its codes real, target 1", like(fool="target 0")),
        Mistake("you swapped the labels in phase 2: the prior samples are real (target 1 - smoothing), the "
                "encoder's codes fake (target 0)", like(swapped=True)),
        Mistake("the gradients of phase 1 add up from step to step (the second call goes wrong): call "
                "autoencoder_step.zero_grad() before the reconstruction loss's backward()", like(zero_grad=(2, 3))),
        Mistake("the discriminator's gradients add up (phase 3 leaves gradients in the discriminator too): call "
                "critic_step.zero_grad() before phase 2's backward()", like(zero_grad=(1, 3))),
        Mistake("in phase 3 the encoder's gradients add to those phase 1 left: call encoder_step.zero_grad() before "
                "phase 3's backward()", like(zero_grad=(1, 2))),
        Mistake("no gradient is cleared: each phase calls its optimiser's zero_grad() before its backward(), else "
                "the gradients of every phase and every step add up", like(zero_grad=())),
        Mistake("one-sided label smoothing: the prior samples' target is 1 - smoothing (you kept 1), the codes' "
                "target stays 0", like(smoothed=())),
        Mistake("one-sided label smoothing: only the prior samples' target moves, to 1 - smoothing; the codes' "
                "target stays 0 (you gave them smoothing)", like(smoothed=("real", "fake"))),
        Mistake("the discriminator saw codes from before phase 1's step: encode the images again after it, "
                "model.encoder(images).detach()", like(stale=True)),
        Mistake("your reconstruction loss is the mean over the pixels: sum over each image's pixels, then average "
                "over the batch (reduction='none', .flatten(1).sum(1).mean())", like(per_pixel=True)),
        Mistake("return the three losses in the order of the phases: (reconstruction, discriminator, encoder)",
                lambda got, expected, seed: any(
                    list(returned) != list(wanted) and sorted(returned) == sorted(wanted)
                    for returned, wanted in zip(got.returned, expected.returned))),
    ]


def _aae_case(description, seed, optimizer, smoothing=0.0):
    observe = _aae_run(optimizer, smoothing)
    return Case(description, inputs=a_run_seed(seed), observe=observe,
                compare=_stepped_like_the_reference, mistakes=_aae_mistakes(observe))


def _sgd(parameters):
    return sgd(parameters, lr=0.05)


aae_step = Exercise(
    "Exercise 3: one step of the three phases",
    aae_step_reference,
    cases=[
        _aae_case("a tiny autoencoder (6 pixels, a 2-D code) and discriminator, two steps with Adam: the parameters "
                  "after every phase, and where each phase's gradients go", 30, adam),
        _aae_case("the same with plain SGD", 31, _sgd),
        _aae_case("one-sided label smoothing 0.1", 32, adam, smoothing=0.1),
    ],
    hints=[
        "Each phase is a training step of its own: zero_grad(), its loss, backward(), step(), with its own "
        "optimiser: autoencoder_step, critic_step, encoder_step = optimizers.",
        "Phase 2 trains the discriminator alone: codes = model.encoder(images).detach(), then the loss of "
        "Exercise 1 on critic(prior_samples) (target 1 - smoothing) and critic(codes) (target 0).",
        "Phase 3: encode the images again, and minimise F.binary_cross_entropy_with_logits(critic(codes), "
        "torch.ones_like(...)) with encoder_step only. Return (reconstruction.item(), discriminator.item(), "
        "encoder.item()).",
    ],
    same_as=["aecourse.train.fit"],
    build=True,
)


# --- Exercise 4: sampling the mixture prior ---------------------------------------------------

def sample_mixture_reference(labels, radius=4.0, std=0.5):
    """One 2-D sample per label: N(centre_k, std^2 I), centre_k at angle 2 pi k / 10 on a circle of `radius`."""
    angles = 2 * math.pi * labels.float() / 10
    centres = radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (n, 2)
    return centres + std * torch.randn(len(labels), 2)


def _centres(labels, radius=4.0):
    angles = 2 * math.pi * labels.double() / 10
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def _mixture_samples(answer, labels, **arguments):
    """The answer's samples for ``labels`` (its keyword ``arguments``, if any), checked for type, shape and dtype,
    in float64."""
    samples = call(lambda components: answer(components, **arguments), labels)
    expect_float_tensor(samples, (len(labels), 2), f"{len(labels):,} samples")
    if samples.dtype != torch.float32:
        raise AssertionError(f"your samples are {samples.dtype}: the discriminator's weights are float32, so return "
                             "float32 samples (torch.randn and the centres from labels.float() are)")
    if not torch.isfinite(samples).all():
        raise AssertionError("your samples contain NaN or infinity")
    return samples.detach().double()


def _shuffled_labels(seed, per_component=2000):
    """Every component 0..9 ``per_component`` times, in random order."""
    labels = torch.arange(10).repeat_interleave(per_component)
    return labels[torch.randperm(len(labels), generator=seeded(seed))]


def _component_statistics(answer):
    labels = _shuffled_labels(20)
    samples = _mixture_samples(answer, labels)
    centres = _centres(labels)
    for k in range(10):
        chunk, centre = samples[labels == k], centres[labels == k][0]
        spread = chunk.std(0)
        if spread.max() < 1e-6:
            raise AssertionError(f"all your samples of component {k} are the same point: every sample needs its own "
                                 "noise, std * torch.randn(n, 2)")
        if (chunk.mean(0) - centre).norm() > 0.1:
            raise AssertionError(f"the samples of component {k} are centred at "
                                 f"{[round(v, 2) for v in chunk.mean(0).tolist()]}, expected about "
                                 f"{[round(v, 2) for v in centre.tolist()]} (angle 2 pi k / 10, radius 4)")
        if (spread - 0.5).abs().max() > 0.05:
            raise AssertionError(f"the samples of component {k} spread {spread[0]:.3g} horizontally and "
                                 f"{spread[1]:.3g} vertically around their centre; the standard deviation is 0.5 in "
                                 "each direction")


def _independent_normal(answer):
    labels = _shuffled_labels(21)
    noise = (_mixture_samples(answer, labels) - _centres(labels)) / 0.5
    noise = noise - noise.mean(0)
    unit = noise / noise.std(0).clamp(min=1e-12)
    together = (unit[:, 0] * unit[:, 1]).mean().item()
    if abs(together) > 0.1:
        raise AssertionError(f"the two coordinates of your noise move together (correlation {together:.2f}; the "
                             "samples of a component lie on a line): draw an independent normal number for each "
                             "coordinate, torch.randn(n, 2)")
    half = len(unit) // 2
    rows = max(abs((unit[:-1] * unit[1:]).mean().item()), abs((unit[:half] * unit[half:2 * half]).mean().item()))
    if rows > 0.1:
        raise AssertionError(f"the noise of different samples is correlated (correlation {rows:.2f}): every sample "
                             "needs its own noise")
    within, beyond = (noise.abs() < 1).double().mean().item(), (noise.abs() > 2).double().mean().item()
    if abs(within - 0.6827) > 0.02 or abs(beyond - 0.0455) > 0.01:
        raise AssertionError(f"your noise is not normally distributed: {within:.1%} of it lies within one standard "
                             f"deviation of the centre and {beyond:.1%} beyond two (a Gaussian: 68.3% and 4.6%); draw "
                             "it with torch.randn, not torch.rand (uniform)")


def _radius_and_std(answer):
    g = seeded(22)
    k = int(torch.randint(0, 10, (), generator=g))
    radius, std = 1.5 + 1.5 * torch.rand((), generator=g).item(), 0.1 + 0.2 * torch.rand((), generator=g).item()
    labels = torch.full((5000,), k)
    samples = _mixture_samples(answer, labels, radius=radius, std=std)
    centre, spread = _centres(labels[:1], radius)[0], samples.std(0)
    if (samples.mean(0) - centre).norm() > 0.1 * std or (spread - std).abs().max() > 0.06 * std:
        raise AssertionError(f"with radius={radius:.3g} and std={std:.3g}, component {k} should sit at "
                             f"{[round(v, 3) for v in centre.tolist()]} with spread {std:.3g}; yours sits at "
                             f"{[round(v, 3) for v in samples.mean(0).tolist()]} with spread "
                             f"{[round(v, 3) for v in spread.tolist()]}")


def _random(answer):
    labels = torch.arange(10)
    if torch.equal(call(answer, labels), call(answer, labels)):
        raise AssertionError("two calls gave the same samples: draw the noise at random every time")


sample_mixture = Exercise(
    "Exercise 4: sampling the mixture prior",
    sample_mixture_reference,
    cases=[
        Case("10 components, 2,000 samples each, in random order: centres on the circle, spread 0.5",
             _component_statistics),
        Case("independent, normally distributed noise in both coordinates and every sample", _independent_normal),
        Case("radius and std as given (radius=..., std=...)", _radius_and_std),
        Case("new samples on every call", _random),
    ],
    hints=[
        "Component k sits on a circle: its centre is radius * (cos a, sin a) with a = 2 pi k / 10.",
        "angles = 2 * math.pi * labels.float() / 10; centres = radius * torch.stack([angles.cos(), angles.sin()], 1).",
        "Add std * torch.randn(len(labels), 2) to the centres.",
    ],
    same_as=["aecourse.priors.gaussian_mixture", "aecourse.priors.mixture_centres"],
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: What phase 3 changes",
    "b",
    "backward() follows the computation, not the optimisers: phase 3's loss is computed from the discriminator's "
    "logits of the encoder's codes, so the encoder's and the discriminator's parameters both receive a gradient, "
    "and the decoder, which phase 3 never runs, receives none. An optimiser's step() moves only the parameters it "
    "was given, and encoder_step holds the encoder's alone (Exercise 3: each phase's optimiser decides what the "
    "phase may change; train_aae builds it from model.encoder.parameters()). The discriminator's stray gradients "
    "do no harm: phase 2 of the next batch calls critic_step.zero_grad() before its own backward().",
    choices={
        "a": "Gradient: the encoder's parameters only, since encoder_step holds only those. Changed: the encoder's.",
        "b": "Gradient: the encoder's and the discriminator's parameters. Changed: the encoder's only.",
        "c": "Gradient: the encoder's and the discriminator's parameters. Changed: both, since a parameter that has "
             "a gradient moves.",
        "d": "Gradient: the encoder's, the decoder's and the discriminator's parameters. Changed: the encoder's and "
             "the decoder's, continuing phase 1's training.",
    },
    why_not={
        "a": "backward() knows nothing of optimisers: autograd sends a gradient to every parameter that the loss was "
             "computed through and that requires one, and this loss is computed through the discriminator's "
             "layers. The optimiser decides only what moves at step()",
        "c": "an optimiser's step() updates the parameters it was built with and no others; a gradient sitting in "
             "another network's parameters does nothing until that network's own optimiser steps, and its "
             "zero_grad() clears it first",
        "d": "the decoder is not on the path of this loss: in phase 3 the codes go from the encoder straight into "
             "the discriminator, and the decoder never runs, so it cannot receive a gradient from it; the "
             "reconstruction is phase 1's business",
    },
)

q2 = Question(
    "Question 2: Where the codes start",
    "b",
    "Before training the encoder is a random network, and PyTorch's default initialisation (weights no larger "
    "than one over the square root of a layer's number of inputs) makes its outputs shrink layer by layer: the "
    "codes of all the test digits sit in a clump a few hundredths wide near the origin, colours on top of each "
    "other, while the prior's components lie at radius 4. Phase 3 then pushes the codes towards wherever the "
    "discriminator finds prior samples, so epoch by epoch the cloud moves outwards to the ring's scale: the prior, "
    "not the architecture, decides where the codes go. How far they get depends on the run's length; the answer "
    "under Explore describes the laptop run.",
    choices={
        "a": "The codes start spread over the ring already, as a random encoder's outputs look like prior samples; "
             "the epochs only change which digit sits where.",
        "b": "The codes start in a small clump near the centre, much smaller than the ring; over the epochs they "
             "move outwards, to where the prior's samples are.",
        "c": "The codes start far outside the ring, and the epochs pull them inwards onto it.",
        "d": "The codes start in ten separate groups, one per digit, and over the epochs each group moves onto a "
             "component of the ring.",
    },
    why_not={
        "a": "a freshly initialised encoder knows nothing about the prior: its codes are wherever its random "
             "weights put them, and only the discriminator's game, epoch after epoch, tells it where the prior's "
             "samples lie. Look again at epoch 0, at where the grey points lie and where the coloured ones",
        "c": "a random network's outputs are not large: the default initialisation keeps each layer's weights "
             "below one over the square root of its number of inputs, so the numbers shrink from layer to layer "
             "rather than grow. Codes far from the origin are where an unconstrained autoencoder can drift with "
             "training, not where a network starts",
        "d": "before training the encoder has learnt nothing, and no phase of this game assigns a digit to a "
             "component: the discriminator sees codes, never labels (section 5 gives it them). Compare the colours "
             "at epoch 0 and at the last epoch",
    },
)

q3 = Question(
    "Question 3: The discriminator at equilibrium",
    "c",
    "When the codes are distributed like the prior, the best discriminator D*(z) = p(z) / (p(z) + q(z)) of "
    "section 1 is 1/2 everywhere: it can do no better than a guess, a logit of 0. That costs log 2 on each prior "
    "sample and log 2 on each code, so Exercise 1's loss, the mean over the prior samples plus the mean over the "
    "codes, is 2 log 2, about 1.39: the value section 2's fresh step printed for logits near 0, and the dotted "
    "line of the figure (the laptop run's curves settle near it after about 200 steps). For any encoder the best "
    "discriminator's loss is 2 log 2 minus twice the Jensen-Shannon divergence of q and p, so the closer the match, "
    "the higher it climbs, up to this value and no further.",
    choices={
        "a": "0: the discriminator has finished learning, so its loss falls to zero.",
        "b": "log 2, about 0.69.",
        "c": "2 log 2, about 1.39.",
        "d": "No limit: the better the encoder fools the discriminator, the higher the discriminator's loss climbs.",
    },
    why_not={
        "a": "a loss of 0 means the discriminator tells every code from every prior sample with certainty, which "
             "is possible only when the two distributions do not overlap: the encoder losing the game, not winning "
             "it (section 7's picture of an unhealthy run: a discriminator loss that stays near 0)",
        "b": "that is what one of the two terms costs at chance (and the encoder's loss there, a single term): "
             "Exercise 1's loss adds a mean over the prior samples and a mean over the codes",
        "d": "the discriminator is never forced to be wrong: answering a probability of 1/2 (a logit of 0) for "
             "every input costs the same whatever the encoder does, so its best loss is bounded; a discriminator "
             "loss that climbs far beyond that value means a discriminator that trains badly",
    },
)
