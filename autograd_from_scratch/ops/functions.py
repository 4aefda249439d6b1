"""The module functions (`afs.add`, `afs.matmul`, `afs.sin`, ...) with torch's signatures:
torch's keyword names (`afs.matmul(input=x, other=w)`) and torch's `out=`.

`out=t` writes the result into the existing tensor t and returns t, as torch does: t keeps its
identity (and its memory, when the shapes agree; a tensor of another shape is resized, with
torch's warning when it was not empty), and its version counter is bumped like any in-place
change. As in torch, `out=` is refused where the result would need a gradient: autograd cannot
record a result that lives in a tensor made beforehand.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from . import elementwise, extremes, reduce, shape, unary
from . import matmul as _matmul


def write_out(name: str, result: Tensor, out: Tensor) -> Tensor:
    """Put `result` into `out` (torch's `out=`) and return `out`."""
    if result.requires_grad or (out.requires_grad and is_grad_enabled()):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad. Drop out= "
                           "(or compute under `with afs.no_grad():`).")
    if not np.can_cast(result.array.dtype, out.array.dtype, "same_kind"):
        raise RuntimeError(f"result type {result.dtype.name.capitalize()} can't be cast to the "
                           f"desired output type {out.dtype.name.capitalize()}")
    if out.shape != result.shape:
        if out.numel() != 0:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).", UserWarning, stacklevel=3)
        out.array = np.empty(result.shape, dtype=out.array.dtype)
    np.copyto(out.array, result.array, casting="same_kind")
    out._bump_version()
    return out


def takes_out(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`fn` with torch's keyword-only `out=` added."""

    @functools.wraps(fn)
    def with_out(*args: Any, out: Optional[Tensor] = None, **kwargs: Any) -> Tensor:
        result = fn(*args, **kwargs)
        return result if out is None else write_out(fn.__name__, result, out)

    return with_out


# -- arithmetic and math: the ops' own functions, which take torch's names (input, other) -----------
add, sub, mul, div, pow, clamp = (
    takes_out(op) for op in (elementwise.add, elementwise.sub, elementwise.mul, elementwise.div,
                             elementwise.pow, elementwise.clamp))
matmul = takes_out(_matmul.matmul)
neg, abs, exp, log, sqrt, tanh, sigmoid = (
    takes_out(op) for op in (elementwise.neg, elementwise.abs, elementwise.exp, elementwise.log,
                             elementwise.sqrt, elementwise.tanh, elementwise.sigmoid))
sin, cos, tan, exp2, log1p, expm1, sign, square, reciprocal = (
    takes_out(op) for op in (unary.sin, unary.cos, unary.tan, unary.exp2, unary.log1p, unary.expm1,
                             unary.sign, unary.square, unary.reciprocal))
minimum, maximum = takes_out(extremes.minimum), takes_out(extremes.maximum)
prod, cumsum = takes_out(extremes.prod), takes_out(extremes.cumsum)


# -- reductions and joins ----------------------------------------------------------------------
@takes_out
def sum(input: Tensor, dim: reduce.Dims = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    return reduce.sum(input if dtype is None else input.to(dtype), dim, keepdim)


@takes_out
def mean(input: Tensor, dim: reduce.Dims = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    return reduce.mean(input if dtype is None else input.to(dtype), dim, keepdim)


@takes_out
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    return shape.cat(tensors, dim)


@takes_out
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    return shape.stack(tensors, dim)
