"""notebooks/_course for the Chinese edition: the same helpers, speaking Chinese.

The zh notebooks run in notebooks/zh/, so their `import _course` (the same code cell as in English)
finds this package. It has no module of its own: it appends notebooks/_course to its __path__, so
`_course.checks`, `_course.build_it`, ... are that folder's files, and before loading any of them it
sets their language to Chinese and makes matplotlib draw with a CJK font (no tofu boxes for Chinese
labels). This is the only place the language is decided (see notebooks/_course/language.py).

A package rather than a symbolic link: git on Windows checks a link out as a small text file
(core.symlinks is off by default there), and the notebooks would not find `_course` at all.
"""
from pathlib import Path

__path__.append(str(Path(__file__).resolve().parents[2] / "_course"))

from . import language  # noqa: E402 (after __path__: it is notebooks/_course/language.py)

language.LANGUAGE = "zh"

from .checks import Wrong, engine_name, exercise  # noqa: E402
from .fonts import use_cjk_font  # noqa: E402
from .pictures import interactive, show_pictures  # noqa: E402
from .solutions import load_solution, solution  # noqa: E402

use_cjk_font()

# The same names as notebooks/_course/__init__.py (tests/test_zh.py compares them).
__all__ = ["Wrong", "engine_name", "exercise", "interactive", "load_solution", "show_pictures", "solution"]
