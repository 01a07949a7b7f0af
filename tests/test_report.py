"""The class report (aecourse.grading.report): a batch of autograded notebooks with planted mistakes.

The unit tests build autograded notebooks with nbformat, as nbgrader leaves them: each check cell's error
output carries the ``AssertionError(str(result))`` a failing check raises under the autograder (the
results made by the checker's own :class:`Result`, one by a real check). The slow test autogrades a
small batch of real submissions with nbgrader and reads the report ``make grade`` writes.
"""
import csv
import importlib
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aecourse.exercises.outcome import INCORRECT, NOT_ATTEMPTED, Result
from aecourse.grading import report

BATCH = "your loss is batch-size times too large: sum over pixels, but average over the images of the batch"
SHAPE = "for a batch of shape {} you returned a tensor of shape {}; the loss is a single number (shape ())"
TIME = "your code did not finish within 10 s (an endless loop, or far too much work?)"
DELEGATION = ("your answer calls aecourse.losses.squared_error, which already does what this exercise asks: "
              "write the computation yourself in the answer cell")
NO_LAYER = "a network with no layer at all: [784]"  # a case name with ": " in it
WEIGHTS = "for sizes {} you returned {}: that counts the weights only. What else does each nn.Linear learn?"

EXERCISES = [("count_parameters", "Count the parameters", 1), ("reconstruction_loss", "The reconstruction loss", 2)]


def failed(title, passed, failures, seed=1234):
    """The error output of a check cell whose answer failed: ``failures`` is ``[(case, why)]``; the last one
    names the check seed, as the checker does."""
    case, why = failures[-1]
    failures = failures[:-1] + [(case, f"{why} [check seed {seed}: evaluate(answer, seed={seed}) draws the same "
                                       "inputs again]")]
    result = str(Result(title, INCORRECT, list(passed), failures))
    return [new_output("error", ename="AssertionError", evalue=result, traceback=[f"AssertionError: {result}"])]


def untouched(title):
    result = str(Result(title, NOT_ATTEMPTED))
    return [new_output("error", ename="AssertionError", evalue=result, traceback=[])]


def error(ename, evalue=""):
    return [new_output("error", ename=ename, evalue=evalue, traceback=[])]


def autograded(outputs):
    """An autograded notebook: setup cell, then per exercise a statement, an answer and a check cell
    whose outputs are ``outputs[name]`` (none: it passed)."""
    cells = [new_code_cell("import aecourse\nfrom aecourse.exercises import nb01 as exercises")]
    for number, (name, title, points) in enumerate(EXERCISES, start=1):
        cells += [new_markdown_cell(f"### Exercise {number} · {title}\n\nWrite `{name}`."),
                  new_code_cell(f"def {name}(*args):\n    ...", metadata={"nbgrader": dict(
                      grade=False, solution=True, locked=False, grade_id=f"ex{number}-answer", schema_version=3)}),
                  new_code_cell(f"{name} = exercises.{name}.check({name})", metadata={"nbgrader": dict(
                      grade=True, solution=False, locked=True, points=points, grade_id=f"ex{number}-check",
                      schema_version=3)}, outputs=outputs.get(name, []))]
    return new_notebook(cells=cells)


def real_batch_size_mistake():
    """The error output of notebook 01's real check, for a loss summed over the whole batch."""
    from aecourse.exercises import nb01

    result = nb01.reconstruction_loss.evaluate(lambda x_hat, x: (x_hat - x).pow(2).sum())
    assert not result.correct
    return [new_output("error", ename="AssertionError", evalue=str(result), traceback=[])]


LOSS = "Exercise 2: the reconstruction loss"
PARAMS = "Exercise 1: count the parameters"


