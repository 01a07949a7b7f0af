"""Wrong answers to the exercises of notebooks 06 and 07, as a hurried or confused learner writes them.

Every exercise has a table: independent correct answers, which must pass for any check seed (the random
exercises are checked for their statistics, with tolerances that hold for every seed tried), and at least five
wrong answers, each of which must be incorrect, with a phrase its feedback must contain where the checker names
the mistake. A lookup table of the values one check drew must fail the next check.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aecourse.exercises import CORRECT, INCORRECT, Exercise, nb06, nb07
from aecourse.exercises.expect import clone_all, drawn_with

SEEDS = range(20)  # the correct answers and the references pass every case for each of these check seeds
WRONG_SEEDS = (0, 1)  # and every wrong answer fails for each of these


def lookup_table(exercise, correct, fallback, seed=123_456):
    """An answer that memorised the inputs one check drew (check seed ``seed``): right on those, ``fallback``
    elsewhere. It must fail any other check, so the cases must draw their inputs anew (the cases it would fail
    with ``fallback`` alone, too: the fallbacks below fail only the hard cases, overflow or the reduction)."""
    with drawn_with(seed):
        seen = [case.inputs() for case in exercise.cases if case.inputs is not None]

    def same(a, b):
        if isinstance(a, torch.Tensor):
            return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a.detach(), b.detach())
        return a == b

    def answer(*args):
        for memorised in seen:
            if len(memorised) == len(args) and all(same(a, b) for a, b in zip(clone_all(memorised), args)):
                return correct(*args)
        return fallback(*args)
    return answer


# --- notebook 06, Exercise 1: the reparameterisation trick -------------------------------------

def _eps(mu):
    return torch.randn_like(mu)


def half_noise(mu, logvar):
    """The first half of the batch's noise reused for the second half."""
    noise = torch.randn(mu.shape[0] // 2, mu.shape[1])
    return mu + torch.exp(0.5 * logvar) * torch.cat([noise, noise, torch.randn(mu.shape[0] % 2, mu.shape[1])])


REPARAMETERIZE = (
    nb06.reparameterize,
    [lambda mu, logvar: mu + logvar.exp().sqrt() * torch.randn(mu.shape, device=mu.device, dtype=mu.dtype),
     lambda mu, logvar: mu + torch.exp(logvar / 2) * torch.empty_like(mu).normal_(),
     lambda mu, logvar: torch.addcmul(mu, (0.5 * logvar).exp(), torch.randn_like(mu))],
    [("one noise value shared by every latent dimension",
      lambda mu, logvar: mu + torch.exp(.5 * logvar) * torch.randn(mu.shape[0], 1), "every latent dimension"),
     ("ignores each row's own variance",
      lambda mu, logvar: mu + torch.exp(.5 * logvar.mean()) * torch.randn_like(mu), "each entry's own logvar"),
     ("ignores each row's own mean", lambda mu, logvar: mu.mean(0) + torch.exp(.5 * logvar) * _eps(mu), "own mu"),
     ("the variance instead of the standard deviation",
      lambda mu, logvar: mu + torch.exp(logvar) * _eps(mu), "the variance"),
     ("logvar as the standard deviation", lambda mu, logvar: mu + logvar * _eps(mu), "own logvar"),
     ("noise added to sigma, not multiplied", lambda mu, logvar: mu + torch.exp(.5 * logvar) + _eps(mu), None),
     ("mu forgotten", lambda mu, logvar: torch.exp(.5 * logvar) * _eps(mu), "own mu"),
     ("one noise row shared by the batch",
      lambda mu, logvar: mu + torch.exp(.5 * logvar) * torch.randn(1, mu.shape[1]), "every row"),
     ("half the batch reuses the other half's noise", half_noise, "correlated across rows"),
     ("uniform noise of unit variance",
      lambda mu, logvar: mu + torch.exp(.5 * logvar) * (torch.rand_like(mu) - .5) * math.sqrt(12),
      "not normally distributed"),
     ("uniform noise", lambda mu, logvar: mu + torch.exp(.5 * logvar) * torch.rand_like(mu), None),
     ("torch.normal: no gradient", lambda mu, logvar: torch.normal(mu, torch.exp(.5 * logvar)), "with respect to mu"),
     ("sigma detached", lambda mu, logvar: mu + torch.exp(.5 * logvar).detach() * _eps(mu), "reaches logvar"),
     ("noise drawn on the CPU whatever mu's device",
      lambda mu, logvar: mu + torch.exp(.5 * logvar) * torch.randn(mu.shape), "on the CPU"),
     ("a float64 sample", lambda mu, logvar: (mu + torch.exp(.5 * logvar) * _eps(mu)).double(), "float64"),
     ("a float32 sample for float64 inputs",
      lambda mu, logvar: (mu + torch.exp(.5 * logvar) * _eps(mu)).float(), "float64"),
     ("mu changed in place", lambda mu, logvar: mu.add_(torch.exp(.5 * logvar) * _eps(mu)), "in place"),
     ("the same noise on every call (reseeds)",
      lambda mu, logvar: (torch.manual_seed(0), mu + torch.exp(.5 * logvar) * _eps(mu))[1], "same sample"),
     ("the noise as a NumPy array, no gradient to logvar",
      lambda mu, logvar: mu + torch.from_numpy(np.exp(.5 * logvar.detach().numpy())) * _eps(mu), "logvar")],
)


# --- notebook 06, Exercise 2: the Gaussian KL term ---------------------------------------------

def kl_terms(mu, logvar):
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def kl_right(mu, logvar):
    return 0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum(dim=-1)


GAUSSIAN_KL = (
    nb06.gaussian_kl,
    [kl_right, lambda mu, logvar: torch.sum(-0.5 * (1 + logvar - mu * mu - torch.exp(logvar)), dim=1)],
    [("mean over the latent dimensions", lambda mu, logvar: kl_terms(mu, logvar).mean(1), "averaged over the latent"),
     ("wrong sign", lambda mu, logvar: -kl_terms(mu, logvar).sum(1), "wrong sign"),
     ("KL reversed, KL(p || q)",
      lambda mu, logvar: 0.5 * ((1 + mu ** 2) / logvar.exp() - 1 + logvar).sum(1), "other way round"),
     ("the 1 forgotten (off by d/2)", lambda mu, logvar: -0.5 * (logvar - mu ** 2 - logvar.exp()).sum(1), "a 1 inside"),
     ("summed over the images (dim 0)", lambda mu, logvar: kl_terms(mu, logvar).sum(0), "summed over the images"),
     ("one number for the batch", lambda mu, logvar: kl_terms(mu, logvar).sum(), "one KL per image"),
     ("logvar as the standard deviation",
      lambda mu, logvar: -0.5 * (1 + torch.log(logvar ** 2) - mu ** 2 - logvar ** 2).sum(1), "standard deviation"),
     ("sigma^2 squared", lambda mu, logvar: -0.5 * (1 + logvar - mu ** 2 - logvar.exp() ** 2).sum(1), None),
     ("mu ignored", lambda mu, logvar: -0.5 * (1 + logvar - logvar.exp()).sum(1), None),
     ("logvar changed in place", lambda mu, logvar: -0.5 * (1 + logvar - mu ** 2 - logvar.exp_()).sum(1), "in place"),
     ("a float64 result", lambda mu, logvar: kl_right(mu, logvar).double(), "float64"),
     ("rebuilt from Python floats: no gradient",
      lambda mu, logvar: torch.tensor(kl_right(mu, logvar).tolist()), "not connected")],
)
GAUSSIAN_KL[2].append(("a lookup table of one check's inputs",
                       lookup_table(nb06.gaussian_kl, kl_right, lambda mu, logvar: torch.zeros(len(mu))), None))


# --- notebook 06, Exercise 3: the VAE loss -----------------------------------------------------

def bce(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def through_sigmoid(logits, x, mu, logvar):
    reconstruction = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").flatten(1).sum(1)
    return (reconstruction + kl_right(mu, logvar)).mean()


def vae_right(logits, x, mu, logvar):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x) + kl_right(mu, logvar).mean()


VAE_LOSS = (
    nb06.vae_loss,
    [vae_right,
     lambda logits, x, mu, logvar: ((F.softplus(logits) - x * logits).flatten(1).sum(1)
                                    + kl_terms(mu, logvar).sum(1)).mean()],
    [("BCE of sigmoid(logits): PyTorch clamps the log at -100", through_sigmoid, "goes through sigmoid"),
     ("the direct formula with log(sigmoid)",
      lambda logits, x, mu, logvar: (-(x * torch.log(torch.sigmoid(logits)) + (1 - x) * torch.log(
          1 - torch.sigmoid(logits))).flatten(1).sum(1) + kl_right(mu, logvar)).mean(), "not finite"),
     ("logits clamped to +-100", lambda logits, x, mu, logvar: vae_right(logits.clamp(-100, 100), x, mu, logvar), None),
     ("per-pixel mean (the default reduction)",
      lambda logits, x, mu, logvar: F.binary_cross_entropy_with_logits(logits, x) + kl_right(mu, logvar).mean(),
      "averaged over the 784 pixels"),
     ("summed over the batch", lambda logits, x, mu, logvar: (bce(logits, x) + kl_right(mu, logvar)).sum(),
      "summed over the images"),
     ("KL forgotten", lambda logits, x, mu, logvar: bce(logits, x).mean(), "missing the KL"),
     ("KL subtracted", lambda logits, x, mu, logvar: (bce(logits, x) - kl_right(mu, logvar)).mean(), "subtracts"),
     ("KL averaged over the latents",
      lambda logits, x, mu, logvar: (bce(logits, x) + kl_terms(mu, logvar).mean(1)).mean(), "KL is averaged"),
     ("KL reversed", lambda logits, x, mu, logvar: (bce(logits, x) + 0.5 * (
         (1 + mu ** 2) / logvar.exp() - 1 + logvar).sum(1)).mean(), None),
     ("reconstruction summed over the batch too, the KL averaged",
      lambda logits, x, mu, logvar: F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
      + kl_right(mu, logvar).mean(), None),
     ("sigmoid twice", lambda logits, x, mu, logvar: vae_right(torch.sigmoid(logits), x, mu, logvar), None),
     ("logits and targets swapped",
      lambda logits, x, mu, logvar: F.binary_cross_entropy_with_logits(x, logits, reduction="sum") / len(x)
      + kl_right(mu, logvar).mean(), None),
     ("squared error instead of the cross-entropy",
      lambda logits, x, mu, logvar: ((torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1)
                                     + kl_right(mu, logvar)).mean(), None),
     ("one loss per image", lambda logits, x, mu, logvar: bce(logits, x) + kl_right(mu, logvar), "expected shape ()"),
     ("a Python float", lambda logits, x, mu, logvar: vae_right(logits, x, mu, logvar).item(), "torch.Tensor"),
     ("a float64 loss", lambda logits, x, mu, logvar: vae_right(logits, x, mu, logvar).double(), "float64")],
)
VAE_LOSS[2].append(("a lookup table of one check's inputs", lookup_table(nb06.vae_loss, vae_right, through_sigmoid),
                    None))


# --- notebook 06, Exercise 4: log-mean-exp -----------------------------------------------------

def lme_right(values):
    top = values.amax(0, keepdim=True)
    return (top + (values - top).exp().mean(0, keepdim=True).log()).squeeze(0)


def shifted_by(shift):
    return lambda values: shift(values) + torch.log(torch.exp(values - shift(values)).mean(0))


def naive_lme(values):
    return torch.log(torch.exp(values).mean(0))


def top_of(values):
    return values.max(0).values


LOG_MEAN_EXP = (
    nb06.log_mean_exp,
    [lme_right,
     lambda values: top_of(values) + torch.log(torch.exp(values - top_of(values)).sum(0)) - math.log(values.shape[0])],
    [("the direct formula", naive_lme, "overflows"),
     ("log-sum-exp: log K forgotten",
      lambda values: top_of(values) + torch.log(torch.exp(values - top_of(values)).sum(0)), "log(sum(exp))"),
     ("shifted by the mean, not the maximum", shifted_by(lambda values: values.mean(0)), "largest value"),
     ("shifted by the first value", shifted_by(lambda values: values[0]), "largest value"),
     ("shifted by the maximum of all the values", shifted_by(lambda values: values.max()), "largest value"),
     ("the maximum not added back", lambda values: torch.log(torch.exp(values - top_of(values)).mean(0)),
      "add it back"),
     ("divided by K - 1",
      lambda values: top_of(values) + torch.log(torch.exp(values - top_of(values)).sum(0) / (len(values) - 1)),
      None),
     ("the maximum alone", top_of, "their maximum"),
     ("keepdim: shape (1, ...)", lambda values: lme_right(values)[None], "expected shape"),
     ("over dimension 1", lambda values: lme_right(values.transpose(0, 1)), None),
     ("log10", lambda values: top_of(values) + torch.log10(torch.exp(values - top_of(values)).mean(0)), None),
     ("values changed in place",
      lambda values: top_of(values) + torch.log(values.sub_(top_of(values)).exp().mean(0)), "in place"),
     ("computed in float64", lambda values: lme_right(values.double()), "float64")],
)
LOG_MEAN_EXP[2].append(("a lookup table of one check's inputs", lookup_table(nb06.log_mean_exp, lme_right, naive_lme),
                        None))


# --- notebook 07, Exercise 1: the discriminator's loss -----------------------------------------

def d_right(real, fake, smoothing=0.0):
    return (1 - smoothing) * F.softplus(-real).mean() + smoothing * F.softplus(real).mean() + F.softplus(fake).mean()


def d_terms(real, fake, smoothing=0.0, reduction="mean"):
    return (F.binary_cross_entropy_with_logits(real, torch.full_like(real, 1 - smoothing), reduction=reduction),
            F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake), reduction=reduction))


