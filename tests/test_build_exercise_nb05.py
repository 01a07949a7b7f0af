"""The build exercise of notebook 05: the auxiliary top-k loss for dead latents, AuxK (issue 25, item 3).

Wrong answers a hurried or confused learner writes, each with a phrase its feedback must contain; the reference
(run directly through the cases) and independent correct answers pass under 20 check seeds; the notebook's own
worked solution passes; the hidden tests accept what the visible check accepts.
"""
import re
import time

import pytest
import torch
import torch.nn.functional as F

from aecourse import sparsity
from aecourse.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, nb05
from aecourse.exercises.expect import drawn_with
from aecourse.runtime import isolated_rng
from aecourse.workspace import course_root

EXERCISE = nb05.aux_k_loss
NOTEBOOK = course_root() / "notebooks" / "05_sparse_autoencoders.md"


# --- correct answers, written differently from the reference ------------------------------------------------

def aux_by_columns(pre_activations, dead, residual, decoder, k_aux):
    """Correct: the dead latents' columns first, then each row's top k among them, decoded by a weighted sum."""
    columns = dead.nonzero().squeeze(1)                              # indices of the dead latents
    if len(columns) == 0:
        return torch.zeros((), dtype=pre_activations.dtype, device=pre_activations.device)
    values, position = pre_activations[:, columns].topk(min(k_aux, len(columns)), dim=1)
    directions = decoder.weight.T[columns][position]                  # (B, k, d)
    estimate = (values.clamp(min=0).unsqueeze(2) * directions).sum(1)
    return ((residual.detach() - estimate) ** 2).sum() / len(residual)


def aux_by_mask(pre_activations, dead, residual, decoder, k_aux):
    """Correct: a boolean mask of the chosen latents, from a stable sort of the dead pre-activations."""
    n_dead = int(dead.sum())
    if n_dead == 0:
        return pre_activations.sum() * 0
    lowest = torch.finfo(pre_activations.dtype).min
    order = torch.where(dead, pre_activations, lowest).argsort(dim=1, descending=True, stable=True)
    chosen = torch.zeros_like(dead.expand_as(pre_activations)).scatter(1, order[:, :min(k_aux, n_dead)], True)
    z = torch.where(chosen, F.relu(pre_activations), 0.0)
    e = residual.detach()
    return F.mse_loss(F.linear(z, decoder.weight), e, reduction="sum") / e.shape[0]


# --- wrong answers -----------------------------------------------------------------------------------------

def aux(select="dead", relu=True, bias=False, target="residual", reduce="sum", detach=True, zero_when_none=True):
    """The auxiliary loss written out, with the parts a hurried learner gets wrong as arguments."""
    def answer(pre_activations, dead, residual, decoder, k_aux):
        k = min(k_aux, int(dead.sum()))
        if k == 0 and zero_when_none:
            return pre_activations.new_zeros(())
        if select == "all":
            values, index = pre_activations.topk(k_aux, dim=1)
        else:
            values, index = pre_activations.masked_fill(~dead, float("-inf")).topk(k, dim=1)
        z = torch.zeros_like(pre_activations).scatter(1, index, values.relu() if relu else values)
        e_hat = decoder(z) if bias else z @ decoder.weight.T
        e = residual.detach() if detach else residual
        error = {"residual": e - e_hat, "none": e_hat}[target]
        if reduce == "mean":
            return error.pow(2).mean()
        if reduce == "rows":
            return error.pow(2).sum(1)
        return error.pow(2).sum(1).sum() if reduce == "batch sum" else error.pow(2).sum(1).mean()
    return answer


def every_dead_latent(pre_activations, dead, residual, decoder, k_aux):
    """Every dead latent after a ReLU: k_aux ignored."""
    z = pre_activations.relu() * dead
    return (residual.detach() - z @ decoder.weight.T).pow(2).sum(1).mean()


def threshold_at_the_kth(pre_activations, dead, residual, decoder, k_aux):
    """Keeps every dead latent at least as large as the k-th: ties keep more than k_aux."""
    if not dead.any():
        return pre_activations.new_zeros(())
    hidden = pre_activations.masked_fill(~dead, float("-inf"))
    kth = hidden.topk(min(k_aux, int(dead.sum())), dim=1).values[:, -1:]
    z = torch.where(hidden >= kth, pre_activations.relu(), torch.zeros_like(pre_activations))
    return (residual.detach() - z @ decoder.weight.T).pow(2).sum(1).mean()


