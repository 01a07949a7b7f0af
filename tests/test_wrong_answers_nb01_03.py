"""Wrong answers a hurried or confused learner writes, for every exercise of notebooks 01 to 03 (issue 25, item 1).

Each table row is ``(wrong answer, phrase its feedback must contain, or None)``; every row must come out
INCORRECT, and the reference and an independent correct answer CORRECT. Answers that hand the work to a
library function (delegation) are tested elsewhere (tests/test_exercises.py); the rows here do the work
themselves, wrongly.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse.exercises import CORRECT, INCORRECT, nb01, nb02, nb03
from aecourse.exercises.expect import drawn_with
from aecourse.runtime import isolated_rng

MODULES = {"nb01": nb01, "nb02": nb02, "nb03": nb03}


def exercise(key):
    module, name = key.split(".")
    return getattr(MODULES[module], name)


def lookup_table(exercise_key, *visible):
    """An answer that returns the reference's values for the cases the learner has seen (the check's feedback and
    the notebook name them), and a guess otherwise. ``visible``: argument tuples, or lists for a single argument."""
    reference = exercise(exercise_key).reference
    visible = [args if isinstance(args, tuple) else (args,) for args in visible]
    known = {tuple(map(_key, args)): reference(*args) for args in visible}

    def answer(*args):
        return known.get(tuple(map(_key, args)), 0)
    return answer


def _key(value):
    return tuple(map(_key, value)) if isinstance(value, (list, tuple)) else value


# --- notebook 01 ----------------------------------------------------------------------------------

def count_by_popping(layer_sizes):
    """Right total, but it empties the caller's list."""
    total = 0
    while len(layer_sizes) > 1:
        n_in = layer_sizes.pop(0)
        total += n_in * layer_sizes[0] + layer_sizes[0]
    return total


def path_without_device(model, x_a, x_b, steps):
    """Right on the CPU; on a GPU the weights t (on the CPU) meet codes on the GPU."""
    h_a, h_b = model.encode(x_a.unsqueeze(0)), model.encode(x_b.unsqueeze(0))
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return model.decode((1 - t) * h_a + t * h_b)


def path(weights):
    """A path through code space with the given blending weights ``weights(steps) -> (steps,)``."""
    def answer(model, x_a, x_b, steps):
        h_a, h_b = model.encode(x_a[None]), model.encode(x_b[None])
        t = weights(steps).unsqueeze(1)
        return model.decode((1 - t) * h_a + t * h_b)
    return answer


def path_changing_its_input(model, x_a, x_b, steps):
    x_a.unsqueeze_(0)
    x_b.unsqueeze_(0)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return model.decode((1 - t) * model.encode(x_a) + t * model.encode(x_b))


def epoch(model, batches, loss_fn, optimizer, order=("zero_grad", "loss", "backward", "step"), train=True,
          total=lambda loss, batch: loss.item() * len(batch), count=len, after=None):
    """A training epoch written out, with the parts a hurried learner gets wrong as arguments."""
    if train:
        model.train()
    running, images, loss = 0.0, 0, None
    if after == "zero_grad once":
        optimizer.zero_grad()
    for batch in batches:
        for part in order:
            if part == "zero_grad":
                optimizer.zero_grad()
            elif part == "loss":
                loss = loss_fn(model, batch)
            elif part == "backward":
                loss.backward()
            elif part == "step":
                optimizer.step()
        running = running + total(loss, batch)
        images += count(batch)
    if after == "step once":
        optimizer.step()
    return running / images


def epoch_without_gradients(model, batches, loss_fn, optimizer):
    with torch.no_grad():
        return epoch(model, batches, loss_fn, optimizer, order=("loss",))


def epoch_with_fit(model, batches, loss_fn, optimizer):
    from aecourse.train import fit

    return fit(model, torch.cat(batches), loss_fn, epochs=1, batch_size=len(batches[0]), optimizer=optimizer).train[0]



