"""Loss terms and sparse-code measures against independent computations."""
import math

import pytest
import torch

from aecourse import losses, sparsity


def test_gaussian_kl_matches_torch_distributions_and_is_zero_at_the_prior():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    assert torch.allclose(losses.gaussian_kl(mu, logvar), expected, atol=1e-5)
    assert torch.equal(losses.gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2)), torch.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        losses.gaussian_kl(mu, logvar[:, :2])


def test_bernoulli_nll_is_binary_cross_entropy_summed_over_pixels():
    logits, x = torch.tensor([[[0.0, 2.0]], [[-1.0, 100.0]]]), torch.tensor([[[1.0, 0.0]], [[0.5, 1.0]]])
    p = torch.sigmoid(logits.double())
    direct = -(x * p.log() + (1 - x) * (1 - p).clamp(min=1e-300).log()).flatten(1).sum(1).mean()
    assert losses.bernoulli_nll(logits, x).item() == pytest.approx(direct.item(), rel=1e-5)
    assert torch.isfinite(losses.bernoulli_nll(torch.tensor([[1000.0]]), torch.tensor([[0.0]])))


def test_kl_sparsity_against_a_direct_computation_and_zero_at_the_target():
    codes = torch.tensor([[0.1, 0.5], [0.3, 0.7]])
    rho, rho_hat = 0.05, torch.tensor([0.2, 0.6])
    direct = sum(rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r)) for r in rho_hat.tolist())
    assert losses.kl_sparsity(codes, rho, weight=3.0).item() == pytest.approx(3 * direct, rel=1e-5)
    assert losses.kl_sparsity(torch.full((5, 4), 0.1), 0.1).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("rho", [0, 1, -0.1, 1.5, float("nan")])
def test_kl_sparsity_rejects_a_target_outside_zero_one(rho):
    with pytest.raises(ValueError, match="between 0 and 1"):
        losses.kl_sparsity(torch.rand(3, 4), rho)


def test_top_k_keeps_exactly_k_values_breaks_ties_and_passes_gradients_only_through_them():
    codes = torch.tensor([[3.0, 1.0, 2.0, 0.5], [1.0, 1.0, 1.0, 1.0]], requires_grad=True)
    kept = sparsity.top_k(codes, 2)
    assert kept.tolist()[0] == [3.0, 0.0, 2.0, 0.0]
    assert (kept != 0).sum(1).tolist() == [2, 2]  # a tie still keeps exactly k
    kept.sum().backward()
    assert codes.grad.tolist()[0] == [1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("k", [0, 5, 2.5, True])
def test_top_k_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k must"):
        sparsity.top_k(torch.rand(2, 4), k)


def test_l0_dead_fraction_fvu_and_purity():
    codes = torch.tensor([[1.0, 0.0, 0.0], [2.0, 0.5, 0.0], [0.0, 0.3, 0.0]])
    assert sparsity.l0(codes) == pytest.approx(4 / 3)
    assert sparsity.dead_fraction(codes) == pytest.approx(1 / 3)
    assert sparsity.l0(codes, threshold=0.4) == pytest.approx(1.0)
    target = torch.randn(50, 3, generator=torch.Generator().manual_seed(1))
    assert sparsity.fraction_of_variance_unexplained(target, target) == 0
    assert sparsity.fraction_of_variance_unexplained(target.mean(0).expand_as(target), target) == pytest.approx(1.0)
    labels = torch.tensor([0, 0, 1])
    purity = sparsity.class_purity(codes, labels, top=2)
    assert purity[0] == 1.0 and purity[1] == 0.5 and math.isnan(purity[2])
    rare = torch.tensor([[0.0], [0.0], [3.0]])  # fires on one image only: too rare to judge with top=2
    assert math.isnan(sparsity.class_purity(rare, labels, top=2)[0])
