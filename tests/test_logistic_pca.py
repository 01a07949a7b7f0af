import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

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
    logits = torch.randn(5, 8, generator=g, dtype=torch.float64) * 3
    x = torch.rand(5, 8, generator=g, dtype=torch.float64)
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


def test_bad_parameters_and_a_wrong_number_of_features():
    X = torch.rand(20, 5)
    with pytest.raises(ValueError, match="method"):
        LogisticPCA(method="magic").fit(X)
    with pytest.raises(ValueError, match="n_components"):
        LogisticPCA(n_components=6).fit(X)
    with pytest.raises(ValueError, match="m must be positive"):
        LogisticPCA(m=-1).fit(X)
    model = LogisticPCA(n_components=2, max_iter=1).fit(X)
    with pytest.raises(ValueError, match="X has 4 features, but this LogisticPCA was fitted on 5"):
        model.transform(torch.rand(3, 4))
    with pytest.raises(ValueError, match="X has 4 features"):
        model.transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        model.inverse_transform(torch.rand(3, 3))


@pytest.mark.parametrize("method", ["projection", "factorization"])
def test_numpy_in_numpy_out_with_the_same_numbers_as_tensors(binaryish, method):
    X = binaryish[:200]
    settings = dict(n_components=2, method=method, max_iter=3, random_state=0)
    by_tensor, by_array = LogisticPCA(**settings).fit(X), LogisticPCA(**settings).fit(X.double().numpy())
    Z_tensor, Z_array = by_tensor.transform(X), by_array.transform(X.numpy())
    assert isinstance(Z_tensor, torch.Tensor) and isinstance(Z_array, np.ndarray) and Z_array.dtype == np.float32
    assert np.array_equal(Z_tensor.numpy(), Z_array)
    X_hat = by_array.inverse_transform(Z_array.astype(np.float64))
    assert isinstance(X_hat, np.ndarray) and np.array_equal(X_hat, by_tensor.inverse_transform(Z_tensor).numpy())
    assert np.array_equal(LogisticPCA(**settings).fit(X.tolist()).transform(X.tolist()), Z_array)  # lists too


def test_unfitted_use_raises_sklearns_not_fitted_error():
    model = LogisticPCA(n_components=2)
    with pytest.raises(NotFittedError, match=r"This LogisticPCA is not fitted yet: call fit\(X\)"):
        model.transform(torch.rand(3, 5))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.inverse_transform(np.zeros((3, 2)))
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    model.fit(torch.rand(20, 5))
    check_is_fitted(model)  # scikit-learn's own check agrees once it is fitted


@pytest.mark.parametrize("X,message", [
    (np.random.default_rng(0).random(5), "Expected 2D array, got 1D array"),
    (np.random.default_rng(0).random((10, 1, 4, 4)), r"must be 2-D.*flatten images first"),
    (np.array([[0.5, np.nan], [0.2, 0.1]]), "Input X contains NaN"),
    (np.array([[0.5, np.inf], [0.2, 0.1]]), "Input X contains infinity"),
    (np.zeros((0, 5)), "0 sample"),
    (np.array([[0.2, 1.5], [0.0, 1.0]]), r"values in \[0, 1\].*\[0, 1.5\]"),
    ([["a", "b"], ["c", "d"]], "could not convert"),
    (torch.rand(5), r"must be 2-D.*reshape\(1, -1\)"),
    (torch.tensor([[0.5, float("inf")]]), "NaN or infinite"),
])
def test_numpy_and_tensor_input_are_checked_with_a_clear_message(X, message):
    with pytest.raises(ValueError, match=message):
        LogisticPCA(n_components=1).fit(X)


def test_codes_are_checked_too():
    model = LogisticPCA(n_components=2, max_iter=1).fit(np.random.default_rng(0).random((20, 5)))
    with pytest.raises(ValueError, match="Expected 2D array"):
        model.inverse_transform(np.zeros(2))
    with pytest.raises(ValueError, match="Input Z contains NaN"):
        model.inverse_transform(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="Input Z contains NaN"):
        model.inverse_transform(torch.tensor([[0.0, float("nan")]]))
    assert model.inverse_transform(np.array([[-3.0, 40.0]])).shape == (1, 5)  # codes are any real numbers
