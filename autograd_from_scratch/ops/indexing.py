"""Indexing: `a[i]`, `a[i:j]`, `a[[1, 3]]`, `a[mask]` and assignment `a[key] = v`, as torch does them.

torch indexes in two steps, and so do we:

1. the basic items, one dimension at a time: an int selects (`SelectBackward0`, a view one
   dimension smaller), a slice narrows (`SliceBackward0`, a view), None adds a dimension
   (`UnsqueezeBackward0`), `...` stands for as many `:` as needed;
2. then, if the key holds integer or bool arrays (lists, tensors), one advanced indexing of what
   is left (`IndexBackward0`, a copy), numpy-style, on the dimensions that step 1 kept.

So `a[0, 1:3]` is a Select and then a Slice, and on shape (1, 4, 4) `a[0, :, [3]]` has shape
[4, 1] (numpy, which indexes in one step, says [1, 4]). A key that leaves the tensor as it is
(`a[...]`, `a[:, :]`) gives a new view all the same (`AliasBackward0`).

Assignment `a[key] = v` finds the same part of `a` and writes into it in place: `copy_` into the
view of step 1 (autograd records `CopySlices` on a's history, see `ops/inplace.py`), or an
`index_put_` (`IndexPutBackward0`) when the key holds arrays.

The backward of taking `a[key]` is putting the gradient at `key` into zeros of a's shape; integer
arrays may repeat an index, so there the gradients are added (`np.add.at`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .shape import ViewFunction, unsqueeze, view_of


class Index(ViewFunction):
    """z = a[key];   dz/da puts the gradient at key's positions, zeros elsewhere."""

    @staticmethod
    def forward(ctx, a: Tensor, key: tuple, name: str) -> Tensor:
        ctx.node_name, ctx.key, ctx.shape = name, key, a.shape
        if name == "IndexBackward0":  # integer arrays give a copy
            return Tensor(np.asarray(a.array[key]))
        # Basic indexing gives a view (sharing a's memory); the trailing `...` keeps a 0-d
        # result an array (numpy would return a scalar, a copy).
        return view_of(a, lambda d: d[key + (Ellipsis,)])

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return ZerosIndexPut.apply(grad, ctx.key, ctx.shape, ctx.node_name == "IndexBackward0"), None, None


class Alias(ViewFunction):
    """z = a, as a new view (what a key that changes nothing returns);   dz/da = 1."""

    node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        return view_of(a, lambda d: d[...])

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad


class ZerosIndexPut(Function):
    """z = zeros(shape) with g placed at key (added where key repeats);   dz/dg = z's gradient at key."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g: Tensor, key: tuple, shape: tuple, advanced: bool) -> np.ndarray:
        ctx.key, ctx.advanced = key, advanced
        out = np.zeros(shape, dtype=g.array.dtype)
        if advanced:
            np.add.at(out, key, g.array)
        else:
            out[key] = g.array
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        name = "IndexBackward0" if ctx.advanced else "SliceBackward0"
        return Index.apply(grad, ctx.key, name), None, None, None


class IndexPut(Function):
    """z = a with z[key] = v;   dz/da is the gradient with zeros at key,  dz/dv = gradient[key]."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, v: Tensor, key: tuple) -> np.ndarray:
        ctx.key = key
        out = a.array.copy()
        try:
            out[key] = v.array
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                               f"broadcast to indexing result of shape "
                               f"{list(np.shape(a.array[key]))}") from None
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        keep = np.ones(grad.shape, dtype=bool)
        keep[ctx.key] = False
        return grad * Tensor(keep), Index.apply(grad, ctx.key, "IndexBackward0"), None


