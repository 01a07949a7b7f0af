"""Exercises of notebook 02, PCA, Logistic PCA and autoencoders."""
import math
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch.overrides import TorchFunctionMode

from .. import losses
from .core import Case, Exercise
from .expect import Mistake, call, finite_and_close, gradients, keeps_dtype, ratio, seeded
from .questions import Question


def _data(n, d, seed):
    """Points with distinct variances per axis, so the principal subspace is well defined."""
    g = seeded(seed)
    scales = torch.linspace(3, 0.2, d)
    return torch.randn(n, d, generator=g) * scales + torch.rand(d, generator=g)


# --- Exercise 1: PCA reconstruction with an SVD (the build exercise) ---------------------------

def pca_reconstruct_reference(X_train, X_test, k):
    """Reconstruct X_test from its projection on the top-k principal components of X_train."""
    mean = X_train.mean(0)
    components = torch.linalg.svd(X_train - mean, full_matrices=False).Vh[:k]  # (k, D)
    return (X_test - mean) @ components.T @ components + mean


def _uncentred(X_train, X_test, k):
    components = torch.linalg.svd(X_train, full_matrices=False).Vh[:k]
    return X_test @ components.T @ components


IGNORES_MEAN = Mistake(
    "your reconstruction ignores the mean: centre X_train before the SVD, and add the mean back after projecting",
    lambda got, expected, X_train, X_test, k: (torch.allclose(got.float(), _uncentred(X_train, X_test, k), atol=1e-3)
                                               and not torch.allclose(got.float(), expected, atol=1e-3)))


def _variant(X_train, X_test, k, components=lambda Vh, k: Vh[:k], means=lambda X_train, X_test: (X_train.mean(0),) * 2,
             add_back=True, fitted_on=lambda X_train, X_test: X_train):
    """PCA's reconstruction with one step done differently: which rows of Vh, which means, fitted on what."""
    fitted = fitted_on(X_train, X_test)
    train_mean, test_mean = means(fitted, X_test)
    C = components(torch.linalg.svd(fitted - train_mean, full_matrices=False).Vh, k)
    projected = (X_test - test_mean) @ C.T @ C
    return projected + test_mean if add_back else projected


def _pca_mistake(message, **variant):
    return Mistake(message, lambda got, expected, X_train, X_test, k: (
        not torch.allclose(got.float(), expected, atol=1e-3)
        and torch.allclose(got.float(), _variant(X_train, X_test, k, **variant), atol=1e-3)))


PCA_MISTAKES = [
    IGNORES_MEAN,
    _pca_mistake("you projected the centred test data but did not add the mean back: the reconstruction lives where "
                 "the data do, around the mean", add_back=False),
    _pca_mistake("the principal directions are the rows of Vh (Vh[:k]), not its columns",
                 components=lambda Vh, k: Vh[:, :k].T),
    _pca_mistake("you kept the last k rows of Vh, the directions of smallest variance: torch.linalg.svd sorts them by "
                 "decreasing singular value, so the largest variance comes first (Vh[:k])",
                 components=lambda Vh, k: Vh[-k:]),
    _pca_mistake("you centred X_test with its own mean: PCA is fitted on X_train, so centre (and shift back) the test "
                 "data with the training mean", means=lambda X_train, X_test: (X_train.mean(0), X_test.mean(0))),
    _pca_mistake("you fitted PCA on X_test: fit the mean and the components on X_train, then reconstruct X_test "
                 "with them", fitted_on=lambda X_train, X_test: X_test),
    _pca_mistake("you subtracted the mean of each point (over its features): subtract the mean over the training "
                 "points of each feature, X_train.mean(0), of shape (D,)",
                 means=lambda X_train, X_test: (X_train.mean(1, keepdim=True), X_test.mean(1, keepdim=True))),
    _pca_mistake("you subtracted one mean over all the numbers: subtract the mean over the training points of each "
                 "feature, X_train.mean(0), of shape (D,)",
                 means=lambda X_train, X_test: (X_train.mean(),) * 2),
    _pca_mistake("you kept k + 1 components: Vh[:k] holds the top k", components=lambda Vh, k: Vh[:k + 1]),
    _pca_mistake("you kept k - 1 components: Vh[:k] holds the top k", components=lambda Vh, k: Vh[:k - 1]),
]


