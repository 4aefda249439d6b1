"""Pictures that show before a notebook runs.

A notebook a student opens fresh is *untrusted*: JupyterLab, VS Code and nbviewer-style renderers
then refuse to draw stored SVG and HTML with inline SVG, and show the text beside it instead
(`<graphviz.graphs.Digraph at 0x...>`). A PNG is always drawn. `show_pictures()` makes IPython store
a PNG beside every graphviz SVG, and draws afs's frame strip as one PNG instead of HTML with
inline SVG; `interactive(widget, first_state)` stores a widget with a static picture of its first
state, for a reader without a kernel.

In the Chinese edition (language.py) the words these pictures and outputs carry are Chinese, drawn
with the CJK font (fonts.py); where none is installed, PIL's and DejaVu's fonts as in English.
"""
from __future__ import annotations

import io
from typing import Any

import graphviz
from PIL import Image, ImageDraw, ImageFont

import autograd_from_scratch as afs

from .language import chinese, say

__all__ = ["interactive", "run_to_interact", "show_pictures", "strip_png", "text_picture"]


def run_to_interact() -> str:
    """What a stored widget says to a reader without a kernel."""
    return say("run the cell to make it interactive", "运行这个单元格即可交互")


def graph_png(graph: graphviz.graphs.BaseGraph) -> bytes:
    """The PNG of a graphviz drawing, at the size its SVG is shown (96 dpi)."""
    return graph.pipe(format="png")


def _png_image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _to_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _cjk_font(size: int, mono: bool = False) -> ImageFont.ImageFont | None:
    """The CJK font in the Chinese edition (None in English, or where none is installed)."""
    if not chinese():
        return None
    from .fonts import pil_font

    return pil_font(size, mono=mono)


def _font(size: int) -> ImageFont.ImageFont:
    return _cjk_font(size) or ImageFont.load_default(size=size)


def strip_png(frames: afs.frames.Strip) -> bytes:
    """The frames of a strip in one PNG grid, `frames.columns` to a row, each in a thin frame."""
    images = [_png_image(graph_png(frame)) for frame in frames.frames]
    cell_w = max(im.width for im in images) + 10
    cell_h = max(im.height for im in images) + 10
    rows = -(-len(images) // frames.columns)
    grid = Image.new("RGB", (cell_w * frames.columns, cell_h * rows), "white")
    draw = ImageDraw.Draw(grid)
    for k, image in enumerate(images):
        x, y = (k % frames.columns) * cell_w, (k // frames.columns) * cell_h
        draw.rectangle([x + 2, y + 2, x + cell_w - 3, y + cell_h - 3], outline="#dddddd")
        grid.paste(image, (x + (cell_w - image.width) // 2, y + 5))
    return _to_png(grid)


def _monospace(size: int) -> ImageFont.ImageFont:
    """DejaVu Sans Mono, which matplotlib ships (so every machine has it), at `size` pixels; in the
    Chinese edition the monospaced CJK font, where a Han character is two columns wide."""
    from matplotlib import font_manager

    return _cjk_font(size, mono=True) or ImageFont.truetype(font_manager.findfont("DejaVu Sans Mono"), size)


def text_picture(text: str, size: int = 15) -> bytes:
    """A PNG of monospaced `text` (a table a widget shows), black on white."""
    font = _monospace(size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    *_, right, bottom = probe.multiline_textbbox((0, 0), text, font=font)
    image = Image.new("RGB", (right + 16, bottom + 16), "white")
    ImageDraw.Draw(image).multiline_text((8, 8), text, font=font, fill="black")
    return _to_png(image)


def _first_state_png(first_state: Any) -> bytes:
    if isinstance(first_state, graphviz.graphs.BaseGraph):
        return graph_png(first_state)
    if isinstance(first_state, str):
        return text_picture(first_state)
    if isinstance(first_state, bytes):
        return first_state
    raise TypeError(f"first_state: a graphviz drawing, a text or PNG bytes, not {type(first_state).__name__}")


def _with_caption(png: bytes, caption: str) -> bytes:
    """`png` with `caption` written under it, in grey italics' place: a line of small grey text."""
    image = _png_image(png)
    font = _font(14)
    line_h = 24
    out = Image.new("RGB", (max(image.width, 8 + int(font.getlength(caption)) + 8), image.height + line_h), "white")
    out.paste(image, (0, 0))
    ImageDraw.Draw(out).text((8, image.height + 4), caption, font=font, fill="#555555")
    return _to_png(out)


class Interactive:
    """A widget, stored with a static picture of its first state.

    With a kernel the front end draws the widget (its view is the preferred output); a reader without
    one (an untrusted notebook, a renderer) sees the picture and the line "run the cell to make it
    interactive".
    """

    def __init__(self, widget: Any, first_state: Any) -> None:
        self.widget = widget
        caption = say(f"A picture of the widget: {run_to_interact()}.", f"控件的静态图片：{run_to_interact()}。")
        self.png = _with_caption(_first_state_png(first_state), caption)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["image/png"] = self.png
        bundle["text/plain"] = say(f"A {type(self.widget).__name__} widget: {run_to_interact()}.",
                                   f"{type(self.widget).__name__}控件：{run_to_interact()}。")
        return bundle


def interactive(widget: Any, first_state: Any) -> Interactive:
    """Show `widget`, with `first_state` (a graphviz drawing, a text or PNG bytes) as its static picture."""
    return Interactive(widget, first_state)


def show_pictures() -> str:
    """Store a PNG beside every SVG this notebook shows, so that it opens with its pictures.

    graphviz drawings get an image/png next to their image/svg+xml; afs's frame strip is drawn as
    one PNG instead of HTML (JupyterLab sanitizes the inline SVG out of untrusted HTML; and one SVG
    holding the frames' SVGs would defeat sanitize.cfg, which blanks each graphviz SVG).
    """
    from IPython import get_ipython

    formatters = get_ipython().display_formatter.formatters
    formatters["image/png"].for_type(graphviz.graphs.BaseGraph, graph_png)
    formatters["image/png"].for_type(afs.frames.Strip, strip_png)
    formatters["text/html"].for_type(afs.frames.Strip, lambda strip: None)
    return say("graphs and plots are stored as pictures (PNG beside SVG): the notebook shows them before it runs",
               "计算图和绘图都另存为图片（SVG旁附PNG）：笔记本不运行也能显示它们")
