"""Exercises of notebook 05, sparse autoencoders."""
import math

import torch

from .. import losses, sparsity
from .core import Case, Exercise
from .expect import (
    Mistake,
    call,
    close,
    drawn,
    expect_float_tensor,
    gradients,
    keeps_dtype,
    on_another_device,
    ratio,
    same_shape,
    seeded,
)
from .questions import Question


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


# --- Exercise 4: the auxiliary loss for dead latents, AuxK (the build exercise) -----------------------

def aux_k_loss_reference(pre_activations, dead, residual, decoder, k_aux):
    """AuxK (Gao et al. 2024, appendix A.2): how well the ``k_aux`` dead latents with the largest pre-activations
    reconstruct the residual e = x - x_hat of the main reconstruction.

    pre_activations (B, latents), dead a boolean mask (latents,), residual (B, d), decoder an
    nn.Linear(latents, d). Returns ||e - e_hat||^2 summed over the d dimensions and averaged over the batch, a 0-d
    tensor, with e_hat = W z (the decoder's weight, no bias) and z the top-k_aux dead latents after a ReLU; 0 when
    no latent is dead. Its gradient reaches the dead latents' pre-activations and decoder columns only.
    """
    k = min(k_aux, int(dead.sum()))                 # every dead latent when fewer than k_aux are dead
    if k == 0:
        return pre_activations.new_zeros(())        # nothing to revive
    candidates = pre_activations.masked_fill(~dead, float("-inf"))  # a live latent is never chosen
    values, index = candidates.topk(k, dim=1)       # (B, k): each row's k largest dead pre-activations
    latents = torch.zeros_like(pre_activations).scatter(1, index, values.relu())  # (B, latents), ReLU as in TopK
    estimate = latents @ decoder.weight.T           # e_hat = W z, (B, d): the bias is in the main reconstruction
    target = residual.detach()                      # a target: the loss trains the dead latents, nothing else
    return (target - estimate).pow(2).sum(1).mean()


def _decoder(weight, bias):
    """A fresh nn.Linear(latents, d) holding ``weight`` (d, latents) and ``bias`` (d,); no random draw."""
    decoder = torch.nn.utils.skip_init(torch.nn.Linear, weight.shape[1], weight.shape[0], dtype=weight.dtype)
    with torch.no_grad():
        decoder.weight.copy_(weight)
        decoder.bias.copy_(bias)
    return decoder


def _aux_loss_of(function, pre_activations, dead, residual, weight, bias, k_aux):
    """``observe``: the loss ``function`` returns (via ``call``, which fails in-place changes), given the decoder as
    a layer; a decoder whose weight or bias it changed fails too."""
    decoder = _decoder(weight, bias)
    result = call(function, pre_activations, dead, residual, decoder, k_aux)
    if not (torch.equal(decoder.weight.detach(), weight) and torch.equal(decoder.bias.detach(), bias)):
        raise AssertionError("your function changed the decoder's weight or bias in place; read them, do not "
                             "change them")
    return result


def _aux_variant(select="dead", relu=True, bias=False, target="residual", reduce="sum", detach=True):
    """The auxiliary loss written with one of the usual mistakes (the mistakes below compare with it)."""
    def loss(pre_activations, dead, residual, decoder, k_aux):
        hidden = pre_activations.masked_fill(~dead, float("-inf"))
        if select == "all":  # the top k_aux of all latents
            values, index = pre_activations.topk(k_aux, dim=1)
        elif select == "all, then the dead ones":  # the top k_aux of all latents, the live ones among them zeroed
            values, index = pre_activations.topk(k_aux, dim=1)
            values = values * dead[index]
        elif select == "every dead one":
            values, index = hidden.topk(int(dead.sum()), dim=1)
        elif select == "at least the k-th":  # a threshold at the k-th largest: ties keep more than k_aux
            kth = hidden.topk(max(1, min(k_aux, int(dead.sum()))), dim=1).values[:, -1:]
            keep = dead & (pre_activations >= kth)
            values, index = pre_activations.where(keep, torch.zeros_like(pre_activations)), None
        else:
            values, index = hidden.topk(min(k_aux, int(dead.sum())), dim=1)
        values = values.relu() if relu else values
        latents = values if index is None else torch.zeros_like(pre_activations).scatter(1, index, values)
        estimate = decoder(latents) if bias else latents @ decoder.weight.T
        residual = residual.detach() if detach else residual
        error = {"residual": residual - estimate, "none": estimate, "plus": residual + estimate}[target]
        return error.pow(2).sum(1).mean() if reduce == "sum" else error.pow(2).mean()
    return loss


