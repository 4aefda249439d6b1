"""Exercise checks that say what is wrong.

A check cell reads

    with _course.exercise(1) as check:
        check.answered(my_a_grad, "my_a_grad")
        check.same(my_a_grad, a.grad, "a.grad")

and prints one line: `Exercise 1 · solved`, or `Exercise 1 · not solved yet: ` and the first thing
that is wrong: an answer still missing, the exception the student's code raised (and where), the
shape, element or setting that differs, expected against got. Any exception inside the block is the
student's (the check's own code is tested, tests/test_exercises.py), so it is reported, never raised.
"""
from __future__ import annotations

import traceback
from typing import Any, Self

import numpy as np

__all__ = ["NOT_YET", "SOLVED", "Wrong", "engine_name", "exercise", "reported"]

SOLVED, NOT_YET = "solved", "not solved yet"


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
    where = "" if frame.name == "<module>" else f"in {frame.name}: "
    return f" ({where}`{frame.line}`)" if frame.line else ""


class Exercise:
    """The check of one exercise: `with exercise(n) as check:` ... (prints the verdict on exit)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, error, tb) -> bool:
        if kind is None:
            print(f"Exercise {self.number} · {SOLVED}")
        elif issubclass(kind, Wrong):
            print(f"Exercise {self.number} · {NOT_YET}: {error}")
        elif issubclass(kind, Exception):
            print(f"Exercise {self.number} · {NOT_YET}: your code raised {kind.__name__}: {error}"
                  f"{_where_in_student_code(tb)}")
        else:  # KeyboardInterrupt and the like go through
            return False
        return True

    # -- what a check asks ------------------------------------------------------------------------
    def answered(self, value: Any, name: str) -> Any:
        """`value` is there: not None, not `...`."""
        if value is None or value is Ellipsis:
            raise Wrong(f"{name} is still {value!r}: write your answer in the cell above")
        return value

    def returned(self, value: Any, call: str) -> Any:
        """A function the student wrote returned something (a stub returns None)."""
        if value is None or value is Ellipsis or value is NotImplemented:
            raise Wrong(f"{call} returned {value!r}: write its body in the cell above")
        return value

    def same(self, got: Any, expected: Any, what: str, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
        """`got` has `expected`'s shape and values (to rtol/atol); else which element differs."""
        if got is None or got is Ellipsis:
            raise Wrong(f"{what}: got {got!r}, not numbers yet: write the code in the cell above")
        try:
            g = _as_array(got)
        except (TypeError, ValueError) as error:
            raise Wrong(f"{what}: expected numbers of shape {tuple(_as_array(expected).shape)}, "
                        f"got {type(got).__name__} ({error})") from None
        e = _as_array(expected)
        if g.shape != e.shape:
            raise Wrong(f"{what}: expected shape {tuple(e.shape)}, got shape {tuple(g.shape)}")
        close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        if not close.all():
            index = tuple(int(i) for i in np.argwhere(~close)[0])
            at = f" at index {index}" if g.ndim else ""
            n_wrong, n = int((~close).sum()), close.size
            of = f" ({n_wrong} of {n} elements differ)" if n > 1 else ""
            raise Wrong(f"{what}{at}: expected {_fmt(e[index])}, got {_fmt(g[index])}{of}")

    def equal(self, got: Any, expected: Any, what: str) -> None:
        """`got == expected` for names, counts, settings; else both, side by side (for long lists,
        their lengths and the first position where they differ)."""
        if got == expected:
            return
        if isinstance(got, list) and isinstance(expected, list) and len(repr(got)) + len(repr(expected)) > 160:
            k = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
            first = lambda items: repr(items[k]) if k < len(items) else "nothing"
            raise Wrong(f"{what}: expected {len(expected)} items, got {len(got)}; the first difference is at "
                        f"position {k}: expected {first(expected)}, got {first(got)}")
        raise Wrong(f"{what}: expected {expected!r}, got {got!r}")

    def true(self, condition: bool, message: str) -> None:
        """A condition the answer must meet; `message` says what is wrong when it does not."""
        if not condition:
            raise Wrong(message)


def engine_name(engine: Any) -> str:
    """'torch' or 'afs': how the checks name the two engines."""
    return "afs" if engine.__name__ == "autograd_from_scratch" else engine.__name__


def reported(what: str, error: Exception) -> Wrong:
    """A student's exception as a Wrong that says in which part of the check it happened."""
    return Wrong(f"{what}: your code raised {type(error).__name__}: {error}{_where_in_student_code(error.__traceback__)}")


def exercise(number: int) -> Exercise:
    """The check of exercise `number`, as a `with` block that prints its verdict."""
    return Exercise(number)

