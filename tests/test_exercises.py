"""The exercise mechanism, and every exercise against a correct, a wrong, a crashing and a delegating answer."""
import functools
import importlib
import inspect
import pkgutil
import threading
import time

import numpy as np
import pytest
import torch

import aecourse
from aecourse import losses, metrics
from aecourse.course import anatomy
from aecourse.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Case, Exercise, Fallback, nb01, run_with_time_limit
from aecourse.grading import notebooks_dir


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
    "interpolate": (
        lambda model, a, b, steps: torch.cat([model.decode(torch.lerp(model.encode(a[None]), model.encode(b[None]),
                                                                      float(t))) for t in torch.linspace(0, 1, steps)]),
        [(lambda model, a, b, steps: torch.stack([torch.lerp(a, b, float(t)) for t in torch.linspace(0, 1, steps)]),
          "blended the two images' pixels"),
         (lambda model, a, b, steps: torch.cat([model(x[None]) for x in (a, b) for _ in range(steps // 2)]),
          "not the correct value"),
         (lambda model, a, b, steps: model.decode(model.encode(a[None]).expand(steps, -1)), "not the correct value")],
    ),
}


def reference_passes_its_cases(exercise):
    """Every case holds for the reference itself (run directly: evaluate() would call that delegation)."""
    from aecourse.runtime import isolated_rng

    with isolated_rng(0):
        for case in exercise.cases:
            case.run(exercise.reference, exercise.reference)
    return True


@pytest.mark.parametrize("name", ANSWERS)
def test_reference_and_an_independent_correct_answer_pass(name):
    exercise = getattr(nb01, name)
    assert reference_passes_its_cases(exercise)
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


def loop_reference():
    return None


def test_an_endless_loop_is_stopped_by_the_time_limit():
    def endless(*args):
        while True:
            pass

    exercise = Exercise("loop", loop_reference, [Case("runs", lambda answer: answer())], time_limit=0.5)
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

    exercise = Exercise("stubborn", loop_reference, [Case("runs", lambda answer: answer())], time_limit=0.3)
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
    assert nb01.reconstruction_loss.evaluate(ANSWERS["reconstruction_loss"][0]).status == CORRECT


def test_system_exit_from_an_answer_is_caught():
    def leaves(*args):
        raise SystemExit(1)

    assert nb01.count_parameters.evaluate(leaves).status == INCORRECT


def test_an_assert_inside_the_answer_is_attributed_to_the_learner():
    def asserts(sizes):
        assert len(sizes) > 10, "my own assertion"
        return 0

    assert "your code raised AssertionError: my own assertion" in str(nb01.count_parameters.evaluate(asserts))


def test_hints_are_revealed_one_at_a_time():
    exercise = Exercise("hints", loop_reference, [], hints=["first", "second"])
    assert exercise.hint() == "Hint 1 of 2: first"
    assert exercise.hint() == "Hint 2 of 2: second"
    assert exercise.hint() == "Hint 2 of 2: second"
    assert "No hint" in Exercise("none", loop_reference, []).hint()


def test_the_function_the_learner_writes_is_named_after_the_reference():
    assert Exercise("psnr", metrics.psnr, []).function_name == "psnr"
    assert nb01.count_parameters.function_name == "count_parameters"  # count_parameters_reference



def test_solution_shows_the_reference_source_under_the_learners_name(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("AECOURSE_GRADED", raising=False)
    assert "def count_parameters(layer_sizes)" in nb01.count_parameters.solution()
    monkeypatch.setenv("AECOURSE_GRADED", "1")
    assert "not shown" in nb01.count_parameters.solution()


def test_check_returns_the_answer_or_a_fallback_that_remembers_it(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    exercise = nb01.count_parameters
    good = ANSWERS["count_parameters"][0]
    assert exercise.check(good) is good
    for answer in (not_attempted, crashes):
        fallback = exercise.check(answer)
        assert isinstance(fallback, Fallback) and fallback.answer is answer
        assert fallback([784, 128, 32]) == exercise.reference([784, 128, 32])  # the notebook runs on


def test_rerunning_the_check_cell_checks_the_learners_answer_not_the_reference(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    fallback = nb01.count_parameters.check(crashes)
    again = nb01.count_parameters.check(fallback)  # the check cell ran again without its answer cell
    assert isinstance(again, Fallback) and again.answer is crashes


def test_check_raises_under_the_nbgrader_autograder(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AssertionError, match="not solved yet"):
        nb01.count_parameters.check(not_attempted)
    good = ANSWERS["count_parameters"][0]
    assert nb01.count_parameters.check(good) is good


def test_grading_survives_python_optimisations():
    """The autograder's verdict must not rest on `assert`, which `python -O` removes."""
    import inspect

    from aecourse.exercises import core

    assert "assert " not in inspect.getsource(core.Exercise.check)


# --- notebook 02 ----------------------------------------------------------------------------------

from aecourse.exercises import nb02  # noqa: E402


def eigh_pca_reconstruct(X_train, X_test, k):
    """PCA from the eigenvectors of the covariance matrix: correct, and not the reference's SVD."""
    mean = X_train.double().mean(0)
    centred = X_train.double() - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    top = vectors[:, -k:]
    return ((X_test.double() - mean) @ top @ top.T + mean).float()


def sklearn_pca_reconstruct(X_train, X_test, k):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k).fit(X_train.numpy())
    return torch.from_numpy(pca.inverse_transform(pca.transform(X_test.numpy()))).float()


def uncentred_pca_reconstruct(X_train, X_test, k):
    components = torch.linalg.svd(X_train, full_matrices=False).Vh[:k]
    return X_test @ components.T @ components


def numpy_principal_angles(A, B):
    """Principal angles with NumPy's QR and SVD: correct, and not the reference's code."""
    qa, qb = np.linalg.qr(A.numpy())[0], np.linalg.qr(B.numpy())[0]
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)
    return torch.from_numpy(np.degrees(np.arccos(cosines)))  # ascending, as the singular values descend


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
    "pca_reconstruct": (eigh_pca_reconstruct, [(uncentred_pca_reconstruct, "ignores the mean"),
                                               (sklearn_pca_reconstruct, "written in the notebook")]),
    "bernoulli_nll": (
        lambda t, x: -(x * torch.nn.functional.logsigmoid(t) + (1 - x) * torch.nn.functional.logsigmoid(-t))
        .sum(1).mean(),
        [(naive_bernoulli_nll, "softplus"),
         (lambda t, x: (torch.nn.functional.softplus(t) - x * t).mean(), "averages over the features"),
         (lambda t, x: torch.nn.functional.binary_cross_entropy_with_logits(t, x, reduction="none").sum(1).mean(),
          "written in the notebook")],
    ),
    "principal_angles": (numpy_principal_angles, [(radian_principal_angles, "radians"),
                                                  (scipy_principal_angles, "written in the notebook")]),
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
from aecourse import noise  # noqa: E402

NB04_ANSWERS["psnr"][1].append((lambda x_hat, x: metrics.psnr(x_hat, x), "aecourse.metrics.psnr"))
NB04_ANSWERS["masking"][1].append((lambda x, p: noise.masking(x, p), "aecourse.noise.masking"))


# --- notebook 03 ----------------------------------------------------------------------------------

from aecourse.exercises import nb03  # noqa: E402

NB03_ANSWERS = {
    "conv_parameters": (
        lambda c_in, c_out, k: c_out * (c_in * k ** 2 + 1),
        [(lambda c_in, c_out, k: c_in * c_out * k * k, "weights only"),
         (lambda c_in, c_out, k: sum(p.numel() for p in torch.nn.Conv2d(c_in, c_out, k).parameters()),
          "written in the notebook"),
         (lambda c_in, c_out, k: c_out * k * k + c_out, "not the correct value")],  # forgets the input channels
    ),
    "conv_output_size": (
        lambda n, k, s=1, p=0: int(np.floor((n + 2 * p - k) / s)) + 1,
        [(lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "integer division"),
         (lambda n, k, s=1, p=0: (n + p - k) // s + 1, "not the correct value"),  # padding on one side only
         (lambda n, k, s=1, p=0: torch.nn.Conv2d(1, 1, k, s, p)(torch.zeros(1, 1, n, n)).shape[-1],
          "10 million pixels")],  # measures a test tensor instead of using the formula
    ),
    "transposed_output_size": (
        lambda n, k, s=1, p=0, op=0: n * s - s - 2 * p + k + op,
        [(lambda n, k, s=1, p=0, op=0: n * s, "not the correct value"),
         (lambda n, k, s=1, p=0, op=0: (n - 1) * s - 2 * p + k, "not the correct value")],  # no output_padding
    ),
    "make_decoder": (
        lambda: torch.nn.Sequential(torch.nn.ConvTranspose2d(32, 8, 4, stride=2, padding=1), torch.nn.ReLU(),
                                    torch.nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1), torch.nn.Sigmoid()),
        [(lambda: torch.nn.Sequential(torch.nn.Upsample(scale_factor=4), torch.nn.Conv2d(32, 1, 3, padding=1),
                                      torch.nn.Sigmoid()), "transposed convolutions"),  # not what was asked
         (lambda: torch.nn.Sequential(torch.nn.ConvTranspose2d(32, 1, 4, stride=4)), "Which activation"),
         (lambda: torch.nn.Sequential(torch.nn.ConvTranspose2d(32, 1, 3, stride=2), torch.nn.Sigmoid()),
          "expected shape (5, 1, 28, 28)"),
         (lambda: torch.nn.Sigmoid(), "no trainable parameters")],
    ),
    "receptive_field": (
        lambda layers: 1 + sum((k - 1) * int(np.prod([s for _, s in layers[:i]])) for i, (k, _) in enumerate(layers)),
        [(lambda layers: 1 + sum(k - 1 for k, _ in layers), "as if every layer had stride 1"),
         (lambda layers: 1 + sum((k - 1) * s for k, s in layers), "strides *before* it"),
         (lambda layers: sum(k for k, _ in layers), "not the correct value")],
    ),
}


ANSWERS_BY_MODULE = [(nb02, NB02_ANSWERS), (nb03, NB03_ANSWERS), (nb04, NB04_ANSWERS)]


@pytest.mark.parametrize("module,name", [(m, n) for m, answers in ANSWERS_BY_MODULE for n in answers],
                         ids=lambda value: getattr(value, "__name__", value).split(".")[-1])
def test_correct_wrong_crashing_and_untouched_answers(module, name):
    exercise = getattr(module, name)
    correct, wrongs = dict(ANSWERS_BY_MODULE)[module][name]
    assert reference_passes_its_cases(exercise)
    assert exercise.evaluate(correct).status == CORRECT, str(exercise.evaluate(correct))
    for wrong, phrase in wrongs:
        result = exercise.evaluate(wrong)
        assert result.status == INCORRECT and phrase in str(result), str(result)
    assert "your code raised" in str(exercise.evaluate(crashes))
    assert exercise.evaluate(not_attempted).status == NOT_ATTEMPTED


# --- every exercise of every notebook: an answer that delegates is incorrect --------------------

@functools.lru_cache(maxsize=None)
def package_functions():
    """``{name: [(dotted name, function)]}`` of every function the package's implementation modules define."""
    found = {}
    for info in pkgutil.walk_packages(aecourse.__path__, prefix="aecourse."):
        if info.name.startswith(("aecourse.exercises", "aecourse.course", "aecourse.grading")) \
                or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                found.setdefault(name, []).append((f"{module.__name__}.{name}", value))
    return found


def notebook_exercises():
    """``[(notebook, exercise object)]`` for every exercise of every notebook in notebooks/."""
    found = []
    for path in sorted(notebooks_dir().glob("*.ipynb")):
        notebook = anatomy.read(path)
        module = importlib.import_module("aecourse.exercises." + anatomy.exercise_module(notebook))
        found += [(path.stem, getattr(module, e.exercise)) for e in anatomy.exercises(notebook)]
    return found


@pytest.mark.parametrize("notebook,exercise", notebook_exercises(),
                         ids=lambda value: value if isinstance(value, str) else value.function_name)
def test_an_idea_the_package_implements_is_checked_against_that_implementation(notebook, exercise):
    """One definition per idea: where the package has the function an exercise asks for, it is the reference."""
    same_named = [function for _, function in package_functions().get(exercise.function_name, [])]
    assert all(function is exercise.reference for function in same_named), same_named


def delegating_answers(exercise):
    """Answers that hand the work to the reference or to a package function of the same name."""
    answers = [("the reference", lambda *args, **kwargs: exercise.reference(*args, **kwargs)),
               ("the reference itself", exercise.reference)]
    for dotted, function in package_functions().get(exercise.function_name, []):
        answers.append((dotted, lambda *args, _f=function, **kwargs: _f(*args, **kwargs)))
    return answers


@pytest.mark.parametrize("notebook,exercise", notebook_exercises(),
                         ids=lambda value: value if isinstance(value, str) else value.function_name)
def test_an_answer_that_delegates_to_the_package_is_incorrect(notebook, exercise, monkeypatch):
    for label, answer in delegating_answers(exercise):
        result = exercise.evaluate(answer)
        assert result.status == INCORRECT, f"{label}: {result}"
        assert result.failed[0][0] == "written in the notebook" and "write the computation yourself" in str(result)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # and the autograder gives it no points
    with pytest.raises(AssertionError, match="written in the notebook"):
        exercise.check(delegating_answers(exercise)[0][1])


def test_delegation_is_caught_whatever_name_the_function_goes_by():
    from aecourse.exercises import nb04
    from aecourse.metrics import psnr as renamed

    def psnr(x_hat, x):
        helper = renamed
        return helper(x_hat, x)

    assert "aecourse.metrics.psnr" in str(nb04.psnr.evaluate(psnr))


def test_every_exercise_of_every_notebook_has_a_complete_vocabulary():
    for notebook, exercise in notebook_exercises():
        assert exercise.cases and exercise.hints, f"{notebook}: {exercise.title}"
        assert exercise.evaluate(exercise.reference).failed[0][0] == "written in the notebook"


# --- notebook 05 ----------------------------------------------------------------------------------

from aecourse.exercises import nb05  # noqa: E402


def loop_top_k(codes, k):
    """Correct, and written differently from the reference: a mask from a sort."""
    order = codes.argsort(dim=1, descending=True, stable=True)
    mask = torch.zeros_like(codes, dtype=torch.bool).scatter(1, order[:, :k], True)
    return torch.where(mask, codes, torch.zeros_like(codes))


NB05_ANSWERS = {
    "kl_sparsity": (
        lambda codes, rho: (torch.xlogy(torch.tensor(rho), rho / codes.mean(0))
                            + torch.xlogy(torch.tensor(1 - rho), (1 - rho) / (1 - codes.mean(0)))).sum(),
        [(lambda codes, rho: (rho * torch.log(rho / codes.mean(0))).sum(), "also has the term"),
         (lambda codes, rho: torch.distributions.kl_divergence(
             torch.distributions.Bernoulli(probs=torch.full_like(codes.mean(0), rho)),
             torch.distributions.Bernoulli(probs=codes.mean(0))).sum(), "written in the notebook"),
         (lambda codes, rho: (codes.mean(0) * torch.log(codes.mean(0) / rho) + (1 - codes.mean(0))
                              * torch.log((1 - codes.mean(0)) / (1 - rho))).sum(), "other way round"),
         (lambda codes, rho: (rho * torch.log(rho / codes) + (1 - rho) * torch.log((1 - rho) / (1 - codes)))
          .sum(1).mean(), "each image's activations"),
         (lambda codes, rho: losses.kl_sparsity(codes, rho) / codes.shape[1], "averaged over the units")],
    ),
    "top_k": (
        loop_top_k,
        [(lambda codes, k: codes.topk(k, dim=1).values, "keeps the code's shape"),
         (lambda codes, k: torch.where(codes.abs() >= codes.abs().topk(k, 1).values[:, -1:], codes,
                                       torch.zeros_like(codes)), "absolute size"),
         (lambda codes, k: torch.where(codes >= codes.topk(k, 1).values[:, -1:], codes, torch.zeros_like(codes)),
          "exactly k")],  # ties keep more than k
    ),
    "dead_fraction": (
        lambda codes: float((codes.clamp(min=0).sum(0) == 0).sum()) / codes.shape[1],
        [(lambda codes: (codes <= 0).float().mean().item(), "image by image"),
         (lambda codes: (codes > 0).any(0).float().mean().item(), "fraction of live units")],
    ),
}
ANSWERS_BY_MODULE.append((nb05, NB05_ANSWERS))


@pytest.mark.parametrize("name", NB05_ANSWERS)
def test_notebook_05_exercises(name):
    test_correct_wrong_crashing_and_untouched_answers(nb05, name)
