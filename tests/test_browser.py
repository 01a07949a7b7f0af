"""Every notebook's student version in a real browser: JupyterLab with headless Chromium, driven by Playwright.

nbval proves that the instructor notebooks execute; these tests prove that what a
learner opens works. For the student version of each notebook (answer cells to fill
in, `test` profile, one JupyterLab server for all): run all cells, wait for the
kernel, assert that no cell shows an error (so the student version runs to the end on
the reference implementations) and that every widget rendered; move the first slider
of a widget that shows an image and see the image change; the first exercise, left
untouched, says "not solved yet"; give it a wrong answer, press "Check again", see the
failure; give it the worked solution from the instructor notebook, see success.

Chromium comes from Debian (`apt-get install chromium`); without it these tests
are skipped with a message. Screenshots land in build/screenshots/ when a test
fails, or always with AECOURSE_SCREENSHOTS=1.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aecourse.course import anatomy
from aecourse.paths import course_root

REPO = course_root()
NOTEBOOKS_DIR = REPO / "notebooks"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / "build" / "screenshots"

try:
    import playwright
except ImportError:  # pragma: no cover - playwright is a test dependency
    playwright = None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"browser tests skipped: no Chromium at {CHROMIUM} "
                              "(install it: apt-get install chromium)"),
    pytest.mark.skipif(playwright is None, reason="browser tests skipped: playwright is not installed"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, student_versions):
    """JupyterLab on 127.0.0.1 over a temporary copy of the student versions, no token, `test` profile."""
    root = tmp_path_factory.mktemp("lab")
    for notebook in student_versions:
        shutil.copy(notebook, root)
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))  # render every cell
    port = free_port()
    env = dict(os.environ, AECOURSE_PROFILE="test", AECOURSE_LIVE="1",  # live training views, as a learner sees them
               JUPYTERLAB_SETTINGS_DIR=str(root / ".settings"))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    log = open(root.parent / f"{root.name}-jupyterlab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; see {log.name}")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if (report is not None and report.failed) or os.environ.get("AECOURSE_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', request.node.name)}.png"
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot: {path}")
        context.close()


PANEL = "window.jupyterapp.shell.currentWidget"

ALL_EXECUTED = f"""() => {{
    const panel = {PANEL};
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel || kernel.status !== 'idle') return false;
    const cells = panel.content.model.cells;
    for (let i = 0; i < cells.length; i++) {{
        const cell = cells.get(i);
        if (cell.type === 'code' && cell.sharedModel.getSource().trim() && cell.executionCount === null) return false;
    }}
    return true;
}}"""

ERRORS = f"""() => {{
    const cells = {PANEL}.content.model.cells, errors = [];
    for (let i = 0; i < cells.length; i++) {{
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        for (const output of cell.outputs.toJSON())
            if (output.output_type === 'error') errors.push(`cell ${{i}}: ${{output.ename}}: ${{output.evalue}}`);
    }}
    return errors;
}}"""

LIVE_PICTURES = f"""() => {{
    const cells = {PANEL}.content.model.cells, counts = [];
    for (let i = 0; i < cells.length; i++) {{
        const cell = cells.get(i), json = cell.toJSON();
        const source = Array.isArray(json.source) ? json.source.join('') : json.source;
        if (cell.type !== 'code' || !/watch=(?!None)/.test(source)) continue;
        const pictures = cell.outputs.toJSON().filter(output => output.data && output.data['image/png']
            && String(output.data['text/plain']).includes('IPython.core.display.Image'));
        counts.push([i, pictures.length]);
    }}
    return counts;
}}"""

WIDGET_OUTPUTS = f"""() => {{
    const cells = {PANEL}.content.model.cells;
    let count = 0;
    for (let i = 0; i < cells.length; i++) {{
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        for (const output of cell.outputs.toJSON())
            if (output.data && output.data['application/vnd.jupyter.widget-view+json']) count++;
    }}
    return count;
}}"""


def wait_until(page, condition, arg, failure, timeout=20_000):
    """Wait for a JavaScript condition; fail the test with a readable message if it never holds."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"{failure} (waited {timeout / 1000:g} s)")


def execute(page, code):
    """Run code in the notebook's kernel, as if typed into a new cell."""
    page.evaluate(f"""async (code) => {{
        const future = {PANEL}.sessionContext.session.kernel.requestExecute({{code}});
        await future.done;
    }}""", code)


