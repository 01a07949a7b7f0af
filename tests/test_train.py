import pytest
import torch
import torch.nn as nn

from aecourse import metrics, runtime, train
from aecourse.models import MLPAutoencoder


def mse_sum(model, x):
    return (model(x) - x).pow(2).flatten(1).sum(1).mean()


@pytest.fixture
def blobs():
    """Images made of 3 fixed patterns plus noise: easy to compress into a small code."""
    g = torch.Generator().manual_seed(0)
    patterns = torch.rand(3, 1, 8, 8, generator=g)
    which = torch.randint(0, 3, (600,), generator=g)
    x = (patterns[which] + 0.05 * torch.randn(600, 1, 8, 8, generator=g)).clamp(0, 1)
    return x[:500], x[500:]


def small_model():
    runtime.seed_everything(0)
    return MLPAutoencoder((64, 32, 4), image_shape=(1, 8, 8))


def test_fit_lowers_train_and_test_loss(blobs):
    x_train, x_test = blobs
    model = small_model()
    before = metrics.reconstruction_error(model, x_test)
    history = train.fit(model, x_train, mse_sum, x_test=x_test, epochs=5, batch_size=50, lr=1e-2, device="cpu")
    assert len(history.train) == len(history.test) == 5
    assert history.train[-1] < history.train[0]
    assert history.test[-1] < 0.5 * before
    assert history.test[-1] == pytest.approx(metrics.reconstruction_error(model, x_test), rel=1e-5)
    assert history.seconds > 0 and not history.interrupted


def test_fit_is_reproducible(blobs):
    x_train, _ = blobs
    histories = []
    for _ in range(2):
        model = small_model()
        histories.append(train.fit(model, x_train, mse_sum, epochs=2, batch_size=50, seed=3, device="cpu").train)
    assert histories[0] == histories[1]


def test_keyboard_interrupt_keeps_model_and_history(blobs, capsys):
    x_train, x_test = blobs
    model = small_model()
    initial = [p.detach().clone() for p in model.parameters()]
    calls = {"n": 0}

    def interrupted_loss(model, x):
        calls["n"] += 1
        if calls["n"] == 10 + 3:  # 10 batches per epoch: stop during the second epoch
            raise KeyboardInterrupt
        return mse_sum(model, x)

    history = train.fit(model, x_train, interrupted_loss, x_test=x_test, epochs=5, batch_size=50, device="cpu")
    assert history.interrupted
    assert len(history.train) == len(history.test) == 1
    assert any(not torch.equal(a, b) for a, b in zip(initial, model.parameters()))
    assert "Stopped early" in capsys.readouterr().out


def test_loss_must_be_a_finite_scalar(blobs):
    x_train, _ = blobs
    with pytest.raises(TypeError, match="single-number tensor"):
        train.fit(small_model(), x_train, lambda m, x: m(x) - x, epochs=1, device="cpu")
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        train.fit(small_model(), x_train, lambda m, x: mse_sum(m, x) * float("nan"), epochs=1, device="cpu")


def test_one_cycle_schedule_rises_to_lr_then_falls_to_almost_zero(blobs):
    x_train, x_test = blobs
    model = small_model()
    optimizer = torch.optim.Adam(model.parameters())
    rates = []

    def recording_loss(model, x):
        if model.training:  # not during the evaluation after each epoch
            rates.append(optimizer.param_groups[0]["lr"])
        return mse_sum(model, x)

    history = train.fit(model, x_train, recording_loss, x_test=x_test, epochs=4, batch_size=50, lr=0.01,
                        schedule="one-cycle", optimizer=optimizer, device="cpu")
    assert len(rates) == 40  # 4 epochs x 10 batches
    peak = max(range(40), key=rates.__getitem__)
    assert rates[0] == pytest.approx(0.01 / 25)
    assert rates[peak] == pytest.approx(0.01, rel=0.02) and 10 <= peak <= 13  # after 30% of the batches
    assert rates[-1] < 1e-6  # the last batch
    assert history.test[-1] < history.test[0]


def test_weight_decay_shrinks_weights_the_loss_ignores(blobs):
    x_train, _ = blobs
    model = small_model()
    before = [p.detach().clone() for p in model.parameters()]
    zero_gradient = lambda m, x: 0 * mse_sum(m, x)  # noqa: E731
    train.fit(model, x_train, zero_gradient, epochs=1, batch_size=50, lr=0.1, weight_decay=0.5, device="cpu")
    for old, new in zip(before, model.parameters()):  # 10 steps, each multiplies by 1 - lr * weight_decay
        assert torch.allclose(new, old * 0.95 ** 10, atol=1e-6)


def test_fit_rejects_an_unknown_schedule(blobs):
    with pytest.raises(ValueError, match="one-cycle"):
        train.fit(small_model(), blobs[0], mse_sum, schedule="cosine", device="cpu")


def test_fit_rejects_empty_data():
    with pytest.raises(ValueError, match="empty"):
        train.fit(small_model(), torch.empty(0, 1, 8, 8), mse_sum, device="cpu")


def test_default_device_is_usable():
    assert torch.zeros(1, device=runtime.default_device()).device.type in {"cuda", "mps", "cpu"}


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"),
                                                 (False, False, "cpu")])
def test_default_device_prefers_cuda_then_mps_then_the_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert runtime.default_device() == torch.device(expected)


def test_weight_decay_with_your_own_optimiser_is_refused_not_ignored(blobs):
    model = small_model()
    with pytest.raises(ValueError, match="your own optimizer"):
        train.fit(model, blobs[0], mse_sum, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                  weight_decay=0.01, device="cpu")


def test_fit_trains_on_images_and_labels():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 2, generator=g)
    y = (x[:, 0] > 0).long()
    classifier = nn.Linear(2, 2)

    def cross_entropy(model, batch):
        inputs, labels = batch
        return nn.functional.cross_entropy(model(inputs), labels)

    history = train.fit(classifier, (x, y), cross_entropy, x_test=(x[:50], y[:50]), epochs=5, lr=0.1, device="cpu")
    assert history.train[-1] < history.train[0] and len(history.test) == 5
    assert (classifier(x).argmax(1) == y).float().mean() > 0.9
    with pytest.raises(ValueError, match="same first dimension"):
        train.fit(classifier, (x, y[:10]), cross_entropy, device="cpu")


def test_predict_batches_match_one_call_and_restore_mode():
    model = MLPAutoencoder((784, 16, 2))
    model.train()
    x = torch.rand(2500, 1, 28, 28)
    codes = runtime.predict(model.encoder, x, batch_size=1000)
    with torch.no_grad():
        assert torch.allclose(codes, model.encoder(x), atol=1e-6)
    assert model.training
    assert runtime.predict(nn.Flatten(), x[:3]).shape == (3, 784)  # a module without parameters


def test_model_shapes():
    model = MLPAutoencoder((784, 128, 64, 3), activation=nn.Tanh)
    x = torch.rand(7, 1, 28, 28)
    assert model.encode(x).shape == (7, 3)
    out = model(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError):
        MLPAutoencoder((784,))


def test_after_epoch_is_called_once_per_epoch_with_the_history_so_far(blobs):
    seen = []
    train.fit(small_model(), blobs[0], mse_sum, x_test=blobs[1], epochs=3, batch_size=50, device="cpu",
              after_epoch=lambda epoch, model, history: seen.append((epoch, len(history.train), len(history.test),
                                                                     history.epochs)))
    assert seen == [(1, 1, 1, 3), (2, 2, 2, 3), (3, 3, 3, 3)]
