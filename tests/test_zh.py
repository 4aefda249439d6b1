"""The Chinese edition's groundwork: the glossary, README.zh-CN.md, and CJK text in figures.

The glossary (notebooks/zh/术语表.md) is the table every zh text follows; these tests keep it one
term per row, each with an English and a Chinese name, no name twice. The two READMEs link each
other and give the same commands. Both zh files keep the conventions the glossary states (no space
between Chinese and Latin text, no line break inside a Chinese paragraph). A figure with Chinese
labels renders with a CJK font (skipped where none is installed).
"""
import ast
import importlib.util
import io
import json
import linecache
import os
import re
import subprocess
import sys
import tokenize
import warnings
from pathlib import Path

import numpy as np
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



# --- the course helpers in Chinese: notebooks/_course, imported through notebooks/zh/_course -------

NOTEBOOKS = ROOT / "notebooks"
COURSE = NOTEBOOKS / "_course"
ZH_COURSE = NOTEBOOKS / "zh" / "_course"
ZH_NOTEBOOKS = sorted((NOTEBOOKS / "zh").glob("*.ipynb"))


@pytest.fixture
def course():
    """notebooks/_course, imported as the English notebooks import it (the test process's copy)."""
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import _course
        yield _course
    finally:
        sys.path.remove(str(NOTEBOOKS))


@pytest.fixture
def zh(course, monkeypatch):
    """The same helpers, speaking Chinese (what notebooks/zh/_course sets), for this test only."""
    monkeypatch.setattr(course.language, "LANGUAGE", "zh")
    return course