def _pca_case(n, d, k):
    return Case(f"{n} training points in {d} dimensions, k = {k}",
                inputs=lambda: (_data(n, d, seed=d), _data(20, d, seed=d + 1), k),
                compare=keeps_dtype(finite_and_close(rtol=1e-3, atol=1e-3)), mistakes=PCA_MISTAKES)


# An SVD with full matrices of a tall (N, D) matrix builds U of N x N besides the (D, D) Vh PCA needs: for the
# 60,000 MNIST training images a 60,000 x 60,000 U, 14 GB in float32. The tall case watches every SVD the answer
# calls, and stops a full one of a non-square matrix before it runs (so a wrong answer costs no memory or time).

@dataclass
class FullSVD:
    """What the tall case observes, instead of a result, from an answer that asked for a full SVD."""

    function: str  # how the answer called it, e.g. "torch.svd with some=False"
    shape: tuple  # the matrix it was given


class _StopFullSVD(BaseException):
    """Raised inside the answer at a full SVD, before it runs; a ``BaseException``, so that an ``except Exception``
    in the answer does not swallow it (and the watch has recorded the call anyway)."""


def _full_matrices(function, args, kwargs):
    """How ``function(*args, **kwargs)`` asks for full matrices (a description), or None for an economical SVD."""
    if function is torch.linalg.svd:
        full = kwargs.get("full_matrices", args[1] if len(args) > 1 else True)
        return "torch.linalg.svd with full_matrices=True (its default)" if full else None
    if function is torch.svd or function is torch.Tensor.svd:
        some = kwargs.get("some", args[1] if len(args) > 1 else True)
        name = "torch.svd" if function is torch.svd else "Tensor.svd"
        return None if some else f"{name} with some=False"
    return None


