"""Delegation is caught by what a function is, not by which object it is; every check draws new inputs.

A table of answers that hand the exercise to something that already does it (a method form, an alias,
a private implementation, a lower-dimensional stand-in, a layer measured instead of a formula): each is
incorrect, with a message naming what it used, while an honest answer is correct. Then the random
cases: every reference passes its cases whatever the check seed, a check is repeated exactly by its
seed, and an answer that looks up the values one check saw fails the next.
"""
import importlib
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, MultivariateNormal, Normal

from aecourse import losses, metrics
from aecourse.exercises import CORRECT, INCORRECT, Exercise, nb01, nb03, nb04, nb05, nb06
from aecourse.exercises.expect import drawn_with, seeded


def random_noise(x, mode, **settings):
    from skimage.util import random_noise

    return torch.from_numpy(random_noise(x.numpy(), mode=mode, **settings)).to(x.dtype)


def measured_receptive_field(layers):
    """Measures instead of computing: the input pixels one output pixel's gradient reaches."""
    x = torch.zeros(1, 1, 301, requires_grad=True)
    out = x
    for kernel, stride in layers:
        out = F.conv1d(out, torch.ones(1, 1, kernel), stride=stride)
    out[..., out.shape[-1] // 2].sum().backward()
    return int((x.grad != 0).sum())


class Interpolating(nn.Module):
    """One transposed convolution (7 -> 14), then interpolation does the rest (14 -> 28)."""

    def __init__(self):
        super().__init__()
        self.grow = nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)

    def forward(self, h):
        return torch.sigmoid(F.interpolate(self.grow(h), scale_factor=2))


def kl_of_normals(mu, logvar):
    q = Normal(mu, (0.5 * logvar).exp())
    return torch.distributions.kl._kl_normal_normal(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)


