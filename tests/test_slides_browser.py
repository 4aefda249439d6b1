"""Every slide of every lecture deck (`make slides`) fits a 1280x720 projector, offline.

The decks are built (or reused when fresh) from every notebook by scripts/build_slides.py, through
the lecture view of slides/lecture_view.py. Each deck is opened from file:// in headless Chromium
(Playwright, the system's Chromium) at 1280x720 with every request that is not file:/data: aborted
and counted as a failure. tests/slide_measure.js then walks every slide in every fragment state
and the test fails on:

- a slide taller than the screen (a presenter's remote cannot scroll);
- a clipped line: a code line, table or formula wider than its block (or past the slide's edge);
- prose below 24 px, code or output below 20 px, a graph label below 16 px, all as shown; a
  matplotlib figure's smallest text (its size in the PNG's pixels, from the font size in points
  the code gives and the PNG's dpi: slides/lecture_view.py's measure_figures) times the zoom it is
  shown at below 16 px, or a figure whose text size is not known;
- a line that wraps in a torch/afs pair shown in two columns;
- anything fetched from the network, a file:// load that failed, an error in the console.

Besides: Reveal.next() walks every slide to the last; MathJax typeset the math with no error and no
`$...$` left; each deck is one lecture (45-75 planned minutes) that opens with title, agenda and
"last time" (but the first) and ends with "What we saw" and "Next"; the speaker view shows the
notes; and speaker notes sit on at least 80% of all slides.

Screenshots of each deck's first slide and of its first graph go to build/screenshots/; with
AFS_SCREENSHOTS=all, one per slide (every fragment shown), for a person to look at. The test is
skipped, saying why, where there is no Chromium (or no Playwright), or where npm is missing and the
JavaScript has not been installed before. The build and the measurement of the 16 decks (497
slides, every fragment state) take 4 to 6 minutes on the project's shared 2-core machine.

The Chinese edition's decks (notebooks/zh/*.ipynb -> build/slides/zh/) are measured by the same
rules, with the headings the view writes in Chinese, once its notebooks exist; then each zh deck is
also checked for <html lang="zh"> and Chinese characters drawn with a real CJK glyph (not the box of
a missing font), with a screenshot in build/screenshots/zh/. Until then those tests skip.
"""
from __future__ import annotations

import json
import os
import re
import time

import pytest
from slides_support import (
    BUILD_SCRIPT,
    ROOT,
    SCREENSHOTS,
    SLIDES_OUT,
    OfflinePage,
    build_all_decks,
    deck_language,
    deck_names,
    launch_chromium,
    load_module,
    notebooks,
    zh_notebooks,
)

MEASURE_JS = (ROOT / "tests" / "slide_measure.js").read_text(encoding="utf-8")
LIMITS = {"minProse": 24, "minCode": 20, "minLabel": 16}
NOTES_SHARE = 0.80
MINUTES = (45, 75)
DECKS = deck_names()
# The headings of the slides the lecture view adds, and of the notebooks' own summary, per language.
HEADINGS = {"en": {"agenda": ("Agenda",), "last": ("Last time",), "saw": ("What we saw",), "next": ("Next",),
                   "timing": r"Timing plan, (\d+) minutes"},
            "zh": {"agenda": ("议程",), "last": ("上一讲",), "saw": ("本讲回顾", "小结"), "next": ("下一讲",),
                   "timing": r"时间安排，共(\d+)分钟"}}
CJK = re.compile("[\u4e00-\u9fff]")
pytestmark = pytest.mark.skipif(not DECKS, reason="no notebooks in notebooks/ yet: no slides to test")
MEASURED: dict[str, dict] = {}  # deck name -> what slide_measure.js returned, for the notes test


@pytest.fixture(scope="module")
def decks():
    return build_all_decks()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


@pytest.fixture
def offline(browser):
    opened = []

    def open_(path, query=""):
        page = OfflinePage(browser)
        opened.append(page)
        page.open_deck(path, query)
        return page

    yield open_
    for page in opened:
        page.close()


