"""The conventions check: the anatomy every course notebook follows, checked in a second.

``python -m aecourse.course lint notebooks/`` reads each notebook as JSON (nothing
runs) and prints one line per broken rule, naming the notebook and the rule; it
exits with status 1 if any rule is broken. The rules (see ``RULES``) are what a
learner, a lecturer and a grader rely on: the opening (title, objectives,
prerequisites, time, how to use it), numbered sections without gaps, the profile
printed at the top, graded exercises that are complete (one of them a build exercise), graded
questions, an answer under every question, a slide type for every cell, a widget, a results table, the closing
sections, a committed run that is clean (executed in order, no errors, no paths of the author's machine),
and a text source that agrees with the notebook (:mod:`.sources`).
"""
import importlib
import re

from ..results import MIME as RESULTS_MIME
from . import anatomy, slides, sources

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MIN_EXERCISES = 3
QUESTIONS = (2, 4)  # graded questions per notebook, at least and at most
CLOSING = ("Summary", "What to try next", "References")
OPENING = {"objectives": "**Learning objectives.**", "prerequisites": "**Prerequisites.**", "time": "**Time.**"}
# Absolute paths of somebody's machine: home folders, temporary folders, Windows drives.
# The prompts that ask the learner something; each is followed, in its cell, by an answer to open after trying.
PROMPT = re.compile(r"\*Think first:\*|\*\*Explore\.\*\*")
MACHINE_PATH = re.compile(r"(?<![\w.])(?:/(?:home|root|Users|tmp|private/var|work|mnt)/[\w.-]+|[A-Za-z]:\\\\[\w.-]+)")

RULES = {
    "title": "the first cell is a Markdown title '# NN · name'",
    "objectives": "the opening states the learning objectives (**Learning objectives.**)",
    "prerequisites": "the opening states the prerequisites (**Prerequisites.**)",
    "time": "the opening states the time to read and to compute (**Time.**)",
    "how-to-use": "a 'How to use this notebook' part says how to run it, the profiles, exercises and widgets",
    "profile": "the first code cell calls aecourse.setup(...) and its output shows the run profile",
    "sections": "sections are numbered '## N · title' from 1 without gaps",
    "exercises": f"at least {MIN_EXERCISES} exercises, each complete (statement, answer cell, check cell)",
    "build": "exactly one exercise builds a real piece of the method (build=True in the exercise module)",
    "questions": f"{QUESTIONS[0]} to {QUESTIONS[1]} graded questions, each complete (statement, answer cell, "
                 f"check cell), at least one read off a widget ({anatomy.INSTRUMENT})",
    "answers": "every 'Think first' and 'Explore' prompt has an answer to open beneath it (<details>)",
    "slides": "every cell has a slide type (metadata.slideshow) and every section heading starts a slide",
    "widget": "at least one interactive widget besides the exercise checks",
    "results": "a results table (aecourse.results.Results) is shown",
    "closing": "the notebook ends with " + ", ".join(f"'## {c}'" for c in CLOSING),
    "executed": "every code cell was executed, in order, in one run",
    "errors": "no cell shows an error",
    "paths": "no absolute path of the author's machine in sources or outputs",
    "source": "the notebook agrees with its text source NN_name.md, cell by cell (inputs and metadata)",
}


def _outputs(notebook):
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            yield index, output


def _check_opening(notebook, texts):
    problems = []
    first = anatomy.source(notebook.cells[0]).strip() if notebook.cells else ""
    if not (notebook.cells and notebook.cells[0].cell_type == "markdown" and re.match(r"# \d\d · \S", first)):
        problems.append(("title", "the first cell should be a Markdown title like '# 05 · Sparse autoencoders'"))
    for rule, marker in OPENING.items():
        if marker not in texts:
            problems.append((rule, f"no {marker} paragraph"))
    if not re.search(r"how to use this notebook", texts, re.IGNORECASE):
        problems.append(("how-to-use", "no 'How to use this notebook' part"))
    return problems


def _check_profile(notebook):
    code = [c for c in notebook.cells if c.cell_type == "code"]
    if not code or not anatomy.SETUP_CALL.search(anatomy.source(code[0])):
        return [("profile", "the first code cell does not call aecourse.setup(...)")]
    printed = "".join("".join(o.get("text", "")) for o in code[0].get("outputs", [])
                      if o.get("output_type") == "stream")
    if "profile '" not in printed:
        return [("profile", "the first code cell's output does not show the run profile (run the notebook)")]
    return []


