import numpy as np
import pytest
import torch

from aecourse import baselines, data, metrics


def test_squared_error_per_image_against_numpy():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(4, 1, 5, 5, generator=g), torch.rand(4, 1, 5, 5, generator=g)
    expected = ((a.numpy() - b.numpy()) ** 2).reshape(4, -1).sum(axis=1)
    assert np.allclose(metrics.squared_error_per_image(a, b).numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        metrics.squared_error_per_image(a, b[:, :, :4])


def test_pca_errors_are_nested_and_match_explicit_pca():
    from sklearn.decomposition import PCA

    g = torch.Generator().manual_seed(0)
    x_train, x_test = torch.rand(300, 1, 6, 6, generator=g), torch.rand(50, 1, 6, 6, generator=g)
    errors = baselines.pca_errors(x_train, x_test, [1, 4, 10])
    assert errors[1] > errors[4] > errors[10]
    pca = PCA(n_components=4).fit(x_train.flatten(1).numpy())
    recon = pca.inverse_transform(pca.transform(x_test.flatten(1).numpy()))
    assert errors[4] == pytest.approx(((recon - x_test.flatten(1).numpy()) ** 2).sum(1).mean(), rel=1e-4)


def test_pca_30_reproduces_hinton_salakhutdinov():
    """The published PCA-30 figure on MNIST is 13.87 (Science, 2006, Fig. 2)."""
    x_train, _ = data.load("mnist", "train")
    x_test, _ = data.load("mnist", "test")
    assert round(baselines.pca_errors(x_train, x_test, [30])[30], 2) == 13.87
