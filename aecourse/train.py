"""One readable training loop, shared by every notebook.

The notebook writes the model and the loss; :func:`fit` does the rest: batches
from memory, an AdamW optimiser (plain Adam unless ``weight_decay`` is set), a
live progress bar with the current loss, a test loss after every epoch, and a
:class:`History` to plot; ``watch=`` some test images to see their reconstructions
improve beside the loss curve while it trains (:mod:`aecourse.live`). Press the stop button (KeyboardInterrupt) to end
early: the partly trained model and its history are kept.
"""
import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm
from tqdm.notebook import tqdm as notebook_tqdm

from . import instant
from .data import Batches, as_tensors, batch_length
from .live import LiveView
from .runtime import default_device, evaluate


@dataclass
class History:
    """Loss per epoch, as returned by :func:`fit`.

    Attributes:
        train: mean training loss per image, one value per finished epoch
            (averaged over the epoch while the weights were changing).
        test: mean test loss per image after each epoch (empty without test data).
        seconds: wall-clock training time.
        interrupted: True when training was stopped early with KeyboardInterrupt.
        epochs: the number of epochs planned (an ``after_epoch`` callback can tell the last one).
        cached: when the run came from the instant-mode cache (:mod:`aecourse.instant`), when it was
            trained; else "".
    """

    train: list = field(default_factory=list)
    test: list = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    epochs: int = 0
    cached: str = ""

    def __str__(self):
        n = len(self.train)
        text = f"{n} epoch{'' if n == 1 else 's'} in {self.seconds:.1f} s"
        if self.train:
            text += f": train loss {self.train[-1]:.4g}"
        if self.test:
            text += f", test loss {self.test[-1]:.4g}"
        return text + (" (interrupted)" if self.interrupted else "")


def check_loss(value, epoch, name="loss"):
    """Stop with a clear message if ``value`` is not a finite single-number tensor.

    Args:
        value: what a loss function returned.
        epoch: the epoch, for the message.
        name: which loss it is, e.g. ``"discriminator loss"`` in a training loop with several.

    Raises:
        TypeError: not a single-number tensor. FloatingPointError: NaN or infinite.
    """
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TypeError(f"The {name} function must return a single-number tensor, got "
                        f"{type(value).__name__} {tuple(getattr(value, 'shape', ()))}.")
    if not torch.isfinite(value):
        raise FloatingPointError(f"The {name} became {value.item()} in epoch {epoch}. "
                                 "Try a smaller learning rate, or check how it is computed.")


