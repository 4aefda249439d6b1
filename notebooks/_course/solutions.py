"""The reference solutions, kept out of the student notebooks, shown on request.

`notebooks/solutions/NN_name.py` holds one notebook's solutions, each in a cell of its own that
starts `# %% Exercise N` (jupytext's percent format). `load_solution("first_gradients", 1)` run in a
notebook cell replaces that cell with the solution, as `%load` does; nothing runs it. The Chinese
edition uses the same solutions (its code is the English code); only the line above one, and the
errors here, are in Chinese there (language.py).
"""
from __future__ import annotations

import re
from pathlib import Path

from .language import say

SOLUTIONS_DIR = Path(__file__).resolve().parent.parent / "solutions"
CELL = re.compile(r"^# %% Exercise (\d+)[^\n]*\n", re.MULTILINE)


def solutions_file(notebook: str) -> Path:
    """The solutions of a notebook, named with or without its number ('first_gradients')."""
    matches = sorted(SOLUTIONS_DIR.glob(f"{notebook}.py")) or sorted(SOLUTIONS_DIR.glob(f"[0-9][0-9]_{notebook}.py"))
    if not matches:
        raise FileNotFoundError(say(f"no solutions for {notebook!r} in {SOLUTIONS_DIR}",
                                    f"{SOLUTIONS_DIR}里没有{notebook!r}的参考答案"))
    return matches[0]


def solutions(notebook: str) -> dict[int, str]:
    """{exercise number: the solution's source} for one notebook."""
    text = solutions_file(notebook).read_text(encoding="utf-8")
    parts = CELL.split(text)  # [preamble, "1", source, "2", source, ...]
    return {int(number): source.strip() + "\n" for number, source in zip(parts[1::2], parts[2::2])}


def solution(notebook: str, number: int) -> str:
    """The reference solution of exercise `number` of `notebook`."""
    found = solutions(notebook)
    if number not in found:
        name = solutions_file(notebook).name
        raise KeyError(say(f"{name} has no exercise {number} (it has {sorted(found)})",
                           f"{name}里没有练习{number}（只有练习{sorted(found)}）"))
    return found[number]


def load_solution(notebook: str, number: int) -> None:
    """Put the reference solution into this cell, as %load does (run it to use it)."""
    from IPython import get_ipython

    text = say(f"# Reference solution, exercise {number} of {notebook}\n",
               f"# 参考答案：{notebook}的练习{number}\n") + solution(notebook, number)
    shell = get_ipython()
    if shell is None:
        print(text)
    else:
        shell.set_next_input(text, replace=True)
