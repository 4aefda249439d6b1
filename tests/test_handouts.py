"""`make handout` prints each lecture deck to PDF offline: one page per slide, none blank.

scripts/build_handouts.py is run, through its `build` function, on three decks (the first deck, the
deck with the backward-pass frames, and the deck with the most slides) and on the first Chinese deck
once notebooks/zh/ has one (its PDF must hold the Chinese as text: pdftotext; Chromium embeds the
CJK font as Type 3 glyphs, which the browser test has checked are real characters, not boxes);
AFS_HANDOUT_TEST=all: every deck. Headless Chromium runs with the network cut off. For each deck, the handout and the
instructor's copy with notes must each have exactly one page per slide of the deck (counted in the
deck's HTML: the <section>s that hold no other), of the right size, and no page may be blank
(rendered with poppler's pdftoppm when it is installed, apt-get install poppler-utils).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from slides_support import ROOT, build_all_decks, find_chromium, load_module

pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
PIL_Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")


def slide_count(html: str) -> int:
    """Slides of a deck: its <section>s that hold no other <section>."""
    opened = [m.start() for m in re.finditer(r"<section\b", html)]
    closed = [m.start() for m in re.finditer(r"</section>", html)]
    events = sorted([(p, 1) for p in opened] + [(p, -1) for p in closed])
    leaves, last_open = 0, False
    for _, kind in events:
        if kind == -1 and last_open:
            leaves += 1
        last_open = kind == 1
    return leaves


def chosen(decks: dict) -> list[str]:
    if os.environ.get("AFS_HANDOUT_TEST") == "all":
        return list(decks)
    texts = {name: path.read_text(encoding="utf-8") for name, path in decks.items()}
    frames = next((n for n, t in texts.items() if 'class="afs-frames' in t), None)  # not the style sheet's
    longest = max(texts, key=lambda n: slide_count(texts[n]))
    chinese = next((n for n in decks if n.startswith("zh/")), None)
    return list(dict.fromkeys([next(iter(decks)), *([frames] if frames else []), longest,
                               *([chinese] if chinese else [])]))


def page_images(pdf) -> list:
    out = pdf.with_suffix("")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "8", "-png", str(pdf), str(out / "p")], check=True)
    return [PIL_Image.open(p).convert("L") for p in sorted(out.glob("p-*.png"))]


def test_one_page_per_slide_and_none_blank():
    if find_chromium() is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set AFS_CHROMIUM=/path/to/chrome)")
    decks = build_all_decks()
    handouts = load_module("build_handouts", ROOT / "scripts" / "build_handouts.py")
    names = chosen(decks)
    manifest = handouts.build(names)
    pdftoppm = shutil.which("pdftoppm")
    for name in names:
        slides = slide_count(decks[name].read_text(encoding="utf-8"))
        for kind, suffix, size in [("handout", "", (1280, 720)), ("notes", "-notes", (1280, 1280))]:
            pdf = handouts.HANDOUTS_OUT / f"{name}{suffix}.pdf"
            data = pdf.read_bytes()
            assert data.startswith(b"%PDF"), f"{pdf.name} is not a PDF"
            pages = handouts.pdf_page_count(data)
            assert pages == slides == manifest[name][kind]["slides"], \
                f"{pdf.name}: {pages} pages for the deck's {slides} slides"
            # 1280x720 CSS px = 960x540 pt
            boxes = {tuple(round(float(v)) for v in m) for m in
                     re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)}
            assert boxes == {(size[0] * 3 // 4, size[1] * 3 // 4)}, f"{pdf.name}: page sizes {boxes}"
            if pdftoppm:
                images = page_images(pdf)
                assert len(images) == pages
                for k, image in enumerate(images):
                    inked = sum(1 for v in image.get_flattened_data() if v < 200) / (image.width * image.height)
                    assert inked > 0.001, f"{pdf.name}: page {k + 1} is blank ({inked:.2%} inked)"
        if name.startswith("zh/") and shutil.which("pdftotext"):  # the Chinese text is in the PDF, as text
            text = subprocess.run(["pdftotext", str(handouts.HANDOUTS_OUT / f"{name}.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout
            assert "议程" in text and len(re.findall("[\u4e00-\u9fff]", text)) > 200, \
                f"{name}.pdf: too little Chinese text in it: {text[:200]!r}"
    if not pdftoppm:
        pytest.skip("page counts and sizes checked; blank pages not (no pdftoppm: apt-get install poppler-utils)")
