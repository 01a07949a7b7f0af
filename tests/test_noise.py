import math

import pytest
import torch

from aecourse import noise


@pytest.fixture
def images():
    return torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def test_gaussian_statistics_and_clipping(images):
    flat = torch.full((100_000,), 0.5)
    unclipped = noise.gaussian(flat, 0.1, clip=False, generator=0)
    assert (unclipped - flat).mean().abs() < 2e-3
    assert (unclipped - flat).std().item() == pytest.approx(0.1, rel=0.02)
    clipped = noise.gaussian(images, 0.5, generator=0)
    assert clipped.min() >= 0 and clipped.max() <= 1
    assert noise.gaussian(images, 0.5, clip=False, generator=0).min() < 0
    assert torch.equal(noise.gaussian(images, 0.0), images)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 1.0])
def test_salt_and_pepper_hits_a_fraction_p(p):
    x = torch.full((1000, 1, 28, 28), 0.5)
    noisy = noise.salt_and_pepper(x, p, generator=1)
    changed = (noisy != x).float().mean().item()
    assert changed == pytest.approx(p, abs=0.005)
    assert set(noisy[noisy != 0.5].unique().tolist()) <= {0.0, 1.0}


def test_salt_ratio_controls_salt_versus_pepper():
    x = torch.full((500, 784), 0.5)
    noisy = noise.salt_and_pepper(x, 0.4, salt_ratio=0.25, generator=2)
    salt, pepper = (noisy == 1).float().mean().item(), (noisy == 0).float().mean().item()
    assert salt == pytest.approx(0.1, abs=0.005) and pepper == pytest.approx(0.3, abs=0.005)


@pytest.mark.parametrize("p", [0.0, 0.25, 0.75])
def test_masking_zeroes_a_fraction_p_and_keeps_the_rest(p):
    x = torch.rand(1000, 784, generator=torch.Generator().manual_seed(3)) * 0.5 + 0.5  # no zeros to start with
    noisy = noise.masking(x, p, generator=4)
    assert (noisy == 0).float().mean().item() == pytest.approx(p, abs=0.005)
    kept = noisy != 0
    assert torch.equal(noisy[kept], x[kept])


def test_speckle_scales_with_the_pixel():
    x = torch.cat([torch.zeros(50_000), torch.full((50_000,), 0.2), torch.full((50_000,), 0.4)])
    noisy = noise.speckle(x, 0.5, clip=False, generator=5)
    assert torch.equal(noisy[:50_000], x[:50_000])  # black stays black
    for value, part in ((0.2, noisy[50_000:100_000]), (0.4, noisy[100_000:])):
        assert part.mean().item() == pytest.approx(value, abs=0.003)
        assert part.std().item() == pytest.approx(0.5 * value, rel=0.02)
    assert noise.speckle(x, 3.0, generator=5).min() >= 0 and noise.speckle(x, 3.0, generator=5).max() <= 1
    assert torch.equal(noise.speckle(x, 0.0), x)


@pytest.mark.parametrize("peak", [5, 30])
def test_poisson_counts_photons(peak):
    x = torch.full((100_000,), 0.3)
    noisy = noise.poisson(x, peak, clip=False, generator=6)
    assert noisy.mean().item() == pytest.approx(0.3, abs=0.003)
    assert noisy.var().item() == pytest.approx(0.3 / peak, rel=0.03)  # variance x / peak: the signal's square root
    counts = noisy * peak
    assert torch.allclose(counts, counts.round(), atol=1e-4)  # whole photons
    assert torch.equal(noise.poisson(torch.zeros(10), peak, generator=6), torch.zeros(10))
    clipped = noise.poisson(torch.ones(10_000), peak, generator=6)
    assert clipped.max() <= 1 and clipped.min() >= 0


def test_every_noise_has_a_level_range_that_it_accepts(images):
    assert set(noise.LEVELS) == set(noise.NOISES)
    for kind, (name, low, high, stronger) in noise.LEVELS.items():
        assert low < high and stronger in ("higher", "lower")
        for level in (low or 0.05, high):
            assert noise.corrupt(images, kind, level, generator=0).shape == images.shape


@pytest.mark.parametrize("kind,level", [("gaussian", 0.3), ("salt_and_pepper", 0.2), ("masking", 0.3),
                                        ("speckle", 0.4), ("poisson", 10)])
