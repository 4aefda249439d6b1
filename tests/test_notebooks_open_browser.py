"""Every notebook, opened in plain JupyterLab before any cell runs, shows its pictures.

A student's fresh clone is *untrusted*: JupyterLab then refuses to draw stored SVG (and sanitizes
inline SVG out of HTML), so a graph stored only as SVG shows as `<graphviz.graphs.Digraph at 0x...>`.
This test starts JupyterLab itself, on loopback, with empty Jupyter data, config, runtime and
settings folders (no notebook signature is known, so nothing is trusted), on a copy of the
notebooks; drives the system Chromium through Playwright with every request that is not to that
server (or data:/blob:) aborted; opens each notebook without running it; and checks, cell by cell:

- every stored output that is a picture when trusted (a graph's SVG, a plot, a frame strip, HTML
  with inline SVG, a widget) is drawn as an image on the page, decoded (naturalWidth > 0): the PNG
  stored beside it;
- no output reads as the text of an object that should have been a picture (`<graphviz...`,
  `<Figure size`, `VBox(children=`, a widget's "run the cell" fallback line, a frame strip's
  `<N frames>`).

The Chinese edition's notebooks (notebooks/zh/) are opened the same way, in a second JupyterLab
whose interface is set to Chinese (the language pack jupyterlab-language-pack-zh-cn, as a student
sets it: Settings → Language); the test also checks that the menus are in Chinese, and keeps a
screenshot of each zh notebook in build/screenshots/zh/.

It skips, saying why, without Chromium or Playwright, and always shuts JupyterLab down.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ZH_NOTEBOOKS = sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TOKEN = "open-before-run"
SCREENSHOTS = ROOT / "build" / "screenshots"
WIDGET = "application/vnd.jupyter.widget-view+json"
# The text JupyterLab shows for an output that should have been a picture.
AS_TEXT = re.compile(r"<graphviz\.|Digraph at 0x|<Figure size|(?:VBox|HBox|Box)\(children=|"
                     r"widget: run the cell to make it interactive|控件：运行这个单元格即可交互|<\d+ frames>|"
                     r"Error displaying widget")
# JupyterLab's top menus in Chinese (the language pack's translation of File, Edit, View, Run, Kernel).
CHINESE_MENUS = ["文件", "编辑", "查看", "运行", "内核"]
START_TIMEOUT_S = 120
PAGE_TIMEOUT_MS = 90_000


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        return "jupyterlab is not installed next to this python"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback that trusts nothing; yields its base URL, then stops it."""
    yield from serve(tmp_path_factory.mktemp("lab"), NOTEBOOKS)


@pytest.fixture(scope="module")
def lab_zh(tmp_path_factory):
    """The same, serving the zh notebooks, with JupyterLab's interface in Chinese."""
    yield from serve(tmp_path_factory.mktemp("lab_zh"), ZH_NOTEBOOKS, locale="zh_CN")


