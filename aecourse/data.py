"""The bundled datasets, loaded as tensors and batched in memory.

MNIST and Fashion-MNIST ship with the course in ``data/`` (provenance in
``data/README.md``). :func:`load` verifies each file's SHA-256 the first time it
is read in a session and returns

- ``images``: float32 tensor of shape (N, 1, 28, 28), pixels in [0, 1];
- ``labels``: int64 tensor of shape (N,).

:class:`Batches` then serves mini-batches straight from those tensors, which is
much faster on a CPU than a per-sample ``ToTensor`` + ``DataLoader`` pipeline
(``benchmarks/epoch_speed.py`` measures it).
"""
import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from .paths import cache_root, course_root, shown

DATA_DIR_ENV = "AECOURSE_DATA"
DATASETS = {
    "mnist": ("mnist.npz", "da231c08013e217002c4f393e0f38583bf5a62a5ead805d541bdacd45803e00f"),
    "fashion_mnist": ("fashion_mnist.npz", "da4d4ca1503887fc4bd79aebb4ba8282fa792c1e5996c6022497149dbb35526e"),
}
SPLITS = ("train", "test")

_verified = set()  # (path, size, mtime) of files whose checksum already matched


class DataError(RuntimeError):
    """A dataset file is missing, damaged or cannot be fetched."""


def default_data_dir():
    """``$AECOURSE_DATA`` when set, else the ``data/`` folder of the course (see :mod:`aecourse.paths`).

    Raises:
        DataError: neither is there, with what to do about it.
    """
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    root = course_root(required=False)
    if root is None:
        raise DataError(
            "Could not find the course's data folder. The datasets ship in the data/ folder of the course "
            "repository: run from inside the course folder, or set "
            f"{DATA_DIR_ENV}=/path/to/aecourse/data (the folder holding mnist.npz).")
    return root / "data"


