"""Offline slide decks of every notebook: build/slides/NN_name.slides.html, nothing loaded from the network.

    make slides        # npm ci in tools/slides, then this script

Each deck is nbconvert's reveal.js export of the executed notebook (its committed outputs, the
slide types in its cells' metadata), through the course's template (templates/course), with
reveal.js, require.js, jQuery and MathJax 2 copied from tools/slides/node_modules into
build/slides/lib/. Widgets need a running kernel: in a deck they show their one-line text form.
Open a deck from disk; add ``?print-pdf`` to its address and print it from Chromium for a PDF.

The script fails if a deck would still load anything over the network (a script, style sheet,
font or module with an http(s) address); links in the text to papers stay links.
"""
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODULES = HERE / "node_modules"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What a deck would fetch by itself: scripts, style sheets, modules, CSS imports and fonts.
FETCHES = re.compile(r"""(?:<script[^>]*\ssrc|<link[^>]*\shref)=["']https?://|import[^;'"]*["']https?://|"""
                     r"""url\(["']?https?://""", re.IGNORECASE)
LIBRARIES = {  # from node_modules -> to lib/, what the decks load
    "reveal.js/dist": "reveal.js/dist",
    "reveal.js/plugin": "reveal.js/plugin",
    "requirejs/require.js": "require.js",
    "jquery/dist/jquery.min.js": "jquery.min.js",
    "mathjax/MathJax.js": "mathjax/MathJax.js",
    "mathjax/config": "mathjax/config",
    "mathjax/extensions": "mathjax/extensions",
    "mathjax/jax": "mathjax/jax",
    "mathjax/localization/en": "mathjax/localization/en",
    "mathjax/fonts/HTML-CSS/TeX": "mathjax/fonts/HTML-CSS/TeX",
}


def copy_libraries(lib):
    """Copy what the decks load from node_modules into ``lib``."""
    missing = [source for source in LIBRARIES if not (MODULES / source).exists()]
    if missing:
        sys.exit(f"{', '.join(missing)} not in {MODULES}: run `make slides` (it runs npm ci there first).")
    for source, target in LIBRARIES.items():
        source, target = MODULES / source, lib / target
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def without_widgets(notebook):
    """Widget outputs keep only their text form (a deck has no kernel to run them)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    notebook.metadata.pop("widgets", None)
    return notebook


def exporter():
    return SlidesExporter(
        template_name="course", extra_template_basedirs=[str(HERE / "templates")],
        reveal_url_prefix="lib/reveal.js", reveal_theme="white", reveal_scroll=True, reveal_number="c/t",
        reveal_width="1280", reveal_height="800",  # room for 115-character lines of code
        require_js_url="lib/require.js", jquery_url="lib/jquery.min.js",
        mathjax_url="lib/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe")


def build(notebooks, out):
    """Write one deck per notebook into ``out`` (with ``out/lib``); return the decks' paths."""
    out.mkdir(parents=True, exist_ok=True)
    copy_libraries(out / "lib")
    decks, slides = [], exporter()
    for path in notebooks:
        html, _ = slides.from_notebook_node(without_widgets(nbformat.read(str(path), as_version=4)))
        fetch = FETCHES.search(html)
        if fetch:
            sys.exit(f"{path.name}: the deck would load {fetch.group(0)!r}... from the network; fix the template.")
        deck = out / f"{path.stem}.slides.html"
        deck.write_text(html, encoding="utf-8")
        decks.append(deck)
        print(f"wrote {deck.relative_to(ROOT) if deck.is_relative_to(ROOT) else deck}")
    return decks


if __name__ == "__main__":
    build(sorted((ROOT / "notebooks").glob("*.ipynb")), ROOT / "build" / "slides")
