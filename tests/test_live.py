import pytest
import torch

from aecourse import live
from aecourse.models import MLPAutoencoder
from aecourse.train import fit


class FakeDisplay:
    """Stands in for IPython's display: counts the frames shown and updated."""

    def __init__(self):
        self.frames = []

    def __call__(self, picture, display_id=False):
        self.frames.append(picture.data)
        return self

    def update(self, picture):
        self.frames.append(picture.data)


class FakeShell:
    """Stands in for IPython's shell: keeps the pre_run_cell callbacks so a test can start a new cell."""

    def __init__(self):
        self.callbacks = []
        self.events = self

    def register(self, event, callback):
        assert event == "pre_run_cell"
        self.callbacks.append(callback)

    def new_cell(self):
        for callback in self.callbacks:
            callback(None)


@pytest.fixture
def shell(monkeypatch):
    fake = FakeShell()
    monkeypatch.setattr(live, "_shell", lambda: fake)
    live._new_cell()  # no picture left over from another test
    return fake


@pytest.fixture
def shown(monkeypatch, shell):
    import IPython.display

    fake = FakeDisplay()
    monkeypatch.setattr(IPython.display, "display", fake)
    return fake


def images(n=64):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def test_watching_redraws_while_training_and_keeps_the_final_frame(shown, monkeypatch):
    monkeypatch.setenv("AECOURSE_LIVE", "1")
    monkeypatch.setattr(live, "INTERVAL", 0.0)  # redraw after every step
    x = images()
    fit(MLPAutoencoder((784, 16, 4)), x, lambda m, b: (m(b) - b).pow(2).sum((1, 2, 3)).mean(), x_test=x[:16],
        epochs=2, batch_size=32, watch=x[:6])
    assert len(shown.frames) == 2 * 2 + 1  # every step, then the final frame
    assert all(frame.startswith(b"\x89PNG") for frame in shown.frames)


def test_a_run_nobody_watches_draws_the_final_frame_only(shown, monkeypatch):
    monkeypatch.setenv("AECOURSE_LIVE", "0")
    monkeypatch.setattr(live, "INTERVAL", 0.0)
    x = images()
    history = fit(MLPAutoencoder((784, 16, 4)), x, lambda m, b: (m(b) - b).pow(2).mean(), epochs=2, batch_size=8,
                  watch=x[:3])
    assert len(shown.frames) == 1 and len(history.train) == 2


def test_outside_ipython_nothing_is_drawn_and_training_is_unchanged():
    x = images()
    loss = lambda m, b: (m(b) - b).pow(2).mean()  # noqa: E731
    torch.manual_seed(0)
    watched = fit(MLPAutoencoder((784, 16, 4)), x, loss, epochs=1, batch_size=16, watch=x[:4])
    torch.manual_seed(0)
    plain = fit(MLPAutoencoder((784, 16, 4)), x, loss, epochs=1, batch_size=16)
    assert watched.train == plain.train  # watching does not change what is learnt


def test_a_frame_shows_colour_images_too():
    view = live.LiveView(torch.rand(4, 3, 32, 32), "colour")
    view.losses = [3.0, 2.0, 1.5]
    view.epoch(1.4)
    assert view.png(torch.rand(4, 3, 32, 32)).startswith(b"\x89PNG")


@pytest.mark.parametrize("watch,message", [
    (torch.rand(13, 1, 28, 28), "1 to 12 images"),
    (torch.rand(4, 784), "1 to 12 images"),
    ([0.5, 0.5], "1 to 12 images"),
])
def test_bad_images_to_watch_get_a_clear_message(watch, message):
    with pytest.raises(ValueError, match=message):
        fit(MLPAutoencoder((784, 16, 4)), images(), lambda m, b: m(b).mean(), epochs=1, watch=watch)


def test_a_model_that_does_not_reconstruct_cannot_be_watched():
    encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 4))
    with pytest.raises(ValueError, match="shaped like its input"):
        fit(encoder, images(), lambda m, b: m(b).pow(2).mean(), epochs=1, watch=images(4))


def test_a_bad_setting_is_named(monkeypatch):
    monkeypatch.setenv("AECOURSE_LIVE", "sometimes")
    with pytest.raises(ValueError, match="AECOURSE_LIVE"):
        live.LiveView(images(2), "x")