def crashes_with_few_dead(pre_activations, dead, residual, decoder, k_aux):
    """k_aux dead latents assumed: topk asks for more values than there are dead latents."""
    values, position = pre_activations[:, dead].topk(k_aux, dim=1)
    directions = decoder.weight[:, dead].T[position]
    return (residual.detach() - (values.relu().unsqueeze(2) * directions).sum(1)).pow(2).sum(1).mean()


def zero_of_its_own(pre_activations, dead, residual, decoder, k_aux):
    """Right, except a float32 zero of its own when no latent is dead."""
    if not dead.any():
        return torch.tensor(0.0)
    return aux()(pre_activations, dead, residual, decoder, k_aux)


def python_float(pre_activations, dead, residual, decoder, k_aux):
    return aux()(pre_activations, dead, residual, decoder, k_aux).item()


def changes_the_residual(pre_activations, dead, residual, decoder, k_aux):
    """Right value, but the residual is overwritten in place."""
    if not dead.any():
        return pre_activations.new_zeros(())
    values, index = pre_activations.masked_fill(~dead, float("-inf")).topk(min(k_aux, int(dead.sum())), dim=1)
    z = torch.zeros_like(pre_activations).scatter(1, index, values.relu())
    with torch.no_grad():
        residual -= z @ decoder.weight.T
    return residual.pow(2).sum(1).mean() + 0 * (z @ decoder.weight.T).sum()


def with_the_package_top_k(pre_activations, dead, residual, decoder, k_aux):
    """Delegates the choice to aecourse.sparsity.top_k."""
    k = min(k_aux, int(dead.sum()))
    if k == 0:
        return pre_activations.new_zeros(())
    z = sparsity.top_k(pre_activations.masked_fill(~dead, float("-inf")), k).relu()
    return (residual.detach() - z @ decoder.weight.T).pow(2).sum(1).mean()


WRONG = [
    ("top-k over all the latents", aux(select="all"), "among all the latents"),
    ("every dead latent, k_aux ignored", every_dead_latent, "every dead latent"),
    ("the ReLU forgotten", aux(relu=False), "ReLU is missing"),
    ("decoded with the bias, decoder(z)", aux(bias=True), "decoder's bias"),
    ("the size of e_hat alone: the target forgotten", aux(target="none"), "reconstruct the residual"),
    ("mean over the dimensions", aux(reduce="mean"), "mean over the d dimensions"),
    ("summed over the batch", aux(reduce="batch sum"), "batch-size times"),
    ("one loss per row", aux(reduce="rows"), "0-d"),
    ("the residual not detached: gradient reaches the live latents", aux(detach=False), "through the residual"),
    ("a threshold at the k-th value: ties keep more", threshold_at_the_kth, "exactly k_aux"),
    ("no special case when none is dead: ||e||^2", aux(zero_when_none=False), "return 0"),
    ("a float32 zero of its own when none is dead", zero_of_its_own, "float64"),
    ("topk of k_aux among fewer dead latents", crashes_with_few_dead, "your code raised"),
    ("a Python float", python_float, "expected a torch.Tensor"),
    ("the residual changed in place", changes_the_residual, "in place"),
    ("aecourse.sparsity.top_k", with_the_package_top_k, "aecourse.sparsity.top_k"),
]
CORRECT_ANSWERS = [aux_by_columns, aux_by_mask]


def failures(answer, seed):
    failed = []
    with drawn_with(seed):
        for case in EXERCISE.cases:
            try:
                case.run(answer, EXERCISE.reference)
            except Exception as error:  # an AssertionError of the check, or the answer's own crash
                failed.append(f"{case.description}: {error}")
    return failed


# --- the tests ----------------------------------------------------------------------------------------------

def test_the_table_has_the_named_mistakes_and_enough_rows():
    assert len(WRONG) >= 6 and EXERCISE.title.startswith("Exercise 4:")


