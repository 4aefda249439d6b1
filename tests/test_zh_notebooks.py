"""The Chinese edition's notebooks are twins of the English ones.

Each notebooks/src/zh/NAME.py translates notebooks/src/NAME.py: the same cells in the same order,
each with the same slide metadata and tags; every code cell holds the same Python tokens as its
English twin (comments and the contents of strings aside: printed messages and plot labels are
translated); every Markdown cell with English prose is translated; and the glossary
(notebooks/zh/术语表.md) is followed: where it gives a Chinese name, the English word of the term
does not stay in zh prose (inline code, math, links and HTML aside).
"""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from test_zh import english_forms, glossary_rows

jupytext = pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks" / "src"
ZH_SOURCES = sorted((SOURCES / "zh").glob("*.py"))
ENGLISH = sorted(SOURCES.glob("*.py"))
HAS_CJK = re.compile("[\u4e00-\u9fff]")
if not ZH_SOURCES:
    pytest.skip("no Chinese notebook sources yet", allow_module_level=True)


def code_tokens(source: str) -> list[tuple[str, str]]:
    """(kind, text) of each Python token, comments and layout dropped, every string one token.

    Cell magics and shell lines (`%timeit`, `!ls`) are not Python: they are compared as text.
    """
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    magics = [("MAGIC", line.strip()) for line in source.splitlines() if line.lstrip().startswith(("%", "!"))]
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER, tokenize.ENCODING}
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    kept = [(tokenize.tok_name[t.type], "'...'" if t.type == tokenize.STRING else t.string)
            for t in tokens if t.type not in skip]
    return magics + kept


def english_prose(markdown: str) -> str:
    """A Markdown cell's prose: code, math, link targets, HTML tags and URLs removed."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)|<[^>]*>|https?://\S+", " ", text)
    return text


def twin_of(zh_source: Path) -> Path:
    return SOURCES / zh_source.name


def test_every_english_notebook_has_a_chinese_twin():
    assert [p.name for p in ZH_SOURCES] == [p.name for p in ENGLISH]


@pytest.fixture(params=ZH_SOURCES, ids=[p.stem for p in ZH_SOURCES])
def twins(request):
    zh = jupytext.read(request.param)
    en = jupytext.read(twin_of(request.param))
    return request.param.name, en.cells, zh.cells


def test_same_cells_with_the_same_metadata(twins):
    name, en, zh = twins
    assert [c.cell_type for c in zh] == [c.cell_type for c in en], f"{name}: the cells differ in kind or number"
    for i, (a, b) in enumerate(zip(en, zh)):
        assert b.metadata == a.metadata, f"{name}, cell {i}: metadata {b.metadata} (English: {a.metadata})"


def test_code_cells_hold_the_same_tokens(twins):
    name, en, zh = twins
    for i, (a, b) in enumerate(zip(en, zh)):
        if a.cell_type == "code":
            assert code_tokens(b.source) == code_tokens(a.source), f"{name}, cell {i}: the code differs from English"


def test_markdown_is_translated(twins):
    """A Markdown cell whose English has words of prose holds Chinese."""
    name, en, zh = twins
    for i, (a, b) in enumerate(zip(en, zh)):
        if a.cell_type == "markdown" and re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}", english_prose(a.source)):
            assert HAS_CJK.search(b.source), f"{name}, cell {i}: not translated: {b.source[:80]!r}"


def untranslated_terms(markdown: str) -> list[str]:
    prose = english_prose(markdown).lower()
    return [form for row in glossary_rows() for form in english_forms(row)
            if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(form)}(?![A-Za-z0-9_-])", prose)
            and not re.search(rf"（[^）]*{re.escape(form)}[^）]*）|\({re.escape(form)}\)", prose)]


def test_glossary_terms_are_translated(twins):
    """An English term the glossary translates appears in zh prose only in its first-use
    parentheses, "中文（English）"."""
    name, _, zh = twins
    left = {i: terms for i, c in enumerate(zh) if c.cell_type == "markdown"
            and (terms := untranslated_terms(c.source))}
    assert left == {}, f"{name}: English terms left in the prose (cell: terms)"
