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


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    fake = FakeDisplay()
    monkeypatch.setattr(IPython.display, "display", fake)
    monkeypatch.setattr(live, "_in_ipython", lambda: True)
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
