"""Exercises of notebook 01, autoencoder basics."""
import torch

from .core import Case, Exercise
from .expect import Mistake, exact_int, gradients, ratio, seeded


# --- Exercise 1: parameters of a fully connected network -------------------------------------

def count_parameters_reference(layer_sizes):
    """Number of weights and biases of nn.Linear layers between consecutive sizes."""
    total = 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        total += n_in * n_out + n_out  # a weight matrix (n_out, n_in) and a bias vector (n_out,)
    return total


WEIGHTS_ONLY = Mistake(
    lambda got, expected, sizes: f"for sizes {sizes} you returned {got}: that counts the weights only. "
                                 "What else does each nn.Linear learn?",
    lambda got, expected, sizes: got != expected and got == sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


def _sizes(*sizes):
    return Case(f"sizes {list(sizes)}", inputs=lambda: (list(sizes),), compare=exact_int(), mistakes=[WEIGHTS_ONLY])


count_parameters = Exercise(
    "Exercise 1: count the parameters",
    count_parameters_reference,
    cases=[
        _sizes(3, 2),
        _sizes(784, 128, 64, 32),
        _sizes(784, 128, 64, 2, 64, 128, 784),
        Case("a network with no layer at all: [784]", inputs=lambda: ([784],), compare=exact_int()),
    ],
    hints=[
        "nn.Linear(n_in, n_out) learns a weight matrix W and a bias vector b. How many numbers does each hold?",
        "W has shape (n_out, n_in) and b has shape (n_out,). Consecutive sizes form the layers: "
        "zip(layer_sizes[:-1], layer_sizes[1:]).",
        "Add n_in * n_out + n_out over all pairs of consecutive sizes.",
    ],
    same_as=["torch.nn.Linear.__init__"],  # building the layers and counting is measuring, not counting
)


# --- Exercise 2: the reconstruction loss ------------------------------------------------------

def reconstruction_loss_reference(x_hat, x):
    """Squared error summed over the pixels of each image, averaged over the batch (a 0-d tensor)."""
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def _pair(*shape, seed=0):
    return lambda: (torch.rand(shape, generator=seeded(seed)), torch.rand(shape, generator=seeded(seed + 1)))


LOSS_MISTAKES = [
    Mistake(lambda got, expected, x_hat, x: f"for a batch of shape {tuple(x.shape)} you returned a tensor of shape "
                                            f"{tuple(got.shape)}; the loss is a single number (shape ())",
            lambda got, expected, x_hat, x: got.shape != torch.Size([])),
    Mistake("your loss is batch-size times too large: sum over pixels, but average over the images of the batch",
            lambda got, expected, x_hat, x: abs(ratio(got, expected) - len(x)) < 1e-3),
    Mistake("your loss is the mean over pixels (like F.mse_loss's default): the course sums over the pixels "
            "of an image", lambda got, expected, x_hat, x: abs(ratio(got, expected) * x[0].numel() - 1) < 1e-3),
]

reconstruction_loss = Exercise(
    "Exercise 2: the reconstruction loss",
    reconstruction_loss_reference,
    cases=[
        Case("a batch of 8 images of shape (1, 28, 28)", inputs=_pair(8, 1, 28, 28, seed=4), mistakes=LOSS_MISTAKES),
        Case("a batch of 5 flat vectors of length 784", inputs=_pair(5, 784, seed=2), mistakes=LOSS_MISTAKES),
        Case("a perfect reconstruction has loss 0",
             inputs=lambda: (torch.rand(4, 1, 28, 28, generator=seeded(7)),) * 2),
        Case("the loss can be differentiated (autograd)", inputs=_pair(3, 784, seed=11), observe=gradients(wrt=(0,))),
    ],
    hints=[
        "Three steps: the difference x_hat - x, squared; a sum over every pixel of each image; "
        "a mean over the images of the batch.",
        "Flatten each image first, x.flatten(1) has shape (batch, pixels), then .sum(1) sums the pixels.",
        "(x_hat - x).pow(2).flatten(1).sum(1) gives one number per image; take its .mean().",
    ],
    same_as=["aecourse.losses.squared_error"],
)


# --- Exercise 3: how much does a code compress? -----------------------------------------------

def compression_ratio_reference(image_shape, code_size, pixel_bits=8, code_bits=32):
    """Bits needed to store an image divided by bits needed to store its code."""
    pixels = 1
    for side in image_shape:
        pixels *= side
    return pixels * pixel_bits / (code_size * code_bits)


compression_ratio = Exercise(
    "Exercise 3: the compression ratio of a code",
    compression_ratio_reference,
    cases=[
        Case("an MNIST image and a 32-number float32 code", inputs=lambda: ((1, 28, 28), 32),
             mistakes=[Mistake("you returned 24.5 = 784 / 32, the ratio of counts; but a pixel takes 8 bits and a "
                               "float32 code number takes 32 bits", lambda got, expected, *args: abs(got - 24.5) < 1e-9)]),
        Case("a colour image (3, 32, 32) and a 64-number code", inputs=lambda: ((3, 32, 32), 64)),
        Case("a 2-number code stored in 16-bit floats", inputs=lambda: ((1, 28, 28), 2, 8, 16)),
    ],
    hints=[
        "Count bits on both sides: the image has (number of pixels) x pixel_bits, "
        "the code has code_size x code_bits.",
        "The number of pixels is the product of image_shape, e.g. 1 * 28 * 28 = 784.",
    ],
)