@pytest.fixture(scope="module")
def batch():
    """Six students. Ex 2: three make the batch-size mistake, one hits the time limit, one delegates, one is
    right. Ex 1: three right, one untouched, one the weights-only mistake on two different inputs (and on the
    case whose name holds ": "), one fails a hidden test."""
    loss = {
        "ann": failed(LOSS, ["a perfect reconstruction has loss 0"],
                      [("a batch of 8 images of shape (1, 28, 28)", BATCH),
                       ("a batch of 5 flat vectors of length 784", BATCH),
                       ("the loss can be differentiated (autograd)",
                        "your result (values starting [-0.633291, 0.507573, 1.065881]) is not the correct value")]),
        "bob": failed(LOSS, [], [("a batch of 5 flat vectors of length 784", BATCH),
                                 ("a batch of 8 images of shape (1, 28, 28)", SHAPE.format("(8, 1, 28, 28)", "(8,)"))]),
        "cat": real_batch_size_mistake(),
        "dan": failed(LOSS, ["a batch of 8 images of shape (1, 28, 28)"], [("time limit", TIME)]),
        "eve": failed(LOSS, ["a batch of 8 images of shape (1, 28, 28)"],
                      [("written in the notebook", DELEGATION)]),
        "fay": [],
    }
    params = {
        "ann": [], "bob": [], "cat": [],
        "dan": untouched(PARAMS),
        "eve": failed(PARAMS, ["sizes [3, 2]"], [(NO_LAYER, WEIGHTS.format([784], 0)),
                                                 ("sizes [784, 128, 64, 32]",
                                                  WEIGHTS.format([784, 128, 64, 32], 110592))]),
        "fay": error("AssertionError"),  # the visible checks passed, a hidden test's bare assert failed
    }
    params["ann"] = [new_output("stream", name="stdout", text="fine\n")]
    notebooks = {(s, "01_basics"): autograded({"count_parameters": params[s], "reconstruction_loss": loss[s]})
                 for s in loss}
    # another student passed the case whose name holds ": " (so the class knows that name)
    notebooks["gus", "01_basics"] = autograded({
        "count_parameters": failed(PARAMS, [NO_LAYER], [("sizes [3, 2]", WEIGHTS.format([3, 2], 6))]),
        "reconstruction_loss": untouched(LOSS)})
    return report.class_outcomes(notebooks)


def rows_of(rows, grade_id):
    return [r for r in rows if r["grade_id"] == grade_id]


def find(rows, kind, text=""):
    return [r for r in rows if r["kind"] == kind and text in r["message"]]


def test_one_outcome_per_check_cell_with_its_points_and_label(batch):
    assert len(batch) == 7 * 2
    by = {(o.student, o.grade_id): o for o in batch}
    assert by["fay", "ex2-check"].passed and by["fay", "ex2-check"].points == 2 and not by["fay", "ex2-check"].failures
    assert not by["ann", "ex2-check"].passed and by["ann", "ex2-check"].points == 0
    assert by["ann", "ex1-check"].passed  # output on stdout is fine
    assert by["ann", "ex2-check"].exercise == "Ex 2 · The reconstruction loss"


def test_the_same_mistake_on_several_cases_counts_once_per_student(batch):
    ann = next(o for o in batch if o.student == "ann" and o.grade_id == "ex2-check")
    assert [(f.kind, f.key) for f in ann.failures] == [("mistake", report.normalise(BATCH)), ("wrong", "wrong value")]
    assert ann.failures[0].case == "a batch of 8 images of shape (1, 28, 28)"
    assert ann.failures[1].seed == 1234 and "seed" not in ann.failures[1].message


def test_the_report_names_the_planted_mistakes_with_their_counts(batch):
    rows = rows_of(report.summarise(batch), "ex2-check")
    assert [(r["count"], r["message"]) for r in find(rows, "mistake")] == [  # the most common first
        (3, BATCH), (1, SHAPE.format("(8, 1, 28, 28)", "(8,)"))]
    assert [(r["count"], r["message"]) for r in find(rows, "wrong")] == [(2, "wrong value")]  # ann's and cat's
    assert [(r["count"], r["message"]) for r in find(rows, "time_limit")] == [(1, TIME)]
    assert [(r["count"], r["message"]) for r in find(rows, "delegation")] == [(1, DELEGATION)]
    assert find(rows, "not_attempted")[0]["count"] == 1
    assert find(rows, "passed")[0]["count"] == 1
    assert {r["kind"] for r in rows} == {"passed", "mistake", "wrong", "time_limit", "delegation", "not_attempted"}


