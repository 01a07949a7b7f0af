"""One readable training loop, shared by every notebook.

The notebook writes the model and the loss; :func:`fit` does the rest: batches
from memory, an Adam optimiser, a live progress bar with the current loss, a
test loss after every epoch, and a :class:`History` to plot. Press the stop
button (KeyboardInterrupt) to end early: the partly trained model and its
history are kept.
"""
import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm
from tqdm.notebook import tqdm as notebook_tqdm

from .data import Batches


def default_device():
    """The best available device: CUDA, then Apple MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed=0):
    """Seed Python, NumPy and PyTorch (all devices) for reproducible runs."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class History:
    """Loss per epoch, as returned by :func:`fit`.

    Attributes:
        train: mean training loss per image, one value per finished epoch
            (averaged over the epoch while the weights were changing).
        test: mean test loss per image after each epoch (empty without test data).
        seconds: wall-clock training time.
        interrupted: True when training was stopped early with KeyboardInterrupt.
    """

    train: list = field(default_factory=list)
    test: list = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def __str__(self):
        n = len(self.train)
        text = f"{n} epoch{'' if n == 1 else 's'} in {self.seconds:.1f} s"
        if self.train:
            text += f": train loss {self.train[-1]:.4g}"
        if self.test:
            text += f", test loss {self.test[-1]:.4g}"
        return text + (" (interrupted)" if self.interrupted else "")


def _check_loss(value, epoch):
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TypeError(f"The loss function must return a single-number tensor, got "
                        f"{type(value).__name__} {tuple(getattr(value, 'shape', ()))}.")
    if not torch.isfinite(value):
        raise FloatingPointError(f"The loss became {value.item()} in epoch {epoch}. "
                                 "Try a smaller learning rate, or check the loss function.")


class _Progress:
    """A live progress bar that leaves a one-line summary behind when training ends.

    In Jupyter the bar's output is replaced by the summary, so a saved notebook
    shows the result rather than a frozen bar; elsewhere the summary is printed.
    """

    def __init__(self, total, desc):
        self.handle = None
        if issubclass(tqdm, notebook_tqdm):  # tqdm.auto chose the Jupyter widget bar
            from IPython.display import display

            self.bar = tqdm(total=total, desc=desc, unit="batch", leave=False, display=False)
            self.handle = display(self.bar.container, display_id=True)
        else:
            self.bar = tqdm(total=total, desc=desc, unit="batch", leave=False)

    def finish(self, summary):
        self.bar.close()
        if self.handle is not None:
            from IPython.display import Pretty

            self.handle.update(Pretty(summary))
        else:
            print(summary)


@torch.no_grad()
def evaluate(model, loss, x, batch_size=1000):
    """Mean of ``loss(model, batch)`` over ``x``, weighting each batch by its size."""
    model.eval()
    total = sum(loss(model, batch).item() * len(batch) for batch in Batches(x, batch_size=batch_size))
    return total / len(x)


@torch.no_grad()
def predict(function, x, batch_size=1000):
    """Apply ``function`` (a model, ``model.encoder``, ...) to ``x`` in batches; concatenate on the CPU.

    A module is put in evaluation mode for the call and restored afterwards.
    """
    is_module = isinstance(function, torch.nn.Module)
    params = list(function.parameters()) if is_module else []
    device = params[0].device if params else x.device
    was_training = is_module and function.training
    if is_module:
        function.eval()
    out = torch.cat([function(batch.to(device)).cpu() for batch in Batches(x, batch_size=batch_size)])
    if was_training:
        function.train()
    return out


SCHEDULES = ("constant", "one-cycle")


def fit(model, x_train, loss, *, x_test=None, epochs=10, batch_size=128, lr=1e-3, weight_decay=0.0,
        schedule="constant", optimizer=None, seed=0, device=None, desc="training"):
    """Train ``model`` to minimise ``loss(model, batch)`` over ``x_train``.

    Args:
        model: a ``torch.nn.Module``; it is moved to ``device`` and trained in place.
        x_train: tensor of training inputs, shape (N, ...).
        loss: ``loss(model, batch) -> scalar tensor``, the mean loss per image of a batch.
        x_test: optional tensor of test inputs, evaluated after every epoch.
        epochs: passes over ``x_train``.
        batch_size: images per optimisation step.
        lr: learning rate of the default Adam optimiser; with ``schedule="one-cycle"``, the peak
            rate (also for an ``optimizer`` you pass).
        weight_decay: decoupled weight decay of the default optimiser (AdamW, Loshchilov & Hutter
            2019); 0 gives plain Adam.
        schedule: ``"constant"`` keeps the learning rate; ``"one-cycle"`` changes it after every
            batch (Smith & Topin 2019, ``torch.optim.lr_scheduler.OneCycleLR``): up from lr / 25
            to lr over the first 30% of the run, then down along a cosine to almost 0, while
            Adam's momentum (beta1) moves the opposite way between 0.95 and 0.85.
        optimizer: an optimiser over ``model``'s parameters, to replace Adam.
        seed: seed of the batch order, so a run can be repeated exactly.
        device: where to train (default: :func:`default_device`).
        desc: label of the progress bar.

    Returns:
        A :class:`History`. The model stays on ``device``.
    """
    if not isinstance(x_train, torch.Tensor) or len(x_train) == 0:
        raise ValueError("x_train must be a non-empty tensor of training inputs.")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    x_train = x_train.to(device)
    x_test = x_test.to(device) if x_test is not None else None
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = Batches(x_train, batch_size=batch_size, shuffle=True, seed=seed)
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(batches))
                 if schedule == "one-cycle" else None)
    history, start = History(), time.perf_counter()
    progress = _Progress(epochs * len(batches), desc)
    bar = progress.bar
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            total = 0.0
            for batch in batches:
                value = loss(model, batch)
                _check_loss(value, epoch)
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                total += value.item() * len(batch)
                bar.set_postfix(epoch=f"{epoch}/{epochs}", loss=f"{value.item():.4g}", refresh=False)
                bar.update()
            history.train.append(total / len(x_train))
            if x_test is not None:
                history.test.append(evaluate(model, loss, x_test))
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        model.eval()
        history.seconds = time.perf_counter() - start
    summary = f"{desc}: {history}"
    if history.interrupted:
        summary += "\nStopped early: the partly trained model and its history are kept."
    progress.finish(summary)
    return history
