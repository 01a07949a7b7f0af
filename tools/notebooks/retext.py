"""Change Markdown text in a notebook *and* its builder, without re-running the notebook.

    python tools/notebooks/retext.py 05 "old text" "new text"

For prose only: the old text must occur exactly once in a Markdown cell of the executed notebook
and once in the builder, so the two stay the same; code changes need `make execute`. Notebooks
without a builder (01-04, edited directly) have only the notebook changed.
"""
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


def retext(number, old, new):
    [path] = (HERE.parents[1] / "notebooks").glob(f"{number}_*.ipynb")
    builder = HERE / f"nb{number}.py"
    notebook = nbformat.read(str(path), as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "markdown" and old in c.source]
    text = builder.read_text(encoding="utf-8") if builder.exists() else None
    if len(cells) != 1 or (text is not None and text.count(old) != 1):
        times = text.count(old) if text is not None else "no"
        sys.exit(f"'{old[:60]}...' occurs in {len(cells)} Markdown cells and {times} times in {builder.name}; "
                 "it must occur exactly once in each.")
    cells[0].source = cells[0].source.replace(old, new)
    nbformat.write(notebook, str(path))
    if text is not None:
        builder.write_text(text.replace(old, new), encoding="utf-8")
    print(f"changed {path.name}" + (f" and {builder.name}" if text is not None else ""))


if __name__ == "__main__":
    retext(*sys.argv[1:4])
