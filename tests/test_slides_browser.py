"""The slide decks of `make slides` work in a real browser with the network cut off.

The decks (scripts/build_slides.py) are built, or reused when they are fresh, for two representative
notebooks: 01_first_gradients and 02_computational_graph (or, before those exist, the first
notebook and the first one that draws a graph). Each deck is opened from file:// in headless
Chromium, through Playwright, with every request that is not file:// or data: aborted and counted
as a failure. In each deck:

- nothing was fetched from the network, no file:// load failed, no error reached the console;
- reveal.js started, and Reveal.next() walks through every slide to the last one, as does
  Reveal.slide(last);
- MathJax 2 typeset the math: .MathJax elements exist, no TeX error, no `$...$` left in the text;
- every graph (an SVG output) is on its slide, decoded and visible there;
- the speaker notes are in the deck, and the speaker view (key S) shows them.

Screenshots of a title slide and of a graph slide go to build/screenshots/ for a person to look at.
The test is skipped, saying why, where there is no Chromium (or no Playwright), or where npm is
missing and the JavaScript has not been installed before. Playwright's own browser downloads are
never used: the browser is the system's Chromium (apt-get install chromium).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
BUILD_SCRIPT = ROOT / "scripts" / "build_slides.py"
SLIDES_OUT = ROOT / "build" / "slides"
SCREENSHOTS = ROOT / "build" / "screenshots"
PREFERRED = ["01_first_gradients", "02_computational_graph"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 720}  # the decks are 1280x720: screenshots at scale 1
TIMEOUT_MS = 30_000


# -- which notebooks ----------------------------------------------------------------------------------
def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def slide_type(cell: dict) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def graph_count(nb: dict) -> int:
    """SVG outputs of the code cells that are on a slide."""
    return sum("image/svg+xml" in out.get("data", {})
               for cell in nb["cells"] if cell["cell_type"] == "code" and slide_type(cell) != "skip"
               for out in cell.get("outputs", []))


def has_math(nb: dict) -> bool:
    return any(re.search(r"\$[^$\n]+\$|\\\(|\\\[", source(cell))
               for cell in nb["cells"] if cell["cell_type"] == "markdown" and slide_type(cell) != "skip")


def notes_count(nb: dict) -> int:
    return sum(1 for cell in nb["cells"] if slide_type(cell) == "notes" and source(cell).strip())


def pick_notebooks() -> list[Path]:
    every = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    chosen = [NOTEBOOKS_DIR / f"{name}.ipynb" for name in PREFERRED if (NOTEBOOKS_DIR / f"{name}.ipynb").is_file()]
    if not chosen and every:
        chosen = every[:1]
    if every and not any(graph_count(read_notebook(p)) for p in chosen):
        with_graph = [p for p in every if graph_count(read_notebook(p))]
        chosen += with_graph[:1]
    return chosen


NOTEBOOKS = pick_notebooks()
pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks in notebooks/ yet: no slides to test")


# -- the tools: Chromium, Playwright, npm -------------------------------------------------------------
def find_chromium() -> str | None:
    """AFS_CHROMIUM if set (AFS_CHROMIUM=none: no browser tests), else the system's Chromium or Chrome."""
    if "AFS_CHROMIUM" in os.environ:
        candidates = [os.environ["AFS_CHROMIUM"]]
    else:
        candidates = ["/usr/bin/chromium"] + [shutil.which(name) or "" for name in
                                              ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_slides", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def decks() -> dict[str, tuple[Path, dict]]:
    """Build (or reuse) the decks of NOTEBOOKS; {name: (path of the HTML, the notebook it was built from)}."""
    build = load_build_script()
    installed = build.NPM_STAMP.is_file() or (SLIDES_OUT / "vendor").is_dir()
    if not installed and not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("node.js/npm not found: the slides need them to install reveal.js and MathJax "
                    "(apt-get install nodejs npm)")
    for _ in range(3):  # a notebook rewritten during the build (`make notebooks`) is built again
        before = {nb: nb.read_bytes() for nb in NOTEBOOKS}
        result = subprocess.run([sys.executable, str(BUILD_SCRIPT), *map(str, NOTEBOOKS)],
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0 and "npm not found" in result.stderr:
            pytest.skip(result.stderr.strip().splitlines()[-1])
        assert result.returncode == 0, f"scripts/build_slides.py failed:\n{result.stdout}{result.stderr}"
        if all(nb.read_bytes() == data for nb, data in before.items()):
            break
    decks = {nb.stem: (SLIDES_OUT / f"{nb.stem}.html", json.loads(before[nb])) for nb in NOTEBOOKS}
    for path, _ in decks.values():
        assert path.is_file(), f"{path} was not built"
    return decks


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set AFS_CHROMIUM=/path/to/chrome)"
                    if "AFS_CHROMIUM" not in os.environ else
                    f"AFS_CHROMIUM={os.environ['AFS_CHROMIUM']} is not a program")
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:  # a snap's chromium-browser in a container, say
            pytest.skip(f"Chromium at {chromium} does not start: {str(err).splitlines()[0]}")
        yield browser
        browser.close()


