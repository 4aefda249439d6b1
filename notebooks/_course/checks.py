"""Exercise checks that say what is wrong.

A check cell reads

    with _course.exercise(1) as check:
        check.answered(my_a_grad, "my_a_grad")
        check.same(my_a_grad, a.grad, "a.grad")

and prints one line: `Exercise 1 · solved`, or `Exercise 1 · not solved yet: ` and the first thing
that is wrong: an answer still missing, the exception the student's code raised (and where), the
shape, element or setting that differs, expected against got. Any exception inside the block is the
student's (the check's own code is tested, tests/test_exercises.py), so it is reported, never raised.

In the Chinese edition (notebooks/zh/) the same line reads `练习1 · 通过`, or `练习1 · 尚未通过：` and
the same reason in Chinese (language.py): every sentence here is written in both languages.
"""
from __future__ import annotations

import traceback
from typing import Any, Self

import numpy as np

from .language import say

__all__ = ["NOT_YET", "SOLVED", "Wrong", "engine_name", "exercise", "not_yet_prefix", "reported", "solved_line"]

SOLVED, NOT_YET = "solved", "not solved yet"


def solved_line(number: int) -> str:
    """What a check prints when exercise `number` is solved."""
    return say(f"Exercise {number} · solved", f"练习{number} · 通过")


def not_yet_prefix(number: int) -> str:
    """How a check's line starts when exercise `number` is not solved yet (the reason follows)."""
    return say(f"Exercise {number} · not solved yet: ", f"练习{number} · 尚未通过：")


class Wrong(Exception):
    """What is wrong with an answer, in words for the student."""


def _as_array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.array(x, dtype=np.float64)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _where_in_student_code(tb) -> str:
    """' (in first_update: `return param - lr * gard`)' for the last frame of a notebook cell."""
    frames = [f for f in traceback.extract_tb(tb) if "ipykernel" in f.filename or f.filename.startswith("<")]
    if not frames:
        return ""
    frame = frames[-1]
    where = "" if frame.name == "<module>" else say(f"in {frame.name}: ", f"在{frame.name}中：")
    return say(f" ({where}`{frame.line}`)", f"（{where}`{frame.line}`）") if frame.line else ""


class Exercise:
    """The check of one exercise: `with exercise(n) as check:` ... (prints the verdict on exit)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, error, tb) -> bool:
        if kind is None:
            print(solved_line(self.number))
        elif issubclass(kind, Wrong):
            print(f"{not_yet_prefix(self.number)}{error}")
        elif issubclass(kind, Exception):
            print(not_yet_prefix(self.number) + say(f"your code raised {kind.__name__}: {error}",
                                                    f"你的代码抛出了{kind.__name__}: {error}")
                  + _where_in_student_code(tb))
        else:  # KeyboardInterrupt and the like go through
            return False
        return True

    # -- what a check asks ------------------------------------------------------------------------
    def answered(self, value: Any, name: str) -> Any:
        """`value` is there: not None, not `...`."""
        if value is None or value is Ellipsis:
            raise Wrong(say(f"{name} is still {value!r}: write your answer in the cell above",
                            f"{name}仍是{value!r}：请在上面的单元格里写出你的答案"))
        return value

    def returned(self, value: Any, call: str) -> Any:
        """A function the student wrote returned something (a stub returns None)."""
        if value is None or value is Ellipsis or value is NotImplemented:
            raise Wrong(say(f"{call} returned {value!r}: write its body in the cell above",
                            f"{call}返回了{value!r}：请在上面的单元格里写出函数体"))
        return value

    def same(self, got: Any, expected: Any, what: str, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
        """`got` has `expected`'s shape and values (to rtol/atol); else which element differs."""
        if got is None or got is Ellipsis:
            raise Wrong(say(f"{what}: got {got!r}, not numbers yet: write the code in the cell above",
                            f"{what}：得到的是{got!r}，还不是数值：请在上面的单元格里写出代码"))
        try:
            g = _as_array(got)
        except (TypeError, ValueError) as error:
            shape = tuple(_as_array(expected).shape)
            raise Wrong(say(f"{what}: expected numbers of shape {shape}, got {type(got).__name__} ({error})",
                            f"{what}：应为形状{shape}的数值，得到的是{type(got).__name__}（{error}）")) from None
        e = _as_array(expected)
        if g.shape != e.shape:
            raise Wrong(say(f"{what}: expected shape {tuple(e.shape)}, got shape {tuple(g.shape)}",
                            f"{what}：形状应为{tuple(e.shape)}，实际是{tuple(g.shape)}"))
        close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        if not close.all():
            index = tuple(int(i) for i in np.argwhere(~close)[0])
            at = say(f" at index {index}", f"在索引{index}处") if g.ndim else ""
            n_wrong, n = int((~close).sum()), close.size
            of = say(f" ({n_wrong} of {n} elements differ)", f"（{n}个元素中有{n_wrong}个不同）") if n > 1 else ""
            raise Wrong(say(f"{what}{at}: expected {_fmt(e[index])}, got {_fmt(g[index])}{of}",
                            f"{what}{at}：应为{_fmt(e[index])}，实际是{_fmt(g[index])}{of}"))

    def equal(self, got: Any, expected: Any, what: str) -> None:
        """`got == expected` for names, counts, settings; else both, side by side (for long lists,
        their lengths and the first position where they differ)."""
        if got == expected:
            return
        if isinstance(got, list) and isinstance(expected, list) and len(repr(got)) + len(repr(expected)) > 160:
            k = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
            first = lambda items: repr(items[k]) if k < len(items) else say("nothing", "无")
            raise Wrong(say(f"{what}: expected {len(expected)} items, got {len(got)}; the first difference is at "
                            f"position {k}: expected {first(expected)}, got {first(got)}",
                            f"{what}：应有{len(expected)}项，实际有{len(got)}项；第一处不同在位置{k}："
                            f"应为{first(expected)}，实际是{first(got)}"))
        raise Wrong(say(f"{what}: expected {expected!r}, got {got!r}", f"{what}：应为{expected!r}，实际是{got!r}"))

    def true(self, condition: bool, message: str) -> None:
        """A condition the answer must meet; `message` says what is wrong when it does not."""
        if not condition:
            raise Wrong(message)


def engine_name(engine: Any) -> str:
    """'torch' or 'afs': how the checks name the two engines."""
    return "afs" if engine.__name__ == "autograd_from_scratch" else engine.__name__


def reported(what: str, error: Exception) -> Wrong:
    """A student's exception as a Wrong that says in which part of the check it happened."""
    where = _where_in_student_code(error.__traceback__)
    return Wrong(say(f"{what}: your code raised {type(error).__name__}: {error}{where}",
                     f"{what}：你的代码抛出了{type(error).__name__}: {error}{where}"))


def exercise(number: int) -> Exercise:
    """The check of exercise `number`, as a `with` block that prints its verdict."""
    return Exercise(number)

