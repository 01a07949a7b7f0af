import numpy as np
import pytest
import torch
from scipy import ndimage

from aecourse import filters


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


def test_masked_fill_fills_only_zeros_with_neighbour_mean():
    x = torch.full((1, 1, 5, 5), 0.6)
    x[0, 0, 2, 2] = 0
    out = filters.masked_fill(x)
    assert out[0, 0, 2, 2].item() == pytest.approx(0.6)
    assert torch.equal(out[x != 0], x[x != 0])


@pytest.mark.parametrize("call", [lambda x: filters.gaussian_blur(x, 0), lambda x: filters.median_filter(x, 4),
                                  lambda x: filters.masked_fill(x[0])])
def test_bad_arguments(images, call):
    with pytest.raises(ValueError):
        call(images)
