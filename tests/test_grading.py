"""The nbgrader pipeline, end to end, and the grading of every exercise of every notebook.

Grading a whole notebook means running it, so grading every variant of every notebook
would run each notebook many times. Instead:

- every notebook is released (the student version has no solutions, hidden tests or
  outputs, and is marked graded);
- one *skeleton* assignment holds every notebook's setup cell, exercise cells (their
  statements, answer cells and check cells with hidden tests) and the graded questions whose
  check needs nothing the notebook computed, and a batch of
  submissions of it is autograded: the solutions (full marks), the untouched release
  (zero), every answer wrong (each exercise and question loses its points), every answer delegating
  to the reference (each loses its points), every answer hard-coding what the visible
  checks ask (passes those, fails the hidden tests);
- one real notebook is autograded end to end, training cells and all.
"""
import shutil

import nbformat
import pytest

from aecourse.course import anatomy
from aecourse.grading import grade, nbgrader, release
from aecourse.paths import course_root

pytestmark = pytest.mark.slow

ROOT = course_root()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SKELETON = "99_exercises"
REAL = NOTEBOOKS[0].stem  # the quickest notebook, graded whole

# An answer that returns the right value exactly for the inputs the visible checks use
# (recorded by running them against the reference) and a wrong one otherwise.
HARD_CODED = '''
import torch as _torch


def _key(value):
    if isinstance(value, _torch.Tensor):
        return ("tensor", tuple(value.shape), str(value.dtype), value.detach().cpu().numpy().tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_key(v) for v in value)
    return repr(value)


_seen = {{}}


def _record(*args):
    _seen[_key(args)] = result = exercises.{exercise}.reference(*args)
    return result


exercises.{exercise}.evaluate(_record)


def {name}(*args):
    if _key(args) in _seen:
        return _seen[_key(args)]
    return None
'''

DELEGATING = '''
def {name}(*args, **kwargs):
    return exercises.{exercise}.reference(*args, **kwargs)
'''

WRONG = '''
def {name}(*args, **kwargs):
    return None
'''


def self_contained(notebook):
    """The notebook's exercises, and its questions whose check needs no value the notebook computed."""
    return anatomy.exercises(notebook) + [q for q in anatomy.questions(notebook)
                                          if "truth=" not in anatomy.source(notebook.cells[q.check])]


def skeleton():
    """One notebook: each course notebook's setup cell, then its exercises and self-contained questions
    (statement, answer, check)."""
    cells = []
    for path in NOTEBOOKS:
        notebook = anatomy.read(path)
        setup = next(c for c in notebook.cells if c.cell_type == "code")
        cells.append(nbformat.v4.new_code_cell(anatomy.source(setup)))
        for exercise in self_contained(notebook):
            for index in (exercise.statement, exercise.answer, exercise.check):
                cell = nbformat.from_dict(notebook.cells[index])
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
                    meta = cell.metadata.nbgrader
                    meta["grade_id"] = f"{path.stem[:2]}-{meta['grade_id']}"  # unique across notebooks
                cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells, metadata=anatomy.read(NOTEBOOKS[0]).metadata)


def with_answers(notebook, template, question_answer=None):
    """A copy of ``notebook`` whose every exercise answer cell is ``template`` filled in for that exercise,
    and every question's answer ``question_answer`` (a wrong one) when it is given."""
    copy = nbformat.from_dict(notebook)
    for exercise in anatomy.exercises(copy):
        copy.cells[exercise.answer].source = template.format(name=exercise.name, exercise=exercise.exercise)
    for question in anatomy.questions(copy) if question_answer is not None else ():
        copy.cells[question.answer].source = f"{question.name} = {question_answer!r}"
    return copy


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    course, notebooks, submissions = root / "course", root / "notebooks", root / "submissions"
    course.mkdir()
    notebooks.mkdir()
    shutil.copy(ROOT / "course" / "nbgrader_config.py", course)
    shutil.copy(ROOT / "notebooks" / f"{REAL}.ipynb", notebooks)
    source = skeleton()
    nbformat.write(source, notebooks / f"{SKELETON}.ipynb")
    released = {path.parent.name: path for path in release(course, notebooks)}

    batch = {"full": source, "untouched": nbformat.read(released[SKELETON], as_version=4),
             "wrong": with_answers(source, WRONG, question_answer="not an answer"),
             "delegating": with_answers(source, DELEGATING),
             "hardcoded": with_answers(source, HARD_CODED)}
    for student, notebook in batch.items():
        (submissions / student).mkdir(parents=True)
        nbformat.write(notebook, submissions / student / f"{SKELETON}.ipynb")
    shutil.copy(ROOT / "notebooks" / f"{REAL}.ipynb", submissions / "full" / f"{REAL}.ipynb")
    rows = grade(submissions, root / "out", course, notebooks)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: {g.name: (g.score, g.max_score)
                            for g in gradebook.find_submission_notebook(SKELETON, SKELETON, student).grades}
                  for student in batch}
    return dict(course=course, source=source, released=released, scores=scores, out=root / "out",
                rows={(r["student_id"], r["assignment"]): r for r in rows})


