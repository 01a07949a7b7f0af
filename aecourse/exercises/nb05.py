"""Exercises of notebook 05, sparse autoencoders."""
import math

import torch

from .. import losses, sparsity
from .core import Case, Exercise
from .expect import Mistake, exact_int, gradients, ratio, same_shape, seeded


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
]

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
        Case("gradients reach the codes (so the penalty can train the encoder)", inputs=_sigmoid_codes(20, 12, 2),
             observe=gradients(wrt=(0,))),
    ],
    hints=[
        "First rho_hat: one number per unit, the mean of its activations over the images of the batch.",
        "rho_hat = codes.mean(0) has shape (units,). The KL divergence of two Bernoulli distributions with means "
        "rho and rho_hat is rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)).",
        "Compute that for every unit with torch.log (a tensor of shape (units,)) and return its .sum().",
    ],
    same_as=["torch.distributions.kl.kl_divergence"],
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


def _count_kept(got, expected, what):
    if got.shape != expected.shape:
        raise AssertionError(f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
    exact_int()(int((got != 0).sum()), int((expected != 0).sum()), "values kept")
    kept = got[got != 0]
    if not torch.all(torch.isin(kept, torch.tensor([1.0, 2.0, 3.0]))):
        raise AssertionError("kept values must be copied from the codes unchanged")


top_k = Exercise(
    "Exercise 2: the top-k activation",
    sparsity.top_k,
    cases=[
        Case("8 codes of 50 units, k = 5", inputs=_random_codes(8, 50, 0), mistakes=TOP_K_MISTAKES),
        Case("k = 1 keeps each row's maximum", inputs=lambda: (torch.randn(4, 10, generator=seeded(1)), 1),
             mistakes=TOP_K_MISTAKES),
        Case("ties: still exactly k values per row", inputs=_tied_codes, compare=_count_kept),
        Case("gradients flow through the kept values only", inputs=_random_codes(3, 20, 2),
             observe=gradients(wrt=(0,))),
        Case("keeps the dtype and shape (N, units)",
             inputs=lambda: (torch.randn(2, 7, generator=seeded(3)).double(), 3),
             compare=same_shape()),
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
]


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
             mistakes=DEAD_MISTAKES),
        Case("200 codes of 40 units, every fourth one dead", inputs=_with_dead_units, mistakes=DEAD_MISTAKES),
        Case("no dead unit", inputs=lambda: (torch.rand(5, 6, generator=seeded(5)) + 0.1,), mistakes=DEAD_MISTAKES),
    ],
    hints=[
        "A unit is a column of codes. It is alive if it is > 0 on at least one image (row).",
        "(codes > 0).any(dim=0) says, for each unit, whether it ever fires.",
        "Invert that with ~, convert to float and take the mean: the fraction of units that never fire.",
    ],
    same_as=["aecourse.sparsity.active"],
)
