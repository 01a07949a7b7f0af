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
    """The learner's workspace that `make lab` opens, made once per test run into build/tests/workspace.

    Under pytest-xdist several workers may ask at once: a lock file makes one worker build it and the
    others wait; a workspace newer than every notebook is reused.
    """
    import shutil

    from filelock import FileLock

    from aecourse import workspace
    from aecourse.paths import course_root

    root = course_root()
    folder = root / "build" / "tests" / "workspace"
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / "workspace.lock")):
        released = [folder / n.name for n in notebooks]
        fresh = all(r.exists() and r.stat().st_mtime > n.stat().st_mtime for r, n in zip(released, notebooks))
        if not fresh:
            shutil.rmtree(folder, ignore_errors=True)
            workspace.update(folder, root / "notebooks")
    return released


# Debian's Chromium, as every browser test launches it (tests/test_browser.py, tests/test_slides.py).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from Debian (`apt-get install chromium`), driven by Playwright, one per test module.

    Without Chromium or Playwright the test is skipped, with a message saying which is missing.
    """
    import shutil
    from pathlib import Path

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip(f"browser tests skipped: no Chromium at {chromium} (install it: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()
