"""Exercises of notebook 05, sparse autoencoders."""
import math

import torch

from .. import losses, sparsity
from .core import Case, Exercise
from .expect import Mistake, close, expect_float_tensor, gradients, on_another_device, ratio, same_shape, seeded


def _sigmoid_codes(n, units, seed):
    return lambda: (torch.sigmoid(torch.randn(n, units, generator=seeded(seed)) * 2 - 2), 0.05)


# --- Exercise 1: the KL sparsity penalty ------------------------------------------------------

def _kl_terms(rho, rho_hat):
    return rho * torch.log(rho / rho_hat), (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))


KL_MISTAKES = [
    Mistake("your penalty is not a single number: sum the KL divergences over the units (shape ())",
            lambda got, expected, codes, rho: got.shape != torch.Size([])),
    Mistake("you kept only rho log(rho / rho_hat): the KL divergence between two Bernoulli distributions also has "
            "the term for the unit being off, (1 - rho) log((1 - rho) / (1 - rho_hat))",
            lambda got, expected, codes, rho: torch.isclose(got, _kl_terms(rho, codes.mean(0))[0].sum(), rtol=1e-4)),
    Mistake("your penalty is KL(rho_hat || rho), the divergence the other way round; the sparsity target rho comes "
            "first: KL(rho || rho_hat)",
            lambda got, expected, codes, rho: torch.isclose(got, sum(_kl_terms(codes.mean(0), torch.tensor(rho)))
                                                           .sum(), rtol=1e-4)),
    Mistake("your penalty compares rho with each image's activations; rho_hat_j is the mean activation of unit j "
            "over the batch (codes.mean(0)): a unit may fire strongly on a few images",
            lambda got, expected, codes, rho: any(torch.isclose(got, value, rtol=1e-4) for value in (
                sum(_kl_terms(rho, codes)).sum(1).mean(), sum(_kl_terms(rho, codes)).sum()))),
    Mistake("your penalty is averaged over the units; Ng's penalty sums over them",
            lambda got, expected, codes, rho: math.isclose(ratio(got, expected), 1 / codes.shape[1], rel_tol=1e-4)),
    Mistake("your penalty has the wrong sign: a KL divergence is never negative, rho log(rho / rho_hat) + "
            "(1 - rho) log((1 - rho) / (1 - rho_hat))",
            lambda got, expected, codes, rho: math.isclose(ratio(got, expected), -1, rel_tol=1e-4)),
    Mistake("your rho_hat averages each image's code over the units (dim 1); rho_hat_j is the mean activation of "
            "unit j over the images of the batch (dim 0)",
            lambda got, expected, codes, rho: torch.isclose(got, sum(_kl_terms(rho, codes.mean(1))).sum(), rtol=1e-4)),
    Mistake("you used one rho_hat for all units (the mean of the whole code); each unit j has its own rho_hat_j, "
            "the mean of column j (codes.mean(0))",
            lambda got, expected, codes, rho: any(torch.isclose(got, value, rtol=1e-4) for value in (
                sum(_kl_terms(rho, codes.mean())), codes.shape[1] * sum(_kl_terms(rho, codes.mean()))))),
    Mistake("your logarithm is not the natural one (torch.log10 or torch.log2?): the KL divergence uses torch.log",
            lambda got, expected, codes, rho: any(math.isclose(ratio(got, expected), 1 / math.log(base), rel_tol=1e-4)
                                                  for base in (10, 2))),
]


def _random_rho(seed):
    """Codes of 48 images and 24 units around a random target rho (from 0.02 to 0.5)."""
    def inputs():
        generator = seeded(seed)
        rho = 0.02 + 0.48 * torch.rand((), generator=generator).item()
        return torch.sigmoid(torch.randn(48, 24, generator=generator) - 1.5), rho
    return inputs


