"""Instant mode: a second identical run loads, any change trains anew, bad files are never trusted."""
import os
import pickle

import pytest
import torch

from aecourse import instant
from aecourse.models import MLPAutoencoder
from aecourse.train import fit

X = torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AECOURSE_INSTANT", "1")
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(tmp_path))
    return tmp_path


def squared(model, x):
    return (model(x) - x).pow(2).flatten(1).sum(1).mean()


def absolute(model, x):
    return (model(x) - x).abs().flatten(1).sum(1).mean()


def run(sizes=(784, 16, 4), loss=squared, x=X, seed=0, **settings):
    """A fresh model from ``seed``, trained (or loaded); returns the model, history, and the next random number."""
    torch.manual_seed(seed)
    model = MLPAutoencoder(sizes)
    history = fit(model, x, loss, x_test=x[:64], epochs=settings.pop("epochs", 2), batch_size=64, **settings)
    return model, history, torch.rand(1).item()


def test_a_second_identical_run_is_loaded_exactly_as_training_left_it(cache, capsys):
    trained, first, after_training = run()
    assert len(list(cache.glob("*.pt"))) == 1
    loaded, second, after_loading = run()
    assert "loaded from the instant-mode cache" in capsys.readouterr().out
    assert second.train == first.train and second.test == first.test and second.cached
    assert all(torch.equal(a, b) for a, b in zip(trained.state_dict().values(), loaded.state_dict().values()))
    assert after_loading == after_training  # the random stream continues as after training
    assert not loaded.training


@pytest.mark.parametrize("change", [
    {"sizes": (784, 16, 5)},                       # a layer size
    {"loss": absolute},                            # the loss's code
    {"lr": 3e-3},                                  # a training setting
    {"epochs": 3},
    {"seed": 1},                                   # the starting weights
    {"x": X.flip(0)},                              # the data
])
def test_any_change_trains_anew(cache, change):
    run()
    _, history, _ = run(**change)
    assert history.cached == "" and len(list(cache.glob("*.pt"))) == 2


def test_a_change_in_a_function_the_loss_calls_trains_anew(cache):
    def make_loss(scale):
        def penalty(x):
            return scale * x.abs().mean()

        def loss(model, x):
            return squared(model, x) + penalty(x)
        return loss

    run(loss=make_loss(1.0))
    _, same, _ = run(loss=make_loss(1.0))
    _, other, _ = run(loss=make_loss(2.0))
    assert same.cached and not other.cached


@pytest.mark.parametrize("damage", [b"", b"not a tensor file", None])
def test_a_damaged_cache_file_warns_and_trains_anew(cache, damage):
    _, first, _ = run()
    [weights] = cache.glob("*.pt")
    weights.write_bytes(damage if damage is not None else weights.read_bytes()[:200])  # truncated
    with pytest.warns(UserWarning, match="cannot be read"):
        _, again, _ = run()
    assert again.cached == "" and again.train == first.train
    assert run()[1].cached  # and the fresh file is good


class Explosive:
    """Unpickling this runs code: what a malicious or foreign cache file could do."""

    def __reduce__(self):
        return (exec, ("import os; os.environ['AECOURSE_UNPICKLED'] = '1'",))


def test_nothing_is_unpickled_from_the_cache(cache, monkeypatch):
    monkeypatch.delenv("AECOURSE_UNPICKLED", raising=False)
    run()
    [weights] = cache.glob("*.pt")
    torch.save({"model.x": Explosive()}, weights)  # torch.save pickles it
    with open(weights, "rb") as file:
        assert file.read(2) == b"PK"  # a real torch file, not a stub
    with pytest.warns(UserWarning, match="cannot be read"):
        _, history, _ = run()
    assert "AECOURSE_UNPICKLED" not in os.environ and history.cached == ""
    pickle.loads(pickle.dumps(Explosive()))  # and the bomb is live: unpickled, it runs
    assert os.environ.pop("AECOURSE_UNPICKLED") == "1"


