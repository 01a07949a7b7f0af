"""Command line: ``python -m aecourse.grading {release,grade}`` (see :mod:`aecourse.grading`)."""
import argparse
import sys
from pathlib import Path

from ..paths import CourseFolderNotFound, course_root
from .pipeline import GradingError, grade, release
from .report import REPORT_CSV, REPORT_MD


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aecourse.grading",
                                     description="Graded exercises with nbgrader: releases and autograding.")
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="generate the student version of every notebook")
    release_parser.add_argument("--to", help="folder for the student notebooks (default build/student)")
    release_parser.add_argument("--self-study", action="store_true",
                                help="not a graded release: the check widgets may show solutions")
    grade_parser = commands.add_parser("grade", help="autograde a folder of submissions")
    grade_parser.add_argument("submissions", help="folder with one subfolder of notebooks per student")
    grade_parser.add_argument("--out", help="folder for grades.csv, feedback and the class report "
                                            "(default build/grades)")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
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
            print(f"class report (pass rate, mean points, most common mistakes per exercise): {out / REPORT_MD}, "
                  f"every row in {out / REPORT_CSV}, a chart per notebook in {out / 'report-*.png'}")
    except (GradingError, CourseFolderNotFound, FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
