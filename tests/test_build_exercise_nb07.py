"""The build exercise of notebook 07: one step of the adversarial autoencoder's three phases (issue 25, item 3).

The check trains a tiny autoencoder (6 pixels, a 2-D code) and discriminator for two steps with the answer and
with the reference, from the same start on the same data, and compares the parameters after every phase and
where each phase's gradients went. Every wrong answer below must come out INCORRECT, with the phrase its
feedback must contain (None: any reason); the reference, two independent correct answers written differently,
and the notebook's own worked solution must come out CORRECT for every check seed.
"""
import re
import time
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse.exercises import CORRECT, INCORRECT, nb07
from aecourse.exercises.expect import drawn_with

SEEDS = range(20)
WRONG_SEEDS = (0, 1)
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_adversarial_autoencoders.md"


def bce_sum(logits, images):
    return F.binary_cross_entropy_with_logits(logits, images, reduction="none").flatten(1).sum(1).mean()


def step(model, critic, images, prior_samples, optimizers, smoothing=0.0, *, order=(1, 2, 3), zero=(1, 2, 3),
         detach=True, fool=lambda logits: F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)),
         swap=False, reconstruct=bce_sum, phase3=(2,), stale=False, real_target=None, fake_target=0.0,
         returned=lambda losses: tuple(loss.item() for loss in losses)):
    """An AAE step as a learner writes it, with the parts a hurried learner gets wrong as keyword arguments."""
    early = model.encoder(images).detach()
    losses = {}
    for phase in order:
        if phase == 1:
            loss, steppers = reconstruct(model(images), images), [optimizers[0]]
        elif phase == 2:
            codes = early if stale else model.encoder(images)
            real, fake = critic(prior_samples), critic(codes.detach() if detach else codes)
            if swap:
                real, fake = fake, real
            target = 1 - smoothing if real_target is None else real_target(smoothing)
            loss = (F.binary_cross_entropy_with_logits(real, torch.full_like(real, target))
                    + F.binary_cross_entropy_with_logits(fake, torch.full_like(fake, fake_target)))
            steppers = [optimizers[1]]
        else:
            loss, steppers = fool(critic(model.encoder(images))), [optimizers[i] for i in phase3]
        if phase in zero:
            steppers[0].zero_grad()
        loss.backward()
        for stepper in steppers:
            stepper.step()
        losses[phase] = loss
    return returned([losses[1], losses[2], losses[3]])


def variant(**mistake):
    return lambda *args: step(*args, **mistake)


