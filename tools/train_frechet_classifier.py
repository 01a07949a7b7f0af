"""Train the MNIST feature classifier behind :mod:`aecourse.frechet` and rewrite its shipped weights.

    python tools/train_frechet_classifier.py     # about 2 minutes on a 2-core CPU

The weights (``aecourse/mnist_features.pt``) are committed, so learners never run this: it is
how they were made, kept so the next developer can make them again (same seed, same numbers).
"""
import hashlib

import torch
import torch.nn as nn

from aecourse import data, frechet
from aecourse.runtime import predict, seed_everything
from aecourse.train import fit


def train(epochs=4, seed=0, out=frechet.WEIGHTS):
    """Train the feature classifier on the bundled MNIST training images; save its weights; return test accuracy."""
    seed_everything(seed)
    x_train, y_train = data.load("mnist", "train")
    x_test, y_test = data.load("mnist", "test")
    model = frechet.FeatureClassifier()

    def cross_entropy(model, batch):
        images, labels = batch
        return nn.functional.cross_entropy(model(images), labels)

    fit(model, (x_train, y_train), cross_entropy, epochs=epochs, batch_size=128, lr=2e-3, schedule="one-cycle",
        seed=seed, desc="MNIST feature classifier")
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, out)
    frechet.classifier.cache_clear()
    return (predict(model, x_test).argmax(1) == y_test).float().mean().item()


if __name__ == "__main__":
    accuracy = train()
    digest = hashlib.sha256(frechet.WEIGHTS.read_bytes()).hexdigest()
    print(f"wrote {frechet.WEIGHTS} (sha256 {digest}); test accuracy {accuracy:.2%}")