@pytest.mark.parametrize("label,answer,phrase", WRONG, ids=[row[0] for row in WRONG])
def test_a_wrong_answer_is_incorrect_and_the_feedback_says_why(label, answer, phrase):
    result = EXERCISE.evaluate(answer, seed=12345)
    assert result.status == INCORRECT, f"{label}: {result}"
    feedback = " ".join(why for _, why in result.failed)
    assert phrase in feedback, f"{label}:\n{result}"
    for seed in range(20):  # whatever the check seed
        assert EXERCISE.evaluate(answer, seed=seed).status == INCORRECT, (label, seed)


@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_the_reference_passes_its_cases_under_20_seeds():
    for seed in range(20):
        assert not failures(EXERCISE.reference, seed), (seed, failures(EXERCISE.reference, seed))
    with isolated_rng(0):  # and outside a check
        for case in EXERCISE.cases:
            case.run(EXERCISE.reference, EXERCISE.reference)


@pytest.mark.parametrize("answer", CORRECT_ANSWERS, ids=lambda f: f.__name__)
@pytest.mark.slow  # a sweep of many check seeds: make test runs it, make quick does not
def test_independent_correct_answers_are_correct_under_20_seeds(answer):
    for seed in range(20):
        result = EXERCISE.evaluate(answer, seed=seed)
        assert result.status == CORRECT, (seed, str(result))


def notebook_cell(pattern):
    return re.search(pattern, NOTEBOOK.read_text(), re.S | re.M)


def test_the_notebooks_worked_solution_is_correct():
    cell = notebook_cell(r"```\{code-cell\} ipython3\n---\n(?:(?!```).)*?grade_id: ex4-aux-k-loss-answer.*?"
                         r"---\n(.*?)```")
    source = cell[1]
    assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source
    namespace = {"torch": torch, "nn": torch.nn, "F": F}
    exec(source, namespace)
    for seed in range(20):
        result = EXERCISE.evaluate(namespace["aux_k_loss"], seed=seed)
        assert result.status == CORRECT, str(result)
    emptied = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()", source, flags=re.S)
    exec(emptied, namespace)  # the learner's version of the cell
    assert EXERCISE.evaluate(namespace["aux_k_loss"]).status == NOT_ATTEMPTED


def hidden_test():
    match = notebook_cell(r"^aux_k_loss = exercises\.aux_k_loss\.check\(aux_k_loss\)\n### BEGIN HIDDEN TESTS\n(.*?)"
                          r"### END HIDDEN TESTS")
    return match[1]


def passes_hidden_test(answer):
    try:
        exec(hidden_test(), {"torch": torch, "nn": torch.nn, "isolated_rng": isolated_rng, "aux_k_loss": answer})
    except Exception:  # a failed assert, or the answer's own crash
        return False
    return True


def test_the_hidden_test_accepts_what_the_check_accepts_and_draws_nothing_from_the_notebooks_stream():
    state = torch.get_rng_state()
    assert all(passes_hidden_test(answer) for answer in [EXERCISE.reference, *CORRECT_ANSWERS])
    assert torch.equal(state, torch.get_rng_state())
    for label, answer, _ in WRONG:  # what fails the hidden test, the visible check rejects (the converse is not asked)
        if not passes_hidden_test(answer):
            assert EXERCISE.evaluate(answer).status == INCORRECT, label


def test_a_table_of_the_values_one_check_saw_fails_the_next():
    seen = {}

    def key(args):
        return tuple(a.detach().numpy().tobytes() if isinstance(a, torch.Tensor) else
                     a.weight.detach().numpy().tobytes() if isinstance(a, torch.nn.Module) else a for a in args)

    def recording(*args):
        out = aux_by_columns(*args)
        seen.setdefault(key(args), out.detach().clone())
        return out

    def lookup(*args):
        out = seen.get(key(args))
        return out.clone() if out is not None else torch.zeros((), dtype=args[0].dtype)

    assert EXERCISE.evaluate(recording, seed=1).status == CORRECT and seen
    assert EXERCISE.evaluate(lookup, seed=2).status == INCORRECT


def test_one_check_is_fast_and_leaves_the_random_stream_alone():
    state = torch.get_rng_state()
    start = time.perf_counter()
    result = EXERCISE.evaluate(aux_by_columns)
    assert result.status == CORRECT and time.perf_counter() - start < 2.0
    assert torch.equal(state, torch.get_rng_state())