def step_with_fit(model, critic, images, prior_samples, optimizers, smoothing=0.0):
    """Phase 1 handed to fit (one epoch of one batch), phases 2 and 3 written out."""
    from aecourse.train import fit

    history = fit(model, images, lambda m, x: bce_sum(m(x), x), epochs=1, batch_size=len(images),
                  optimizer=optimizers[0])
    codes = model.encoder(images).detach()
    real, fake = critic(prior_samples), critic(codes)
    discriminator = (F.binary_cross_entropy_with_logits(real, torch.full_like(real, 1 - smoothing))
                     + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    optimizers[1].zero_grad()
    discriminator.backward()
    optimizers[1].step()
    fooled = critic(model.encoder(images))
    encoder = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
    optimizers[2].zero_grad()
    encoder.backward()
    optimizers[2].step()
    return history.train[0], discriminator.item(), encoder.item()


def independent_step(model, critic, images, prior_samples, optimizers, smoothing=0.0):
    """Correct, written differently: softplus forms, model.zero_grad(), codes under no_grad, grads set to None."""
    autoencoder_step, critic_step, encoder_step = optimizers
    model.zero_grad()
    logits = model(images)
    reconstruction = (F.softplus(logits) - images * logits).sum(dim=(1, 2, 3)).mean()
    reconstruction.backward()
    autoencoder_step.step()

    with torch.no_grad():
        codes = model.encoder(images)
    critic.zero_grad()
    real, fake = critic(prior_samples), critic(codes)
    discriminator = (((1 - smoothing) * F.softplus(-real) + smoothing * F.softplus(real)).mean()
                     + F.softplus(fake).mean())
    discriminator.backward()
    critic_step.step()

    for p in model.encoder.parameters():
        p.grad = None
    encoder = F.softplus(-critic(model.encoder(images))).mean()
    encoder.backward()
    encoder_step.step()
    return float(reconstruction.detach()), float(discriminator.detach()), float(encoder.detach())


def frozen_critic_step(model, critic, images, prior_samples, optimizers, smoothing=0.0):
    """Correct, written differently again: every optimiser cleared before every phase, one encoding shared by
    phases 2 (detached) and 3, and the discriminator frozen while the encoder learns to fool it."""
    def clear():
        for optimizer in optimizers:
            optimizer.zero_grad()

    clear()
    reconstruction = bce_sum(model(images), images)
    reconstruction.backward()
    optimizers[0].step()

    clear()
    codes = model.encoder(images)
    real, fake = critic(prior_samples), critic(codes.detach())
    discriminator = (F.binary_cross_entropy_with_logits(real, (1 - smoothing) * torch.ones_like(real))
                     + F.binary_cross_entropy_with_logits(fake, 0 * fake))
    discriminator.backward()
    optimizers[1].step()

    clear()
    critic.requires_grad_(False)
    try:
        fooled = critic(codes)
        encoder = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
        encoder.backward()
    finally:
        critic.requires_grad_(True)
    optimizers[2].step()
    return reconstruction.item(), discriminator.item(), encoder.item()


saturating = lambda logits: torch.log(1 - torch.sigmoid(logits)).mean()  # noqa: E731

WRONG = [
    ("codes not detached in phase 2", variant(detach=False), "detached"),
    ("codes not detached, and only the discriminator's gradients cleared", variant(detach=False, zero=(2,)),
     None),
    ("the saturating loss log(1 - D) in phase 3", variant(fool=saturating), "saturating"),
    ("the saturating loss from logits, -softplus", variant(fool=lambda t: -F.softplus(t).mean()), "saturating"),
    ("the decoder stepped in phase 3 (autoencoder_step)", variant(phase3=(0,)), "moves the decoder"),
    ("the discriminator stepped in phase 3 too", variant(phase3=(2, 1)), "discriminator took a step"),
    ("critic_step instead of encoder_step in phase 3", variant(phase3=(1,)), "discriminator took a step"),
    ("zero_grad forgotten in phase 1", variant(zero=(2, 3)), "autoencoder_step.zero_grad()"),
    ("zero_grad forgotten in phase 2", variant(zero=(1, 3)), "critic_step.zero_grad()"),
    ("zero_grad forgotten in phase 3", variant(zero=(1, 2)), "encoder_step.zero_grad()"),
    ("zero_grad forgotten everywhere", variant(zero=()), "no gradient is cleared"),
    ("the discriminator first", variant(order=(2, 1, 3)), "wrong order"),
    ("the encoder before the discriminator", variant(order=(1, 3, 2)), "wrong order"),
    ("labels swapped in phase 2", variant(swap=True), "swapped the labels"),
    ("target 0 for the codes in phase 3", variant(fool=lambda t: F.binary_cross_entropy_with_logits(
        t, torch.zeros_like(t))), "target 0"),
    ("the losses returned as tensors", variant(returned=tuple), "Python floats"),
    ("the losses returned as a tensor", variant(returned=lambda losses: torch.stack(losses).detach()),
     "Python floats"),
    ("only the reconstruction loss returned", variant(returned=lambda losses: losses[0].item()), "tuple"),
    ("the losses in another order", variant(returned=lambda losses: (losses[1].item(), losses[0].item(),
                                                                      losses[2].item())), "order of the phases"),
    ("the reconstruction averaged over the pixels", variant(
        reconstruct=lambda logits, x: F.binary_cross_entropy_with_logits(logits, x)), "mean over the pixels"),
    ("the discriminator fed codes from before phase 1's step", variant(stale=True), "before phase 1's step"),
    ("smoothing ignored", variant(real_target=lambda smoothing: 1.0), "you kept 1"),
    ("smoothing on both sides", variant(real_target=lambda s: 1 - s, fake_target=0.1), "you gave them smoothing"),
    ("a squared-error reconstruction (the tutorial's)", variant(
        reconstruct=lambda logits, x: (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1).mean()), None),
    ("phase 1 handed to fit", step_with_fit, "aecourse.train.fit"),
]


def test_the_table_has_the_named_mistakes_and_more():
    assert len(WRONG) >= 6 and len({name for name, *_ in WRONG}) == len(WRONG)


@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_the_reference_passes_every_case_for_every_seed():
    exercise = nb07.aae_step
    for seed in SEEDS:
        with drawn_with(seed):
            for case in exercise.cases:
                case.run(exercise.reference, exercise.reference)  # run directly: evaluate() calls it delegation


@pytest.mark.parametrize("answer", [independent_step, frozen_critic_step, step], ids=lambda f: f.__name__)
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_an_independent_correct_answer_passes_for_every_seed(answer):
    for seed in SEEDS:
        result = nb07.aae_step.evaluate(answer, seed=seed)
        assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("name,wrong,phrase", WRONG, ids=[name for name, *_ in WRONG])
def test_a_wrong_answer_is_incorrect_and_the_feedback_says_why(name, wrong, phrase):
    for seed in WRONG_SEEDS:
        result = nb07.aae_step.evaluate(wrong, seed=seed)
        assert result.status == INCORRECT, f"{name}: marked correct: {result}"
        assert phrase is None or phrase in str(result), f"{name}: {result}"


def test_the_reference_routes_each_phase_to_its_own_parameters():
    """Phase 1 changes encoder and decoder only, phase 2 the discriminator only (no gradient reaches the encoder),
    phase 3 the encoder only: the observation the check compares, read on the reference."""
    observe = nb07._aae_run(lambda parameters: torch.optim.Adam(parameters, lr=0.01))
    run = observe(nb07.aae_step_reference, 5)
    changed_by_phase = [{"encoder", "decoder"}, {"discriminator"}, {"encoder"}]
    for number, steps in enumerate(run.steps):
        before = run.steps[number - 1][-1][1] if number else None
        for phase, (name, after) in enumerate(steps):
            assert name == nb07.OPTIMISERS[phase]
            if before is not None:
                changed = {part for part in nb07.PARTS if not torch.equal(before[part], after[part])}
                assert changed == changed_by_phase[phase], (number, phase, changed)
            before = after
    for reached in run.gradients:
        assert {part for phase, part in reached if phase == 1} == {"discriminator"}
        assert {part for phase, part in reached if phase == 0} == {"encoder", "decoder"}


def notebook_solution():
    """The worked solution of the notebook's answer cell, as source code."""
    text = NOTEBOOK.read_text()
    match = re.search(r"(def aae_step\(.*?\n)(.*?)    ### BEGIN SOLUTION\n(.*?)    ### END SOLUTION\n", text, re.S)
    assert match, "the answer cell of aae_step is missing"
    return match.group(1) + match.group(2) + match.group(3)


def test_the_notebooks_worked_solution_is_correct():
    namespace = {"torch": torch, "nn": nn, "F": F}  # what the notebook's first code cell imports
    exec(notebook_solution(), namespace)
    for seed in SEEDS:
        result = nb07.aae_step.evaluate(namespace["aae_step"], seed=seed)
        assert result.status == CORRECT, str(result)


def test_a_check_is_quick():
    nb07.aae_step.evaluate(independent_step, seed=0)
    start = time.perf_counter()
    result = nb07.aae_step.evaluate(independent_step, seed=1)
    assert result.correct and time.perf_counter() - start < 2.0
