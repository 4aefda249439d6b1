"""How a tensor prints, the way torch prints it (torch keeps this in `torch/_tensor_str.py`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import dtypes

if TYPE_CHECKING:
    from .tensor import Tensor


def _float_formatter(values: np.ndarray) -> Callable[[Any], str]:
    finite = np.abs(values[np.isfinite(values)])
    nonzero = finite[finite != 0]
    if nonzero.size == 0:
        fmt = lambda v: f"{v:.0f}."  # noqa: E731
    else:
        lo, hi = nonzero.min(), nonzero.max()
        scientific = hi / lo > 1000.0 or hi > 1.0e8 or (lo < 1.0e-4 and not np.all(nonzero == np.ceil(nonzero)))
        if np.all(nonzero == np.ceil(nonzero)) and not scientific:
            fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"  # noqa: E731
        elif scientific:
            fmt = lambda v: f"{v:.4e}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else f"{v}"  # noqa: E731
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


def format_tensor(t: Tensor) -> str:
    data = t.data
    if data.dtype.kind == "f":
        formatter = {"float_kind": _float_formatter(_shown(data))}
    elif data.dtype.kind == "b":
        width = 5 if (~data).any() else 4
        formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    else:
        width = max((len(str(v)) for v in data.flat), default=0)
        formatter = {"int_kind": lambda v: str(v).rjust(width)}
    body = np.array2string(
        data, separator=", ", prefix="tensor(", formatter=formatter, max_line_width=81, threshold=1000
    )
    body = "[]" if data.size == 0 else body.replace(", ..., ", ",  ..., ")
    suffixes = []
    if t.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
        suffixes.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    # Suffixes go on the last line while it stays under 80 columns, as torch places them.
    out = "tensor(" + body
    line_len = len(out) - out.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > 80:
            out, line_len = out + ",\n       " + suffix, 7 + len(suffix)
        else:
            out, line_len = out + ", " + suffix, line_len + len(suffix) + 2
    return out + ")"
