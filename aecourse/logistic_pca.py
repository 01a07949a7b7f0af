"""Logistic PCA: PCA for data in [0, 1], with a Bernoulli likelihood and a logistic link.

PCA finds the k-dimensional affine subspace that best fits the data in squared
error. Logistic PCA fits a k-dimensional affine subspace to the **natural
parameters** (logits) of Bernoulli distributions instead: every pixel x_d in
[0, 1] is modelled as the probability sigmoid(theta_d), and the loss is the
Bernoulli negative log-likelihood (binary cross-entropy)

    L = - sum_d [ x_d log sigmoid(theta_d) + (1 - x_d) log(1 - sigmoid(theta_d)) ]

summed over pixels and averaged over images. Two published ways to tie theta to a
k-number code z are implemented, selected by ``method``:

``"projection"`` (Landgraf & Lee 2015)
    theta = mu + (m (2x - 1) - mu) U U^T with U a D x k matrix of orthonormal
    columns: the saturated model's logits m (2x - 1) are *projected* onto a
    subspace, like PCA projects x. The code of a new image is a matrix product,
    z = (m (2x - 1) - mu) U, so ``transform`` is as cheap as PCA's. m > 0 is
    learned (or fixed by the ``m`` argument).
``"factorization"`` (Collins, Dasgupta & Schapire 2001; Schein, Saul & Ungar 2003)
    theta = mu + z V with V a k x D matrix and a free code z for every image:
    exponential-family PCA. Fitting optimises the codes of the training images
    together with V and mu; the code of a new image is found by optimising z with
    V and mu fixed (a convex problem per image, solved for all images at once),
    like scikit-learn's ``NMF.transform``. More flexible, slower to encode.

Both are fitted by Adam in PyTorch on whole tensors: no Python loop over samples.
"""
import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from . import instant
from .losses import bernoulli_nll

METHODS = ("projection", "factorization")
NOT_FITTED = "This %(name)s is not fitted yet: call fit(X) on training data first, then transform or inverse_transform."


def _as_tensor(X, name="X", estimator=None, probabilities=True):
    """Validate X and return it as a float32 CPU tensor, and whether it came as a NumPy array (or list).

    A tensor stays a tensor (no copy to NumPy; it may be on the GPU): it must be 2-D and finite. Anything else
    goes through scikit-learn's ``check_array`` (2-D, numeric, finite, at least one sample). With
    ``probabilities`` the values must lie in [0, 1].
    """
    from_numpy = not isinstance(X, torch.Tensor)
    if from_numpy:
        if getattr(X, "ndim", 2) > 2:  # images (N, 1, 28, 28): say how to flatten them, check_array would not
            raise ValueError(_shape_error(name, X.shape))
        X = check_array(X, dtype=[np.float64, np.float32], order="C", input_name=name, estimator=estimator)
        tensor = torch.from_numpy(X).float()
    else:
        tensor = X.detach().float().cpu()
        if tensor.ndim != 2:
            raise ValueError(_shape_error(name, tensor.shape))
        if not torch.isfinite(tensor).all():
            raise ValueError(f"Input {name} contains NaN or infinite values.")
    if probabilities and tensor.numel() and (tensor.min() < 0 or tensor.max() > 1):
        raise ValueError(f"Logistic PCA models values in [0, 1] as probabilities; {name} has values in "
                         f"[{tensor.min().item():.3g}, {tensor.max().item():.3g}]. Scale it first (e.g. pixels / 255).")
    return tensor, from_numpy


def _shape_error(name, shape):
    hint = (f"flatten images first, e.g. {name}.reshape(len({name}), -1)" if len(shape) > 2
            else f"for a single sample use {name}.reshape(1, -1)")
    return f"{name} must be 2-D (n_samples, n_features), got shape {tuple(shape)}; {hint}."


def _like(result, from_numpy):
    result = result.detach()
    return result.numpy() if from_numpy else result


