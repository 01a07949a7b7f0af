import numpy as np
import pytest
import torch
from sklearn.base import clone

from aecourse.baselines import LogisticPCA
from aecourse.logistic_pca import bernoulli_nll


@pytest.fixture(scope="module")
def binaryish():
    """Data in [0, 1] drawn from a 3-dimensional logit subspace of R^40."""
    g = torch.Generator().manual_seed(0)
    basis, codes = torch.randn(3, 40, generator=g) * 2, torch.randn(600, 3, generator=g)
    return torch.bernoulli(torch.sigmoid(codes @ basis), generator=g) * 0.9 + 0.05


def test_bernoulli_nll_against_independent_formula():
    g = torch.Generator().manual_seed(1)
    logits, x = torch.randn(5, 8, generator=g, dtype=torch.float64) * 3, torch.rand(5, 8, generator=g, dtype=torch.float64)
    p = 1 / (1 + np.exp(-logits.numpy()))
    expected = -(x.numpy() * np.log(p) + (1 - x.numpy()) * np.log(1 - p)).sum(1).mean()
    assert bernoulli_nll(logits, x).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("method", ["projection", "factorization"])
def test_shapes_loss_falls_and_beats_a_constant_model(binaryish, method):
    X_train, X_test = binaryish[:500], binaryish[500:]
    model = LogisticPCA(n_components=3, method=method, max_iter=60 if method == "projection" else 400,
                        lr=0.01 if method == "projection" else 0.05, random_state=0).fit(X_train)
    assert model.components_.shape == (3, 40) and model.mean_.shape == (40,)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    Z = model.transform(X_test)
    assert Z.shape == (100, 3)
    X_hat = model.inverse_transform(Z)
    assert X_hat.shape == X_test.shape and 0 < X_hat.min() and X_hat.max() < 1
    constant = torch.logit(X_train.mean(0)).expand_as(X_test)
    assert bernoulli_nll(torch.logit(X_hat), X_test) < 0.8 * bernoulli_nll(constant, X_test)


def test_projection_is_the_published_formula(binaryish):
    model = LogisticPCA(n_components=2, random_state=0, max_iter=5).fit(binaryish)
    U, mu, m = model.components_.T, model.mean_, model.m_
    assert torch.allclose(U.T @ U, torch.eye(2), atol=1e-5)  # orthonormal basis
    expected = torch.sigmoid(mu + (m * (2 * binaryish - 1) - mu) @ U @ U.T)  # Landgraf & Lee (2015), eq. 4
    assert torch.allclose(model.inverse_transform(model.transform(binaryish)), expected, atol=1e-5)


def test_fixed_m_is_kept(binaryish):
    assert LogisticPCA(n_components=2, m=5.0, max_iter=2).fit(binaryish).m_ == pytest.approx(5.0)


def test_factorization_transform_optimises_codes(binaryish):
    model = LogisticPCA(n_components=3, method="factorization", max_iter=200, random_state=0).fit(binaryish[:500])
    X = binaryish[500:]
    fitted = bernoulli_nll(torch.logit(model.inverse_transform(model.transform(X))), X)
    zero_codes = bernoulli_nll(model.mean_.expand_as(X), X)
    assert fitted < zero_codes


def test_sklearn_conventions(binaryish):
    model = LogisticPCA(n_components=4, max_iter=3, random_state=0)
    assert clone(model).get_params()["n_components"] == 4
    assert model.fit(binaryish) is model
    Z = LogisticPCA(n_components=2, max_iter=2).fit_transform(binaryish.numpy())
    assert isinstance(Z, np.ndarray) and Z.shape == (600, 2)


@pytest.mark.parametrize("X,message", [
    (torch.rand(10, 1, 4, 4), "must be 2-D"),
    (torch.rand(10, 5) * 2, r"values in \[0, 1\]"),
    (torch.full((10, 5), float("nan")), "NaN"),
])
def test_bad_input_gets_a_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        LogisticPCA(n_components=2).fit(X)


def test_bad_parameters_and_unfitted_use():
    X = torch.rand(20, 5)
    with pytest.raises(ValueError, match="method"):
        LogisticPCA(method="magic").fit(X)
    with pytest.raises(ValueError, match="n_components"):
        LogisticPCA(n_components=6).fit(X)
    with pytest.raises(ValueError, match="m must be positive"):
        LogisticPCA(m=-1).fit(X)
    with pytest.raises(RuntimeError, match="not fitted"):
        LogisticPCA().transform(X)
    model = LogisticPCA(n_components=2, max_iter=1).fit(X)
    with pytest.raises(ValueError, match="5"):
        model.transform(torch.rand(3, 4))
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        model.inverse_transform(torch.rand(3, 3))