NB01 = {
    "nb01.count_parameters": (
        lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:])),
        [(lookup_table("nb01.count_parameters", [3, 2], [784, 128, 64, 32], [784, 128, 64, 2, 64, 128, 784], [784],
                       [5, 7, 3], [100, 1, 100]), None),  # the four visible cases and the hidden tests' two
         (lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])), "counts the weights only"),
         (lambda sizes: sum(a * b + a for a, b in zip(sizes, sizes[1:])), "one bias per output"),
         (lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])) + sum(sizes), "the input"),
         (lambda sizes: sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 2)), "layer is missing"),
         (lambda sizes: float(sum(a * b + b for a, b in zip(sizes, sizes[1:]))), "float"),
         (lambda sizes: (torch.tensor(sizes[:-1]) * torch.tensor(sizes[1:]) + torch.tensor(sizes[1:])).sum(), "tensor"),
         (count_by_popping, "in place"),
         (lambda sizes: sizes[0] * sizes[-1] + sizes[-1], None),  # the first and last sizes only
         (lambda sizes: 222_384, None)],  # the argument ignored: the notebook's autoencoder
    ),
    "nb01.reconstruction_loss": (
        lambda x_hat, x: ((x_hat - x) ** 2).sum(dim=tuple(range(1, x.ndim))).mean(),
        [(lambda x_hat, x: ((x_hat - x) ** 2).sum(), "batch-size times too large"),
         (F.mse_loss, "mean over pixels"),
         (lambda x_hat, x: (x_hat - x).pow(2).flatten(1).sum(1), "a single number"),
         (lambda x_hat, x: (x_hat - x).pow(2).flatten(1).sum(1).mean().item(), "loss.backward()"),
         (lambda x_hat, x: (x_hat - x).pow(2).sum(1).mean(), "flatten"),  # sums the channels only
         (lambda x_hat, x: (x_hat - x).pow(2).sum(-1).mean(), "flatten"),  # sums one row of pixels only
         (lambda x_hat, x: (x_hat - x).pow(2).sum(dim=(1, 2, 3)).mean(), "IndexError"),  # images only
         (lambda x_hat, x: (x_hat - x).flatten(1).norm(dim=1).mean(), "square root"),
         (lambda x_hat, x: -(x_hat - x).pow(2).flatten(1).sum(1).mean(), "negative"),
         (lambda x_hat, x: (x_hat - x).abs().flatten(1).sum(1).mean(), None),
         (lambda x_hat, x: x_hat.sub_(x).pow(2).flatten(1).sum(1).mean(), "in place"),
         (lambda x_hat, x: (x_hat - x).double().pow(2).flatten(1).sum(1).mean(), "dtype"),
         (lambda x_hat, x: x_hat.pow(2).flatten(1).sum(1).mean(), None),  # x ignored
         (lambda x_hat, x: (x_hat - x).pow(2).sum() / 8, None)],  # the batch size of the first case
    ),
    "nb01.train_one_epoch": (
        epoch,
        [(lambda *args: epoch(*args, order=("loss", "backward", "step")), "zero_grad"),
         (lambda *args: epoch(*args, order=("loss", "backward", "step"), after="zero_grad once"), "zero_grad"),
         (lambda *args: epoch(*args, order=("zero_grad", "loss", "step", "backward")), "in that order"),
         (lambda *args: epoch(*args, order=("zero_grad", "loss", "backward"), after="step once"), None),
         (lambda *args: epoch(*args, train=False), "evaluation mode"),
         (lambda *args: epoch(*args, total=lambda loss, batch: loss.item(), count=lambda batch: 1),
          "averaged the batches"),
         (lambda *args: epoch(*args, total=lambda loss, batch: loss * len(batch)), "Python float"),
         (lambda *args: epoch(*args, total=lambda loss, batch: loss.item()), None),  # a sum of means over images
         (epoch_without_gradients, "did not change"),
         (lambda model, batches, *rest: epoch(model, batches[:-1], *rest), None),  # the last, smaller batch dropped
         (epoch_with_fit, "aecourse.train.fit")],
    ),
    "nb01.interpolate": (
        lambda model, a, b, steps: torch.cat([model.decode(torch.lerp(model.encode(a[None]), model.encode(b[None]),
                                                                      float(t))) for t in torch.linspace(0, 1, steps)]),
        [(lambda model, a, b, steps: torch.stack([torch.lerp(a, b, float(t)) for t in torch.linspace(0, 1, steps)]),
          "blended the two images' pixels"),
         (lambda model, a, b, steps: torch.cat([torch.lerp(model(a[None]), model(b[None]), float(t))
                                                for t in torch.linspace(0, 1, steps)]),
          "blended the two reconstructions"),
         (path(lambda steps: torch.linspace(1, 0, steps)), "runs backwards"),
         (path(lambda steps: torch.linspace(0, 1, steps + 2)[1:-1]), "include both ends"),
         (path(lambda steps: torch.arange(steps) / steps), "last image is not"),  # off by one: x_b's end left out
         (path(lambda steps: torch.linspace(0, 1, steps) ** 2), None),  # not evenly spaced
         (path(lambda steps: torch.linspace(0, 1, 10)), "expected shape"),  # steps ignored
         (lambda model, a, b, steps: model.decode(model.encode(a[None]).expand(steps, -1)),  # x_b ignored
          "last image is not"),
         (path_without_device, "device"),
         (lambda model, a, b, steps: path(lambda n: torch.linspace(0, 1, n))(model, a, b, steps).double(), "dtype"),
         (path_changing_its_input, "in place"),
         (lambda model, a, b, steps: torch.stack([path(lambda n: torch.full((n,), float(t)))(model, a, b, 1)
                                                  for t in torch.linspace(0, 1, steps)]), "expected shape")],
    ),
}