def test_pass_rates_and_mean_points(batch):
    rows = report.summarise(batch)
    loss, params = rows_of(rows, "ex2-check")[0], rows_of(rows, "ex1-check")[0]
    assert (loss["submissions"], loss["pass_rate"], loss["mean_points"]) == (7, round(1 / 7, 4), round(2 / 7, 4))
    assert (params["submissions"], params["pass_rate"], params["mean_points"]) == (7, round(3 / 7, 4),
                                                                                 round(3 / 7, 4))
    assert all(r["kind"] == "passed" for r in (loss, params)) and loss["points"] == "2"
    assert [r["exercise"] for r in rows if r["kind"] == "passed"] == ["Ex 1 · Count the parameters",
                                                                     "Ex 2 · The reconstruction loss"]


def test_a_mistake_on_different_inputs_is_one_row(batch):
    rows = rows_of(report.summarise(batch), "ex1-check")
    weights = find(rows, "mistake", "counts the weights only")
    assert len(weights) == 1 and weights[0]["count"] == 2  # eve (two inputs, one of them "...: [784]") and gus
    assert weights[0]["message"] == "for sizes […] you returned #: that counts the weights only. What else does " \
                                    "each nn.Linear learn?"
    assert weights[0]["example"] in {WEIGHTS.format([784], 0), WEIGHTS.format([3, 2], 6)}
    assert [(r["count"], r["message"]) for r in find(rows, "hidden_test")] == [(1, "a hidden test failed")]


def test_crashes_and_other_errors():
    crash = ("your code raised IndexError: Dimension out of range (expected to be in range of [{}, {}], but got 7) "
             "(your code, line {}: return x_hat.sum(7))")
    notebooks = {(s, "nb"): autograded({"reconstruction_loss": failed(LOSS, [], [("case", crash.format(*v))])})
                 for s, v in [("a", (-4, 3, 2)), ("b", (-2, 1, 5))]}
    notebooks["c", "nb"] = autograded({"reconstruction_loss": error("NameError",
                                                                    "name 'reconstruction_loss' is not defined")})
    notebooks["d", "nb"] = autograded({"reconstruction_loss": [new_output("stream", name="stderr", text="warn")]})
    rows = rows_of(report.summarise(report.class_outcomes(notebooks)), "ex2-check")
    assert [(r["count"], r["message"]) for r in find(rows, "crash")] == [
        (2, "your code raised IndexError: Dimension out of range (expected to be in range of […], but got #)")]
    assert {r["message"]: r["count"] for r in find(rows, "error")} == {
        "NameError: name 'reconstruction_loss' is not defined": 1,
        "the check cell wrote to stderr, which nbgrader scores 0": 1}
    assert rows[0]["mean_points"] == 0  # stderr scores 0, as nbgrader gives it


@pytest.mark.parametrize("message, expected", [
    (SHAPE.format("(8, 1, 28, 28)", "(8,)"), SHAPE.format("(…)", "(…)").replace("(shape ())", "(shape (…))")),
    ("your result is [1000.0, 1000.0]...: exp(1000) overflows to inf",
     "your result is […]...: exp(…) overflows to inf"),
    ("\x1b[31mPSNR of -3.5 dB\x1b[0m, log10 of 1e-3", "PSNR of # dB, log10 of #"),
])
def test_normalise_strips_values_and_keeps_the_explanation(message, expected):
    assert report.normalise(message) == expected


