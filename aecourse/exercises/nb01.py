"""Exercises of notebook 01, autoencoder basics."""

import math

import torch

from .core import Case, Exercise
from .expect import (
    Mistake,
    a_run_seed,
    adam,
    close,
    drawn,
    finite_and_close,
    gradients,
    keeping_lists,
    keeps_dtype,
    on_another_device,
    ratio,
    seeded,
    sgd,
    whole_number,
)
from .questions import Question

# --- comparisons the notebooks 01 and 03 share ------------------------------------------------


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


def _weight_count(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


COUNT_MISTAKES = [
    WEIGHTS_ONLY,
    Mistake("you counted one bias per input of each layer: nn.Linear(n_in, n_out) has one bias per output, n_out",
            lambda got, expected, sizes: got == sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:])) != expected),
    Mistake("you gave the input biases too: the first size is the input, which no layer outputs, so it has none",
            lambda got, expected, sizes: got == _weight_count(sizes) + sum(sizes) != expected),
    Mistake(lambda got, expected, sizes: f"a layer is missing: {len(sizes)} sizes make {len(sizes) - 1} layers, "
                                         "one per pair of consecutive sizes",
            lambda got, expected, sizes: got != expected and len(sizes) > 2 and got in (
                count_parameters_reference(sizes[:-1]), count_parameters_reference(sizes[1:]))),
]


def _sizes(*sizes):
    return Case(f"sizes {list(sizes)}", inputs=lambda: (list(sizes),), observe=keeping_lists, compare=whole_number(),
                mistakes=COUNT_MISTAKES)


def _random_sizes(description, seed, layers):
    """Sizes drawn anew for every check: a table of the sizes some check used does not pass the next."""
    return Case(description, inputs=lambda: (drawn(seed, 1, 1000, layers + 1),), observe=keeping_lists,
                compare=whole_number(), mistakes=COUNT_MISTAKES)


count_parameters = Exercise(
    "Exercise 1: count the parameters",
    count_parameters_reference,
    cases=[
        _sizes(3, 2),
        _sizes(784, 128, 64, 32),
        _sizes(784, 128, 64, 2, 64, 128, 784),
        Case("a network with no layer at all: [784]", inputs=lambda: ([784],), observe=keeping_lists,
             compare=whole_number()),
        _random_sizes("random sizes, one layer", seed=1, layers=1),
        _random_sizes("random sizes, five layers", seed=2, layers=5),
    ],
    hints=[
        "nn.Linear(n_in, n_out) learns a weight matrix W and a bias vector b. How many numbers does each hold?",
        "W has shape (n_out, n_in) and b has shape (n_out,). Consecutive sizes form the layers: "
        "zip(layer_sizes[:-1], layer_sizes[1:]).",
        "Add n_in * n_out + n_out over all pairs of consecutive sizes.",
    ],
    formula=True,  # building the layers and counting is measuring, not counting
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
    Mistake(lambda got, expected, x_hat, x: f"you summed over dimension {_summed_dimension(got, x_hat, x)} only and "
                                            "averaged over the others: flatten each image first (x.flatten(1)) and "
                                            "sum over all its pixels",
            lambda got, expected, x_hat, x: _summed_dimension(got, x_hat, x) is not None),
    Mistake("you took a square root (a norm, or a root-mean-square error): the loss is the squared error itself",
            lambda got, expected, x_hat, x: _near(got, (x_hat - x).flatten(1).norm(dim=1).mean())
            or _near(got, expected.sqrt())),
    Mistake("your loss is negative: a squared error never is (check the sign)", lambda got, expected, *_: got < 0),
]


def _near(got, value):
    return abs(float(got) - float(value)) <= 1e-4 * abs(float(value)) + 1e-6


def _summed_dimension(got, x_hat, x):
    """The one dimension of an image that an answer summed over before averaging everything else, or None."""
    for dimension in range(1, x.ndim):
        if x.ndim > 2 and _near(got, (x_hat - x).pow(2).sum(dimension).mean()):
            return dimension
    return None


def _colour_batch(seed):
    """A batch of colour images of a size drawn anew for every check, as the hidden test's (6, 3, 4, 4)."""
    def inputs():
        batch, height, width = drawn(seed, 2, 10, 3)
        g = seeded(seed + 1)
        return torch.rand(batch, 3, height, width, generator=g), torch.rand(batch, 3, height, width, generator=g)
    return inputs