def d_log_sigmoid(real, fake, smoothing=0.0):
    """log(sigmoid(t)) and log(sigmoid(-t)): finite at +-60, not beyond -104."""
    return -((1 - smoothing) * torch.log(torch.sigmoid(real)).mean() + smoothing * torch.log(torch.sigmoid(-real))
             .mean() + torch.log(torch.sigmoid(-fake)).mean())


DISCRIMINATOR_LOSS = (
    nb07.discriminator_loss,
    [d_right,
     lambda real, fake, smoothing=0.0: -((1 - smoothing) * F.logsigmoid(real).mean()
                                         + smoothing * F.logsigmoid(-real).mean() + F.logsigmoid(-fake).mean())],
    [("log(sigmoid) and log(1 - sigmoid)",
      lambda real, fake, smoothing=0.0: -((1 - smoothing) * torch.log(torch.sigmoid(real)).mean() + smoothing
                                          * torch.log(1 - torch.sigmoid(real)).mean()
                                          + torch.log(1 - torch.sigmoid(fake)).mean()), "not finite"),
     ("log(sigmoid(t)) and log(sigmoid(-t)): finite at +-60", d_log_sigmoid, "not finite"),
     ("BCE of sigmoid(logits): PyTorch clamps the log at -100",
      lambda real, fake, smoothing=0.0: F.binary_cross_entropy(torch.sigmoid(real),
                                                               torch.full_like(real, 1 - smoothing))
      + F.binary_cross_entropy(torch.sigmoid(fake), torch.zeros_like(fake)), "goes through sigmoid"),
     ("targets swapped", lambda real, fake, smoothing=0.0: sum(d_terms(fake, real, smoothing)), "swapped the targets"),
     ("smoothing on both sides",
      lambda real, fake, smoothing=0.0: d_terms(real, fake, smoothing)[0] + F.binary_cross_entropy_with_logits(
          fake, torch.full_like(fake, smoothing)), "only the real targets move"),
     ("smoothing ignored", lambda real, fake, smoothing=0.0: sum(d_terms(real, fake)), "only the real targets move"),
     ("smoothing as the real target", lambda real, fake, smoothing=0.0: sum(d_terms(real, fake, 1 - smoothing)),
      None),
     ("the default smoothing 0.1", lambda real, fake, smoothing=0.1: sum(d_terms(real, fake, smoothing)), None),
     ("the two terms averaged", lambda real, fake, smoothing=0.0: sum(d_terms(real, fake, smoothing)) / 2, "half"),
     ("one batch of real and fake together",
      lambda real, fake, smoothing=0.0: F.binary_cross_entropy_with_logits(
          torch.cat([real, fake]), torch.cat([torch.full_like(real, 1 - smoothing), torch.zeros_like(fake)])),
      "half"),
     ("summed over the batch", lambda real, fake, smoothing=0.0: sum(d_terms(real, fake, smoothing, "sum")),
      "summed over the batch"),
     ("both sums divided by the real batch size",
      lambda real, fake, smoothing=0.0: sum(d_terms(real, fake, smoothing, "sum")) / len(real), None),
     ("wrong sign", lambda real, fake, smoothing=0.0: -sum(d_terms(real, fake, smoothing)), "wrong sign"),
     ("a float64 loss", lambda real, fake, smoothing=0.0: d_right(real, fake, smoothing).double(), "float64"),
     ("targets made on the CPU",
      lambda real, fake, smoothing=0.0: F.binary_cross_entropy_with_logits(real, torch.full(real.shape, 1 - smoothing))
      + F.binary_cross_entropy_with_logits(fake, torch.zeros(len(fake), 1)), "GPU"),
     ("the logits changed in place",
      lambda real, fake, smoothing=0.0: (1 - smoothing) * F.softplus(real.neg_()).mean()
      + smoothing * F.softplus(-real).mean() + F.softplus(fake).mean(), "in place")],
)
DISCRIMINATOR_LOSS[2].append(("a lookup table of one check's inputs",
                              lookup_table(nb07.discriminator_loss, d_right, d_log_sigmoid), None))


