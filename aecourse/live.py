"""Watch it learn: a training run's loss curve beside originals and their current reconstructions.

``fit(..., watch=x_test[:8])`` shows one picture under the cell and redraws it every few
seconds while the model trains (``LiveView.interval``), then a last time when training ends.
In JupyterLab the picture changes in place; a saved notebook keeps only the last frame.

Drawing costs time (about 0.1 s a frame on a laptop CPU). Runs nobody watches, the tests and
``make execute``, set ``AECOURSE_LIVE=0``: they draw the final frame only, so the live
updates cost them nothing. Outside IPython nothing is drawn.
"""
import io
import os
import time

import torch

ENV_VAR = "AECOURSE_LIVE"
INTERVAL = 3.0  # seconds between frames while training


def _in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _live_updates_wanted():
    value = os.environ.get(ENV_VAR, "1").strip().lower()
    if value not in ("0", "1", "false", "true", "no", "yes", ""):
        raise ValueError(f"{ENV_VAR} must be 1 (redraw while training) or 0 (final frame only), got {value!r}.")
    return value not in ("0", "false", "no")


def reconstruct(model, images):
    """``model(images)`` in evaluation mode without gradients, the first output if it returns several."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(images)
    finally:
        model.train(was_training)
    out = out[0] if isinstance(out, (tuple, list)) else out
    if not isinstance(out, torch.Tensor) or out.shape != images.shape:
        raise ValueError(f"watch= shows reconstructions, so the model must return images shaped like its input "
                         f"{tuple(images.shape)}; it returned {getattr(out, 'shape', type(out).__name__)}. "
                         "Leave out watch= for models that do not reconstruct their input.")
    return out


class LiveView:
    """Loss curve and reconstructions of ``images``, redrawn at most every ``interval`` seconds.

    Args:
        images: the images to reconstruct, (n, C, H, W) with n from 1 to 12, C 1 or 3, values in [0, 1];
            on the training device.
        title: shown above the picture.
        interval: seconds between redraws while training (default ``INTERVAL``; the final frame is
            always drawn).
    """

    def __init__(self, images, title, interval=None):
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3) \
                or not 1 <= len(images) <= 12:
            raise ValueError(f"watch= takes 1 to 12 images shaped (n, 1 or 3, H, W), got "
                             f"{tuple(getattr(images, 'shape', ())) or type(images).__name__}.")
        self.images, self.title = images, title
        self.interval = INTERVAL if interval is None else interval
        self.losses, self.test = [], []  # loss after each step; (step, test loss) per epoch
        self.train = []  # (step, mean training loss of the epoch), for a run replayed from its history
        self.live = _live_updates_wanted()
        self.handle, self.last = None, time.monotonic()

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
        """Draw the current frame under the cell (replacing the previous one)."""
        if _in_ipython():
            from IPython.display import Image, display

            picture = Image(self.png(reconstruct(model, self.images)))
            if self.handle is None:
                self.handle = display(picture, display_id=True)
            else:
                self.handle.update(picture)
        self.last = time.monotonic()  # the next frame waits a full interval after this one was drawn

    def png(self, reconstructions):
        """The frame as PNG bytes: loss curve on the left, originals over reconstructions on the right."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        n = len(self.images)
        figure = Figure(figsize=(3.2 + 0.75 * n, 2.2), dpi=80, layout="constrained")
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(2, n + 4)
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
        for row, batch in enumerate((self.images, reconstructions)):
            for i, image in enumerate(batch.detach().float().cpu().clamp(0, 1)):
                ax = figure.add_subplot(grid[row, 4 + i])
                ax.imshow(image.permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_ylabel("original" if row == 0 else "now", fontsize=8)
        figure.suptitle(f"{self.title}: step {self.steps}", fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
