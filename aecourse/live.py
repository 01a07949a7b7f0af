"""Watch it learn: a training run's loss curve beside originals and their current reconstructions.

``fit(..., watch=x_test[:8])`` shows one picture under the cell and redraws it every few
seconds while the model trains (``LiveView.interval``), then a last time when training ends.
In JupyterLab the picture changes in place; a saved notebook keeps only the last frame.
The runs of one cell share one picture: a loop that trains several models redraws it for
the model in training, and the saved notebook keeps the last run's final frame.

For a model whose input is not its target, or whose output is not the picture, pass a
:class:`LiveView` instead of the images::

    fit(denoiser, ..., watch=LiveView(clean[:6], inputs=noisy[:6]))          # input, target, output
    fit(vae, ..., watch=LiveView(x_test[:8], show=lambda model, x: torch.sigmoid(model(x)[0])))

Drawing costs time (0.1 to 0.4 s a frame on a laptop CPU) and leaves PyTorch's random numbers
(CPU and CUDA) where they were, so watching a run changes none of the numbers that follow it.
Runs nobody watches, the tests and ``make execute``, set ``AECOURSE_LIVE=0``: they draw the
final frame only, so the live updates cost them nothing. Outside IPython nothing is drawn.
"""
import io
import os
import time

import torch

ENV_VAR = "AECOURSE_LIVE"
INTERVAL = 3.0  # seconds between frames while training
_cell = {"picture": None}  # the display handle of the running cell's picture, shared by the cell's runs


def _shell():
    """The running IPython shell, or None outside IPython (then nothing is drawn)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _new_cell(*_):
    """IPython's pre_run_cell event: the next cell's first run draws a new picture."""
    _cell["picture"] = None


def _show(shell, picture):
    """Show ``picture`` under the running cell, in the cell's one picture: the runs of a cell share it."""
    from IPython.display import display

    if not getattr(shell, "_aecourse_live", False):
        shell.events.register("pre_run_cell", _new_cell)
        shell._aecourse_live = True
    if _cell["picture"] is None:
        _cell["picture"] = display(picture, display_id=True)
    else:
        _cell["picture"].update(picture)


def _live_updates_wanted():
    value = os.environ.get(ENV_VAR, "1").strip().lower()
    if value not in ("0", "1", "false", "true", "no", "yes", ""):
        raise ValueError(f"{ENV_VAR} must be 1 (redraw while training) or 0 (final frame only), got {value!r}.")
    return value not in ("0", "false", "no")


def first_output(model, inputs):
    """The model's first output for ``inputs`` (a model may return several, e.g. a VAE's logits, mu, logvar)."""
    out = model(inputs)
    return out[0] if isinstance(out, (tuple, list)) else out