class _SVDWatch(TorchFunctionMode):
    """Record, and stop before it runs, an SVD with full matrices of a non-square matrix."""

    def __init__(self, found):
        super().__init__()
        self.found = found

    def __torch_function__(self, function, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        full = _full_matrices(function, args, kwargs)
        if full is not None and isinstance(args[0], torch.Tensor) and args[0].shape[-1] != args[0].shape[-2]:
            self.found.append(FullSVD(full, tuple(args[0].shape)))
            raise _StopFullSVD()
        return function(*args, **kwargs)


def _library_kernels():
    """``(module, name, label, shape)`` of the loaded NumPy and SciPy functions that a full SVD goes through:
    ``shape(args, kwargs)`` is the matrix's shape when the call asks for full matrices, else None."""
    kernels = []
    numpy_kernels = sys.modules.get("numpy.linalg._umath_linalg")  # svd_f (NumPy 2), svd_m_f/svd_n_f (NumPy 1.x)
    for name in dir(numpy_kernels) if numpy_kernels is not None else ():
        if name.startswith("svd") and name.endswith("_f"):
            kernels.append((numpy_kernels, name, "np.linalg.svd with full_matrices=True (its default)",
                            lambda args, kwargs: tuple(args[0].shape)))
    scipy_svd = sys.modules.get("scipy.linalg._decomp_svd")  # scipy.linalg.svd sizes its work space here
    if scipy_svd is not None and hasattr(scipy_svd, "_compute_lwork"):
        kernels.append((scipy_svd, "_compute_lwork", "scipy.linalg.svd with full_matrices=True (its default)",
                        lambda args, kwargs: (tuple(args[1:3]) if kwargs.get("full_matrices")
                                              and kwargs.get("compute_uv", True) else None)))
    return kernels


@contextmanager
def _watching_svd():
    """Inside, a full SVD of a non-square matrix, by torch, NumPy or SciPy, is recorded in the yielded list and
    stopped before it runs."""
    found, patched = [], []

    def stopping(original, label, shape_of):
        def watched(*args, **kwargs):
            shape = shape_of(args, kwargs)
            if shape is not None and len(shape) >= 2 and shape[-1] != shape[-2]:
                found.append(FullSVD(label, shape))
                raise _StopFullSVD()
            return original(*args, **kwargs)
        return watched

    try:
        for module, name, label, shape_of in _library_kernels():
            original = getattr(module, name)
            setattr(module, name, stopping(original, label, shape_of))
            patched.append((module, name, original))
        with _SVDWatch(found):
            yield found
    finally:
        for module, name, original in reversed(patched):
            setattr(module, name, original)


def _economically(function, *args):
    """``observe`` of the tall case: the result, or the :class:`FullSVD` the function asked for."""
    result = None
    with _watching_svd() as found:
        try:
            result = call(function, *args)
        except _StopFullSVD:
            pass
    return found[0] if found else result


def _full_matrices_message(got, *_):
    rows, columns = got.shape[-2:]
    big = max(rows, columns)
    return (f"your answer calls {got.function} on a {rows:,} x {columns:,} matrix: besides the Vh that PCA needs, "
            f"a full SVD builds {'U' if rows > columns else 'V'} of {big:,} x {big:,} ({big * big:,} numbers; with "
            "the 60,000 MNIST training images, 60,000 x 60,000, 14 GB in float32). Ask for the economical SVD: "
            "torch.linalg.svd(..., full_matrices=False)")


FULL_MATRICES = Mistake(_full_matrices_message, lambda got, *_: isinstance(got, FullSVD))


pca_reconstruct = Exercise(
    "Exercise 1: PCA reconstruction with an SVD",
    pca_reconstruct_reference,
    cases=[
        _pca_case(200, 10, 3),
        _pca_case(100, 30, 1),
        Case("k = D gives back the input", inputs=lambda: (_data(50, 6, seed=3), _data(50, 6, seed=3)[:10], 6),
             compare=keeps_dtype(finite_and_close(atol=1e-4))),
        Case("a tall matrix, as MNIST's: 20,000 training points in 8 dimensions, k = 3",
             inputs=lambda: (_data(20_000, 8, seed=8), _data(20, 8, seed=9), 3), observe=_economically,
             compare=keeps_dtype(finite_and_close(rtol=1e-3, atol=1e-3)), mistakes=[FULL_MATRICES, *PCA_MISTAKES]),
    ],
    hints=[
        "Three steps: centre the training data, find the top-k directions with torch.linalg.svd, "
        "project the centred test data onto them and map back.",
        "torch.linalg.svd(Xc, full_matrices=False) returns U, S, Vh; the rows of Vh are the principal "
        "directions, sorted by variance. Keep Vh[:k]. (Without full_matrices=False, U is N x N.)",
        "With C = Vh[:k] (shape (k, D)): (X_test - mean) @ C.T @ C + mean.",
    ],
    same_as=["sklearn.decomposition.PCA.__init__", "sklearn.decomposition.TruncatedSVD.__init__",
             "sklearn.decomposition.IncrementalPCA.__init__", "torch.pca_lowrank"],
    build=True,
)


# --- Exercise 2: the Bernoulli loss, computed stably -------------------------------------------

def _logits_and_targets(seed):
    def inputs():
        g = seeded(seed)  # inside: drawn anew for every check
        return torch.randn(7, 12, generator=g) * 2, torch.rand(7, 12, generator=g)
    return inputs


REDUCTION_MISTAKES = [
    Mistake("your loss sums over the samples too: sum over features, but average over samples",
            lambda got, expected, logits, x: math.isclose(ratio(got, expected), x.shape[0], rel_tol=1e-4)),
    Mistake("your loss averages over the features: sum over features, average over samples",
            lambda got, expected, logits, x: math.isclose(ratio(got, expected), 1 / x.shape[1], rel_tol=1e-4)),
    Mistake("your loss has the wrong sign: a negative log-likelihood is -log p, never negative",
            lambda got, expected, logits, x: math.isclose(ratio(got, expected), -1, rel_tol=1e-4)),
    Mistake("you swapped x and 1 - x: x (a pixel's brightness) weighs log sigmoid(t), the log-probability of a 1",
            lambda got, expected, logits, x: torch.allclose(got, losses.bernoulli_nll(logits, 1 - x), rtol=1e-4)),
]

# A pixel 0 with logit 200 costs exactly 200 nats: clamping p at 1e-7, a log at -100 (as F.binary_cross_entropy
# does) or the logits keeps the loss finite but wrong, and logits of 200 tell it from the exact value.
LARGE_LOGITS = ([[100.0, -100.0, 200.0, -200.0, 30.0, -30.0]], [[0.0, 1.0, 0.0, 1.0, 0.5, 0.5]])

LARGE_LOGIT_MISTAKES = [
    *REDUCTION_MISTAKES,
    Mistake(lambda got, *_: f"for logits of +-100 and beyond your loss is {got.item()}: in float32 sigmoid(100) rounds "
                            "to 1, so log(1 - sigmoid(100)) = log(0) = -inf, and exp(100) overflows to inf. Write the "
                            "loss with softplus, which neither overflows nor takes the log of a rounded 0",
            lambda got, *_: not torch.isfinite(got).all()),
    Mistake(lambda got, expected, *_: f"for logits of +-100 and beyond your loss is {got.item():.6g}, finite but "
                                      f"smaller than the exact {expected.item():.6g}: clamping p, its log or the "
                                      "logits (or adding a small epsilon inside the log) keeps the loss finite but "
                                      "changes it (a pixel 0 with logit 200 costs 200 nats). Write it with softplus, "
                                      "exact for every logit",
            lambda got, expected, *_: bool(torch.isfinite(got).all()) and got.item() < expected.item() - 1e-3),
]

bernoulli_nll = Exercise(
    "Exercise 2: the logistic PCA loss",
    losses.bernoulli_nll,
    cases=[
        Case("matches the definition on random logits", inputs=_logits_and_targets(0), mistakes=REDUCTION_MISTAKES),
        Case("stays finite, and exact, for logits of +-100 and beyond",
             inputs=lambda: tuple(torch.tensor(values) for values in LARGE_LOGITS),  # fixed: extremes are the point
             compare=finite_and_close(), mistakes=LARGE_LOGIT_MISTAKES),
        Case("can be differentiated", inputs=_logits_and_targets(4), observe=gradients(wrt=(0,))),
    ],
    hints=[
        "Start from the definition: p = sigmoid(t), loss = -(x log p + (1 - x) log(1 - p)), summed over "
        "features (dim 1), averaged over samples. Then try logits of 100.",
        "log sigmoid(t) = -softplus(-t) and log(1 - sigmoid(t)) = -softplus(t): no log of a rounded 0.",
        "Simplified: softplus(t) - x * t, summed over dim 1, then .mean().",
    ],
    same_as=["torch.nn.functional.binary_cross_entropy_with_logits", "torch.binary_cross_entropy_with_logits",
             "torch.nn.functional.binary_cross_entropy"],
)


# --- Exercise 3: principal angles between subspaces --------------------------------------------

def principal_angles_reference(A, B):
    """Principal angles (degrees, ascending) between the column spaces of A (D, k) and B (D, l)."""
    QA, QB = torch.linalg.qr(A.double()).Q, torch.linalg.qr(B.double()).Q
    cosines = torch.linalg.svdvals(QA.T @ QB).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cosines)).sort().values