class Deck:
    """A deck open in a fresh browser context whose network is cut off, with what went wrong."""

    def __init__(self, browser, path: Path):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.context.on("requestfailed", self._failed)
        self.context.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.context.on("weberror", lambda err: self.errors.append(f"page error: {err.error}"))
        self.page = self.context.new_page()
        # No transitions: each screenshot shows one slide, still.
        self.page.goto(path.as_uri() + "?transition=none")
        self.page.wait_for_function("window.Reveal && Reveal.isReady()")
        self.wait_for_mathjax()
        self.page.evaluate("document.fonts.ready.then(() => true)")

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _failed(self, request):
        if not any(request.url == b for b in self.blocked):
            self.failed.append(f"{request.url} ({request.failure})")

    def wait_for_mathjax(self):
        self.page.wait_for_function(
            "window.MathJax && MathJax.Hub && MathJax.Hub.queue"
            " && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running")
        self.page.evaluate("new Promise(done => MathJax.Hub.Queue(done))")

    def show(self, element_selector: str) -> bool:
        """Go to the slide holding the first element matching the selector, all its fragments shown."""
        found = self.page.evaluate("""selector => {
            const el = document.querySelector(selector);
            if (!el) return false;
            const slide = el.closest('section');
            const i = Reveal.getIndices(slide);
            Reveal.slide(i.h, i.v, slide.querySelectorAll('.fragment').length);
            // on a slide that scrolls, scroll to the element
            const below = el.getBoundingClientRect().bottom - slide.getBoundingClientRect().bottom;
            if (below > 0) slide.scrollTop += below + 20;
            return true;
        }""", element_selector)
        if found:
            self.wait_for_mathjax()
            self.page.wait_for_timeout(300)
        return found

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path))
        return path

    def close(self):
        self.context.close()


@pytest.fixture
def open_deck(browser, decks):
    opened = []

    def open_(name: str) -> Deck:
        deck = Deck(browser, decks[name][0])
        opened.append(deck)
        return deck

    yield open_
    for deck in opened:
        deck.close()