kl_sparsity = Exercise(
    "Exercise 1: the KL sparsity penalty",
    losses.kl_sparsity,
    cases=[
        Case("a batch of 64 sigmoid codes of 100 units, rho = 0.05", inputs=_sigmoid_codes(64, 100, 0),
             mistakes=KL_MISTAKES),
        Case("rho = 0.3 on 16 units", inputs=lambda: (torch.sigmoid(torch.randn(32, 16, generator=seeded(1))), 0.3),
             mistakes=KL_MISTAKES),
        Case("zero when every unit's mean activation is exactly rho",
             inputs=lambda: (torch.full((10, 8), 0.1), 0.1)),
        Case("a random rho on 24 units", inputs=_random_rho(6), mistakes=KL_MISTAKES),
        Case("gradients reach the codes (so the penalty can train the encoder)", inputs=_sigmoid_codes(20, 12, 2),
             observe=gradients(wrt=(0,))),
    ],
    hints=[
        "First rho_hat: one number per unit, the mean of its activations over the images of the batch.",
        "rho_hat = codes.mean(0) has shape (units,). The KL divergence of two Bernoulli distributions with means "
        "rho and rho_hat is rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)).",
        "Compute that for every unit with torch.log (a tensor of shape (units,)) and return its .sum().",
    ],
    same_as=["torch.distributions"],  # kl_divergence, and the private _kl_bernoulli_bernoulli
)


# --- Exercise 2: the top-k activation ----------------------------------------------------------

TOP_K_MISTAKES = [
    Mistake(lambda got, expected, codes, k: f"you returned shape {tuple(got.shape)}: the result keeps the code's shape "
                                            f"{tuple(codes.shape)}, with zeros where values were dropped",
            lambda got, expected, codes, k: got.shape != codes.shape),
    Mistake("you kept the values largest in absolute size; keep the k largest values (a large negative value is "
            "dropped)",
            lambda got, expected, codes, k: torch.equal(got, sparsity.top_k(codes.abs(), k) * codes.sign())),
    Mistake("you kept the k smallest values, not the k largest",
            lambda got, expected, codes, k: torch.equal(got, -sparsity.top_k(-codes, k))),
    Mistake("you set the negative values among the k largest to 0 (a ReLU, or a clamp): top_k keeps them as they "
            "are; the ReLU after it, not top_k, removes them",
            lambda got, expected, codes, k: bool((expected < 0).any()) and torch.allclose(got, expected.clamp(min=0))),
    Mistake("you kept the k largest values of each column (dim 0), across the images; keep the k largest of each "
            "row (dim 1), each image's own code",
            lambda got, expected, codes, k: torch.equal(got, sparsity.top_k(codes.T.contiguous(), k).T)),
    Mistake(lambda got, expected, codes, k: f"some rows keep {int((got != 0).sum(1).min())} to "
                                            f"{int((got != 0).sum(1).max())} values; "
                                            f"every row must keep exactly k = {k}",
            lambda got, expected, codes, k: not torch.equal((got != 0).sum(1), (expected != 0).sum(1))),
]


def _random_codes(n, units, seed):
    return lambda: (torch.randn(n, units, generator=seeded(seed)), 5)


def _tied_codes():
    codes = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.5], [2.0, 2.0, 3.0, 3.0, 3.0]])
    return codes, 2


def _many_ties():
    """Whole numbers from -3 to 3 (never 0), so that most rows tie at their k-th largest value."""
    generator = seeded(9)
    size = torch.randint(1, 4, (8, 10), generator=generator).float()
    sign = torch.randint(0, 2, (8, 10), generator=generator) * 2 - 1
    return size * sign, 4


def _negative_codes():
    """Codes mostly below 0: many of each row's k largest values are negative."""
    return torch.randn(6, 12, generator=seeded(10)) - 2.5, 5


def _count_kept(got, expected, what):
    expect_float_tensor(got, expected.shape, what)
    kept, wanted = (got != 0).sum(1), (expected != 0).sum(1)  # no code value is 0 in these cases
    if not torch.equal(kept, wanted):
        row = int((kept != wanted).nonzero()[0])
        raise AssertionError(f"row {row} keeps {int(kept[row])} values: every row must keep exactly k = "
                             f"{int(wanted[row])}, also when values tie (break ties by position)")
    if not torch.equal(got.detach().sort(1).values, expected.sort(1).values):
        raise AssertionError("the kept values must be each row's k largest, copied from the codes unchanged")


