"""Colour images for notebook 03: CIFAR-10 when it can be had, the bundled photographs otherwise.

:func:`load` returns float32 tensors of shape (N, 3, 32, 32), pixels in [0, 1]:

- ``source="cifar10"``: CIFAR-10 through torchvision (170 MB, downloaded once into ``root``);
- ``source="photos"``: 32 x 32 patches cut at random from the two photographs that
  scikit-learn ships (``sklearn.datasets.load_sample_images``: a temple in China and a
  flower). Training patches come from the left three quarters of each photograph, test
  patches from the right quarter, so no test pixel is ever seen in training. Always
  available offline.
- ``source="auto"``: CIFAR-10 if it is already downloaded or can be downloaded,
  otherwise the photographs, with a printed message saying why.
"""
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .paths import cache_root, shown

SOURCES = ("auto", "cifar10", "photos")
CIFAR10_HOST = ("www.cs.toronto.edu", 443)
PATCH = 32
_TRAIN_FRACTION = 0.75  # of each photograph's width, left to right


class ColourDataError(RuntimeError):
    """CIFAR-10 was asked for explicitly and cannot be loaded."""


@dataclass
class ColourImages:
    """A colour dataset: ``train`` (N, 3, 32, 32) and ``test`` (M, 3, 32, 32) in [0, 1]; ``source`` says which."""

    train: torch.Tensor
    test: torch.Tensor
    source: str


def photo_patches(n, split="train", seed=0):
    """``n`` random 32 x 32 patches of scikit-learn's sample photographs, shape (n, 3, 32, 32) in [0, 1].

    Half the patches come from each photograph; ``split="train"`` cuts them from the left
    three quarters of each one, ``split="test"`` from the right quarter.
    """
    from sklearn.datasets import load_sample_images

    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}. Choose 'train' or 'test'.")
    if n < 0:
        raise ValueError(f"n must be a non-negative number of patches, got {n}.")
    generator = np.random.default_rng(seed if split == "train" else seed + 1)
    photos = load_sample_images().images
    patches = []
    for i, photo in enumerate(photos):
        height, width, _ = photo.shape
        cut = int(width * _TRAIN_FRACTION)
        left, right = (0, cut - PATCH) if split == "train" else (cut, width - PATCH)
        count = n // len(photos) + (i < n % len(photos))
        rows = generator.integers(0, height - PATCH + 1, count)
        cols = generator.integers(left, right + 1, count)
        patches += [photo[r:r + PATCH, c:c + PATCH] for r, c in zip(rows, cols)]
    array = np.stack(patches) if patches else np.zeros((0, PATCH, PATCH, 3), np.uint8)
    return _to_tensor(array)


def _to_tensor(array):
    """(N, H, W, 3) uint8 -> float32 (N, 3, H, W) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(array)).permute(0, 3, 1, 2).float().div_(255).contiguous()


def _reachable(host, timeout=3.0):
    try:
        socket.create_connection(host, timeout=timeout).close()
        return True
    except OSError:
        return False


def _cifar10(split, root, download):
    import torchvision.datasets as tvd

    return tvd.CIFAR10(root=str(root), train=(split == "train"), download=download).data


def cifar10(n_train, n_test, root=None):
    """The first ``n_train`` training and ``n_test`` test images of CIFAR-10, downloading it once if needed.

    Raises:
        ColourDataError: CIFAR-10 is not in ``root`` and cannot be downloaded (no network, server down).
    """
    root = Path(root).expanduser() if root else cache_root()
    try:  # already downloaded: no network needed
        arrays = [_cifar10(split, root, download=False) for split in ("train", "test")]
    except (RuntimeError, OSError):
        if not _reachable(CIFAR10_HOST):
            raise ColourDataError(f"CIFAR-10 is not in {shown(root)} and {CIFAR10_HOST[0]} cannot be reached "
                                  "(no network?).") from None
        try:
            arrays = [_cifar10(split, root, download=True) for split in ("train", "test")]
        except Exception as error:  # torchvision raises many kinds: URLError, RuntimeError, ...
            raise ColourDataError(f"CIFAR-10 could not be downloaded into {shown(root)} ({error}).") from error
    return _to_tensor(arrays[0][:n_train]), _to_tensor(arrays[1][:n_test])


def load(n_train, n_test, source="auto", root=None, seed=0):
    """Colour training and test images, shape (N, 3, 32, 32), pixels in [0, 1].

    Args:
        n_train, n_test: number of images in each split.
        source: ``"auto"`` (CIFAR-10 if possible, else the photographs), ``"cifar10"`` or ``"photos"``.
        root: where torchvision keeps CIFAR-10 (default: the course's cache folder, :func:`aecourse.paths.cache_root`).
        seed: where the photograph patches are cut.

    Returns:
        A :class:`ColourImages`.

    Raises:
        ColourDataError: ``source="cifar10"`` and CIFAR-10 cannot be loaded.
        ValueError: an unknown source.
    """
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}. Choose one of {', '.join(SOURCES)}.")
    if source != "photos":
        try:
            return ColourImages(*cifar10(n_train, n_test, root), source="CIFAR-10")
        except ColourDataError as error:
            if source == "cifar10":
                raise
            print(f"{error}\nUsing 32 x 32 patches of scikit-learn's two sample photographs instead; "
                  "everything below works the same on them.")
    return ColourImages(photo_patches(n_train, "train", seed), photo_patches(n_test, "test", seed),
                        source="photo patches")
