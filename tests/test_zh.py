"""The Chinese edition's groundwork: the glossary, README.zh-CN.md, and CJK text in figures.

The glossary (notebooks/zh/术语表.md) is the table every zh text follows; these tests keep it one
term per row, each with an English and a Chinese name, no name twice. The two READMEs link each
other and give the same commands. Both zh files keep the conventions the glossary states (no space
between Chinese and Latin text, no line break inside a Chinese paragraph). A figure with Chinese
labels renders with a CJK font (skipped where none is installed).
"""
import re
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "notebooks" / "zh" / "术语表.md"
README_EN = ROOT / "README.md"
README_ZH = ROOT / "README.zh-CN.md"
ZH_FILES = [GLOSSARY, README_ZH]

CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”…"  # ideographs and full-width punctuation
HAS_CJK = re.compile(f"[{CJK}]")
HAS_LATIN = re.compile("[A-Za-z]")
NO_FORMS = "—"  # the glossary's mark for a term whose English word may stay in zh prose


def glossary_rows() -> list[dict[str, str]]:
    """The rows of the glossary's table, as {column header: cell}."""
    table = [line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table]
    header, rule, *rows = cells
    assert header == ["English", "中文", "英文形式", "说明"]
    assert all(re.fullmatch(r"-+", cell) for cell in rule)
    assert all(len(row) == len(header) for row in rows), "a row with the wrong number of cells"
    return [dict(zip(header, row)) for row in rows]


def english_forms(row: dict[str, str]) -> list[str]:
    """The English forms of a term, lower case; [] where the English word may stay."""
    if row["英文形式"] == NO_FORMS:
        return []
    return [form.strip().lower() for form in row["英文形式"].split(",")]


def test_glossary_has_40_to_60_terms_each_with_both_names():
    rows = glossary_rows()
    assert 40 <= len(rows) <= 60, len(rows)
    for row in rows:
        assert HAS_LATIN.search(row["English"]), row
        assert HAS_CJK.search(row["中文"]) and not HAS_LATIN.search(row["中文"]), row
        assert row["英文形式"], f"{row['English']}: no English forms (write {NO_FORMS} for none)"


def test_glossary_names_each_term_once():
    rows = glossary_rows()
    for column in ["English", "中文"]:
        names = [row[column].lower() for row in rows]
        assert sorted({n for n in names if names.count(n) > 1}) == [], f"twice in column {column}"
    forms = [form for row in rows for form in english_forms(row)]
    assert all(forms), "an empty English form (a stray comma)"
    assert sorted({f for f in forms if forms.count(f) > 1}) == [], "an English form under two terms"


def test_glossary_forms_include_the_term_itself():
    """The consistency test will look for these forms: the term's own name must be among them."""
    for row in glossary_rows():
        forms = english_forms(row)
        if forms:
            name = re.sub(r"\s*\(.*\)$", "", row["English"]).lower()  # 'kernel (convolution)'
            assert name in forms, row


def test_glossary_has_the_terms_of_the_issue():
    """The established translations the issue names (PyTorch's Chinese docs, d2l-zh)."""
    chinese = {row["English"].lower(): row["中文"] for row in glossary_rows()}
    expected = {
        "tensor": "张量", "computational graph": "计算图", "directed acyclic graph (dag)": "有向无环图",
        "leaf node": "叶子节点", "gradient accumulation": "梯度累加", "backpropagation": "反向传播",
        "chain rule": "链式法则", "jacobian": "雅可比矩阵", "vector-jacobian product": "向量-雅可比积",
        "hook": "钩子", "frozen parameters": "冻结参数", "finetuning": "微调",
        "batch normalization": "批量规范化", "momentum": "动量",
    }
    assert {name: chinese.get(name) for name in expected} == expected


def test_glossary_terms_are_used_by_the_series():
    """Each term (one of its English forms) occurs in the English notebooks' sources or README."""
    english = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "notebooks" / "src").glob("*.py")))
    english = (english + README_EN.read_text(encoding="utf-8")).lower()
    unused = [row["English"] for row in glossary_rows()
              if not any(re.search(rf"\b{re.escape(form)}\b", english)
                         for form in english_forms(row) or [row["English"].lower()])]
    assert unused == []