reconstruction_loss = Exercise(
    "Exercise 2: the reconstruction loss",
    reconstruction_loss_reference,
    cases=[
        Case("a batch of 8 images of shape (1, 28, 28)", inputs=_pair(8, 1, 28, 28, seed=4),
             compare=keeps_dtype(close()), mistakes=LOSS_MISTAKES),
        Case("a batch of 5 flat vectors of length 784", inputs=_pair(5, 784, seed=2), compare=keeps_dtype(close()),
             mistakes=LOSS_MISTAKES),
        Case("a batch of colour images, (B, 3, H, W)", inputs=_colour_batch(seed=5), compare=keeps_dtype(close()),
             mistakes=LOSS_MISTAKES),
        Case("a perfect reconstruction has loss 0",
             inputs=lambda: (torch.rand(4, 1, 28, 28, generator=seeded(7)),) * 2, compare=keeps_dtype(close())),
        Case("the loss can be differentiated (autograd)", inputs=_pair(3, 784, seed=11), observe=gradients(wrt=(0,))),
    ],
    hints=[
        "Three steps: the difference x_hat - x, squared; a sum over every pixel of each image; "
        "a mean over the images of the batch.",
        "Flatten each image first, x.flatten(1) has shape (batch, pixels), then .sum(1) sums the pixels.",
        "(x_hat - x).pow(2).flatten(1).sum(1) gives one number per image; take its .mean().",
    ],
    same_as=["aecourse.losses.squared_error", "aecourse.metrics.squared_error_per_image",
             "torch.nn.functional.mse_loss"],
)


# --- Exercise 3: one epoch of training (the build exercise) ----------------------------------------

def train_one_epoch_reference(model, batches, loss_fn, optimizer):
    """One pass over ``batches``: a gradient step on ``loss_fn(model, batch)`` for each batch.

    Returns the mean loss per image over the epoch, a Python float (fit's training curve).
    """
    model.train()  # dropout and batch norm behave as in training
    total, images = 0.0, 0
    for batch in batches:
        optimizer.zero_grad()  # else this step's gradients add to the last step's
        loss = loss_fn(model, batch)
        loss.backward()  # d loss / d parameter, for every parameter
        optimizer.step()  # move every parameter a little downhill
        total += loss.item() * len(batch)  # .item(): a float, so the batch's graph is freed
        images += len(batch)
    return total / images


def _squared_error(model, x):
    return (model(x) - x).pow(2).sum(1).mean()


def _training_run(optimizer):
    """``observe`` for a training step: train a fresh tiny model (batch norm, in eval mode as fit leaves it) on
    batches of 8, 8, 8 and 6 rows, and return what the function returned and the parameters it left."""
    def observe(function, seed):
        torch.manual_seed(seed)  # the same start for the reference and the answer (the check's own stream)
        model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                    torch.nn.Linear(4, 6)).eval()
        data = torch.randn(30, 6, generator=torch.Generator().manual_seed(seed))
        batches = list(data.split(8))
        returned = function(model, batches, _squared_error, optimizer(model.parameters()))
        return returned, torch.cat([p.detach().flatten() for p in model.parameters()])
    return observe


def _trained_like_the_reference(got, expected, what):
    returned, parameters = got
    if isinstance(returned, torch.Tensor):
        raise AssertionError("you returned a tensor; return the epoch's mean loss as a Python float: add up "
                             "loss.item() (a tensor keeps every batch's graph alive, and memory fills up)")
    if not isinstance(returned, float):
        raise AssertionError(f"you returned {type(returned).__name__}; return the epoch's mean loss per image, "
                             "a float")
    if not torch.allclose(parameters, expected[1], rtol=1e-4, atol=1e-6):
        raise AssertionError("after the epoch the parameters differ from one step per batch, in order")
    if not math.isclose(returned, expected[0], rel_tol=1e-4, abs_tol=1e-6):
        raise AssertionError(f"the parameters are right, but you returned {returned:.6g}, not the mean loss per "
                             "image over the epoch")