# --- notebook 07, Exercise 2: the encoder's adversarial loss -----------------------------------

def naive_encoder(fake):
    return -torch.log(torch.sigmoid(fake)).mean()


ENCODER_LOSS = (
    nb07.encoder_loss,
    [lambda fake: -F.logsigmoid(fake).mean(), lambda fake: F.softplus(-fake).mean()],
    [("-log(sigmoid(t)): finite at -60, not below -104", naive_encoder, "not finite"),
     ("log1p(exp(-t)): exp overflows", lambda fake: torch.log1p(torch.exp(-fake)).mean(), "not finite"),
     ("BCE of sigmoid(logits): PyTorch clamps the log at -100",
      lambda fake: F.binary_cross_entropy(torch.sigmoid(fake), torch.ones_like(fake)), "goes through sigmoid"),
     ("the saturating loss", lambda fake: torch.log(1 - torch.sigmoid(fake)).mean(), "saturating"),
     ("the saturating loss, from logits", lambda fake: -F.softplus(fake).mean(), "saturating"),
     ("target 0, the discriminator's",
      lambda fake: F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)), "target 0"),
     ("wrong sign", lambda fake: F.logsigmoid(fake).mean(), "wrong sign"),
     ("summed over the batch",
      lambda fake: F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake), reduction="sum"), "summed"),
     ("one loss per code",
      lambda fake: F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake), reduction="none"), "expected shape"),
     ("mean over dimension 0: shape (1,)", lambda fake: F.softplus(-fake).mean(0), "expected shape"),
     ("a Python float", lambda fake: F.softplus(-fake).mean().item(), "torch.Tensor"),
     ("a float64 loss", lambda fake: F.softplus(-fake).mean().double(), "float64"),
     ("target made on the CPU",
      lambda fake: F.binary_cross_entropy_with_logits(fake, torch.ones(fake.shape[0], 1)), "GPU")],
)
ENCODER_LOSS[2].append(("a lookup table of one check's inputs",
                        lookup_table(nb07.encoder_loss, lambda fake: F.softplus(-fake).mean(), naive_encoder), None))