# -- the tests ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_deck_works_offline(notebook, decks, open_deck):
    nb = decks[notebook.stem][1]
    deck = open_deck(notebook.stem)
    page = deck.page

    for old in SCREENSHOTS.glob(f"{notebook.stem}-*.png"):
        old.unlink()
    # The title slide: the first slide, after MathJax.
    title_shot = deck.screenshot(f"{notebook.stem}-title.png")
    title = page.evaluate("(Reveal.getSlide(0, 0).querySelector('h1, h2') || {}).textContent || ''")
    assert title.strip(), f"{notebook.name}: the first slide has no heading"

    # Navigation: Reveal.next() visits every slide and ends on the last; Reveal.slide(last) too.
    # (First: after a jump, a stack of subslides would open on the one shown last.)
    walk = page.evaluate("""() => {
        Reveal.slide(0, 0, -1);
        const seen = new Set(), tall = new Set();
        let steps = 0;
        for (;;) {
            const i = Reveal.getIndices();
            seen.add(i.h + '/' + i.v);
            if (Reveal.getCurrentSlide().scrollHeight > Reveal.getConfig().height + 10) {
                tall.add(Reveal.getSlides().indexOf(Reveal.getCurrentSlide()) + 1);
            }
            if (Reveal.isLastSlide() && !Reveal.availableFragments().next) break;
            if (++steps > 5000) break;
            Reveal.next();
        }
        return {seen: seen.size, total: Reveal.getTotalSlides(), last: Reveal.isLastSlide(), steps,
                tall: [...tall]};
    }""")
    if walk["tall"]:  # not an error: such a slide scrolls; but the class may not see its end
        warnings.warn(f"{notebook.stem}: slide(s) {walk['tall']} of {walk['total']} are taller than the "
                      f"screen and scroll", UserWarning, stacklevel=1)
    assert walk["last"], f"{notebook.name}: Reveal.next() did not reach the last slide: {walk}"
    assert walk["seen"] == walk["total"] > 1, f"{notebook.name}: Reveal.next() skipped slides: {walk}"
    last = page.evaluate("""() => {
        Reveal.slide(0, 0);
        const stacks = Reveal.getHorizontalSlides();
        const h = stacks.length - 1;
        const v = stacks[h].querySelectorAll(':scope > section').length - 1;
        Reveal.slide(h, Math.max(v, 0));
        return Reveal.isLastSlide();
    }""")
    assert last, f"{notebook.name}: Reveal.slide(last) did not reach the last slide"

    # Math: typeset by MathJax 2, no error, no TeX left in the visible text.
    math = page.evaluate("""() => ({
        typeset: document.querySelectorAll('.MathJax, .MathJax_Display').length,
        errors: [...document.querySelectorAll('.MathJax_Error, .merror, .noError')].map(e => e.textContent),
        leftover: [...document.querySelectorAll('.jp-RenderedMarkdown')].map(md => {
            const copy = md.cloneNode(true);
            copy.querySelectorAll('script, code, pre, .MathJax, .MathJax_Display, .MathJax_Preview,'
                                  + ' .MJX_Assistive_MathML').forEach(n => n.remove());
            return copy.textContent;
        }).filter(text => /\\$[^$\\n]+\\$|\\\\\\(|\\\\\\[/.test(text)),
    })""")
    if has_math(nb):
        assert math["typeset"] > 0, f"{notebook.name}: MathJax typeset nothing (is vendor/mathjax there?)"
    assert not math["errors"], f"{notebook.name}: TeX errors: {math['errors'][:5]}"
    assert not math["leftover"], f"{notebook.name}: math not typeset, still in $...$: {math['leftover'][:3]}"
    if has_math(nb):
        assert deck.show(".MathJax, .MathJax_Display")
        size = page.evaluate("""() => {
            const r = Reveal.getCurrentSlide().querySelector('.MathJax, .MathJax_Display').getBoundingClientRect();
            return [r.width, r.height];
        }""")
        assert size[0] > 5 and size[1] > 5, f"{notebook.name}: typeset math is not visible on its slide: {size}"

    # Graphs: every SVG output of a slide is in the deck, decoded, and visible on its slide.
    expected = graph_count(nb)
    graphs = page.evaluate("""() => [...document.querySelectorAll('.jp-RenderedSVG img, .jp-RenderedSVG svg')]
        .map(g => g.tagName === 'IMG' ? g.complete && g.naturalWidth > 0 : true)""")
    assert len(graphs) == expected, f"{notebook.name}: {len(graphs)} graph(s) in the deck, {expected} in the notebook"
    assert all(graphs), f"{notebook.name}: a graph's SVG did not decode"
    if expected:
        assert deck.show(".jp-RenderedSVG")
        box = page.evaluate("""() => {
            const r = Reveal.getCurrentSlide().querySelector('.jp-RenderedSVG img, .jp-RenderedSVG svg')
                .getBoundingClientRect();
            return {width: r.width, height: r.height, top: r.top, left: r.left};
        }""")
        assert box["width"] > 50 and box["height"] > 50, f"{notebook.name}: the graph is not visible: {box}"
        assert box["left"] < VIEWPORT["width"] and box["top"] < VIEWPORT["height"], box
        deck.screenshot(f"{notebook.stem}-graph.png")

    # Speaker notes: in the deck as <aside class="notes">, and shown in the speaker view.
    notes = notes_count(nb)
    in_deck = page.evaluate("document.querySelectorAll('aside.notes').length")
    assert in_deck == notes, f"{notebook.name}: {in_deck} speaker notes in the deck, {notes} in the notebook"
    if notes and notebook == NOTEBOOKS[0]:
        deck.show("aside.notes")
        expected_text = page.evaluate("Reveal.getCurrentSlide().querySelector('aside.notes').textContent.trim()")
        with page.expect_popup() as popup:
            page.keyboard.press("s")
        speaker = popup.value
        speaker.wait_for_function(
            "text => { const n = document.querySelector('.speaker-controls-notes');"
            " return n && n.textContent.replace(/\\s+/g, ' ').includes(text); }",
            arg=re.sub(r"\s+", " ", expected_text)[:40])
        speaker.close()

    page.wait_for_timeout(200)
    assert not deck.blocked, f"{notebook.name}: the deck tried the network: {deck.blocked[:5]}"
    assert not deck.failed, f"{notebook.name}: loads failed: {deck.failed[:5]}"
    assert not deck.errors, f"{notebook.name}: errors in the browser: {deck.errors[:5]}"
    assert title_shot.stat().st_size > 10_000


def test_index_lists_every_deck(decks):
    index = (SLIDES_OUT / "index.html").read_text(encoding="utf-8")
    for name in decks:
        assert f'href="{name}.html"' in index, f"build/slides/index.html has no link to {name}.html"


def test_no_page_loads_from_the_network(decks):
    """No src=, <link href=>, CSS url() or script import from http(s):// in the built pages."""
    build = load_build_script()
    pattern = re.compile(r"""<(script|link|img|iframe|source|embed)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", re.I)
    for page in [SLIDES_OUT / "index.html", *(path for path, _ in decks.values())]:
        text = page.read_text(encoding="utf-8")
        assert not build.external_loads(text), f"{page.name} loads from the network: {build.external_loads(text)[:5]}"
        assert not pattern.search(text), f"{page.name}: {pattern.search(text).group(0)}"
        assert "cdnjs.cloudflare.com" not in text and "unpkg.com" not in text, f"{page.name} names a CDN"