class Progress:
    """A live progress bar that leaves a one-line summary behind when training ends.

    In Jupyter the bar's output is replaced by the summary, so a saved notebook
    shows the result rather than a frozen bar; elsewhere the summary is printed.
    For training loops written in a notebook: ``progress = Progress(steps, "AAE")``,
    ``progress.bar.update()`` after each step, ``progress.finish("AAE: done")`` at the end.
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


SCHEDULES = ("constant", "one-cycle")


def fit(model, x_train, loss, *, x_test=None, epochs=10, batch_size=128, lr=1e-3, weight_decay=0.0,
        schedule="constant", optimizer=None, seed=0, device=None, desc="training", after_epoch=None, watch=None):
    """Train ``model`` to minimise ``loss(model, batch)`` over ``x_train``.

    Args:
        model: a ``torch.nn.Module``; it is moved to ``device`` and trained in place.
        x_train: training inputs, a tensor (N, ...), or a tuple of tensors with the same N
            (e.g. ``(images, labels)``); ``loss`` then gets each batch in the same form.
        loss: ``loss(model, batch) -> scalar tensor``, the mean loss per image of a batch.
        x_test: optional test inputs of the same form, evaluated after every epoch.
        epochs: passes over ``x_train``.
        batch_size: images per optimisation step.
        lr: learning rate of the default optimiser (AdamW); with ``schedule="one-cycle"``, the peak
            rate (also for an ``optimizer`` you pass).
        weight_decay: decoupled weight decay of the default optimiser, AdamW (Loshchilov & Hutter
            2019); with 0 (the default) AdamW takes exactly the steps of plain Adam. Set the decay of
            an ``optimizer`` you pass in that optimiser instead.
        schedule: ``"constant"`` keeps the learning rate; ``"one-cycle"`` changes it after every
            batch (Smith & Topin 2019, ``torch.optim.lr_scheduler.OneCycleLR``): up from lr / 25
            to lr over the first 30% of the run, then down along a cosine to almost 0, while
            the optimiser's momentum (Adam's beta1) moves the opposite way between 0.95 and 0.85.
        optimizer: an optimiser over ``model``'s parameters, to replace the default AdamW.
        seed: seed of the batch order, so a run can be repeated exactly.
        device: where to train (default: :func:`default_device`).
        desc: label of the progress bar.
        after_epoch: optional ``after_epoch(epoch, model, history)``, called after every epoch (after the
            test loss), in evaluation mode and without gradients, e.g. to keep a snapshot of the codes or to
            revive units that never fire.
        watch: optional images (n, C, H, W), 1 to 12 of them, to reconstruct while training: a picture
            of the loss curve beside the images and their current reconstructions, redrawn every few
            seconds (see :mod:`aecourse.live`); for models that return images shaped like their input.
            Or a :class:`~aecourse.live.LiveView`, for a model given other inputs than its targets (a
            denoiser) or whose output must be turned into images (logits).

    With ``AECOURSE_INSTANT=1`` a run that was trained before, with the same model, code, data and
    settings, is loaded from the cache instead of trained again (:mod:`aecourse.instant`).

    Returns:
        A :class:`History`. The model stays on ``device``.
    """
    train_set = as_tensors(x_train, "x_train")
    test_set = as_tensors(x_test, "x_test") if x_test is not None else None
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    if optimizer is not None and weight_decay:
        raise ValueError("weight_decay applies to fit's default optimiser only; you passed your own optimizer, "
                         "so set its weight decay there (e.g. torch.optim.AdamW(params, weight_decay=...)).")
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    train_set = tuple(t.to(device) for t in train_set)
    test_set = tuple(t.to(device) for t in test_set) if test_set is not None else None
    view = LiveView(watch) if watch is not None and not isinstance(watch, LiveView) else watch
    if view is not None:
        view.to(device).start(desc)
        view.output(model)  # a model that cannot be watched fails now, not after an epoch
    batches = Batches(*train_set, batch_size=batch_size, shuffle=True, seed=seed)
    settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                "schedule": schedule, "seed": seed, "device": device.type, "optimizer": _describe(optimizer)}
    cache_key = _cache_key(model, train_set, test_set, loss, settings, desc, after_epoch)
    record = instant.load(cache_key, model, device) if cache_key is not None else None
    if record is not None:
        history = History(train=record["train"], test=record["test"], seconds=record["seconds"],
                          epochs=record["epochs"], cached=record["trained"])
        model.eval()
        print(f"{desc}: {history} (loaded from the instant-mode cache: trained on {history.cached} "
              f"in {history.seconds:.1f} s)")
        if view is not None:
            view.replay(history, len(batches))
            view.draw(model)
        return history
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(batches))
                 if schedule == "one-cycle" else None)
    history, start = History(epochs=epochs), time.perf_counter()
    progress = Progress(epochs * len(batches), desc)
    bar = progress.bar
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            total = 0.0
            for batch in batches:
                value = loss(model, batch)
                check_loss(value, epoch)
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                number = value.item()
                total += number * batch_length(batch)
                bar.set_postfix(epoch=f"{epoch}/{epochs}", loss=f"{number:.4g}", refresh=False)
                bar.update()
                if view is not None:
                    view.step(model, number)
            history.train.append(total / len(train_set[0]))
            if test_set is not None:
                history.test.append(evaluate(model, loss, test_set if len(test_set) > 1 else test_set[0]))
                if view is not None:
                    view.epoch(history.test[-1])
            if after_epoch is not None:
                model.eval()
                with torch.no_grad():
                    after_epoch(epoch, model, history)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        model.eval()
        history.seconds = time.perf_counter() - start
    summary = f"{desc}: {history}"
    if history.interrupted:
        summary += "\nStopped early: the partly trained model and its history are kept."
    progress.finish(summary)
    if view is not None:
        view.draw(model)  # the final frame, the one a saved notebook keeps
    if cache_key is not None and not history.interrupted:
        instant.save(cache_key, model, history)
    return history


def _cache_key(model, train_set, test_set, loss, settings, desc, after_epoch):
    """The run's instant-mode key, or None when instant mode is off or cannot keep this run."""
    if not instant.enabled():
        return None
    if after_epoch is not None:
        print(f"{desc}: instant mode does not keep runs with an after_epoch callback; training.")
        return None
    return instant.key(model, train_set, test_set, loss, settings)


def _describe(optimizer):
    """An optimiser passed to ``fit``, as its class and settings (for the instant-mode key)."""
    if optimizer is None:
        return None
    groups = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
    return f"{type(optimizer).__name__}{groups}"