def _like_value(variant):
    """``looks_like``: the answer returned what ``variant`` returns on the same inputs."""
    def looks_like(got, expected, pre_activations, dead, residual, weight, bias, k_aux):
        wrong = variant(pre_activations, dead, residual, _decoder(weight, bias), k_aux)
        return (isinstance(got, torch.Tensor) and got.shape == torch.Size([])
                and torch.isclose(got.detach().double(), wrong.detach().double(), rtol=1e-4, atol=1e-6)
                and not torch.isclose(wrong.detach().double(), expected.double(), rtol=1e-4, atol=1e-6))
    return looks_like


def _any(*checks):
    return lambda *args: any(check(*args) for check in checks)


AUX_MISTAKES = [
    Mistake(lambda got, expected, *inputs: f"you returned shape {tuple(got.shape)}: the loss is one number, a 0-d "
                                           "tensor (sum over the d dimensions, then the mean over the batch)",
            lambda got, expected, *inputs: got.shape != torch.Size([])),
    Mistake("you chose the k_aux largest pre-activations among all the latents; AuxK chooses among the dead "
            "latents only (the live ones already make the main reconstruction): hide the live latents from the "
            "top-k, e.g. with -inf",
            _any(_like_value(_aux_variant(select="all")), _like_value(_aux_variant(select="all, then the dead ones")))),
    Mistake("you decoded every dead latent; keep only each row's k_aux largest dead pre-activations",
            _like_value(_aux_variant(select="every dead one"))),
    Mistake("the ReLU is missing: a negative pre-activation among the chosen dead latents must give 0, as in the "
            "main code (top-k, then ReLU)", _like_value(_aux_variant(relu=False))),
    Mistake("you added the decoder's bias (decoder(z)): the auxiliary reconstruction is e_hat = W z with "
            "decoder.weight only; the bias is already in the main reconstruction, so the residual has none to "
            "explain", _like_value(_aux_variant(bias=True))),
    Mistake("the dead latents reconstruct the residual e = x - x_hat, what the main reconstruction missed: the loss "
            "is ||e - e_hat||^2, not the size of e_hat alone nor of e + e_hat",
            _any(_like_value(_aux_variant(target="none")), _like_value(_aux_variant(target="plus")))),
    Mistake("your loss is the mean over the d dimensions: sum the squared error over the dimensions of each input, "
            "then average over the batch",
            lambda got, expected, pre, dead, residual, *rest: math.isclose(ratio(got, expected) * residual.shape[1],
                                                                           1, rel_tol=1e-4)),
    Mistake("your loss is batch-size times too large: sum over the d dimensions, but average over the inputs of "
            "the batch",
            lambda got, expected, pre, dead, residual, *rest: math.isclose(ratio(got, expected), len(residual),
                                                                           rel_tol=1e-4)),
]

NO_DEAD = Mistake("with no dead latent there is nothing to reconstruct the residual with: return 0 (a 0-d tensor "
                  "of the pre-activations' dtype), not ||e||^2",
                  lambda got, expected, pre, dead, residual, *rest: math.isclose(
                      float(got.detach()), float(residual.pow(2).sum(1).mean()), rel_tol=1e-4))

TIES = Mistake("keep exactly k_aux dead latents per row, also when their values tie (torch.topk breaks ties): a "
               "threshold at the k-th largest value keeps every tied one", _like_value(_aux_variant(
                   select="at least the k-th")))


def _inputs(batch, latents, d, dead, k_aux, dtype=torch.float32, shift=0.3, seed=0):
    """Pre-activations (the dead latents' ``shift`` lower, so that some chosen ones are negative), ``dead`` dead
    latents at random places, a residual, and the decoder's weight (unit-length columns) and bias."""
    generator = seeded(seed)
    mask = torch.zeros(latents, dtype=torch.bool)
    mask[torch.randperm(latents, generator=generator)[:dead]] = True
    pre_activations = torch.randn(batch, latents, generator=generator) - shift * mask
    residual = torch.randn(batch, d, generator=generator)
    weight = torch.nn.functional.normalize(torch.randn(d, latents, generator=generator), dim=0)
    bias = torch.randn(d, generator=generator)
    return (pre_activations.to(dtype), mask, residual.to(dtype), weight.to(dtype), bias.to(dtype), k_aux)


