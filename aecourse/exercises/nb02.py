"""Exercises of notebook 02, PCA, Logistic PCA and autoencoders."""
import math

import numpy as np
import torch

from .core import Case, Exercise
from .expect import call, expect_number, expect_tensor


def _data(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    scales = torch.linspace(3, 0.2, d)  # distinct variances, so the principal subspace is well defined
    return torch.randn(n, d, generator=g) * scales + torch.rand(d, generator=g)


# --- Exercise 1: PCA reconstruction with an SVD -----------------------------------------------

def pca_reconstruct_reference(X_train, X_test, k):
    """Reconstruct X_test from its projection on the top-k principal components of X_train."""
    mean = X_train.mean(0)
    components = torch.linalg.svd(X_train - mean, full_matrices=False).Vh[:k]  # (k, D)
    return (X_test - mean) @ components.T @ components + mean


def _matches_sklearn(n, d, k):
    def test(answer):
        from sklearn.decomposition import PCA

        X_train, X_test = _data(n, d, seed=d), _data(20, d, seed=d + 1)
        pca = PCA(n_components=k).fit(X_train.double().numpy())
        expected = torch.from_numpy(pca.inverse_transform(pca.transform(X_test.double().numpy()))).float()
        got = call(answer, X_train, X_test, k)
        if isinstance(got, torch.Tensor) and got.shape == X_test.shape and torch.isfinite(got).all():
            uncentred = X_test @ torch.linalg.svd(X_train, full_matrices=False).Vh[:k].T @ \
                torch.linalg.svd(X_train, full_matrices=False).Vh[:k]
            if torch.allclose(got.float(), uncentred, atol=1e-3) and not torch.allclose(uncentred, expected, atol=1e-3):
                raise AssertionError("your reconstruction ignores the mean: centre X_train before the SVD, "
                                     "and add the mean back after projecting")
        expect_tensor(got, expected, f"{n} training points in {d} dimensions, k = {k}", rtol=1e-3, atol=1e-3)
    return test


def _full_rank_is_identity(answer):
    X = _data(50, 6, seed=3)
    expect_tensor(call(answer, X, X[:10], 6), X[:10], "k equal to the dimension reconstructs exactly", atol=1e-4)


pca_reconstruct = Exercise(
    "Exercise 1: PCA reconstruction with an SVD",
    pca_reconstruct_reference,
    cases=[
        Case("200 points in 10 dimensions, k = 3", _matches_sklearn(200, 10, 3)),
        Case("100 points in 30 dimensions, k = 1", _matches_sklearn(100, 30, 1)),
        Case("k = D gives back the input", _full_rank_is_identity),
    ],
    hints=[
        "Three steps: centre the training data, find the top-k directions with torch.linalg.svd, "
        "project the centred test data onto them and map back.",
        "torch.linalg.svd(Xc, full_matrices=False) returns U, S, Vh; the rows of Vh are the principal "
        "directions, sorted by variance. Keep Vh[:k].",
        "With C = Vh[:k] (shape (k, D)): (X_test - mean) @ C.T @ C + mean.",
    ],
)


# --- Exercise 2: the Bernoulli loss, computed stably -------------------------------------------

def bernoulli_nll_reference(logits, x):
    """-sum_d [x_d log sigmoid(t_d) + (1 - x_d) log(1 - sigmoid(t_d))], averaged over samples."""
    return (torch.nn.functional.softplus(logits) - x * logits).sum(1).mean()


def _against_formula(answer):
    g = torch.Generator().manual_seed(0)
    logits, x = torch.randn(7, 12, generator=g) * 2, torch.rand(7, 12, generator=g)
    p = torch.sigmoid(logits.double())
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).sum(1).mean()
    got = call(answer, logits, x)
    if isinstance(got, torch.Tensor) and got.numel() == 1 and torch.isfinite(got):
        if math.isclose(got.item(), expected.item() * 12, rel_tol=1e-4):
            raise AssertionError("your loss is 12 times too large for 12 features: average over samples, "
                                 "sum over features")
        if math.isclose(got.item(), expected.item() / 12, rel_tol=1e-4):
            raise AssertionError("your loss averages over the features: sum over features, average over samples")
    expect_tensor(got, expected.float(), "7 samples of 12 features", rtol=1e-4)


