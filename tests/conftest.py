import matplotlib
import pytest

matplotlib.use("Agg")  # figures are drawn but never shown in the unit tests


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def student_versions():
    """The self-study student version of every notebook, released once per test run into build/tests/student.

    Under pytest-xdist several workers may ask at once: a lock file makes one release and the
    others wait for it; a release newer than every notebook is reused.
    """
    import shutil

    from filelock import FileLock

    from aecourse.grading import release
    from aecourse.paths import course_root

    root = course_root()
    folder = root / "build" / "tests" / "student"
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / "student.lock")):
        released = [folder / n.name for n in notebooks]
        fresh = all(r.exists() and r.stat().st_mtime > n.stat().st_mtime for r, n in zip(released, notebooks))
        if not fresh:
            course = folder.parent / "course"
            shutil.rmtree(course, ignore_errors=True)
            course.mkdir()
            shutil.copy(root / "course" / "nbgrader_config.py", course)
            release(course, root / "notebooks", student_dir=folder, graded=False)
    return released
