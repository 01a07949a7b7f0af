"""Results tables: our numbers beside the published ones, per notebook and for the whole course.

In a notebook::

    results = Results()
    results.add("PCA, 30 components", ours=pca_error, published=13.87, unit="squared error per image",
                source="Hinton & Salakhutdinov 2006, Fig. 2", better="lower")
    results.add("deep autoencoder", ours=[3.80, 3.91, 3.85], published=3.00, ...)  # one value per seed
    results  # the last line of a cell: shows the table

``ours`` is a number, or a list of numbers from several runs (seeds), shown as
mean ± standard deviation. The verdict compares ours with the published value:
"matches" within the spread of our runs (or 1 % when there is one run), else
"better"/"worse" when ``better`` says which direction is good.

The displayed table also carries its rows as JSON (MIME type
``application/vnd.aecourse.results+json``), so the numbers can be read back from an
executed notebook::

    python -m aecourse.results notebooks/           # the course-wide table, as Markdown
    python -m aecourse.results notebooks/ --json    # the rows as JSON
    python -m aecourse.results notebooks/ --update README.md   # rewrite the README's copy
"""
import argparse
import html
import json
import math
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

MIME = "application/vnd.aecourse.results+json"
BEGIN, END = "<!-- results table: begin (python -m aecourse.results notebooks/ --update README.md) -->", \
    "<!-- results table: end -->"
DIRECTIONS = (None, "lower", "higher")
MATCH_TOLERANCE = 0.01  # relative, for a single run


@dataclass
class Row:
    """One number of ours, against a published one where there is one.

    Attributes:
        quantity: what is measured, e.g. "PCA, 30 components, MNIST test set".
        ours: our value (the mean over runs when there were several).
        spread: standard deviation over runs (None for a single run).
        runs: how many runs ``ours`` averages.
        published: the published value, or None.
        source: who published it (author, year, where), or how ours was obtained.
        unit: e.g. "squared error per image", "dB", "%".
        better: "lower", "higher" or None.
        profile: the run profile the value comes from.
        verdict: "matches", "better", "worse", "differs" or "" (nothing to compare with).
        note: anything a reader must know to read the row.
        digits: decimals shown (None: 1 from 100 up, 2 from 1 up, 3 significant digits below 1).
    """

    quantity: str
    ours: float
    spread: float = None
    runs: int = 1
    published: float = None
    source: str = ""
    unit: str = ""
    better: str = None
    profile: str = ""
    verdict: str = ""
    note: str = ""
    digits: int = None


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}.")
    return float(value)


def verdict(ours, published, spread=None, better=None):
    """How ``ours`` compares with ``published``: "matches", "better", "worse", "differs" or ""."""
    if published is None:
        return ""
    tolerance = spread if spread else MATCH_TOLERANCE * abs(published)
    if abs(ours - published) <= tolerance:
        return "matches"
    if better is None:
        return "differs"
    return "better" if (ours < published) == (better == "lower") else "worse"


def format_value(value, spread=None, runs=1, digits=None):
    """``13.87``, ``105.6``, ``0.0135``, or ``3.85 ± 0.06 (3 runs)``; ``digits`` fixes the decimals."""
    if value is None:
        return ""
    if digits is not None:
        text = f"{value:.{digits}f}"
    elif abs(value) >= 100:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    if spread is not None:
        text += f" ± {spread:.2g} ({runs} runs)"
    return text


class Results:
    """A notebook's results table: add rows, then show it as the last line of a cell."""

    def __init__(self, title="Results: ours against the published numbers"):
        self.title, self.rows = title, []

    def add(self, quantity, ours, *, published=None, source="", unit="", better=None, note="", digits=None):
        """Add a row; ``ours`` is a number or a list of numbers from several runs. Returns the row."""
        from .profile import get_profile

        if better not in DIRECTIONS:
            raise ValueError(f"better must be one of {DIRECTIONS}, got {better!r}.")
        if isinstance(ours, (list, tuple)):
            values = [_number(v, f"each value of ours for {quantity!r}") for v in ours]
            if not values:
                raise ValueError(f"ours for {quantity!r} is an empty list.")
            mean = statistics.fmean(values)
            spread = statistics.stdev(values) if len(values) > 1 else None
        else:
            values, mean, spread = [ours], _number(ours, f"ours for {quantity!r}"), None
        if published is not None:
            published = _number(published, f"published for {quantity!r}")
        row = Row(quantity, mean, spread, len(values), published, source, unit, better, get_profile().name,
                  verdict(mean, published, spread, better), note, digits)
        self.rows.append(row)
        return row

    def to_json(self):
        return {"title": self.title, "rows": [asdict(row) for row in self.rows]}

    def to_markdown(self):
        return markdown_table(self.rows)

    def _repr_html_(self):
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in _cells(row)) + "</tr>" for row in self.rows)
        head = "".join(f"<th>{name}</th>" for name in COLUMNS)
        return (f"<table><caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": f"{self.title}\n{self.to_markdown()}", "text/html": self._repr_html_(),
                MIME: self.to_json()}


COLUMNS = ("quantity", "unit", "ours", "published", "source", "verdict", "profile")


def _cells(row):
    quantity = row.quantity + (f" ({row.note})" if row.note else "")
    return (quantity, row.unit, format_value(row.ours, row.spread, row.runs, row.digits),
            format_value(row.published, digits=row.digits), row.source, row.verdict, row.profile)


def markdown_table(rows, notebook_column=None):
    """Rows as a Markdown table; ``notebook_column`` gives each row's notebook in a first column."""
    columns = (("notebook",) if notebook_column else ()) + COLUMNS
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for i, row in enumerate(rows):
        cells = ((notebook_column[i],) if notebook_column else ()) + tuple(_cells(row))
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def read_notebook(path):
    """The rows of the last results table shown in an executed notebook (``[]`` if it shows none)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            if MIME in output.get("data", {}):
                found = output["data"][MIME]["rows"]
    return [Row(**{"digits": None, **row}) for row in found]


def course_rows(notebooks_dir):
    """``[(notebook name, Row)]`` of every notebook in ``notebooks_dir``, in order."""
    paths = sorted(Path(notebooks_dir).glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"No notebooks in {notebooks_dir}.")
    return [(path.stem, row) for path in paths for row in read_notebook(path)]


def course_table(notebooks_dir):
    """The course-wide results table, as Markdown."""
    rows = course_rows(notebooks_dir)
    return markdown_table([row for _, row in rows], notebook_column=[name[:2] for name, _ in rows])


def updated_readme(text, table):
    """``text`` with the part between the results markers replaced by ``table``."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"The README has no results markers; add the lines\n{BEGIN}\n{END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aecourse.results",
                                     description="The course's results tables, read from executed notebooks.")
    parser.add_argument("notebooks", help="folder of executed notebooks, e.g. notebooks/")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--update", metavar="README", help="rewrite the results table in this Markdown file")
    args = parser.parse_args(argv)
    try:
        if args.json:
            print(json.dumps([{"notebook": name, **asdict(row)} for name, row in course_rows(args.notebooks)],
                             indent=1))
        elif args.update:
            readme = Path(args.update)
            readme.write_text(updated_readme(readme.read_text(encoding="utf-8"), course_table(args.notebooks)),
                              encoding="utf-8")
            print(f"updated the results table in {readme}")
        else:
            print(course_table(args.notebooks))
    except (OSError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