def _variant(step_order=("zero_grad", "loss", "backward", "step"), train=True, per_image=True):
    """A training epoch written with one of the usual mistakes (the mistakes below compare with it)."""
    def epoch(model, batches, loss_fn, optimizer):
        if train:
            model.train()
        total, count = 0.0, 0
        for batch in batches:
            loss = None
            for part in step_order:
                if part == "zero_grad":
                    optimizer.zero_grad()
                elif part == "loss":
                    loss = loss_fn(model, batch)
                elif part == "backward":
                    loss.backward()
                else:
                    optimizer.step()
            total += loss.item() * (len(batch) if per_image else 1)
            count += len(batch) if per_image else 1
        return total / count
    return epoch


def _like(variant):
    """``looks_like`` for a :class:`Mistake`: the answer did what ``variant`` does (same parameters and value)."""
    def looks_like(got, expected, seed, observe):
        wrong = observe(variant, seed)
        return (torch.allclose(got[1], wrong[1], rtol=1e-4, atol=1e-6)
                and isinstance(got[0], float) and math.isclose(got[0], wrong[0], rel_tol=1e-4))
    return looks_like


def _training_mistakes(observe):
    def like(variant):
        check = _like(variant)
        return lambda got, expected, seed: check(got, expected, seed, observe)
    return [
        Mistake("the parameters did not change: every batch needs loss.backward() and then optimizer.step(), in "
                "that order (a step before backward() finds the gradients zero_grad() just cleared), and no "
                "torch.no_grad() around them",
                lambda got, expected, seed: torch.allclose(got[1], observe(lambda *args: 0.0, seed)[1])),
        Mistake("the gradients add up from batch to batch: call optimizer.zero_grad() before each backward()",
                like(_variant(step_order=("loss", "backward", "step")))),
        Mistake("the model stays in evaluation mode, so batch norm (and dropout) do not train as they should: call "
                "model.train() first (fit and predict leave a model in evaluation mode)",
                like(_variant(train=False))),
        Mistake("the parameters are right, but you averaged the batches' losses: the last batch is smaller, so "
                "weight each batch's loss by its number of images (loss.item() * len(batch)) and divide by the "
                "number of images", like(_variant(per_image=False))),
    ]


def _training_case(description, seed, optimizer):
    observe = _training_run(optimizer)
    return Case(description, inputs=a_run_seed(seed), observe=observe,
                compare=_trained_like_the_reference, mistakes=_training_mistakes(observe))


train_one_epoch = Exercise(
    "Exercise 3: one epoch of training",
    train_one_epoch_reference,
    cases=[
        _training_case("a tiny model with batch norm, 30 rows in batches of 8, 8, 8 and 6, plain SGD", 20, sgd),
        _training_case("the same with Adam (the optimiser fit uses)", 21, adam),
    ],
    hints=[
        "Four things happen for every batch, in this order: clear the old gradients, compute the loss, compute the "
        "gradients, take a step.",
        "optimizer.zero_grad(); loss = loss_fn(model, batch); loss.backward(); optimizer.step(). Before the loop, "
        "model.train().",
        "Keep a running total of loss.item() * len(batch) and of len(batch); return total / images.",
    ],
    same_as=["aecourse.train.fit", "aecourse.train.evaluate"],
    build=True,
)


# --- Exercise 4: a straight line through code space ---------------------------------------------

def interpolate_reference(model, x_a, x_b, steps):
    """Decode ``steps`` evenly spaced codes from x_a's code to x_b's, both ends included: (steps, C, H, W)."""
    h_a, h_b = model.encode(x_a.unsqueeze(0)), model.encode(x_b.unsqueeze(0))  # (1, d) each
    t = torch.linspace(0, 1, steps, device=h_a.device).unsqueeze(1)              # (steps, 1), beside the codes
    return model.decode((1 - t) * h_a + t * h_b)                                 # (steps, d) -> images


def _model(code_size, seed):
    from ..models import MLPAutoencoder
    from ..runtime import isolated_rng

    with isolated_rng(seed):  # the same random model on every run, and the learner's random stream untouched
        model = MLPAutoencoder((784, 32, code_size)).eval()
    with torch.no_grad():  # weights 3 times as large as at initialisation: a decoder far from linear, so that
        for parameter in model.parameters():  # blending codes and blending reconstructions differ on every check
            parameter.mul_(3)
    return model


def _images(seed):
    g = seeded(seed)
    return torch.rand(1, 28, 28, generator=g), torch.rand(1, 28, 28, generator=g)


