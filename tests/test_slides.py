"""The offline slide decks: every notebook, built by tools/slides/build.py, shown by Chromium with the network cut.

What the decks load comes from npm into tools/slides/node_modules (`make test` and `make slides` run
npm ci there). Without them the tests that need them are skipped, saying why; the export of every notebook
is still checked. The browser test also needs Chromium (the `browser` fixture in conftest.py).
"""
import shutil
import sys

import nbformat
import pytest

from aecourse.paths import course_root

ROOT = course_root()
sys.path.insert(0, str(ROOT / "tools" / "slides"))
import build  # noqa: E402

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOT = ROOT / "build" / "screenshots" / "slides-01.png"  # one slide, to look at


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """``make slides``' decks, with the libraries from tools/slides/node_modules; skipped, saying why, without them."""
    if not build.MODULES.exists():
        if shutil.which("npm") is None:
            pytest.skip("slide-deck tests skipped: tools/slides/node_modules is missing because npm is not "
                        "installed (install Node.js/npm, e.g. apt-get install npm, then run make test or make slides)")
        pytest.skip("slide-deck tests skipped: tools/slides/node_modules is missing (npm is installed: run "
                    "make test or make slides, which run npm ci in tools/slides)")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    return build.build(NOTEBOOKS, tmp_path_factory.mktemp("slides"))


def test_every_notebook_exports_to_a_deck_that_loads_nothing_from_the_network():
    """The template's part, without npm: each deck refers to its libraries in lib/, never to a CDN."""
    exporter = build.exporter()
    for notebook in NOTEBOOKS:
        html, _ = exporter.from_notebook_node(build.without_widgets(nbformat.read(str(notebook), as_version=4)))
        assert not build.FETCHES.search(html), notebook.name
        assert 'src="lib/require.js"' in html and "lib/mathjax/MathJax.js" in html, notebook.name


def test_make_slides_writes_every_deck_beside_its_libraries(decks):
    assert [d.name for d in decks] == [f"{n.stem}.slides.html" for n in NOTEBOOKS]
    lib = decks[0].parent / "lib"
    for library in ["require.js", "jquery.min.js", "mathjax/MathJax.js", "reveal.js/dist/reveal.js"]:
        assert (lib / library).is_file(), library
    for deck in decks:
        assert not build.FETCHES.search(deck.read_text(encoding="utf-8")), deck.name


@pytest.mark.timeout(600)
def test_each_deck_shows_its_slides_formulas_and_figures_offline(decks, browser):
    from aecourse.course import anatomy

    for notebook, deck in zip(NOTEBOOKS, decks):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        requested, errors = [], []
        page.route("http*://**", lambda route: (requested.append(route.request.url), route.abort()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(deck.as_uri())
        page.wait_for_function("() => document.querySelector('.reveal.ready')", timeout=60_000)
        sections = page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
        page.wait_for_function("() => document.querySelectorAll('.MathJax_CHTML').length > 0", timeout=60_000)
        images = page.evaluate("() => [...document.images].map(i => i.complete && i.naturalWidth > 0)")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => location.hash.length > 1", timeout=10_000)  # the keys move the deck
        if notebook.name.startswith("01"):
            page.wait_for_timeout(1500)  # the slide transition
            page.screenshot(path=str(SCREENSHOT))
        page.close()
        assert requested == [] and errors == [], (deck.name, requested, errors)
        assert sections >= len(anatomy.sections(anatomy.read(notebook))) + 1, deck.name  # + the title
        assert images and all(images), deck.name
