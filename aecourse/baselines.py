"""Classical baselines to measure autoencoders against: PCA and Logistic PCA."""
import torch
from sklearn.decomposition import PCA

from .logistic_pca import LogisticPCA
from .metrics import squared_error_per_image

__all__ = ["LogisticPCA", "pca_errors", "pca_reconstructions"]


def pca_reconstructions(x_train, x_test, code_sizes, random_state=0):
    """PCA reconstructions of ``x_test`` at several code sizes, from a single fit.

    Principal components are nested (the best k-dimensional subspace contains the
    best (k-1)-dimensional one), so one PCA with ``max(code_sizes)`` components
    gives every smaller size by keeping its first k components.

    Args:
        x_train, x_test: tensors (N, ...) of images with pixels in [0, 1].
        code_sizes: numbers of components, e.g. ``[2, 8, 32]``.

    Returns:
        ``{k: float64 CPU tensor shaped like x_test}``, not clipped to [0, 1].
    """
    train = x_train.detach().cpu().flatten(1).double().numpy()
    test = x_test.detach().cpu().flatten(1).double().numpy()
    pca = PCA(n_components=max(code_sizes), random_state=random_state).fit(train)
    centred = test - pca.mean_
    reconstructions = {}
    for k in code_sizes:
        components = pca.components_[:k]
        reconstructions[k] = torch.from_numpy(pca.mean_ + (centred @ components.T) @ components).reshape(x_test.shape)
    return reconstructions


def pca_errors(x_train, x_test, code_sizes, random_state=0):
    """Test reconstruction error of PCA at several code sizes, from a single fit.

    Returns:
        ``{k: mean summed squared error per test image}`` (same unit as
        :func:`aecourse.metrics.reconstruction_error`); see :func:`pca_reconstructions`.
    """
    reconstructions = pca_reconstructions(x_train, x_test, code_sizes, random_state)
    test = x_test.detach().cpu().double()
    return {k: squared_error_per_image(reconstruction, test).mean().item()
            for k, reconstruction in reconstructions.items()}
