"""The build exercise of notebook 06: a full VAE training step (nb06.vae_step).

Wrong answers, as a hurried or confused learner writes them, each of which must be incorrect (with the phrase its
feedback must contain where the checker names the mistake); the reference, an independent correct answer and the
notebook's own worked solution, which must pass for every check seed; and the hidden test of the check cell, which
accepts the correct answers and rejects nothing the visible check accepts.
"""
import math
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse import losses, train
from aecourse.exercises import CORRECT, INCORRECT, nb06
from aecourse.exercises.expect import drawn_with
from aecourse.paths import course_root
from aecourse.runtime import isolated_rng

SEEDS = range(20)  # the reference and the correct answers pass every case for each of these check seeds
WRONG_SEEDS = (0, 1, 2)  # and every wrong answer fails for each of these
NOTEBOOK = "06_variational_autoencoders.md"


# --- correct answers, written differently from the reference ------------------------------------------------

def softplus_step(model, x, optimizer):
    """The cross-entropy as softplus(t) - x t, the KL as a mean of sums, the noise from torch.randn."""
    model.train()
    optimizer.zero_grad()
    mu, logvar = model.encode(x)
    std = logvar.mul(0.5).exp()
    z = mu + std * torch.randn(mu.shape)
    logits = model.decode(z)
    reconstruction = (F.softplus(logits) - x * logits).sum(dim=tuple(range(1, x.ndim)))
    kl = 0.5 * (mu ** 2 + std ** 2 - 1 - logvar).sum(-1)
    loss = reconstruction.mean() + kl.mean()
    loss.backward()
    optimizer.step()
    return loss.detach().item()


def logsigmoid_step(model, x, optimizer):
    """The log-likelihood from F.logsigmoid, the ELBO maximised as the negative of a mean."""
    model.train()
    optimizer.zero_grad()
    mu, logvar = model.encode(x)
    eps = torch.randn_like(logvar)
    logits = model.decode(eps * (logvar / 2).exp() + mu)
    log_likelihood = (x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).reshape(len(x), -1).sum(1)
    kl = torch.sum(mu * mu + logvar.exp() - logvar - 1, dim=1) / 2
    elbo = (log_likelihood - kl).mean()
    (-elbo).backward()
    optimizer.step()
    return -float(elbo.detach())


CORRECT_ANSWERS = [softplus_step, logsigmoid_step]


# --- wrong answers -----------------------------------------------------------------------------------------------

def written(*, train_mode=True, zero_grad=True, order=("backward", "step"), noise=lambda mu: torch.randn_like(mu),
            std=lambda logvar: torch.exp(0.5 * logvar), pixels=None, kl=None, reduce=lambda per_image: per_image.mean(),
            returned=lambda loss: loss.item(), forward=False):
    """A VAE step with one thing changed (the defaults give the right step)."""
    def pixels_right(logits, x):
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)

    def kl_right(mu, logvar):
        return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)

    def step(model, x, optimizer):
        if train_mode:
            model.train()
        if zero_grad:
            optimizer.zero_grad()
        if forward:
            logits, mu, logvar = model(x)
        else:
            mu, logvar = model.encode(x)
            logits = model.decode(mu + std(logvar) * noise(mu))
        loss = reduce((pixels or pixels_right)(logits, x) + (kl or kl_right)(mu, logvar))
        for part in order:
            loss.backward() if part == "backward" else optimizer.step()
        return returned(loss)
    return step


def kl_of(mu, logvar):
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def through_sigmoid(logits, x):
    return F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").flatten(1).sum(1)


def naive_log(logits, x):
    p = torch.sigmoid(logits)
    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)


def with_fit(model, x, optimizer):
    """Hands the step to fit (which makes its own optimiser)."""
    def loss(model, batch):
        mu, logvar = model.encode(batch)
        logits = model.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu))
        return losses.bernoulli_nll(logits, batch) + losses.gaussian_kl(mu, logvar).mean()
    history = train.fit(model, x, loss, epochs=1, batch_size=len(x), desc="step")
    return float(history.train[-1])


def with_distributions(model, x, optimizer):
    model.train()
    optimizer.zero_grad()
    mu, logvar = model.encode(x)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    logits = model.decode(q.rsample())
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    reconstruction = -torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    loss = (reconstruction + torch.distributions.kl_divergence(q, prior).sum(1)).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


def recomputed_after_the_step(model, x, optimizer):
    """Returns the loss of the batch after the step (another noise draw), not the loss it stepped on."""
    written()(model, x, optimizer)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        logits = model.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu))
        return (F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
                + kl_of(mu, logvar).sum(1)).mean().item()


