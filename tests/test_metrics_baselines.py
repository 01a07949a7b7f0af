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


def test_pca_reconstructions_match_explicit_pca_and_keep_the_image_shape():
    from sklearn.decomposition import PCA

    g = torch.Generator().manual_seed(1)
    x_train, x_test = torch.rand(200, 3, 4, 4, generator=g), torch.rand(20, 3, 4, 4, generator=g)
    reconstructions = baselines.pca_reconstructions(x_train, x_test, [2, 8])
    assert set(reconstructions) == {2, 8} and reconstructions[8].shape == x_test.shape
    pca = PCA(n_components=2).fit(x_train.flatten(1).numpy())
    explicit = pca.inverse_transform(pca.transform(x_test.flatten(1).numpy()))
    assert reconstructions[2].flatten(1).numpy() == pytest.approx(explicit, abs=1e-5)


def test_pca_30_reproduces_hinton_salakhutdinov():
    """The published PCA-30 figure on MNIST is 13.87 (Science, 2006, Fig. 2)."""
    x_train, _ = data.load("mnist", "train")
    x_test, _ = data.load("mnist", "test")
    assert round(baselines.pca_errors(x_train, x_test, [30])[30], 2) == 13.87


def test_psnr_against_scikit_image():
    from skimage.metrics import peak_signal_noise_ratio

    g = torch.Generator().manual_seed(0)
    x = torch.rand(5, 1, 28, 28, generator=g, dtype=torch.float64)
    x_hat = (x + 0.1 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    expected = [peak_signal_noise_ratio(a[0].numpy(), b[0].numpy(), data_range=1.0) for a, b in zip(x, x_hat)]
    assert np.allclose(metrics.psnr(x_hat, x).numpy(), expected)


def test_ssim_is_one_for_identical_images_and_lower_for_noisy_ones():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 1, 28, 28, generator=g)
    assert torch.allclose(metrics.ssim(x, x), torch.ones(3, dtype=torch.float64))
    assert (metrics.ssim((x + 0.3 * torch.randn(x.shape, generator=g)), x) < 0.9).all()
    with pytest.raises(ValueError, match="Shapes differ"):
        metrics.ssim(x, x[:2])


def test_psnr_of_gaussian_noise_on_mnist_matches_the_reference_point():
    """Noisy MNIST test images at sigma = 0.5, clipped: 9.38 dB (the course's reference point)."""
    from aecourse import noise

    x, _ = data.load("mnist", "test")
    assert round(metrics.psnr(noise.gaussian(x, 0.5, generator=0), x).mean().item(), 2) == 9.38


def test_checkerboard_energy_finds_period_2_patterns_only():
    from aecourse.metrics import checkerboard_energy

    x = torch.zeros(4, 1, 8, 8)
    x[0, :, ::2, ::2] = x[0, :, 1::2, 1::2] = 1  # a checkerboard
    x[1, :, ::2, :] = 1                            # stripes of period 2
    x[2, :, :4, :] = 1                             # one smooth step: almost no period-2 energy
    flat = torch.full((1, 1, 8, 8), 0.3)
    shares = checkerboard_energy(torch.cat([x, flat]))
    assert shares[:2].tolist() == pytest.approx([1.0, 1.0])
    assert shares[2] < 0.1 and shares[3] == 0 and shares[4] == 0
    with pytest.raises(ValueError, match="even H and W"):
        checkerboard_energy(torch.zeros(1, 1, 7, 8))
