"""Build the lecture decks (reveal.js) of the notebooks under build/slides/, working with no network.

    python scripts/build_slides.py                     # every notebooks/*.ipynb and notebooks/zh/*.ipynb
    python scripts/build_slides.py notebooks/01_first_gradients.ipynb   # only these notebooks' decks
    python scripts/build_slides.py --force             # rebuild everything

The Chinese edition's notebooks (notebooks/zh/NAME.ipynb) become build/slides/zh/NAME.html, with the
slides the view adds in Chinese (议程, 上一讲, 本讲回顾, 下一讲, 时间安排), <html lang="zh"> and the
system's CJK fonts; they load the same vendor/ (../vendor/). build/slides/index.html lists the decks
of both languages, build/slides/zh/index.html the Chinese ones.

Each notebook first goes through its lecture view (slides/lecture_view.py: what a room should see,
cut into slides that fit 1280x720; a notebook with a `lecture-break` cell becomes two decks,
NAME-1.html and NAME-2.html; each deck gets its agenda, "last time", "what we saw", "next" and a
timing plan), then nbconvert's SlidesExporter with the template slides/templates/offline_reveal
turns it into reveal.js. Each cell's metadata.slideshow.slide_type says where it goes (slide,
subslide, fragment, skip, notes: speaker notes, press S in the deck).

nbconvert's reveal template loads reveal.js, MathJax 2, require.js and jQuery from CDNs; here they
come from the npm registry instead, pinned in slides/package.json and slides/package-lock.json,
installed with `npm ci` into slides/node_modules and copied to build/slides/vendor/, and the HTML
points at those copies. The template drops the stock template's other network loads (mermaid.js,
the ipywidgets renderer: a widget shows as a box that says to run the notebook or use RISE), sets
the decks to 1280x720 with big type and no In/Out prompts, and scales graphs to the room left on
their slide. Every deck is checked for a script, style sheet, image or font still fetched from
http(s):// and the build fails if one is. Links to another notebook (02_x.ipynb) go to its deck.

It is incremental: `npm ci` runs only when slides/package-lock.json changed, vendor/ is copied only
when the lock file changed, and a notebook's decks are rebuilt only when it, its neighbours (whose
summary and goals its "last time" and "next" slides show), the lecture view, the template, this
script or nbconvert changed (build/slides/.build-state.json), so a second run takes a fraction of
a second. build/slides/index.html lists the decks.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import html
import importlib.metadata
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
ZH = "zh"  # the Chinese edition: notebooks/zh/NAME.ipynb -> build/slides/zh/NAME.html
SLIDES_DIR = ROOT / "slides"  # package.json, package-lock.json, templates/
NODE_MODULES = SLIDES_DIR / "node_modules"
LOCK_FILE = SLIDES_DIR / "package-lock.json"
TEMPLATES_DIR = SLIDES_DIR / "templates"
TEMPLATE_NAME = "offline_reveal"
VIEW_FILE = SLIDES_DIR / "lecture_view.py"
DEFAULT_OUT = ROOT / "build" / "slides"
STATE_FILE = ".build-state.json"
# language -> (its notebooks, its decks relative to build/slides/, the vendor/ folder seen from a deck)
LANGUAGES = {"en": (NOTEBOOKS_DIR, ".", ""), ZH: (NOTEBOOKS_DIR / ZH, ZH, "../")}
NPM_STAMP = NODE_MODULES / ".lock-sha256"  # the package-lock.json that node_modules was installed from

# Where the vendored files go, relative to the HTML (so build/slides/ can be copied anywhere as is).
REVEAL_PREFIX = "vendor/reveal.js"
MATHJAX_URL = "vendor/mathjax/MathJax.js?config=TeX-AMS_HTML-full,Safe"
REQUIRE_JS_URL = "vendor/requirejs/require.js"
JQUERY_URL = "vendor/jquery/jquery.min.js"

# What to copy out of node_modules: (source in node_modules, destination in vendor/, names to leave out).
# MathJax is 73 MB unpacked; a deck needs the TeX input, the HTML-CSS output with its TeX web fonts
# and the extensions the TeX-AMS_HTML-full configuration loads (about 10 MB).
VENDOR_FILES = [
    ("reveal.js/LICENSE", "reveal.js/LICENSE", ()),
    ("reveal.js/dist", "reveal.js/dist", ("*.map", "*.esm.js")),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes", ("*.esm.js",)),
    ("mathjax/LICENSE", "mathjax/LICENSE", ()),
    ("mathjax/MathJax.js", "mathjax/MathJax.js", ()),
    ("mathjax/config/TeX-AMS_HTML-full.js", "mathjax/config/TeX-AMS_HTML-full.js", ()),
    ("mathjax/config/Safe.js", "mathjax/config/Safe.js", ()),
    ("mathjax/config/local", "mathjax/config/local", ()),
    ("mathjax/extensions", "mathjax/extensions", ()),
    ("mathjax/jax/element", "mathjax/jax/element", ()),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX", ()),
    ("mathjax/jax/output/HTML-CSS", "mathjax/jax/output/HTML-CSS", ()),
    ("mathjax/jax/output/PreviewHTML", "mathjax/jax/output/PreviewHTML", ()),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML", ()),
    ("mathjax/jax/output/NativeMML", "mathjax/jax/output/NativeMML", ()),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff", ()),
    ("mathjax/fonts/HTML-CSS/TeX/otf", "mathjax/fonts/HTML-CSS/TeX/otf", ()),
    ("mathjax/localization/en", "mathjax/localization/en", ()),
    ("requirejs/require.js", "requirejs/require.js", ()),
    ("jquery/LICENSE.txt", "jquery/LICENSE.txt", ()),
    ("jquery/dist/jquery.min.js", "jquery/jquery.min.js", ()),
]
VENDOR_LAYOUT_VERSION = "1"  # bump when VENDOR_FILES changes, to force a fresh copy


try:  # without importing nbconvert, which takes seconds
    NBCONVERT_VERSION = importlib.metadata.version("nbconvert")
except importlib.metadata.PackageNotFoundError:
    NBCONVERT_VERSION = "missing"


class BuildError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"slides: {msg}", flush=True)


def sha256(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True


# -- the JavaScript: npm ci, then a copy next to the HTML ------------------------------------------
def lock_hash() -> str:
    if not LOCK_FILE.is_file():
        raise BuildError(f"{LOCK_FILE.relative_to(ROOT)} is missing")
    return sha256(LOCK_FILE.read_bytes(), VENDOR_LAYOUT_VERSION.encode())


def npm_ci() -> None:
    """`npm ci` in slides/, unless node_modules was already installed from this lock file."""
    wanted = LOCK_FILE.read_text(encoding="utf-8")
    if NPM_STAMP.is_file() and NPM_STAMP.read_text(encoding="utf-8") == hashlib.sha256(wanted.encode()).hexdigest():
        return
    npm = shutil.which("npm")
    if npm is None and all((NODE_MODULES / src).exists() for src, _, _ in VENDOR_FILES):
        log("warning: npm not found; using slides/node_modules as it is")
        return
    if npm is None:
        raise BuildError("npm not found: the slides need node.js and npm to fetch reveal.js and MathJax "
                         "(apt-get install nodejs npm, brew install node, or https://nodejs.org)")
    log("npm ci (reveal.js, MathJax 2, require.js, jQuery, pinned in slides/package-lock.json)")
    start = time.perf_counter()
    result = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                            cwd=SLIDES_DIR, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"npm ci failed in {SLIDES_DIR.relative_to(ROOT)}:\n{result.stdout}{result.stderr}")
    NPM_STAMP.write_text(hashlib.sha256(wanted.encode()).hexdigest(), encoding="utf-8")
    log(f"npm ci done in {time.perf_counter() - start:.1f} s")


def copy_vendor(out: Path, state: dict) -> None:
    """Copy the JavaScript the decks load to out/vendor/, when the lock file changed since last time."""
    vendor = out / "vendor"
    wanted = lock_hash()
    if state.get("vendor") == wanted and vendor.is_dir():
        return
    npm_ci()
    tmp = out / ".vendor.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for src, dst, ignore in VENDOR_FILES:
        source, target = NODE_MODULES / src, tmp / dst
        if not source.exists():
            raise BuildError(f"{source.relative_to(ROOT)} is missing: is slides/package.json's version "
                             f"right? (delete slides/node_modules and run again)")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(*ignore) if ignore else None)
        else:
            shutil.copy2(source, target)
    old = out / ".vendor.old"
    shutil.rmtree(old, ignore_errors=True)
    if vendor.exists():
        os.replace(vendor, old)
    os.replace(tmp, vendor)
    shutil.rmtree(old, ignore_errors=True)
    state["vendor"] = wanted
    where = vendor.relative_to(ROOT) if vendor.is_relative_to(ROOT) else vendor
    log(f"copied reveal.js, MathJax, require.js and jQuery to {where}")


# -- one deck per notebook ---------------------------------------------------------------------------
def first_deck_name(notebook: Path) -> str:
    """The name of a notebook's first deck: the notebook's stem, or stem-1 when it is two lectures."""
    text = notebook.read_text(encoding="utf-8")
    return f"{notebook.stem}-1" if '"lecture-break"' in text else notebook.stem


def neighbours(notebooks: list[Path], k: int) -> list[Path]:
    """The notebook and the ones before and after it: its decks' "last time" and "next" slides read them."""
    return notebooks[max(k - 1, 0):k + 2]