WRONG = [
    ("reconstruction averaged over the pixels (F.binary_cross_entropy_with_logits' default)",
     written(pixels=lambda logits, x: F.binary_cross_entropy_with_logits(logits, x).expand(len(x))),
     "averaged over the pixels"),
    ("reconstruction averaged over the pixels of each image",
     written(pixels=lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1)
             .mean(1)), "averaged over the pixels"),
    ("KL averaged over the latent dimensions", written(kl=lambda mu, logvar: kl_of(mu, logvar).mean(1)),
     "averaged over the latent dimensions"),
    ("KL with its sign flipped", written(kl=lambda mu, logvar: -kl_of(mu, logvar).sum(1)), "subtracts the KL"),
    ("sigmoid, then F.binary_cross_entropy", written(pixels=through_sigmoid), "goes through sigmoid"),
    ("z = mu: no noise, an autoencoder", written(noise=lambda mu: torch.zeros_like(mu)), "no noise"),
    ("std = exp(logvar), the variance", written(std=torch.exp), "exp(logvar), the variance"),
    ("std = logvar itself", written(std=lambda logvar: logvar), None),
    ("no optimizer.zero_grad()", written(zero_grad=False), "zero_grad"),
    ("the loss summed over the batch", written(reduce=lambda per_image: per_image.sum()),
     "summed over the images"),
    ("a tensor returned", written(returned=lambda loss: loss), "Python float"),
    ("a detached 0-d tensor returned", written(returned=lambda loss: loss.detach()), "Python float"),
    ("the model left in evaluation mode", written(train_mode=False), "evaluation mode"),
    ("optimizer.step() before loss.backward()", written(order=("step", "backward")), "did not change"),
    ("no optimizer.step()", written(order=("backward",)), "did not change"),
    ("uniform noise (torch.rand_like)", written(noise=torch.rand_like), None),
    ("one noise value per image, shared by its latent dimensions",
     written(noise=lambda mu: torch.randn(len(mu), 1).expand_as(mu)), None),
    ("the log of the sigmoid, written out (log(0) at confident logits)", written(pixels=naive_log), None),
    ("the loss after the step returned", recomputed_after_the_step, None),
    ("the model's forward (a model without one)", written(forward=True), "has no forward"),
    ("the package's gaussian_kl", written(kl=losses.gaussian_kl), "aecourse.losses.gaussian_kl"),
    ("the package's bernoulli_nll",
     written(pixels=lambda logits, x: losses.bernoulli_nll(logits, x).expand(len(x))),
     "aecourse.losses.bernoulli_nll"),
    ("torch.distributions (rsample, kl_divergence, Bernoulli)", with_distributions, "torch.distributions"),
    ("fit", with_fit, "aecourse.train.fit"),
]


@pytest.mark.parametrize("label,answer,phrase", WRONG, ids=[label for label, _, _ in WRONG])
def test_a_wrong_answer_is_incorrect(label, answer, phrase):
    for seed in WRONG_SEEDS:
        result = nb06.vae_step.evaluate(answer, seed=seed)
        assert result.status == INCORRECT, f"{label}: {result}"
        assert phrase is None or phrase in str(result), f"{label}: {result}"


def test_the_table_is_long_enough_and_names_every_mistake_the_checker_knows():
    assert len(WRONG) >= 6
    feedback = " ".join(str(nb06.vae_step.evaluate(answer, seed=0)) for _, answer, _ in WRONG)
    for case in nb06.vae_step.cases:
        for mistake in case.mistakes:
            assert mistake.message in feedback, mistake.message


@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_the_reference_passes_every_case_for_every_seed():
    exercise = nb06.vae_step
    for seed in SEEDS:
        with drawn_with(seed):
            for case in exercise.cases:
                case.run(exercise.reference, exercise.reference)  # run directly: evaluate() calls it delegation


@pytest.mark.parametrize("answer", CORRECT_ANSWERS, ids=lambda answer: answer.__name__)
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_an_independent_correct_answer_passes_for_every_seed(answer):
    for seed in SEEDS:
        result = nb06.vae_step.evaluate(answer, seed=seed)
        assert result.status == CORRECT, str(result)


def notebook_source():
    return (course_root() / "notebooks" / NOTEBOOK).read_text()


def worked_solution():
    """The notebook's own answer cell, its worked solution between BEGIN and END SOLUTION."""
    match = re.search(r"^(def vae_step\(.*?)^    ### BEGIN SOLUTION\n(.*?)^    ### END SOLUTION", notebook_source(),
                      re.S | re.M)
    namespace = {"torch": torch, "nn": nn, "F": F, "math": math}
    exec(match[1] + match[2], namespace)
    return namespace["vae_step"]


def test_the_notebooks_worked_solution_is_correct():
    solution = worked_solution()
    for seed in SEEDS:
        result = nb06.vae_step.evaluate(solution, seed=seed)
        assert result.status == CORRECT, str(result)


def hidden_test():
    match = re.search(r"^vae_step = exercises\.vae_step\.check\(vae_step\)\n### BEGIN HIDDEN TESTS\n(.*?)"
                      r"### END HIDDEN TESTS", notebook_source(), re.S | re.M)
    return match[1]


def passes_hidden_test(answer):
    try:
        exec(hidden_test(), {"torch": torch, "nn": nn, "F": F, "math": math, "isolated_rng": isolated_rng,
                             "vae_step": answer})
    except Exception:  # a failed assert, or the answer's own crash
        return False
    return True


def test_the_hidden_test_accepts_the_correct_answers_and_nothing_the_visible_check_accepts_is_wrong():
    for answer in [worked_solution(), *CORRECT_ANSWERS]:
        assert passes_hidden_test(answer), answer
    failing = [label for label, answer, _ in WRONG if not passes_hidden_test(answer)]
    for label in ("the loss summed over the batch", "a tensor returned", "no optimizer.step()",
                  "reconstruction averaged over the pixels of each image"):
        assert label in failing  # the same contract as the visible check: a float per image, a step taken