def markdown_prose(path: Path) -> list[str]:
    """The lines of a Markdown file outside fenced code blocks, with inline code and URLs removed."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(re.sub(r"\]\([^)]*\)", "]()", re.sub(r"`[^`]*`", "`code`", line)))
    return lines


@pytest.mark.parametrize("path", ZH_FILES, ids=lambda p: p.name)
def test_no_space_between_chinese_and_latin(path):
    """The glossary's convention: Chinese and Latin text (words, digits, code) touch."""
    latin = r"A-Za-z0-9`*\[\]"  # not ( ): JupyterLab's menu says "中文 (简体, 中国)"
    pattern = re.compile(f"[{CJK}] +[{latin}]|[{latin}] +[{CJK}]")
    spaced = [line for line in markdown_prose(path) if pattern.search(line)]
    assert spaced == []


@pytest.mark.parametrize("path", ZH_FILES, ids=lambda p: p.name)
def test_chinese_paragraphs_are_not_broken_across_lines(path):
    """Markdown renders a line break as a space: a Chinese paragraph stays on one line."""
    prose = markdown_prose(path)
    broken = [(a, b) for a, b in zip(prose, prose[1:])
              if HAS_CJK.search(a[-1:]) and b.strip() and not re.match(r"\s*([-|#>]|\d+\.|!\[)", b)]
    assert broken == []


@pytest.mark.parametrize("path", ZH_FILES, ids=lambda p: p.name)
def test_bold_text_renders(path):
    """CommonMark does not close `**` between punctuation and a Chinese character; none is left over."""
    markdown_it = pytest.importorskip("markdown_it")  # comes with jupytext
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    assert "**" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def test_readme_links_only_files_that_exist():
    """The zh README links the English notebooks and the glossary, nothing still to be written."""
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README_ZH.read_text(encoding="utf-8"))
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert "notebooks/zh/术语表.md" in local and "README.md" in local
    assert [t for t in local if not (ROOT / t).exists()] == []


def test_readmes_link_each_other_at_the_top():
    head_en = README_EN.read_text(encoding="utf-8").splitlines()[:5]
    head_zh = README_ZH.read_text(encoding="utf-8").splitlines()[:5]
    assert any("](README.zh-CN.md)" in line for line in head_en)
    assert any("](README.md)" in line for line in head_zh)


def make_commands(path: Path) -> list[str]:
    """The `make` command lines of a README's code blocks, comments stripped."""
    text = path.read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [line for line in lines if re.fullmatch(r"make( [A-Za-z_=-]+)*", line)]


def test_readmes_give_the_same_commands():
    english, chinese = make_commands(README_EN), make_commands(README_ZH)
    assert english[:2] == chinese[:2] == ["make lab", "make test"]
    assert set(chinese) == set(english)


def test_jupyterlab_language_pack_is_pinned():
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^jupyterlab-language-pack-zh-cn==\S+$", requirements, flags=re.M)


# --- Chinese labels in matplotlib figures ---------------------------------------------------------

LABELS = {"title": "反向传播之后的损失", "xlabel": "轮", "ylabel": "损失"}


def render(path: Path) -> list[str]:
    """Draw a figure with Chinese labels to a PNG at `path`; the missing-glyph warnings it raised."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [2.0, -1.0, 3.0])
    ax.set(**LABELS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.fixture
def matplotlib_agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    with matplotlib.rc_context():  # use_cjk_font changes rcParams: restore them after the test
        yield matplotlib


@pytest.fixture
def fonts_module():
    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        from _course import fonts
        yield fonts
    finally:
        sys.path.remove(str(ROOT / "notebooks"))


def test_chinese_labels_render_with_a_cjk_font(matplotlib_agg, fonts_module, tmp_path):
    from matplotlib import font_manager

    family = fonts_module.use_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert matplotlib_agg.rcParams["font.sans-serif"][0] == family
    used = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]),
                                 fallback_to_default=False)
    assert used == fonts_module.cjk_font_file()
    assert font_manager.FontProperties(fname=used).get_name() in fonts_module.CJK_FAMILIES
    assert render(tmp_path / "zh.png") == []
    assert (tmp_path / "zh.png").stat().st_size > 0


def test_without_the_helper_chinese_labels_are_missing(matplotlib_agg, tmp_path):
    """The check above can fail: matplotlib's default font has no Chinese glyphs."""
    matplotlib_agg.rcParams["font.family"] = ["DejaVu Sans"]
    missing = render(tmp_path / "tofu.png")
    assert missing and all("DejaVu Sans" in message for message in missing)