def _random_sizes(seed):
    """Sizes drawn anew for every check, in float64."""
    def inputs():
        batch, latents, d, k_aux = drawn(seed, 2, 12, 4)
        latents += 12
        dead = drawn(seed + 1, k_aux + 1, latents, 1)[0]
        return _inputs(batch, latents, d, dead, k_aux, dtype=torch.float64, seed=seed + 2)
    return inputs


def _tied():
    """Whole-number pre-activations, so that rows tie at their k_aux-th largest dead value; the dead latents share
    one decoder column, so whichever tied latent is chosen, the loss is the same (only their number counts)."""
    pre_activations, dead, residual, weight, bias, _ = _inputs(8, 12, 4, 6, 3, seed=30)
    generator = seeded(31)
    pre_activations = torch.randint(-2, 4, (8, 12), generator=generator).float()
    pre_activations[0, dead.nonzero().squeeze(1)] = torch.tensor([2.0, 1.0, 1.0, 1.0, 0.0, -1.0])  # a tie at the 3rd
    weight[:, dead] = weight[:, dead][:, :1]
    return pre_activations, dead, residual, weight, bias, 3


def _value_case(description, inputs, mistakes=AUX_MISTAKES):
    return Case(description, inputs=inputs, observe=_aux_loss_of, compare=keeps_dtype(close()), mistakes=mistakes)


# gradients in a training step: the residual is computed from the main top-k code, still attached to the graph

def _training_gradients(function, pre_activations, dead, inputs, weight, bias, k_aux, k):
    """``observe``: the gradients of the auxiliary loss with respect to the pre-activations, the decoder's weight and
    its bias, when the residual e = x - decoder(top-k code) comes straight from the main reconstruction."""
    pre_activations = pre_activations.detach().clone().requires_grad_(True)
    decoder = _decoder(weight, bias)
    index = pre_activations.topk(k, dim=1).indices
    code = torch.zeros_like(pre_activations).scatter(1, index, pre_activations.gather(1, index)).relu()
    residual = inputs - decoder(code)  # attached, as in training
    loss = function(pre_activations, dead, residual, decoder, k_aux)
    if not isinstance(loss, torch.Tensor) or loss.shape != torch.Size([]):
        raise AssertionError("return the loss as a 0-d tensor")
    if loss.grad_fn is None:
        raise AssertionError("your loss is not connected to the pre-activations and the decoder, so backward() cannot "
                             "train the dead latents with it: compute it with torch operations (no .item(), NumPy "
                             "or .detach() of the pre-activations or the decoder's weight)")
    loss.backward()
    return tuple(torch.zeros_like(p) if p.grad is None else p.grad.detach()
                 for p in (pre_activations, decoder.weight, decoder.bias))


def _same_gradients(got, expected, what):
    for part, g, e in zip(("the pre-activations", "the decoder's weight", "the decoder's bias"), got, expected):
        if not torch.allclose(g, e, rtol=1e-4, atol=1e-6):
            raise AssertionError(f"the gradient of your loss with respect to {part} is not the auxiliary loss's")


def _reaches_live(got, expected, pre_activations, dead, *rest):
    return bool(got[0][:, ~dead].abs().max() > 1e-7 or got[1][:, ~dead].abs().max() > 1e-7)


def _gradient_mistakes():
    def not_detached(got, expected, *inputs):
        wrong = _training_gradients(_aux_variant(detach=False), *inputs)
        return all(torch.allclose(g, w, rtol=1e-4, atol=1e-6) for g, w in zip(got, wrong))
    return [
        Mistake("the gradient reaches the live latents and the decoder's bias through the residual: in training the "
                "residual x - x_hat is still attached to the main reconstruction's graph; it is a target here, so "
                "detach it (residual.detach()), and the auxiliary loss trains the dead latents only", not_detached),
        Mistake("the gradient of your loss reaches live latents (their pre-activations or decoder columns): only the "
                "dead latents may take part in the auxiliary reconstruction, and the residual is a fixed target",
                _reaches_live),
        Mistake("the gradient of your loss reaches the decoder's bias: decode with decoder.weight only (e_hat = W z)",
                lambda got, expected, *inputs: bool(got[2].abs().max() > 1e-7)),
    ]


