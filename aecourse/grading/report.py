"""The class report: per notebook and exercise, how many passed and what went wrong.

nbgrader's gradebook holds each student's points per cell, not *why* an answer lost them. The checks say
why: under the autograder a failing check cell raises ``AssertionError(str(result))``, whose lines
``FAILED: <case>: <why>`` name the mistake ("your loss is batch-size times too large: ..."), a generic
comparison failure, a crash ("your code raised ..."), the time limit ("your code did not finish within
10 s") or a delegation (case "written in the notebook"); an untouched answer says "not solved yet".
This module reads those error outputs back from the autograded notebooks
(``course/autograded/<student>/<notebook>/<notebook>.ipynb``) and counts them:

- :func:`outcomes`: one autograded notebook -> one :class:`Outcome` per graded cell (pure: no nbgrader,
  no files), points as nbgrader's autograder gives them;
- :func:`class_outcomes`: the outcomes of a whole batch, each failure split from its case name with
  what the whole class's check outputs say the case names are;
- :func:`summarise`: outcomes -> the rows of ``report.csv``;
- :func:`write`: ``report.csv``, ``report.md`` and one bar chart per notebook, ``report-<notebook>.png``.

A *count* is a number of submissions: a submission that makes the same mistake on three cases counts
once, and one that makes two different mistakes counts under both. Messages are grouped by
:func:`normalise` (numbers, shapes and lists stripped), so the same mistake on different inputs is one row;
the check seed a failed check names (``[check seed N: ...]``) is kept apart, in :attr:`Failure.seed`.
"""
import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import nbformat

from ..course import anatomy

REPORT_CSV, REPORT_MD = "report.csv", "report.md"
COLUMNS = ["notebook", "exercise", "grade_id", "points", "submissions", "pass_rate", "mean_points",
           "kind", "message", "count", "example"]

# What a row of the report counts, in the order the report lists them.
KINDS = {
    "passed": "full marks: the visible checks and the hidden tests passed",
    "mistake": "a mistake the check recognised and named",
    "wrong": "a failed comparison the check could not name (wrong value, shape, type or dtype; not finite)",
    "hidden_test": "the visible checks passed, a hidden test failed",
    "crash": "the answer raised an exception",
    "time_limit": "the answer ran past the check's time limit",
    "delegation": "the answer called a function that already does the exercise",
    "not_attempted": "the answer cell was left as released (NotImplementedError, 'not solved yet')",
    "error": "the check cell failed otherwise (the answer cell did not define the function, output on stderr)",
}

# Case names the checker gives failures of the answer as a whole (aecourse.exercises.core.Exercise.evaluate).
SPECIAL_CASES = ("written in the notebook", "time limit", "running your code", "all checks")

# The generic comparison failures of aecourse.exercises.expect, each reported under one label.
GENERIC = [(re.compile(pattern), label) for pattern, label in [
    (r"^your result\b.* is not the correct value$", "wrong value"),
    (r"^expected shape ", "wrong shape"),
    (r"^expected dtype ", "wrong dtype"),
    (r"^expected (a|an) ", "wrong type"),
    (r"^your result contains NaN or infinity|^your result is [-+]?(nan|inf)$|, not finite", "not finite"),
]]

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
SEED = re.compile(r"\s*\[check seed (\d+):[^\]]*\]\s*$")  # how to repeat the check, after its last failure
RESULT_HEADER = re.compile(r": (?:correct|incorrect) \(\d+ of \d+ checks passed\)$")


@dataclass(frozen=True)
class Failure:
    """Why a graded cell lost its points.

    Attributes:
        kind: one of :data:`KINDS` (never ``"passed"``).
        key: what groups it with the same failure of other students (:func:`normalise`, or a generic label).
        message: what the learner was told, values included.
        case: the check that failed (``""`` when the cell failed as a whole).
        seed: the check seed the result names (``evaluate(answer, seed=seed)`` repeats that check), or None.
    """

    kind: str
    key: str
    message: str
    case: str = ""
    seed: Optional[int] = None


@dataclass(frozen=True)
class Outcome:
    """One graded cell of one student's autograded notebook.

    Attributes:
        notebook, student: the assignment (notebook name) and the student id.
        grade_id: the cell's nbgrader id; ``exercise``: its label (``"Ex 2 · The reconstruction loss"``).
        position: the cell's index in the notebook (the report lists exercises in this order).
        points, max_points: points given (as nbgrader's autograder gives them) and the cell's points.
        failures: why it lost its points; empty for a pass.
    """

    notebook: str
    student: str
    grade_id: str
    exercise: str
    position: int
    points: float
    max_points: float
    failures: tuple = ()

    @property
    def passed(self):
        """Full marks, nothing failed."""
        return not self.failures and self.points >= self.max_points


