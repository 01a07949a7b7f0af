import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import restoration

from aecourse import filters, noise


@pytest.fixture
def images():
    return torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def test_gaussian_blur_matches_scipy(images):
    ours = filters.gaussian_blur(images, 1.0).numpy()
    theirs = np.stack([ndimage.gaussian_filter(im[0], 1.0, mode="mirror", truncate=3.0) for im in images.numpy()])
    assert np.allclose(ours[:, 0], theirs, atol=1e-10)


def test_median_filter_matches_scipy(images):
    ours = filters.median_filter(images, 3).numpy()
    theirs = np.stack([ndimage.median_filter(im[0], size=3, mode="mirror") for im in images.numpy()])
    assert np.allclose(ours[:, 0], theirs)


def test_median_removes_isolated_salt():
    x = torch.zeros(1, 1, 9, 9)
    x[0, 0, 4, 4] = 1
    assert filters.median_filter(x).abs().max() == 0


def test_fill_dropped_pixels_fills_only_zeros_with_neighbour_mean():
    x = torch.full((1, 1, 5, 5), 0.6)
    x[0, 0, 2, 2] = 0
    out = filters.fill_dropped_pixels(x)
    assert out[0, 0, 2, 2].item() == pytest.approx(0.6)
    assert torch.equal(out[x != 0], x[x != 0])


@pytest.mark.parametrize("call", [lambda x: filters.gaussian_blur(x, 0), lambda x: filters.median_filter(x, 4),
                                  lambda x: filters.fill_dropped_pixels(x[0])])
def test_bad_arguments(images, call):
    with pytest.raises(ValueError):
        call(images)


def _noisy_digits():
    clean = torch.zeros(6, 1, 20, 20)
    clean[:, :, 5:15, 8:12] = 1  # a bar: flat regions and sharp edges
    return clean, noise.gaussian(clean, 0.3, generator=0)


def _psnr(a, b):
    return 10 * torch.log10(1 / (a - b).pow(2).flatten(1).mean(1))


@pytest.mark.parametrize("denoise", [lambda x: filters.nl_means(x, 0.2), lambda x: filters.total_variation(x, 0.2),
                                     lambda x: filters.wavelet(x, 0.3), lambda x: filters.bilateral(x, 0.3)])
def test_scikit_image_denoisers_reduce_the_error_and_keep_shape_and_dtype(denoise):
    clean, noisy = _noisy_digits()
    out = denoise(noisy)
    assert out.shape == noisy.shape and out.dtype == noisy.dtype and out.device == noisy.device
    assert (_psnr(out.clamp(0, 1), clean) > _psnr(noisy, clean) + 1).all()  # at least 1 dB on every image


def test_scikit_image_denoisers_match_scikit_image_image_by_image():
    _, noisy = _noisy_digits()
    ours = filters.total_variation(noisy.double(), 0.1)[:, 0].numpy()
    theirs = np.stack([restoration.denoise_tv_chambolle(im[0], weight=0.1) for im in noisy.double().numpy()])
    assert np.allclose(ours, theirs)


def test_tune_picks_the_best_setting_on_the_validation_images():
    clean, noisy = _noisy_digits()
    tuned = filters.tune(noisy, clean, _psnr, methods=["Gaussian blur", "total variation"])
    assert list(tuned) == ["Gaussian blur", "total variation"]
    for method, denoiser in tuned.items():
        function, name, values = filters.CANDIDATES[method]
        by_value = {v: _psnr(function(noisy, **{name: v}).clamp(0, 1), clean).mean().item() for v in values}
        assert denoiser.setting == (name, max(by_value, key=by_value.get))
        assert denoiser.validation_score == pytest.approx(max(by_value.values()))
        assert torch.equal(denoiser(noisy), function(noisy, **{name: denoiser.setting[1]}))
    assert str(tuned["total variation"]).startswith("total variation (weight ")


@pytest.mark.parametrize("call,message", [
    (lambda x: filters.nl_means(x, 0), "h must be positive"),
    (lambda x: filters.total_variation(x, -1), "weight must be positive"),
    (lambda x: filters.wavelet(x, 0), "sigma must be positive"),
    (lambda x: filters.bilateral(x, 0.1, 0), "must be positive"),
    (lambda x: filters.nl_means(x[0], 0.1), "grey image batches"),
    (lambda x: filters.tune(x, x[:2], _psnr), "same shape"),
    (lambda x: filters.tune(x, x, _psnr, methods=["BM3D"]), "Unknown denoiser"),
])
def test_bad_arguments_of_the_new_denoisers(images, call, message):
    with pytest.raises(ValueError, match=message):
        call(images)