def _check_sections(notebook):
    numbers = [number for number, _ in anatomy.sections(notebook)]
    if not numbers:
        return [("sections", "no numbered section ('## 1 · ...')")]
    expected = list(range(1, len(numbers) + 1))
    if numbers != expected:
        gaps = [f"{a} to {b}" for a, b in zip([0] + numbers, numbers) if b != a + 1]
        return [("sections", f"section numbers run {numbers}: they jump from {', '.join(gaps)}")]
    return []


def _check_exercises(notebook):
    problems, found = [], anatomy.exercises(notebook)
    if len(found) < MIN_EXERCISES:
        problems.append(("exercises", f"{len(found)} exercises, at least {MIN_EXERCISES} expected"))
    ids = [anatomy.nbgrader_metadata(notebook.cells[i]).get("grade_id") for e in found for i in (e.answer, e.check)
           if i is not None]
    if len(ids) != len(set(ids)):
        problems.append(("exercises", "nbgrader grade_ids are not unique"))
    for position, exercise in enumerate(found, start=1):
        where = f"the answer cell {exercise.answer}"
        answer = notebook.cells[exercise.answer]
        if exercise.statement is None:
            problems.append(("exercises", f"{where} has no statement above it ('### Exercise {position} · ...')"))
        elif exercise.number != position:
            problems.append(("exercises", f"exercise headings should count 1, 2, 3...: found Exercise "
                                          f"{exercise.number} in position {position}"))
        text = anatomy.source(answer)
        if "### BEGIN SOLUTION" not in text or "### END SOLUTION" not in text:
            problems.append(("exercises", f"{where} has no ### BEGIN SOLUTION / ### END SOLUTION"))
        if not anatomy.nbgrader_metadata(answer).get("grade_id"):
            problems.append(("exercises", f"{where} has no nbgrader grade_id"))
        if exercise.check is None:
            problems.append(("exercises", f"{where} is not followed by a graded check cell"))
            continue
        check = notebook.cells[exercise.check]
        meta, text = anatomy.nbgrader_metadata(check), anatomy.source(check)
        if exercise.name is None:
            problems.append(("exercises", f"the check cell {exercise.check} does not start with "
                                          "`name = exercises.name.check(name)`"))
        if not meta.get("points", 0) > 0:
            problems.append(("exercises", f"the check cell {exercise.check} has no points"))
        if not meta.get("locked"):
            problems.append(("exercises", f"the check cell {exercise.check} is not locked"))
        if "### BEGIN HIDDEN TESTS" not in text or "### END HIDDEN TESTS" not in text:
            problems.append(("exercises", f"the check cell {exercise.check} has no hidden tests"))
    return problems


def _check_build(notebook):
    module = anatomy.exercise_module(notebook)
    if module is None:
        return [("build", "no `from aecourse.exercises import nbNN as exercises` line")]
    try:
        exercises = importlib.import_module(f"aecourse.exercises.{module}")
    except ImportError as error:
        return [("build", f"the exercise module aecourse.exercises.{module} cannot be imported ({error})")]
    built = [e.name for e in anatomy.exercises(notebook) if getattr(getattr(exercises, str(e.exercise), None),
                                                                     "build", False)]
    if len(built) != 1:
        return [("build", f"{len(built)} build exercises ({', '.join(built) or 'none'}), exactly one expected")]
    return []


def _check_questions(notebook):
    problems, found = [], anatomy.questions(notebook)
    low, high = QUESTIONS
    if not low <= len(found) <= high:
        problems.append(("questions", f"{len(found)} graded questions, {low} to {high} expected"))
    elif not any(q.instrument for q in found):
        problems.append(("questions", f"no question is read off a widget (a statement with {anatomy.INSTRUMENT})"))
    for position, question in enumerate(found, start=1):
        where = f"the question answer cell {question.answer}"
        if question.number != position:
            problems.append(("questions", f"question headings should count 1, 2, 3...: found Question "
                                          f"{question.number} in position {position}"))
        text = anatomy.source(notebook.cells[question.answer])
        if "### BEGIN SOLUTION" not in text or not re.search(rf"^q{position} = \.\.\.", text, re.MULTILINE):
            problems.append(("questions", f"{where} should read `q{position} = ...  # ...` above "
                                          "### BEGIN SOLUTION / ### END SOLUTION"))
        if question.check is None or question.name != f"q{position}":
            problems.append(("questions", f"{where} is not followed by a graded check cell "
                                          f"`exercises.q{position}.check(q{position})`"))
            continue
        meta = anatomy.nbgrader_metadata(notebook.cells[question.check])
        if not meta.get("points", 0) > 0 or not meta.get("locked"):
            problems.append(("questions", f"the check cell {question.check} needs points and a lock"))
    return problems