class LiveView:
    """Loss curve and a model's outputs for a few images, redrawn at most every ``interval`` seconds.

    Args:
        images: what the model should produce, (n, C, H, W) with n from 1 to 12, C 1 or 3, values in [0, 1].
        title: shown above the picture (:func:`~aecourse.train.fit` sets it to the run's ``desc``).
        inputs: what the model is given, shaped like ``images``, when that is not ``images`` itself
            (a denoiser's noisy inputs); the picture then has rows input, target and output.
        show: ``show(model, inputs) -> images`` shaped like ``images`` with values in [0, 1], the pictures of
            the model's output (default: its first output; e.g. ``torch.sigmoid`` of it for a model that
            returns logits).
        interval: seconds between redraws while training (default ``INTERVAL``; the final frame is
            always drawn).
    """

    def __init__(self, images, title="training", *, inputs=None, show=None, interval=None):
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3) \
                or not 1 <= len(images) <= 12:
            raise ValueError(f"watch= takes 1 to 12 images shaped (n, 1 or 3, H, W), got "
                             f"{tuple(getattr(images, 'shape', ())) or type(images).__name__}.")
        if inputs is not None and not (isinstance(inputs, torch.Tensor) and inputs.shape == images.shape):
            raise ValueError(f"LiveView: inputs must be shaped like the images {tuple(images.shape)}, got "
                             f"{tuple(getattr(inputs, 'shape', ())) or type(inputs).__name__}.")
        if show is not None and not callable(show):
            raise ValueError(f"LiveView: show must be a function show(model, inputs) -> images, "
                             f"got {type(show).__name__}.")
        self.images, self.inputs, self.title = images, inputs, title
        self.show = show or first_output
        self.interval = INTERVAL if interval is None else interval
        self.live = _live_updates_wanted()
        self.start(title)

    def start(self, title):
        """Begin a new run under ``title``: an empty loss curve (a view can watch several runs in turn)."""
        self.title = title
        self.losses, self.test = [], []  # loss after each step; (step, test loss) per epoch
        self.train = []  # (step, mean training loss of the epoch), for a run replayed from its history
        self.last = time.monotonic()

    def to(self, device):
        """Move the images (and inputs) to ``device``; returns the view."""
        self.images = self.images.to(device)
        self.inputs = self.inputs.to(device) if self.inputs is not None else None
        return self

    def output(self, model):
        """``show(model, inputs)``, the pictures of the model's current output: computed in evaluation mode,
        without gradients, and with PyTorch's random state (CPU, CUDA) kept; shaped like ``images``."""
        inputs = self.images if self.inputs is None else self.inputs
        was_training = model.training
        model.eval()
        devices = [inputs.device] if inputs.device.type == "cuda" else []  # the CPU's generator is always kept
        try:  # a model that samples (a VAE) must not move the random numbers of the cells that follow
            with torch.no_grad(), torch.random.fork_rng(devices=devices):
                out = self.show(model, inputs)
        finally:
            model.train(was_training)
        if not isinstance(out, torch.Tensor) or out.shape != self.images.shape:
            raise ValueError(f"watch= shows reconstructions, so the model must return images shaped like its input "
                             f"{tuple(self.images.shape)}; it returned "
                             f"{tuple(getattr(out, 'shape', ())) or type(out).__name__}. "
                             "Leave out watch= for models that do not reconstruct their input, or give "
                             "LiveView(images, show=...) a function that turns the model's output into images.")
        return out

    def step(self, model, loss):
        """Record one optimisation step's loss; redraw if the interval has passed (and someone watches)."""
        self.losses.append(loss)
        if self.live and time.monotonic() - self.last >= self.interval:
            self.draw(model)

    def epoch(self, test_loss):
        """Record the test loss at the end of an epoch."""
        self.test.append((len(self.losses), test_loss))

    def replay(self, history, steps_per_epoch):
        """Show a finished run from its history (instant mode): one point per epoch, no per-step curve."""
        self.train = [(steps_per_epoch * (i + 1), value) for i, value in enumerate(history.train)]
        self.test = [(steps_per_epoch * (i + 1), value) for i, value in enumerate(history.test)]

    @property
    def steps(self):
        """Steps trained so far (for a replayed run, all of them)."""
        return self.train[-1][0] if self.train else len(self.losses)

    def draw(self, model):
        """Draw the current frame under the running cell (replacing the cell's previous one)."""
        shell = _shell()
        if shell is not None:
            from IPython.display import Image

            _show(shell, Image(self.png(self.output(model))))
        self.last = time.monotonic()  # the next frame waits a full interval after this one was drawn

    def png(self, outputs):
        """The frame as PNG bytes: loss curve on the left; originals over outputs (or inputs, targets and
        outputs) on the right."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        n = len(self.images)
        rows = ({"original": self.images, "now": outputs} if self.inputs is None
                else {"input": self.inputs, "target": self.images, "output": outputs})
        figure = Figure(figsize=(3.2 + 0.75 * n, 0.3 + 0.95 * len(rows)), dpi=80, layout="constrained")
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(len(rows), n + 4)
        curve = figure.add_subplot(grid[:, :4])
        if self.train:
            curve.plot(*zip(*self.train), "-", label="train, mean of each epoch")
        elif self.losses:
            steps = torch.arange(1, len(self.losses) + 1)
            losses = torch.tensor(self.losses)
            window = max(1, len(losses) // 50)  # a running mean, so the curve is readable
            smooth = losses.unfold(0, window, 1).mean(1) if len(losses) >= window else losses
            curve.plot(steps[window - 1:].numpy(), smooth.numpy(), label="train (running mean)")
        if self.test:
            curve.plot(*zip(*self.test), "o-", label="test, after each epoch")
        curve.set_xlabel("step (one batch each)")
        curve.set_ylabel("loss per image")
        curve.legend(fontsize=7)
        curve.grid(alpha=0.3)
        for row, (name, batch) in enumerate(rows.items()):
            for i, image in enumerate(batch.detach().float().cpu().clamp(0, 1)):
                ax = figure.add_subplot(grid[row, 4 + i])
                ax.imshow(image.permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_ylabel(name, fontsize=8)
        figure.suptitle(f"{self.title}: step {self.steps}", fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
