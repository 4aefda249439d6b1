"""Reductions: sum and mean over all elements or over dimensions, with `keepdim`; all, any, argmax."""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .shape import wrap_dim

Dims = Union[None, int, tuple[int, ...], list[int]]


def _axes(dim: Dims, ndim: int) -> Optional[tuple[int, ...]]:
    """The numpy axes of `dim` (None: all). As torch, `dim=()` reduces every dimension, a dim out
    of range is an IndexError, a repeated one a RuntimeError, and a 0-d tensor takes dim 0 or -1."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return None
    axes = tuple(wrap_dim(d, ndim) for d in dims)
    for d in axes:
        if axes.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return axes if ndim else ()


def _kept_shape(shape: tuple, axes: Optional[tuple[int, ...]]) -> tuple:
    """The shape of the reduction with keepdim=True: reduced dimensions become 1."""
    return tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """z = Σᵢ aᵢ (over `dim`);   dz/daᵢ = 1: the gradient is copied (expanded) back to a's shape."""

    @staticmethod
    def forward(ctx, a: Tensor, dim: Dims, keepdim: bool) -> np.ndarray:
        ctx.node_name = "SumBackward0" if dim is None else "SumBackward1"
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        return np.sum(a.array, axis=ctx.axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.reshape(_kept_shape(ctx.shape, ctx.axes)).expand(ctx.shape), None, None


class Mean(Function):
    """z = (1/n) Σᵢ aᵢ;   dz/daᵢ = 1/n."""

    @staticmethod
    def forward(ctx, a: Tensor, dim: Dims, keepdim: bool) -> np.ndarray:
        if a.array.dtype.kind != "f":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                f"or complex dtype. Got: {a.dtype}. Convert first, e.g. x.float().mean()")
        ctx.node_name = "MeanBackward0" if dim is None else "MeanBackward1"
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        total = np.sum(a.array, axis=ctx.axes, keepdims=keepdim)
        ctx.count = a.array.size // np.size(total) if np.size(total) else 0
        with np.errstate(all="ignore"):  # the mean of nothing is nan, silently as in torch
            return np.true_divide(total, ctx.count, dtype=a.array.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        expanded = grad.reshape(_kept_shape(ctx.shape, ctx.axes)).expand(ctx.shape)
        return expanded / ctx.count, None, None


def sum(a: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return Sum.apply(a, dim, keepdim)


def mean(a: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return Mean.apply(a, dim, keepdim)


def sum_to_size(a: Tensor, *shape: Any) -> Tensor:
    """Sum `a` down to `shape` (which must broadcast to a's shape): the inverse of broadcasting."""
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    lead = a.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1
    )
    if not dims:
        return a
    summed = a.sum(dims, keepdim=True)
    return summed.reshape(shape) if lead else summed


def all(a: Tensor) -> Tensor:
    """True if every element is nonzero (not differentiable)."""
    return Tensor(np.asarray(a.array.all()))


def any(a: Tensor) -> Tensor:
    """True if some element is nonzero (not differentiable)."""
    return Tensor(np.asarray(a.array.any()))


def argmax(a: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """The index of the largest element (of the flattened tensor, or along `dim`)."""
    if a.array.dtype == np.bool_:
        raise RuntimeError("\"argmax_cpu\" not implemented for 'Bool'")
    if dim is not None:
        dim = wrap_dim(dim, a.ndim)
        if a.ndim == 0:
            return Tensor(np.asarray(0))
    return Tensor(np.asarray(np.argmax(a.array, axis=dim, keepdims=keepdim)))
