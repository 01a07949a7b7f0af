"""The linear probe against scikit-learn; the importance-weighted bound and log-mean-exp against direct computations."""
import math

import pytest
import torch

from aecourse.likelihood import log_mean_exp, log_weights, log_weights_of
from aecourse.losses import gaussian_kl
from aecourse.probe import linear_probe


def test_the_probe_agrees_with_scikit_learns_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    g = torch.Generator().manual_seed(0)
    centres = torch.randn(4, 20, generator=g)
    labels = torch.randint(4, (1200,), generator=g)
    codes = centres[labels] + 1.5 * torch.randn(1200, 20, generator=g)
    train, test = slice(0, 800), slice(800, None)
    ours = linear_probe(codes[train], labels[train], codes[test], labels[test], l2=1 / 800)
    scaler = StandardScaler().fit(codes[train].numpy())
    sk = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(codes[train].numpy()), labels[train].numpy())
    sk_error = 1 - sk.score(scaler.transform(codes[test].numpy()), labels[test].numpy())
    assert ours.test_error == pytest.approx(sk_error, abs=0.005)
    assert 0 < ours.test_error < 0.5 and "linear probe" in str(ours)


def test_the_probe_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="width"):
        linear_probe(torch.rand(10, 3), torch.zeros(10, dtype=torch.long),
                     torch.rand(5, 4), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="integer tensor"):
        linear_probe(torch.rand(10, 3), torch.zeros(10), torch.rand(5, 3), torch.zeros(5, dtype=torch.long))


def test_log_mean_exp_is_stable_and_exact():
    values = torch.tensor([[1000.0, 999.0], [-1000.0, -1001.0]])
    expected = torch.tensor([1000 + math.log((1 + math.exp(-1)) / 2), -1000 + math.log((1 + math.exp(-1)) / 2)])
    assert torch.allclose(log_mean_exp(values, dim=1), expected)
    small = torch.randn(5, 7, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(log_mean_exp(small, 0), small.exp().mean(0).log(), atol=1e-6)


class TinyVAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.enc, self.dec = torch.nn.Linear(6, 4), torch.nn.Linear(2, 6)

    def encode(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z):
        return self.dec(z)


def test_the_bound_rises_with_k_stays_above_the_elbo_and_k1_is_the_elbo():
    model = TinyVAE()
    x = torch.rand(2000, 6, generator=torch.Generator().manual_seed(1))  # enough images that averages are precise
    mu, logvar = model.encode(x)
    elbo = []
    for seed in range(50):  # the ELBO by Monte Carlo: E_q[log p(x|z)] - KL
        torch.manual_seed(seed)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        reconstruction = -torch.nn.functional.binary_cross_entropy_with_logits(
            model.decode(z), x, reduction="none").sum(1)
        elbo.append(reconstruction - gaussian_kl(mu, logvar))
    elbo = torch.stack(elbo).mean(0).detach()
    bounds = {k: log_mean_exp(log_weights_of(model, x, k, seed=0, batch_size=500)) for k in (1, 10, 200)}
    assert bounds[1].mean().item() == pytest.approx(elbo.mean().item(), abs=0.05)
    assert bounds[1].mean() < bounds[10].mean() < bounds[200].mean()
    assert torch.equal(log_weights_of(model, x, 10, seed=0), log_weights_of(model, x, 10, seed=0))
    assert not torch.equal(log_weights_of(model, x, 10, seed=0), log_weights_of(model, x, 10, seed=1))
    assert log_weights(model.encode, model.decode, x[:30], 3).shape == (3, 30)
    with pytest.raises(ValueError, match=">= 1"):
        log_weights_of(model, x, 0, seed=0)