# --- notebook 07, Exercise 3: sampling the mixture prior ---------------------------------------

def centres_of(labels, radius=4.0, turn=10, angle=None):
    angles = 2 * math.pi * labels.float() / turn if angle is None else angle(labels)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def mixture_with(noise, radius_used=None, std_used=None, **centre_options):
    def sample_mixture(labels, radius=4.0, std=0.5):
        radius = radius if radius_used is None else radius_used
        std = std if std_used is None else std_used
        return centres_of(labels, radius, **centre_options) + std * noise(len(labels))
    return sample_mixture


def shared_by_halves(n):
    half = torch.randn(n // 2, 2)
    return torch.cat([half, half, torch.randn(n % 2, 2)])


SAMPLE_MIXTURE = (
    nb07.sample_mixture,
    [lambda labels, radius=4.0, std=0.5: torch.stack(
        [radius * torch.cos(labels * (2 * math.pi / 10)) + std * torch.randn(len(labels)),
         radius * torch.sin(labels * (2 * math.pi / 10)) + std * torch.randn(len(labels))], 1),
     lambda labels, radius=4.0, std=0.5: torch.normal(centres_of(labels, radius), std)],
    [("the same normal draw in both coordinates", mixture_with(lambda n: torch.randn(n, 1)), "move together"),
     ("uniform noise of the right spread", mixture_with(lambda n: (torch.rand(n, 2) - 0.5) * math.sqrt(12)),
      "not normally distributed"),
     ("uniform noise", mixture_with(lambda n: torch.rand(n, 2)), None),
     ("one noise for every sample", mixture_with(lambda n: torch.randn(1, 2)), "the same point"),
     ("half the samples reuse the other half's noise", mixture_with(shared_by_halves), "correlated"),
     ("the variance instead of the standard deviation",
      lambda labels, radius=4.0, std=0.5: centres_of(labels, radius) + std ** 2 * torch.randn(len(labels), 2),
      "spread"),
     ("radius ignored", mixture_with(lambda n: torch.randn(n, 2), radius_used=4.0), "with radius="),
     ("std ignored", mixture_with(lambda n: torch.randn(n, 2), std_used=0.5), "with radius="),
     ("angle 2 pi k / 9 (off by one)", mixture_with(lambda n: torch.randn(n, 2), turn=9), "centred at"),
     ("angles in degrees", mixture_with(lambda n: torch.randn(n, 2), angle=lambda labels: 36.0 * labels), "centred at"),
     ("cos and sin swapped",
      lambda labels, radius=4.0, std=0.5: centres_of(labels, radius).flip(1) + std * torch.randn(len(labels), 2),
      "centred at"),
     ("labels ignored: random components",
      lambda labels, radius=4.0, std=0.5: centres_of(torch.randint(10, labels.shape), radius)
      + std * torch.randn(len(labels), 2), "centred at"),
     ("float64 samples from NumPy",
      lambda labels, radius=4.0, std=0.5: centres_of(labels, radius).double()
      + torch.from_numpy(np.random.default_rng().normal(0, std, (len(labels), 2))), "float64"),
     ("the parameters renamed", lambda labels, r=4.0, s=0.5: centres_of(labels, r) + s * torch.randn(len(labels), 2),
      "unexpected keyword"),
     ("shape (2, n)", lambda labels, radius=4.0, std=0.5: (centres_of(labels, radius)
                                                           + std * torch.randn(len(labels), 2)).T, "expected shape")],
)


TABLES = {"reparameterize": REPARAMETERIZE, "gaussian_kl": GAUSSIAN_KL, "vae_loss": VAE_LOSS,
          "log_mean_exp": LOG_MEAN_EXP, "discriminator_loss": DISCRIMINATOR_LOSS, "encoder_loss": ENCODER_LOSS,
          "sample_mixture": SAMPLE_MIXTURE}


def test_every_exercise_of_notebooks_06_and_07_has_a_table_of_five_wrong_answers():
    exercises = [value for module in (nb06, nb07) for value in vars(module).values()
                 if isinstance(value, Exercise) and not value.build]  # build exercises: test_build_exercise_nbNN
    assert sorted(e.function_name for e in exercises) == sorted(TABLES)
    for name, (exercise, correct, wrong) in TABLES.items():
        assert exercise.function_name == name and correct and len(wrong) >= 5, name


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_the_reference_passes_every_case_for_every_seed(name):
    exercise = TABLES[name][0]
    for seed in SEEDS:
        with drawn_with(seed):
            for case in exercise.cases:
                case.run(exercise.reference, exercise.reference)  # run directly: evaluate() calls it delegation


@pytest.mark.parametrize("name,index", [(name, i) for name, table in TABLES.items() for i in range(len(table[1]))])
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_an_independent_correct_answer_passes_for_every_seed(name, index):
    exercise, correct = TABLES[name][0], TABLES[name][1][index]
    for seed in SEEDS:
        result = exercise.evaluate(correct, seed=seed)
        assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("name,label", [(name, row[0]) for name, table in TABLES.items() for row in table[2]])
def test_a_wrong_answer_is_incorrect(name, label):
    exercise = TABLES[name][0]
    _, wrong, phrase = next(row for row in TABLES[name][2] if row[0] == label)
    for seed in WRONG_SEEDS:
        result = exercise.evaluate(wrong, seed=seed)
        assert result.status == INCORRECT, f"{label} (seed {seed}) passes: {result}"
        assert phrase is None or phrase in str(result), str(result)