def test_off_by_default_and_with_a_callback(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AECOURSE_INSTANT", raising=False)
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(tmp_path))
    run()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("AECOURSE_INSTANT", "1")
    run(after_epoch=lambda epoch, model, history: None)
    assert "does not keep runs with an after_epoch callback" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("AECOURSE_INSTANT", "sometimes")
    with pytest.raises(ValueError, match="AECOURSE_INSTANT"):
        instant.enabled()


def test_batch_norm_and_its_scalar_counters_are_cached(cache):
    """BatchNorm keeps a 0-d integer counter in its state: the key and the files handle it."""
    def model():
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 16), torch.nn.BatchNorm1d(16),
                                   torch.nn.Linear(16, 784), torch.nn.Unflatten(1, (1, 28, 28)))

    torch.manual_seed(0)
    fit(model(), X, squared, epochs=1, batch_size=64)
    torch.manual_seed(0)
    again = model()
    assert fit(again, X, squared, epochs=1, batch_size=64).cached
    assert again[2].num_batches_tracked.item() == 4


def test_a_watched_run_from_the_cache_draws_its_epochs(cache):
    from aecourse import live

    run(watch=X[:4])
    torch.manual_seed(0)
    model = MLPAutoencoder((784, 16, 4))
    view = live.LiveView(X[:4], "cached")
    history = fit(model, X, squared, x_test=X[:64], epochs=2, batch_size=64)
    view.replay(history, 4)
    assert history.cached and view.train[-1] == (8, history.train[-1]) and len(view.test) == 2 and view.steps == 8
    assert view.png(X[:4]).startswith(b"\x89PNG")


def test_the_cache_folder_defaults_to_the_users_cache(monkeypatch):
    monkeypatch.delenv("AECOURSE_CACHE_DIR", raising=False)
    assert instant.cache_dir().name == "instant" and "aecourse" in str(instant.cache_dir())


def test_logistic_pca_fits_and_codes_are_kept_too(cache, monkeypatch):
    from aecourse.logistic_pca import LogisticPCA

    X2 = X.flatten(1)[:200]
    for method in ("projection", "factorization"):
        first = LogisticPCA(n_components=3, method=method, max_iter=3, random_state=0).fit(X2)
        codes = first.transform(X2[:20])
        monkeypatch.setattr(torch.optim, "Adam", lambda *a, **k: pytest.fail("optimised again"))  # not the key
        again = LogisticPCA(n_components=3, method=method, max_iter=3, random_state=0).fit(X2)
        assert torch.equal(again.components_, first.components_) and again.loss_curve_ == first.loss_curve_
        assert torch.equal(torch.as_tensor(again.transform(X2[:20])), torch.as_tensor(codes))
        monkeypatch.undo()
        monkeypatch.setenv("AECOURSE_INSTANT", "1")
        monkeypatch.setenv("AECOURSE_CACHE_DIR", str(cache))
    changed = LogisticPCA(n_components=4, method="projection", max_iter=3, random_state=0).fit(X2)
    assert changed.components_.shape == (4, 784)  # another setting: fitted anew



def test_tuning_the_filters_is_kept_too(cache):
    import json

    from aecourse import filters
    from aecourse.metrics import psnr

    clean = X[:20]
    noisy = (clean + 0.3 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    first = filters.tune(noisy, clean, psnr, methods=["Gaussian blur", "median"])
    [record] = cache.glob("*.json")
    stored = json.loads(record.read_text())
    stored["median"][2] = 99.0  # mark the stored choice: a second tuning must return it, not compute anew
    record.write_text(json.dumps(stored))
    again = filters.tune(noisy, clean, psnr, methods=["Gaussian blur", "median"])
    assert again["Gaussian blur"] == first["Gaussian blur"] and again["median"].validation_score == 99.0
    assert again["median"].setting == first["median"].setting
    filters.tune(noisy[:10], clean[:10], psnr, methods=["Gaussian blur", "median"])  # other images: tuned anew
    assert len(list(cache.glob("*.json"))) == 2
