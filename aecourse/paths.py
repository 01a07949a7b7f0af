"""Where the course's folders are, whether the package runs from a checkout or is installed.

The course folder holds ``data/`` (the bundled datasets) and ``notebooks/``. It is
found in this order:

1. ``$AECOURSE_ROOT``, when set;
2. the source checkout this package runs from (a clone, or an editable install);
3. the current folder or one of its parents (a notebook runs in ``notebooks/``, one
   level below the course folder).

An installed package (a wheel in site-packages) has no course folder of its own, so
it relies on 2 or 3, or on ``$AECOURSE_DATA`` for the data alone (see :mod:`aecourse.data`).

What the course keeps between sessions (downloads through torchvision, instant mode's trained
models) lives under one folder, :func:`cache_root`: the user's cache folder from platformdirs.
"""
import os
from pathlib import Path

ROOT_ENV = "AECOURSE_ROOT"
MARKERS = ("data", "notebooks")


def cache_root():
    """The course's cache folder: the user's cache folder for "aecourse" (``~/.cache/aecourse`` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("aecourse"))


def shown(path):
    """``path`` as a message shows it: the home folder as ``~``, so no message names somebody's machine."""
    path, home = Path(path), Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


class CourseFolderNotFound(FileNotFoundError):
    """No course folder (with ``data/`` and ``notebooks/``) could be found."""


def _is_course_folder(folder):
    return all((folder / marker).is_dir() for marker in MARKERS)


def course_root(required=True):
    """The course folder, as a resolved ``Path``.

    Args:
        required: raise :class:`CourseFolderNotFound` when there is none (else return None).
    """
    if os.environ.get(ROOT_ENV):
        root = Path(os.environ[ROOT_ENV]).expanduser().resolve()
        if _is_course_folder(root):
            return root
        raise CourseFolderNotFound(f"{ROOT_ENV}={root} is not a course folder: it must hold "
                                   f"{' and '.join(m + '/' for m in MARKERS)}.")
    checkout = Path(__file__).resolve().parent.parent
    here = Path.cwd().resolve()
    for folder in (checkout, here, *here.parents):
        if _is_course_folder(folder):
            return folder
    if required:
        raise CourseFolderNotFound(
            "Could not find the course folder (the one with data/ and notebooks/). Run from inside it "
            f"(`cd path/to/aecourse`), or set {ROOT_ENV}=path/to/aecourse.")
    return None