def describe(problems: list[dict]) -> str:
    lines = []
    for p in problems[:12]:
        detail = ", ".join(f"{k}={round(v, 1) if isinstance(v, float) else v}" for k, v in p.items()
                           if k not in ("kind", "where"))
        lines.append(f"  {p['kind']}: {p['where']}: {detail}")
    more = f"\n  ... and {len(problems) - 12} more" if len(problems) > 12 else ""
    return "\n".join(lines) + more


@pytest.mark.parametrize("name", DECKS)
def test_every_slide_fits_the_screen(name, decks, offline):
    start = time.perf_counter()
    deck = offline(decks[name])
    page = deck.page
    (SCREENSHOTS / name).parent.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()
    page.screenshot(path=str(SCREENSHOTS / f"{name}-title.png"))
    title = page.evaluate("(Reveal.getSlide(0, 0).querySelector('h1, h2') || {}).textContent || ''")
    assert title.strip(), f"{name}: the first slide has no heading"

    # Navigation: Reveal.next() visits every slide and ends on the last.
    walk = page.evaluate("""() => {
        Reveal.slide(0, 0, -1);
        const seen = new Set();
        let steps = 0;
        for (;;) {
            const i = Reveal.getIndices();
            seen.add(i.h + '/' + i.v);
            if (Reveal.isLastSlide() && !Reveal.availableFragments().next) break;
            if (++steps > 5000) break;
            Reveal.next();
        }
        return {seen: seen.size, total: Reveal.getTotalSlides(), last: Reveal.isLastSlide()};
    }""")
    assert walk["last"] and walk["seen"] == walk["total"] > 1, f"{name}: Reveal.next() skipped slides: {walk}"

    measured = page.evaluate(MEASURE_JS, LIMITS)
    MEASURED[name] = measured
    problems = measured["problems"]
    assert not problems, f"{name}: {len(problems)} problem(s) at 1280x720:\n{describe(problems)}"

    # Math: typeset by MathJax 2, no error, no TeX left in the visible text.
    math = page.evaluate("""() => ({
        errors: [...document.querySelectorAll('.MathJax_Error, .merror, .noError')].map(e => e.textContent),
        leftover: [...document.querySelectorAll('.jp-RenderedMarkdown')].map(md => {
            const copy = md.cloneNode(true);
            copy.querySelectorAll('script, code, pre, .MathJax, .MathJax_Display, .MathJax_Preview,'
                                  + ' .MJX_Assistive_MathML').forEach(n => n.remove());
            return copy.textContent;
        }).filter(text => /\\$[^$\\n]+\\$|\\\\\\(|\\\\\\[/.test(text)),
    })""")
    assert not math["errors"], f"{name}: TeX errors: {math['errors'][:5]}"
    assert not math["leftover"], f"{name}: math not typeset, still in $...$: {math['leftover'][:3]}"

    graph = page.evaluate("""() => {
        const g = document.querySelector('.jp-RenderedSVG svg');
        if (!g) return null;
        const s = g.closest('section:not(.stack)'), i = Reveal.getIndices(s);
        Reveal.slide(i.h, i.v, 99);
        return i;
    }""")
    if graph is not None:
        page.wait_for_timeout(200)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-graph.png"))
    if os.environ.get("AFS_SCREENSHOTS") == "all":
        for k in range(len(measured["slides"])):
            page.evaluate("k => { const i = Reveal.getIndices(Reveal.getSlides()[k]); Reveal.slide(i.h, i.v, 99); }", k)
            page.wait_for_timeout(150)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{k + 1:02d}.png"))
    page.wait_for_timeout(100)
    deck.assert_clean(name)
    print(f"{name}: {len(measured['slides'])} slides measured in {time.perf_counter() - start:.1f} s")


