"""Where and how code runs: the device, seeding, and batched inference.

Everything that *uses* a model without training it (metrics, plots, widgets,
exercise checks) imports from here, not from :mod:`aecourse.train`.
:func:`predict` and :func:`evaluate` run in an isolated random stream
(:func:`isolated_rng`): a model that samples (a VAE) gives the same output on
every call, and the random stream of the learner's next cell is exactly what it
would have been without the call.
"""
import random
from contextlib import contextmanager

import numpy as np
import torch

from .data import Batches, as_tensors, batch_length


def default_device():
    """The best available device: CUDA, then Apple MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed=0):
    """Seed Python, NumPy and PyTorch (CPU and every GPU) for reproducible runs."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def isolated_rng(seed=0):
    """Run a block with PyTorch's generators seeded with ``seed``, then restore them as they were.

    Covers the CPU generator and those of every CUDA and MPS device, so code inside may
    draw random numbers (``torch.randn``, dropout) without changing what the code after
    the block draws.
    """
    cuda_devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    mps = getattr(torch, "mps", None)
    mps_state = mps.get_rng_state() if mps is not None and torch.backends.mps.is_available() else None
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        try:
            yield
        finally:
            if mps_state is not None:
                mps.set_rng_state(mps_state)


def _modules_used_by(function):
    """The modules a callable is or refers to: itself, a bound method's owner, or the modules a function's
    closure and code name (``lambda x: vae.encode(x)[0]`` refers to ``vae``)."""
    if isinstance(function, torch.nn.Module):
        return [function]
    owner = getattr(function, "__self__", None)
    if isinstance(owner, torch.nn.Module):
        return [owner]
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    found = [cell.cell_contents for cell in (function.__closure__ or ()) if _holds_module(cell)]
    names = getattr(function, "__globals__", {})
    found += [names[name] for name in code.co_names if isinstance(names.get(name), torch.nn.Module)]
    return found


def _holds_module(cell):
    try:
        return isinstance(cell.cell_contents, torch.nn.Module)
    except ValueError:  # an empty cell
        return False


def device_of(function, fallback):
    """Where ``function`` computes: the device of the first parameter of a module it is or uses, else ``fallback``."""
    for module in _modules_used_by(function):
        for parameter in module.parameters():
            return parameter.device
    return fallback


@torch.no_grad()
def predict(function, x, batch_size=1000):
    """Apply ``function`` (a model, ``model.encoder``, any callable) to ``x`` in batches.

    Args:
        function: maps a batch (B, ...) to outputs (B, ...).
        x: inputs (N, ...), on any device; each batch moves to ``function``'s device.
        batch_size: inputs per call.

    Returns:
        The outputs (N, ...) concatenated on the CPU. A module is put in evaluation
        mode for the call, and each of its submodules gets its own mode back afterwards
        (a slice such as ``model.encoder[:3]`` of a model in evaluation mode stays so).
    """
    modes = [(module, module.training) for module in function.modules()] \
        if isinstance(function, torch.nn.Module) else []
    device = device_of(function, x.device)
    for module, _ in modes:
        module.eval()
    try:
        with isolated_rng():
            return torch.cat([function(batch.to(device)).cpu() for batch in Batches(x, batch_size=batch_size)])
    finally:
        for module, training in modes:
            module.training = training


@torch.no_grad()
def evaluate(model, loss, x, batch_size=1000):
    """Mean of ``loss(model, batch)`` over ``x`` in evaluation mode, weighting each batch by its size.

    ``x`` is a tensor (N, ...) or a tuple of tensors with the same N; ``loss`` gets batches
    of the same form.

    ``x`` is batched in its stored order (no shuffling); a loss that samples (a VAE's)
    draws from an isolated stream seeded with 0, so the same model always gets the same
    value, and the global generator is left untouched.
    """
    tensors = as_tensors(x, "x")
    model.eval()
    with isolated_rng():
        total = sum(loss(model, batch).item() * batch_length(batch)
                    for batch in Batches(*tensors, batch_size=batch_size))
    return total / len(tensors[0])
