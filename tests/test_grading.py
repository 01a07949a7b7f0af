"""The nbgrader pipeline, end to end, for every notebook in notebooks/.

Per notebook: the source validates, the release does not; then a batch of
submissions is autograded: the source itself (full marks), the untouched release
(0), one wrong answer per exercise (loses exactly that exercise's points), and
a submission whose every answer hard-codes what the visible checks ask (passes
the visible checks, fails the hidden tests).
"""
import importlib
import inspect
import re
import shutil

import nbformat
import pytest

from aecourse.exercises import CORRECT
from aecourse.grading import CHECK_CELL, COURSE_DIR, NOTEBOOKS_DIR, assignments, grade, nbgrader, release

EXERCISE_MODULE = re.compile(r"^from aecourse\.exercises import (\w+) as exercises$", re.MULTILINE)

# An answer that returns the right value exactly for the inputs the visible checks
# use (recorded by running them against the reference) and a wrong one otherwise.
HARD_CODED = '''
import torch as _torch


def _key(value):
    if isinstance(value, _torch.Tensor):
        return ("tensor", tuple(value.shape), str(value.dtype), value.detach().cpu().numpy().tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_key(v) for v in value)
    return repr(value)


_visible_inputs = set()


def _record(*args):
    _visible_inputs.add(_key(args))
    return exercises.{exercise}.reference(*args)


exercises.{exercise}.evaluate(_record)


def {name}(*args):
    result = exercises.{exercise}.reference(*args)
    return result if _key(args) in _visible_inputs else result + 1
'''


def grading_cells(notebook):
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


def exercises_of(notebook):
    """[(answer cell index, check cell, answer name, exercise attribute)] in notebook order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.metadata.get("nbgrader", {}).get("solution"):
            check = notebook.cells[index + 1]
            match = CHECK_CELL.search(check.source)
            assert check.metadata["nbgrader"]["grade"] and match, \
                f"answer cell {index} must be followed by a graded cell `name = exercises.name.check(name)`"
            found.append((index, check, match.group(1), match.group(2)))
    return found


def with_wrong_answer(notebook, index):
    wrong = nbformat.from_dict(notebook)
    cell = wrong.cells[index]
    indent = re.search(r"^( *)### BEGIN SOLUTION", cell.source, re.MULTILINE).group(1)
    cell.source = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "return None  # a wrong answer",
                         cell.source, flags=re.DOTALL)
    assert indent + "return None" in cell.source
    return wrong


def with_hard_coded_answers(notebook, exercises):
    cheat = nbformat.from_dict(notebook)
    for index, _, name, exercise in exercises:
        cheat.cells[index].source = HARD_CODED.format(name=name, exercise=exercise)
    return cheat


@pytest.fixture(scope="module", params=assignments())
def graded(request, tmp_path_factory):
    """Release one notebook in a fresh course directory and grade a batch of submissions."""
    assignment = request.param
    root = tmp_path_factory.mktemp(assignment)
    course, notebooks, submissions = root / "course", root / "notebooks", root / "submissions"
    course.mkdir()
    notebooks.mkdir()
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
    shutil.copy(NOTEBOOKS_DIR / f"{assignment}.ipynb", notebooks)
    [released] = release(course, notebooks)

    source = nbformat.read(NOTEBOOKS_DIR / f"{assignment}.ipynb", as_version=4)
    exercises = exercises_of(source)
    batch = {"full": source, "untouched": nbformat.read(released, as_version=4),
             "hardcoded": with_hard_coded_answers(source, exercises)}
    for number, (index, _, _, _) in enumerate(exercises, start=1):
        batch[f"wrong{number}"] = with_wrong_answer(source, index)
    for student, notebook in batch.items():
        (submissions / student).mkdir(parents=True)
        nbformat.write(notebook, submissions / student / f"{assignment}.ipynb")
    rows = grade(submissions, root / "out", course, notebooks)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: {g.name: (g.score, g.max_score)
                            for g in gradebook.find_submission_notebook(assignment, assignment, student).grades}
                  for student in batch}
    return dict(assignment=assignment, course=course, released=released, source=source,
                exercises=exercises, rows={r["student_id"]: r for r in rows}, scores=scores, out=root / "out")


def test_every_notebook_has_graded_exercises(graded):
    assert len(graded["exercises"]) >= 3
    assert all(c.metadata["nbgrader"]["points"] > 0 for c in grading_cells(graded["source"]))
    assert all("### BEGIN HIDDEN TESTS" in check.source for _, check, _, _ in graded["exercises"])


def test_source_validates_and_release_does_not(graded):
    source = graded["course"] / "source" / graded["assignment"] / f"{graded['assignment']}.ipynb"
    assert "Success! Your notebook passes all the tests." in nbgrader(graded["course"], "validate", str(source)).stdout
    inverted = nbgrader(graded["course"], "validate", "--invert", str(graded["released"])).stdout
    assert "Success! The notebook does not pass any tests." in inverted


def test_release_has_no_solutions_hidden_tests_or_outputs(graded):
    released = nbformat.read(graded["released"], as_version=4)
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert text.count("raise NotImplementedError()") == len(graded["exercises"])
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")


def test_source_gets_full_marks_and_untouched_release_gets_zero(graded):
    full, untouched = graded["rows"]["full"], graded["rows"]["untouched"]
    assert float(full["score"]) == float(full["max_score"]) > 0
    assert float(untouched["score"]) == 0


def test_one_wrong_exercise_loses_exactly_its_points(graded):
    full = graded["scores"]["full"]
    for number, (_, check, _, _) in enumerate(graded["exercises"], start=1):
        wrong_cell = check.metadata["nbgrader"]["grade_id"]
        scores = graded["scores"][f"wrong{number}"]
        assert scores[wrong_cell][0] == 0
        assert {k: v for k, v in scores.items() if k != wrong_cell} == {k: v for k, v in full.items() if k != wrong_cell}


def test_hard_coding_the_visible_checks_fails_the_hidden_tests(graded):
    source_text = "\n".join(c.source for c in graded["source"].cells)
    module = importlib.import_module("aecourse.exercises." + EXERCISE_MODULE.search(source_text).group(1))
    replayed_points = 0
    for _, check, name, exercise in graded["exercises"]:
        namespace = {"exercises": module}
        exec(HARD_CODED.format(name=name, exercise=exercise), namespace)
        assert getattr(module, exercise).evaluate(namespace[name]).status == CORRECT  # fools the visible check
        score, points = graded["scores"]["hardcoded"][check.metadata["nbgrader"]["grade_id"]]
        if inspect.signature(getattr(module, exercise).reference).parameters:
            assert score == 0
        else:  # an answer without inputs (e.g. "build a decoder") has nothing to hard-code: the replay is the answer
            assert score == points
            replayed_points += points
    assert float(graded["rows"]["hardcoded"]["score"]) == replayed_points


def test_grades_csv_and_feedback_reports(graded):
    assert set(graded["rows"]) >= {"full", "untouched"}
    report = graded["out"] / "feedback" / "full" / f"{graded['assignment']}.html"
    assert report.is_file() and "<html" in report.read_text()[:2000].lower()