class LogisticPCA(TransformerMixin, BaseEstimator):
    """Logistic PCA with scikit-learn's estimator interface.

    Args:
        n_components: code size k.
        method: ``"projection"`` (Landgraf & Lee 2015) or ``"factorization"``
            (Collins et al. 2001, Schein et al. 2003); see the module docstring.
        m: scale of the saturated logits for ``"projection"``; ``None`` learns it.
        max_iter: epochs over the data (``"projection"``, mini-batches of ``batch_size``)
            or full-batch steps (``"factorization"``, for fitting and for ``transform``).
        lr: Adam learning rate.
        random_state: seed for the initialisation and the batch order.

    Attributes (after ``fit``):
        components_: (k, D) basis of the logit subspace (orthonormal rows for ``"projection"``).
        mean_: (D,) logit offset mu.
        m_: the scale m (``"projection"`` only).
        loss_curve_: training loss (Bernoulli NLL per sample, nats) after each iteration.
        n_features_in_: D.
    """

    def __init__(self, n_components=2, method="projection", m=None, max_iter=None, batch_size=500,
                 lr=None, random_state=None):
        self.n_components = n_components
        self.method = method
        self.m = m
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state

    def _check_params(self, n_features):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}.")
        if not (isinstance(self.n_components, (int, np.integer)) and 1 <= self.n_components <= n_features):
            raise ValueError(f"n_components must be an integer in [1, {n_features}], got {self.n_components!r}.")
        if self.m is not None and not self.m > 0:
            raise ValueError(f"m must be positive, got {self.m!r}.")

    def _iterations(self):
        return self.max_iter or (10 if self.method == "projection" else 300)

    def fit(self, X, y=None):
        """Fit the model to X, shape (n_samples, n_features), values in [0, 1]. Returns self."""
        X, _ = _as_tensor(X, estimator=self)
        self._check_params(X.shape[1])
        generator = torch.Generator().manual_seed(0 if self.random_state is None else self.random_state)
        fit = self._fit_projection if self.method == "projection" else self._fit_factorization
        fitted = instant.remember("LogisticPCA.fit", (self._settings(), X), lambda: fit(X, generator),
                                  code=[LogisticPCA, bernoulli_nll])
        self.components_, self.mean_, self.loss_curve_ = fitted["components_"], fitted["mean_"], fitted["loss_curve_"]
        if "m_" in fitted:
            self.m_ = fitted["m_"]
        self.n_features_in_ = X.shape[1]
        return self

    def _settings(self):
        return {name: getattr(self, name) for name in ("n_components", "method", "m", "max_iter", "batch_size", "lr",
                                                       "random_state")}

    def _fit_projection(self, X, generator):
        signs = 2 * X - 1
        m0 = float(self.m or 4.0)
        log_m = torch.tensor(m0).log().requires_grad_(self.m is None)
        mean = (m0 * signs.mean(0)).requires_grad_(True)
        # start from the PCA subspace of the saturated logits
        sample = signs[torch.randperm(len(X), generator=generator)[:10_000]]
        basis = torch.linalg.svd(sample - sample.mean(0), full_matrices=False).Vh[:self.n_components].T.clone()
        basis.requires_grad_(True)
        params = [basis, mean] + ([log_m] if self.m is None else [])
        optimizer = torch.optim.Adam(params, lr=self.lr or 3e-3)
        loss_curve = []
        for _ in range(self._iterations()):
            total = 0.0
            for index in torch.randperm(len(X), generator=generator).split(self.batch_size):
                U = torch.linalg.qr(basis).Q
                logits = mean + (log_m.exp() * signs[index] - mean) @ U @ U.T
                loss = bernoulli_nll(logits, X[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(index)
            loss_curve.append(total / len(X))
        return {"components_": torch.linalg.qr(basis).Q.T.detach(), "mean_": mean.detach(), "m_": log_m.exp().item(),
                "loss_curve_": loss_curve}

    def _fit_factorization(self, X, generator):
        mean = torch.logit(X.mean(0).clamp(1e-3, 1 - 1e-3)).requires_grad_(True)
        components = (0.01 * torch.randn(self.n_components, X.shape[1], generator=generator)).requires_grad_(True)
        codes = torch.zeros(len(X), self.n_components, requires_grad=True)
        optimizer = torch.optim.Adam([codes, components, mean], lr=self.lr or 0.05)
        loss_curve = []
        for _ in range(self._iterations()):
            loss = bernoulli_nll(mean + codes @ components, X)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_curve.append(loss.item())
        return {"components_": components.detach(), "mean_": mean.detach(), "loss_curve_": loss_curve}

    def _check_n_features_fitted(self, n_features):
        if n_features != self.n_features_in_:
            raise ValueError(f"X has {n_features} features, but this LogisticPCA was fitted on {self.n_features_in_}.")

    def transform(self, X):
        """Codes of X: (n_samples, n_components)."""
        check_is_fitted(self, "components_", msg=NOT_FITTED)
        X, from_numpy = _as_tensor(X, estimator=self)
        self._check_n_features_fitted(X.shape[1])
        if self.method == "projection":
            return _like((self.m_ * (2 * X - 1) - self.mean_) @ self.components_.T, from_numpy)
        codes = instant.remember("LogisticPCA.transform", (self._settings(), self.components_, self.mean_, X),
                                 lambda: {"codes": self._optimise_codes(X)}, code=[LogisticPCA, bernoulli_nll])
        return _like(codes["codes"], from_numpy)

    def _optimise_codes(self, X):
        """The factorization form's codes of X: Adam on the Bernoulli loss with the components fixed."""
        codes = torch.zeros(len(X), self.n_components, requires_grad=True)
        optimizer = torch.optim.Adam([codes], lr=self.lr or 0.05)
        for _ in range(self._iterations()):
            loss = bernoulli_nll(self.mean_ + codes @ self.components_, X)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return codes.detach()

    def inverse_transform(self, Z):
        """Reconstructions sigmoid(mu + Z components_): (n_samples, n_features), values in (0, 1)."""
        check_is_fitted(self, "components_", msg=NOT_FITTED)
        Z, from_numpy = _as_tensor(Z, name="Z", estimator=self, probabilities=False)
        if Z.shape[1] != self.n_components:
            raise ValueError(f"Z must have shape (n_samples, {self.n_components}), got {tuple(Z.shape)}.")
        return _like(torch.sigmoid(self.mean_ + Z @ self.components_), from_numpy)
