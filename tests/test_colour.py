"""Colour images for notebook 03: the bundled photographs always work; CIFAR-10 fails over to them."""
import socket
import urllib.error

import numpy as np
import pytest
import torch

from aecourse import colour


def no_network(*args, **kwargs):
    raise AssertionError("the network was used")


def test_photo_patches_have_the_documented_shape_range_and_seed(monkeypatch):
    monkeypatch.setattr(socket, "create_connection", no_network)
    patches = colour.photo_patches(101, "train", seed=3)
    assert patches.shape == (101, 3, 32, 32) and patches.dtype == torch.float32
    assert 0 <= patches.min() and patches.max() <= 1 and patches.std() > 0.05
    assert torch.equal(patches, colour.photo_patches(101, "train", seed=3))
    assert not torch.equal(patches, colour.photo_patches(101, "train", seed=4))
    assert colour.photo_patches(0).shape == (0, 3, 32, 32)


def test_test_patches_never_overlap_the_training_region():
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    cut = int(photos[0].shape[1] * 0.75)
    test = colour.photo_patches(40, "test")
    # every test patch is found in the right quarter of one photograph, and never left of the cut
    for patch in (test * 255).round().byte().permute(0, 2, 3, 1).numpy()[:6]:
        hits = [(i, c) for i, photo in enumerate(photos) for c in range(photo.shape[1] - 31)
                if any(np.array_equal(photo[r:r + 32, c:c + 32], patch) for r in range(photo.shape[0] - 31)
                       if photo[r, c, 0] == patch[0, 0, 0])]
        assert hits and all(c >= cut for _, c in hits)


def test_photos_source_never_touches_the_network(monkeypatch):
    monkeypatch.setattr(socket, "create_connection", no_network)
    data = colour.load(20, 10, source="photos")
    assert data.source == "photo patches" and data.train.shape == (20, 3, 32, 32) and data.test.shape == (10, 3, 32, 32)


def test_offline_auto_falls_back_to_the_photographs_with_a_message(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(OSError("no route")))
    data = colour.load(8, 4, source="auto", root=tmp_path)
    assert data.source == "photo patches" and data.train.shape == (8, 3, 32, 32)
    message = capsys.readouterr().out
    assert "CIFAR-10 is not in" in message and "cannot be reached" in message and "photographs instead" in message


def test_a_failed_download_falls_back_too(monkeypatch, capsys, tmp_path):
    def cifar10(split, root, download):
        raise urllib.error.URLError("connection reset") if download else RuntimeError("Dataset not found")

    monkeypatch.setattr(colour, "_reachable", lambda host: True)
    monkeypatch.setattr(colour, "_cifar10", cifar10)
    assert colour.load(8, 4, root=tmp_path).source == "photo patches"
    assert "could not be downloaded" in capsys.readouterr().out


def test_asking_for_cifar10_offline_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(colour, "_reachable", lambda host: False)
    with pytest.raises(colour.ColourDataError, match="cannot be reached"):
        colour.load(8, 4, source="cifar10", root=tmp_path)


def test_cifar10_is_used_when_available(monkeypatch):
    fake = {"train": np.full((50, 32, 32, 3), 255, np.uint8), "test": np.zeros((20, 32, 32, 3), np.uint8)}
    monkeypatch.setattr(colour, "_cifar10", lambda split, root, download: fake[split])
    monkeypatch.setattr(socket, "create_connection", no_network)
    data = colour.load(30, 5)
    assert data.source == "CIFAR-10" and data.train.shape == (30, 3, 32, 32) and data.test.shape == (5, 3, 32, 32)
    assert data.train.max() == 1 and data.test.max() == 0


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="Unknown source"):
        colour.load(1, 1, source="imagenet")
    with pytest.raises(ValueError, match="Unknown split"):
        colour.photo_patches(1, "validation")
    with pytest.raises(ValueError, match="non-negative"):
        colour.photo_patches(-1)