# (exercise, delegating answer, a phrase the feedback must contain)
DELEGATING = [
    (nb06.log_mean_exp, lambda values: values.logsumexp(0) - math.log(len(values)), "torch.logsumexp"),
    (nb06.log_mean_exp, lambda values: torch.special.logsumexp(values, 0) - math.log(len(values)), "torch.logsumexp"),
    (nb06.log_mean_exp, lambda values: torch.Tensor.logsumexp(values, 0) - math.log(len(values)), "Tensor.logsumexp"),
    (nb06.log_mean_exp, lambda values: values.logcumsumexp(0)[-1] - math.log(len(values)), "torch.logcumsumexp"),
    (nb06.log_mean_exp, lambda values: (values - values.log_softmax(0))[0] - math.log(len(values)),
     "torch.log_softmax"),
    (nb06.gaussian_kl, kl_of_normals, "torch.distributions"),
    (nb06.reparameterize, lambda mu, logvar: MultivariateNormal(mu, torch.diag_embed(logvar.exp())).rsample(),
     "torch.distributions"),
    (nb06.reparameterize, lambda mu, logvar: Normal(mu, (0.5 * logvar).exp()).rsample(), "torch.distributions"),
    (nb06.vae_loss, lambda logits, x, mu, logvar: losses.bernoulli_nll(logits, x)
     + (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean(), "aecourse.losses.bernoulli_nll"),
    (nb05.kl_sparsity, lambda codes, rho: torch.distributions.kl._kl_bernoulli_bernoulli(
        Bernoulli(torch.full_like(codes.mean(0), rho)), Bernoulli(codes.mean(0))).sum(), "torch.distributions"),
    (nb04.salt_and_pepper, lambda x, p: random_noise(x, "s&p", amount=p), "skimage.util.random_noise"),
    (nb04.masking, lambda x, p: random_noise(x, "pepper", amount=p), "skimage.util.random_noise"),
    (nb04.masking, lambda x, p: F.dropout(x, p) * (1 - p), "torch.nn.functional.dropout"),
    (nb01.reconstruction_loss, lambda x_hat, x: metrics.squared_error_per_image(x_hat, x).mean(),
     "aecourse.metrics.squared_error_per_image"),
    (nb01.reconstruction_loss, lambda x_hat, x: F.mse_loss(x_hat, x, reduction="sum") / len(x),
     "torch.nn.functional.mse_loss"),
    (nb03.conv_output_size, lambda size, kernel, stride=1, padding=0: F.conv1d(
        torch.zeros(1, 1, size + 2 * padding), torch.zeros(1, 1, kernel), stride=stride).shape[-1], "is a formula"),
    (nb03.conv_output_size, lambda size, kernel, stride=1, padding=0: F.conv2d(  # "meta": shapes, no values
        torch.empty(1, 1, size, 1, device="meta"), torch.empty(1, 1, kernel, 1, device="meta"), stride=stride,
        padding=(padding, 0)).shape[2], "is a formula"),
    (nb03.transposed_output_size, lambda size, kernel, stride=1, padding=0, output_padding=0: F.conv_transpose1d(
        torch.empty(1, 1, size, device="meta"), torch.empty(1, 1, kernel, device="meta"), stride=stride,
        padding=padding, output_padding=output_padding).shape[-1], "is a formula"),
    (nb03.conv_parameters, lambda c_in, c_out, k: sum(p.numel() for p in nn.ConvTranspose2d(c_in, c_out, k)
                                                      .parameters()), "is a formula"),
    (nb03.conv_parameters, lambda c_in, c_out, k: sum(p.numel() for p in nn.Conv1d(c_in, c_out, k * k).parameters()),
     "is a formula"),
    (nb01.count_parameters, lambda sizes: sum(p.numel() for a, b in zip(sizes, sizes[1:])
                                              for p in nn.Linear(a, b).parameters()), "is a formula"),
    (nb03.receptive_field, measured_receptive_field, "is a formula"),
    (nb03.make_decoder, Interpolating, "torch.nn.functional.interpolate"),
    (nb03.make_decoder, lambda: nn.Sequential(nn.ConvTranspose2d(32, 4, 4, stride=2, padding=1), nn.PixelShuffle(2),
                                              nn.Sigmoid()), "torch.pixel_shuffle"),
]


@pytest.mark.parametrize("exercise,answer,phrase", DELEGATING,
                         ids=[f"{e.function_name}-{i}" for i, (e, _, _) in enumerate(DELEGATING)])
def test_a_delegating_answer_is_incorrect_and_told_what_it_used(exercise, answer, phrase):
    result = exercise.evaluate(answer, seed=1)
    assert result.status == INCORRECT, str(result)
    assert result.failed[0][0] == "written in the notebook" and phrase in result.failed[0][1], str(result)


def honest_decoder():
    return nn.Sequential(nn.ConvTranspose2d(32, 8, 4, stride=2, padding=1), nn.ReLU(),
                         nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1), nn.Sigmoid())


def honest_receptive_field(layers):
    size, step = 1, 1
    for kernel, stride in layers:
        size, step = size + (kernel - 1) * step, step * stride
    return size


# answers written without help, each using the ordinary operations a learner needs
HONEST = [
    (nb06.log_mean_exp, lambda v: v.max(0).values + torch.log(torch.exp(v - v.max(0).values).mean(0))),
    (nb06.gaussian_kl, lambda mu, logvar: 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)),
    (nb06.reparameterize, lambda mu, logvar: mu + (0.5 * logvar).exp() * torch.randn_like(mu)),
    (nb06.vae_loss, lambda logits, x, mu, logvar: (
        F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        - 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()),
    (nb04.salt_and_pepper, lambda x, p: torch.where(torch.rand_like(x) < p, (torch.rand_like(x) < 0.5).to(x.dtype), x)),
    (nb04.masking, lambda x, p: x * (torch.rand_like(x) >= p)),
    (nb01.reconstruction_loss, lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).mean()),
    (nb03.conv_output_size, lambda size, kernel, stride=1, padding=0: (size + 2 * padding - kernel) // stride + 1),
    (nb03.transposed_output_size, lambda size, kernel, stride=1, padding=0, output_padding=0:
     (size - 1) * stride - 2 * padding + kernel + output_padding),
    (nb03.conv_parameters, lambda c_in, c_out, k: c_out * (c_in * k * k + 1)),
    (nb01.count_parameters, lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:]))),
    (nb03.receptive_field, honest_receptive_field),
    (nb03.make_decoder, honest_decoder),
]


