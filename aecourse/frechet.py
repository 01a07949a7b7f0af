"""Sample quality: the Fréchet distance between two sets of images, in the features of an MNIST classifier.

This is the MNIST analogue of FID (Heusel et al. 2017). Each set of images is mapped
to the 128 features of the last hidden layer of a small convolutional classifier;
each set's features are summarised by their mean ``m`` and covariance ``C``, and

    FD = |m1 - m2|^2 + Tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2),

the Fréchet (2-Wasserstein) distance between the two Gaussians. 0 means the same
feature statistics; blurry, wrong or collapsed samples all raise it. We compute the
matrix square root with symmetric eigendecompositions in float64 rather than
``scipy.linalg.sqrtm``: ``C1^1/2 C2 C1^1/2`` is symmetric, so this is exact and
never returns the complex round-off ``sqrtm`` can.

The classifier was trained once on the bundled MNIST training images
(``python tools/train_frechet_classifier.py``) and its weights ship with the package
(``mnist_features.pt``, loaded with ``weights_only=True``), so every learner gets
the same numbers and nothing trains at run time. Features of MNIST-like images
only: for Fashion-MNIST the distances have no meaning.
"""
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn as nn

from .runtime import default_device, predict

WEIGHTS = Path(__file__).with_name("mnist_features.pt")
FEATURES = 128


def _block(c_in, c_out, stride=1):
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


class FeatureClassifier(nn.Module):
    """A small CNN for MNIST digits: ``features`` maps (N, 1, 28, 28) to (N, 128), ``head`` to 10 logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *_block(1, 32), *_block(32, 32),                   # (N, 32, 28, 28)
            *_block(32, 64, stride=2), *_block(64, 64),         # (N, 64, 14, 14)
            *_block(64, 128, stride=2), *_block(128, 128),      # (N, 128, 7, 7)
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),              # (N, 128): the features
        )
        self.head = nn.Linear(FEATURES, 10)

    def forward(self, x):
        return self.head(self.features(x))


@lru_cache(maxsize=1)
def classifier():
    """The trained feature classifier (evaluation mode, on the default device)."""
    if not WEIGHTS.is_file():
        raise FileNotFoundError(f"The classifier's weights are missing ({WEIGHTS}); reinstall the course, or "
                                "train them again with `python tools/train_frechet_classifier.py`.")
    model = FeatureClassifier()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    return model.to(default_device()).eval()


def _check_images(images, name):
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"{name} must be MNIST-sized images (N, 1, 28, 28), got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}.")


def features(images):
    """Classifier features of images (N, 1, 28, 28) with pixels in [0, 1]: tensor (N, 128) on the CPU."""
    _check_images(images, "images")
    return predict(classifier().features, images.clamp(0, 1))


def accuracy(images, labels):
    """The classifier's accuracy on labelled images (a fraction)."""
    _check_images(images, "images")
    return (predict(classifier(), images).argmax(1) == labels.cpu()).float().mean().item()


def predicted_labels(images):
    """The classifier's label for each image: tensor (N,), e.g. to see which digits a generator draws."""
    _check_images(images, "images")
    return predict(classifier(), images.clamp(0, 1)).argmax(1)


def _sqrt_psd(matrix):
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance_of_features(a, b):
    """Fréchet distance between the Gaussians fitted to two sets of feature vectors (N, d) and (M, d)."""
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, torch.Tensor) or value.ndim != 2:
            raise ValueError(f"features {name} must be a tensor of shape (N, d).")
        if len(value) <= value.shape[1]:
            raise ValueError(f"features {name}: {len(value)} samples are too few for the covariance of "
                             f"{value.shape[1]} features; use more than {value.shape[1]} (a few thousand for "
                             "stable numbers).")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"The two sets have different feature sizes: {a.shape[1]} and {b.shape[1]}.")
    a, b = a.double().cpu(), b.double().cpu()
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    root_a = _sqrt_psd(cov_a)
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return ((mean_a - mean_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross).item()


def frechet_distance(images_a, images_b):
    """Fréchet distance between two sets of MNIST-sized images, in the classifier's features (a float)."""
    _check_images(images_a, "images_a")
    _check_images(images_b, "images_b")
    return frechet_distance_of_features(features(images_a), features(images_b))