def sha256(path):
    """Hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_name(name, split="train"):
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}. Bundled datasets: {', '.join(DATASETS)}.")
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}. Choose 'train' or 'test'.")


def verified_path(name, data_dir=None):
    """Path of a bundled dataset file, after checking that it exists and is intact.

    Raises:
        DataError: the file is missing or its SHA-256 differs from the published one.
    """
    _check_name(name)
    filename, expected = DATASETS[name]
    path = Path(data_dir or default_data_dir()) / filename
    restore = (f"It ships with the course: restore it with `git checkout -- data/{filename}` "
               f"(or copy it again from the course repository). With a network you can instead "
               f"use the official files: load({name!r}, split, source='torchvision').")
    if not path.is_file():
        raise DataError(f"Dataset file not found: {path}. {restore}")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        actual = sha256(path)
        if actual != expected:
            raise DataError(f"Dataset file {path} is damaged: its SHA-256 is {actual}, "
                            f"expected {expected}. It was not loaded. {restore}")
        _verified.add(key)
    return path


def _arrays_from_npz(name, split, data_dir):
    with np.load(verified_path(name, data_dir)) as archive:
        return archive[f"x_{split}"], archive[f"y_{split}"]


def _arrays_from_torchvision(name, split, root):
    import torchvision.datasets as tvd

    dataset_class = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST}[name]
    try:
        dataset = dataset_class(root=str(root), train=(split == "train"), download=True)
    except Exception as error:  # offline, proxy, a server down: torchvision raises many kinds
        raise DataError(f"Could not fetch {name} through torchvision into {shown(root)} ({error}). "
                        f"Without a network, use the bundled copy: load({name!r}, {split!r}).") from error
    return dataset.data.numpy(), dataset.targets.numpy()


def load(name="mnist", split="train", n=None, *, source="bundled", data_dir=None, root=None):
    """Load a dataset split as tensors.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"``.
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).
        n: keep only the first ``n`` images (the bundled Fashion-MNIST files are
            shuffled, so a prefix is a random, class-mixed sample; MNIST is in the
            official order, which is also class-mixed).
        source: ``"bundled"`` (default, offline, checksum-verified) or
            ``"torchvision"`` (the official files, downloaded into ``root``).
        data_dir: folder holding the bundled ``.npz`` files (default: the course's ``data/``).
        root: where torchvision keeps its downloads (default: the course's cache folder,
            :func:`aecourse.paths.cache_root`).

    Returns:
        ``(images, labels)``: float32 (N, 1, 28, 28) in [0, 1] and int64 (N,).

    Raises:
        DataError: a bundled file is missing or damaged, or torchvision cannot fetch.
        ValueError: an unknown name, split or source, or a negative ``n``.
    """
    _check_name(name, split)
    if n is not None and n < 0:
        raise ValueError(f"n must be a non-negative number of images, got {n}.")
    if source == "bundled":
        pixels, labels = _arrays_from_npz(name, split, data_dir)
    elif source == "torchvision":
        pixels, labels = _arrays_from_torchvision(name, split, Path(root).expanduser() if root else cache_root())
    else:
        raise ValueError(f"Unknown source {source!r}. Choose 'bundled' or 'torchvision'.")
    pixels, labels = pixels[:n], labels[:n]
    images = torch.from_numpy(np.ascontiguousarray(pixels)).float().div_(255).unsqueeze(1)
    return images, torch.from_numpy(np.ascontiguousarray(labels)).long()


def export_idx(name, root, data_dir=None):
    """Write a bundled dataset as the official IDX files torchvision reads.

    Afterwards ``torchvision.datasets.MNIST(root, download=False)`` (or
    ``FashionMNIST``) works offline on exactly the bundled data.

    Returns:
        The folder the files were written to (``root/<MNIST|FashionMNIST>/raw``).
    """
    folder = Path(root) / {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}[name] / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        pixels, labels = _arrays_from_npz(name, split, data_dir)
        for array, kind, magic in ((pixels, "images-idx3", 2051), (labels, "labels-idx1", 2049)):
            header = np.array([magic, *array.shape], dtype=">i4").tobytes()
            (folder / f"{prefix}-{kind}-ubyte").write_bytes(header + array.astype(np.uint8).tobytes())
    return folder


def as_tensors(data, what="data"):
    """``data`` as a non-empty tuple of tensors with the same first dimension N.

    ``data`` is a tensor (N, ...) or a tuple/list of such tensors (e.g. images and labels).

    Raises:
        ValueError, TypeError: with a message naming ``what`` and the shapes found.
    """
    tensors = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    if not tensors:
        raise ValueError(f"{what} needs at least one tensor.")
    if any(not isinstance(t, torch.Tensor) for t in tensors):
        raise TypeError(f"{what} must be a tensor or a tuple of tensors, got "
                        + ", ".join(type(t).__name__ for t in tensors) + ".")
    if len({len(t) for t in tensors}) != 1:
        raise ValueError(f"The tensors of {what} must have the same first dimension, got "
                         + ", ".join(str(tuple(t.shape)) for t in tensors))
    if len(tensors[0]) == 0:
        raise ValueError(f"{what} is empty: it must hold at least one example.")
    return tensors


def batch_length(batch):
    """Number of examples in a batch: a tensor, or a tuple of tensors of the same length."""
    return len(batch[0]) if isinstance(batch, (tuple, list)) else len(batch)


class Batches:
    """Mini-batches of tensors held in memory, indexed directly (no per-sample work).

    Args:
        *tensors: one or more tensors with the same first dimension N.
        batch_size: images per batch (the last batch may be smaller).
        shuffle: draw a new random order every time the batches are iterated.
        seed: seed of the shuffling generator, for a reproducible order (``None``: a
            fresh random seed for this generator alone).

    Iterating yields a tensor per batch (or a tuple when several tensors are given);
    ``len()`` is the number of batches. Shuffling uses a ``torch.Generator`` of its own:
    batching never draws from or reseeds PyTorch's global generator.
    """

    def __init__(self, *tensors, batch_size=128, shuffle=False, seed=None):
        tensors = as_tensors(tensors, "Batches")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self.tensors, self.batch_size, self.shuffle = tensors, batch_size, shuffle
        self.generator = None
        if shuffle:
            self.generator = torch.Generator()
            if seed is None:
                self.generator.seed()  # from the operating system's entropy, for this generator only
            else:
                self.generator.manual_seed(seed)

    def __len__(self):
        return -(-len(self.tensors[0]) // self.batch_size)

    def __iter__(self):
        n = len(self.tensors[0])
        order = torch.randperm(n, generator=self.generator) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                batch = tuple(t[start:start + self.batch_size] for t in self.tensors)
            else:
                index = order[start:start + self.batch_size].to(self.tensors[0].device)
                batch = tuple(t[index] for t in self.tensors)
            yield batch if len(batch) > 1 else batch[0]