def serve(home: Path, notebooks: list[Path], locale: str | None = None):
    """Copies of `notebooks` served by JupyterLab from `home`, with its own empty Jupyter folders (and
    its interface in `locale`); yields the base URL, then stops the server."""
    served = home / "notebooks"
    served.mkdir()
    for path in notebooks:
        shutil.copy(path, served / path.name)
    settings = home / "settings"
    if locale:  # what Settings → Language writes
        _write_json(settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings",
                    {"locale": locale})
    # Render every cell (JupyterLab 4 otherwise attaches only the cells in view), and fetch no news.
    _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
                {"windowingMode": "none"})
    _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    env = dict(os.environ, JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_PREFER_ENV_PATH="1")
    port = _free_port()
    command = [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={TOKEN}",
               f"--ServerApp.root_dir={served}", "--ServerApp.allow_remote_access=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=served)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def is_picture(output: dict) -> bool:
    """An output that is a picture when trusted: a graph, a plot, a frame strip, a widget."""
    data = output.get("data", {})
    html = data.get("text/html", "")
    return (any(m in data for m in ("image/png", "image/jpeg", "image/svg+xml", WIDGET))
            or "<svg" in ("".join(html) if isinstance(html, list) else html))


def expected_pictures(path: Path) -> list[int]:
    """For each code cell, the number of its stored outputs that are pictures."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [sum(is_picture(out) for out in cell.get("outputs", []))
            for cell in nb["cells"] if cell["cell_type"] == "code"]


# The notebook in the tab in view; for each of its code cells: its images (their widths: 0 when
# not decoded) and the text of its outputs.
IN_VIEW = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')"
READ_CELLS = """() => [...IN_VIEW.querySelectorAll('.jp-CodeCell')].map(cell => ({
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')].map(img => img.naturalWidth),
    text: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText).join('\\n'),
}))""".replace("IN_VIEW", IN_VIEW)
# The page is ready when the notebook in view has all its code cells and its images are loaded.
READY = """n => { const nb = IN_VIEW; return nb !== null && nb.querySelectorAll('.jp-CodeCell').length === n
                   && [...nb.querySelectorAll('.jp-OutputArea-output img')].every(img => img.complete); }"""
READY = READY.replace("IN_VIEW", IN_VIEW)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_opens_with_its_pictures(lab, browser, path):
    check_opens_with_its_pictures(lab, browser, path)


@pytest.mark.parametrize("path", ZH_NOTEBOOKS, ids=[p.name for p in ZH_NOTEBOOKS])
def test_zh_notebook_opens_with_its_pictures_in_the_chinese_interface(lab_zh, browser, path):
    menus = check_opens_with_its_pictures(lab_zh, browser, path, screenshot=SCREENSHOTS / "zh" / f"{path.stem}.png")
    assert [m for m in CHINESE_MENUS if m not in menus] == [], f"JupyterLab's menus are {menus}, not Chinese"


def check_opens_with_its_pictures(lab: str, browser, path: Path, screenshot: Path | None = None) -> list[str]:
    """Open the notebook, unrun, and check its pictures; return the top menus' names."""
    expected = expected_pictures(path)
    blocked: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        def route(r):
            url = r.request.url
            if url.startswith((lab, "data:", "blob:")):
                r.continue_()
            else:
                blocked.append(url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        # A workspace of its own, reset: only this notebook is open.
        page.goto(f"{lab}/lab/workspaces/{path.stem}/tree/{path.name}?reset&token={TOKEN}")
        try:
            page.wait_for_function(READY, arg=len(expected))
        except Exception as error:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"open_{path.stem}.png"))
            found = page.evaluate(f"() => {IN_VIEW}?.querySelectorAll('.jp-CodeCell').length")
            pytest.fail(f"{path.name}: {found} of {len(expected)} code cells on the page after "
                        f"{PAGE_TIMEOUT_MS} ms (screenshot in {SCREENSHOTS}): {error}")
        cells = page.evaluate(READ_CELLS)
        menus = page.evaluate("() => [...document.querySelectorAll('#jp-menu-panel .lm-MenuBar-itemLabel')]"
                              ".map(item => item.innerText)")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
    finally:
        context.close()

    problems = []
    for k, (cell, n_pictures) in enumerate(zip(cells, expected)):
        shown_as_text = AS_TEXT.search(cell["text"])
        if shown_as_text:
            problems.append(f"code cell {k}: an output shows as text: {shown_as_text.group(0)!r}")
        if len(cell["images"]) < n_pictures:
            problems.append(f"code cell {k}: {n_pictures} pictures stored, {len(cell['images'])} drawn "
                            "(untrusted, only a PNG or JPEG is drawn)")
        if any(width == 0 for width in cell["images"]):
            problems.append(f"code cell {k}: an image did not decode")
    assert not problems, f"{path.name}, opened untrusted before running:\n" + "\n".join(problems)
    assert not [u for u in blocked if not u.startswith("ws:")], f"requests left loopback: {blocked}"
    return menus