def normalise(message):
    """The mistake a message names, without the values of the case it was found on.

    Strips ANSI colours and the learner's quoted code line, and replaces lists by ``[…]``, tuples of
    numbers (shapes) by ``(…)`` and other numbers by ``#``::

        "for a batch of shape (8, 1, 28, 28) you returned a tensor of shape (8,)"
        -> "for a batch of shape (…) you returned a tensor of shape (…)"
    """
    text = ANSI.sub("", message)
    text = re.sub(r"\s*\(your code, line \d+: .*\)\s*$", "", text, flags=re.DOTALL)
    while True:  # innermost brackets first, so [[1, 2], [3]] is one list
        text, replaced = re.subn(r"\[[^\[\]]*\]", "\0", text)
        if not replaced:
            break
    text = text.replace("\0", "[…]")
    text = re.sub(rf"\((?:\s*{NUMBER}\s*,?)*\s*\)", "(…)", text)
    text = re.sub(rf"(?<![\w.]){NUMBER}(?!\w)", "#", text)
    return " ".join(text.split())


def classify(case, why):
    """``Failure`` of one ``FAILED: <case>: <why>`` line of a check's result."""
    if case == "written in the notebook" or why.startswith("your answer calls "):
        return Failure("delegation", normalise(why), why, case)
    if case == "time limit" or why.startswith("your code did not finish within"):
        return Failure("time_limit", normalise(why), why, case)
    if why.startswith("your code raised ") or (case == "running your code" and why.startswith("it raised ")):
        return Failure("crash", normalise(why), why, case)
    if case == "all checks":
        return Failure("error", normalise(why), why, case)
    for pattern, label in GENERIC:
        if pattern.search(why):
            return Failure("wrong", label, why, case)
    return Failure("mistake", normalise(why), why, case)


def _lines(text, prefix):
    """The entries of a check's result (below its first line) that start with ``prefix`` (``"FAILED: "`` or
    ``"passed: "``), without it; a message's continuation lines are joined to it."""
    entries, inside = [], False
    for line in ANSI.sub("", text).splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith(("passed: ", "FAILED: ")):
            inside = stripped.startswith(prefix)
            if inside:
                entries.append(stripped[len(prefix):])
        elif inside and stripped:
            entries[-1] += " " + stripped
    return entries


def _split(entry, known):
    """``(case, why)`` of ``"<case>: <why>"``: at the longest known case name, else at the first ``": "``."""
    for name in sorted(set(known) | set(SPECIAL_CASES), key=len, reverse=True):
        if entry.startswith(name + ": "):
            return name, entry[len(name) + 2:]
    case, _, why = entry.partition(": ")
    return (case, why) if why else ("", entry)


def _error(cell):
    """The cell's first error output, or None."""
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def _points(cell, max_points):
    """Points of an autograded test cell, by nbgrader's rule (``nbgrader.utils.determine_grade``): 0 for an
    error or anything on stderr, a number shown as the cell's result, else full points."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" or (output.get("output_type") == "stream"
                                                    and output.get("name") == "stderr"):
            return 0.0
        if output.get("output_type") == "execute_result":
            try:
                value = float("".join(output.get("data", {}).get("text/plain", "")))
            except ValueError:
                return max_points
            return min(value, max_points) if value >= 0 else max_points
    return max_points


def failures(cell, known=()):
    """Why a graded cell lost its points: a tuple of :class:`Failure` (empty if it did not).

    ``known``: names of the cell's checks (cases), to split ``<case>: <why>`` where a name holds ``": "``;
    the checks this cell passed are always known.
    """
    error = _error(cell)
    if error is None:
        if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.get("outputs", [])):
            message = "the check cell wrote to stderr, which nbgrader scores 0"
            return (Failure("error", message, message),)
        return ()
    name, value = error.get("ename", ""), ANSI.sub("", error.get("evalue", "")).strip()
    first_line = value.splitlines()[0] if value else ""
    if name == "NotImplementedError" or first_line.endswith("not solved yet."):
        return (Failure("not_attempted", "not solved yet", first_line or name),)
    failed = _lines(value, "FAILED: ")
    if name == "AssertionError" and failed:
        known = set(known) | set(_lines(value, "passed: "))
        found = []
        for entry in failed:
            seed = SEED.search(entry)
            failure = classify(*_split(entry[:seed.start()] if seed else entry, known))
            if seed:
                failure = replace(failure, seed=int(seed.group(1)))
            if (failure.kind, failure.key) not in {(f.kind, f.key) for f in found}:  # once, on however many cases
                found.append(failure)
        return tuple(found)
    if name == "AssertionError" and not RESULT_HEADER.search(first_line):
        message = f"a hidden test failed: {value}" if value else "a hidden test failed"
        return (Failure("hidden_test", normalise(message), message),)
    message = f"{name}: {value}" if value else name
    return (Failure("error", normalise(message), message),)


def graded_cells(notebook):
    """``[(index, cell)]`` of the notebook's autograded test cells: code cells with nbgrader ``grade``,
    not ``solution`` (a manually graded answer has no autograded points)."""
    return [(i, c) for i, c in enumerate(notebook.cells) if anatomy.is_check(c)
            and not anatomy.nbgrader_metadata(c).get("solution")]


def labels(notebook):
    """``{cell index: "Ex N · title"}`` of the notebook's exercise check cells (their statements' headings),
    and ``"Q N · title"`` of its graded questions'."""
    names = {e.check: f"Ex {e.number} · {e.title}" if e.number is not None else e.name
             for e in anatomy.exercises(notebook) if e.check is not None}
    names.update({q.check: f"Q {q.number} · {q.title}" if q.number is not None else q.name
                  for q in anatomy.questions(notebook) if q.check is not None})
    return names


