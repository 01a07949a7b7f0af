"""The build exercise of notebook 04: a blind-spot (Noise2Self) training step (nb04.blind_spot_step).

Wrong answers, as a hurried or confused learner writes them, each of which must be incorrect (with the phrase its
feedback must contain where the checker names the mistake); the reference, independent correct answers and the
notebook's own worked solution, which must pass for every check seed; and the hidden test of the check cell, which
accepts the correct answers and rejects nothing the visible check accepts.
"""
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse import train
from aecourse.exercises import CORRECT, INCORRECT, nb04
from aecourse.exercises.expect import drawn_with
from aecourse.paths import course_root
from aecourse.runtime import isolated_rng

SEEDS = range(20)  # the reference and the correct answers pass every case for each of these check seeds
WRONG_SEEDS = (0, 1, 2)  # and every wrong answer fails for each of these
NOTEBOOK = "04_denoising_autoencoders.md"
NOISE2SELF = [[0.5, 1.0, 0.5], [1.0, 0.0, 1.0], [0.5, 1.0, 0.5]]


# --- correct answers, written differently from the reference ------------------------------------------------

def multiplied_step(model, optimizer, noisy, mask):
    """The mask as numbers: a blend of the two images, the loss a masked sum over the number hidden."""
    model.train()
    optimizer.zero_grad()
    kernel = torch.tensor(NOISE2SELF).reshape(1, 1, 3, 3) / 6
    hide = mask.float()
    inputs = hide * F.conv2d(noisy, kernel, padding=1) + (1 - hide) * noisy
    loss = ((model(inputs) - noisy) ** 2 * hide).sum() / hide.sum()
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def shifted_step(model, optimizer, noisy, mask):
    """The neighbours' mean from shifted slices of a zero-padded copy, the loss as F.mse_loss of masked images
    rescaled by the fraction hidden."""
    model.train()
    optimizer.zero_grad()
    padded = F.pad(noisy, (1, 1, 1, 1))
    height, width = noisy.shape[-2:]
    total = sum(weight * padded[..., dy:dy + height, dx:dx + width]
                for dy, row in enumerate(NOISE2SELF) for dx, weight in enumerate(row) if weight)
    inputs = noisy.masked_scatter(mask, (total / 6)[mask])
    output = model(inputs)
    loss = F.mse_loss(output * mask, noisy * mask) / mask.float().mean()
    loss.backward()
    optimizer.step()
    return loss.item()


def looped_step(model, optimizer, noisy, mask):
    """Pixel by pixel, reading the neighbours from the noisy image (never from pixels already replaced)."""
    model.train()
    optimizer.zero_grad()
    inputs = noisy.clone()
    height, width = noisy.shape[-2:]
    for n, c, y, x in mask.nonzero().tolist():
        total = 0.0
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    total = total + NOISE2SELF[dy + 1][dx + 1] * noisy[n, c, y + dy, x + dx]
        inputs[n, c, y, x] = total / 6
    loss = F.mse_loss(model(inputs)[mask], noisy[mask])
    loss.backward()
    optimizer.step()
    return loss.item()


CORRECT_ANSWERS = [multiplied_step, shifted_step, looped_step]


# --- wrong answers -----------------------------------------------------------------------------------------------

def interpolated(noisy, kernel=NOISE2SELF, divide=6.0, padding=None):
    weights = torch.tensor(kernel).reshape(1, 1, 3, 3) / divide
    if padding is None:
        return F.conv2d(noisy, weights, padding=1)
    return F.conv2d(F.pad(noisy, (1, 1, 1, 1), mode=padding), weights)