def _keeps_device(answer):
    on_another_device(answer, (torch.rand(4, 10), 3),
                      "your function makes a new tensor on the CPU whatever the device of codes: make it like the "
                      "codes (torch.zeros_like(codes)), or pass device=codes.device")


top_k = Exercise(
    "Exercise 2: the top-k activation",
    sparsity.top_k,
    cases=[
        Case("8 codes of 50 units, k = 5", inputs=_random_codes(8, 50, 0), mistakes=TOP_K_MISTAKES),
        Case("k = 1 keeps each row's maximum", inputs=lambda: (torch.randn(4, 10, generator=seeded(1)), 1),
             mistakes=TOP_K_MISTAKES),
        Case("ties: still exactly k values per row", inputs=_tied_codes, compare=_count_kept),
        Case("many ties, negative values too: exactly k values per row", inputs=_many_ties, compare=_count_kept),
        Case("negative values among the k largest are kept", inputs=_negative_codes, mistakes=TOP_K_MISTAKES),
        Case("gradients flow through the kept values only", inputs=_random_codes(3, 20, 2),
             observe=gradients(wrt=(0,))),
        Case("keeps the dtype and shape (N, units)",
             inputs=lambda: (torch.randn(2, 7, generator=seeded(3)).double(), 3),
             compare=same_shape()),
        Case("works on any device (makes its result on the codes' device)", _keeps_device),
    ],
    hints=[
        "torch.topk(codes, k, dim=1) gives the k largest values of each row and their positions (indices).",
        "Start from torch.zeros_like(codes) and put the kept values back at their positions: tensor.scatter(1, "
        "indices, values) writes values into columns `indices` of each row.",
        "index = codes.topk(k, dim=1).indices; return torch.zeros_like(codes).scatter(1, index, "
        "codes.gather(1, index)).",
    ],
)


# --- Exercise 3: dead units --------------------------------------------------------------------

DEAD_MISTAKES = [
    Mistake("you counted the zeros of the whole code, image by image; a unit is dead when it is zero on *every* "
            "image (look along dim 0, then average over units)",
            lambda got, expected, codes: math.isclose(got, (codes <= 0).float().mean().item(), rel_tol=1e-6)),
    Mistake("you counted units that are zero on *some* image; a dead unit is zero on all of them",
            lambda got, expected, codes: math.isclose(got, (codes <= 0).any(0).float().mean().item(), rel_tol=1e-6)),
    Mistake("you returned the fraction of live units: a dead unit is one that never fires",
            lambda got, expected, codes: math.isclose(got, 1 - expected, rel_tol=1e-6) and expected != 0.5),
    Mistake("you counted as dead only the units that are exactly 0 on every image (a zero sum, or no nonzero value); "
            "a unit is dead when it is above 0 on no image: negative values do not fire either, so a unit that is "
            "negative or 0 everywhere is dead",
            lambda got, expected, codes: any(math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-9) for value in (
                (codes.sum(0) == 0).float().mean().item(), (codes != 0).any(0).logical_not().float().mean().item()))),
    Mistake("you counted a unit as firing where it is 0 (>= 0); a unit fires only where it is above 0 (> 0)",
            lambda got, expected, codes: math.isclose(got, (codes >= 0).any(0).logical_not().float().mean().item(),
                                                      rel_tol=1e-6, abs_tol=1e-9)),
    Mistake("you looked along the wrong dimension: units are the columns of codes (dim 1), images its rows; a unit is "
            "dead when its whole column is never above 0 (reduce over dim 0)",
            lambda got, expected, codes: math.isclose(got, (codes > 0).any(1).logical_not().float().mean().item(),
                                                      rel_tol=1e-6, abs_tol=1e-9)),
    Mistake("you returned a number of units, not a fraction: divide by the number of units (columns)",
            lambda got, expected, codes: expected > 0 and math.isclose(got, expected * codes.shape[1], rel_tol=1e-6)),
    Mistake("you divided by the number of images (rows); the fraction is over the units (columns)",
            lambda got, expected, codes: expected > 0 and math.isclose(got, expected * codes.shape[1] / codes.shape[0],
                                                                       rel_tol=1e-6)),
]

