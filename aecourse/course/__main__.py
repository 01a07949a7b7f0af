"""Command line: ``python -m aecourse.course {lint,points,slides}`` (see :mod:`aecourse.course`)."""
import argparse
import sys
from pathlib import Path

from ..paths import CourseFolderNotFound
from . import anatomy, slides
from .lint import RULES, lint

POINTS_BEGIN = "<!-- points table: begin (python -m aecourse.course points notebooks/ --update FILE) -->"
POINTS_END = "<!-- points table: end -->"


def updated(text, table, path):
    """``text`` with the points table between the markers replaced by ``table``."""
    if POINTS_BEGIN not in text or POINTS_END not in text:
        raise ValueError(f"{path} has no points-table markers; add the lines\n{POINTS_BEGIN}\n{POINTS_END}")
    head, rest = text.split(POINTS_BEGIN, 1)
    return f"{head}{POINTS_BEGIN}\n{table}\n{POINTS_END}{rest.split(POINTS_END, 1)[1]}"


def slides_command(args):
    """``slides``: split cells at headings and propose slide types where cells have none (written with --write)."""
    for notebook_path in anatomy.notebook_paths(args.paths):
        notebook = anatomy.read(notebook_path)
        before = len(notebook.cells)
        notebook.cells = slides.split_at_headings(notebook.cells)
        split, changed = len(notebook.cells) - before, slides.propose(notebook)
        if (split or changed) and args.write:
            import nbformat

            nbformat.write(notebook, str(notebook_path))
        verb = "" if args.write else "would have "
        print(f"{notebook_path}: {verb}split {split} cells at headings, {verb}given {changed} cells a slide type")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aecourse.course",
                                     description="The course's notebooks: conventions, points, slide types.")
    commands = parser.add_subparsers(dest="command", required=True)
    lint_parser = commands.add_parser("lint", help="check that notebooks follow the course's conventions",
                                      epilog="rules: " + "; ".join(f"{k}: {v}" for k, v in RULES.items()))
    lint_parser.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    points_parser = commands.add_parser("points", help="the points of every notebook, as a Markdown table")
    points_parser.add_argument("notebooks", help="folder of notebooks")
    points_parser.add_argument("--update", nargs="+", metavar="FILE", help="rewrite the table in these files")
    slides_parser = commands.add_parser("slides", help="propose slide types for cells that have none")
    slides_parser.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    slides_parser.add_argument("--write", action="store_true", help="write the proposed types into the notebooks")
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            problems = lint(args.paths)
            print("\n".join(problems) if problems else "All notebooks follow the conventions.")
            sys.exit(1 if problems else 0)
        if args.command == "slides":
            sys.exit(slides_command(args))
        if args.command == "points":
            table = anatomy.points_table(args.notebooks)
            for path in map(Path, args.update or []):
                path.write_text(updated(path.read_text(encoding="utf-8"), table, path), encoding="utf-8")
                print(f"updated the points table in {path}")
            if not args.update:
                print(table)
    except (CourseFolderNotFound, FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