def check_ids(notebook, questions=False):
    return [anatomy.nbgrader_metadata(notebook.cells[e.check])["grade_id"]
            for e in (self_contained(notebook) if questions else anatomy.exercises(notebook))]


def test_the_skeleton_holds_every_exercise_and_self_contained_question_of_every_notebook(graded):
    expected = sum(len(anatomy.exercises(anatomy.read(path))) for path in NOTEBOOKS)
    assert len(anatomy.exercises(graded["source"])) == expected >= 3 * len(NOTEBOOKS)
    assert len(anatomy.questions(graded["source"])) >= len(NOTEBOOKS)


def test_release_has_no_solutions_hidden_tests_or_outputs_and_is_graded(graded):
    for assignment, path in graded["released"].items():
        released = nbformat.read(path, as_version=4)
        text = "\n".join(anatomy.source(c) for c in released.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, assignment
        assert text.count("raise NotImplementedError()") == len(anatomy.exercises(released)), assignment
        for question in anatomy.questions(released):  # "Run all" does not stop at a question
            assert anatomy.source(released.cells[question.answer]).startswith(f"{question.name} = ..."), assignment
        assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code"), assignment
        assert "graded=True)" in text, assignment


def test_solutions_get_full_marks_and_the_untouched_release_gets_zero(graded):
    full, untouched = graded["rows"][("full", SKELETON)], graded["rows"][("untouched", SKELETON)]
    assert float(full["score"]) == float(full["max_score"]) > 0
    assert float(untouched["score"]) == 0


def test_a_real_notebook_is_graded_end_to_end_with_full_marks(graded):
    row = graded["rows"][("full", REAL)]
    assert float(row["score"]) == float(row["max_score"]) == anatomy.points(anatomy.read(ROOT / "notebooks" /
                                                                                         f"{REAL}.ipynb"))
    report = graded["out"] / "feedback" / "full" / f"{REAL}.html"
    assert report.is_file() and "<html" in report.read_text()[:2000].lower()


@pytest.mark.parametrize("student", ["wrong", "delegating"])
def test_every_wrong_or_delegating_answer_loses_its_points(graded, student):
    scores = graded["scores"][student]
    for grade_id in check_ids(graded["source"], questions=student == "wrong"):
        assert scores[grade_id][0] == 0, f"{student}: {grade_id} scored {scores[grade_id]}"


def test_hard_coding_the_visible_checks_scores_zero(graded):
    """Replaying what the reference returned for the visible checks fails: the checks draw new inputs every time,
    and an exercise without inputs (build a decoder) asks for a fresh module on every call."""
    scores = graded["scores"]["hardcoded"]
    for grade_id in check_ids(graded["source"]):
        assert scores[grade_id][0] == 0, f"{grade_id}: hard-coded answer scored {scores[grade_id]}"


def test_students_can_validate_before_submitting(graded):
    source = graded["course"] / "source" / SKELETON / f"{SKELETON}.ipynb"
    assert "Success! Your notebook passes all the tests." in nbgrader(graded["course"], "validate", str(source)).stdout


def test_grades_csv_and_feedback_reports(graded):
    assert {("full", SKELETON), ("untouched", SKELETON), ("full", REAL)} <= set(graded["rows"])
    assert (graded["out"] / "grades.csv").is_file()
    for student in ("full", "wrong"):
        assert (graded["out"] / "feedback" / student / f"{SKELETON}.html").is_file()
