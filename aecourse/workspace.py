"""The learner's workspace: the self-study student version of every notebook, made once and never overwritten.

``make lab`` opens ``workspace/`` in the course folder. Its notebooks have empty answer cells and no hidden
tests; a check offers the worked solution only after a failed attempt. A notebook added to the course later
is added to the workspace; a notebook already there is the learner's and is left as it is.
``make reset NB=03`` replaces one notebook with a fresh copy, after asking, and keeps the old one in
``workspace/.replaced/``.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .grading.pipeline import GradingError, notebooks_dir, release
from .paths import CourseFolderNotFound, course_root


def workspace_dir():
    """The learner's workspace, ``workspace/`` in the course folder."""
    return course_root() / "workspace"


def _student_versions(names, notebooks):
    """Release self-study student versions of the notebooks ``names`` in a scratch nbgrader course."""
    with tempfile.TemporaryDirectory(prefix="aecourse-workspace-") as scratch:
        scratch = Path(scratch)
        course, sources, released = scratch / "course", scratch / "notebooks", scratch / "student"
        course.mkdir()
        sources.mkdir()
        shutil.copy(course_root() / "course" / "nbgrader_config.py", course)
        for name in names:
            shutil.copy(notebooks / name, sources / name)
        for path in release(course, sources, student_dir=released, graded=False):
            yield path


def update(workspace=None, notebooks=None):
    """Add the student version of every course notebook the workspace does not have yet.

    Args:
        workspace: the folder (default :func:`workspace_dir`), created if needed.
        notebooks: the course notebooks (default :func:`notebooks_dir`).

    Returns:
        (added, kept): the notebook names added now and those the workspace already had, untouched.
    """
    workspace, notebooks = Path(workspace or workspace_dir()), Path(notebooks or notebooks_dir())
    workspace.mkdir(parents=True, exist_ok=True)
    names = sorted(path.name for path in notebooks.glob("*.ipynb"))
    missing = [name for name in names if not (workspace / name).exists()]
    if missing:
        for path in _student_versions(missing, notebooks):
            shutil.copy(path, workspace / path.name)
    return missing, [name for name in names if name not in missing]


def find(number, notebooks=None):
    """The course notebook whose name starts with ``number`` (e.g. ``"03"``): its file name."""
    notebooks = Path(notebooks or notebooks_dir())
    matches = sorted(path.name for path in notebooks.glob(f"{number}_*.ipynb"))
    if len(matches) != 1:
        known = ", ".join(path.name[:2] for path in sorted(notebooks.glob("*.ipynb")))
        raise GradingError(f"No single course notebook numbered {number!r}; the notebooks are {known}.")
    return matches[0]


def reset(number, workspace=None, notebooks=None):
    """Replace the workspace's notebook ``number`` with a fresh student version.

    The replaced notebook is moved to ``workspace/.replaced/<name>-<time>.ipynb``, never deleted.

    Returns:
        (path, kept): the fresh notebook, and where the old one went (None if there was none).
    """
    workspace, notebooks = Path(workspace or workspace_dir()), Path(notebooks or notebooks_dir())
    name = find(number, notebooks)
    kept = None
    if (workspace / name).exists():
        kept = workspace / ".replaced" / f"{name[:-len('.ipynb')]}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(workspace / name, kept)
    update(workspace, notebooks)
    return workspace / name, kept


def command(args):
    """``workspace``: add missing notebooks, or reset one after asking; returns the exit status."""
    folder = Path(args.dir) if args.dir else workspace_dir()
    if args.reset:
        name = find(args.reset)
        if (folder / name).exists() and not args.yes:
            answer = input(f"Replace {folder / name} with a fresh copy? Your answers in it are moved to "
                           f"{folder / '.replaced'}/. [y/N] ") if sys.stdin.isatty() else ""
            if answer.strip().lower() not in ("y", "yes"):
                why = "" if sys.stdin.isatty() else " (Not asked: no terminal; add --yes, or YES=1 to make reset.)"
                print("Nothing changed." + why)
                return 1
        path, kept = reset(args.reset, folder)
        print(f"fresh copy: {path}" + (f"; your previous version: {kept}" if kept else ""))
        return 0
    added, kept = update(folder)
    for name in added:
        print(f"added {folder / name}")
    print(f"workspace {folder}: {len(added)} notebooks added, {len(kept)} of yours kept as they are")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aecourse.workspace",
                                     description="Make or update the learner's workspace (make lab).")
    parser.add_argument("--reset", metavar="NN", help="replace notebook NN with a fresh copy, after asking")
    parser.add_argument("--yes", action="store_true", help="with --reset: do not ask")
    parser.add_argument("--dir", help="the workspace folder (default workspace/ in the course folder)")
    try:
        sys.exit(command(parser.parse_args(argv)))
    except (GradingError, CourseFolderNotFound, FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
