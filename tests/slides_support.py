"""What the slide and handout tests share: the decks, the system's Chromium, a page with no network.

Playwright's own browser downloads are never used: the browser is the system's Chromium (apt-get
install chromium), or AFS_CHROMIUM=/path/to/chrome. Every request that is not file:, data:, blob:
or about: is aborted and recorded, so a deck that reaches for the network fails its test.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
BUILD_SCRIPT = ROOT / "scripts" / "build_slides.py"
SLIDES_OUT = ROOT / "build" / "slides"
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 720}  # the projector: the decks are 1280x720, scale 1
TIMEOUT_MS = 60_000
LOCAL = ("file:", "data:", "blob:", "about:")


def load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


def lecture_view():
    return load_module("lecture_view", ROOT / "slides" / "lecture_view.py")


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def zh_notebooks() -> list[Path]:
    """The Chinese edition's executed notebooks, notebooks/zh/*.ipynb (none until they land)."""
    return sorted((NOTEBOOKS_DIR / "zh").glob("*.ipynb"))


def deck_names() -> list[str]:
    """The decks `make slides` builds: one per notebook, two for a notebook tagged `lecture-break`;
    the Chinese edition's as zh/NAME (build/slides/zh/NAME.html)."""
    view = lecture_view()
    names = []
    for prefix, nbs in (("", notebooks()), ("zh/", zh_notebooks())):
        for nb in nbs:
            parts = len(view.lecture_parts(json.loads(nb.read_text(encoding="utf-8"))))
            names += [prefix + nb.stem] if parts == 1 else [f"{prefix}{nb.stem}-{k + 1}" for k in range(parts)]
    return names


def deck_language(name: str) -> str:
    return "zh" if name.startswith("zh/") else "en"


def find_chromium() -> str | None:
    """AFS_CHROMIUM if set (AFS_CHROMIUM=none: no browser tests), else the system's Chromium or Chrome."""
    if "AFS_CHROMIUM" in os.environ:
        candidates = [os.environ["AFS_CHROMIUM"]]
    else:
        candidates = ["/usr/bin/chromium"] + [shutil.which(name) or "" for name in
                                              ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def build_all_decks() -> dict[str, Path]:
    """`scripts/build_slides.py` (incremental: a fresh build takes a second); {deck name: its HTML}."""
    build = load_module("build_slides", BUILD_SCRIPT)
    installed = build.NPM_STAMP.is_file() or (SLIDES_OUT / "vendor").is_dir()
    if not installed and not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("node.js/npm not found: the slides need them to install reveal.js and MathJax "
                    "(apt-get install nodejs npm)")
    for _ in range(3):  # a notebook rewritten during the build (`make notebooks`) is built again
        before = {nb: nb.read_bytes() for nb in notebooks() + zh_notebooks()}
        result = subprocess.run([sys.executable, str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=900)
        if result.returncode != 0 and "npm not found" in result.stderr:
            pytest.skip(result.stderr.strip().splitlines()[-1])
        assert result.returncode == 0, f"scripts/build_slides.py failed:\n{result.stdout}{result.stderr}"
        if all(nb.read_bytes() == data for nb, data in before.items()):
            break
    decks = {name: SLIDES_OUT / f"{name}.html" for name in deck_names()}
    for path in decks.values():
        assert path.is_file(), f"{path} was not built"
    return decks


def launch_chromium(sync_api):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set AFS_CHROMIUM=/path/to/chrome)"
                    if "AFS_CHROMIUM" not in os.environ else
                    f"AFS_CHROMIUM={os.environ['AFS_CHROMIUM']} is not a program")
    try:
        return sync_api.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
    except Exception as err:  # a snap's chromium-browser in a container, say
        pytest.skip(f"Chromium at {chromium} does not start: {str(err).splitlines()[0]}")


class OfflinePage:
    """A page in a fresh browser context whose network is cut off, with what went wrong."""

    def __init__(self, browser, viewport=VIEWPORT):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=viewport)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.context.on("requestfailed", self._failed)
        self.context.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.context.on("weberror", lambda err: self.errors.append(f"page error: {err.error}"))
        self.page = self.context.new_page()

    def _route(self, route):
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _failed(self, request):
        if request.url not in self.blocked:
            self.failed.append(f"{request.url} ({request.failure})")

    def open_deck(self, path: Path, query: str = "") -> None:
        """Open a deck with no transitions (each screenshot is one still slide) and wait for MathJax."""
        self.page.goto(path.as_uri() + "?transition=none" + query)
        self.page.wait_for_function("window.Reveal && Reveal.isReady()")
        self.wait_for_mathjax()
        self.page.evaluate("document.fonts.ready.then(() => true)")

    def wait_for_mathjax(self) -> None:
        self.page.wait_for_function(
            "window.MathJax && MathJax.Hub && MathJax.Hub.queue"
            " && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running")
        self.page.evaluate("new Promise(done => MathJax.Hub.Queue(done))")

    def assert_clean(self, what: str) -> None:
        assert not self.blocked, f"{what}: tried the network: {self.blocked[:5]}"
        assert not self.failed, f"{what}: loads failed: {self.failed[:5]}"
        assert not self.errors, f"{what}: errors in the browser: {self.errors[:5]}"

    def close(self) -> None:
        self.context.close()
