"""The offline slide decks: every notebook, built by tools/slides/build.py, shown by Chromium with the network cut.

Needs tools/slides/node_modules (`make test` and `make slides` run npm ci there) and Chromium,
like the browser tests.
"""
import sys

import pytest

from aecourse.paths import course_root
from test_browser import CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401  (slow; skipped without Chromium)

ROOT = course_root()
sys.path.insert(0, str(ROOT / "tools" / "slides"))
import build  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOT = ROOT / "build" / "screenshots" / "slides-01.png"  # one slide, to look at


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    if not build.MODULES.exists():
        pytest.fail("tools/slides/node_modules is missing: run `make test` (it runs npm ci in tools/slides)")
    return build.build(NOTEBOOKS, tmp_path_factory.mktemp("slides"))


def test_every_notebook_has_a_deck_that_loads_nothing_from_the_network(decks):
    assert [d.name for d in decks] == [f"{n.stem}.slides.html" for n in NOTEBOOKS]
    for deck in decks:
        html = deck.read_text(encoding="utf-8")
        assert not build.FETCHES.search(html), deck.name
        assert 'src="lib/require.js"' in html and "lib/mathjax/MathJax.js" in html


@pytest.mark.timeout(600)
def test_each_deck_shows_its_slides_formulas_and_figures_offline(decks):
    from playwright.sync_api import sync_playwright

    from aecourse.grading import anatomy

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
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
        finally:
            browser.close()
