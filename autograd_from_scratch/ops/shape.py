"""Shape operations: views (reshape, transpose, ...), expand, cat and stack.

A view shares memory with its input, and so shares its version counter: changing one in place
changes the other. The backward of a view is the inverse reshaping of the gradient.

Every view also keeps its recipe (`_view_fn`: the numpy operations that take its base's array to
its own) and is listed in its base's `_views`: when the memory they share is changed in place,
autograd rewrites their histories from that recipe (see `ops/inplace.py`).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor, size_arg
from .elementwise import Clone


def wrap_dim(dim: int, ndim: int) -> int:
    """`dim` as an index in 0..ndim-1 (negative dims count from the end), or torch's IndexError.
    A 0-d tensor takes dim 0 and -1, as if it had one dimension."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"a dimension must be an int, not {type(dim).__name__}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], "
                         f"but got {dim})")
    return int(dim) % size


ViewFn = Callable[[np.ndarray], np.ndarray]


def view_of(a: Tensor, fn: ViewFn) -> Tensor:
    """A view of `a`: the tensor on `fn(a.array)` (a numpy view), sharing a's memory and version
    counter, listed in the views of a's base with the recipe that makes it from the base's array."""
    out = Tensor(fn(a.array))
    out._version_counter = a._version_counter
    if a._base is None:
        out._base, out._view_fn = a, fn
    else:
        parent = a._view_fn
        assert parent is not None  # a view always has its recipe
        out._base, out._view_fn = a._base, lambda d: fn(parent(d))
    if out._base._views is None:
        out._base._views = weakref.WeakSet()
    out._base._views.add(out)
    return out


class ViewFunction(Function):
    """An op whose result is a view of its first argument (made by `view_of`). It notes whether
    the view was taken under no_grad(): torch refuses to change such a view in place with grad on."""

    @classmethod
    def apply(cls, *args: Any) -> Any:
        in_no_grad = not is_grad_enabled()  # forward itself always runs under no_grad
        out = super().apply(*args)
        if out._base is not None:
            out._view_made_in_no_grad = in_no_grad or args[0]._view_made_in_no_grad
            # torch: a view requires grad when its base does, even one taken under no_grad() (it
            # has no history then, and gradients stop at it: see get_gradient_edge).
            out._requires_grad = out._requires_grad or args[0].requires_grad
        return out