def test_write_csv_markdown_and_a_chart_per_notebook(batch, tmp_path):
    paths = report.write(batch, tmp_path)
    with open(paths["csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == report.COLUMNS
    assert any(r["kind"] == "mistake" and r["message"] == BATCH and r["count"] == "3" for r in rows)
    page = paths["markdown"].read_text()
    assert "## 01_basics" in page and "![pass rate per exercise](report-01_basics.png)" in page
    assert f"3 × {BATCH}" in page
    assert "| Ex 2 · The reconstruction loss | 2 | 1/7 (14%) | 0.29 | 1 | 0 | 1 | 1 |" in page
    assert [p.name for p in paths["charts"]] == ["report-01_basics.png"]
    assert paths["charts"][0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_line_says_where_the_report_is(monkeypatch, tmp_path, capsys):
    from aecourse.grading import __main__ as cli

    monkeypatch.setattr(cli, "grade", lambda submissions, out: [dict(student_id="ann", assignment="01_basics",
                                                                     score="2", max_score="3")])
    cli.main(["grade", "submissions", "--out", str(tmp_path)])
    said = capsys.readouterr().out
    assert str(tmp_path / "report.md") in said and str(tmp_path / "report.csv") in said


# --- end to end: nbgrader autogrades three students of one small notebook --------------------------------------

@pytest.mark.slow
def test_make_grade_writes_the_class_report(tmp_path):
    from aecourse.course import anatomy
    from aecourse.grading import grade
    from aecourse.paths import course_root

    root = course_root()
    source = anatomy.read(root / "notebooks" / "01_autoencoder_basics.ipynb")
    cells = [next(c for c in source.cells if c.cell_type == "code")]  # the setup cell, then the exercises
    questions = [q for q in anatomy.questions(source) if "truth=" not in anatomy.source(source.cells[q.check])]
    for part in anatomy.exercises(source) + questions:
        cells += [source.cells[i] for i in (part.statement, part.answer, part.check)]
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook = new_notebook(cells=cells, metadata=source.metadata)
    course, notebooks, submissions = tmp_path / "course", tmp_path / "notebooks", tmp_path / "submissions"
    course.mkdir()
    notebooks.mkdir()
    shutil.copy(root / "course" / "nbgrader_config.py", course)
    nbformat.write(notebook, notebooks / "01_exercises.ipynb")

    loss = next(e for e in anatomy.exercises(notebook) if e.name == "reconstruction_loss")
    question = anatomy.questions(notebook)[0]
    exercise_module = importlib.import_module(f"aecourse.exercises.{anatomy.exercise_module(source)}")
    wrong_choice = next(c for c in getattr(exercise_module, question.name).choices
                        if c != getattr(exercise_module, question.name).answer)
    for student, summed in [("right", False), ("summed1", True), ("summed2", True)]:
        mine = nbformat.from_dict(notebook)
        if summed:  # the planted mistakes: summed over the batch too, and a wrong choice in the first question
            mine.cells[loss.answer].source = "def reconstruction_loss(x_hat, x):\n    return (x_hat - x).pow(2).sum()\n"
            mine.cells[question.answer].source = f"{question.name} = {wrong_choice!r}"
        (submissions / student).mkdir(parents=True)
        nbformat.write(mine, submissions / student / "01_exercises.ipynb")

    grades = grade(submissions, tmp_path / "out", course, notebooks)
    with open(tmp_path / "out" / "report.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["grade_id"] == anatomy.nbgrader_metadata(
            notebook.cells[loss.check])["grade_id"]]
    assert [int(r["count"]) for r in rows if r["kind"] == "mistake" and "batch-size times too large" in r["message"]] \
        == [2]
    assert float(rows[0]["pass_rate"]) == pytest.approx(1 / 3, abs=1e-3)
    with open(tmp_path / "out" / "report.csv", newline="") as f:
        asked = [r for r in csv.DictReader(f) if r["grade_id"] == anatomy.nbgrader_metadata(
            notebook.cells[question.check])["grade_id"]]
    why_not = getattr(exercise_module, question.name).why_not[wrong_choice]
    assert [int(r["count"]) for r in asked
            if r["kind"] == "mistake" and report.normalise(why_not)[:40] in r["message"]] == [2]
    assert asked[0]["exercise"].startswith("Q 1 · ")
    with open(tmp_path / "out" / "report.csv", newline="") as f:
        exercises = [r for r in csv.DictReader(f) if r["kind"] == "passed"]
    total = sum(float(r["mean_points"]) * int(r["submissions"]) for r in exercises)
    assert total == pytest.approx(sum(float(g["score"]) for g in grades), abs=1e-3)  # as nbgrader scored them
    assert (tmp_path / "out" / "report.md").is_file() and (tmp_path / "out" / "report-01_exercises.png").is_file()