def _random_subspaces(d, k, seed, k_b=None, dtype=torch.float64):
    """Bases of a random k- and a random k_b-dimensional subspace of R^d (k_b = k by default), drawn for every
    check."""
    def inputs():
        g = seeded(seed)
        return (torch.randn(d, k, generator=g, dtype=dtype), torch.randn(d, k if k_b is None else k_b, generator=g,
                                                                         dtype=dtype))
    return inputs


def _sorted(angles):
    return angles.double().sort().values


def _same_values(got, values, atol=1e-4):
    """``got`` holds ``values`` (a 1-D tensor), in any order."""
    return got.shape == values.shape and torch.allclose(_sorted(got), _sorted(values), atol=atol)


def _degrees(cosines):
    return torch.rad2deg(torch.arccos(cosines.clamp(-1, 1)))


def _normalised_columns_only(A, B):
    return _degrees(torch.linalg.svdvals((A / A.norm(dim=0)).T @ (B / B.norm(dim=0))))


def _same_span_in_two_bases():
    A = torch.randn(20, 3, generator=seeded(9), dtype=torch.float64)
    mix = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0]], dtype=torch.float64)
    return A, A @ mix


NAN = Mistake("your angles contain NaN: rounding can make a cosine a hair larger than 1 (1.0000000000000002), "
              "whose arccos is NaN; clamp the cosines to [-1, 1] before torch.arccos",
              lambda got, *_: bool(torch.isnan(got).any()))