def _training_step(seed):
    def inputs():
        pre_activations, dead, _, weight, bias, k_aux = _inputs(6, 30, 5, 12, 4, shift=0.0, seed=seed)
        x = torch.randn(6, 5, generator=seeded(seed + 1))
        return pre_activations, dead, x, weight, bias, k_aux, 5  # top-5 main code
    return inputs


aux_k_loss = Exercise(
    "Exercise 4: the auxiliary loss for dead latents",
    aux_k_loss_reference,
    cases=[
        _value_case("6 inputs, 40 latents of which 15 are dead, d = 8, k_aux = 5", lambda: _inputs(6, 40, 8, 15, 5)),
        _value_case("random sizes, float64: the loss keeps the dtype", _random_sizes(10)),
        _value_case("fewer dead latents than k_aux (3 dead, k_aux = 8): all of them",
                    lambda: _inputs(5, 20, 6, 3, 8, seed=20)),
        _value_case("no dead latent: the loss is 0", lambda: _inputs(4, 10, 3, 0, 4, dtype=torch.float64, seed=25),
                    mistakes=[AUX_MISTAKES[0], NO_DEAD, *AUX_MISTAKES[1:]]),
        Case("ties: exactly k_aux dead latents per row", inputs=_tied, observe=_aux_loss_of,
             compare=keeps_dtype(close()), mistakes=[TIES, *AUX_MISTAKES]),
        Case("in a training step the gradient reaches the dead latents only (pre-activations and decoder columns)",
             inputs=_training_step(40), observe=_training_gradients, compare=_same_gradients,
             mistakes=_gradient_mistakes()),
    ],
    hints=[
        "Four steps: hide the live latents, choose each row's k_aux largest dead pre-activations (ReLU them, as the "
        "main code does), decode them with the decoder's weight alone, and take the squared error against the "
        "residual.",
        "pre_activations.masked_fill(~dead, float('-inf')) hides the live latents from .topk(k, dim=1), with "
        "k = min(k_aux, int(dead.sum())); return pre_activations.new_zeros(()) when k is 0. Detach the residual.",
        "Put the ReLU'd values back with torch.zeros_like(pre_activations).scatter(1, index, values.relu()), decode "
        "with latents @ decoder.weight.T, and return (residual.detach() - e_hat).pow(2).sum(1).mean().",
    ],
    same_as=["aecourse.sparsity.top_k"],  # the selection among the dead latents is the exercise
    build=True,
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: Where each penalty stops pulling",
    "b",
    "For a ReLU code, unit j's L1 term is lambda ||W_j|| times its mean activation: a straight line with the same "
    "slope at every mean, so on every image each positive activation keeps paying until the ReLU makes it exactly "
    "0. KL(rho || rho_hat_j) is a curve with its minimum, 0, at rho_hat_j = rho: its slope there is 0, and a unit "
    "quieter than rho is pushed back up. Section 3's table shows the consequences: the L1 code has exact zeros (its "
    "L0 counts values above 0) and, in the run its text describes, 5.3 % dead units against none for KL, whose "
    "sigmoid units all stay alive and, never exactly 0, weakly on (its L0 has to count values above 0.1).",
    choices={
        "a": "Both do: each penalty sees only the unit's average activity, and each pulls that average towards 0.",
        "b": "Only L1 does: each positive activation keeps paying in proportion to its value until it is exactly 0, "
             "while the KL term has its minimum at rho_hat_j = rho.",
        "c": "Only KL does: it grows steeply as rho_hat_j moves away from rho, so its pull is far stronger than "
             "L1's constant one.",
        "d": "Neither does: 0.05 is the sparsity both penalties aim at, so the unit has reached its target.",
    },
    why_not={
        "a": "seeing only the average is not the same as pulling it to 0. Write each penalty as a function of "
             "rho_hat_j alone and ask where its slope is 0: a penalty with its minimum at some rho stops pulling "
             "there, and pushes back on the other side",
        "c": "steep far from rho says nothing about the pull at rho itself. KL(rho || rho_hat_j) is 0 at "
             "rho_hat_j = rho and larger on both sides, so that is its minimum, where its slope is 0: it pulls a "
             "unit towards rho from either side, never past it",
        "d": "only the KL term has a target. The L1 term has none: it is lowest when the unit never fires, and "
             "its slope does not change with the mean, so reaching 0.05 changes nothing for it",
    },
)

