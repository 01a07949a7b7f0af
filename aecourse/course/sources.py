"""Every course notebook has one text source: ``NN_name.md`` (MyST Markdown) beside ``NN_name.ipynb``.

The ``.md`` file is what people write and review: prose, code and each cell's metadata (nbgrader's
answer and check cells, slide types, tags) as text. The ``.ipynb`` is the same notebook executed, with
the outputs readers see. jupytext pairs them (``notebooks/jupytext.toml``): JupyterLab saves both,
``make sync`` brings one up to date with the other, and ``make execute NB=05`` syncs and runs.

:func:`differences` is how the conventions check (and so the tests) finds a pair that disagrees:
a cell added, removed or moved, a changed line of code or prose, a changed tag or nbgrader field.
"""
from pathlib import Path

import jupytext
import nbformat

FORMAT = "md:myst"
# What a run writes into a cell's metadata: kept in the executed notebook only, never in the text.
RUN_METADATA = {"execution", "ExecuteTime", "collapsed", "scrolled", "trusted"}


def text_source(notebook_path):
    """The text source paired with a notebook: the same name with ``.md``."""
    return Path(notebook_path).with_suffix(".md")


def _cells(notebook):
    return [(cell.cell_type, cell.source, {k: v for k, v in cell.metadata.items() if k not in RUN_METADATA})
            for cell in notebook.cells]


def differences(notebook_path):
    """How a notebook and its text source disagree, in sentences (empty when they agree)."""
    notebook_path, text_path = Path(notebook_path), text_source(notebook_path)
    if not text_path.exists():
        return [f"it has no text source {text_path.name} (run: make sync)"]
    executed = _cells(nbformat.read(str(notebook_path), as_version=4))
    written = _cells(jupytext.read(text_path, fmt=FORMAT))
    found = []
    if len(executed) != len(written):
        found.append(f"{len(executed)} cells, its text source {text_path.name} {len(written)}")
    for index, (a, b) in enumerate(zip(executed, written)):
        for part, x, y in zip(("type", "input", "metadata"), a, b):
            if x != y:
                found.append(f"cell {index}'s {part} differs from {text_path.name}'s")
        if len(found) >= 3:
            break
    return found