ANGLE_MISTAKES = [
    NAN,
    Mistake(lambda got, expected, A, B: f"A has {A.shape[1]} columns and B {B.shape[1]}: there are min(k, l) = "
                                        f"{min(A.shape[1], B.shape[1])} principal angles, you returned {got.numel()}",
            lambda got, expected, A, B: got.ndim == 1 and got.shape != expected.shape),
    Mistake("your angles are in radians; the exercise asks for degrees",
            lambda got, expected, A, B: _same_values(got, torch.deg2rad(expected), atol=1e-6)),
    Mistake("you returned the cosines of the angles (the singular values): the angles are their arccos, in degrees",
            lambda got, expected, A, B: _same_values(got, torch.cos(torch.deg2rad(expected)), atol=1e-6)),
    Mistake("your angles are right but not in ascending order: sort them, smallest first (.sort().values)",
            lambda got, expected, A, B: _same_values(got, expected)),
    Mistake("orthonormalise both bases first (torch.linalg.qr): the singular values of A.T @ B are the cosines of the "
            "angles only when the columns of A and of B are orthonormal",
            lambda got, expected, A, B: _same_values(got, _degrees(torch.linalg.svdvals(A.T @ B)), atol=1e-3)),
    Mistake("normalising each column is not enough: the columns of a basis must also be orthogonal to each other "
            "(torch.linalg.qr gives an orthonormal basis of the same span)",
            lambda got, expected, A, B: _same_values(got, _normalised_columns_only(A, B), atol=1e-3)),
]


def _never_nan(answer):
    """Ten pairs of bases of one subspace: the cosines are 1 up to rounding, which often lands above 1."""
    for pair in range(10):
        g = seeded(20 + pair)
        A = torch.randn(40, 8, generator=g, dtype=torch.float64)
        mix = torch.randn(8, 8, generator=g, dtype=torch.float64) + 4 * torch.eye(8, dtype=torch.float64)
        got = call(answer, A, A @ mix)
        if isinstance(got, torch.Tensor) and got.is_floating_point() and torch.isnan(got).any():
            raise AssertionError(NAN.message)

