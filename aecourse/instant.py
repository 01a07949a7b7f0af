"""Instant mode: :func:`~aecourse.train.fit` keeps what it trained, so a second run takes seconds.

Off by default. ``AECOURSE_INSTANT=1`` (``make lecture`` sets it; ``make warm`` fills the cache the
night before a lecture) makes ``fit`` look up its result before training. The cache folder is
``AECOURSE_CACHE_DIR`` (default: ``instant/`` in the course's cache folder, :func:`aecourse.paths.cache_root`).

The key covers everything that changes the result: the model (its classes' code, its layers and
its starting weights, so the seed too), the loss function's code and the code it calls, the
training and test data (every byte), every training setting, the random state at the start,
the device type, the profile and the versions of aecourse and PyTorch. Change any of them and
``fit`` trains anew, so the cache never hands back a model of different code.

A hit restores the trained weights, the history (the loss curves still plot) and the random
state training left behind, so the rest of the notebook runs exactly as after training. Files
hold tensors only (``torch.load(weights_only=True)``, nothing unpickled) and JSON; a damaged file
gives a one-line warning and training runs anew. Runs with an ``after_epoch`` callback are not
cached: what the callback collects would be missing.

Other long computations of the course use :func:`remember` the same way (Logistic PCA's fits).
"""
import datetime
import hashlib
import json
import os
import sys
import sysconfig
import types
import warnings
from importlib.metadata import version
from pathlib import Path

import torch

from .paths import cache_root
from .profile import get_profile

ENV_VAR, CACHE_VAR = "AECOURSE_INSTANT", "AECOURSE_CACHE_DIR"


def enabled():
    """True when ``AECOURSE_INSTANT`` is set to 1 (or true, yes)."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ValueError(f"{ENV_VAR} must be 1 (use the cache) or 0 (train every time), got {value!r}.")
    return value in ("1", "true", "yes")


def cache_dir():
    """Where instant mode keeps its files: ``AECOURSE_CACHE_DIR``, else ``instant/`` in the course's cache."""
    if os.environ.get(CACHE_VAR):
        return Path(os.environ[CACHE_VAR]).expanduser()
    return cache_root() / "instant"