# -- reading a key ----------------------------------------------------------------------------------
def _item(k: Any) -> Any:
    """One item of a key, checked as torch checks it; lists and tensors become numpy arrays."""
    if k is None or k is Ellipsis or isinstance(k, slice):
        if isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError("step must be greater than zero")
        return k
    if isinstance(k, (bool, np.bool_)):
        return np.asarray(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, Tensor) and k.ndim == 0 and k.array.dtype.kind in "iu":
        return int(k.array)  # a 0-d integer tensor selects, as an int does
    if isinstance(k, (list, tuple, np.ndarray, Tensor)):
        arr = k.array if isinstance(k, Tensor) else np.asarray(k)
        if arr.size == 0 and isinstance(k, (list, tuple)):
            arr = arr.astype(np.int64)  # an empty list picks nothing (numpy would make it float)
        if arr.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _dims_used(k: Any) -> int:
    if k is None or k is Ellipsis:
        return 0
    return k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 1


def _expanded(a: Tensor, key: Any) -> tuple:
    """The key as a tuple of checked items, `...` replaced by the slices it stands for."""
    items = tuple(_item(k) for k in (key if isinstance(key, tuple) else (key,)))
    used = sum(_dims_used(k) for k in items)
    if used > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
    if sum(k is Ellipsis for k in items) > 1:
        raise IndexError("autograd_from_scratch takes one ellipsis ('...') per index")
    if Ellipsis in [k for k in items if not isinstance(k, np.ndarray)]:
        at = next(i for i, k in enumerate(items) if k is Ellipsis)
        items = items[:at] + (slice(None),) * (a.ndim - used) + items[at + 1:]
    return items


def _is_full(k: slice, size: int) -> bool:
    return k.indices(size) == (0, size, 1)


def _basic(a: Tensor, items: tuple, keep_full_slice: bool) -> tuple[Tensor, tuple]:
    """Step 1: the ints, slices and Nones applied one by one (views). Returns the view and the key
    left for step 2: the arrays, with a `:` for each dimension of the view before them."""
    out, dim, rest = a, 0, []
    for k in items:
        if k is None:
            out, dim = unsqueeze(out, dim), dim + 1
            rest.append(slice(None))
        elif isinstance(k, int):
            size = out.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            out = Index.apply(out, (slice(None),) * dim + (k,), "SelectBackward0")
        elif isinstance(k, slice):
            if keep_full_slice or not _is_full(k, out.shape[dim]):
                out = Index.apply(out, (slice(None),) * dim + (k,), "SliceBackward0")
            dim += 1
            rest.append(slice(None))
        else:
            rest.append(k)
            dim += _dims_used(k)
    return out, tuple(rest)


def _has_arrays(rest: tuple) -> bool:
    return any(isinstance(k, np.ndarray) for k in rest)


def index(a: Tensor, key: Any) -> Tensor:
    """`a[key]`, in torch's two steps (see the module's docstring)."""
    if a.ndim == 0 and isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    # A single slice, not in a tuple, is always applied, even `a[:]` (as torch does).
    out, rest = _basic(a, _expanded(a, key), keep_full_slice=isinstance(key, slice))
    if _has_arrays(rest):
        return Index.apply(out, rest, "IndexBackward0")
    return Alias.apply(a) if out is a else out


def index_put_(a: Tensor, key: Any, value: Any) -> Tensor:
    """`a[key] = value`: a copy into the part of `a` that the key names (see the module's docstring)."""
    from .elementwise import as_operand, copy, full_like
    from .inplace import apply_inplace

    part, rest = _basic(a, _expanded(a, key), keep_full_slice=False)
    value = as_operand(value, a.array.dtype)
    if _has_arrays(rest):
        apply_inplace(part, lambda before, v: IndexPut.apply(before, v, rest), value)
    elif part.shape == value.shape:
        apply_inplace(part, copy, value)
    elif value.ndim == 0:  # one value for the whole part: torch fills it (FillBackward3)
        apply_inplace(part, full_like, value, filling=True)
    else:  # torch drops the value's leading 1s, then expands it to the part's shape
        lead = next((i for i, n in enumerate(value.shape) if n != 1), value.ndim)
        value = value.view(value.shape[lead:])
        apply_inplace(part, copy, value if value.shape == part.shape else value.expand(part.shape))
    return a
