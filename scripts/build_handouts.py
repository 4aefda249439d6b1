"""Print every lecture deck to PDF, offline, with headless Chromium: `make handout`.

    python scripts/build_handouts.py                 # every deck (builds the slides first)
    python scripts/build_handouts.py 02_computational_graph zh/01_first_gradients   # only these decks

For each deck of build/slides/ (scripts/build_slides.py), two files in build/handouts/ (the Chinese
edition's decks, build/slides/zh/NAME.html, in build/handouts/zh/):

- NAME.pdf: the handout, one slide a page (1280x720 px), every fragment shown (the backward-pass
  frames as their last frame), each slide exactly as the browser test measured it: nothing is cut;
- NAME-notes.pdf: the instructor's copy, each slide with its speaker notes below it (1280x1280).

The deck is opened from file:// in Chromium (Playwright, the system's Chromium or AFS_CHROMIUM) with
every request that is not file:/data: aborted, so what prints is what works offline. The page lays
the slides out itself (the template's `afsHandout`, fitted and typeset as on the screen) rather than
with reveal.js's ?print-pdf, which splits a slide taller than the page and puts every fragment on a
page of its own. build/handouts/handouts.json records each deck's slide and page counts. Chinese
text prints with the system's CJK font (Debian's fonts-noto-cjk), embedded in the PDF.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLIDES_OUT = ROOT / "build" / "slides"
HANDOUTS_OUT = ROOT / "build" / "handouts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGE = {"slides": ("1280px", "720px"), "notes": ("1280px", "1280px")}
LOCAL = ("file:", "data:", "blob:", "about:")


class HandoutError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"handout: {msg}", flush=True)


def find_chromium() -> str | None:
    if "AFS_CHROMIUM" in os.environ:
        candidates = [os.environ["AFS_CHROMIUM"]]
    else:
        candidates = ["/usr/bin/chromium"] + [shutil.which(name) or "" for name in
                                              ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF as Chromium writes it (one /Type /Page object a page)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def print_deck(browser, html: Path, out: Path, with_notes: bool) -> dict:
    """One PDF of one deck; returns its slide and page counts."""
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    context.route("**/*", route)
    try:
        page = context.new_page()
        page.goto(html.as_uri() + "?transition=none")
        page.wait_for_function("window.Reveal && Reveal.isReady() && typeof window.afsHandout === 'function'")
        page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                               " && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running")
        page.evaluate("new Promise(done => MathJax.Hub.Queue(done))")
        page.evaluate("document.fonts.ready.then(() => true)")
        slides = page.evaluate("withNotes => afsHandout(withNotes)", with_notes)
        width, height = PAGE["notes" if with_notes else "slides"]
        page.add_style_tag(content=f"@page {{ size: {width} {height}; margin: 0; }}")
        empty = page.evaluate("""() => [...document.querySelectorAll('.afs-page')].map((p, k) => {
            const boxes = [...p.querySelectorAll('section *')].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 2 && r.height > 2 && getComputedStyle(e).visibility !== 'hidden';
            });
            return boxes.length ? null : k + 1;
        }).filter(k => k !== null)""")
        if empty:
            raise HandoutError(f"{html.stem}: page(s) {empty} would print empty")
        cut = page.evaluate("""() => [...document.querySelectorAll('.afs-page-notes')].map((n, k) =>
            n.scrollHeight > n.clientHeight + 1 ? k + 1 : null).filter(k => k !== null)""")
        if cut:
            raise HandoutError(f"{html.stem}: the notes of page(s) {cut} do not fit below their slide")
        page.emulate_media(media="screen")  # the slides as measured on the screen, not reveal's print sheet
        pdf = page.pdf(width=width, height=height, print_background=True,
                       margin={"top": "0", "right": "0", "bottom": "0", "left": "0"})
    finally:
        context.close()
    if blocked:
        raise HandoutError(f"{html.stem}: the deck tried the network: {blocked[:5]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    pages = pdf_page_count(pdf)
    if pages != slides:
        raise HandoutError(f"{out.name}: {pages} pages for {slides} slides")
    return {"slides": slides, "pages": pages}


def build(names: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise HandoutError("no Chromium found (apt-get install chromium, or set AFS_CHROMIUM=/path/to/chrome)")
    HANDOUTS_OUT.mkdir(parents=True, exist_ok=True)
    manifest_path = HANDOUTS_OUT / "handouts.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for name in names:
                start = time.perf_counter()
                html = SLIDES_OUT / f"{name}.html"
                handout = print_deck(browser, html, HANDOUTS_OUT / f"{name}.pdf", with_notes=False)
                notes = print_deck(browser, html, HANDOUTS_OUT / f"{name}-notes.pdf", with_notes=True)
                manifest[name] = {"handout": handout, "notes": notes}
                log(f"{name}.pdf and {name}-notes.pdf: {handout['slides']} slides "
                    f"({time.perf_counter() - start:.1f} s)")
        finally:
            browser.close()
    # Handouts of decks that are gone (a notebook renamed or split) go too.
    manifest = {name: entry for name, entry in manifest.items() if (SLIDES_OUT / f"{name}.html").is_file()}
    for pdf in HANDOUTS_OUT.rglob("*.pdf"):
        if pdf.relative_to(HANDOUTS_OUT).with_suffix("").as_posix().removesuffix("-notes") not in manifest:
            pdf.unlink()
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def deck_names() -> list[str]:
    """Every deck build/slides/ holds: NAME, and zh/NAME for the Chinese edition's."""
    state = json.loads((SLIDES_OUT / ".build-state.json").read_text(encoding="utf-8"))
    names = []
    for key, prefix in (("notebooks", ""), ("notebooks-zh", "zh/")):
        built = state.get(key, {})
        names += [prefix + name for stem in sorted(built) for name, _ in built[stem]["decks"]]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("decks", nargs="*", help="deck names (default: every deck of build/slides/)")
    args = parser.parse_args(argv)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_slides.py")])
    if result.returncode != 0:
        return result.returncode
    names = args.decks or deck_names()
    missing = [n for n in names if not (SLIDES_OUT / f"{n}.html").is_file()]
    if missing:
        print(f"handout: no such deck: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        build(names)
    except HandoutError as err:
        print(f"handout: error: {err}", file=sys.stderr)
        return 1
    log(f"{len(names)} deck(s) in {HANDOUTS_OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