def outcomes(notebook, student="", assignment="", known=None):
    """One :class:`Outcome` per autograded test cell of one student's autograded notebook.

    Args:
        notebook: the autograded notebook (``nbformat`` node), outputs included.
        student, assignment: recorded in each outcome.
        known: ``{grade_id: case names}`` of the checks (see :func:`failures`); optional.
    """
    names, known = labels(notebook), known or {}
    found = []
    for index, cell in graded_cells(notebook):
        meta = anatomy.nbgrader_metadata(cell)
        grade_id, max_points = meta.get("grade_id", f"cell-{index}"), float(meta.get("points", 0))
        found.append(Outcome(assignment, student, grade_id, names.get(index, grade_id), index,
                             _points(cell, max_points), max_points, failures(cell, known.get(grade_id, ()))))
    return found


def class_outcomes(autograded):
    """Outcomes of a batch: ``autograded`` maps ``(student, assignment)`` to an autograded notebook (or its path).

    A case name holding ``": "`` ("a network with no layer at all: [784]") is recognised in a failure
    when any student's check passed it.
    """
    notebooks = {key: nb if isinstance(nb, nbformat.NotebookNode) else nbformat.read(str(nb), as_version=4)
                 for key, nb in autograded.items()}
    known = defaultdict(set)  # (assignment, grade_id) -> case names seen passing
    for (student, assignment), notebook in notebooks.items():
        for _, cell in graded_cells(notebook):
            error = _error(cell)
            if error is not None:
                known[assignment, anatomy.nbgrader_metadata(cell).get("grade_id")].update(
                    _lines(error.get("evalue", ""), "passed: "))
    return [outcome for (student, assignment), notebook in sorted(notebooks.items())
            for outcome in outcomes(notebook, student, assignment,
                                    {gid: names for (a, gid), names in known.items() if a == assignment})]


def summarise(found):
    """The rows of ``report.csv`` (dictionaries with :data:`COLUMNS`) from a batch's outcomes.

    One row per notebook, exercise and kind of outcome (:data:`KINDS`) with its message: first the
    ``passed`` row, then every failure, most common first. The exercise's own figures (``points``: its
    points; ``submissions``; ``pass_rate``: fraction with full marks, 0-1; ``mean_points``) repeat on each
    of its rows, so any row reads alone. ``count``: submissions with it; ``message``: the failure as
    the learners read it when they all read the same words, else its :func:`normalise`-d form;
    ``example``: one learner's message, values included.
    """
    cells = defaultdict(list)
    for outcome in found:
        cells[outcome.notebook, outcome.grade_id].append(outcome)
    rows = []
    for (notebook, grade_id), group in sorted(cells.items(), key=lambda item: (item[0][0], item[1][0].position)):
        n = len(group)
        common = dict(notebook=notebook, exercise=group[0].exercise, grade_id=grade_id,
                      points=f"{group[0].max_points:g}", submissions=n,
                      pass_rate=round(sum(o.passed for o in group) / n, 4),
                      mean_points=round(sum(o.points for o in group) / n, 4))
        rows.append(dict(common, kind="passed", message="", count=sum(o.passed for o in group), example=""))
        counts, messages = Counter(), defaultdict(list)
        for outcome in group:
            for failure in outcome.failures:
                counts[failure.kind, failure.key] += 1
                messages[failure.kind, failure.key].append(failure.message)
        order = list(KINDS)
        for (kind, key), count in sorted(counts.items(), key=lambda item: (order.index(item[0][0]), -item[1],
                                                                            item[0][1])):
            said = messages[kind, key]
            message = said[0] if len(set(said)) == 1 and kind not in ("wrong", "not_attempted") else key
            rows.append(dict(common, kind=kind, message=message, count=count, example=said[0]))
    return rows