# --- notebook 02 ----------------------------------------------------------------------------------

def eigh_pca_reconstruct(X_train, X_test, k):
    """PCA from the eigenvectors of the covariance matrix: correct, and not the reference's SVD."""
    mean = X_train.double().mean(0)
    centred = X_train.double() - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    top = vectors[:, -k:]
    return ((X_test.double() - mean) @ top @ top.T + mean).float()


def pca(components, centre=lambda X_train, X_test: (X_train.mean(0),) * 2, add_back=True, fit_on_test=False,
        dtype=None):
    """A PCA reconstruction with one step changed: ``components(Vh, k)``, ``centre`` gives the means subtracted
    from X_train and X_test; ``add_back`` adds the test mean back."""
    def answer(X_train, X_test, k):
        fitted = X_test if fit_on_test else X_train
        train_mean, test_mean = centre(fitted, X_test)
        C = components(torch.linalg.svd((fitted - train_mean).to(dtype or fitted.dtype), full_matrices=False).Vh, k)
        out = (X_test.to(C.dtype) - test_mean) @ C.T @ C
        return out + test_mean if add_back else out
    return answer


def pca_changing_its_input(X_train, X_test, k):
    mean = X_train.mean(0)
    X_train -= mean
    C = torch.linalg.svd(X_train, full_matrices=False).Vh[:k]
    return (X_test - mean) @ C.T @ C + mean


def softplus_by_hand(logits, x):
    """log(1 + e^t) overflows for t = 100 in float32."""
    return (torch.log1p(torch.exp(logits)) - x * logits).sum(1).mean()


def clamped_probabilities(logits, x):
    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum(1).mean()


def clamped_logs(logits, x):
    """What F.binary_cross_entropy does: clamp each log at -100; exact up to logits of 100, not beyond."""
    p = torch.sigmoid(logits)
    return -(x * p.log().clamp(min=-100) + (1 - x) * (1 - p).log().clamp(min=-100)).sum(1).mean()


def bernoulli(loss):
    """Sum over features, mean over samples, of an elementwise ``loss(t, x)``."""
    return lambda t, x: loss(t, x).sum(1).mean()


def numpy_principal_angles(A, B):
    """Principal angles with NumPy's QR and SVD: correct, and not the reference's code."""
    qa, qb = np.linalg.qr(A.numpy())[0], np.linalg.qr(B.numpy())[0]
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)
    return torch.from_numpy(np.degrees(np.arccos(cosines)))  # the cosines come largest first: angles ascending


def angles(cosines_of, order=lambda a: a.sort().values, degrees=True):
    """Principal angles from ``cosines_of(A, B)``, in the given order."""
    def answer(A, B):
        radians = torch.arccos(cosines_of(A, B).clamp(-1, 1))
        return order(torch.rad2deg(radians) if degrees else radians)
    return answer


