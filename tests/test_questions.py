"""Graded questions (issue 25, item 4): the check, its feedback, the release, the conventions check and the
class report; and every question of the course, its right answer accepted and every other answer refused."""
import importlib

import nbformat
import pytest

from aecourse.course import anatomy, lint
from aecourse.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, Question
from aecourse.exercises.feedback import QuestionFeedback
from aecourse.grading import pipeline, report
from aecourse.paths import course_root

NOTEBOOKS = sorted((course_root() / "notebooks").glob("*.ipynb"))

CHOICE = Question("Question 1: Which way?", "b", "Because the loss falls.",
                  choices={"a": "up", "b": "down", "c": "sideways"},
                  why_not={"a": "the loss is minimised", "c": "there is no sideways"})
NUMBER = Question("Question 2: How many?", 0.3, "Read it off the curve.", tolerance=0.05, unit="dB")
MEASURED = Question("Question 3: Where do they cross?", None, "Where the two curves meet.", tolerance=0.02)


@pytest.mark.parametrize("given", ["b", "B", " b ", "b)", "(b".strip("(")])
def test_a_choice_is_read_whatever_its_case_and_spaces(given):
    assert CHOICE.evaluate(given).status == CORRECT


@pytest.mark.parametrize("given,phrase", [("a", "the loss is minimised"), ("c", "no sideways"),
                                          ("d", "not a choice"), ("ab", "not a choice"), (2, "a letter in quotes"),
                                          (["b"], "a letter in quotes"), ("", "not a choice")])
def test_a_wrong_choice_is_refused_and_says_why(given, phrase):
    result = CHOICE.evaluate(given)
    assert result.status == INCORRECT and phrase in result.failed[0][1]


def test_an_unanswered_question_is_not_attempted():
    assert CHOICE.evaluate(...).status == NOT_ATTEMPTED and CHOICE.evaluate(None).status == NOT_ATTEMPTED


@pytest.mark.parametrize("given,status", [(0.3, CORRECT), (0.26, CORRECT), (0.349, CORRECT), (0.36, INCORRECT),
                                          (0.2, INCORRECT), ("0.3", INCORRECT), (True, INCORRECT),
                                          (float("nan"), INCORRECT), (float("inf"), INCORRECT), (1, INCORRECT)])
def test_a_number_is_right_within_its_tolerance_and_must_be_a_number(given, status):
    assert NUMBER.evaluate(given).status == status


def test_a_measured_number_is_compared_with_this_runs_value():
    assert MEASURED.evaluate(0.51, truth=0.5).status == CORRECT
    assert MEASURED.evaluate(0.55, truth=0.5).status == INCORRECT
    with pytest.raises(ValueError, match="truth"):
        MEASURED.evaluate(0.5)


def test_a_question_whose_answer_is_not_a_choice_cannot_be_made():
    with pytest.raises(ValueError, match="not one of the choices"):
        Question("Q", "d", "x", choices={"a": "1", "b": "2"})
    with pytest.raises(ValueError, match="not choices"):
        Question("Q", "a", "x", choices={"a": "1", "b": "2"}, why_not={"e": "no"})


def test_the_feedback_explains_after_a_right_answer_and_offers_the_answer_after_a_wrong_one():
    right = QuestionFeedback(CHOICE, "b", CHOICE.evaluate("b"))
    assert "Because the loss falls." in right.text and right.reveal_button.layout.display == "none"
    wrong = QuestionFeedback(CHOICE, "a", CHOICE.evaluate("a"))
    assert "the loss is minimised" in wrong.text and "Because" not in wrong.text
    assert wrong.reveal_button.layout.display == ""
    wrong.reveal_button.click()
    assert "(b) down" in wrong.explanation.value and "Because the loss falls." in wrong.explanation.value
    graded = QuestionFeedback(CHOICE, "a", CHOICE.evaluate("a"), reveal=False)
    assert graded.reveal_button.layout.display == "none"