class _Fingerprint:
    """A running hash of everything that can change a training result."""

    def __init__(self):
        self.hash, self.seen = hashlib.blake2b(digest_size=20), set()

    def add(self, value):
        h = self.hash
        if isinstance(value, torch.Tensor):
            data = value.detach().cpu().contiguous()
            h.update(f"tensor{tuple(data.shape)}{data.dtype}".encode())
            h.update(data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b"")
        elif isinstance(value, (tuple, list)):
            h.update(f"{type(value).__name__}{len(value)}".encode())
            for item in value:
                self.add(item)
        elif isinstance(value, dict):
            for key in sorted(value, key=repr):
                self.add(key)
                self.add(value[key])
        elif isinstance(value, types.CodeType):
            h.update(value.co_code)
            h.update(repr(value.co_names).encode())
            for const in value.co_consts:
                self.add(const)
        elif callable(value):  # functions, classes, modules
            self._add_code(value)
        else:
            h.update(repr(value).encode())

    def _add_code(self, value):
        """A function's, a class's or a module's code, and the course or notebook code it uses."""
        if id(value) in self.seen:
            return
        self.seen.add(id(value))
        if isinstance(value, torch.nn.Module):
            self.hash.update(repr(value).encode())  # layers and sizes
            self.add(value.state_dict())  # a network a loss uses (a classifier, a frozen encoder) counts too
            for module in value.modules():
                self._add_code(type(module))
            return
        module = getattr(value, "__module__", "") or ""
        if _is_library(module):  # PyTorch, NumPy, the standard library: their versions stand for their code
            self.hash.update(f"{module}.{getattr(value, '__qualname__', type(value).__qualname__)}".encode())
            return
        if isinstance(value, type):
            self.hash.update(value.__qualname__.encode())
            for name, member in sorted(vars(value).items()):
                if isinstance(member, (types.FunctionType, staticmethod, classmethod, property)):
                    self.add(getattr(member, "__func__", getattr(member, "fget", member)))
            return
        function = getattr(value, "__func__", value)
        code = getattr(function, "__code__", None)
        if code is None:  # a callable object, e.g. an exercise's fallback: its class and the functions it holds
            self._add_code(type(value))
            for name, attribute in sorted(getattr(value, "__dict__", {}).items()):
                if callable(attribute):
                    self._add_code(attribute)
            return
        self.add(code)
        self.add(function.__defaults__ or ())
        for cell in function.__closure__ or ():
            try:
                self.add(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        globals_ = getattr(function, "__globals__", {})
        for name in sorted(_names(code)):
            if name in globals_:
                self._add_global(globals_[name])

    def _add_global(self, value):
        """A global a function uses: numbers, strings and tensors by value, functions by code, containers of them."""
        if isinstance(value, types.ModuleType):
            return  # torch, F, np: covered by the versions
        if isinstance(value, (bool, int, float, str, type(None), torch.Tensor)):
            self.add(value)
        elif isinstance(value, (dict, list, tuple)):
            if id(value) in self.seen:
                return
            self.seen.add(id(value))
            items = sorted(value.items(), key=lambda item: repr(item[0])) if isinstance(value, dict) \
                else list(enumerate(value))
            for name, item in items:
                self.add(name)
                self._add_global(item)
        elif callable(value):
            self._add_code(value)

    def digest(self):
        return self.hash.hexdigest()


def _is_library(module):
    """True for installed libraries and the standard library; False for notebooks, aecourse and your own files."""
    if module == "__main__":
        return False
    file = getattr(sys.modules.get(module.split(".")[0]), "__file__", None)
    if not file:
        return True  # built into Python
    return "site-packages" in file or "dist-packages" in file or file.startswith(sysconfig.get_paths()["stdlib"])


def _names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def key(model, train_set, test_set, loss, settings):
    """The cache key of a training run (hex): see the module's docstring for what it covers."""
    fingerprint = _Fingerprint()
    for part in (model, train_set, test_set, loss, settings, torch.get_rng_state(),  # the model with its weights
                 get_profile().name, version("aecourse"), torch.__version__):
        fingerprint.add(part)
    return fingerprint.digest()


def remember(name, inputs, compute, code=()):
    """``compute()``, kept in instant mode: the same ``inputs`` and code give the stored result.

    Args:
        name: what is computed, part of the key.
        inputs: everything ``compute`` depends on (tensors, numbers, strings, containers of them).
        compute: returns a dict of tensors and JSON values (numbers, lists of numbers).
        code: the classes and functions whose code ``compute`` runs.
    """
    if not enabled():
        return compute()
    fingerprint = _Fingerprint()
    for part in (name, inputs, list(code), version("aecourse"), torch.__version__):
        fingerprint.add(part)
    tensors_file, record = _files(fingerprint.digest())
    if tensors_file.exists() and record.exists():
        try:
            result = json.loads(record.read_text(encoding="utf-8"))
            result.update(torch.load(tensors_file, map_location="cpu", weights_only=True))
            return result
        except Exception as error:
            warnings.warn(f"instant mode: the cached {name} {tensors_file.name} cannot be read "
                          f"({type(error).__name__}); computing anew.", stacklevel=2)
    result = compute()
    tensors = {k: v.detach().cpu() for k, v in result.items() if isinstance(v, torch.Tensor)}
    values = {k: v for k, v in result.items() if not isinstance(v, torch.Tensor)}
    _write(tensors_file, lambda p: torch.save(tensors, p))
    _write(record, lambda p: p.write_text(json.dumps(values), encoding="utf-8"))
    return result


def _files(path_key):
    """The two files of a cached result: its tensors and its JSON record."""
    return cache_dir() / f"{path_key}.pt", cache_dir() / f"{path_key}.json"


def _write(path, write):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    write(partial)
    partial.replace(path)  # never a half-written file under the real name


def load(path_key, model, device):
    """Restore a cached run into ``model`` (its weights, and the random state training left behind).

    Returns:
        The run's record, ``{"train", "test", "seconds", "epochs", "trained"}`` (loss curves, seconds, epochs
        planned, when it was trained), or None on a miss or a file that cannot be read.
    """
    weights, record = _files(path_key)
    if not (weights.exists() and record.exists()):
        return None
    try:
        tensors = torch.load(weights, map_location="cpu", weights_only=True)
        info = json.loads(record.read_text(encoding="utf-8"))
        fields = {name: info[name] for name in ("train", "test", "seconds", "epochs", "trained")}
        state = {name[len("model."):]: t for name, t in tensors.items() if name.startswith("model.")}
        model.load_state_dict(state)
        torch.set_rng_state(tensors["rng.cpu"])
        if "rng.cuda" in tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(tensors["rng.cuda"])
        model.to(device)
    except Exception as error:  # a damaged, truncated or foreign file: never trust it
        warnings.warn(f"instant mode: the cached run {weights.name} cannot be read ({type(error).__name__}); "
                      "training anew.", stacklevel=3)
        return None
    return fields


def save(path_key, model, history):
    """Keep a finished run: weights and random state as tensors, the history as JSON."""
    tensors = {f"model.{name}": t.detach().cpu() for name, t in model.state_dict().items()}
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    trained = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    info = {"train": history.train, "test": history.test, "seconds": history.seconds, "epochs": history.epochs,
            "trained": trained}
    weights, record = _files(path_key)
    _write(weights, lambda p: torch.save(tensors, p))
    _write(record, lambda p: p.write_text(json.dumps(info), encoding="utf-8"))