@pytest.mark.parametrize("name", DECKS)
def test_each_deck_is_one_lecture(name, decks):
    """Title, agenda, "last time" (all but the first lecture), "What we saw", "Next" (all but the last);
    45-75 planned minutes, and the timing plan in the first slide's notes."""
    page = decks[name].read_text(encoding="utf-8")
    words, series = HEADINGS[deck_language(name)], [d for d in DECKS if deck_language(d) == deck_language(name)]
    headings = [re.sub(r"<[^>]+>|¶", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
    assert any(h in words["agenda"] for h in headings), f"{name}: no agenda slide ({words['agenda']})"
    if name != series[0]:
        assert any(h.startswith(words["last"]) for h in headings), f"{name}: no 'Last time' slide"
    assert any(h.startswith(words["saw"]) for h in headings), f"{name}: no 'What we saw' slide"
    if name != series[-1]:
        assert any(h.startswith(words["next"]) for h in headings), f"{name}: no 'Next' slide"
    first_notes = re.search(r'<aside class="notes">(.*?)</aside>', page, re.S)
    timing = re.search(words["timing"], first_notes[1]) if first_notes else None
    assert timing, f"{name}: no timing plan in the first slide's notes"
    minutes = float(timing[1])
    assert MINUTES[0] <= minutes <= MINUTES[1], f"{name}: planned for {minutes:.0f} minutes, not {MINUTES}"


def test_speaker_view_shows_the_notes(decks, offline):
    name = DECKS[0]
    deck = offline(decks[name])
    page = deck.page
    expected = page.evaluate("""() => {
        const n = document.querySelector('aside.notes'), s = n.closest('section:not(.stack)'), i = Reveal.getIndices(s);
        Reveal.slide(i.h, i.v);
        return n.textContent.trim();
    }""")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.wait_for_function(
        "text => { const n = document.querySelector('.speaker-controls-notes');"
        " return n && n.textContent.replace(/\\s+/g, ' ').includes(text); }",
        arg=re.sub(r"\s+", " ", expected)[:40])
    speaker.close()
    deck.assert_clean(name)


def test_notes_on_most_slides(decks):
    """Speaker notes on at least 80% of the slides of all decks (measured by the test above)."""
    if set(MEASURED) != set(DECKS):
        pytest.skip("needs test_every_slide_fits_the_screen over every deck first (run the whole file)")
    slides = [s for name in DECKS for s in MEASURED[name]["slides"]]
    with_notes = sum(s["notes"] for s in slides)
    per_deck = {name: f"{sum(s['notes'] for s in MEASURED[name]['slides'])}/{len(MEASURED[name]['slides'])}"
                for name in DECKS}
    assert with_notes >= NOTES_SHARE * len(slides), \
        f"notes on {with_notes} of {len(slides)} slides ({with_notes / len(slides):.0%}); per deck: {per_deck}"


def test_index_lists_every_deck(decks):
    index = (SLIDES_OUT / "index.html").read_text(encoding="utf-8")
    for name in decks:
        assert f'href="{name}.html"' in index, f"build/slides/index.html has no link to {name}.html"


def test_no_page_loads_from_the_network(decks):
    """No src=, <link href=>, CSS url() or script import from http(s):// in the built pages."""
    build = load_module("build_slides", BUILD_SCRIPT)
    pattern = re.compile(r"""<(script|link|img|iframe|source|embed)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", re.I)
    for page in [SLIDES_OUT / "index.html", *decks.values()]:
        text = page.read_text(encoding="utf-8")
        assert not build.external_loads(text), f"{page.name} loads from the network: {build.external_loads(text)[:5]}"
        assert not pattern.search(text), f"{page.name}: {pattern.search(text).group(0)}"
        assert "cdnjs.cloudflare.com" not in text and "unpkg.com" not in text, f"{page.name} names a CDN"


def test_every_notebook_has_a_deck(decks):
    for prefix, nbs in (("", notebooks()), ("zh/", zh_notebooks())):
        for nb in nbs:
            stem = prefix + nb.stem
            assert any(name == stem or name.startswith(stem + "-") for name in decks), f"{stem}.ipynb has no deck"
    assert json.loads((SLIDES_OUT / ".build-state.json").read_text(encoding="utf-8"))["notebooks"]


# -- the lecture view's rules, on small notebooks made here (no browser) --------------------------------
def code(text: str, out: str, kind: str = "fragment") -> dict:
    return {"cell_type": "code", "metadata": {"slideshow": {"slide_type": kind}}, "source": text,
            "execution_count": 1, "outputs": [{"output_type": "stream", "name": "stdout", "text": out}]}


def test_torch_and_afs_twins_side_by_side_only_where_they_fit():
    view = load_module("lecture_view", ROOT / "slides" / "lecture_view.py")
    torch_cell = code("y = torch.ones(2) * 3\nprint(y)", "tensor([3., 3.])\n")
    afs_cell = code("y_ours = afs.ones(2) * 3\nprint(y_ours)", "tensor([3., 3.])\n")
    notes = {"cell_type": "markdown", "metadata": {"slideshow": {"slide_type": "notes"}}, "source": "Instructor note: x"}
    merged = view.pair_columns([torch_cell, notes, afs_cell])
    assert [view.tags(c) for c in merged] == [["afs-pair"], []], "a twin that fits should share the slide"
    page = merged[0]["outputs"][0]["data"]["text/html"]
    assert page.count('class="afs-column"') == 2 and '<div class="fragment">' in page
    assert "torch" in page.split('class="afs-column"')[1] and "y_ours" in page.split('class="afs-column"')[2]
    # a line wider than half the slide: stacked
    wide = code("y_ours = afs.ones(2) * 3  # a comment that makes the line too long\nprint(y_ours)", "x\n")
    assert len(view.pair_columns([torch_cell, wide])) == 2
    # not a twin: an afs cell that computes something else, or two torch cells
    other = code("z_ours = afs.zeros(5).sum()\nw = z_ours.backward()", "")
    assert len(view.pair_columns([torch_cell, other])) == 2
    assert len(view.pair_columns([torch_cell, code("y = torch.ones(2) * 3\nprint(y)", "x\n")])) == 2


def test_figure_text_size_is_known_and_a_wide_figure_is_cut_to_show_it():
    import base64
    import io

    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    view = load_module("lecture_view", ROOT / "slides" / "lecture_view.py")
    assert view.figure_font_pt("ax.plot(x)") == 10  # matplotlib's default
    assert view.figure_font_pt('ax.set_xticks(t, names, fontsize=8)\nax.legend(fontsize="small")') == 8
    assert view.figure_font_pt('ax.legend(fontsize="small")') == pytest.approx(8.33)
    source = ("fig, axes = plt.subplots(1, 2, figsize=(13, 4))\n"
              "axes[0].set_xticks([0, 1], ['a', 'b'], fontsize=8)\n")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_xticks([0, 1], ["a", "b"], fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode()
    cell = {"cell_type": "code", "metadata": {"slideshow": {"slide_type": "-"}}, "source": source, "execution_count": 1,
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png, "text/plain": "<Figure>"}}]}
    view.measure_figures(cell, {})
    px = cell["outputs"][0]["metadata"]["afs_label_px"]
    assert px == pytest.approx(8 * 100 / 72, rel=0.01), "8 pt at 100 dpi is 11.1 px of the PNG"
    # 1300 px of figure whose smallest text is 11.1 px: at 16 px it needs 1870 px, more than a slide
    pieces = [c for c in view.figure_windows(cell) if c.get("outputs")]
    assert len(pieces) >= 2, "a figure too wide to show its text at 16 px should be cut into panels"
    for piece in pieces:
        out = piece["outputs"][0]
        width, _ = view.png_size(out["data"]["image/png"])
        assert width * view.label_scale(out) <= view.TEXT_W, f"a piece {width} px wide is still too wide"


def test_the_frames_label_size_is_the_one_afs_draws():
    """lecture_view.FRAME_FONT_PT (the smallest label of a backward-pass frame) against a real frame."""
    import shutil

    if not shutil.which("dot"):
        pytest.skip("graphviz's dot is not installed")
    afs = pytest.importorskip("autograd_from_scratch")
    view = load_module("lecture_view", ROOT / "slides" / "lecture_view.py")
    a = afs.tensor([2.0, 3.0], requires_grad=True)
    b = afs.tensor([6.0, 4.0], requires_grad=True)
    frames = afs.frames.backward_frames(3 * a**3 - b**2, afs.tensor([1.0, 1.0]), params=[("a", a), ("b", b)])
    smallest = min(view.svg_min_font(frame.pipe(format="svg", encoding="utf-8")) for frame in frames)
    assert smallest == view.FRAME_FONT_PT


# -- the Chinese edition's decks (notebooks/zh/, once translated) ---------------------------------------
ZH_DECKS = [name for name in DECKS if deck_language(name) == "zh"]
NO_ZH = "no Chinese notebook in notebooks/zh/ yet: the zh decks are built and tested once they land"


def test_index_offers_both_languages(decks):
    index = (SLIDES_OUT / "index.html").read_text(encoding="utf-8")
    if not ZH_DECKS:
        assert "zh/index.html" not in index
        pytest.skip(NO_ZH)
    zh_index = (SLIDES_OUT / "zh" / "index.html").read_text(encoding="utf-8")
    assert 'href="zh/index.html"' in index and 'href="../index.html"' in zh_index
    assert '<html lang="zh">' in zh_index
    for name in ZH_DECKS:
        assert f'href="{name}.html"' in index and f'href="{name[3:]}.html"' in zh_index, f"{name} not listed"


@pytest.mark.parametrize("name", ZH_DECKS or [pytest.param("zh", marks=pytest.mark.skip(reason=NO_ZH))])
def test_chinese_decks_show_chinese(name, decks, offline):
    """A zh deck is in Chinese (html lang, the view's own headings), and its characters are drawn with
    a CJK font, not as the boxes of a missing glyph: each character drawn on a canvas with the prose's
    font differs from an unassigned code point drawn the same way. Chinese prose is >= 24 px (measured
    over every slide by test_every_slide_fits_the_screen, which this reads when it ran first)."""
    deck = offline(decks[name])
    page = deck.page
    assert page.evaluate("document.documentElement.lang") == "zh"
    drawn = page.evaluate("""() => {
        const el = [...document.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li, h2')]
            .find(e => /[\\u4e00-\\u9fff]/.test(e.textContent));
        if (!el) return null;
        const style = getComputedStyle(el), canvas = document.createElement('canvas');
        canvas.width = canvas.height = 80;
        const g = canvas.getContext('2d');
        g.font = `${style.fontSize} ${style.fontFamily}`;
        const draw = ch => { g.clearRect(0, 0, 80, 80); g.fillText(ch, 8, 60); return g.getImageData(0, 0, 80, 80).data.join(); };
        const missing = draw('\\u0378'), blank = draw(' ');
        const chars = [...new Set(el.textContent.match(/[\\u4e00-\\u9fff]/g))].slice(0, 12);
        return {text: el.textContent.trim().slice(0, 40), chars,
                boxes: chars.filter(ch => draw(ch) === missing || draw(ch) === blank)};
    }""")
    assert drawn, f"{name}: no Chinese prose on any slide"
    assert not drawn["boxes"], f"{name}: drawn as missing glyphs (no CJK font): {drawn['boxes']} in {drawn['text']!r}"
    (SCREENSHOTS / "zh").mkdir(parents=True, exist_ok=True)
    page.evaluate("""() => { const s = [...Reveal.getSlides()].find(s => /[\\u4e00-\\u9fff]{8}/.test(s.textContent)
                                                                          && s.querySelector('p, li'));
                             const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v, 99); }""")
    page.wait_for_timeout(200)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-chinese.png"))
    if name in MEASURED:
        slides = MEASURED[name]["slides"]
        assert sum(s.get("cjk", 0) for s in slides) > 0
        smallest = min(s.get("minCJKProse", 99) for s in slides)
        assert smallest >= LIMITS["minProse"] - 0.01, f"{name}: Chinese prose at {smallest:.1f} px"
    deck.assert_clean(name)