def _check_numel(a: Tensor, shape: tuple) -> tuple:
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (-1 not in shape and known != a.numel()) or (
        -1 in shape and (known == 0 or a.numel() % known)
    ):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {a.numel()}")
    return tuple(a.numel() // known if n == -1 else n for n in shape)


class View(ViewFunction):
    """z = a seen with another shape;   the gradient is reshaped back."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, shape: tuple) -> Tensor:
        ctx.in_shape = a.shape
        if not viewable(a, shape):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return view_of(a, lambda d: d.reshape(shape))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.reshape(ctx.in_shape), None


def viewable(a: Tensor, shape: tuple) -> bool:
    """Whether a's memory can be seen with `shape` without a copy: the stride rule of torch's
    view(), which numpy's reshape follows too (it refuses with copy=False where it would copy)."""
    try:
        a.array.reshape(shape, copy=False)
    except ValueError:
        return False
    return True


class ReshapeAlias(View):
    """The view torch's reshape takes of a non-contiguous tensor whose memory allows it."""

    node_name = "ReshapeAliasBackward0"


class UnsafeView(View):
    """The reshape torch records on a fresh result (after a copy, or of a folded matmul): not a
    view for autograd, as nothing else sees that memory."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, shape: tuple) -> Tensor:
        ctx.in_shape = a.shape
        return Tensor(a.array.reshape(shape))


class Transpose(ViewFunction):
    """z = a with dims d0 and d1 swapped;   the gradient is swapped back."""

    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, d0: int, d1: int) -> Tensor:
        d0, d1 = wrap_dim(d0, a.ndim), wrap_dim(d1, a.ndim)
        ctx.dims = (d0, d1)
        return view_of(a, lambda d: np.swapaxes(d, d0, d1) if d.ndim else d[...])

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.transpose(*ctx.dims), None, None


class MatrixTranspose(ViewFunction):
    """z = aᵀ for a matrix (or a vector, unchanged);   the gradient is transposed back."""

    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        if a.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
        return view_of(a, lambda d: d.T)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad.t()


class Permute(ViewFunction):
    """z = a with its dims reordered;   the gradient is reordered by the inverse permutation."""

    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dims: tuple) -> Tensor:
        ctx.inverse = tuple(np.argsort(dims))
        return view_of(a, lambda d: np.transpose(d, dims))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.permute(*ctx.inverse), None


class Unsqueeze(ViewFunction):
    """z = a with a new dim of size 1;   the gradient has that dim removed."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dim: int) -> Tensor:
        ctx.dim = wrap_dim(dim, a.ndim + 1)
        dim = ctx.dim
        return view_of(a, lambda d: np.expand_dims(d, dim))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.squeeze(ctx.dim), None


class Squeeze(ViewFunction):
    """z = a without dims of size 1;   the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, a: Tensor, dim: Optional[int]) -> Tensor:
        ctx.node_name = ctx.node_name or ("SqueezeBackward0" if dim is None else "SqueezeBackward1")
        ctx.in_shape = a.shape
        if dim is not None:
            dim = wrap_dim(dim, a.ndim)
            if a.ndim == 0 or a.shape[dim] != 1:
                return view_of(a, lambda d: d[...])
        return view_of(a, lambda d: np.squeeze(d, axis=dim))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.reshape(ctx.in_shape), None


class SqueezeDims(Squeeze):
    """The squeeze torch records when it undoes matmul's unsqueeze of a vector: done in place on
    the product (`squeeze_`), so the result is not a view."""

    node_name = "SqueezeBackward4"

    @staticmethod
    def forward(ctx, a: Tensor, dim: Optional[int]) -> Tensor:
        ctx.in_shape = a.shape
        return Tensor(np.squeeze(a.array, axis=dim))


class Expand(ViewFunction):
    """z = a broadcast to a bigger shape (no copy);   the gradient is summed back."""

    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, shape: tuple) -> Tensor:
        ctx.in_shape = a.shape
        return view_of(a, lambda d: _broadcast(d, shape))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad.sum_to_size(ctx.in_shape), None


def _broadcast(d: np.ndarray, shape: tuple) -> np.ndarray:
    """np.broadcast_to, but writable as torch's expand is (in-place ops refuse the elements that
    share memory; see ops/inplace.py), and with torch's strides (in-place overlap checks compare
    them): a dimension that keeps its size keeps its stride, even a size 1 (numpy sets 0), and a
    new leading dim of size 1 in front of others gets the stride it would have if contiguous."""
    np.broadcast_to(d, shape)  # raises where the shapes do not broadcast
    lead = len(shape) - d.ndim
    strides = [0] * len(shape)
    for i in reversed(range(len(shape))):
        if i >= lead and d.shape[i - lead] == shape[i]:
            strides[i] = d.strides[i - lead]
        elif i < lead and shape[i] == 1 and i + 1 < len(shape):
            strides[i] = shape[i + 1] * strides[i + 1]
    return np.lib.stride_tricks.as_strided(d, shape, tuple(strides))


class Cat(Function):
    """z = [a₁, a₂, ...] joined along `dim`;   each input gets its slice of the gradient."""

    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim: int, *tensors: Tensor) -> np.ndarray:
        ctx.dim = dim
        ctx.bounds = np.cumsum([0] + [t.shape[dim] for t in tensors])
        return np.concatenate([t.array for t in tensors], axis=dim, dtype=dtypes.result_type(*tensors))

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
        return np.stack([t.array for t in tensors], axis=dim, dtype=dtypes.result_type(*tensors))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        lead = (slice(None),) * (ctx.dim % grad.ndim)
        return (None,) + tuple(grad[lead + (i,)] for i in range(grad.shape[ctx.dim]))


# -- the functions the Tensor methods and `afs.*` call ------------------------------------------
def view(a: Tensor, *shape: Any) -> Tensor:
    return View.apply(a, _check_numel(a, size_arg(shape)))


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """A view when the memory allows it (`view` of a contiguous tensor, else `_reshape_alias`);
    otherwise a copy first, as torch does."""
    shape = _check_numel(a, size_arg(shape))
    if a.array.flags.c_contiguous:
        return View.apply(a, shape)
    if viewable(a, shape):
        return ReshapeAlias.apply(a, shape)
    return UnsafeView.apply(Clone.apply(a), shape)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    start, end = wrap_dim(start_dim, a.ndim), wrap_dim(end_dim, a.ndim)
    if a.ndim == 0:
        return reshape(a, 1)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return a
    # the size spelled out, not -1, which a zero-size tensor would make ambiguous
    return reshape(a, a.shape[:start] + (int(np.prod(a.shape[start:end + 1])),) + a.shape[end + 1:])


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    return Transpose.apply(a, dim0, dim1)


def t(a: Tensor) -> Tensor:
    return MatrixTranspose.apply(a)


def permute(a: Tensor, *dims: Any) -> Tensor:
    dims = size_arg(dims)
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(): the number of dims ({len(dims)}) must equal the number of "
                           f"dimensions of the tensor ({a.ndim})")
    dims = tuple(wrap_dim(d, a.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(a, dims)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    return Unsqueeze.apply(a, dim)


def squeeze(a: Tensor, dim: Optional[int] = None) -> Tensor:
    return Squeeze.apply(a, dim)


def expand(a: Tensor, *shape: Any) -> Tensor:
    """a broadcast to `shape` (-1 keeps a size): sizes 1 may grow, and new dims be added in front."""
    shape = size_arg(shape)
    lead = len(shape) - a.ndim
    if lead < 0:
        raise RuntimeError(f"expand({list(a.shape)}, size={list(shape)}): the number of sizes "
                           f"provided ({len(shape)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({a.ndim})")
    for i, n in enumerate(shape):
        if n == -1 and i < lead:
            raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                               f"non-existing dimension {i}")
        if i >= lead and n != -1 and a.shape[i - lead] not in (1, n):
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size "
                               f"({a.shape[i - lead]}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(shape)}.  Tensor sizes: {list(a.shape)}")
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return Expand.apply(a, shape)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for k, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {k}) cannot be concatenated")
    dim = wrap_dim(dim, tensors[0].ndim)
    first = tensors[0].shape
    for k, t in enumerate(tensors[1:], 1):
        for d, (m, n) in enumerate(zip(first, t.shape)):
            if d != dim and m != n or t.ndim != len(first):
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {m} but got size {n} for tensor number {k} in the list.")
    return Cat.apply(dim, *tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for k, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry {k}")
    return Stack.apply(wrap_dim(dim, tensors[0].ndim + 1), *tensors)