principal_angles = Exercise(
    "Exercise 3: principal angles between subspaces",
    principal_angles_reference,
    cases=[
        Case("the same subspace in two different bases", inputs=_same_span_in_two_bases,
             compare=finite_and_close(atol=1e-3),
             mistakes=[NAN, Mistake(lambda got, *_: f"A and A @ M span the same subspace, so every angle is 0; you "
                                                    f"got up to {got.abs().max().item():.3g}. Orthonormalise both "
                                                    "bases first (torch.linalg.qr)",
                                    lambda got, *_: got.abs().max() > 1e-3)]),
        Case("the same subspace in ten pairs of bases: no NaN where rounding puts a cosine above 1", _never_nan),
        Case("random 3-dimensional subspaces of R^10", inputs=_random_subspaces(10, 3, 0),
             compare=finite_and_close(rtol=1e-5, atol=1e-4), mistakes=ANGLE_MISTAKES),
        Case("random 5-dimensional subspaces of R^50", inputs=_random_subspaces(50, 5, 1),
             compare=finite_and_close(rtol=1e-5, atol=1e-4), mistakes=ANGLE_MISTAKES),
        Case("subspaces of different sizes: 4 and 2 dimensions in R^12", inputs=_random_subspaces(12, 4, 2, k_b=2),
             compare=finite_and_close(rtol=1e-5, atol=1e-4), mistakes=ANGLE_MISTAKES),
        Case("subspaces of different sizes: 2 and 5 dimensions in R^12", inputs=_random_subspaces(12, 2, 3, k_b=5),
             compare=finite_and_close(rtol=1e-5, atol=1e-4), mistakes=ANGLE_MISTAKES),
        Case("float32 bases, as a trained layer's weights", inputs=_random_subspaces(30, 4, 4, dtype=torch.float32),
             compare=finite_and_close(rtol=1e-4, atol=1e-2), mistakes=ANGLE_MISTAKES),
    ],
    hints=[
        "Angles between subspaces must not depend on which basis describes them: first make each basis "
        "orthonormal.",
        "Q_A = torch.linalg.qr(A).Q, likewise Q_B. The singular values of Q_A.T @ Q_B are the cosines "
        "of the principal angles.",
        "torch.rad2deg(torch.arccos(torch.linalg.svdvals(QA.T @ QB).clamp(-1, 1))), sorted ascending.",
    ],
    same_as=["scipy.linalg.subspace_angles"],
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: What Logistic PCA changes",
    "b",
    "Logistic PCA changes the likelihood, not the linearity. Its logits are linear in the code (mu + z V, or the "
    "projection form's projected saturated logits), as PCA's reconstruction is; the sigmoid then maps each pixel's "
    "logit into (0, 1), and the loss L of section 2 is the Bernoulli negative log-likelihood, which for a grey "
    "target x is smallest at x_hat = x. A pixel that is nearly 0 or 1, as most of MNIST's are, needs only a logit "
    "that is large enough, and overshooting it costs almost nothing; PCA's mean plus signed components must "
    "cancel exactly to leave a black background, and where they do not you see the grey ghosts of section 1's "
    "reconstructions.",
    choices={
        "a": "It replaces PCA's linear code with a non-linear one: a small network encodes each image, so the code can "
             "bend around the curved set of digits the way an autoencoder's does.",
        "b": "It keeps the code linear but fits the logits instead of the pixels, with a Bernoulli loss: each pixel "
             "is a probability sigmoid(theta_d), so the reconstruction stays in (0, 1), and a pixel near 0 or 1 just "
             "needs a large logit.",
        "c": "It minimises the same squared error as PCA, but with an iterative optimiser (Adam) instead of the SVD, "
             "and the iterations find a lower minimum than the closed form.",
        "d": "It rounds every pixel to 0 or 1 before fitting: MNIST becomes a set of black-and-white images, which a "
             "Bernoulli model rebuilds more easily than grey ones.",
    },
    why_not={
        "a": "the logits mu + z V are linear in the code, and the projection form's code is a matrix product too, "
             "z = (m(2x - 1) - mu) U: the only non-linearity is the sigmoid, applied to each pixel's logit on its "
             "own. A code that bends around the digits is what the deep autoencoder of section 3 adds",
        "c": "Logistic PCA does not minimise the squared error at all: its loss is the Bernoulli negative "
             "log-likelihood L of section 2, your bernoulli_nll. And for the squared error with a linear code "
             "the SVD's answer is already exact, so no optimiser could find a better one",
        "d": "nothing is rounded: the Bernoulli loss accepts any target x in [0, 1], and for a grey pixel it is "
             "smallest when the reconstruction equals that grey level (the entropy floor at the end of section 2)",
    },
)