def qr_cosines(A, B):
    return torch.linalg.svdvals(torch.linalg.qr(A).Q.T @ torch.linalg.qr(B).Q)


def square_only_cosines(A, B):
    """Right when A and B have as many columns; with k > l columns it returns k values, k - l of them 0."""
    M = torch.linalg.qr(A).Q.T @ torch.linalg.qr(B).Q
    return torch.linalg.eigvalsh(M @ M.T).clamp(min=0).sqrt()


def angles_changing_their_input(A, B):
    A /= A.norm(dim=0)
    return angles(qr_cosines)(A, B)


NB02 = {
    "nb02.pca_reconstruct": (
        eigh_pca_reconstruct,
        [(pca(lambda Vh, k: Vh[:k], centre=lambda X_train, X_test: (0, 0)), "ignores the mean"),
         (pca(lambda Vh, k: Vh[:k], add_back=False), "add the mean back"),
         (pca(lambda Vh, k: Vh[:, :k].T), "rows of Vh"),
         (pca(lambda Vh, k: Vh[-k:]), "largest variance"),
         (pca(lambda Vh, k: Vh[:k], centre=lambda X_train, X_test: (X_train.mean(0), X_test.mean(0))),
          "training mean"),
         (pca(lambda Vh, k: Vh[:k], fit_on_test=True), "X_train"),  # the first argument ignored
         (pca(lambda Vh, k: Vh[:k], centre=lambda X_train, X_test: (X_train.mean(1, keepdim=True),
                                                                   X_test.mean(1, keepdim=True))), "mean over"),
         (pca(lambda Vh, k: Vh[:k], centre=lambda X_train, X_test: (X_train.mean(),) * 2), "mean over"),
         (pca(lambda Vh, k: Vh[:k + 1]), "k + 1"),  # off by one
         (pca(lambda Vh, k: Vh), None),  # k ignored
         (pca(lambda Vh, k: Vh[:k], dtype=torch.float64), "dtype"),  # right values in float64
         (pca_changing_its_input, "in place"),
         (lambda X_train, X_test, k: (X_test - X_train.mean(0)) @ torch.linalg.svd(
             X_train - X_train.mean(0), full_matrices=False).Vh[:k].T, "expected shape"),  # the code, not back
         # right values from an SVD with full matrices, U of N x N: the tall case stops the SVD before it runs
         *[(lambda X_train, X_test, k, top=top: (X_test - X_train.mean(0)) @ top(X_train - X_train.mean(0), k).T
            @ top(X_train - X_train.mean(0), k) + X_train.mean(0), "economical SVD")
           for top in (lambda Xc, k: torch.linalg.svd(Xc).Vh[:k],  # full_matrices=True, the default
                       lambda Xc, k: torch.linalg.svd(Xc, True).Vh[:k],
                       lambda Xc, k: torch.svd(Xc, some=False).V[:, :k].T,
                       lambda Xc, k: Xc.svd(some=False).V[:, :k].T,
                       lambda Xc, k: torch.from_numpy(np.linalg.svd(Xc.numpy())[2][:k]),  # NumPy's default
                       lambda Xc, k: torch.linalg.svd(Xc.T).U[:, :k].T)]],  # the transpose: V of N x N
    ),
    "nb02.bernoulli_nll": (
        bernoulli(lambda t, x: -(x * F.logsigmoid(t) + (1 - x) * F.logsigmoid(-t))),
        [(bernoulli(lambda t, x: -(x * torch.sigmoid(t).log() + (1 - x) * (1 - torch.sigmoid(t)).log())), "softplus"),
         (lambda t, x: (F.softplus(t) - x * t).mean(), "averages over the features"),
         (lambda t, x: (F.softplus(t) - x * t).sum(1).mean() / t.shape[1], "averages over the features"),
         (lambda t, x: (F.softplus(t) - x * t).sum(), "sums over the samples too"),
         (bernoulli(lambda t, x: x * t - F.softplus(t)), "sign"),
         (bernoulli(lambda t, x: F.softplus(t) - (1 - x) * t), "swapped"),
         (bernoulli(lambda t, x: F.softplus(-t) - x * t), None),
         (softplus_by_hand, "overflow"),
         (clamped_probabilities, "clamp"),
         (clamped_logs, "clamp"),
         (bernoulli(lambda t, x: F.softplus(t.clamp(-50, 50)) - x * t.clamp(-50, 50)), "clamp"),
         (bernoulli(lambda t, x: F.softplus(t.clamp_(-50, 50)) - x * t), "in place"),
         (lambda t, x: (F.softplus(t) - x * t).sum(1).mean().item(), "loss.backward()")],
    ),
    "nb02.principal_angles": (
        numpy_principal_angles,
        [(angles(qr_cosines, order=lambda a: a.sort(descending=True).values), "ascending"),  # issue 25
         (angles(lambda A, B: qr_cosines(A, B).sort().values, order=lambda a: a), "ascending"),  # sorts the cosines
         (angles(qr_cosines, degrees=False), "radians"),
         (lambda A, B: torch.rad2deg(torch.arccos(qr_cosines(A, B))).sort().values, "clamp"),  # cosines of 1 + 1e-16
         (angles(lambda A, B: torch.linalg.svdvals(A.T @ B)), "A.T @ B"),
         (angles(lambda A, B: torch.linalg.svdvals((A / A.norm(dim=0)).T @ (B / B.norm(dim=0)))), "orthogonal"),
         (angles(lambda A, B: torch.linalg.svdvals(torch.linalg.qr(A).Q.T @ B)), None),  # B not orthonormalised
         (lambda A, B: qr_cosines(A, B).flip(0), "cosines"),
         (angles(square_only_cosines), "min(k, l)"),  # issue 25: subspaces of different sizes
         (angles(lambda A, B: torch.linalg.eigvals(torch.linalg.qr(A).Q.T @ torch.linalg.qr(B).Q).real), None),
         (angles(lambda A, B: torch.linalg.svdvals(torch.linalg.qr(A).Q.T @ torch.linalg.qr(B.double()).Q)),
          "same dtype"),  # right for float64 bases only: crashes on a trained layer's float32 weights
         (angles_changing_their_input, "in place"),
         (lambda A, B: angles(qr_cosines)(A, B).tolist(), "expected a torch.Tensor")],
    ),
}