def _path_case(description, code_size, steps, seed, same=False):
    def inputs():
        x_a, x_b = _images(seed)
        return _model(code_size, seed), x_a, (x_a if same else x_b), steps
    return Case(description, inputs=inputs, compare=keeps_dtype(finite_and_close(atol=1e-5)), mistakes=PATH_MISTAKES)


def _on_the_models_device(answer):
    x_a, x_b = _images(6)
    on_another_device(answer, (_model(8, seed=6).to("meta"), x_a, x_b, 5),
                      "keep every tensor on the model's device: create new ones beside the codes, e.g. "
                      "torch.linspace(0, 1, steps, device=h_a.device)")


def _weights(steps):
    return torch.linspace(0, 1, steps).reshape(-1, 1, 1, 1)


def _close(got, target):
    return got.shape == target.shape and torch.allclose(got.detach().float(), target.detach().float(), atol=1e-5)


def _instead(got, expected, target):
    """``got`` is ``target``, a wrong path, and not the right one (it may have failed for its dtype alone)."""
    return _close(got, target) and not _close(got, expected)


PATH_MISTAKES = [
    Mistake("you blended the two images' pixels: a code path encodes both images, blends their codes and lets the "
            "decoder draw every step", lambda got, expected, model, x_a, x_b, steps:
            _instead(got, expected, (1 - _weights(steps)) * x_a + _weights(steps) * x_b)),
    Mistake("you blended the two reconstructions: blend the codes instead, so that the decoder draws every step",
            lambda got, expected, model, x_a, x_b, steps: _instead(
                got, expected,
                (1 - _weights(steps)) * model(x_a.unsqueeze(0)) + _weights(steps) * model(x_b.unsqueeze(0)))),
    Mistake("your path runs backwards: the first image is x_a's reconstruction, the last x_b's",
            lambda got, expected, *inputs: _instead(got, expected, expected.flip(0))),
    Mistake("include both ends: the first image is x_a's reconstruction and the last x_b's (torch.linspace(0, 1, "
            "steps) gives the weights)", lambda got, expected, model, x_a, x_b, steps: _instead(
                got, expected, model.decode(torch.lerp(model.encode(x_a.unsqueeze(0)), model.encode(x_b.unsqueeze(0)),
                                             torch.linspace(0, 1, steps + 2)[1:-1].unsqueeze(1))))),
    Mistake("your path is not the correct value: its first image is not x_a's reconstruction (the path starts at "
            "x_a's code, weight 0 on x_b's)",
            lambda got, expected, *inputs: got.shape == expected.shape and not _close(got[:1], expected[:1])),
    Mistake("your path is not the correct value: its last image is not x_b's reconstruction (the path ends at x_b's "
            "code, weight 1 on x_b's: both ends included)",
            lambda got, expected, *inputs: got.shape == expected.shape and not _close(got[-1:], expected[-1:])),
]

interpolate = Exercise(
    "Exercise 4: a straight line through code space",
    interpolate_reference,
    cases=[
        _path_case("a 2-number model, 6 steps between two images", 2, 6, seed=1),
        _path_case("2 steps: just the two reconstructions", 2, 2, seed=2),
        _path_case("a 32-number model, 10 steps", 32, 10, seed=3),
        _path_case("from an image to itself: every step is its reconstruction", 8, 4, seed=4, same=True),
        Case("the model on a GPU: the path stays on the model's device", _on_the_models_device),
    ],
    hints=[
        "Three steps: encode both images, blend their codes, decode the blends. model.encode expects a batch, so "
        "give it x_a.unsqueeze(0), shape (1, 1, 28, 28).",
        "t = torch.linspace(0, 1, steps, device=h_a.device) gives the blending weights with both ends included, "
        "on the codes' device; as a column, t.unsqueeze(1) of shape (steps, 1), it broadcasts against a code of "
        "shape (1, d).",
        "codes = (1 - t) * h_a + t * h_b has shape (steps, d); model.decode(codes) draws them all at once.",
    ],
)


# --- Graded questions ---------------------------------------------------------------------------

