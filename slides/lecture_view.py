"""The lecture view of a notebook: the cells a room should see, cut into slides that fit 1280x720.

The slides are a view of the notebook, not its pages (as d2l's slides are): scripts/build_slides.py
passes every notebook through `lecture_decks` before nbconvert turns it into reveal.js. The notebook
itself is never changed. What the view does, in order:

1. Leaves out what a room need not read: cells whose slide_type is `skip`, cells tagged `slide-skip`,
   setup cells (imports and seeds only), and the code of an exercise section (from an "Exercises"
   heading to "What we saw"): an exercise slide shows the task only.
2. Shows the output alone (no code) for cells tagged `slide-hide-input`, and by itself for cells that
   draw a plot (a PNG output), build a widget or lay out the backward-pass frames (`frames.strip`).
   `slide-hide-output` drops a cell's outputs.
3. An error shows its last line (`RuntimeError: ...`), never the traceback or a file's path.
4. Engine source printed with `inspect.getsource` shows its key lines on the slide (the code without
   docstrings, comments and blank lines, as much as fits) and the whole source on the vertical
   sub-slides below it, each marked `afs-reference`.
5. The backward-pass frames (`afs.frames.strip`) become one frame per fragment, each at full size.
6. A code block, an output or a paragraph run taller than a slide is cut into pieces that fit, on
   successive sub-slides; a graph too big to show with labels of at least 16 px is shown in
   overlapping windows, one per sub-slide.
7. A slide whose cells together are taller than the screen continues on a new vertical sub-slide at
   the cell that does not fit (the tag `slide-break` forces a break before a cell).
8. A notebook with a cell tagged `lecture-break` becomes two lectures (two decks). Each deck opens
   with its title slide, an agenda and "last time" (the previous deck's "What we saw"), and ends with
   "what we saw" and "next"; the first slide's speaker notes carry a timing plan.

Heights are estimated from the template's CSS (the constants below); tests/test_slides_browser.py
measures every slide in Chromium and fails on one that still overflows.
"""
from __future__ import annotations

import copy
import math
import re
import unicodedata
from dataclasses import dataclass, field

# -- the slide's geometry: keep in step with slides/templates/offline_reveal/index.html.j2 ------------
SLIDE_W, SLIDE_H = 1280, 720
PAD_X, PAD_Y = 40, 16              # the slide's padding
TEXT_W = SLIDE_W - 2 * PAD_X       # 1200 px for text and code
BUDGET = SLIDE_H - 2 * PAD_Y - 12 - 14  # less the last cell's margin and a margin for error
PROSE_PX, PROSE_LINE, PROSE_CHARS = 26, 34, 84   # prose: font size, line height, characters a line
CODE_PX, CODE_LINE, CODE_CHARS = 20, 26, 94      # code and output, monospace
H1, H2, H3 = 66, 56, 46                          # a heading's height, with its margin
CELL_GAP = 12                                    # between two cells
BLOCK_PAD = 16                                   # a code block's or output's padding
MIN_LABEL_PX = 16                                # a graph's smallest label on the screen
KEY_LINES = 16                                   # engine source: at most this many key lines
MINUTES_PER = {"slide": 1.5, "code": 2.0, "exercise": 6.0, "reference": 0.5}
COL_GAP = 24                                     # between the two columns of a torch/afs pair
# characters a line of code in half the width: (1200 - 24) / 2 less the block's 16 px padding, at
# 12.04 px a character (DejaVu Sans Mono at 20 px), less one for safety
COL_CHARS = 46
TWIN_SIMILARITY = 0.6                            # a torch cell and its afs twin: their tokens' overlap
# matplotlib's named font sizes, in points, for its default font.size of 10
FONT_SIZES = {"xx-small": 5.79, "x-small": 6.94, "small": 8.33, "medium": 10.0, "large": 12.0,
              "x-large": 14.4, "xx-large": 17.28, "larger": 12.0, "smaller": 8.33}
MPL_DEFAULT_PT = 10.0                            # rcParams["font.size"]: ticks, legend, axis labels
# The backward-pass frames (afs.frames.backward_frames): graphviz draws a small graph's node labels
# at 11 pt (autograd_from_scratch/viz.py), the gradients and caption at 12 pt; its PNG is 96 dpi.
# tests/test_slides_browser.py checks this against a real frame.
FRAME_FONT_PT, GRAPHVIZ_DPI = 11.0, 96

EXERCISE_RE = re.compile(r"^\s{0,3}#{1,3}\s+(Exercises?\b|练习)", re.I | re.M)
SUMMARY_RE = re.compile(r"^\s{0,3}#{1,3}\s+(What we saw\b|小结|本讲回顾)", re.I | re.M)
GOALS_RE = re.compile(r"\*\*(?:You will learn|你将学到)\*\*\s*\n(.*?)(?:\n\s*\n|\Z)", re.S)

# What the view writes itself, in each language of the series (the notebooks' own words come from
# the notebooks: notebooks/zh/ for Chinese, whose notes begin "讲者备注：").
PHRASES = {
    "en": {
        "agenda": "Agenda", "last_time": "Last time: {}", "what_we_saw": "What we saw", "next": "Next: {}",
        "open_next": "Open the next deck", "start": "Start", "note": "Instructor note: ",
        "timing": "Timing plan, {:.0f} minutes in all (1.5 min a slide, 2 with code, 6 an exercise done in "
                  "class, 0.5 a reference sub-slide):",
        "timing_line": "- {:4.0f}-{:.0f} min: {} ({:.0f} min)",
        "agenda_note": "say where the lecture goes and where it stops; point at the section the class will "
                       "find hardest. The timing plan is in the first slide's notes.",
        "last_note": "ask the room to recall one item before showing the list; two minutes at most, then move on.",
        "saw_note": "recap in one sentence per item; ask which one to repeat next time.",
        "next_note": "one minute: say what question the next lecture answers, and what to read or try before it.",
        "more_keys": "# ... {} more key lines; the whole source is on the sub-slides below (down arrow)",
        "the_keys": "# ... the key lines; the whole source is on the sub-slides below (down arrow)",
        "whole_source": "### The whole source ({}/{})", "graph": "### The graph, {} ({}/{})",
        "figure": "### The figure, {} ({}/{})", "top": "top", "bottom": "bottom", "row": "row {} of {}",
        "left": "left", "middle": "middle", "right": "right", "part": "part {}", "sep": ", ",
    },
    "zh": {
        "agenda": "议程", "last_time": "上一讲：{}", "what_we_saw": "本讲回顾", "next": "下一讲：{}",
        "open_next": "打开下一讲的幻灯片", "start": "开始", "note": "讲者备注：",
        "timing": "时间安排，共{:.0f}分钟（每张幻灯片1.5分钟，有代码的2分钟，课上做的练习6分钟，"
                  "参考子页0.5分钟）：",
        "timing_line": "- {:.0f}–{:.0f}分钟：{}（{:.0f}分钟）",
        "agenda_note": "说明这一讲从哪里讲到哪里；指出全班会觉得最难的一节。时间安排在第一张幻灯片的备注里。",
        "last_note": "先请大家回忆其中一条，再展示列表；最多两分钟，然后往下讲。",
        "saw_note": "每条用一句话回顾；问大家下次要重讲哪一条。",
        "next_note": "一分钟：说明下一讲回答什么问题，课前读什么、试什么。",
        "more_keys": "# …… 还有{}行关键代码；完整源代码在下方的子页里（向下箭头）",
        "the_keys": "# …… 以上是关键代码；完整源代码在下方的子页里（向下箭头）",
        "whole_source": "### 完整源代码（{}/{}）", "graph": "### 计算图，{}（{}/{}）",
        "figure": "### 图，{}（{}/{}）", "top": "上半部分", "bottom": "下半部分", "row": "第{}行（共{}行）",
        "left": "左", "middle": "中", "right": "右", "part": "第{}部分", "sep": "，",
    },
}