q2 = Question(
    "Question 2: Busy and idle top-k units",
    "b",
    "Top-k keeps the k largest values of each row of the code, one image, and nothing limits a column, one unit: a "
    "unit that draws a stroke many digits share wins on many images, others win rarely and some never (the "
    "explorer puts dead units last). Only the average of the shares over the 1,000 units is fixed, at L0 / 1,000, "
    "at most 25 / 1,000 = 2.5 %, so a few busy units are balanced by many idle ones. That is the opposite of the "
    "KL penalty, which sets each unit's average activity, and the reason top-k needs its remedies against dead "
    "units.",
    choices={
        "a": "Every unit is active on about 2.5 % of the images: with 25 of the 1,000 units on each image, top-k "
             "shares the work out evenly.",
        "b": "The first ranks are active on many times 2.5 % of the images, and further down the shares fall well "
             "below it, to 0 or nearly at the last ranks: top-k fixes how many units each image uses, not how often "
             "each unit fires.",
        "c": "No unit is active on more than 2.5 % of the images: 25 of 1,000 is the most any unit may fire under "
             "top-k.",
        "d": "The shares fall from rank to rank and add up to 100 %: top-k shares each image out among the units.",
    },
    why_not={
        "a": "top-k limits each row of the code, one image's 1,000 values, to 25; nothing in it limits a column, "
             "one unit's values over the images. Read the caption at rank 0 and at rank 500 and compare",
        "c": "2.5 % is 25 / 1,000, what the units' shares average to, not a cap on each unit: top-k limits how many "
             "units one image may use, and one unit may win on most images. Read the caption at rank 0",
        "d": "each image counts once for every one of its 25 active units, so the shares add up to 25 (2,500 %), "
             "the mean number of active units per image, not to 1. Add up the shares of the first few ranks",
    },
)

q3 = Question(
    "Question 3: What the main loss sends the dead latents",
    "a",
    "A dead latent is 0 in every code of these images: the top-k drops it, or keeps it with a value that the ReLU "
    "sets to 0. Either way a small change to its pre-activation leaves the code, and so ||e||^2, "
    "exactly as it was, so its gradient is exactly 0; the cell prints 0 for the main loss and a gradient from the "
    "auxiliary loss, which chooses among the dead latents on purpose. Gradient descent on the main loss alone "
    "therefore never brings a dead latent back: that is what the revival and AuxK are for.",
    choices={
        "a": "Exactly 0: a dead latent is 0 in every code, dropped by the top-k or set to 0 by the ReLU, and "
             "neither passes any gradient to a value it sets to 0.",
        "b": "Exactly 0: the dead latents' decoder columns have shrunk to 0 during training, so nothing they do "
             "reaches the reconstruction.",
        "c": "Small but not 0: a dead latent's pre-activation still takes part in deciding which 8 latents are "
             "kept, so the loss depends on it a little.",
        "d": "As large as what the live latents get, or larger: the reconstruction misses what the dictionary "
             "lacks, and the dead latents are free to supply it.",
    },
    why_not={
        "b": "the number is right but not the reason: this dictionary decodes with unit-length columns "
             "(F.normalize in decode, and in the layer the cell builds), so a dead latent's column is as long as "
             "any other. What stops the gradient happens before the decoder",
        "c": "which 8 latents are kept changes only when the ranking of the pre-activations changes, and then by a "
             "jump; a small change to a latent that is not kept leaves the code exactly as it was. Choosing "
             "passes no gradient, whatever it chooses",
        "d": "a gradient does not know which latents could help: it says how the loss changes when a "
             "pre-activation changes a little, and the main loss changes only through the values in the code. "
             "Telling the dead latents what they could add is the auxiliary loss's job",
    },
)