def written(*, train_mode=True, zero_grad=True, order=("backward", "step"), mask_of=lambda mask: mask,
            hide=lambda noisy, mask: torch.where(mask, interpolated(noisy), noisy),
            loss_of=lambda output, noisy, inputs, mask: (output - noisy)[mask].pow(2).mean(),
            returned=lambda loss: loss.item()):
    """A blind-spot step with one thing changed (the defaults give the right step)."""
    def step(model, optimizer, noisy, mask):
        mask = mask_of(mask)
        if train_mode:
            model.train()
        if zero_grad:
            optimizer.zero_grad()
        inputs = hide(noisy, mask)
        loss = loss_of(model(inputs), noisy, inputs, mask)
        for part in order:
            loss.backward() if part == "backward" else optimizer.step()
        return returned(loss)
    return step


def hidden_with(**interpolation):
    return lambda noisy, mask: torch.where(mask, interpolated(noisy, **interpolation), noisy)


def in_place(model, optimizer, noisy, mask):
    """Replaces the hidden pixels in the caller's tensor, keeping a copy of the target first."""
    model.train()
    optimizer.zero_grad()
    target = noisy.clone()
    noisy[mask] = interpolated(noisy)[mask]
    loss = (model(noisy) - target)[mask].pow(2).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


def sequential(model, optimizer, noisy, mask):
    """Pixel by pixel in one copy, so a hidden pixel's replacement reads neighbours already replaced."""
    model.train()
    optimizer.zero_grad()
    inputs = noisy.clone()
    for n, c, y, x in mask.nonzero().tolist():
        inputs[n, c, y, x] = interpolated(inputs[n:n + 1, c:c + 1])[0, 0, y, x]
    loss = (model(inputs) - noisy)[mask].pow(2).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


def own_mask(model, optimizer, noisy, mask):
    """Draws its own mask, one pixel in 16, instead of the one it is given."""
    return written()(model, optimizer, noisy, torch.rand_like(noisy) < 1 / 16)


def after_the_step(model, optimizer, noisy, mask):
    """Returns the loss of the model after its step, not the loss it stepped on."""
    written()(model, optimizer, noisy, mask)
    with torch.no_grad():
        return (model(torch.where(mask, interpolated(noisy), noisy)) - noisy)[mask].pow(2).mean().item()


def with_skimage(model, optimizer, noisy, mask):
    """skimage's J-invariant interpolation (the mean of the 4 nearest neighbours, mirrored at the border)."""
    from skimage.restoration.j_invariant import _interpolate_image
    filled = torch.from_numpy(np.stack([_interpolate_image(image[0].numpy())[None] for image in noisy]))
    return written(hide=lambda noisy, mask: torch.where(mask, filled.to(noisy.dtype), noisy))(
        model, optimizer, noisy, mask)


def with_fit(model, optimizer, noisy, mask):
    """Hands the step to fit (which makes its own optimiser)."""
    def loss(model, batch):
        inputs = torch.where(mask, interpolated(batch), batch)
        return (model(inputs) - batch)[mask].pow(2).mean()
    history = train.fit(model, noisy, loss, epochs=1, batch_size=len(noisy), desc="step", device="cpu")
    return float(history.train[-1])


def no_grad_forward(model, optimizer, noisy, mask):
    model.train()
    optimizer.zero_grad()
    with torch.no_grad():
        output = model(torch.where(mask, interpolated(noisy), noisy))
    loss = (output - noisy)[mask].pow(2).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


