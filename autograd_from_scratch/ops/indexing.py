"""Indexing: `a[i]`, `a[i:j]`, `a[[1, 3]]`, `a[mask]` and assignment `a[key] = v`.

Basic indexing is done one dimension at a time, as torch does it, so `a[0, 1:3]` records a
`SelectBackward0` and then a `SliceBackward0`. The backward of taking `a[key]` is putting the
gradient at `key` into zeros of a's shape; integer arrays may repeat an index, so there the
gradients are added (`np.add.at`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .shape import unsqueeze, view_of


def _is_advanced(item: Any) -> bool:
    return isinstance(item, (list, np.ndarray, Tensor)) or (
        isinstance(item, tuple) and not isinstance(item, slice)
    )


class Index(Function):
    """z = a[key];   dz/da puts the gradient at key's positions, zeros elsewhere."""

    @staticmethod
    def forward(ctx, a: Tensor, key: tuple, name: str) -> Tensor:
        ctx.node_name, ctx.key, ctx.shape = name, key, a.shape
        out = a.data[key]
        # Basic indexing gives a view (sharing a's memory); integer arrays give a copy.
        return view_of(a, out) if name != "IndexBackward0" else Tensor(np.asarray(out))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return Embed.apply(grad, ctx.key, ctx.shape, ctx.node_name == "IndexBackward0"), None, None


class Embed(Function):
    """z = zeros(shape) with g placed at key (added where key repeats);   dz/dg = z's gradient at key."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g: Tensor, key: tuple, shape: tuple, advanced: bool) -> np.ndarray:
        ctx.key, ctx.advanced = key, advanced
        out = np.zeros(shape, dtype=g.data.dtype)
        if advanced:
            np.add.at(out, key, g.data)
        else:
            out[key] = g.data
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        name = "IndexBackward0" if ctx.advanced else "SliceBackward0"
        return Index.apply(grad, ctx.key, name), None, None, None


def _normalize(key: Any) -> tuple:
    key = key if isinstance(key, tuple) else (key,)
    return tuple(k.data if isinstance(k, Tensor) else np.asarray(k) if isinstance(k, list) else k
                 for k in key)


def index(a: Tensor, key: Any) -> Tensor:
    key = _normalize(key)
    if any(_is_advanced(k) for k in key):
        return Index.apply(a, key, "IndexBackward0")
    out, dim = a, 0
    for i, k in enumerate(key):
        if k is None:
            out, dim = unsqueeze(out, dim), dim + 1
        elif k is Ellipsis:  # the items after it index the last dimensions
            dim = out.ndim - sum(k is not None for k in key[i + 1:])
        elif isinstance(k, slice):
            if k != slice(None):
                out = Index.apply(out, (slice(None),) * dim + (k,), "SliceBackward0")
            dim += 1
        else:
            if not -out.shape[dim] <= k < out.shape[dim]:
                raise IndexError(
                    f"index {k} is out of bounds for dimension {dim} with size {out.shape[dim]}"
                )
            out = Index.apply(out, (slice(None),) * dim + (int(k),), "SelectBackward0")
    return out


class IndexPut(Function):
    """z = a with z[key] = v;   dz/da is the gradient with zeros at key,  dz/dv = gradient[key]."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, v: Tensor, key: tuple) -> np.ndarray:
        ctx.key = key
        out = a.data.copy()
        out[key] = v.data
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        keep = np.ones(grad.shape, dtype=bool)
        keep[ctx.key] = False
        return grad * Tensor(keep), Index.apply(grad, ctx.key, "IndexBackward0"), None


def index_put_(a: Tensor, key: Any, value: Any) -> Tensor:
    from . import inplace
    from .elementwise import as_operand

    return inplace(a, lambda before, v: IndexPut.apply(before, v, _normalize(key)), as_operand(value, a.data.dtype))