def run_all(page, lab, notebook):
    page.goto(f"{lab}/lab/tree/{notebook.name}?reset")  # a fresh workspace: only this notebook open
    page.wait_for_function(f"() => window.jupyterapp && {PANEL} && {PANEL}.sessionContext "
                           f"&& {PANEL}.sessionContext.session && {PANEL}.sessionContext.session.kernel "
                           f"&& {PANEL}.sessionContext.session.kernel.status === 'idle'", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(1000)
    page.wait_for_function(ALL_EXECUTED, timeout=240_000, polling=500)


NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.timeout(420)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_student_version_runs_and_its_widgets_work_in_jupyterlab(lab, page, notebook):
    run_all(page, lab, notebook)
    assert page.evaluate(ERRORS) == []

    # every cell that watches its training shows one live picture, redrawn in place (AECOURSE_LIVE=1 here)
    live = page.evaluate(LIVE_PICTURES)
    assert live and all(pictures == 1 for _, pictures in live), f"live pictures per watching cell: {live}"

    # every widget the notebook created is rendered, none failed
    expected = page.evaluate(WIDGET_OUTPUTS)
    assert expected > 0, "the notebook creates no widget"
    panel = page.locator("#" + page.evaluate(f"() => {PANEL}.id"))
    rendered = panel.locator(".jp-OutputArea-output:has(> .jupyter-widgets)")  # one widget view per output
    wait_until(page, "(n) => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length >= n",
               expected, f"fewer than {expected} widgets rendered", timeout=30_000)
    assert rendered.count() == expected
    assert panel.get_by_text("Error displaying widget").count() == 0

    # moving a slider changes the picture it controls
    explorer = rendered.filter(has=page.locator(".noUi-handle")).filter(has=page.locator("img")).first
    images = explorer.locator("img")
    before = [images.nth(i).get_attribute("src") for i in range(images.count())]
    handle = explorer.locator(".noUi-handle").first
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    wait_until(page, "([root, before]) => [...root.querySelectorAll('img')].some((img, i) => img.src !== before[i])",
               [explorer.element_handle(), before], "moving the slider did not change the image it controls")

    # the first exercise: untouched it is not solved yet; a wrong answer fails; the worked solution passes
    instructor = anatomy.read(NOTEBOOKS_DIR / notebook.name)
    first = anatomy.exercises(instructor)[0]
    solution = re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", anatomy.source(instructor.cells[first.answer]),
                      flags=re.MULTILINE)
    feedback = rendered.filter(has=page.get_by_role("button", name="Check again")).first
    assert ": not attempted" in feedback.inner_text()
    execute(page, f"def {first.name}(*args, **kwargs):\n    return None")
    feedback.get_by_role("button", name="Check again").click()
    wait_until(page, "(root) => root.innerText.includes(': incorrect')", feedback.element_handle(),
               f"'Check again' with a wrong {first.name} did not show the failure")
    assert "FAILED" not in feedback.inner_text()  # the widget lists failures with a cross, not the text form
    assert "✘" in feedback.inner_text()
    execute(page, solution)
    feedback.get_by_role("button", name="Check again").click()
    wait_until(page, "(root) => root.innerText.includes(': correct')", feedback.element_handle(),
               f"'Check again' with the worked solution of {first.name} did not show success")
    feedback.get_by_role("button", name="Hint").click()
    wait_until(page, "(root) => root.innerText.includes('Hint 1 of')", feedback.element_handle(),
               "the Hint button showed no hint")

    page.evaluate(f"() => {PANEL}.sessionContext.shutdown()")


@pytest.mark.timeout(180)
def test_the_course_jupyterlab_presents_slides_and_never_asks_for_news(lab, page):
    """RISE is installed for live slideshows; tools/jupyterlab/overrides.json: no news feed, no update check."""
    page.goto(f"{lab}/lab?reset")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=120_000)
    page.wait_for_function("() => window.jupyterapp.commands.hasCommand('RISE:slideshow')", timeout=60_000)
    defaults = page.evaluate("""async () => {
        const plugin = await window.jupyterapp.serviceManager.settings.fetch(
            '@jupyterlab/apputils-extension:notification');
        const properties = plugin.schema.properties;
        return [properties.fetchNews.default, properties.checkForUpdates.default];
    }""")
    assert defaults == ["false", False], (
        f"JupyterLab's news and update settings are {defaults}: run `make test` or `make lab`, which install "
        "tools/jupyterlab/overrides.json into the environment")
    page.wait_for_timeout(3000)  # the news prompt, where it is on, shows a few seconds after start
    assert page.get_by_text("official Jupyter news").count() == 0


@pytest.mark.timeout(240)
def test_a_notebook_opens_as_a_live_slideshow(lab, page):
    """What Alt+R opens (jupyterlab-rise): the notebook as reveal.js slides, cells still live."""
    notebook = NOTEBOOKS[0].name
    page.goto(f"{lab}/rise/{notebook}")
    page.wait_for_selector(".reveal .slides section.present", timeout=120_000)
    title = page.locator(".reveal .slides section.present").first.inner_text()
    assert "Autoencoder basics" in title
    assert page.locator(".reveal .slides section").count() >= len(anatomy.sections(anatomy.read(NOTEBOOKS[0])))
