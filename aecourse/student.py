"""Generate the student version of notebooks, as nbgrader's release step would.

Solutions between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` become
``raise NotImplementedError()``, hidden tests are removed and outputs cleared,
with nbgrader's own preprocessors. Usage::

    python -m aecourse.student notebooks/ build/student/
"""
import sys
from pathlib import Path

import nbformat


def student_version(notebook):
    """Return a student copy of a notebook node (the argument is not changed)."""
    try:
        from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions
    except ImportError as error:
        raise ImportError("Generating student notebooks needs nbgrader: pip install -e '.[instructor]'") from error
    notebook = nbformat.from_dict(notebook)
    resources = {}
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def write_student_versions(source_dir, target_dir):
    """Write the student version of every ``*.ipynb`` in ``source_dir`` to ``target_dir``; return their paths."""
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source_dir.glob("*.ipynb")):
        target = target_dir / path.name
        nbformat.write(student_version(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m aecourse.student SOURCE_DIR TARGET_DIR")
    for path in write_student_versions(*sys.argv[1:]):
        print(f"wrote {path}")
