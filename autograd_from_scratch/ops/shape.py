"""Shape operations: views (reshape, transpose, ...), expand, cat and stack.

A view shares memory with its input, and so shares its version counter: changing one in place
changes the other. The backward of a view is the inverse reshaping of the gradient.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, size_arg
from .elementwise import Clone


def view_of(base: Tensor, array: np.ndarray) -> Tensor:
    """A tensor on `array` (a numpy view of base's data) that shares base's version counter."""
    out = Tensor(array)
    out._version_counter = base._version_counter
    out._base = base._base if base._base is not None else base
    return out


def _check_numel(a: Tensor, shape: tuple) -> tuple:
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (-1 not in shape and known != a.numel()) or (
        -1 in shape and (known == 0 or a.numel() % known)
    ):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {a.numel()}")
    return tuple(a.numel() // known if n == -1 else n for n in shape)


class View(Function):
    """z = a seen with another shape;   the gradient is reshaped back."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, shape: tuple) -> Tensor:
        ctx.in_shape = a.shape
        if not a.data.flags.c_contiguous and a.ndim > 1:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return view_of(a, a.data.reshape(shape))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.reshape(ctx.in_shape), None


class UnsafeView(View):
    """The view torch takes of a fresh result (after a copy, or of a folded matmul)."""

    node_name = "UnsafeViewBackward0"


class Transpose(Function):
    """z = a with dims d0 and d1 swapped;   the gradient is swapped back."""

    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, d0: int, d1: int) -> Tensor:
        ctx.dims = (d0, d1)
        return view_of(a, np.swapaxes(a.data, d0, d1))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.transpose(*ctx.dims), None, None


class T(Function):
    """z = aᵀ for a matrix (or a vector, unchanged);   the gradient is transposed back."""

    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        if a.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
        return view_of(a, a.data.T)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad.t()


class Permute(Function):
    """z = a with its dims reordered;   the gradient is reordered by the inverse permutation."""

    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dims: tuple) -> Tensor:
        ctx.inverse = tuple(np.argsort(dims))
        return view_of(a, np.transpose(a.data, dims))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.permute(*ctx.inverse), None


class Unsqueeze(Function):
    """z = a with a new dim of size 1;   the gradient has that dim removed."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dim: int) -> Tensor:
        ctx.dim = dim % (a.ndim + 1)
        return view_of(a, np.expand_dims(a.data, ctx.dim))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.squeeze(ctx.dim), None


class Squeeze(Function):
    """z = a without dims of size 1;   the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, a: Tensor, dim: Optional[int]) -> Tensor:
        ctx.node_name = ctx.node_name or ("SqueezeBackward0" if dim is None else "SqueezeBackward1")
        ctx.in_shape = a.shape
        if dim is not None and a.shape[dim] != 1:
            return view_of(a, a.data)
        return view_of(a, np.squeeze(a.data, axis=dim))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.reshape(ctx.in_shape), None


class SqueezeDims(Squeeze):
    """The squeeze torch records when it undoes matmul's unsqueeze of a vector."""

    node_name = "SqueezeBackward4"


class Expand(Function):
    """z = a broadcast to a bigger shape (no copy);   the gradient is summed back."""

    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, shape: tuple) -> Tensor:
        ctx.in_shape = a.shape
        return view_of(a, np.broadcast_to(a.data, shape))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.sum_to_size(ctx.in_shape), None


class Cat(Function):
    """z = [a₁, a₂, ...] joined along `dim`;   each input gets its slice of the gradient."""

    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim: int, *tensors: Tensor) -> np.ndarray:
        ctx.dim = dim
        ctx.bounds = np.cumsum([0] + [t.shape[dim] for t in tensors])
        return np.concatenate([t.data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        dim = ctx.dim % grad.ndim
        lead = (slice(None),) * dim
        return (None,) + tuple(
            grad[lead + (slice(int(lo), int(hi)),)] for lo, hi in zip(ctx.bounds[:-1], ctx.bounds[1:])
        )


class Stack(Function):
    """z = [a₁, a₂, ...] stacked along a new `dim`;   input i gets the gradient's i-th slice."""

    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim: int, *tensors: Tensor) -> np.ndarray:
        ctx.dim = dim
        return np.stack([t.data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        lead = (slice(None),) * (ctx.dim % grad.ndim)
        return (None,) + tuple(grad[lead + (i,)] for i in range(grad.shape[ctx.dim]))


# -- the functions the Tensor methods and `afs.*` call ------------------------------------------
def view(a: Tensor, *shape: Any) -> Tensor:
    return View.apply(a, _check_numel(a, size_arg(shape)))


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """A view when the data allows it; otherwise a copy first, as torch does."""
    shape = _check_numel(a, size_arg(shape))
    if a.data.flags.c_contiguous or a.ndim <= 1:
        return View.apply(a, shape)
    return UnsafeView.apply(Clone.apply(a), shape)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if a.ndim == 0:
        return reshape(a, 1)
    start, end = start_dim % a.ndim, end_dim % a.ndim
    if start == end:
        return a
    return reshape(a, a.shape[:start] + (-1,) + a.shape[end + 1:])


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    return Transpose.apply(a, dim0, dim1)


def t(a: Tensor) -> Tensor:
    return T.apply(a)


def permute(a: Tensor, *dims: Any) -> Tensor:
    return Permute.apply(a, tuple(d % a.ndim for d in size_arg(dims)))


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    return Unsqueeze.apply(a, dim)


def squeeze(a: Tensor, dim: Optional[int] = None) -> Tensor:
    return Squeeze.apply(a, dim)


def expand(a: Tensor, *shape: Any) -> Tensor:
    shape = size_arg(shape)
    lead = len(shape) - a.ndim
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return Expand.apply(a, shape)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    return Cat.apply(dim, *tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    return Stack.apply(dim, *tensors)