def _check_answers(notebook):
    problems = []
    for index, cell in enumerate(notebook.cells):
        text = anatomy.source(cell) if cell.cell_type == "markdown" else ""
        starts = [m.start() for m in PROMPT.finditer(text)] + [len(text)]
        for start, end in zip(starts, starts[1:]):
            if "<details>" not in text[start:end]:
                prompt = text[start:start + 40].splitlines()[0]
                problems.append(("answers", f"cell {index}: '{prompt}...' has no answer beneath it "
                                            "(<details><summary>Answer (open after trying)</summary> ... </details>)"))
    return problems


def _check_slides(notebook):
    return [("slides", problem) for problem in slides.problems(notebook)]


def _check_outputs(notebook):
    problems = []
    checks = {e.check for e in anatomy.exercises(notebook)} | {q.check for q in anatomy.questions(notebook)}
    mimes = [(index, set(output.get("data", {}))) for index, output in _outputs(notebook)]
    if not any(WIDGET_MIME in m for index, m in mimes if index not in checks):
        problems.append(("widget", "no widget shown outside the exercise checks"))
    if not any(RESULTS_MIME in m for _, m in mimes):
        problems.append(("results", "no results table shown (aecourse.results.Results)"))
    errors = [index for index, output in _outputs(notebook) if output.get("output_type") == "error"]
    if errors:
        problems.append(("errors", f"cells {errors} show errors"))
    return problems


def _check_closing(notebook):
    headings = [line[3:].strip() for c in notebook.cells if c.cell_type == "markdown"
                for line in anatomy.source(c).splitlines() if line.startswith("## ")]
    missing = [c for c in CLOSING if c not in headings]
    if missing:
        return [("closing", "missing " + ", ".join(f"'## {c}'" for c in missing))]
    if headings[-len(CLOSING):] != list(CLOSING):
        return [("closing", f"the last sections should be {list(CLOSING)}, found {headings[-len(CLOSING):]}")]
    return []


def _check_executed(notebook):
    counts = [c.get("execution_count") for c in notebook.cells if c.cell_type == "code" and anatomy.source(c).strip()]
    if any(count is None for count in counts):
        return [("executed", f"{counts.count(None)} code cells were not executed")]
    if counts != list(range(1, len(counts) + 1)):
        return [("executed", f"execution counts {counts[:12]}... are not 1, 2, 3, ... (run top to bottom once)")]
    return []


def _check_paths(notebook):
    for index, cell in enumerate(notebook.cells):
        texts = [anatomy.source(cell)]
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts.append("".join(output.get("text", "")))
            texts += ["".join(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
        for text in texts:
            match = MACHINE_PATH.search(text)
            if match:
                return [("paths", f"cell {index} shows the machine path {match.group(0)!r}")]
    return []


def lint_notebook(path):
    """``[(rule, message)]`` for every rule ``path`` breaks (empty when it follows them all)."""
    notebook = anatomy.read(path)
    texts = "\n".join(anatomy.source(c) for c in notebook.cells if c.cell_type == "markdown")
    problems = _check_opening(notebook, texts)
    for check in (_check_profile, _check_sections, _check_exercises, _check_build, _check_questions, _check_answers,
                  _check_slides, _check_outputs, _check_closing,
                  _check_executed, _check_paths):
        problems += check(notebook)
    disagreements = sources.differences(path)
    if disagreements:
        problems.append(("source", "; ".join(disagreements) + " (make sync: the older file follows the newer one)"))
    return problems


def lint(paths):
    """Check notebooks (files or folders of them); return the report lines, one per broken rule."""
    return [f"{path}: [{rule}] {message}" for path in anatomy.notebook_paths(paths)
            for rule, message in lint_notebook(path)]
