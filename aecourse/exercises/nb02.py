"""Exercises of notebook 02, PCA, Logistic PCA and autoencoders."""
import math

import torch

from .. import losses
from .core import Case, Exercise
from .expect import Mistake, call, finite_and_close, gradients, keeps_dtype, ratio, seeded


def _data(n, d, seed):
    """Points with distinct variances per axis, so the principal subspace is well defined."""
    g = seeded(seed)
    scales = torch.linspace(3, 0.2, d)
    return torch.randn(n, d, generator=g) * scales + torch.rand(d, generator=g)


# --- Exercise 1: PCA reconstruction with an SVD -----------------------------------------------

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


pca_reconstruct = Exercise(
    "Exercise 1: PCA reconstruction with an SVD",
    pca_reconstruct_reference,
    cases=[
        _pca_case(200, 10, 3),
        _pca_case(100, 30, 1),
        Case("k = D gives back the input", inputs=lambda: (_data(50, 6, seed=3), _data(50, 6, seed=3)[:10], 6),
             compare=keeps_dtype(finite_and_close(atol=1e-4))),
    ],
    hints=[
        "Three steps: centre the training data, find the top-k directions with torch.linalg.svd, "
        "project the centred test data onto them and map back.",
        "torch.linalg.svd(Xc, full_matrices=False) returns U, S, Vh; the rows of Vh are the principal "
        "directions, sorted by variance. Keep Vh[:k].",
        "With C = Vh[:k] (shape (k, D)): (X_test - mean) @ C.T @ C + mean.",
    ],
    same_as=["sklearn.decomposition.PCA.__init__", "sklearn.decomposition.TruncatedSVD.__init__",
             "sklearn.decomposition.IncrementalPCA.__init__", "torch.pca_lowrank"],
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