def _stable_for_large_logits(answer):
    logits = torch.tensor([[100.0, -100.0, 30.0, -30.0]])
    x = torch.tensor([[0.0, 1.0, 0.5, 0.5]])
    expected = bernoulli_nll_reference(logits.double(), x.double()).float()
    got = call(answer, logits, x)
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not torch.isfinite(got):
        raise AssertionError(f"for logits of +-100 your loss is {got.item()}: sigmoid(100) rounds to 1 in float32 "
                             "and log(1 - 1) = -inf. Write the loss with softplus, which never rounds to log(0)")
    expect_tensor(got, expected, "logits of +-100 and +-30", rtol=1e-4)


def _differentiable(answer):
    logits = torch.randn(3, 5, generator=torch.Generator().manual_seed(4), requires_grad=True)
    x = torch.rand(3, 5, generator=torch.Generator().manual_seed(5))
    loss = answer(logits, x)
    if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
        raise AssertionError("the loss must be computed with torch operations from the logits, so it can be trained")
    loss.backward()
    expect_tensor(logits.grad, (torch.sigmoid(logits.detach()) - x) / 3, "the gradient with respect to the logits")


bernoulli_nll = Exercise(
    "Exercise 2: the logistic PCA loss",
    bernoulli_nll_reference,
    cases=[
        Case("matches the definition on random logits", _against_formula),
        Case("stays finite for very large logits", _stable_for_large_logits),
        Case("can be differentiated", _differentiable),
    ],
    hints=[
        "Start from the definition: p = sigmoid(t), loss = -(x log p + (1 - x) log(1 - p)), summed over "
        "features (dim 1), averaged over samples. Then try logits of 100.",
        "log sigmoid(t) = -softplus(-t) and log(1 - sigmoid(t)) = -softplus(t): no log of a rounded 0.",
        "Simplified: softplus(t) - x * t, summed over dim 1, then .mean().",
    ],
)


# --- Exercise 3: principal angles between subspaces --------------------------------------------

def principal_angles_reference(A, B):
    """Principal angles (degrees, ascending) between the column spaces of A (D, k) and B (D, l)."""
    QA, QB = torch.linalg.qr(A.double()).Q, torch.linalg.qr(B.double()).Q
    cosines = torch.linalg.svdvals(QA.T @ QB).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cosines)).sort().values


def _against_scipy(d, k, seed):
    def test(answer):
        from scipy.linalg import subspace_angles

        g = torch.Generator().manual_seed(seed)
        A, B = torch.randn(d, k, generator=g, dtype=torch.float64), torch.randn(d, k, generator=g, dtype=torch.float64)
        expected = torch.from_numpy(np.sort(np.degrees(subspace_angles(A.numpy(), B.numpy()))))
        got = call(answer, A, B)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.isfinite(got).all():
            if torch.allclose(got.double().sort().values, torch.from_numpy(np.sort(subspace_angles(A.numpy(), B.numpy()))), atol=1e-6):
                raise AssertionError("your angles are in radians; the exercise asks for degrees")
            got = got.double().sort().values
        expect_tensor(got, expected, f"two random {k}-dimensional subspaces of R^{d}", rtol=1e-5, atol=1e-4)
    return test


def _same_span_scaled(answer):
    g = torch.Generator().manual_seed(9)
    A = torch.randn(20, 3, generator=g, dtype=torch.float64)
    mix = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0]], dtype=torch.float64)
    got = call(answer, A, A @ mix)
    if isinstance(got, torch.Tensor) and torch.isfinite(got).all() and got.abs().max() > 1e-3:
        raise AssertionError(f"A and A @ M span the same subspace, so every angle is 0; you got up to "
                             f"{got.abs().max().item():.3g}. Orthonormalise both bases first (torch.linalg.qr)")
    expect_tensor(got, torch.zeros(3, dtype=torch.float64), "a basis and a mixed, rescaled copy of it", atol=1e-3)


principal_angles = Exercise(
    "Exercise 3: principal angles between subspaces",
    principal_angles_reference,
    cases=[
        Case("the same subspace in two different bases", _same_span_scaled),
        Case("random 3-dimensional subspaces of R^10", _against_scipy(10, 3, 0)),
        Case("random 5-dimensional subspaces of R^50", _against_scipy(50, 5, 1)),
    ],
    hints=[
        "Angles between subspaces must not depend on which basis describes them: first make each basis "
        "orthonormal.",
        "Q_A = torch.linalg.qr(A).Q, likewise Q_B. The singular values of Q_A.T @ Q_B are the cosines "
        "of the principal angles.",
        "torch.rad2deg(torch.arccos(torch.linalg.svdvals(QA.T @ QB).clamp(-1, 1))), sorted ascending.",
    ],
)
