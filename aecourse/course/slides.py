"""Slide structure: every notebook can be shown as slides (nbconvert, RISE), one rule for all.

Each cell carries ``metadata.slideshow.slide_type`` (Jupyter's slideshow vocabulary).
:func:`proposed` gives the type the course's rule chooses for a cell:

- the title cell and each cell with a ``## `` section heading start a new **slide**;
- an exercise statement (``### Exercise N · ...``), a cell that shows a widget, and any other
  Markdown cell of more than ``SHORT_LINES`` lines start a **subslide** (a slide of their own,
  below the section's first, so a lecturer can step through a section or skip it);
- the set-up cell (``aecourse.setup(...)``) is **skipped**: it still runs, but is not shown;
- everything else (code, figures, a short sentence, an exercise's answer and check cells) stays
  on the slide above it (``-``).

A slide starts with a cell, so a heading must start its cell: :func:`split_at_headings` cuts
a Markdown cell in two before every ``##`` or ``###`` heading that does not open it.
:func:`propose` fills in the rule's type where a cell has none and keeps what an author chose;
``python -m aecourse.course slides notebooks/ --write`` does both for the course, and the
conventions check (lint) requires every cell to have a type and the headings to start slides.
"""
import re

import nbformat

from . import anatomy

TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
SHORT_LINES = 3
WIDGET = re.compile(r"^\w+(Explorer|Browser|Snapshots)\(", re.MULTILINE)  # a cell whose last call shows a widget
HEADING = re.compile(r"^## ", re.MULTILINE)
ANY_HEADING = re.compile(r"^#{2,3} ", re.MULTILINE)


def _inner_headings(text):
    return [m.start() for m in ANY_HEADING.finditer(text) if m.start() > 0]


def split_at_headings(cells):
    """Cut Markdown cells in two before each heading that does not open them; return the new list of cells."""
    result = []
    for cell in cells:
        text = anatomy.source(cell)
        cuts = _inner_headings(text) if cell.cell_type == "markdown" else []
        if not cuts:
            result.append(cell)
            continue
        pieces = [text[a:b].strip("\n") for a, b in zip([0] + cuts, cuts + [len(text)])]
        cell.source = pieces[0]
        result.append(cell)
        result += [nbformat.v4.new_markdown_cell(piece) for piece in pieces[1:]]
    return result


def slide_type(cell):
    """The type a cell has now, or None."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def proposed(notebook, index):
    """The slide type the course's rule gives cell ``index`` of ``notebook``."""
    cell = notebook.cells[index]
    text = anatomy.source(cell)
    if cell.cell_type == "markdown":
        if index == 0 or HEADING.search(text):
            return "slide"
        if anatomy.EXERCISE_HEADING.search(text) or len(text.strip().splitlines()) > SHORT_LINES:
            return "subslide"
        return "-"
    first_code = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    if index == first_code and anatomy.SETUP_CALL.search(text):
        return "skip"
    if WIDGET.search(text) and not anatomy.is_check(cell):
        return "subslide"
    return "-"


def propose(notebook):
    """Give every cell without a slide type the rule's type; return how many cells changed."""
    changed = 0
    for index, cell in enumerate(notebook.cells):
        if slide_type(cell) is None:
            cell.setdefault("metadata", {})["slideshow"] = {"slide_type": proposed(notebook, index)}
            changed += 1
    return changed


def problems(notebook):
    """What breaks the slide structure: ``[message]``, empty when every cell is in order."""
    found = []
    mixed = [i for i, c in enumerate(notebook.cells)
             if c.cell_type == "markdown" and _inner_headings(anatomy.source(c))]
    if mixed:
        found.append(f"cells {mixed} have a heading after other text: a heading must start its cell, so that it can "
                     "start a slide (python -m aecourse.course slides notebooks/ --write splits them)")
    missing = [i for i, c in enumerate(notebook.cells) if slide_type(c) is None]
    if missing:
        found.append(f"cells {missing[:8]}{'...' if len(missing) > 8 else ''} have no slide type "
                     "(python -m aecourse.course slides notebooks/ --write proposes them)")
    unknown = [i for i, c in enumerate(notebook.cells) if slide_type(c) not in TYPES + (None,)]
    if unknown:
        found.append(f"cells {unknown} have a slide type that is not one of {TYPES}")
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and (index == 0 or HEADING.search(anatomy.source(cell))) \
                and slide_type(cell) not in (None, "slide"):
            found.append(f"cell {index} starts a section but its slide type is {slide_type(cell)!r}, not 'slide'")
    return found
