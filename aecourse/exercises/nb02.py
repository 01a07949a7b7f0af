"""Exercises of notebook 02, PCA, Logistic PCA and autoencoders."""
import math

import torch

from .. import losses
from .core import Case, Exercise
from .expect import Mistake, finite_and_close, gradients, ratio, seeded


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


def _pca_case(n, d, k):
    return Case(f"{n} training points in {d} dimensions, k = {k}",
                inputs=lambda: (_data(n, d, seed=d), _data(20, d, seed=d + 1), k),
                compare=finite_and_close(rtol=1e-3, atol=1e-3), mistakes=[IGNORES_MEAN])


pca_reconstruct = Exercise(
    "Exercise 1: PCA reconstruction with an SVD",
    pca_reconstruct_reference,
    cases=[
        _pca_case(200, 10, 3),
        _pca_case(100, 30, 1),
        Case("k = D gives back the input", inputs=lambda: (_data(50, 6, seed=3), _data(50, 6, seed=3)[:10], 6),
             compare=finite_and_close(atol=1e-4)),
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
    g = seeded(seed)
    return lambda: (torch.randn(7, 12, generator=g) * 2, torch.rand(7, 12, generator=g))


REDUCTION_MISTAKES = [
    Mistake("your loss sums over the samples too: sum over features, but average over samples",
            lambda got, expected, logits, x: math.isclose(ratio(got, expected), x.shape[0], rel_tol=1e-4)),
    Mistake("your loss averages over the features: sum over features, average over samples",
            lambda got, expected, logits, x: math.isclose(ratio(got, expected), 1 / x.shape[1], rel_tol=1e-4)),
]

bernoulli_nll = Exercise(
    "Exercise 2: the logistic PCA loss",
    losses.bernoulli_nll,
    cases=[
        Case("matches the definition on random logits", inputs=_logits_and_targets(0), mistakes=REDUCTION_MISTAKES),
        Case("stays finite for very large logits",
             inputs=lambda: (torch.tensor([[100.0, -100.0, 30.0, -30.0]]), torch.tensor([[0.0, 1.0, 0.5, 0.5]])),
             compare=finite_and_close(),
             mistakes=[Mistake(lambda got, *_: f"for logits of +-100 your loss is {got.item()}: sigmoid(100) rounds "
                                               "to 1 in float32 and log(1 - 1) = -inf. Write the loss with softplus, "
                                               "which never takes the log of a rounded 0",
                               lambda got, *_: not torch.isfinite(got).all())]),
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


def _random_subspaces(d, k, seed):
    g = seeded(seed)
    return lambda: (torch.randn(d, k, generator=g, dtype=torch.float64),
                    torch.randn(d, k, generator=g, dtype=torch.float64))


def _sorted(angles):
    return angles.double().sort().values


def _in_any_order(rtol, atol):
    """Compare angles whatever order they come in."""
    def compare(got, expected, what):
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and got.is_floating_point():
            got = _sorted(got)
        finite_and_close(rtol, atol)(got, expected, what)
    return compare


def _same_span_in_two_bases():
    A = torch.randn(20, 3, generator=seeded(9), dtype=torch.float64)
    mix = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0]], dtype=torch.float64)
    return A, A @ mix


ANGLE_MISTAKES = [
    Mistake("your angles are in radians; the exercise asks for degrees",
            lambda got, expected, A, B: torch.allclose(_sorted(got), torch.deg2rad(expected), atol=1e-6)),
]

principal_angles = Exercise(
    "Exercise 3: principal angles between subspaces",
    principal_angles_reference,
    cases=[
        Case("the same subspace in two different bases", inputs=_same_span_in_two_bases,
             compare=finite_and_close(atol=1e-3),
             mistakes=[Mistake(lambda got, *_: f"A and A @ M span the same subspace, so every angle is 0; you got up "
                                               f"to {got.abs().max().item():.3g}. Orthonormalise both bases first "
                                               "(torch.linalg.qr)",
                               lambda got, *_: got.abs().max() > 1e-3)]),
        Case("random 3-dimensional subspaces of R^10", inputs=_random_subspaces(10, 3, 0),
             compare=_in_any_order(rtol=1e-5, atol=1e-4), mistakes=ANGLE_MISTAKES),
        Case("random 5-dimensional subspaces of R^50", inputs=_random_subspaces(50, 5, 1),
             compare=_in_any_order(rtol=1e-5, atol=1e-4), mistakes=ANGLE_MISTAKES),
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
