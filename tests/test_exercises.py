"""The exercise mechanism, and every exercise against a correct, a wrong and a crashing answer."""
import threading
import time

import numpy as np
import pytest
import torch

from aecourse.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Case, Exercise, nb01, run_with_time_limit


def not_attempted(*args):
    # YOUR CODE HERE  (what nbgrader leaves in a released notebook)
    raise NotImplementedError()


def crashes(*args):
    return args[0].no_such_method()


# exercise -> (a correct answer, wrong answers with a phrase their feedback must contain)
ANSWERS = {
    "count_parameters": (
        lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:])),
        [(lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])), "counts the weights only"),
         (lambda sizes: 222_384, "not the correct value")],  # hard-coded from the notebook
    ),
    "reconstruction_loss": (
        lambda x_hat, x: ((x_hat - x) ** 2).sum(dim=tuple(range(1, x.ndim))).mean(),
        [(lambda x_hat, x: ((x_hat - x) ** 2).sum(), "batch-size times too large"),
         (torch.nn.functional.mse_loss, "mean over pixels"),
         (lambda x_hat, x: (x_hat - x).abs().flatten(1).sum(1).mean(), "not the correct value"),
         (lambda x_hat, x: (x_hat - x).pow(2).flatten(1).sum(1), "a single number"),
         (lambda x_hat, x: float((x_hat - x).pow(2).flatten(1).sum(1).mean()), "loss.backward()")],
    ),
    "compression_ratio": (
        lambda shape, code, pixel_bits=8, code_bits=32: torch.tensor(shape).prod().item() * pixel_bits / (code * code_bits),
        [(lambda shape, code, pixel_bits=8, code_bits=32: 784 / code, "ratio of counts"),
         (lambda shape, code, pixel_bits=8, code_bits=32: 6.125, "not the correct value")],
    ),
}


@pytest.mark.parametrize("name", ANSWERS)
def test_reference_and_an_independent_correct_answer_pass(name):
    exercise = getattr(nb01, name)
    assert exercise.evaluate(exercise.reference).status == CORRECT
    result = exercise.evaluate(ANSWERS[name][0])
    assert result.status == CORRECT, str(result)
    assert len(result.passed) == len(exercise.cases) and not result.failed


@pytest.mark.parametrize("name,wrong,phrase", [(n, w, p) for n, (_, wrongs) in ANSWERS.items() for w, p in wrongs])
def test_wrong_answers_fail_with_a_useful_message(name, wrong, phrase):
    result = getattr(nb01, name).evaluate(wrong)
    assert result.status == INCORRECT
    assert phrase in str(result), str(result)


@pytest.mark.parametrize("name", ANSWERS)
def test_crashing_answer_is_reported_not_raised(name):
    result = getattr(nb01, name).evaluate(crashes)
    assert result.status == INCORRECT
    assert "your code raised AttributeError" in str(result)


@pytest.mark.parametrize("name", ANSWERS)
def test_untouched_starter_code_is_not_attempted(name):
    assert getattr(nb01, name).evaluate(not_attempted).status == NOT_ATTEMPTED
    assert getattr(nb01, name).evaluate(None).status == NOT_ATTEMPTED


def test_an_endless_loop_is_stopped_by_the_time_limit():
    def endless(*args):
        while True:
            pass

    exercise = Exercise("loop", lambda: None, [Case("runs", lambda answer: answer())], time_limit=0.5)
    start = time.perf_counter()
    result = exercise.evaluate(endless)
    assert time.perf_counter() - start < 3
    assert result.status == INCORRECT and "did not finish within 0.5 s" in str(result)


def test_time_limit_cannot_be_swallowed_by_except_exception():
    def stubborn(*args):
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass

    exercise = Exercise("stubborn", lambda: None, [Case("runs", lambda answer: answer())], time_limit=0.3)
    assert "did not finish" in str(exercise.evaluate(stubborn))


def test_time_limit_outside_the_main_thread():
    box = {}

    def worker():
        try:
            run_with_time_limit(lambda: time.sleep(5), 0.2)
        except BaseException as error:
            box["error"] = type(error).__name__

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(3)
    assert box.get("error") == "TimeLimitExceeded"
    assert run_with_time_limit(lambda: 42, 1) == 42