class Counting(FakeDisplay):
    """A display that also counts the pictures created (display calls), not only the frames."""

    def __init__(self):
        super().__init__()
        self.created = 0

    def __call__(self, picture, display_id=False):
        self.created += 1
        return super().__call__(picture, display_id)


def test_the_runs_of_one_cell_share_one_picture_and_a_new_cell_gets_its_own(shell, monkeypatch):
    import IPython.display

    fake = Counting()
    monkeypatch.setattr(IPython.display, "display", fake)
    monkeypatch.setenv("AECOURSE_LIVE", "0")
    x, loss = images(), lambda m, b: (m(b) - b).pow(2).mean()
    shell.new_cell()
    for seed in range(3):  # a loop over models in one cell
        fit(MLPAutoencoder((784, 8, 2)), x, loss, epochs=1, batch_size=32, seed=seed, watch=x[:2])
    assert fake.created == 1 and len(fake.frames) == 3  # one picture, redrawn by each run
    shell.new_cell()
    fit(MLPAutoencoder((784, 8, 2)), x, loss, epochs=1, batch_size=32, watch=x[:2])
    assert fake.created == 2


def test_a_denoiser_is_watched_with_its_noisy_inputs(shown, monkeypatch):
    monkeypatch.setenv("AECOURSE_LIVE", "0")
    clean = images()
    noisy = (clean + 0.3 * torch.randn_like(clean)).clamp(0, 1)
    seen = []
    model = MLPAutoencoder((784, 16, 4))
    view = live.LiveView(clean[:4], inputs=noisy[:4], show=lambda m, x: seen.append(x) or m(x))
    fit(model, clean, lambda m, b: (m(b + 0.3 * torch.randn_like(b)) - b).pow(2).mean(), epochs=1, watch=view)
    assert all(torch.equal(x, noisy[:4]) for x in seen) and len(shown.frames) == 1
    assert view.title == "training"  # fit's desc
    frame = view.png(view.output(model))
    assert frame.startswith(b"\x89PNG")


def test_a_model_returning_logits_is_shown_through_show(shown, monkeypatch):
    monkeypatch.setenv("AECOURSE_LIVE", "0")
    x = images()
    model = MLPAutoencoder((784, 16, 4))
    view = live.LiveView(x[:3], show=lambda m, inputs: torch.sigmoid(m(inputs)))
    fit(model, x, lambda m, b: (m(b) - b).pow(2).mean(), epochs=1, watch=view)
    assert torch.allclose(view.output(model), torch.sigmoid(model(x[:3])))


def test_watching_a_model_that_samples_leaves_the_random_numbers_alone(shown, monkeypatch):
    class Noisy(torch.nn.Module):  # samples in every forward pass, like a VAE
        def __init__(self):
            super().__init__()
            self.net = MLPAutoencoder((784, 8, 2))

        def forward(self, x):
            return self.net(x) + 0.01 * torch.randn_like(x), None

    monkeypatch.setenv("AECOURSE_LIVE", "1")
    monkeypatch.setattr(live, "INTERVAL", 0.0)  # a frame after every step
    x = images()
    loss = lambda m, b: (m(b)[0] - b).pow(2).mean()  # noqa: E731
    after = []
    for watch in (None, x[:4]):
        torch.manual_seed(0)
        history = fit(Noisy(), x, loss, epochs=2, batch_size=16, watch=watch)
        after.append((history.train, torch.rand(3)))
    assert len(shown.frames) == 2 * 4 + 1
    assert after[0][0] == after[1][0] and torch.equal(after[0][1], after[1][1])


@pytest.mark.parametrize("kwargs,message", [
    ({"inputs": torch.rand(3, 1, 28, 28)}, "inputs must be shaped like the images"),
    ({"show": "sigmoid"}, "show must be a function"),
])
def test_a_bad_view_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        live.LiveView(images(2), **kwargs)


def test_show_must_give_images_shaped_like_the_targets():
    view = live.LiveView(images(2), show=lambda m, x: m(x).flatten(1))
    with pytest.raises(ValueError, match="show=") as error:
        fit(MLPAutoencoder((784, 16, 4)), images(), lambda m, b: (m(b) - b).pow(2).mean(), epochs=1, watch=view)
    assert "(2, 784)" in str(error.value)
