"""Classical baselines to measure autoencoders against: PCA and Logistic PCA."""
import numpy as np
from sklearn.decomposition import PCA

from .logistic_pca import LogisticPCA

__all__ = ["LogisticPCA", "pca_errors"]


def pca_errors(x_train, x_test, code_sizes, random_state=0):
    """Test reconstruction error of PCA at several code sizes, from a single fit.

    Principal components are nested (the best k-dimensional subspace contains the
    best (k-1)-dimensional one), so one PCA with ``max(code_sizes)`` components
    gives every smaller size by keeping its first k components.

    Args:
        x_train, x_test: tensors (N, ...) of images with pixels in [0, 1].
        code_sizes: numbers of components, e.g. ``[2, 8, 32]``.

    Returns:
        ``{k: mean summed squared error per test image}`` (same unit as
        :func:`aecourse.metrics.reconstruction_error`).
    """
    train = x_train.flatten(1).double().numpy()
    test = x_test.flatten(1).double().numpy()
    pca = PCA(n_components=max(code_sizes), random_state=random_state).fit(train)
    centred = test - pca.mean_
    errors = {}
    for k in code_sizes:
        components = pca.components_[:k]
        residual = centred - (centred @ components.T) @ components
        errors[k] = float(np.square(residual).sum(1).mean())
    return errors
