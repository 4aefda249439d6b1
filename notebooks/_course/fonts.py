"""Chinese text in matplotlib figures, without tofu boxes.

matplotlib's own font, DejaVu Sans, has no CJK glyphs: a Chinese label comes out as empty boxes and
a "Glyph ... missing from font(s) DejaVu Sans" warning. `use_cjk_font()` puts Noto Sans CJK (Debian's
`fonts-noto-cjk`, which scripts/install_system_deps.sh installs) first in matplotlib's sans-serif
list, with DejaVu Sans after it for any glyph Noto lacks. It changes nothing when no CJK font is
installed, and says so by returning None.

The zh notebooks do not call it themselves (their code is the English code): `import _course` from
notebooks/zh/ calls it (notebooks/zh/_course/__init__.py), so every figure they draw afterwards uses
it. Elsewhere (a script, a test):

    from _course.fonts import use_cjk_font
    use_cjk_font()

`pil_font(size)` is the same font for PIL, for the pictures `_course` draws itself (pictures.py).
"""
from __future__ import annotations

import matplotlib
from matplotlib import font_manager

__all__ = ["CJK_FAMILIES", "CJK_MONO_FAMILIES", "cjk_font_file", "pil_font", "use_cjk_font"]

# Simplified Chinese first: the same Han character is drawn differently in SC, TC, JP and KR forms
# (the .ttc holds all of them under these family names).
# PingFang SC and Microsoft YaHei are the Chinese system fonts of macOS and Windows.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP",
                "PingFang SC", "Microsoft YaHei")
# For monospaced text (a table a widget shows): a Han character is exactly two Latin columns wide.
CJK_MONO_FAMILIES = ("Noto Sans Mono CJK SC", "Noto Sans Mono CJK JP")


# The file names of those fonts, for a font list cached before they were installed.
CJK_FILE_NAMES = ("NotoSansCJK", "NotoSansSC", "SourceHanSans")


def _known_family() -> str | None:
    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def _installed_family() -> str | None:
    """The first of CJK_FAMILIES that matplotlib can use, or None.

    matplotlib caches its font list (~/.cache/matplotlib) the first time it runs; a font installed
    after that (the usual order: pip, then apt-get fonts-noto-cjk) is not in it, so the system's font
    folders are searched once more before giving up.
    """
    family = _known_family()
    if family is None:
        for path in font_manager.findSystemFonts():
            if any(name in path for name in CJK_FILE_NAMES):
                font_manager.fontManager.addfont(path)
        family = _known_family()
    return family


def cjk_font_file() -> str | None:
    """The path of the CJK font file matplotlib would use, or None (a .ttc holds several faces: PIL
    needs the face's index too, see pil_font)."""
    family = _installed_family()
    if family is None:
        return None
    return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)


def use_cjk_font() -> str | None:
    """Make matplotlib draw text with a CJK font when one is installed; return its family name.

    Sets `font.family` to sans-serif with the CJK family first, so Chinese, Latin letters and
    digits share one typeface; DejaVu Sans stays next in line (matplotlib falls back glyph by glyph).
    """
    family = _installed_family()
    if family is None:
        return None
    rest = [name for name in matplotlib.rcParams["font.sans-serif"] if name != family]
    matplotlib.rcParams["font.sans-serif"] = [family, *rest]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    return family


def pil_font(size: int, mono: bool = False):
    """The CJK font as a PIL font of `size` pixels (`mono`: the monospaced one where installed), or
    None when no CJK font is installed."""
    from PIL import ImageFont

    if _installed_family() is None:
        return None
    known = font_manager.fontManager.ttflist
    for family in (CJK_MONO_FAMILIES if mono else ()) + CJK_FAMILIES:
        if not any(font.name == family for font in known):
            continue
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        # The face of that family in the file (Noto Sans CJK's .ttc: JP, KR, SC, TC, HK, then the Mono ones).
        index = next((font.index for font in known if font.fname == path and font.name == family), 0)
        return ImageFont.truetype(path, size, index=index)
    return None