def test_check_raises_under_the_autograder_only_for_a_wrong_answer(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    CHOICE.check("b")
    with pytest.raises(AssertionError, match="FAILED: your answer: \\(a\\) is not it"):
        CHOICE.check("a")
    with pytest.raises(AssertionError, match="not solved yet"):
        CHOICE.check(...)


def test_the_class_report_counts_a_wrong_choice_as_a_named_mistake():
    failure = report.classify("your answer", CHOICE.evaluate("a").failed[0][1])
    assert failure.kind == "mistake" and "the loss is minimised" in failure.message


def question_cells(number=1, answer='"b"'):
    return [nbformat.v4.new_markdown_cell(f"### Question {number} · Which way?\n\n*Use the widget:* move it."),
            nbformat.v4.new_code_cell(f'q{number} = ...  # your answer: "a", "b" or "c"\n### BEGIN SOLUTION\n'
                                      f"q{number} = {answer}\n### END SOLUTION",
                                      metadata={"nbgrader": {"solution": True, "grade": False,
                                                             "grade_id": f"q{number}-answer"}}),
            nbformat.v4.new_code_cell(f"exercises.q{number}.check(q{number})",
                                      metadata={"nbgrader": {"solution": False, "grade": True, "locked": True,
                                                             "points": 1, "grade_id": f"q{number}-check"}})]


def test_the_anatomy_tells_questions_from_exercises():
    notebook = nbformat.v4.new_notebook(cells=question_cells(1) + question_cells(2))
    found = anatomy.questions(notebook)
    assert [(q.number, q.name, q.points, q.instrument) for q in found] == [(1, "q1", 1, True), (2, "q2", 1, True)]
    assert anatomy.exercises(notebook) == []
    assert lint._check_questions(notebook) == []


@pytest.mark.parametrize("break_it,phrase", [
    (lambda cells: cells[:3], "1 graded questions"),
    (lambda cells: cells + [c for n in (3, 4, 5) for c in question_cells(n)], "5 graded questions"),
    (lambda cells: [c for i, c in enumerate(cells) if i != 5], "not followed by a graded check cell"),
    (lambda cells: [nbformat.v4.new_markdown_cell(c.source.replace("*Use the widget:*", ""))
                    if c.cell_type == "markdown" else c for c in cells], "read off a widget"),
    (lambda cells: cells[3:] + cells[:3], "should count 1, 2, 3"),
])
def test_the_conventions_check_names_a_broken_question(break_it, phrase):
    notebook = nbformat.v4.new_notebook(cells=break_it(question_cells(1) + question_cells(2)))
    assert any(phrase in message for _, message in lint._check_questions(notebook))


def test_a_released_question_keeps_its_answer_line_and_does_not_raise(tmp_path):
    cells = question_cells(1)
    cells[1].source = 'q1 = ...  # your answer: "a", "b" or "c"\n# YOUR CODE HERE\nraise NotImplementedError()'
    path = tmp_path / "released.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    pipeline.unstub_questions(path)
    source = nbformat.read(path, as_version=4).cells[1].source
    assert source == 'q1 = ...  # your answer: "a", "b" or "c"'
    namespace = {}
    exec(source, namespace)
    assert CHOICE.evaluate(namespace["q1"]).status == NOT_ATTEMPTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_every_question_accepts_its_answer_and_refuses_every_other_choice(path):
    notebook = anatomy.read(path)
    module = importlib.import_module(f"aecourse.exercises.{anatomy.exercise_module(notebook)}")
    for found in anatomy.questions(notebook):
        question = getattr(module, found.name)
        assert question.title.startswith(f"Question {found.number}:"), question.title
        assert found.title in question.title, (found.title, question.title)
        if question.numeric:
            continue  # its values: in the notebook's own run (the check cell) and the tests of its module
        for letter in question.choices:
            result = question.evaluate(letter)
            assert result.correct == (letter == question.answer), (question.title, letter)
            assert letter == question.answer or letter in question.why_not, \
                f"{question.title}: choice ({letter}) has no why_not"