def test_same_seed_same_noise_and_input_untouched(images, kind, level):
    before = images.clone()
    a = noise.corrupt(images, kind, level, generator=7)
    b = noise.corrupt(images, kind, level, generator=7)
    c = noise.corrupt(images, kind, level, generator=8)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(images, before)
    generator = torch.Generator().manual_seed(7)
    assert torch.equal(noise.corrupt(images, kind, level, generator=generator), a)


@pytest.mark.parametrize("shape", [(784,), (5, 784), (3, 1, 28, 28), (2, 3, 32, 32)])
def test_any_batch_shape(shape):
    x = torch.rand(shape)
    for kind in noise.NOISES:
        assert noise.corrupt(x, kind, 0.3, generator=0).shape == x.shape


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_works_on_gpu():
    x = torch.rand(4, 1, 28, 28, device="cuda")
    for kind in noise.NOISES:
        out = noise.corrupt(x, kind, 0.3, generator=0)
        assert out.device == x.device
        assert torch.equal(out, noise.corrupt(x, kind, 0.3, generator=0))


@pytest.mark.parametrize("call,message", [
    (lambda x: noise.gaussian(x, -0.1), "sigma"),
    (lambda x: noise.gaussian(x, math.nan), "sigma"),
    (lambda x: noise.gaussian(x, math.inf), "sigma"),
    (lambda x: noise.salt_and_pepper(x, 1.5), "p must be"),
    (lambda x: noise.salt_and_pepper(x, math.nan), "p must be"),
    (lambda x: noise.salt_and_pepper(x, 0.2, salt_ratio=-1), "salt_ratio"),
    (lambda x: noise.masking(x, -0.01), "p must be"),
    (lambda x: noise.speckle(x, -0.5), "sigma"),
    (lambda x: noise.poisson(x, 0), "peak must be a finite number > 0"),
    (lambda x: noise.poisson(x, -3), "peak"),
    (lambda x: noise.poisson(x, math.inf), "peak"),
    (lambda x: noise.corrupt(x, "uniform", 0.1), "Unknown noise"),
    (lambda x: noise.gaussian(x, torch.tensor([0.1, -0.2]).view(2, 1, 1, 1)), "sigma must hold finite floats >= 0"),
    (lambda x: noise.poisson(x, torch.tensor([4.0, 0.0]).view(2, 1, 1, 1)), "peak must hold finite floats > 0"),
    (lambda x: noise.label("uniform", 0.1), "Unknown noise"),
])
def test_invalid_arguments_give_clear_errors(images, call, message):
    with pytest.raises(ValueError, match=message):
        call(images)


def test_non_float_input_and_bad_generator_are_rejected():
    with pytest.raises(TypeError, match="floating-point"):
        noise.masking(torch.zeros(3, dtype=torch.uint8), 0.5)
    with pytest.raises(TypeError, match="floating-point"):
        noise.gaussian([0.5, 0.5], 0.1)
    with pytest.raises(TypeError, match="generator"):
        noise.masking(torch.rand(3), 0.5, generator="seed")


def test_a_level_per_image():
    flat = torch.full((3, 1, 100, 100), 0.5)
    sigma = torch.tensor([0.0, 0.05, 0.1]).view(3, 1, 1, 1)
    spread = (noise.gaussian(flat, sigma, clip=False, generator=0) - flat).flatten(1).std(1)
    assert spread[0] == 0 and spread[1:].tolist() == pytest.approx([0.05, 0.1], rel=0.05)
    peak = torch.tensor([1.0, 100.0, 1e6]).view(3, 1, 1, 1)
    counts = noise.poisson(flat, peak, clip=False, generator=0)
    assert (counts - flat).flatten(1).var(1).tolist() == pytest.approx([0.5, 0.005, 5e-7], rel=0.1)


def test_labels_name_the_level_as_readers_write_it():
    assert noise.label("gaussian", 0.5) == "Gaussian σ = 0.5"
    assert noise.label("salt_and_pepper", 0.2) == "salt-and-pepper p = 0.2"
    assert noise.label("poisson", 4) == "Poisson peak = 4"
    assert set(noise.NAMES) == set(noise.NOISES)
