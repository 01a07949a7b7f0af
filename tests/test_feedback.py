"""The check widget: "Check again" checks the learner's latest answer, never the reference."""
import IPython
import pytest

from aecourse.exercises import Fallback, nb01
from aecourse.exercises.feedback import CheckFeedback

EXERCISE = nb01.count_parameters


def right(layer_sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def wrong(layer_sizes):
    return sum(n_in * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


@pytest.fixture
def notebook(monkeypatch):
    """A stand-in for the notebook's variables, as IPython would give them to the widget."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("AECOURSE_GRADED", raising=False)
    namespace = {}
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Shell", (), {"user_ns": namespace})())
    return namespace


def run_check_cell(namespace, answer):
    """What `count_parameters = exercises.count_parameters.check(count_parameters)` does, with its widget."""
    answer.__name__ = "count_parameters"
    result = EXERCISE.evaluate(answer)
    namespace["count_parameters"] = EXERCISE.use(answer, result)
    return CheckFeedback(EXERCISE, answer, result)


def test_check_again_after_a_failure_checks_the_learners_answer_not_the_reference(notebook):
    feedback = run_check_cell(notebook, wrong)
    assert "incorrect" in feedback.status.value and isinstance(notebook["count_parameters"], Fallback)
    feedback.check_button.click()  # the learner has not changed anything: still wrong, never "correct"
    assert ": incorrect" in feedback.status.value and "Checked your last answer again" in feedback.status.value
    assert isinstance(notebook["count_parameters"], Fallback)


def test_check_again_checks_the_answer_cell_as_last_run(notebook):
    feedback = run_check_cell(notebook, wrong)
    notebook["count_parameters"] = right  # the learner fixed the answer cell and ran it
    feedback.check_button.click()
    assert ": correct" in feedback.status.value and "uses your implementation" in feedback.status.value
    assert notebook["count_parameters"] is right  # the rest of the notebook uses it, as the message says
    notebook["count_parameters"] = wrong  # and broke it again
    feedback.check_button.click()
    assert ": incorrect" in feedback.status.value and isinstance(notebook["count_parameters"], Fallback)


def test_hints_and_the_text_form(notebook):
    feedback = run_check_cell(notebook, wrong)
    feedback.hint_button.click()
    feedback.hint_button.click()
    assert "Hint 1 of 3" in feedback.hints.value and "Hint 2 of 3" in feedback.hints.value
    bundle = feedback._repr_mimebundle_()
    assert "incorrect" in bundle["text/plain"] and "application/vnd.jupyter.widget-view+json" in bundle


def test_the_solution_is_offered_after_a_failed_attempt_in_self_study_only(notebook, monkeypatch):
    feedback = run_check_cell(notebook, wrong)
    assert feedback.solution_button.layout.display != "none"
    feedback.solution_button.click()
    assert "def count_parameters(" in feedback.solution.value
    assert run_check_cell(notebook, right).solution_button.layout.display == "none"  # nothing to show after success
    monkeypatch.setenv("AECOURSE_GRADED", "1")
    graded = run_check_cell(notebook, wrong)
    assert graded.solution_button.layout.display == "none"
    graded._show_solution()
    assert "def count_parameters" not in graded.solution.value


def test_setup_graded_hides_solutions(notebook):
    import aecourse
    from aecourse.exercises import solutions_shown

    aecourse.setup(seed=0, graded=True)
    try:
        assert not solutions_shown()
    finally:
        aecourse.setup(seed=0)
    assert solutions_shown()


def test_untouched_starter_code_says_not_solved_yet(notebook):
    def count_parameters(layer_sizes):
        # YOUR CODE HERE
        raise NotImplementedError()

    feedback = run_check_cell(notebook, count_parameters)
    assert "not attempted" in feedback.status.value and "Not solved yet" in feedback.status.value
    assert "not solved yet" in feedback._repr_mimebundle_()["text/plain"]