UNIFORM = [[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
CROSS = [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
CENTRED = [[0.5, 1.0, 0.5], [1.0, 1.0, 1.0], [0.5, 1.0, 0.5]]

WRONG = [
    ("the loss over every pixel (F.mse_loss(output, noisy))",
     written(loss_of=lambda output, noisy, inputs, mask: F.mse_loss(output, noisy)), "covers every pixel"),
    ("the hidden pixels not replaced: the model sees noisy",
     written(hide=lambda noisy, mask: noisy), "still sees the pixels"),
    ("the hidden pixels set to 0", written(hide=lambda noisy, mask: noisy * ~mask), "set the hidden pixels to 0"),
    ("the kernel's centre 1, divided by 7", written(hide=hidden_with(kernel=CENTRED, divide=7.0)),
     "centre weight is not 0"),
    ("a 3 x 3 box blur (ones / 9)", written(hide=hidden_with(kernel=[[1.0] * 3] * 3, divide=9.0)),
     "centre weight is not 0"),
    ("the kernel not normalised", written(hide=hidden_with(divide=1.0)), "do not add up to 1"),
    ("the kernel divided by 8, the number of neighbours", written(hide=hidden_with(divide=8.0)),
     "do not add up to 1"),
    ("the 8 neighbours weighed alike", written(hide=hidden_with(kernel=UNIFORM, divide=8.0)),
     "differently from the exercise's kernel"),
    ("the 4 nearest neighbours", written(hide=hidden_with(kernel=CROSS, divide=4.0)),
     "differently from the exercise's kernel"),
    ("reflection padding at the border", written(hide=hidden_with(padding="reflect")), "border"),
    ("replicate padding at the border", written(hide=hidden_with(padding="replicate")), "border"),
    ("at the border, divided by the weights inside the image",
     written(hide=lambda noisy, mask: torch.where(mask, interpolated(noisy) / interpolated(torch.ones_like(noisy)),
                                                  noisy)), "border"),
    ("F.mse_loss of the masked images: divided by all the pixels",
     written(loss_of=lambda output, noisy, inputs, mask: F.mse_loss(output * mask, noisy * mask)),
     "number of all the pixels"),
    ("the sum over the hidden pixels", written(loss_of=lambda output, noisy, inputs, mask: (output - noisy)[mask]
                                               .pow(2).sum()), "sum of the squared errors"),
    ("each image's mean over its hidden pixels, then the mean over the images",
     written(loss_of=lambda output, noisy, inputs, mask: (((output - noisy) ** 2 * mask).flatten(1).sum(1)
                                                          / mask.flatten(1).sum(1)).mean()),
     "averaged each image's hidden pixels"),
    ("the mask inverted", written(mask_of=lambda mask: ~mask), "where mask is False"),
    ("the loss at the pixels not hidden",
     written(loss_of=lambda output, noisy, inputs, mask: (output - noisy)[~mask].pow(2).mean()),
     "pixels you did not hide"),
    ("the loss against the interpolated input",
     written(loss_of=lambda output, noisy, inputs, mask: (output - inputs)[mask].pow(2).mean()),
     "interpolated input"),
    ("only the output masked: ((output * mask - noisy) ** 2).sum() / mask.sum()",
     written(loss_of=lambda output, noisy, inputs, mask: ((output * mask - noisy) ** 2).sum() / mask.sum()),
     "the parameters are right"),
    ("no optimizer.zero_grad()", written(zero_grad=False), "zero_grad"),
    ("optimizer.step() before loss.backward()", written(order=("step", "backward")), "did not change"),
    ("no optimizer.step()", written(order=("backward",)), "did not change"),
    ("the model left in evaluation mode", written(train_mode=False), "evaluation mode"),
    ("a tensor returned", written(returned=lambda loss: loss), "Python float"),
    ("a detached 0-d tensor returned", written(returned=lambda loss: loss.detach()), "Python float"),
    ("noisy changed in place", in_place, "in place"),
    ("the replacement reads neighbours already replaced", sequential, None),
    ("a mask drawn inside the step instead of the one given", own_mask, None),
    ("the loss after the step returned", after_the_step, "the parameters are right"),
    ("the model run under torch.no_grad()", no_grad_forward, "your code raised"),
    ("F.conv2d without padding (a smaller image)",
     written(hide=lambda noisy, mask: torch.where(mask, F.conv2d(noisy, torch.tensor(NOISE2SELF).view(1, 1, 3, 3) / 6),
                                                  noisy)), "your code raised"),
    ("skimage's J-invariant interpolation", with_skimage, "skimage.restoration.j_invariant"),
    ("fit", with_fit, "aecourse.train.fit"),
]


@pytest.mark.parametrize("label,answer,phrase", WRONG, ids=[label for label, _, _ in WRONG])
def test_a_wrong_answer_is_incorrect(label, answer, phrase):
    for seed in WRONG_SEEDS:
        result = nb04.blind_spot_step.evaluate(answer, seed=seed)
        assert result.status == INCORRECT, f"{label}: {result}"
        assert phrase is None or phrase in str(result), f"{label}: {result}"


def test_the_table_is_long_enough_and_names_every_mistake_the_checker_knows():
    assert len(WRONG) >= 15
    feedback = " ".join(str(nb04.blind_spot_step.evaluate(answer, seed=0)) for _, answer, _ in WRONG)
    for case in nb04.blind_spot_step.cases:
        for mistake in case.mistakes:
            assert mistake.message in feedback, mistake.message


def test_the_reference_passes_every_case_for_a_few_seeds():
    exercise = nb04.blind_spot_step
    for seed in WRONG_SEEDS:
        with drawn_with(seed):
            for case in exercise.cases:
                case.run(exercise.reference, exercise.reference)  # run directly: evaluate() calls it delegation


@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_the_reference_passes_every_case_for_every_seed():
    exercise = nb04.blind_spot_step
    for seed in SEEDS:
        with drawn_with(seed):
            for case in exercise.cases:
                case.run(exercise.reference, exercise.reference)


@pytest.mark.parametrize("answer", CORRECT_ANSWERS, ids=lambda answer: answer.__name__)
def test_an_independent_correct_answer_is_correct(answer):
    result = nb04.blind_spot_step.evaluate(answer, seed=0)
    assert result.status == CORRECT, str(result)


@pytest.mark.parametrize("answer", CORRECT_ANSWERS, ids=lambda answer: answer.__name__)
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_an_independent_correct_answer_passes_for_every_seed(answer):
    for seed in SEEDS:
        result = nb04.blind_spot_step.evaluate(answer, seed=seed)
        assert result.status == CORRECT, str(result)


def notebook_source():
    return (course_root() / "notebooks" / NOTEBOOK).read_text()


def worked_solution():
    """The notebook's own answer cell, its worked solution between BEGIN and END SOLUTION."""
    match = re.search(r"^(def blind_spot_step\(.*?)^    ### BEGIN SOLUTION\n(.*?)^    ### END SOLUTION",
                      notebook_source(), re.S | re.M)
    namespace = {"torch": torch, "nn": nn, "F": F}
    exec(match[1] + match[2], namespace)
    return namespace["blind_spot_step"]


def test_the_notebooks_worked_solution_is_correct():
    solution = worked_solution()
    for seed in WRONG_SEEDS:
        result = nb04.blind_spot_step.evaluate(solution, seed=seed)
        assert result.status == CORRECT, str(result)


def hidden_test():
    match = re.search(r"^blind_spot_step = exercises\.blind_spot_step\.check\(blind_spot_step\)\n"
                      r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", notebook_source(), re.S | re.M)
    return match[1]


def passes_hidden_test(answer):
    try:
        exec(hidden_test(), {"torch": torch, "nn": nn, "F": F, "isolated_rng": isolated_rng, "exercises": nb04,
                             "blind_spot_step": answer})
    except Exception:  # a failed assert, or the answer's own crash
        return False
    return True


def test_the_hidden_test_accepts_the_correct_answers_and_nothing_the_visible_check_accepts_is_wrong():
    for answer in [worked_solution(), *CORRECT_ANSWERS]:
        assert passes_hidden_test(answer), answer
    failing = [label for label, answer, _ in WRONG if not passes_hidden_test(answer)]
    for label in ("the loss over every pixel (F.mse_loss(output, noisy))", "the hidden pixels not replaced: the model "
                  "sees noisy", "the loss against the interpolated input", "a tensor returned", "no optimizer.step()",
                  "the sum over the hidden pixels", "the kernel not normalised"):
        assert label in failing  # the same contract as the visible check: the step, its loss, a float