def words(lang: str) -> dict[str, str]:
    return PHRASES.get(lang, PHRASES["en"])
HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+-]+)+/([\w.+-]+\.py)")


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def slide_type(cell: dict) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def set_slide_type(cell: dict, kind: str) -> None:
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def md_cell(text: str, kind: str = "-") -> dict:
    return {"cell_type": "markdown", "metadata": {"slideshow": {"slide_type": kind}}, "source": text}


def output_cell(outputs: list[dict], kind: str, classes: str = "") -> dict:
    """A code cell that shows only these outputs (no code)."""
    meta = {"slideshow": {"slide_type": kind}, "transient": {"remove_source": True}}
    if classes:
        meta["tags"] = classes.split()
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": outputs,
            "source": ""}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


# -- heights ---------------------------------------------------------------------------------------------
WIDE = 1.85  # a Chinese character (or full-width punctuation) is 1 em: about 1.85 Latin letters


def text_width(line: str) -> float:
    """A line's width in Latin characters: a wide (CJK) character counts WIDE."""
    return sum(WIDE if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line.expandtabs(4))


def wrapped(line: str, chars: int) -> int:
    return max(1, math.ceil(text_width(line) / chars))


def code_height(text: str) -> int:
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    return BLOCK_PAD + CODE_LINE * sum(wrapped(line, CODE_CHARS) for line in lines) if lines else 0


def prose_text(line: str) -> str:
    """A markdown line as it reads: links, emphasis and HTML tags out, math about its printed width."""
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"\$([^$]*)\$", lambda m: "x" * max(1, len(re.sub(r"\\[a-zA-Z]+|[{}^_]", "", m[1])) + 1), line)
    return re.sub(r"\*\*|__|<[^>]+>", "", line)


def math_height(tex: str) -> int:
    tall = re.search(r"\\(frac|xrightarrow|sum|prod|begin|partial|int)", tex)
    rows = tex.count("\\\\") + 1  # \\ ends a row of an aligned block
    return (84 if tall else 62) * rows


