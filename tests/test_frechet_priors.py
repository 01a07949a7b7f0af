"""The Fréchet distance, its shipped classifier, prior samplers and two-sample statistics."""
import math

import numpy as np
import pytest
import scipy.linalg
import torch

from aecourse import data, frechet, priors, twosample


def test_frechet_distance_of_two_gaussians_has_the_known_value():
    g = torch.Generator().manual_seed(0)
    d, n = 4, 200_000
    a = torch.randn(n, d, generator=g, dtype=torch.float64)
    b = 2.0 + 3.0 * torch.randn(n, d, generator=g, dtype=torch.float64)
    expected = d * 2.0 ** 2 + d * (1.0 - 3.0) ** 2  # |m1 - m2|^2 + d (s1 - s2)^2
    assert frechet.frechet_distance_of_features(a, b) == pytest.approx(expected, rel=0.02)
    assert frechet.frechet_distance_of_features(a, a) == pytest.approx(0.0, abs=1e-6)


def features_with(mean, cov, n=1000, seed=0):
    """n feature vectors whose sample mean and covariance are exactly ``mean`` and ``cov``."""
    mean, cov = torch.tensor(mean, dtype=torch.float64), torch.tensor(cov, dtype=torch.float64)
    z = torch.randn(n, len(mean), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    z = z - z.mean(0)
    white = z @ torch.linalg.inv(torch.linalg.cholesky(torch.cov(z.T))).T  # sample covariance: the identity
    return mean + white @ torch.linalg.cholesky(cov).T


def test_frechet_distance_of_non_commuting_covariances_has_the_closed_form_value():
    a = features_with([0.0, 0.0], [[9.0, 0.0], [0.0, 1.0]])
    b = features_with([1.0, 2.0], [[2.0, 1.0], [1.0, 1.0]], seed=1)
    # C1 C2 != C2 C1; for 2 x 2 matrices Tr sqrt(C1 C2) = sqrt(Tr(C1 C2) + 2 sqrt(det C1 det C2)) = sqrt(19 + 6)
    assert frechet.frechet_distance_of_features(a, b) == pytest.approx(5 + 10 + 3 - 2 * 5, rel=1e-6)


def test_frechet_distance_matches_scipy_for_random_non_commuting_covariances():
    g = torch.Generator().manual_seed(0)
    d, n = 6, 500
    a = torch.randn(n, d, generator=g, dtype=torch.float64) @ torch.randn(d, d, generator=g, dtype=torch.float64)
    b = 1.0 + torch.randn(n, d, generator=g, dtype=torch.float64) @ torch.randn(d, d, generator=g, dtype=torch.float64)
    mean_a, mean_b, cov_a, cov_b = a.mean(0).numpy(), b.mean(0).numpy(), np.cov(a.T.numpy()), np.cov(b.T.numpy())
    assert not np.allclose(cov_a @ cov_b, cov_b @ cov_a)
    expected = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * scipy.linalg.sqrtm(cov_a @ cov_b).real)
    assert frechet.frechet_distance_of_features(a, b) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_needs_enough_samples():
    with pytest.raises(ValueError, match="too few"):
        frechet.frechet_distance_of_features(torch.randn(10, 20), torch.randn(100, 20))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        frechet.frechet_distance(torch.rand(10, 784), torch.rand(10, 1, 28, 28))


def test_the_shipped_classifier_is_accurate_and_its_distance_orders_sample_quality():
    x, y = data.load("mnist", "test", n=2000)
    assert frechet.accuracy(x, y) > 0.985
    floor = frechet.frechet_distance(x[:1000], x[1000:])
    blurred = torch.nn.functional.avg_pool2d(x[1000:], 3, stride=1, padding=1)
    noise = torch.rand(1000, 1, 28, 28)
    assert floor < frechet.frechet_distance(x[:1000], blurred) < frechet.frechet_distance(x[:1000], noise)
    assert frechet.features(x[:3]).shape == (3, 128) and frechet.predicted_labels(x[:5]).shape == (5,)


@pytest.mark.parametrize("name", priors.PRIORS)
def test_priors_are_reproducible_two_dimensional_and_centred(name):
    a, b = priors.sample(name, 4000, seed=3), priors.sample(name, 4000, seed=3)
    assert torch.equal(a, b) and a.shape == (4000, 2) and a.dtype == torch.float32
    assert a.mean(0).abs().max() < 0.3


def test_mixture_components_sit_on_the_circle_and_follow_given_labels():
    which = torch.arange(1000) % 10
    samples, got = priors.gaussian_mixture(1000, which=which)
    assert torch.equal(got, which)
    centres = priors.mixture_centres()
    assert (samples - centres[which]).norm(dim=1).mean() < 1.0
    assert centres.norm(dim=1).allclose(torch.full((10,), 4.0))


def test_prior_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="Unknown prior"):
        priors.sample("uniform", 10)
    with pytest.raises(ValueError, match="2-dimensional"):
        priors.sample("swiss_roll", 10, dim=20)
    with pytest.raises(ValueError, match="positive whole number"):
        priors.gaussian(0)


def test_two_sample_statistics_tell_same_from_different():
    same = twosample.mmd_test(priors.gaussian(400, seed=1), priors.gaussian(400, seed=2), permutations=100)
    different = twosample.mmd_test(priors.gaussian(400, seed=1), priors.sample("mixture", 400), permutations=100)
    assert same.same and same.p_value > 0.05
    assert not different.same and different.p_value < 0.05 and different.mmd2 > same.mmd2
    shifted = priors.gaussian(2000, seed=4) + torch.tensor([1.0, 0.0])
    distance = twosample.sliced_wasserstein(priors.gaussian(2000, seed=5), shifted)
    assert distance == pytest.approx(2 / math.pi, rel=0.15)  # E|<shift, u>| over unit directions u in 2-D
    with pytest.raises(ValueError, match="different dimensions"):
        twosample.mmd(torch.rand(5, 2), torch.rand(5, 3))
