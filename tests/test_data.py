import shutil

import numpy as np
import pytest
import torch

from aecourse import data


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_bundled_files_match_published_checksums(name):
    filename, expected = data.DATASETS[name]
    assert data.sha256(data.default_data_dir() / filename) == expected


@pytest.mark.parametrize("name,mean", [("mnist", 0.13071), ("fashion_mnist", 0.28604)])
def test_load_gives_float_images_in_unit_range_and_int64_labels(name, mean):
    x, y = data.load(name, "train")
    assert x.shape == (60_000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (60_000,) and y.dtype == torch.int64
    assert x.min() == 0 and x.max() == 1
    assert set(y.unique().tolist()) == set(range(10))
    assert x.mean().item() == pytest.approx(mean, abs=1e-4)  # the statistics in data/README.md


def test_load_test_split_and_prefix():
    x, y = data.load("mnist", "test", n=100)
    assert x.shape == (100, 1, 28, 28) and y.shape == (100,)
    full_x, _ = data.load("mnist", "test")
    assert torch.equal(x, full_x[:100])


def test_missing_file_says_how_to_restore(tmp_path):
    with pytest.raises(data.DataError, match="not found.*git checkout -- data/mnist.npz"):
        data.load("mnist", data_dir=tmp_path)


def test_damaged_file_is_never_loaded(tmp_path):
    damaged = tmp_path / "mnist.npz"
    shutil.copy(data.default_data_dir() / "mnist.npz", damaged)
    with open(damaged, "r+b") as f:  # flip one byte in the middle of the pixel data
        f.seek(5_000_000)
        byte = f.read(1)
        f.seek(5_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(data.DataError, match="damaged.*SHA-256"):
        data.load("mnist", data_dir=tmp_path)


def test_truncated_file_is_reported_as_damaged(tmp_path):
    (tmp_path / "fashion_mnist.npz").write_bytes((data.default_data_dir() / "fashion_mnist.npz").read_bytes()[:1000])
    with pytest.raises(data.DataError, match="damaged"):
        data.load("fashion_mnist", "test", data_dir=tmp_path)


@pytest.mark.parametrize("kwargs,message", [
    (dict(name="cifar"), "Unknown dataset"),
    (dict(split="validation"), "Unknown split"),
    (dict(source="internet"), "Unknown source"),
    (dict(n=-1), "non-negative"),
])
def test_bad_arguments_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load(**kwargs)


def test_torchvision_source_reads_the_official_format(tmp_path, monkeypatch):
    """export_idx writes the IDX files torchvision expects; loading them gives the bundled data."""
    import torchvision.datasets.mnist

    def no_download(*args, **kwargs):
        raise AssertionError("the test tried to download")

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", no_download)
    data.export_idx("mnist", tmp_path)
    x_tv, y_tv = data.load("mnist", "test", source="torchvision", root=tmp_path)  # present: no download
    x, y = data.load("mnist", "test")
    assert torch.equal(x_tv, x) and torch.equal(y_tv, y)


def test_idx_header_is_big_endian_with_shape(tmp_path):
    folder = data.export_idx("fashion_mnist", tmp_path)
    header = np.frombuffer((folder / "t10k-images-idx3-ubyte").read_bytes()[:16], dtype=">i4")
    assert header.tolist() == [2051, 10_000, 28, 28]


def test_torchvision_failure_offline_gives_clear_message(tmp_path, monkeypatch):
    import torchvision.datasets

    def offline(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")  # what torchvision says offline

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(data.DataError, match="Could not fetch mnist.*Without a network, use the bundled copy"):
        data.load("mnist", source="torchvision", root=tmp_path)


def test_batches_cover_every_sample_once_per_epoch():
    x, y = torch.arange(10).float(), torch.arange(10) * 2
    batches = data.Batches(x, y, batch_size=4, shuffle=True, seed=0)
    assert len(batches) == 3
    seen = torch.cat([bx for bx, _ in batches])
    assert sorted(seen.tolist()) == list(range(10))
    for bx, by in batches:  # pairs stay together
        assert torch.equal(by, bx.long() * 2)


def test_batches_shuffle_reproducibly_and_differently_each_epoch():
    x = torch.arange(100)
    first = [b.tolist() for b in data.Batches(x, batch_size=10, shuffle=True, seed=1)]
    again = [b.tolist() for b in data.Batches(x, batch_size=10, shuffle=True, seed=1)]
    assert first == again
    loader = data.Batches(x, batch_size=10, shuffle=True, seed=1)
    assert [b.tolist() for b in loader] != [b.tolist() for b in loader]


def test_batches_without_shuffle_keep_order_and_single_tensor():
    out = list(data.Batches(torch.arange(5), batch_size=2))
    assert [b.tolist() for b in out] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("args,kwargs,error", [
    ((), {}, ValueError),
    (([1, 2, 3],), {}, TypeError),
    ((torch.zeros(3), torch.zeros(4)), {}, ValueError),
    ((torch.zeros(3),), {"batch_size": 0}, ValueError),
])
def test_batches_reject_bad_input(args, kwargs, error):
    with pytest.raises(error):
        data.Batches(*args, **kwargs)


def test_the_data_folder_comes_from_aecourse_data(tmp_path, monkeypatch):
    monkeypatch.setenv("AECOURSE_DATA", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    with pytest.raises(data.DataError, match=str(tmp_path)):
        data.load("mnist", "test")


def test_without_a_course_folder_the_error_says_what_to_do(tmp_path, monkeypatch):
    from aecourse import paths

    monkeypatch.delenv("AECOURSE_DATA", raising=False)
    monkeypatch.delenv("AECOURSE_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "site-packages" / "aecourse" / "paths.py"))  # installed
    with pytest.raises(data.DataError, match="AECOURSE_DATA=/path/to/aecourse/data"):
        data.load("mnist", "test")


def test_the_course_folder_is_found_from_a_notebook_folder(tmp_path, monkeypatch):
    from aecourse import paths

    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.delenv("AECOURSE_ROOT", raising=False)
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "elsewhere" / "aecourse" / "paths.py"))
    assert paths.course_root() == tmp_path.resolve()
    monkeypatch.setenv("AECOURSE_ROOT", str(tmp_path / "notebooks"))
    with pytest.raises(paths.CourseFolderNotFound, match="not a course folder"):
        paths.course_root()