def chart(rows, path):
    """Save a horizontal bar chart of the pass rate (%) of each exercise in ``rows`` (one notebook) as a PNG."""
    from matplotlib.figure import Figure  # no pyplot: nothing is shown, no backend is chosen

    exercises = [r for r in rows if r["kind"] == "passed"]
    names = [r["exercise"] for r in exercises][::-1]  # the first exercise on top
    rates = [100 * r["pass_rate"] for r in exercises][::-1]
    figure = Figure(figsize=(7, 0.45 * len(names) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    bars = axes.barh(names, rates, color="tab:blue")
    axes.bar_label(bars, labels=[f"{rate:.0f}%" for rate in rates], padding=3)
    axes.set_xlim(0, 118)  # room for the 100% label
    axes.set_xlabel(f"pass rate, % of {exercises[0]['submissions']} submissions (full marks)")
    axes.set_title(exercises[0]["notebook"])
    figure.savefig(path, dpi=100)
    return path


COUNTED = [("not_attempted", "not attempted"), ("crash", "crashed"), ("time_limit", "time limit"),
           ("delegation", "delegated")]


def markdown(rows, charts, top=5):
    """The Markdown page: per notebook its chart, a table of its exercises and their most common mistakes.

    ``charts``: ``{notebook: chart file name}``; ``top``: named mistakes listed per exercise.
    """
    notebooks = list(dict.fromkeys(r["notebook"] for r in rows))
    students = max((r["submissions"] for r in rows), default=0)
    page = ["# Class report", "",
            f"What the autograder saw in {len(notebooks)} notebook(s), up to {students} submission(s) each. "
            "A pass is full marks on the exercise's check cell. Counts are submissions: one that makes the same "
            "mistake on several checks counts once, one with two different mistakes counts under both. "
            f"Every row is in `{REPORT_CSV}`.", ""]
    for notebook in notebooks:
        mine = [r for r in rows if r["notebook"] == notebook]
        exercises = list(dict.fromkeys(r["grade_id"] for r in mine))
        page += [f"## {notebook}", "", f"![pass rate per exercise]({charts[notebook]})", "",
                 "| exercise | points | passed | mean points | " + " | ".join(t for _, t in COUNTED) + " |",
                 "|---|--:|--:|--:|" + "--:|" * len(COUNTED)]
        notes = []
        for grade_id in exercises:
            of = [r for r in mine if r["grade_id"] == grade_id]
            head = of[0]  # the "passed" row
            count = {kind: sum(r["count"] for r in of if r["kind"] == kind) for kind, _ in COUNTED}
            page.append(f"| {head['exercise']} | {head['points']} | {head['count']}/{head['submissions']} "
                        f"({100 * head['pass_rate']:.0f}%) | {head['mean_points']:.2f} | "
                        + " | ".join(str(count[kind]) for kind, _ in COUNTED) + " |")
            named = [r for r in of if r["kind"] == "mistake"][:top]
            other = [r for r in of if r["kind"] in ("wrong", "hidden_test", "error")]
            if named or other:
                notes.append(f"- **{head['exercise']}**")
                notes += [f"  - {r['count']} × {r['message']}" for r in named]
                if other:
                    notes.append("  - other failed checks: " + ", ".join(f"{r['message']} ({r['count']})"
                                                                        for r in other))
        page += (["", "Most common mistakes (submissions):", ""] + notes) if notes else []
        page.append("")
    return "\n".join(page)


def write(found, out_dir):
    """Write ``report.csv``, ``report.md`` and ``report-<notebook>.png`` for ``found`` outcomes into ``out_dir``.

    Returns:
        ``{"csv": path, "markdown": path, "charts": [paths]}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = summarise(found)
    with open(out_dir / REPORT_CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    charts = {}
    for notebook in dict.fromkeys(r["notebook"] for r in rows):
        charts[notebook] = f"report-{notebook}.png"
        chart([r for r in rows if r["notebook"] == notebook], out_dir / charts[notebook])
    (out_dir / REPORT_MD).write_text(markdown(rows, charts))
    return {"csv": out_dir / REPORT_CSV, "markdown": out_dir / REPORT_MD,
            "charts": [out_dir / name for name in charts.values()]}
