"""How a tensor prints, the way torch prints it (torch keeps this in `torch/_tensor_str.py`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import dtypes

if TYPE_CHECKING:
    from .tensor import Tensor


def _float_format(nonzero: np.ndarray) -> str:
    """torch's choice for floats: whole numbers as `3.`, else 4 decimals, else scientific when the
    magnitudes span more than 1000x, exceed 1e8, or go below 1e-4."""
    if nonzero.size == 0:
        return "integer"
    lo, hi = nonzero.min(), nonzero.max()
    whole = bool(np.all(nonzero == np.ceil(nonzero)))
    if hi / lo > 1000.0 or hi > 1.0e8 or (lo < 1.0e-4 and not whole):
        return "scientific"
    return "integer" if whole else "fixed"


def _float_formatter(values: np.ndarray) -> Callable[[Any], str]:
    finite = np.abs(values[np.isfinite(values)])
    spec = {"integer": ".0f", "fixed": ".4f", "scientific": ".4e"}[_float_format(finite[finite != 0])]

    def fmt(v: Any) -> str:
        if not np.isfinite(v):
            return f"{v}"
        return f"{v:{spec}}" + ("." if spec == ".0f" else "")

    width = max((len(fmt(v)) for v in values.flat), default=0)
    return lambda v: fmt(v).rjust(width)


def _shown(data: np.ndarray) -> np.ndarray:
    """The elements torch shows of a big tensor (3 at each end of every long dimension)."""
    if data.size <= 1000:
        return data
    for axis, n in enumerate(data.shape):
        if n > 6:
            data = np.concatenate([data.take(range(3), axis), data.take(range(n - 3, n), axis)], axis)
    return data


def _formatter(data: np.ndarray) -> Any:
    """numpy's array2string formatter that prints elements as torch does, right-aligned."""
    if data.dtype.kind == "f":
        return {"float_kind": _float_formatter(_shown(data))}
    if data.dtype.kind == "b":
        width = 5 if (~data).any() else 4
        return {"bool": lambda v: str(bool(v)).rjust(width)}
    width = max((len(str(v)) for v in data.flat), default=0)
    return {"int_kind": lambda v: str(v).rjust(width)}


def _suffixes(t: Tensor) -> list[str]:
    """What torch prints after the values: a dtype other than the defaults, grad_fn or requires_grad."""
    suffixes = []
    if t.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
        suffixes.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return suffixes


def format_tensor(t: Tensor) -> str:
    data = t.array
    body = np.array2string(
        data, separator=", ", prefix="tensor(", formatter=_formatter(data), max_line_width=81,
        threshold=1000,
    )
    body = "[]" if data.size == 0 else body.replace(", ..., ", ",  ..., ")
    # Suffixes go on the last line while it stays under 80 columns, as torch places them.
    out = "tensor(" + body
    line_len = len(out) - out.rfind("\n") + 1
    for suffix in _suffixes(t):
        if line_len + len(suffix) + 2 > 80:
            out, line_len = out + ",\n       " + suffix, 7 + len(suffix)
        else:
            out, line_len = out + ", " + suffix, line_len + len(suffix) + 2
    return out + ")"