@pytest.mark.parametrize("exercise,answer", HONEST, ids=[e.function_name for e, _ in HONEST])
def test_an_honest_answer_is_correct_whatever_the_seed(exercise, answer):
    for seed in (0, 1, 2):
        result = exercise.evaluate(answer, seed=seed)
        assert result.status == CORRECT, str(result)


# --- random cases -------------------------------------------------------------------------------------

def all_exercises():
    modules = [importlib.import_module(f"aecourse.exercises.nb0{n}") for n in range(1, 8)]
    return [value for module in modules for value in vars(module).values() if isinstance(value, Exercise)]


@pytest.mark.parametrize("exercise", all_exercises(), ids=lambda e: e.function_name)
def test_every_reference_passes_its_cases_whatever_the_check_seed(exercise):
    """Run as evaluate() runs them, but directly: the reference itself would count as delegation there."""
    for seed in range(20):
        with drawn_with(seed):
            for case in exercise.cases:
                try:
                    case.run(exercise.reference, exercise.reference)
                except AssertionError as failure:
                    raise AssertionError(f"seed {seed}, {case.description}: {failure}") from None


def test_seeded_draws_new_inputs_per_check_seed_and_the_same_for_the_same_seed():
    def draw(n):
        return torch.rand(3, generator=seeded(n))

    with drawn_with(1):
        first = draw(0), draw(1)
    with drawn_with(1):
        again = draw(0), draw(1)
    with drawn_with(2):
        other = draw(0)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], first[1]) and not torch.equal(first[0], other)
    assert torch.equal(draw(0), draw(0))  # outside a check: the seed alone, as before


def key(value):
    """What a lookup table is keyed by: the inputs' values."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape), value.detach().numpy().tobytes()
    if isinstance(value, (list, tuple)):
        return tuple(key(v) for v in value)
    return repr(value)


def test_a_table_of_the_values_one_check_saw_fails_the_next_check():
    exercise, table = nb05.dead_fraction, {}

    def record(*args):  # what a learner copying the checked values into a table would collect
        table[key(args)] = value = exercise.reference(*args)
        return value

    def looked_up(*args):
        return table.get(key(args), 0.0)

    exercise.evaluate(record, seed=7)
    same, fresh = exercise.evaluate(looked_up, seed=7), exercise.evaluate(looked_up)
    assert same.status == CORRECT, str(same)  # the same inputs again: the table has every value
    assert fresh.status == INCORRECT and exercise.evaluate(looked_up, seed=8).status == INCORRECT
    assert "[check seed" in str(fresh)


def test_a_failed_check_names_its_seed_and_that_seed_repeats_it(monkeypatch):
    def flaky(x_hat, x):  # wrong only for some inputs: a failure that needs its seed to be seen again
        loss = (x_hat - x).pow(2).flatten(1).sum(1).mean()
        return loss * 1.5 if x_hat.flatten()[0] > 0.5 else loss

    results = [nb01.reconstruction_loss.evaluate(flaky, seed=seed) for seed in range(10)]
    failing = next(r for r in results if r.status == INCORRECT)
    seed = int(str(failing).split("[check seed ")[1].split(":")[0])
    assert str(nb01.reconstruction_loss.evaluate(flaky, seed=seed)) == str(failing)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # the autograder's message names it too
    with pytest.raises(AssertionError, match=f"check seed {seed}"):
        nb01.reconstruction_loss.check(flaky, seed=seed)