q2 = Question(
    "Question 2: Subspace or axes",
    "b",
    "The reconstruction depends on the weights only through the product W2 W1, and (W2 M^-1)(M W1) = W2 W1 for "
    "every invertible 10 x 10 matrix M: every basis of the best subspace gives the same error, and training ends "
    "in whichever one its random start leads to. The best subspace itself is PCA's, and the error surface has no "
    "other local minimum, only saddle points (Baldi & Hornik 1989). The cell prints both: principal angles near 0 "
    "once the training has converged (the test profile's two short epochs may leave the last ones larger), and "
    "angles of tens of degrees between decoder column i and component i. PCA's orthogonal axes sorted by variance "
    "are an extra convention, not something the reconstruction asks for.",
    choices={
        "a": "Each decoder column is PCA's component i, up to its sign: the squared error has a single minimum, and "
             "gradient descent finds PCA's solution.",
        "b": "The same subspace (small principal angles) but other axes (large angles column by column): the encoder M "
             "W1 and the decoder W2 M^-1 give the same reconstructions for every invertible 10 x 10 matrix M.",
        "c": "A different subspace (large principal angles): the loss of a network is not convex, so gradient descent "
             "stops in a local minimum, with a clearly larger error than PCA's.",
        "d": "PCA's components, but in another order: the loss asks for orthogonal columns, but not for sorting them "
             "by variance.",
    },
    why_not={
        "a": "the squared error has one best subspace, not one best basis of it: a change of basis of the code, "
             "undone by the decoder, leaves every reconstruction as it was, so nothing pulls column i onto "
             "component i",
        "c": "not convex does not mean a bad local minimum: for a linear autoencoder every minimum is the best one "
             "(Baldi & Hornik 1989), the other critical points are saddles, and trained long enough its error ends "
             "next to PCA's with the same 10 numbers",
        "d": "a reordering is only one of the changes of basis the loss cannot see: it asks neither for "
             "orthogonal columns nor for columns of length 1, so there is no reason for them to be PCA's "
             "components in any order",
    },
)

q3 = Question(
    "Question 3: How PCA goes wrong",
    "b",
    "PCA's reconstruction is the mean digit, itself a grey blur of all the digits, plus a weighted sum of smooth "
    "component images with positive and negative parts (section 1's figure of PC 1 to PC 10). With 8 weights that "
    "sum can follow the rough shape of a digit but cannot make one thin stroke bright and everything around it "
    "black, so where 8 numbers are not enough it leaves halos and faint strokes of the digits the components mix: "
    "a blend of classes, never a clean digit of the wrong class. With 30 components the blur shrinks, but the kind "
    "of mistake stays (\"PCA blurs\", section 1).",
    choices={
        "a": "A crisp, clean digit of a neighbouring class (a 4 drawn as a 9): with 8 numbers, PCA can only pick one "
             "of a few digit shapes it keeps from the training set.",
        "b": "A blurred blend: the rough shape with grey halos and faint strokes of other digits, since the "
             "reconstruction is the mean digit plus a weighted sum of 8 smooth, signed images.",
        "c": "The right digit, sharp, but with pieces missing: each component covers one region of the image, and the "
             "regions that none of the 8 components covers stay black.",
    },
    why_not={
        "a": "PCA stores no digits and chooses none: its reconstruction is the mean plus a weighted sum of "
             "component images, so every output is a mixture. A clean digit of the wrong shape is the mistake of "
             "a non-linear decoder, which can map a code to a crisp drawing",
        "c": "the components are whole images, not regions (section 1's figure): each touches nearly every pixel "
             "with positive and negative parts, and a pixel no component changes keeps the value of the mean "
             "digit, which is grey wherever digits are drawn, not black",
    },
)