def say_calls() -> list[tuple[str, ast.Call]]:
    """Every `say(english, chinese)` in notebooks/_course, with where it is."""
    calls = []
    for path in sorted(COURSE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say":
                calls.append((f"{path.name}:{node.lineno}", node))
    return calls


def literal_text(node: ast.expr) -> str | None:
    """The fixed text of a string, an f-string or a sum of them (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_text(node.left), literal_text(node.right)
        return None if left is None or right is None else left + right
    return None


def filled_in(node: ast.expr) -> set[str]:
    """The names an f-string fills in (`{what}`, `{_fmt(e[index])}`: what, _fmt, e, index)."""
    return {n.id for fv in ast.walk(node) if isinstance(fv, ast.FormattedValue)
            for n in ast.walk(fv.value) if isinstance(n, ast.Name)}


def test_every_sentence_is_written_in_both_languages_with_the_same_values():
    """Same information in both: each Chinese sentence fills in the same values as its English."""
    calls = say_calls()
    assert len(calls) >= 40, f"only {len(calls)} say() calls found: is the scan still finding them?"
    for where, call in calls:
        assert len(call.args) == 2 and not call.keywords, where
        english, chinese = (literal_text(arg) for arg in call.args)
        assert english is not None and chinese is not None, f"{where}: say() of something not a string"
        assert not HAS_CJK.search(english) and HAS_CJK.search(chinese), f"{where}: {english!r} / {chinese!r}"
        assert filled_in(call.args[0]) == filled_in(call.args[1]), f"{where}: the two fill in different values"


MESSAGE_CALLS = {"Wrong", "print", "FileNotFoundError", "KeyError"}  # and check.true/same/equal/...
CHECK_METHODS = {"answered", "returned", "same", "equal", "true"}


def test_no_message_is_left_in_english_only():
    """A message for the student (what a check raises or prints) is a say(), never bare English.

    Words an error for the notebook's author raises (TypeError: a wrong argument to interactive) stay
    English, like the engine's own errors."""
    bare = []
    for path in sorted(COURSE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if not ((isinstance(func, ast.Name) and func.id in MESSAGE_CALLS)
                    or (isinstance(func, ast.Attribute) and func.attr in CHECK_METHODS)):
                continue
            for arg in node.args:
                text = literal_text(arg)
                if text is not None and re.search(r"[A-Za-z]{2,}[ ,:;]+[A-Za-z]{2,}", text):
                    bare.append(f"{path.name}:{node.lineno}: {text[:60]!r}")
    assert bare == []


def test_the_zh_package_exports_what_the_english_one_does():
    def exported(path: Path) -> list[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        return next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", None) == "__all__" for t in node.targets))

    assert exported(ZH_COURSE / "__init__.py") == exported(COURSE / "__init__.py")
    assert [p.name for p in ZH_COURSE.iterdir() if p.suffix == ".py"] == ["__init__.py"], \
        "notebooks/zh/_course holds only its __init__.py: every module comes from notebooks/_course"


IMPORT_AS_A_NOTEBOOK = """
import json, _course, matplotlib
from pathlib import Path
import numpy as np
with _course.exercise(2) as check:
    check.same([1.0, 2.0, 5.0], np.array([1.0, 2.0, 4.0]), "y")
_course.load_solution("first_gradients", 1)
print(json.dumps({"language": _course.language.LANGUAGE, "package": _course.__file__,
                  "checks": _course.checks.__file__, "solutions": str(_course.solutions.SOLUTIONS_DIR),
                  "font": matplotlib.rcParams["font.sans-serif"][0], "pictures": _course.show_pictures.__doc__[:5]}))
"""


def import_as_a_notebook(folder: Path) -> tuple[list[str], dict]:
    """`import _course` in a fresh python whose working folder is `folder`, as a notebook kernel's is
    (Jupyter, nbconvert and nbval start it in the notebook's folder): what it printed, and where its
    parts came from."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, "-c", IMPORT_AS_A_NOTEBOOK], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    *lines, facts = run.stdout.strip().splitlines()
    return lines, json.loads(facts)


def test_the_zh_notebooks_import_the_course_helpers_in_chinese():
    lines, facts = import_as_a_notebook(NOTEBOOKS / "zh")
    assert facts["language"] == "zh"
    assert Path(facts["package"]) == ZH_COURSE / "__init__.py"
    assert Path(facts["checks"]) == COURSE / "checks.py"  # the same code as the English notebooks'
    assert Path(facts["solutions"]) == NOTEBOOKS / "solutions"
    assert lines[0] == "练习2 · 尚未通过：y在索引(2,)处：应为4，实际是5（3个元素中有1个不同）"
    assert lines[1] == "# 参考答案：first_gradients的练习1"
    if _cjk_installed():
        assert facts["font"] in {"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC"}


def test_the_english_notebooks_import_them_in_english_unchanged():
    lines, facts = import_as_a_notebook(NOTEBOOKS)
    assert facts["language"] == "en" and Path(facts["package"]) == COURSE / "__init__.py"
    assert lines[0] == "Exercise 2 · not solved yet: y at index (2,): expected 4, got 5 (1 of 3 elements differ)"
    assert lines[1] == "# Reference solution, exercise 1 of first_gradients"
    assert facts["font"] == "DejaVu Sans"  # matplotlib's default: no font set


def _cjk_installed() -> bool:
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        from _course import fonts
        return fonts.pil_font(12) is not None
    finally:
        sys.path.remove(str(NOTEBOOKS))


# (what the student's answer does, the reason in Chinese, the same reason in English)
REASONS = [
    (lambda check: check.answered(None, "my_a_grad"),
     "my_a_grad仍是None：请在上面的单元格里写出你的答案", "my_a_grad is still None: write your answer in the cell above"),
    (lambda check: check.returned(None, "dR_da(a, b)"),
     "dR_da(a, b)返回了None：请在上面的单元格里写出函数体", "dR_da(a, b) returned None: write its body in the cell above"),
    (lambda check: check.same(None, np.zeros(2), "v"),
     "v：得到的是None，还不是数值：请在上面的单元格里写出代码", "v: got None, not numbers yet: write the code in the cell above"),
    (lambda check: check.same("abc", np.zeros(2), "v"),
     "v：应为形状(2,)的数值，得到的是str（could not convert string to float: 'abc'）",
     "v: expected numbers of shape (2,), got str (could not convert string to float: 'abc')"),
    (lambda check: check.same(np.ones(3), np.ones((3, 1)), "x_grad_guess"),
     "x_grad_guess：形状应为(3, 1)，实际是(3,)", "x_grad_guess: expected shape (3, 1), got shape (3,)"),
    (lambda check: check.same([[1.0, 2.0], [3.0, 5.0]], np.array([[1.0, 2.0], [3.0, 4.0]]), "W.grad"),
     "W.grad在索引(1, 1)处：应为4，实际是5（4个元素中有1个不同）",
     "W.grad at index (1, 1): expected 4, got 5 (1 of 4 elements differ)"),
    (lambda check: check.same(2.5, 3.0, "the loss"), "the loss：应为3，实际是2.5", "the loss: expected 3, got 2.5"),
    (lambda check: check.equal(["AccumulateGrad"], ["MulBackward0"], "my_names"),
     "my_names：应为['MulBackward0']，实际是['AccumulateGrad']",
     "my_names: expected ['MulBackward0'], got ['AccumulateGrad']"),
    (lambda check: check.equal(list(range(60)), list(range(59)) + [0, 1], "the order"),
     "the order：应有61项，实际有60项；第一处不同在位置59：应为0，实际是59",
     "the order: expected 61 items, got 60; the first difference is at position 59: expected 0, got 59"),
    (lambda check: check.equal(list(range(60)), list(range(61)), "the order"),
     "the order：应有61项，实际有60项；第一处不同在位置60：应为60，实际是无",
     "the order: expected 61 items, got 60; the first difference is at position 60: expected 60, got nothing"),
    (lambda check: check.true(False, "学生的话"), "学生的话", "学生的话"),  # the notebook's own words, as given
    (lambda check: [][0], "你的代码抛出了IndexError: list index out of range",
     "your code raised IndexError: list index out of range"),
]


@pytest.mark.parametrize("answer, chinese, english", REASONS, ids=[str(k) for k in range(len(REASONS))])
def test_each_reason_a_check_gives_in_both_languages(course, monkeypatch, capsys, answer, chinese, english):
    for language, expected in (("en", f"Exercise 3 · not solved yet: {english}"), ("zh", f"练习3 · 尚未通过：{chinese}")):
        monkeypatch.setattr(course.language, "LANGUAGE", language)
        with course.exercise(3) as check:
            answer(check)
        assert capsys.readouterr().out == expected + "\n"


def test_solved_and_where_the_students_code_raised(zh, capsys):
    with zh.exercise(1) as check:
        check.same([1.0], [1.0], "v")
    # A notebook cell, as IPython runs it: a file name in <...>, its lines in linecache.
    cell, namespace = "def first_update(p):\n    return p.gard\n", {}
    linecache.cache["<ipython-input-7>"] = (len(cell), None, cell.splitlines(True), "<ipython-input-7>")
    exec(compile(cell, "<ipython-input-7>", "exec"), namespace)
    with zh.exercise(2):
        namespace["first_update"](1.0)
    said = capsys.readouterr().out.splitlines()
    assert said == ["练习1 · 通过",
                    "练习2 · 尚未通过：你的代码抛出了AttributeError: 'float' object has no attribute 'gard'"
                    "（在first_update中：`return p.gard`）"]


def test_build_it_checks_say_what_is_wrong_in_chinese(zh, capsys):
    """Notebook 03's checks (build_it.py) make their sentences themselves, from the learner's classes."""
    pytest.importorskip("torch")
    from _course import build_it

    class Tensor:
        def __init__(self, data, requires_grad=False):
            self.data, self.requires_grad = data, requires_grad

    class ReturnsANumber:
        @staticmethod
        def apply(*inputs):
            return 0.0

    class Raises:
        @staticmethod
        def apply(*inputs):
            return 1 / 0

    for ops in ({"Add": ReturnsANumber}, {"Add": Raises}):
        with zh.exercise(3) as check:
            build_it.ops_against_torch(check, Tensor, ops)
    assert capsys.readouterr().out.splitlines() == [
        "练习3 · 尚未通过：Add.apply(...)返回的是float，不是Tensor",
        "练习3 · 尚未通过：Add：你的代码抛出了ZeroDivisionError: division by zero",  # (not from a notebook cell)
    ]


def has_glyph(font, character: str) -> bool:
    """Whether a PIL font draws `character` (a missing one is drawn as the font's .notdef box)."""
    missing = font.getmask("\U0010fffd")
    drawn = font.getmask(character)
    return (drawn.size, bytes(drawn)) != (missing.size, bytes(missing))


def test_pictures_draw_chinese_with_the_cjk_font(zh):
    from _course import fonts, pictures

    font, mono = pictures._font(14), pictures._monospace(15)
    if fonts.pil_font(14) is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert font.getname()[0] in fonts.CJK_FAMILIES and mono.getname()[0] in fonts.CJK_MONO_FAMILIES
    sentences = "".join(literal_text(call.args[1]) for _, call in say_calls())
    missing = sorted({ch for ch in sentences if HAS_CJK.search(ch) and not has_glyph(font, ch)})
    assert missing == [], "characters of _course's Chinese sentences the CJK font lacks"
    assert not has_glyph(pictures.ImageFont.load_default(size=14), "图"), "the glyph check cannot fail"
    # Two columns per Han character, one per Latin letter: a table of both stays aligned.
    assert mono.getlength("图") == 2 * mono.getlength("a")


def test_pictures_in_english_keep_their_fonts(course):
    from _course import pictures

    assert course.language.LANGUAGE == "en"
    assert pictures._monospace(15).getname()[0] == "DejaVu Sans Mono"
    assert pictures._font(14).getname() == pictures.ImageFont.load_default(size=14).getname()


def test_a_widget_tells_a_reader_without_a_kernel_in_chinese(zh):
    widgets = pytest.importorskip("ipywidgets")
    shown = zh.interactive(widgets.VBox([]), first_state="a = 2.0   梯度 36.0")._repr_mimebundle_()
    assert shown["text/plain"] == "VBox控件：运行这个单元格即可交互。"
    assert shown["image/png"].startswith(b"\x89PNG")


# --- the executed zh notebooks ----------------------------------------------------------------------

def code_outputs(path: Path) -> list[tuple[int, dict]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, out) for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
            for out in cell.get("outputs", [])]


def output_words(out: dict) -> str:
    text = out.get("text") or out.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


@pytest.mark.parametrize("path", ZH_NOTEBOOKS, ids=[p.stem for p in ZH_NOTEBOOKS])
def test_zh_notebook_ran_in_chinese(path):
    """Executed in notebooks/zh (its _course spoke Chinese) and its figures found their glyphs."""
    outputs = code_outputs(path)
    said = "\n".join(output_words(out) for _, out in outputs)
    assert re.search(r"^练习\d+ · 尚未通过：", said, flags=re.M), f"{path.name}: no check said 尚未通过 (every notebook has exercises)"
    english = re.findall(r"Exercise \d+ · [^\n]*|run the cell to make it interactive|Reference solution", said)
    assert english == [], f"{path.name}: _course spoke English (was it executed from notebooks/zh?)"
    tofu = [i for i, out in outputs if out.get("name") == "stderr" and "missing from font" in output_words(out)]
    assert tofu == [], f"{path.name}: cells whose figures lack glyphs (no CJK font when executed?)"


# --- the translated strings of the zh code cells ----------------------------------------------------

ZH_SOURCES = sorted((NOTEBOOKS / "src" / "zh").glob("*.py"))


def string_tokens(source: str) -> list[str]:
    """The string literals of a code cell, in order (magics and shell lines left out, as the token
    test of tests/test_zh_notebooks.py does)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    strings, start, depth = [], None, 0
    for token in tokens:  # Python 3.12 splits an f-string into FSTRING_START ... FSTRING_END
        if token.type == getattr(tokenize, "FSTRING_START", -1):
            start, depth = start or token.start, depth + 1
        elif token.type == getattr(tokenize, "FSTRING_END", -1):
            depth -= 1
            if depth == 0:
                strings.append(source_between(lines, start, token.end))
                start = None
        elif token.type == tokenize.STRING and depth == 0:
            strings.append(token.string)
    return strings


def source_between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (r0, c0), (r1, c1) = start, end
    if r0 == r1:
        return lines[r0 - 1][c0:c1]
    return "\n".join([lines[r0 - 1][c0:], *lines[r0:r1 - 1], lines[r1 - 1][:c1]])


class _Words(ast.NodeTransformer):
    """Strings inside an expression are words too (a table's header, `{'torch dQ/da':>11}`)."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("...") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.Constant:
        return ast.Constant("...")


def filled_in_values(literal: str) -> list[str]:
    """The expressions an f-string fills in, sorted (a translation may put them in another order)."""
    node = ast.parse(literal, mode="eval").body
    values = [v.value for v in ast.walk(node) if isinstance(v, ast.FormattedValue)]
    return sorted(ast.unparse(_Words().visit(value)) for value in values)


@pytest.mark.parametrize("source", ZH_SOURCES, ids=[p.stem for p in ZH_SOURCES])
def test_translated_strings_fill_in_the_same_values(source):
    """The token test compares strings as one token each, so a translated message could fill in
    another value, or an expression with a typo that fails only when that message is made (a check's
    reason: only for a wrong answer). Each zh string fills in the same expressions as its English twin."""
    jupytext = pytest.importorskip("jupytext")
    english = NOTEBOOKS / "src" / source.name
    if not english.exists():
        pytest.skip(f"no English {source.name}")
    pairs = [(a, b) for a, b in zip(jupytext.read(english).cells, jupytext.read(source).cells)
             if a.cell_type == b.cell_type == "code"]
    different = []
    for k, (en, zh_cell) in enumerate(pairs):
        en_strings, zh_strings = string_tokens(en.source), string_tokens(zh_cell.source)
        if len(en_strings) != len(zh_strings):
            different.append(f"code cell {k}: {len(zh_strings)} strings, English has {len(en_strings)}")
            continue
        for a, b in zip(en_strings, zh_strings):
            if filled_in_values(a) != filled_in_values(b):
                different.append(f"code cell {k}: {b!r} fills in {filled_in_values(b)}, English {filled_in_values(a)}")
    assert different == [], f"{source.name}: " + "\n".join(different)


def test_zh_readme_links_the_chinese_notebooks_once_they_all_exist():
    """While the translation lands the zh README's table links the English notebooks; once every
    notebook has its zh twin, it links those (notebooks/zh/NN_name.ipynb) instead."""
    english = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    if [p.name for p in ZH_NOTEBOOKS] != english:
        pytest.skip(f"{len(ZH_NOTEBOOKS)} of {len(english)} zh notebooks so far")
    linked = re.findall(r"\]\((notebooks/(?:zh/)?\d\d_\w+\.ipynb)\)", README_ZH.read_text(encoding="utf-8"))
    assert sorted(linked) == [f"notebooks/zh/{name}" for name in english]


def test_the_zh_agreement_chart_is_the_english_numbers_in_chinese(matplotlib_agg, tmp_path):
    """figures/zh/gradient_agreement.png (scripts/make_figures.py) is drawn from the numbers of the
    English chart, with Chinese words that the CJK font has glyphs for; the zh README shows it."""
    manifest = json.loads((ROOT / "figures" / "manifest.json").read_text())
    zh_chart, chart = manifest["zh/gradient_agreement.png"], manifest["gradient_agreement.png"]
    assert zh_chart["source_sha256"] == chart["source_sha256"]
    assert "](figures/zh/gradient_agreement.png)" in README_ZH.read_text(encoding="utf-8")
    if not _cjk_installed():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "scripts" / "make_figures.py")
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    data = json.loads((ROOT / "figures" / "gradient_agreement.json").read_text())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_figures.plot_gradient_agreement_zh(data, tmp_path / "zh.png")
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    words = make_figures.AGREEMENT_WORDS
    assert set(words["zh"]) == set(words["en"]) and all(HAS_CJK.search(w) for w in words["zh"].values())
