"""Exercises of notebook 01, autoencoder basics."""
import torch

from .core import Case, Exercise
from .expect import call, expect_number, expect_tensor


# --- Exercise 1: parameters of a fully connected network -------------------------------------

def count_parameters_reference(layer_sizes):
    """Weights and biases of ``nn.Linear`` layers between consecutive sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def _counts_like_torch(sizes):
    def test(answer):
        layers = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        expected = sum(p.numel() for layer in layers for p in layer.parameters())
        expect_number(call(answer, list(sizes)), expected, f"sizes {list(sizes)}")
    return test


def _biases_counted(answer):
    got = call(answer, [3, 2])
    if got == 6:
        raise AssertionError("for sizes [3, 2] you returned 6: that counts the weights only. "
                             "What else does nn.Linear(3, 2) learn?")
    expect_number(got, 8, "sizes [3, 2]")


count_parameters = Exercise(
    "Exercise 1: count the parameters",
    count_parameters_reference,
    cases=[
        Case("a single layer 3 -> 2, biases included", _biases_counted),
        Case("the encoder 784-128-64-32", _counts_like_torch((784, 128, 64, 32))),
        Case("a whole autoencoder 784-128-64-2-64-128-784", _counts_like_torch((784, 128, 64, 2, 64, 128, 784))),
        Case("a network with no layer at all: [784]", _counts_like_torch((784,))),
    ],
    hints=[
        "nn.Linear(n_in, n_out) learns a weight matrix W and a bias vector b. How many numbers does each hold?",
        "W has shape (n_out, n_in) and b has shape (n_out,). Consecutive sizes form the layers: "
        "zip(layer_sizes[:-1], layer_sizes[1:]).",
        "Add n_in * n_out + n_out over all pairs of consecutive sizes.",
    ],
)


# --- Exercise 2: the reconstruction loss ------------------------------------------------------

def reconstruction_loss_reference(x_hat, x):
    """Squared error summed over the pixels of each image, averaged over the batch."""
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def _random_pair(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g), torch.rand(shape, generator=g)


def _matches_reference(shape):
    def test(answer):
        x_hat, x = _random_pair(shape, seed=len(shape))
        expected = reconstruction_loss_reference(x_hat, x)
        got = call(answer, x_hat, x)
        if isinstance(got, torch.Tensor) and got.shape != torch.Size([]):
            raise AssertionError(f"for a batch of shape {tuple(shape)} you returned a tensor of shape "
                                 f"{tuple(got.shape)}; the loss is a single number (shape ())")
        if isinstance(got, torch.Tensor) and got.numel() == 1 and torch.isfinite(got):
            ratio = (got.detach() / expected).item()
            if abs(ratio - shape[0]) < 1e-3:
                raise AssertionError("your loss is batch-size times too large: sum over pixels, "
                                     "but average over the images of the batch")
            if abs(ratio * x[0].numel() - 1) < 1e-3:
                raise AssertionError("your loss is the mean over pixels (like F.mse_loss's default): "
                                     "the course sums over the pixels of an image")
        expect_tensor(got, expected, f"a batch of shape {tuple(shape)}")
    return test


def _zero_for_perfect(answer):
    x, _ = _random_pair((4, 1, 28, 28), seed=7)
    expect_tensor(call(answer, x, x), torch.tensor(0.0), "a perfect reconstruction")


def _differentiable(answer):
    x_hat, x = _random_pair((3, 784), seed=11)
    x_hat.requires_grad_(True)
    loss = answer(x_hat, x)
    if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
        raise AssertionError("the loss must be a tensor computed from x_hat with torch operations, "
                             "so that loss.backward() can train the model (no .item(), numpy or Python floats)")
    loss.backward()
    expect_tensor(x_hat.grad, 2 * (x_hat.detach() - x) / len(x), "the gradient with respect to x_hat")


reconstruction_loss = Exercise(
    "Exercise 2: the reconstruction loss",
    reconstruction_loss_reference,
    cases=[
        Case("a batch of 8 images of shape (1, 28, 28)", _matches_reference((8, 1, 28, 28))),
        Case("a batch of 5 flat vectors of length 784", _matches_reference((5, 784))),
        Case("a perfect reconstruction has loss 0", _zero_for_perfect),
        Case("the loss can be differentiated (autograd)", _differentiable),
    ],
    hints=[
        "Three steps: the difference x_hat - x, squared; a sum over every pixel of each image; "
        "a mean over the images of the batch.",
        "Flatten each image first, x.flatten(1) has shape (batch, pixels), then .sum(1) sums the pixels.",
        "(x_hat - x).pow(2).flatten(1).sum(1) gives one number per image; take its .mean().",
    ],
)


# --- Exercise 3: how much does a code compress? -----------------------------------------------

def compression_ratio_reference(image_shape, code_size, pixel_bits=8, code_bits=32):
    """Bits needed to store an image divided by bits needed to store its code."""
    pixels = 1
    for side in image_shape:
        pixels *= side
    return pixels * pixel_bits / (code_size * code_bits)


def _ratio_case(args):
    def test(answer):
        expect_number(call(answer, *args), compression_ratio_reference(*args),
                      "compression_ratio(" + ", ".join(map(repr, args)) + ")")
    return test


def _not_just_numbers(answer):
    got = call(answer, (1, 28, 28), 32)
    if isinstance(got, (int, float)) and abs(got - 784 / 32) < 1e-9:
        raise AssertionError("you returned 24.5 = 784 / 32, the ratio of counts; but a pixel takes "
                             "8 bits and a float32 code number takes 32 bits")
    expect_number(got, compression_ratio_reference((1, 28, 28), 32), "compression_ratio((1, 28, 28), 32)")


compression_ratio = Exercise(
    "Exercise 3: the compression ratio of a code",
    compression_ratio_reference,
    cases=[
        Case("an MNIST image and a 32-number float32 code", _not_just_numbers),
        Case("a colour image (3, 32, 32) and a 64-number code", _ratio_case(((3, 32, 32), 64))),
        Case("a 2-number code stored in 16-bit floats", _ratio_case(((1, 28, 28), 2, 8, 16))),
    ],
    hints=[
        "Count bits on both sides: the image has (number of pixels) x pixel_bits, "
        "the code has code_size x code_bits.",
        "The number of pixels is the product of image_shape, e.g. 1 * 28 * 28 = 784.",
    ],
)