# --- notebook 03 ----------------------------------------------------------------------------------

def counted_layer_by_layer(layers):
    """Right value, but it empties the caller's list."""
    size, step = 1, 1
    while layers:
        kernel, stride = layers.pop(0)
        size += (kernel - 1) * step
        step *= stride
    return size


def field(start=1, order=lambda layers: layers, step_first=False):
    """The receptive field with one step changed."""
    def answer(layers):
        size, step = start, 1
        for kernel, stride in order(layers):
            if step_first:
                step *= stride
            size += (kernel - 1) * step
            if not step_first:
                step *= stride
        return size
    return answer


class Repeat(nn.Module):
    """Grows the maps by repeating pixels, as nn.Upsample does, without being nn.Upsample."""

    def forward(self, x):
        return x.repeat_interleave(2, dim=-1).repeat_interleave(2, dim=-2)


class Interpolating(nn.Module):
    """One transposed convolution, then F.interpolate inside forward (issue 25)."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1)
        self.out = nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(torch.relu(self.up(x)), scale_factor=2)
        return torch.sigmoid(self.out(x))


class FixedBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.up(x).reshape(5, 1, 28, 28)


class WithoutGradients(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, x):
        with torch.no_grad():
            return self.up(x)


SHARED_DECODER = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
                               nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())


def decoder(layers):
    return lambda: nn.Sequential(*layers())


def up(c_in, c_out, output_padding=1):
    return nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=output_padding)


NB03 = {
    "nb03.conv_parameters": (
        lambda c_in, c_out, k: c_out * (c_in * k ** 2 + 1),
        [(lookup_table("nb03.conv_parameters", (1, 16, 3), (16, 32, 3), (32, 32, 7), (64, 4, 1), (3, 8, 5),
                       (64, 128, 1)), None),  # the four visible cases and the hidden tests' two
         (lambda c_in, c_out, k: c_in * c_out * k * k, "weights only"),
         (lambda c_in, c_out, k: c_in * c_out * k * k + c_in, "output channel"),
         (lambda c_in, c_out, k: c_out * k * k + c_out, "every input channel"),
         (lambda c_in, c_out, k: c_in * c_out * k + c_out, "k x k"),
         (lambda c_in, c_out, k: c_in * c_out * k * k + 1, "one bias for the whole layer"),
         (lambda c_in, c_out, k: c_in * c_out * k ** 2.0 + c_out, "float"),
         (lambda c_in, c_out, k: torch.tensor(c_out * (c_in * k * k + 1)), "tensor"),
         (lambda c_in, c_out, k: c_out * (c_in * (k + 1) ** 2 + 1), None)],  # off by one in the kernel
    ),
    "nb03.conv_output_size": (
        lambda n, k, s=1, p=0: int(np.floor((n + 2 * p - k) / s)) + 1,
        [(lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "integer division"),
         (lambda n, k, s=1, p=0: (n + p - k) // s + 1, None),  # padding on one side only
         (lambda n, k, s=1, p=0: (n + 2 * p - k) // s, "+ 1"),
         (lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1, "rounded up"),
         (lambda n, k, s=1, p=0: n + 2 * p - k + 1, None),  # stride ignored
         (lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1, None),  # padding and stride swapped in the signature
         (lambda n, k, s=2, p=0: (n + 2 * p - k) // s + 1, None),  # a wrong default
         (lambda n, k, s=1, p=0: (n + 2 * p - k + 1) // s, None),  # off by one
         (lambda n, k, s=1, p=0: np.floor((n + 2 * p - k) / s) + 1, "float"),
         (lambda n, k, s=1, p=0: torch.tensor((n + 2 * p - k) // s + 1), "tensor"),
         (lookup_table("nb03.conv_output_size", (28, 3, 1, 0), (28, 3, 1, 1), (28, 3, 2, 1), (14, 3, 2, 1),
                       (7, 3, 2, 1), (7, 7, 1, 0), (10_000_000, 5, 3, 2), (32, 3, 2, 1), (10, 4, 3, 0)), None)],
    ),
    "nb03.transposed_output_size": (
        lambda n, k, s=1, p=0, op=0: n * s - s - 2 * p + k + op,
        [(lambda n, k, s=1, p=0, op=0: n * s, None),
         (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k, "output_padding"),
         (lambda n, k, s=1, p=0, op=0: (n - 1) * s - p + k + op, "each border"),
         (lambda n, k, s=1, p=0, op=0: (n - 1) * s + 2 * p + k + op, "each border"),
         (lambda n, k, s=1, p=0, op=0: n * s - 2 * p + k + op, "(size - 1)"),
         (lambda n, k, s=1, p=0, op=0: (n + 2 * p - k) // s + 1, "convolution's formula"),
         (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k + 2 * op, None),  # output_padding on both sides
         (lambda n, k, s=1, p=0, op=1: (n - 1) * s - 2 * p + k + op, None),  # a wrong default
         (lambda n, k, s=1, p=0, op=0: torch.tensor((n - 1) * s - 2 * p + k + op), "tensor"),
         (lookup_table("nb03.transposed_output_size", (1, 7, 1, 0, 0), (5, 3, 1, 1, 0), (7, 3, 2, 1, 1),
                       (14, 3, 2, 1, 1), (7, 4, 2, 1, 0), (7, 3, 2, 1, 0), (10_000_000, 5, 3, 0, 2), (16, 4, 2, 1, 0),
                       (3, 3, 3, 0, 1)), None)],
    ),
    "nb03.make_decoder": (
        decoder(lambda: [nn.ConvTranspose2d(32, 8, 4, stride=2, padding=1), nn.ReLU(),
                         nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1), nn.Sigmoid()]),
        [(decoder(lambda: [up(32, 16), nn.ReLU(), up(16, 1)]), "Which activation"),
         (decoder(lambda: [up(32, 16), nn.ReLU(), up(16, 1), nn.ReLU()]), "Which activation"),
         (decoder(lambda: [up(32, 16), nn.ReLU(), up(16, 1), nn.Tanh()]), "Which activation"),
         (decoder(lambda: [up(32, 16, 0), nn.ReLU(), up(16, 1, 0), nn.Sigmoid()]), "expected shape"),
         (decoder(lambda: [up(32, 16), nn.ReLU(), up(16, 1), nn.Sigmoid(), nn.Flatten(1, 2)]), "expected shape"),
         (decoder(lambda: [up(32, 16), nn.ReLU(), nn.Upsample(scale_factor=2), nn.Conv2d(16, 1, 3, padding=1),
                           nn.Sigmoid()]), "transposed convolutions"),
         (decoder(lambda: [up(32, 16), nn.ReLU(), Repeat(), nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid()]),
          "nn.ConvTranspose2d"),
         (decoder(lambda: [nn.ConvTranspose2d(32, 8, 2, stride=2), nn.Flatten(), nn.Linear(8 * 14 * 14, 784),
                           nn.Unflatten(1, (1, 28, 28)), nn.Sigmoid()]), "nn.ConvTranspose2d"),
         (Interpolating, None),  # issue 25 (delegation-like: another test may name F.interpolate)
         (lambda: SHARED_DECODER, "fresh"),
         (FixedBatch, None),
         (WithoutGradients, "no gradient"),
         (lambda: nn.Sigmoid(), "no trainable parameters")],
    ),
    "nb03.receptive_field": (
        lambda layers: 1 + sum((k - 1) * math.prod(s for _, s in layers[:i]) for i, (k, _) in enumerate(layers)),
        [(lambda layers: 1 + sum(k - 1 for k, _ in layers), "as if every layer had stride 1"),
         (lambda layers: 1 + sum((k - 1) * s for k, s in layers), "strides *before* it"),
         (lambda layers: sum(k for k, _ in layers), None),
         (field(order=lambda layers: layers[::-1]), "first layer first"),
         (field(start=0), "start from 1"),
         (field(step_first=True), "after it"),
         (lambda layers: math.prod(k for k, _ in layers), None),
         (counted_layer_by_layer, "in place"),
         (lambda layers: 1 + sum((k - 1) * np.prod([s for _, s in layers[:i]]) for i, (k, _) in enumerate(layers)),
          "float"),  # np.prod([]) is the float 1.0
         (lambda layers: 1 + torch.tensor([(k - 1) * math.prod(s for _, s in layers[:i])
                                           for i, (k, _) in enumerate(layers)], dtype=torch.long).sum(), "tensor"),
         (lookup_table("nb03.receptive_field", [], [(3, 1)], [(3, 1), (3, 1)], [(3, 2), (3, 2)],
                       [(3, 2), (3, 2), (7, 1)], [(2, 2), (2, 2), (2, 2)], [(3, 2)] * 30, [(5, 1), (3, 2), (3, 1)],
                       [(3, 2)] * 4), None)],
    ),
}

TABLES = {**NB01, **NB02, **NB03}


def test_every_exercise_of_notebooks_01_to_03_has_a_table_of_at_least_five_wrong_answers():
    exercises = {f"{name}.{attribute}": value for name, module in MODULES.items()
                 for attribute, value in vars(module).items() if type(value).__name__ == "Exercise"}
    assert {key for key, value in exercises.items() if not value.build} <= set(TABLES) <= set(exercises)
    assert all(len(wrongs) >= 5 for _, wrongs in TABLES.values())


@pytest.mark.parametrize("key", TABLES)
def test_the_reference_and_an_independent_correct_answer_pass(key):
    reference = exercise(key).reference
    for seed in (None, 1, 2, 3):  # outside a check, and the inputs of three checks
        with isolated_rng(0) if seed is None else drawn_with(seed):
            for case in exercise(key).cases:  # run directly: evaluate() would call the reference delegation
                case.run(reference, reference)
    result = exercise(key).evaluate(TABLES[key][0])
    assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("key,index", [(key, i) for key, (_, wrongs) in TABLES.items() for i in range(len(wrongs))])
def test_a_wrong_answer_is_incorrect_and_the_feedback_says_why(key, index):
    wrong, phrase = TABLES[key][1][index]
    result = exercise(key).evaluate(wrong)
    assert result.status == INCORRECT, f"marked correct: {result}"
    feedback = " ".join(why for _, why in result.failed)  # what the checks said, not the names of the checks
    assert phrase is None or phrase in feedback, str(result)