q1 = Question(
    "Question 1: Training loss against test loss",
    "b",
    "In the first epoch the loss falls fastest, and the epoch's training loss is the mean over all its batches, "
    "most of them reconstructed by weights that were still far from the ones the epoch ends with; the test loss is "
    "measured once, after the epoch, with those final weights. So at epoch 1 the solid training line of the "
    "per-epoch plot lies well above the dashed test line, and the gap closes as the loss levels off. A network "
    "that memorised its training images would show the opposite, a training loss below the test loss.",
    choices={
        "a": "Below the test loss: the network has already seen the training images, so it reconstructs them "
             "better than test images it has never seen.",
        "b": "Above the test loss: the training loss averages batches taken while the weights were still "
             "improving, and the test loss is measured once, with the weights the epoch ends with.",
        "c": "On the test loss: training and test images are digits of the same kind, so after one epoch the "
             "two losses agree, and a gap between them would mean a bug.",
    },
    why_not={
        "a": "a training loss below the test loss is the mark of memorising, and one pass is far too little for "
             "that: each training image has been seen once, by weights that have changed many times since. What "
             "sets the first epoch's gap is when, and with which weights, each loss is measured",
        "c": "alike images give alike losses only when the losses are measured alike. One is a mean over the "
             "whole epoch while the weights change after every batch, the other a single measurement at its "
             "end; in the first epoch, when the loss falls fastest, that difference is large",
    },
)

q2 = Question(
    "Question 2: Walking through the code plane",
    "c",
    "The decoder is a continuous function of the code (linear layers, ReLU and a sigmoid), so a step of the "
    "slider, a hundredth of its range, changes the picture only a little: strokes bend, fade and grow, and between "
    "two clusters of the scatter plot the decoder draws shapes that mix the two digits. The grid of decoded codes "
    "above spans the same range as the sliders and shows the same thing at a glance: every cell is a digit-like "
    "image, also where no test code falls, which is why a plain autoencoder's decoder gives no warning off the "
    "data.",
    choices={
        "a": "The picture jumps from one clean digit to the next at sharp borders, and between the borders it "
             "does not change, like the regions of a classifier.",
        "b": "The same digit stays on screen and only one property of it changes, such as its slant or its "
             "thickness: each number of the code stands for one such property.",
        "c": "The picture changes gradually, a small move of the slider a small change of the strokes, and on "
             "the way it passes through in-between shapes that no one would write.",
        "d": "Wherever the code leaves the clusters of the scatter plot, the picture dissolves into random noise, "
             "since no training image has a code there.",
    },
    why_not={
        "a": "the decoder is not a classifier and has no borders to jump at: it is a continuous function of the "
             "code, so a slider step changes its output only a little, also on the way from one cluster to the "
             "next",
        "b": "the numbers of a plain autoencoder's code need not stand for anything a human would name (section "
             "1). The scatter plot has digits of different classes along each axis, so moving one number "
             "changes which digit is drawn, not only its style",
        "d": "the decoder draws something for every code, and all it has learnt to draw are digit-like strokes: "
             "codes where no image lies decode to blends of the nearby clusters, not to noise. The grid above "
             "covers the same range as the sliders; look for a noisy cell in it",
    },
)

q3 = Question(
    "Question 3: Which curve is sure to fall",
    "a",
    "PCA's components are nested (one fit, and each size keeps its first d components), and projecting any image "
    "onto a subspace that contains a smaller one leaves it at least as close, so PCA's error falls at every step, "
    "for test images too: the PCA column of the table. An autoencoder with more numbers could do at least as well, "
    "but each size is a run of its own from its own random start, for the same few epochs, and nothing makes "
    "every run reach what its size allows. With one epoch on little data (the `test` profile) the autoencoder's "
    "curve stays flat or even rises, which is why the cell checks its falling mean only outside that profile.",
    choices={
        "a": "PCA's only: its first d + 1 components contain its first d, so one more can only take error away, "
             "from any image; each autoencoder is a training run of its own, which may not reach what its size "
             "allows.",
        "b": "Both: a code with more numbers holds more information about the image, so more numbers always "
             "give a better reconstruction, whatever the method.",
        "c": "The autoencoder's only: it is non-linear and keeps improving, while PCA's extra components fit the "
             "noise of the training images, which can make its test error rise.",
    },
    why_not={
        "b": "more numbers let a network do at least as well (it could ignore the extra ones), but only at its "
             "best. Here each size is trained separately, from its own random start, for a fixed few epochs, "
             "and nothing makes every run reach its best; a guarantee needs a method that finds its best "
             "solution exactly",
        "c": "PCA is fitted once and its components are nested: projecting onto a subspace that contains a "
             "smaller one never leaves a larger error, for a training image or a test image alike, so more "
             "components cannot raise its test error, however the test images differ from the training ones",
    },
)
