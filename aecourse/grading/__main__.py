"""Command line: ``python -m aecourse.grading {release,grade,lint,points}`` (see :mod:`aecourse.grading`)."""
import argparse
import sys
from pathlib import Path

from ..paths import CourseFolderNotFound, course_root
from . import anatomy
from .lint import RULES, lint
from .pipeline import GradingError, grade, release

POINTS_BEGIN = "<!-- points table: begin (python -m aecourse.grading points notebooks/ --update FILE) -->"
POINTS_END = "<!-- points table: end -->"


def updated(text, table, path):
    """``text`` with the points table between the markers replaced by ``table``."""
    if POINTS_BEGIN not in text or POINTS_END not in text:
        raise ValueError(f"{path} has no points-table markers; add the lines\n{POINTS_BEGIN}\n{POINTS_END}")
    head, rest = text.split(POINTS_BEGIN, 1)
    return f"{head}{POINTS_BEGIN}\n{table}\n{POINTS_END}{rest.split(POINTS_END, 1)[1]}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aecourse.grading",
                                     description="Graded exercises: nbgrader releases, autograding, conventions.")
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="generate the student version of every notebook")
    release_parser.add_argument("--to", help="folder for the student notebooks (default build/student)")
    release_parser.add_argument("--self-study", action="store_true",
                                help="not a graded release: the check widgets may show solutions")
    grade_parser = commands.add_parser("grade", help="autograde a folder of submissions")
    grade_parser.add_argument("submissions", help="folder with one subfolder of notebooks per student")
    grade_parser.add_argument("--out", help="folder for grades.csv and feedback (default build/grades)")
    lint_parser = commands.add_parser("lint", help="check that notebooks follow the course's conventions",
                                      epilog="rules: " + "; ".join(f"{k}: {v}" for k, v in RULES.items()))
    lint_parser.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    points_parser = commands.add_parser("points", help="the points of every notebook, as a Markdown table")
    points_parser.add_argument("notebooks", help="folder of notebooks")
    points_parser.add_argument("--update", nargs="+", metavar="FILE", help="rewrite the table in these files")
    args = parser.parse_args(argv)
    try:
        if args.command == "lint":
            problems = lint(args.paths)
            print("\n".join(problems) if problems else "All notebooks follow the conventions.")
            sys.exit(1 if problems else 0)
        if args.command == "points":
            table = anatomy.points_table(args.notebooks)
            for path in map(Path, args.update or []):
                path.write_text(updated(path.read_text(encoding="utf-8"), table, path), encoding="utf-8")
                print(f"updated the points table in {path}")
            if not args.update:
                print(table)
        elif args.command == "release":
            to = args.to or course_root() / "build" / "student"
            for path in release(student_dir=to, graded=not args.self_study):
                print(f"released {path}")
        else:
            out = Path(args.out or course_root() / "build" / "grades")
            rows = grade(args.submissions, out)
            print(f"{'student':20} {'notebook':32} score")
            for row in rows:
                print(f"{row['student_id']:20} {row['assignment']:32} "
                      f"{float(row['score']):g} / {float(row['max_score']):g}")
            print(f"wrote {out / 'grades.csv'} and feedback reports in {out / 'feedback'}")
    except (GradingError, CourseFolderNotFound, FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
