"""Time one training epoch: aecourse's in-memory batching against torchvision + DataLoader.

The model is the common tutorial MLP autoencoder 784-128-64-32 (mirrored decoder),
trained with Adam on batches of 128. Both pipelines read the same bundled MNIST
training images: torchvision gets them as the official IDX files written to a
temporary folder, so nothing is downloaded. Run with ``make benchmark``.
"""
import tempfile
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from aecourse import data
from aecourse.models import MLPAutoencoder
from aecourse.runtime import seed_everything

BATCH_SIZE = 128


def train_one_epoch(batches):
    """Train a fresh 784-128-64-32 autoencoder for one pass over ``batches``; return seconds."""
    seed_everything(0)
    model = MLPAutoencoder((784, 128, 64, 32))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for x in batches:
        loss = (model(x) - x).pow(2).flatten(1).sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def images_only(loader):
    for x, _ in loader:
        yield x


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    start = time.perf_counter()
    x_train, _ = data.load("mnist", "train")  # includes the SHA-256 check
    load_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as root:
        data.export_idx("mnist", root)
        official = datasets.MNIST(root, train=True, download=False, transform=transforms.ToTensor())
        loader = DataLoader(official, batch_size=BATCH_SIZE, shuffle=True)
        assert torch.equal(official[0][0], x_train[0]), "the two pipelines must see the same images"

        in_memory = train_one_epoch(data.Batches(x_train, batch_size=BATCH_SIZE, shuffle=True, seed=0))
        dataloader = train_one_epoch(images_only(loader))
    print(f"torchvision MNIST + ToTensor + DataLoader: {dataloader:6.2f} s per epoch")
    print(f"aecourse in-memory Batches:                {in_memory:6.2f} s per epoch "
          f"(+ {load_seconds:.2f} s to load all 60,000 images once)")
    print(f"speed-up: {dataloader / in_memory:.1f}x per epoch")


if __name__ == "__main__":
    main()