def markdown_height(text: str) -> int:
    """The height of a markdown cell as the template shows it: paragraphs, items, headings, math, code."""
    height, math_lines, fence, paragraph = 0, None, None, []

    def flush():
        nonlocal height, paragraph
        if paragraph:
            raw = " ".join(paragraph)
            words = prose_text(raw)
            item = re.match(r"\s*([-*+]|\d+\.)\s", paragraph[0])
            line = PROSE_LINE + (12 if "\\frac" in raw else 0)  # an inline fraction makes its line taller
            height += line * wrapped(words, PROSE_CHARS - (4 if item else 0)) + (4 if item else 12)
            paragraph = []

    for raw in text.split("\n"):
        line = raw.strip()
        if fence is not None:
            if line.startswith("```"):
                height += BLOCK_PAD + CODE_LINE * fence + 12
                fence = None
            else:
                fence += wrapped(raw, CODE_CHARS)
            continue
        if math_lines is not None:
            math_lines.append(line)
            if line.endswith("$$"):
                height += math_height(" ".join(math_lines)) + 12
                math_lines = None
            continue
        if line.startswith("```"):
            flush()
            fence = 0
            continue
        if line.startswith("$$"):
            flush()
            if line.endswith("$$") and len(line) > 4:
                height += math_height(line) + 12
            else:
                math_lines = [line]
            continue
        heading = HEADING_RE.match(raw)
        if heading:
            flush()
            level = len(heading[1])
            height += H1 if level == 1 else H2 if level == 2 else H3
            continue
        if not line:
            flush()
            continue
        if line.startswith("|"):
            flush()
            if not re.match(r"^\|[\s:|-]+\|$", line):
                cells = [prose_text(c) for c in line.strip("|").split("|")]
                widest = max((len(c) for c in cells), default=1)
                height += 14 + PROSE_LINE * wrapped("x" * widest, max(PROSE_CHARS // max(len(cells), 1), 8))
            continue
        if re.match(r"([-*+]|\d+\.)\s", line) and not raw.startswith("  "):
            flush()  # a new list item
        paragraph.append(line)
    flush()
    return height


def svg_size(svg: str) -> tuple[float, float] | None:
    match = re.search(r'viewBox="\s*([-\d.]+)[\s,]+([-\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)', svg)
    return (float(match[3]), float(match[4])) if match else None


def svg_min_font(svg: str) -> float:
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return min(sizes) if sizes else 14.0


def graph_scale(svg: str) -> float:
    """Pixels per SVG unit at which the graph's smallest label is MIN_LABEL_PX."""
    return MIN_LABEL_PX / svg_min_font(svg)


def png_size(b64: str) -> tuple[int, int] | None:
    import base64
    import struct

    head = base64.b64decode(b64[:64])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


# -- figures (PNG): the size of their smallest text on the screen -------------------------------------
def png_bytes(output: dict) -> bytes | None:
    import base64

    data = output.get("data", {}).get("image/png")
    if not data:
        return None
    return base64.b64decode("".join(data) if isinstance(data, list) else data)


def png_b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode("ascii")


def png_dpi(raw: bytes) -> float | None:
    """The dots per inch a PNG's pHYs chunk records (matplotlib writes its figure's dpi there)."""
    import struct

    at = raw.find(b"pHYs", 8, 4096)
    if at < 0:
        return None
    per_x, _, unit = struct.unpack(">IIB", raw[at + 4:at + 13])
    return per_x * 0.0254 if unit == 1 else None


FONT_ARG = re.compile(r"""\b(?:fontsize|labelsize|titlesize|size)\s*[=:]\s*(?:(\d+(?:\.\d+)?)\b|["']([\w-]+)["'])""")


def figure_font_pt(code: str) -> float:
    """The smallest font a matplotlib figure drawn by `code` uses, in points: matplotlib's default
    (font.size, 10 pt: ticks, legend, axis labels) or any smaller size the code gives
    (`fontsize=8`, `labelsize="small"`, `{"size": 9}`)."""
    sizes = [MPL_DEFAULT_PT]
    for number, name in FONT_ARG.findall(code):
        if number:
            sizes.append(float(number))
        elif name in FONT_SIZES:
            sizes.append(FONT_SIZES[name])
    return min(sizes)


def called_definitions(code: str, definitions: dict[str, str]) -> str:
    """The source of the notebook's functions that `code` calls (and those they call), once each."""
    seen, todo, out = set(), [code], []
    while todo:
        text = todo.pop()
        for name, body in definitions.items():
            if name not in seen and re.search(rf"\b{re.escape(name)}\s*\(", text):
                seen.add(name)
                out.append(body)
                todo.append(body)
    return "\n".join(out)


def notebook_definitions(cells: list[dict]) -> dict[str, str]:
    """{function name: the source of the cell that defines it} for a notebook's code cells."""
    found = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            for name in re.findall(r"^\s*def\s+(\w+)\s*\(", source(cell), re.M):
                found[name] = source(cell)
    return found


def label_px(output: dict) -> float | None:
    """The smallest text of a PNG output, in the PNG's own pixels (set by `measure_figures`)."""
    return output.get("metadata", {}).get("afs_label_px")


def label_scale(output: dict) -> float | None:
    """The zoom at which a PNG's smallest text is MIN_LABEL_PX on the slide (None: not known)."""
    px = label_px(output)
    return MIN_LABEL_PX * 1.03 / px if px else None


def measure_figures(cell: dict, definitions: dict[str, str]) -> None:
    """Record in each matplotlib PNG output of `cell` the pixel size of its smallest text: the font
    size in points (from the cell's code and the notebook functions it calls) times the dpi / 72."""
    for output in cell.get("outputs", []):
        raw = png_bytes(output)
        dpi = png_dpi(raw) if raw else None
        if dpi and "afs_label_px" not in output.get("metadata", {}):
            code = source(cell) + "\n" + called_definitions(source(cell), definitions)
            output.setdefault("metadata", {})["afs_label_px"] = round(figure_font_pt(code) * dpi / 72, 2)


def png_crop(raw: bytes, box: tuple[int, int, int, int]) -> bytes:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(raw))
    out = io.BytesIO()
    image.crop(box).save(out, format="PNG", dpi=image.info.get("dpi", (72, 72)))
    return out.getvalue()


def blank_columns(raw: bytes, gap: int = 12, below: float = 0.0) -> list[int]:
    """The x of the middle of every run of at least `gap` pixel columns of a PNG that are white (or
    nearly) from top to bottom (or from `below` of the height down, under a figure's title): the gaps
    between a figure's panels, not between two letters."""
    import io

    import numpy as np
    from PIL import Image

    gray = np.asarray(Image.open(io.BytesIO(raw)).convert("L"))
    gray = gray[int(below * gray.shape[0]):]
    blank = np.concatenate([[False], (gray >= 245).all(axis=0), [False]])
    edges = np.flatnonzero(np.diff(blank.astype(int)))
    return [int(start + end) // 2 for start, end in zip(edges[::2], edges[1::2]) if end - start >= gap]


def figure_cuts(raw: bytes, width: int, room: float) -> list[tuple[int, int]]:
    """Pieces [(left, right)] of a figure `width` px wide, each at most `room` px: cut in the white
    gaps between its panels where it can be (through the figure's title if it spans them), else in
    overlapping windows of `room` px."""
    for below in (0.0, 0.12):
        blank = set(blank_columns(raw, below=below))
        pieces, left = [], 0
        while width - left > room:
            cuts = [x for x in range(int(left + room), left + int(room * 0.4), -1) if x in blank]
            if not cuts:
                break
            pieces.append((left, cuts[0]))
            left = cuts[0]
        if width - left <= room:
            return pieces + [(left, width)]
    n = math.ceil(width / room)  # no gap: overlapping windows, as for a graph too big to read
    step = (width - room) / (n - 1)
    return [(round(k * step), round(k * step + room)) for k in range(n)]


def figure_windows(cell: dict, lang: str = "en") -> list[dict]:
    """A figure that would show its smallest text below MIN_LABEL_PX even at the full width of a
    slide: its panels (or overlapping windows of it) on sub-slides of their own, each big enough."""
    for k, output in enumerate(cell.get("outputs", [])):
        scale, raw = label_scale(output), png_bytes(output)
        size = png_size(png_b64(raw[:64])) if raw else None
        if not (scale and size) or size[0] * scale <= TEXT_W:
            continue
        pieces = figure_cuts(raw, size[0], TEXT_W / scale)
        if len(pieces) < 2:
            continue
        base = copy.deepcopy(cell)
        base["outputs"] = cell["outputs"][:k]
        result = [base] if base["outputs"] or not base["metadata"].get("transient", {}).get("remove_source") else []
        w = words(lang)
        names = {2: [w["left"], w["right"]], 3: [w["left"], w["middle"], w["right"]]}.get(len(pieces))
        for n, (left, right) in enumerate(pieces):
            where = names[n] if names else w["part"].format(n + 1)
            crop = png_b64(png_crop(raw, (left, 0, right, size[1])))
            piece = {**output, "data": {**output["data"], "image/png": crop},
                     "metadata": dict(output.get("metadata", {}))}
            title = md_cell(w["figure"].format(where, n + 1, len(pieces)), "subslide")
            result += [title, output_cell([piece], "-")]
        rest = cell["outputs"][k + 1:]
        if rest:
            result.append(output_cell(rest, "-"))
        return result
    return [cell]


def output_height(output: dict) -> int:
    if output.get("metadata", {}).get("afs_height"):  # the view's own blocks know their height
        return output["metadata"]["afs_height"]
    kind = output.get("output_type")
    if kind == "stream":
        return code_height(output_text(output))
    if kind == "error":
        return code_height("\n".join(output.get("traceback", [])))
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data:
        return 90
    if "image/svg+xml" in data:
        svg = "".join(data["image/svg+xml"])
        size = svg_size(svg)
        if size:
            return int(size[1] * graph_scale(svg)) + 8
        return 400
    if "image/png" in data:
        size = png_size("".join(data["image/png"]) if isinstance(data["image/png"], list) else data["image/png"])
        if size:  # shown at its size (or at the zoom its smallest text needs), at most the width
            return int(size[1] * min(max(1.0, label_scale(output) or 1.0), TEXT_W / size[0])) + 8
        return 400
    if "text/html" in data:
        text = re.sub(r"<[^>]+>", "", "".join(data["text/html"]))
        return code_height(text)
    if "text/markdown" in data:
        return markdown_height("".join(data["text/markdown"]))
    if "text/latex" in data:
        return 80
    return code_height(output_text(output))


def cell_height(cell: dict) -> int:
    if cell["cell_type"] == "markdown":
        return markdown_height(source(cell))
    height = 0
    if not cell.get("metadata", {}).get("transient", {}).get("remove_source"):
        height += code_height(source(cell))
    height += sum(output_height(o) + 4 for o in cell.get("outputs", []))
    return height


# -- the transformations, cell by cell ----------------------------------------------------------------------
def short_error(output: dict) -> dict:
    """An error output reduced to its last line, `Name: message`, with file paths cut to the file name."""
    message = ANSI_RE.sub("", f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    message = PATH_RE.sub(r"\1", message)
    return {**output, "traceback": [message]}


SETUP_LINE = re.compile(r"(import\s|from\s+\S+\s+import\s|\w+\.manual_seed\(|_course\.show_pictures\(\)|print\(|"
                        r"\)$|\s)")


def is_setup_cell(cell: dict) -> bool:
    """A code cell of imports and seeds (and a print saying they ran): nothing for a room to read."""
    lines = [ln for ln in source(cell).split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and any(ln.startswith(("import ", "from ")) for ln in lines) and \
        all(SETUP_LINE.match(ln) for ln in lines)


def is_engine_source(cell: dict) -> bool:
    return cell["cell_type"] == "code" and "getsource" in source(cell)


def key_lines(code: str) -> list[str]:
    """The lines of Python source that carry the logic: no docstrings, comments or blank lines."""
    out, in_doc, quote = [], False, ""
    lines = code.split("\n")
    for k, line in enumerate(lines):
        stripped = line.strip()
        if in_doc:
            if quote in stripped:
                in_doc = False
            continue
        prev = lines[k - 1].strip() if k else ""
        starts_doc = stripped[:3] in ('"""', "'''") and (prev.endswith(":") or not out)
        if starts_doc:
            quote = stripped[:3]
            if not (stripped.count(quote) >= 2 and len(stripped) > 3):
                in_doc = True
            continue
        if not stripped or stripped.startswith("#"):
            continue
        out.append(line)
    return out


def chunks(lines: list[str], max_height: int) -> list[list[str]]:
    """Cut lines into pieces whose code_height fits max_height, preferring to cut at a blank line."""
    pieces, current = [], []
    for line in lines:
        if current and code_height("\n".join(current + [line])) > max_height:
            cut = len(current)
            for back in range(len(current) - 1, max(len(current) // 2, 0), -1):
                if not current[back].strip() or re.match(r"\s*(def|class|@)\b", current[back]):
                    cut = back
                    break
            pieces.append(current[:cut])
            current = current[cut:]
        current.append(line)
    if current:
        pieces.append(current)
    return [p for p in pieces if any(line.strip() for line in p)]


def engine_source_cells(cell: dict, lang: str = "en") -> list[dict]:
    """The engine-source cell: its key lines on the slide, the whole source on sub-slides below."""
    text = "".join(output_text(o) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    lines = text.rstrip("\n").split("\n")
    keys = key_lines(text)
    room = BUDGET - CODE_LINE - 2 * BLOCK_PAD - H3
    if code_height(text) <= room:
        return [cell]
    shown = keys
    while code_height("\n".join(shown)) > room or len(shown) > KEY_LINES:
        shown = shown[:-1]
    more = len(keys) - len(shown)
    marker = words(lang)["more_keys"].format(more) if more else words(lang)["the_keys"]
    head = copy.deepcopy(cell)
    head["outputs"] = [stream("\n".join(shown + [marker]) + "\n")]
    pieces = chunks(lines, BUDGET - H3 - CELL_GAP - 8)
    cells = [head]
    for k, piece in enumerate(pieces):
        title = md_cell(words(lang)["whole_source"].format(k + 1, len(pieces)), "subslide")
        title["metadata"]["tags"] = ["afs-reference"]
        cells += [title, output_cell([stream("\n".join(piece) + "\n")], "-", "afs-reference")]
    return cells


def split_code_cell(cell: dict) -> list[dict]:
    """A code cell taller than a slide: its source in pieces on successive sub-slides, outputs last."""
    hidden = cell.get("metadata", {}).get("transient", {}).get("remove_source")
    src = source(cell)
    if hidden or code_height(src) <= BUDGET - 60:
        return split_outputs(cell)
    pieces = chunks(src.rstrip("\n").split("\n"), BUDGET - 60)
    cells = []
    for k, piece in enumerate(pieces):
        part = copy.deepcopy(cell)
        part["source"] = "\n".join(piece)
        part["outputs"] = cell.get("outputs", []) if k == len(pieces) - 1 else []
        if k:
            set_slide_type(part, "subslide")
        cells += split_outputs(part) if k == len(pieces) - 1 else [part]
    return cells


def split_outputs(cell: dict) -> list[dict]:
    """Outputs that do not fit below their code go on the next sub-slide(s); a long print is cut up."""
    shown = not cell.get("metadata", {}).get("transient", {}).get("remove_source")
    used = code_height(source(cell)) if shown else 0
    groups: list[list[dict]] = [[]]
    for output in cell.get("outputs", []):
        pieces = [output]
        if output.get("output_type") == "stream" and code_height(output_text(output)) > BUDGET - 60:
            lines = output_text(output).rstrip("\n").split("\n")
            pieces = [{**output, "text": "\n".join(piece) + "\n"} for piece in chunks(lines, BUDGET - 60)]
        for piece in pieces:
            height = output_height(piece) + 4
            if used and used + CELL_GAP + height > BUDGET:
                groups.append([])
                used = 0
            groups[-1].append(piece)
            used += height + (CELL_GAP if used else 0)
    if len(groups) == 1:
        return [cell]
    first = copy.deepcopy(cell)
    first["outputs"] = groups[0]
    return [first] + [output_cell(group, "subslide") for group in groups[1:]]


def split_table(block: str) -> list[str]:
    """A markdown table taller than a slide: its rows in pieces, each under the table's header."""
    lines = block.strip("\n").split("\n")
    if markdown_height(block) <= BUDGET or len(lines) < 4 or not all(ln.lstrip().startswith("|") for ln in lines):
        return [block]
    header, rows, pieces = lines[:2], lines[2:], [[]]
    for row in rows:
        if pieces[-1] and markdown_height("\n".join(header + pieces[-1] + [row])) > BUDGET - H2:
            pieces.append([])
        pieces[-1].append(row)
    return ["\n".join(header + piece) for piece in pieces]


def split_markdown(cell: dict) -> list[dict]:
    """A markdown cell taller than a slide: its paragraphs on successive sub-slides."""
    text = source(cell)
    if markdown_height(text) <= BUDGET:
        return [cell]
    paragraphs = [piece for para in re.split(r"\n\s*\n", text) for piece in split_table(para)]
    cells, current = [], []
    for para in paragraphs:
        if current and markdown_height("\n\n".join(current + [para])) > BUDGET:
            cells.append("\n\n".join(current))
            current = []
        current.append(para)
    cells.append("\n\n".join(current))
    result = []
    for k, part in enumerate(cells):
        piece = copy.deepcopy(cell)
        piece["source"] = part
        if k:
            set_slide_type(piece, "subslide")
        result.append(piece)
    return result


def strip_tiles(cell: dict, output: dict) -> list[bytes]:
    """The frames of afs's strip stored as one PNG grid (notebooks/_course: `columns` frames a row,
    each in a cell of the grid): one PNG per frame, its white margins trimmed."""
    import io

    import numpy as np
    from PIL import Image

    raw = png_bytes(output)
    count = re.search(r"<(\d+) frames>", output_text(output))
    if not raw or not count:
        return []
    n = int(count[1])
    columns = int((re.search(r"columns\s*=\s*(\d+)", source(cell)) or [0, 4])[1])
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    rows = -(-n // columns)
    cell_w, cell_h = image.width // columns, image.height // rows
    tiles = []
    for k in range(n):
        x, y = (k % columns) * cell_w, (k // columns) * cell_h
        tile = image.crop((x + 4, y + 4, x + cell_w - 4, y + cell_h - 4))  # inside the thin frame
        ink = np.flatnonzero((np.asarray(tile.convert("L")) < 245).any(axis=0))
        inkr = np.flatnonzero((np.asarray(tile.convert("L")) < 245).any(axis=1))
        if len(ink) and len(inkr):
            tile = tile.crop((int(ink[0]), int(inkr[0]), int(ink[-1]) + 1, int(inkr[-1]) + 1))
        out = io.BytesIO()
        tile.save(out, format="PNG", dpi=(GRAPHVIZ_DPI, GRAPHVIZ_DPI))
        tiles.append(out.getvalue())
    return tiles


def frames_cells(cell: dict) -> list[dict]:
    """The backward-pass strip: one frame per fragment, stacked, each at full size.

    The strip is stored as HTML with one SVG per frame, or (notebooks/_course.show_pictures) as
    one PNG grid of the frames, cut here into its frames."""
    frames, count = [], 0
    for output in cell.get("outputs", []):
        page = "".join(output.get("data", {}).get("text/html", ""))
        svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
        if svgs:
            frames = [re.sub(r'\sstyle="[^"]*"', "", svg, count=1) for svg in svgs]
            break
        tiles = strip_tiles(cell, output) if "image/png" in output.get("data", {}) else []
        if tiles:
            px = FRAME_FONT_PT * GRAPHVIZ_DPI / 72
            frames = [f'<img src="data:image/png;base64,{png_b64(t)}" data-afs-label-px="{px:.2f}" '
                      f'alt="frame {k + 1} of the backward pass">' for k, t in enumerate(tiles)]
            break
    if not frames:
        return [cell]
    parts = []
    for k, picture in enumerate(frames):
        kind = "fragment current-visible" if k else "afs-frame-first"
        parts.append(f'<div class="afs-frame {kind}" data-fragment-index="{k}">{picture}</div>')
        count += 1
    view = copy.deepcopy(cell)
    view["metadata"].setdefault("transient", {})["remove_source"] = True
    view["outputs"] = [{"output_type": "display_data", "metadata": {"afs_height": BUDGET - H3 - CELL_GAP},
                        "data": {"text/html": '<div class="afs-frames r-stack">' + "".join(parts) + "</div>",
                                 "text/plain": f"<{count} frames>"}}]
    return [view]


def graph_windows(cell: dict, lang: str = "en") -> list[dict]:
    """A graph whose labels would be smaller than MIN_LABEL_PX on a whole slide: overlapping windows."""
    result = [cell]
    for k, output in enumerate(cell.get("outputs", [])):
        svg = "".join(output.get("data", {}).get("image/svg+xml", ""))
        size = svg_size(svg) if svg else None
        if not size:
            continue
        scale = graph_scale(svg)
        # the room under a title, in SVG units, less a little for the estimate's error
        room_h, room_w = 0.94 * (BUDGET - H3 - CELL_GAP) / scale, 0.98 * TEXT_W / scale
        rows = max(1, math.ceil((size[1] - 0.1 * room_h) / (0.9 * room_h))) if size[1] > room_h else 1
        cols = max(1, math.ceil((size[0] - 0.1 * room_w) / (0.9 * room_w))) if size[0] > room_w else 1
        if rows == cols == 1:
            continue
        win_h, win_w = min(size[1], room_h), min(size[0], room_w)
        x0, y0 = re.search(r'viewBox="\s*([-\d.]+)[\s,]+([-\d.]+)', svg).groups()
        x0, y0 = float(x0), float(y0)
        views = []
        for r in range(rows):
            for c in range(cols):
                top = y0 + (size[1] - win_h) * (r / (rows - 1) if rows > 1 else 0)
                left = x0 + (size[0] - win_w) * (c / (cols - 1) if cols > 1 else 0)
                box = f'viewBox="{left:.2f} {top:.2f} {win_w:.2f} {win_h:.2f}"'
                window = re.sub(r'viewBox="[^"]*"', box, svg, count=1)
                w = words(lang)
                where = (w["top"], w["bottom"])[r] if rows == 2 else w["row"].format(r + 1, rows)
                if cols > 1:
                    where += w["sep"] + (w["left"] if c == 0 else w["right"] if c == cols - 1 else w["middle"])
                views.append((where, {**output, "data": {**output["data"], "image/svg+xml": window}}))
        base = copy.deepcopy(cell)
        base["outputs"] = cell["outputs"][:k]
        result = [base] if base["outputs"] or not base["metadata"].get("transient", {}).get("remove_source") else []
        for n, (where, view) in enumerate(views):
            title = md_cell(words(lang)["graph"].format(where, n + 1, len(views)), "subslide")
            result += [title, output_cell([view], "-")]
        rest = cell["outputs"][k + 1:]
        if rest:
            result.append(output_cell(rest, "-"))
        break
    return result


# -- torch/afs pairs side by side ------------------------------------------------------------------------
TWIN_NAME = re.compile(r"_(ours|afs|torch|t|theirs)$")


def twin_tokens(code: str) -> list[str] | None:
    """The tokens of a cell as its twin in the other engine would have them: `torch` and `afs` are
    one module, `x_ours`/`x_t` are `x`, strings and comments do not count."""
    import io
    import tokenize

    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    out = []
    for tok in tokens:
        if tok.type in skip:
            continue
        text = tok.string
        if tok.type == tokenize.NAME:
            text = TWIN_NAME.sub("", text)
            text = "<engine>" if text in ("torch", "afs") else text
        elif tok.type == tokenize.STRING:
            text = "<str>"
        out.append(text)
    return out


def uses(code: str, name: str) -> bool:
    return re.search(rf"\b{name}\b", code) is not None


def is_twin(left: str, right: str) -> bool:
    """`right` runs in our engine what `left` runs in torch."""
    import difflib

    if not (uses(right, "afs") or "_ours" in right) or uses(left, "afs") or "_ours" in left:
        return False
    a, b = twin_tokens(left), twin_tokens(right)
    return bool(a and b) and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= TWIN_SIMILARITY


def plain_code_cell(cell: dict) -> bool:
    """A code cell shown with its code whose outputs are all text (what a column can show)."""
    if cell["cell_type"] != "code" or cell.get("metadata", {}).get("transient", {}).get("remove_source"):
        return False
    if "afs-reference" in tags(cell) or not source(cell).strip():
        return False
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            continue
        if kind == "execute_result" and set(output.get("data", {})) == {"text/plain"}:
            continue
        return False
    return True


def column_text(cell: dict) -> list[str]:
    return source(cell).rstrip("\n").split("\n") + [
        line for o in cell.get("outputs", []) for line in ANSI_RE.sub("", output_text(o)).rstrip("\n").split("\n")]


def column_height(cell: dict, prose: str = "") -> int:
    height = code_height(source(cell)) + sum(code_height(output_text(o)) + 4 for o in cell.get("outputs", []))
    if prose:
        height += PROSE_LINE * wrapped(prose_text(" ".join(prose.split())), PROSE_CHARS // 2 - 2) + 12 + CELL_GAP
    return height


def cell_html(cell: dict) -> str:
    """A code cell as nbconvert's lab template draws it: the highlighted code, then its text outputs."""
    from nbconvert.filters.ansi import ansi2html
    from nbconvert.filters.highlight import Highlight2HTML

    code = Highlight2HTML(pygments_lexer="ipython3")(source(cell))
    outputs = "".join(
        '<div class="jp-OutputArea-child"><div class="jp-RenderedText jp-OutputArea-output" '
        f'data-mime-type="text/plain"><pre>{ansi2html(output_text(o))}</pre></div></div>'
        for o in cell.get("outputs", []) if output_text(o).strip())
    return ('<div class="jp-Cell jp-CodeCell afs-column-cell"><div class="jp-InputArea-editor">'
            f'{code}</div><div class="jp-OutputArea">{outputs}</div></div>')


def prose_html(cell: dict) -> str:
    from nbconvert.filters.markdown import markdown2html

    html = markdown2html(source(cell))
    return f'<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown afs-column-prose">{html}</div>'


def pair_cell(left: dict, prose: dict | None, right: dict) -> dict:
    """One view cell that shows the torch cell and its afs twin in two columns; the twin (and the
    sentence that introduces it) appear as they did, with a fragment each where they had one."""
    pieces, current = [], None
    for cell, html in ([(prose, prose_html(prose))] if prose else []) + [(right, cell_html(right))]:
        if current is None or slide_type(cell) == "fragment":
            current = [slide_type(cell) == "fragment", []]
            pieces.append(current)
        current[1].append(html)
    right_html = "".join(f'<div class="fragment">{"".join(parts)}</div>' if fragment else "".join(parts)
                         for fragment, parts in pieces)
    height = max(column_height(left), column_height(right, source(prose) if prose else ""))
    output = {"output_type": "display_data", "metadata": {"afs_height": height},
              "data": {"text/html": f'<div class="afs-columns"><div class="afs-column">{cell_html(left)}</div>'
                                    f'<div class="afs-column">{right_html}</div></div>',
                       "text/plain": "<torch and afs, side by side>"}}
    merged = output_cell([output], slide_type(left))
    merged["metadata"]["tags"] = ["afs-pair"]
    return merged


def pair_columns(cells: list[dict]) -> list[dict]:
    """Each torch code cell followed by its afs twin (with at most one short sentence between them,
    notes aside) becomes one cell that shows them side by side, when every line of both, code and
    output, fits in half the slide's width (COL_CHARS) and the pair fits under a heading; otherwise
    they stay one above the other."""
    out, k = [], 0
    while k < len(cells):
        left = cells[k]
        j, notes, prose = k + 1, [], None
        while j < len(cells) and slide_type(cells[j]) == "notes":
            notes.append(cells[j])
            j += 1
        if j < len(cells) and cells[j]["cell_type"] == "markdown" and slide_type(cells[j]) in ("-", "fragment") \
                and not HEADING_RE.match(source(cells[j]).lstrip().split("\n")[0]) and len(source(cells[j])) <= 200:
            prose = cells[j]
            j += 1
            while j < len(cells) and slide_type(cells[j]) == "notes":
                notes.append(cells[j])
                j += 1
        right = cells[j] if j < len(cells) else None
        if (right is not None and plain_code_cell(left) and plain_code_cell(right)
                and slide_type(right) in ("-", "fragment") and is_twin(source(left), source(right))
                and all(text_width(line) <= COL_CHARS for c in (left, right) for line in column_text(c))):
            merged = pair_cell(left, prose, right)
            if cell_height(merged) <= BUDGET - H2 - CELL_GAP:
                out += [merged] + notes
                k = j + 1
                continue
        out.append(left)
        k += 1
    return out


def view_cell(cell: dict, in_exercises: bool, definitions: dict[str, str] | None = None,
              lang: str = "en") -> list[dict]:
    """One notebook cell as the lecture shows it: no cell, or one or more cells."""
    kind, cell_tags = slide_type(cell), tags(cell)
    if kind == "skip" or "slide-skip" in cell_tags:
        return []
    if kind == "notes":
        return [cell]
    if cell["cell_type"] == "code" and (in_exercises or is_setup_cell(cell)):
        return []
    cell = copy.deepcopy(cell)
    if "slide-break" in cell_tags and kind not in ("slide", "subslide"):
        set_slide_type(cell, "subslide")
    if cell["cell_type"] != "code":
        return split_markdown(cell) if cell["cell_type"] == "markdown" else [cell]
    src = source(cell)
    data_kinds = {k for o in cell.get("outputs", []) for k in o.get("data", {})}
    if "slide-hide-output" in cell_tags:
        cell["outputs"] = []
    output_only = ("slide-hide-input" in cell_tags
                   or "image/png" in data_kinds
                   or "application/vnd.jupyter.widget-view+json" in data_kinds)
    if output_only and cell.get("outputs"):
        cell["metadata"].setdefault("transient", {})["remove_source"] = True
    cell["outputs"] = [short_error(o) if o.get("output_type") == "error" else o for o in cell.get("outputs", [])]
    if "frames.strip(" in src:
        return frames_cells(cell)
    measure_figures(cell, definitions or {})
    if is_engine_source(cell):
        cells = engine_source_cells(cell, lang)
        return [c for head in cells[:1] for c in split_code_cell(head)] + cells[1:]
    return [c for part in split_code_cell(cell) for window in graph_windows(part, lang)
            for c in figure_windows(window, lang)]


def paginate(cells: list[dict]) -> list[dict]:
    """Start a new vertical sub-slide wherever the cells of one slide would pass the screen's height."""
    used = None
    for cell in cells:
        kind = slide_type(cell)
        if kind in ("notes", "skip"):
            continue
        height = cell_height(cell)
        if used is None or kind in ("slide", "subslide"):
            used = height
            continue
        if used + CELL_GAP + height > BUDGET:
            set_slide_type(cell, "subslide")
            used = height
        else:
            used += CELL_GAP + height
    return cells


# -- lectures -----------------------------------------------------------------------------------------------
@dataclass
class Deck:
    """One lecture: its cells (in the notebook's format) and what the opening and closing slides say."""

    name: str            # the file name of the deck, without .html
    notebook: str        # the notebook's stem
    part: int            # 1, or 1 and 2 for a notebook given as two lectures
    parts: int
    title: str
    cells: list[dict] = field(default_factory=list)
    minutes: float = 0.0
    sections: list[tuple[str, float]] = field(default_factory=list)
    lang: str = "en"     # "en", or "zh" for notebooks/zh/


def heading_of(cell: dict) -> str | None:
    if cell["cell_type"] != "markdown":
        return None
    for line in source(cell).split("\n"):
        match = HEADING_RE.match(line)
        if match:
            return match[2]
    return None


def plain(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\*\*|__|<[^>]+>", "", text).strip()


def unnumbered(name: str) -> str:
    """A section's name for a list: "2 · The model" -> "The model" (the list numbers it)."""
    return re.sub(r"^\d+\s*[.·:)]\s*", "", name)


def summary_items(cells: list[dict]) -> list[str]:
    """The bullet points of a "What we saw" cell."""
    for cell in cells:
        if cell["cell_type"] == "markdown" and SUMMARY_RE.search(source(cell)):
            items, current = [], None
            for line in source(cell).split("\n"):
                if re.match(r"^\s{0,2}[-*]\s", line):
                    current = line.strip()[2:]
                    items.append(current)
                elif line.startswith("  ") and items and line.strip():
                    items[-1] += " " + line.strip()
                elif not line.strip() or line.startswith("**"):
                    current = None
            return items
    return []


def goals_of(cells: list[dict]) -> list[str]:
    """The "You will learn" bullets of a notebook's first cell."""
    text = source(cells[0]) if cells else ""
    match = GOALS_RE.search(text)
    if not match:
        return []
    goals = []
    for line in match[1].split("\n"):
        if line.strip().startswith(("- ", "* ")):
            goals.append(line.strip()[2:])
        elif goals and line.strip():  # a goal that runs over two lines of the source
            goals[-1] += " " + line.strip()
    return goals


def lecture_parts(nb: dict) -> list[list[dict]]:
    """The notebook's cells, cut at each cell tagged `lecture-break`."""
    parts = [[]]
    for cell in nb["cells"]:
        if "lecture-break" in tags(cell) and parts[-1]:
            parts.append([])
        parts[-1].append(cell)
    return parts


def plan_minutes(cells: list[dict], lang: str = "en") -> list[tuple[str, float]]:
    """Minutes per section (a `slide` cell starts one): 1.5 a slide, 2 with code, 5 an exercise,
    0.5 a sub-slide of reference source (shown on demand)."""
    sections: list[list] = []
    in_exercise, kind_of_slide = False, None
    for cell in cells:
        kind = slide_type(cell)
        if kind in ("notes", "skip"):
            continue
        heading = heading_of(cell)
        if kind == "slide" or not sections:
            if cell["cell_type"] == "markdown":
                in_exercise = bool(EXERCISE_RE.search(source(cell)))
            sections.append([plain(heading or words(lang)["start"]), 0.0])
        if kind in ("slide", "subslide") or kind_of_slide is None:
            if "afs-reference" in tags(cell):
                kind_of_slide = "reference"
            elif in_exercise and heading and heading.lower().startswith(("exercise", "练习")):
                kind_of_slide = "exercise"
            else:
                kind_of_slide = "slide"
            sections[-1][1] += MINUTES_PER[kind_of_slide]
        if cell["cell_type"] == "code" and kind_of_slide == "slide":
            sections[-1][1] += MINUTES_PER["code"] - MINUTES_PER["slide"]
            kind_of_slide = "code"
    return [(name, minutes) for name, minutes in sections]


def notes_cell(text: str, lang: str = "en") -> dict:
    return md_cell(words(lang)["note"] + text, "notes")


def agenda_cells(deck: Deck) -> list[dict]:
    w = words(deck.lang)
    items = [unnumbered(name) for name, _ in deck.sections[1:]]
    text = f"## {w['agenda']}\n\n" + "\n".join(f"{k + 1}. {name}" for k, name in enumerate(items))
    return [md_cell(text, "slide"), notes_cell(w["agenda_note"], deck.lang)]


def opening_cells(deck: Deck, previous: Deck | None, previous_summary: list[str]) -> list[dict]:
    cells, w = [], words(deck.lang)
    if previous is not None:
        items = previous_summary or [unnumbered(name) for name, _ in previous.sections[1:]]
        text = f"## {w['last_time'].format(plain(previous.title))}\n\n" + "\n".join(f"- {item}" for item in items)
        cells += [md_cell(text, "slide"), notes_cell(w["last_note"], deck.lang)]
    return cells


def closing_cells(deck: Deck, summary_present: bool, following: Deck | None, goals_next: list[str]) -> list[dict]:
    cells, w = [], words(deck.lang)
    if not summary_present:
        items = [unnumbered(name) for name, _ in deck.sections[1:]]
        cells += [md_cell(f"## {w['what_we_saw']}\n\n" + "\n".join(f"- {item}" for item in items), "slide"),
                  notes_cell(w["saw_note"], deck.lang)]
    if following is not None:
        text = f"## {w['next'].format(plain(following.title))}\n\n" + "\n".join(f"- {goal}" for goal in goals_next)
        if following.notebook != deck.notebook:
            text += f"\n\n[{w['open_next']}]({following.name}.html)"
        cells += [md_cell(text, "slide"), notes_cell(w["next_note"], deck.lang)]
    return cells


def timing_note(deck: Deck) -> dict:
    w = words(deck.lang)
    lines, clock = [w["timing"].format(deck.minutes)], 0.0
    for name, minutes in deck.sections:
        lines.append(w["timing_line"].format(clock, clock + minutes, name, minutes))
        clock += minutes
    return notes_cell("\n".join(lines), deck.lang)


def lecture_decks(nbs: list[tuple[str, dict]], index: int, lang: str = "en") -> list[Deck]:
    """The lecture deck(s) of notebook `index` of the series `nbs` [(stem, notebook)], in order.

    The neighbours are needed for the "last time" and "next" slides. `lang` is the series' language
    ("en", or "zh" for notebooks/zh/): the words of the slides the view adds (PHRASES).
    """
    def plain_decks(k: int) -> list[Deck]:
        stem, nb = nbs[k]
        parts = lecture_parts(nb)
        title = plain(heading_of(nb["cells"][0]) or stem) if nb["cells"] else stem
        decks = []
        for p, cells in enumerate(parts):
            name = stem if len(parts) == 1 else f"{stem}-{p + 1}"
            deck_title = title if len(parts) == 1 else f"{title} ({p + 1}/{len(parts)})"
            deck = Deck(name, stem, p + 1, len(parts), deck_title, cells, lang=lang)
            deck.sections = plan_minutes(cells, lang)
            deck.minutes = sum(m for _, m in deck.sections)
            decks.append(deck)
        return decks

    mine = plain_decks(index)
    before = plain_decks(index - 1)[-1] if index > 0 else None
    after = plain_decks(index + 1)[0] if index + 1 < len(nbs) else None
    series = ([before] if before else []) + mine + ([after] if after else [])
    result = []
    for deck in mine:
        k = series.index(deck)
        previous = series[k - 1] if k > 0 else None
        following = series[k + 1] if k + 1 < len(series) else None
        result.append(assemble(deck, previous, following, notebook_definitions(nbs[index][1]["cells"])))
    return result


def assemble(deck: Deck, previous: Deck | None, following: Deck | None,
             definitions: dict[str, str] | None = None) -> Deck:
    cells = deck.cells
    if deck.part == 1:  # the notebook's first slide is the title slide
        first = next((i for i, c in enumerate(cells) if slide_type(c) not in ("notes", "skip")), 0)
        head, body = cells[:first + 1], cells[first + 1:]
    else:  # a second lecture opens with its own title slide
        head, body = [md_cell(f"# {deck.title}", "slide")], cells
    previous_summary = summary_items(previous.cells) if previous else []
    goals_next = goals_of(following.cells) if following and following.part == 1 else \
        [unnumbered(name) for name, _ in following.sections[1:]] if following else []
    summary_present = any(c["cell_type"] == "markdown" and SUMMARY_RE.search(source(c)) for c in cells)
    # The opening: title (the notebook's first slide), agenda, last time; the timing plan goes in the
    # title slide's notes once the slides are known.
    opening = agenda_cells(deck) + opening_cells(deck, previous, previous_summary)
    k = 0  # notes of the title slide stay on it; the opening slides come after them
    while k < len(body) and slide_type(body[k]) == "notes":
        k += 1
    body = body[:k] + opening + body[k:]
    # The closing: "what we saw" (the notebook's own, if this lecture has it) and "next".
    closing = closing_cells(deck, summary_present, following, goals_next)
    in_exercises, view, main_end = False, [], 0
    for cell in head + body:
        if cell["cell_type"] == "markdown" and slide_type(cell) in ("slide", "subslide"):
            text = source(cell)
            if EXERCISE_RE.search(text):
                in_exercises = True
            elif SUMMARY_RE.search(text) or (slide_type(cell) == "slide" and not text.lstrip().startswith("###")):
                in_exercises = False
        cells = view_cell(cell, in_exercises, definitions, deck.lang)
        if slide_type(cell) == "notes":  # a cell's notes stay with it, not with its reference sub-slides
            view[main_end:main_end] = cells
            main_end += len(cells)
            continue
        reference = next((k for k, c in enumerate(cells) if "afs-reference" in tags(c)), len(cells))
        main_end = len(view) + reference
        view += cells
    view = paginate(pair_columns(view) + closing)
    deck.sections = plan_minutes(view, deck.lang)
    deck.minutes = sum(m for _, m in deck.sections)
    title_at = next(i for i, c in enumerate(view) if slide_type(c) not in ("notes", "skip"))
    view.insert(title_at + 1, timing_note(deck))
    deck.cells = view
    return deck