def test_nan_and_wrong_dtype_are_explained():
    def nan_loss(x_hat, x):
        return (x_hat - x).pow(2).flatten(1).sum(1).mean() * float("nan")

    assert "NaN" in str(nb01.reconstruction_loss.evaluate(nan_loss))
    integer_loss = lambda x_hat, x: (x_hat - x).pow(2).flatten(1).sum(1).mean().long()  # noqa: E731
    assert "floating-point" in str(nb01.reconstruction_loss.evaluate(integer_loss))


def test_an_answer_that_changes_its_input_fails_and_cannot_corrupt_the_check():
    def in_place(x_hat, x):
        x_hat.sub_(x)
        return x_hat.pow(2).flatten(1).sum(1).mean()

    result = nb01.reconstruction_loss.evaluate(in_place)
    assert result.status == INCORRECT and "in place" in str(result)
    assert nb01.reconstruction_loss.evaluate(nb01.reconstruction_loss_reference).status == CORRECT


def test_system_exit_from_an_answer_is_caught():
    def leaves(*args):
        raise SystemExit(1)

    assert nb01.compression_ratio.evaluate(leaves).status == INCORRECT


def test_an_assert_inside_the_answer_is_attributed_to_the_learner():
    def asserts(sizes):
        assert len(sizes) > 10, "my own assertion"
        return 0

    assert "your code raised AssertionError: my own assertion" in str(nb01.count_parameters.evaluate(asserts))


def test_hints_are_revealed_one_at_a_time():
    exercise = Exercise("hints", lambda: None, [], hints=["first", "second"])
    assert exercise.hint() == "Hint 1 of 2: first"
    assert exercise.hint() == "Hint 2 of 2: second"
    assert exercise.hint() == "Hint 2 of 2: second"
    assert "No hint" in Exercise("none", lambda: None, []).hint()


def test_solution_shows_the_reference_source():
    assert "def count_parameters_reference" in nb01.count_parameters.solution()


def test_check_returns_the_answer_or_falls_back_to_the_reference(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    good = ANSWERS["compression_ratio"][0]
    assert nb01.compression_ratio.check(good) is good
    assert nb01.compression_ratio.check(not_attempted) is nb01.compression_ratio.reference
    assert nb01.compression_ratio.check(crashes) is nb01.compression_ratio.reference


def test_check_raises_under_the_nbgrader_autograder(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AssertionError, match="not solved yet"):
        nb01.compression_ratio.check(not_attempted)
    assert nb01.compression_ratio.check(nb01.compression_ratio.reference) is nb01.compression_ratio.reference


# --- notebook 02 ----------------------------------------------------------------------------------

from aecourse.exercises import nb02  # noqa: E402


def sklearn_pca_reconstruct(X_train, X_test, k):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k).fit(X_train.numpy())
    return torch.from_numpy(pca.inverse_transform(pca.transform(X_test.numpy()))).float()


def uncentred_pca_reconstruct(X_train, X_test, k):
    components = torch.linalg.svd(X_train, full_matrices=False).Vh[:k]
    return X_test @ components.T @ components


def scipy_principal_angles(A, B):
    from scipy.linalg import subspace_angles

    return torch.from_numpy(np.sort(np.degrees(subspace_angles(A.numpy(), B.numpy()))))


def radian_principal_angles(A, B):
    cosines = torch.linalg.svdvals(torch.linalg.qr(A).Q.T @ torch.linalg.qr(B).Q)
    return torch.arccos(cosines.clamp(-1, 1))


def naive_bernoulli_nll(logits, x):
    p = torch.sigmoid(logits)
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum(1).mean()


NB02_ANSWERS = {
    "pca_reconstruct": (sklearn_pca_reconstruct, [(uncentred_pca_reconstruct, "ignores the mean")]),
    "bernoulli_nll": (
        lambda t, x: torch.nn.functional.binary_cross_entropy_with_logits(t, x, reduction="none").sum(1).mean(),
        [(naive_bernoulli_nll, "softplus"),
         (torch.nn.functional.binary_cross_entropy_with_logits, "averages over the features")],
    ),
    "principal_angles": (scipy_principal_angles, [(radian_principal_angles, "radians")]),
}