DEAD_MISTAKES = [Mistake(m.message, lambda got, expected, codes, _looks_like=m.looks_like: not math.isclose(
    float(got), expected, rel_tol=1e-6, abs_tol=1e-9) and _looks_like(got, expected, codes))
    for m in DEAD_MISTAKES]  # the right value in the wrong type (a tensor) is none of these mistakes


def _python_float(got, expected, what):
    """The statement asks for a Python float, and the hidden test checks ``isinstance(result, float)``."""
    if isinstance(got, torch.Tensor) or isinstance(got, bool) or not isinstance(got, float):
        raise AssertionError(f"you returned {type(got).__name__} {got!r:.60}: return a Python float (a tensor's "
                             ".item() gives one), as the exercise asks")
    close(rtol=1e-6, atol=1e-9)(got, expected, what)


def _pre_activations():
    """Codes with negative values (which do not fire either): some units are negative or 0 on every image."""
    codes = torch.randn(100, 30, generator=seeded(11))
    dead = torch.randperm(30, generator=seeded(12))[:9]
    codes[:, dead] = -codes[:, dead].abs()  # never above 0
    codes[::3, dead[:3]] = 0.0  # some of them exactly 0 on some images
    return (codes,)


def _random_dead(seed):
    """ReLU codes with a random set of dead units, live units that fire on one image only, and a few images on
    which no unit fires."""
    def inputs():
        generator = seeded(seed)
        codes = torch.relu(torch.randn(60, 25, generator=generator))
        order = torch.randperm(25, generator=generator)
        dead, rare = order[:int(torch.randint(1, 13, (), generator=generator))], order[-3:]
        codes[:, rare] = 0
        codes[torch.randint(10, 60, (3,), generator=generator), rare] = 0.5  # alive, barely
        codes[:, dead] = 0
        codes[:int(torch.randint(1, 10, (), generator=generator))] = 0  # images on which nothing fires
        return (codes,)
    return inputs


def _with_dead_units():
    codes = torch.relu(torch.randn(200, 40, generator=seeded(4)))
    codes[:, ::4] = 0  # every fourth unit never fires
    codes[:150, 1] = 0  # unit 1 fires on a few images only: alive
    return (codes,)


dead_fraction = Exercise(
    "Exercise 3: dead units",
    sparsity.dead_fraction,
    cases=[
        Case("a small example: unit 2 never fires", inputs=lambda: (torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]),),
             compare=_python_float, mistakes=DEAD_MISTAKES),
        Case("200 codes of 40 units, every fourth one dead", inputs=_with_dead_units, compare=_python_float,
             mistakes=DEAD_MISTAKES),
        Case("no dead unit", inputs=lambda: (torch.rand(5, 6, generator=seeded(5)) + 0.1,), compare=_python_float,
             mistakes=DEAD_MISTAKES),
        Case("negative values do not fire: a unit negative or 0 on every image is dead", inputs=_pre_activations,
             compare=_python_float, mistakes=DEAD_MISTAKES),
        Case("60 codes of 25 units: some dead, some alive on one image only", inputs=_random_dead(13),
             compare=_python_float, mistakes=DEAD_MISTAKES),
    ],
    hints=[
        "A unit is a column of codes. It is alive if it is > 0 on at least one image (row).",
        "(codes > 0).any(dim=0) says, for each unit, whether it ever fires.",
        "Invert that with ~, convert to float and take the mean: the fraction of units that never fire.",
    ],
    same_as=["aecourse.sparsity.active"],
)