def deck_inputs_hash(notebooks: list[Path], k: int, lang: str = "en") -> str:
    template_files = sorted(p for p in (TEMPLATES_DIR / TEMPLATE_NAME).rglob("*") if p.is_file())
    return sha256(*(nb.read_bytes() for nb in neighbours(notebooks, k)), f"{k} {lang}".encode(),
                  Path(__file__).read_bytes(), VIEW_FILE.read_bytes(), NBCONVERT_VERSION.encode(),
                  *(p.read_bytes() for p in template_files))


def load_view():
    """slides/lecture_view.py, the lecture view of a notebook."""
    if str(SLIDES_DIR) not in sys.path:
        sys.path.insert(0, str(SLIDES_DIR))
    import lecture_view

    return lecture_view


_exporters: dict = {}


def exporter(lang: str = "en"):
    """The SlidesExporter of this process for a language (its templates compile once)."""
    if lang not in _exporters:
        _exporters[lang] = make_exporter(lang)
    return _exporters[lang]


def warm_up() -> None:
    """Convert a tiny notebook, so that forked workers start with compiled templates and lexers."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t\n$x$"), nbformat.v4.new_code_cell("x = 1")]
    for cell in nb.cells:
        cell.metadata["slideshow"] = {"slide_type": "slide"}
    for lang in LANGUAGES:
        exporter(lang).from_notebook_node(nb, resources={"metadata": {"name": "warm-up"}})


def make_exporter(lang: str = "en"):
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    up = LANGUAGES[lang][2]  # the zh decks are one folder down: build/slides/zh/
    c = Config()
    c.SlidesExporter.language_code = lang  # <html lang="zh">: the template picks the CJK fonts
    c.SlidesExporter.template_name = TEMPLATE_NAME
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    c.SlidesExporter.reveal_url_prefix = up + REVEAL_PREFIX
    c.SlidesExporter.mathjax_url = up + MATHJAX_URL
    c.SlidesExporter.require_js_url = up + REQUIRE_JS_URL
    c.SlidesExporter.jquery_url = up + JQUERY_URL
    c.SlidesExporter.font_awesome_url = ""  # not used by the reveal template; never a CDN
    c.SlidesExporter.reveal_theme = "white"  # "simple" (nbconvert's default) imports Google fonts
    c.SlidesExporter.reveal_transition = "slide"
    c.SlidesExporter.reveal_scroll = True  # a slide taller than the screen scrolls
    c.SlidesExporter.reveal_number = "c/t"
    # 16:9, the shape of today's screens and projectors (nbconvert's 960x700 is 4:3-ish): more room
    # for 100-character lines of code. The deck scales to the window.
    c.SlidesExporter.reveal_width = "1280"
    c.SlidesExporter.reveal_height = "720"
    # The code stays on the slides; the In [n]:/Out[n]: prompts only take room.
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    return SlidesExporter(config=c)


def build_decks(notebooks: list[str], k: int, out: str, first_decks: dict[str, str],
                lang: str = "en") -> list[tuple[str, str, float]]:
    """Convert notebook k of the series to its lecture deck(s), out/<name>.html; [(name, title, seconds)].

    first_decks maps a notebook's stem to its first deck's name (for links between notebooks).
    """
    import nbformat

    view = load_view()
    start = time.perf_counter()
    paths, out_dir = [Path(nb) for nb in notebooks], Path(out)
    near = neighbours(paths, k)
    series = [(p.stem, nbformat.read(p, as_version=4)) if p in near else (p.stem, {"cells": []}) for p in paths]
    nb = series[k][1]
    results = []
    for deck in view.lecture_decks(series, k, lang):
        lecture = copy.deepcopy(nb)
        lecture.cells = [nbformat.from_dict(cell) for cell in deck.cells]
        ids = set()
        for n, cell in enumerate(lecture.cells):
            cell.setdefault("metadata", {})
            if cell.get("id") in ids or "id" not in cell:  # a cell the view cut in pieces: one id each
                cell["id"] = f"lecture-view-{n}"
            ids.add(cell["id"])
            if cell.cell_type == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
        lecture.metadata["title"] = deck.title  # the page's <title>
        body, _ = exporter(lang).from_notebook_node(lecture, resources={"metadata": {"name": deck.name}})
        # A link to another notebook of the series goes to that notebook's (first) deck.
        body = re.sub(r'(<a\s[^>]*?href=")([\w.-]+)\.ipynb(?:#[^"]*)?"',
                      lambda m: f'{m[1]}{first_decks.get(m[2], m[2])}.html"', body)
        problems = external_loads(body)
        if problems:
            raise BuildError(f"{deck.name}: the deck would still load from the network: {problems[:5]}")
        write_if_changed(out_dir / f"{deck.name}.html", body)
        results.append((deck.name, deck.title, time.perf_counter() - start))
    return results


# -- no network --------------------------------------------------------------------------------------
_REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
_REMOTE_IN_CSS = re.compile(r"""(url\(\s*['"]?|@import\s+['"])\s*(https?:)?//""", re.I)
# In scripts: `import ... from "https://..."`, `import("https://...")`, `x.src = "https://..."`, and any
# quoted "https://....js" (require.js module lists).
_REMOTE_IN_JS = re.compile(r"""(\bfrom\s*|\bimport\s*\(\s*|\.src\s*=\s*)['"](https?:)?//|"""
                           r"""['"](https?:)?//[\w.-]+/[^'"\s]*\.m?js['"]""", re.I)


class _LoadFinder(HTMLParser):
    """Collects what a page fetches by itself: src=, <link href=>, <object data=>, CSS url(), JS imports."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if (name in ("src", "srcset", "poster") or (tag == "link" and name == "href")
                    or (tag == "object" and name == "data")) and _REMOTE.match(value):
                self.found.append(f"<{tag} {name}={value}>")
            if name == "style" and _REMOTE_IN_CSS.search(value):
                self.found.append(f"<{tag} style={value[:80]}>")
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style" and _REMOTE_IN_CSS.search(data):
            self.found.append("<style> " + _REMOTE_IN_CSS.search(data).group(0))
        if self._in == "script" and _REMOTE_IN_JS.search(data):
            self.found.append("<script> " + _REMOTE_IN_JS.search(data).group(0))


def external_loads(page: str) -> list[str]:
    """Everything in an HTML page that would be fetched from the network (links to click are fine)."""
    finder = _LoadFinder()
    finder.feed(page)
    finder.close()
    return finder.found


# -- the index ---------------------------------------------------------------------------------------
INDEX = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "Noto Sans SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 46em;
       margin: 3em auto; padding: 0 1em; line-height: 1.5; color: #222; }}
h1 {{ font-size: 1.8em; }}
h2 {{ font-size: 1.4em; margin-top: 1.6em; }}
li {{ margin: 0.4em 0; font-size: 1.2em; }}
code, kbd {{ font-size: 0.9em; }}
.file {{ color: #777; font-size: 0.8em; }}
.lang {{ float: right; font-size: 1.1em; }}
</style>
</head>
<body>
<p class="lang">{switch}</p>
<h1>{title}</h1>
{sections}
{help}
</body>
</html>
"""
HELP = {
    "en": """<p>In a deck: arrow keys or space to move, <kbd>S</kbd> for the speaker view with the notes
(it opens a window: allow pop-ups), <kbd>F</kbd> for full screen, <kbd>Esc</kbd> for the overview.
Everything the decks need is in this folder: they work offline.</p>""",
    ZH: """<p>在幻灯片里：方向键或空格键翻页，<kbd>S</kbd> 打开带讲者备注的演讲者视图（会打开一个新窗口：
请允许弹出窗口），<kbd>F</kbd> 全屏，<kbd>Esc</kbd> 总览。幻灯片需要的一切都在这个文件夹里：不联网也能用。</p>""",
}
HEADINGS = {"en": ("English", "autograd from scratch: slides"), ZH: ("中文", "从零实现 autograd：幻灯片")}


def deck_list(decks: dict[str, str], prefix: str) -> str:
    items = "\n".join(f'<li><a href="{html.escape(prefix + name)}.html">{html.escape(title)}</a> '
                      f'<span class="file">{html.escape(name)}</span></li>'
                      for name, title in sorted(decks.items()))
    return f"<ol>\n{items or '<li>No notebooks yet.</li>'}\n</ol>"


def write_indexes(out: Path, titles: dict[str, dict[str, str]]) -> None:
    """build/slides/index.html (every deck, English and Chinese) and build/slides/zh/index.html (中文)."""
    zh = titles.get(ZH, {})
    sections = f"<h2>{HEADINGS['en'][0]}</h2>\n" + deck_list(titles.get("en", {}), "")
    if zh:
        sections += f"\n<h2>{HEADINGS[ZH][0]}</h2>\n" + deck_list(zh, f"{ZH}/")
    switch = f'<a href="{ZH}/index.html" lang="zh">中文</a>' if zh else ""
    write_if_changed(out / "index.html", INDEX.format(lang="en", title=HEADINGS["en"][1], switch=switch,
                                                     sections=sections, help=HELP["en"]))
    if zh:
        write_if_changed(out / ZH / "index.html", INDEX.format(
            lang="zh", title=HEADINGS[ZH][1], switch='<a href="../index.html" lang="en">English</a>',
            sections=deck_list(zh, ""), help=HELP[ZH]))
    elif (out / ZH / "index.html").is_file():
        (out / ZH / "index.html").unlink()


def state_key(lang: str) -> str:
    """Where the state file keeps a language's notebooks."""
    return "notebooks" if lang == "en" else f"notebooks-{lang}"


# -- main ----------------------------------------------------------------------------------------------
def build(notebooks: list[Path], out: Path, force: bool = False, jobs: int | None = None,
          prune: bool = False, lang: str = "en") -> dict[str, str]:
    """Build the decks of `notebooks` (of language `lang`) into `out` (build/slides; the zh decks go
    to out/zh/); returns {name: title} of every deck of that language.

    prune: also delete the decks whose notebook is not in `notebooks` (a full build).
    """
    start = time.perf_counter()
    folder, sub, _ = LANGUAGES[lang]
    decks_dir = out / sub
    out.mkdir(parents=True, exist_ok=True)
    with build_lock(out):  # two builds at once (make slides and the browser test) take turns
        state_path = out / STATE_FILE
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        if force:
            state.pop("vendor", None)
        copy_vendor(out, state)  # one vendor/ for both languages: the zh decks load ../vendor/
        # notebook stem -> {"hash": ..., "decks": [[name, title], ...]}
        built = state.setdefault(state_key(lang), {})
        state.pop("decks", None)  # the layout of an older version of this script
        series = sorted(set(folder.glob("*.ipynb")) | set(notebooks))
        first_decks = {nb.stem: first_deck_name(nb) for nb in series}
        if notebooks:
            decks_dir.mkdir(parents=True, exist_ok=True)

        stale = []
        for nb in notebooks:
            k = series.index(nb)
            wanted = deck_inputs_hash(series, k, lang)
            entry = built.get(nb.stem, {})
            if force or entry.get("hash") != wanted or not entry.get("decks") or \
                    not all((decks_dir / f"{name}.html").is_file() for name, _ in entry["decks"]):
                stale.append((nb, k, wanted))
        if stale:
            warm_up()  # here, once: forked worker processes start warm (seconds each otherwise)
            jobs = max(1, min(jobs or os.cpu_count() or 1, len(stale), 8))
            paths = [str(nb) for nb in series]
            if jobs == 1:
                results = [build_decks(paths, k, str(decks_dir), first_decks, lang) for _, k, _ in stale]
            else:
                forks = "fork" in multiprocessing.get_all_start_methods()
                fork = multiprocessing.get_context("fork") if forks else None
                with ProcessPoolExecutor(jobs, mp_context=fork) as pool:
                    results = list(pool.map(build_decks, [paths] * len(stale), [k for _, k, _ in stale],
                                            [str(decks_dir)] * len(stale), [first_decks] * len(stale),
                                            [lang] * len(stale)))
            for (nb, _, wanted), made in zip(stale, results):
                old = {name for name, _ in built.get(nb.stem, {}).get("decks", [])}
                built[nb.stem] = {"hash": wanted, "decks": [[name, title] for name, title, _ in made]}
                for name in old - {name for name, _, _ in made}:
                    (decks_dir / f"{name}.html").unlink(missing_ok=True)
                for name, _, seconds in made:
                    log(f"{sub + '/' if lang != 'en' else ''}{name}.html ({seconds:.1f} s)")

        if prune:
            keep = {nb.stem for nb in notebooks}
            for stem in list(built):
                if stem not in keep:
                    for name, _ in built.pop(stem)["decks"]:
                        (decks_dir / f"{name}.html").unlink(missing_ok=True)
                        log(f"removed {name}.html (its notebook is gone)")
        # The indexes: every deck of both languages (a partial build leaves the others there).
        titles = {}
        for language, (_, where, _) in LANGUAGES.items():
            titles[language] = {name: title for stem in sorted(state.get(state_key(language), {}))
                                for name, title in state[state_key(language)][stem]["decks"]
                                if (out / where / f"{name}.html").is_file()}
        write_if_changed(state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
        write_indexes(out, titles)
    if notebooks or lang == "en":
        log(f"{len(stale)} of {len(notebooks)} {'' if lang == 'en' else lang + ' '}notebook(s) rebuilt, "
            f"{len(titles[lang])} decks in "
            f"{decks_dir.relative_to(ROOT) if decks_dir.is_relative_to(ROOT) else decks_dir}/index.html "
            f"({time.perf_counter() - start:.1f} s)")
    return titles[lang]


@contextlib.contextmanager
def build_lock(out: Path):
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(out / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to build (default: every notebooks/*.ipynb and notebooks/zh/*.ipynb, "
                             "and decks of notebooks that are gone are removed)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default build/slides)")
    parser.add_argument("--force", action="store_true", help="rebuild everything")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel conversions (default: CPUs, 8 at most)")
    args = parser.parse_args(argv)

    everything = not args.notebooks
    if everything:
        groups = {lang: sorted(folder.glob("*.ipynb")) for lang, (folder, _, _) in LANGUAGES.items()}
    else:
        groups = {lang: [] for lang in LANGUAGES}
        for path in (p.resolve() for p in args.notebooks):
            groups[ZH if path.parent == (NOTEBOOKS_DIR / ZH).resolve() else "en"].append(path)
    missing = [str(p) for nbs in groups.values() for p in nbs if not p.is_file()]
    if missing:
        print(f"slides: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    try:
        for lang, notebooks in groups.items():
            if notebooks or everything:
                build(notebooks, out, force=args.force, jobs=args.jobs, prune=everything, lang=lang)
    except BuildError as err:
        print(f"slides: error: {err}", file=sys.stderr)
        return 1
    if not groups["en"] and everything:
        log("no notebooks in notebooks/ yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