# --- notebook 04 ----------------------------------------------------------------------------------

from aecourse.exercises import nb04  # noqa: E402


def bernoulli_salt_and_pepper(x, p):
    hit = torch.bernoulli(torch.full_like(x, p)).bool()
    return torch.where(hit, torch.bernoulli(torch.full_like(x, 0.5)), x)


NB04_ANSWERS = {
    "salt_and_pepper": (
        bernoulli_salt_and_pepper,
        [(lambda x, p: torch.where(torch.rand_like(x) < p, torch.ones_like(x), x), "about half"),
         (lambda x, p: torch.where(torch.rand_like(x) < p / 2, (torch.rand_like(x) < 0.5).float(), x),
          "changed")],
    ),
    "masking": (
        lambda x, p: torch.where(torch.rand_like(x) < p, torch.zeros_like(x), x),
        [(lambda x, p: torch.nn.functional.dropout(x, p), "like nn.Dropout"),
         (lambda x, p: x * (torch.rand_like(x) < p), "zeroed")],
    ),
    "psnr": (
        lambda x_hat, x: -10 * torch.log10((x_hat - x).pow(2).mean(dim=tuple(range(1, x.ndim)))),
        [(lambda x_hat, x: 10 * torch.log10(1 / (x_hat - x).pow(2).mean()), "one PSNR for the whole batch"),
         (lambda x_hat, x: 10 * torch.log10((x_hat - x).pow(2).flatten(1).mean(1)), "wrong sign")],
    ),
}


# --- notebook 03 ----------------------------------------------------------------------------------

from aecourse.exercises import nb03  # noqa: E402

NB03_ANSWERS = {
    "conv_parameters": (
        lambda c_in, c_out, k: torch.nn.Conv2d(c_in, c_out, k).weight.numel() + c_out,
        [(lambda c_in, c_out, k: c_in * c_out * k * k, "weights only"),
         (lambda c_in, c_out, k: c_out * k * k + c_out, "not the correct value")],  # forgets the input channels
    ),
    "conv_output_size": (
        lambda n, k, s=1, p=0: int(np.floor((n + 2 * p - k) / s)) + 1,
        [(lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "integer division"),
         (lambda n, k, s=1, p=0: (n + p - k) // s + 1, "not the correct value")],  # padding on one side only
    ),
    "transposed_output_size": (
        lambda n, k, s=1, p=0, op=0: n * s - s - 2 * p + k + op,
        [(lambda n, k, s=1, p=0, op=0: n * s, "not the correct value"),
         (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k, "not the correct value")],  # no output_padding
    ),
    "make_decoder": (
        lambda: torch.nn.Sequential(torch.nn.Upsample(scale_factor=4), torch.nn.Conv2d(32, 1, 3, padding=1),
                                    torch.nn.Sigmoid()),
        [(lambda: torch.nn.Sequential(torch.nn.ConvTranspose2d(32, 1, 4, stride=4)), "Which activation"),
         (lambda: torch.nn.Sequential(torch.nn.ConvTranspose2d(32, 1, 3, stride=2), torch.nn.Sigmoid()),
          "expected shape (5, 1, 28, 28)"),
         (lambda: torch.nn.Sigmoid(), "no trainable parameters")],
    ),
}


ANSWERS_BY_MODULE = [(nb02, NB02_ANSWERS), (nb03, NB03_ANSWERS), (nb04, NB04_ANSWERS)]


@pytest.mark.parametrize("module,name", [(m, n) for m, answers in ANSWERS_BY_MODULE for n in answers],
                         ids=lambda value: getattr(value, "__name__", value).split(".")[-1])
def test_correct_wrong_crashing_and_untouched_answers(module, name):
    exercise = getattr(module, name)
    correct, wrongs = dict(ANSWERS_BY_MODULE)[module][name]
    assert exercise.evaluate(exercise.reference).status == CORRECT
    assert exercise.evaluate(correct).status == CORRECT, str(exercise.evaluate(correct))
    for wrong, phrase in wrongs:
        result = exercise.evaluate(wrong)
        assert result.status == INCORRECT and phrase in str(result), str(result)
    assert "your code raised" in str(exercise.evaluate(crashes))
    assert exercise.evaluate(not_attempted).status == NOT_ATTEMPTED
