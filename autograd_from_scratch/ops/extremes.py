"""Smallest, largest, products, running sums and norms: `minimum`/`maximum`, `max`, `min`, `argmin`,
`topk`, `prod`, `cumsum` (with `flip`, which its backward uses), `norm`.

Where a gradient is routed to chosen elements (the minimum, the k largest), ties follow torch:
a full `max()` or `min()` shares the gradient equally among the tied extremes, `minimum`/`maximum` give half
to each side of a tie, and the `dim=` forms send it to the one index they return.
"""
from __future__ import annotations

import builtins
from typing import Any, NamedTuple, Optional, Union

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .elementwise import _binary, where
from .indexing import ZerosIndexPut
from .reduce import _axes, _kept_shape
from .shape import wrap_dim

Dims = Union[None, int, tuple[int, ...], list[int]]


class Maximum(Function):
    """z = max(a, b) elementwise;   dz/da = 1 where a > b, ½ where a = b, else 0 (and dz/db alike)."""

    node_name = "MaximumBackward0"
    pick: Any = np.maximum  # ufuncs, read through ctx: they stay plain functions
    wins: Any = np.greater

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        share_a = ctx.wins(a.array, b.array) + 0.5 * (a.array == b.array)
        ctx.share_a = Tensor(share_a.astype(a.array.dtype))
        return ctx.pick(a.array, b.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad * ctx.share_a, grad * (1 - ctx.share_a)


class Minimum(Maximum):
    """z = min(a, b) elementwise;   dz/da = 1 where a < b, ½ where a = b, else 0."""

    node_name = "MinimumBackward0"
    pick, wins = np.minimum, np.less


def maximum(input: Tensor, other: Any) -> Tensor:
    return _binary(Maximum, input, other)


def minimum(input: Tensor, other: Any) -> Tensor:
    return _binary(Minimum, input, other)


class MaxAll(Function):
    """z = max a;   dz/daᵢ = 1/k where aᵢ is one of the k tied maxima, else 0 (as torch)."""

    node_name = "MaxBackward1"
    reduce = staticmethod(np.max)  # read through ctx: staticmethod keeps it a plain function

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        if a.array.size == 0:
            raise RuntimeError(f"{ctx.reduce.__name__}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        z = Tensor(ctx.reduce(a.array))
        ctx.save_for_backward(a, z)  # as torch: changing either in place makes backward fail
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        a, z = ctx.saved_tensors
        is_z = a.array == z.array  # none, if a changed in place through .data: then 0, as torch
        return grad * Tensor((is_z / builtins.max(is_z.sum(), 1)).astype(a.array.dtype))


class MinAll(MaxAll):
    """z = min a;   dz/daᵢ = 1/k where aᵢ is one of the k tied minima, else 0 (as torch)."""

    node_name = "MinBackward1"
    reduce = staticmethod(np.min)


def _along(indices: np.ndarray, dim: int) -> tuple:
    """The advanced-index key that picks `indices` (kept-dim shaped) along `dim`."""
    grids = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[dim] = indices
    return tuple(grids)


class Selected(Function):
    """(values, indices) of elements chosen along `dim` (`min(dim)`, `topk`);  the gradient of each
    value goes back to the element it came from (zeros elsewhere)."""

    @staticmethod
    def forward(ctx, a: Tensor, indices: np.ndarray, dim: int, keepdim: bool, name: str) -> tuple:
        ctx.node_name, ctx.shape, ctx.kept = name, a.shape, indices.shape
        if a.ndim == 0:  # torch: a 0-d tensor is its own max (min, top-1) along dim 0
            return a.array.copy(), indices.reshape(())
        ctx.key = _along(indices, dim)
        values = np.take_along_axis(a.array, indices, axis=dim)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values, indices

    @staticmethod
    def backward(ctx, grad: Tensor, grad_indices: Tensor) -> tuple:
        if not ctx.shape:
            return grad, None, None, None, None
        return ZerosIndexPut.apply(grad.reshape(ctx.kept), ctx.key, ctx.shape, True), None, None, None, None


def return_type(name: str) -> type:
    """torch's (values, indices) result of `name`: a named tuple printed as torch prints it,
    `torch.return_types.NAME(values=..., indices=...)`."""

    class Result(NamedTuple):
        values: Tensor
        indices: Tensor

        def __repr__(self) -> str:
            return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    Result.__name__ = Result.__qualname__ = name
    return Result


MaxResult, MinResult, TopkResult = return_type("max"), return_type("min"), return_type("topk")


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """`max(a)` is a scalar tensor; `max(a, dim)` returns (values, indices); `max(a, b)` is
    `maximum(a, b)`, as in torch."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return MaxAll.apply(input)
    return MaxResult(*_select(input, np.argmax, dim, keepdim, "MaxBackward0"))


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """`min(a)`, `min(a, dim)` and `min(a, b)`, as `max`."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return MinAll.apply(input)
    return MinResult(*_select(input, np.argmin, dim, keepdim, "MinBackward0"))


def _select(input: Tensor, arg: Any, dim: int, keepdim: bool, name: str) -> tuple:
    """(values, indices) of the elements `arg` (np.argmax, np.argmin) picks along `dim`."""
    dim = wrap_dim(dim, input.ndim)
    indices = arg(input.array.reshape(input.shape or (1,)), axis=dim, keepdims=True)
    return Selected.apply(input, indices, dim, keepdim, name)


def argmin(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """The index of the smallest element (of the flattened tensor, or along `dim`)."""
    return Tensor(np.asarray(np.argmin(input.array, axis=dim, keepdims=keepdim)))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The k largest (or smallest) elements along `dim`, as (values, indices), largest first."""
    dim = dim % input.ndim if input.ndim else 0
    if not 0 <= k <= (input.shape[dim] if input.ndim else 1):
        raise RuntimeError(f"selected index k out of range: k={k} for a dimension of size "
                           f"{input.shape[dim] if input.ndim else 1}")
    keys = -input.array if largest else input.array
    indices = np.argsort(keys, axis=dim, kind="stable").take(range(k), axis=dim)
    return TopkResult(*Selected.apply(input, indices, dim, True, "TopkBackward0"))


class Prod(Function):
    """z = Πᵢ aᵢ (over `dim`);   dz/daᵢ = Π_{j≠i} aⱼ, which is z / aᵢ when no aⱼ is 0 (torch's
    formula too). With a zero, z / aᵢ would be 0/0: the product of the others is then taken
    directly, over a copy of a for each i with aᵢ replaced by 1 (n² numbers: zeros are rare).
    Both forms are tensor operations, so prod can be differentiated again."""

    @staticmethod
    def forward(ctx, a: Tensor, dim: Optional[int], keepdim: bool) -> np.ndarray:
        ctx.node_name = "ProdBackward0" if dim is None else "ProdBackward1"
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        return np.prod(a.array, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (a,) = ctx.saved_tensors
        g = grad if ctx.dim is None or ctx.keepdim else grad.unsqueeze(ctx.dim)
        if (a.array != 0).all():
            return g * prod(a, ctx.dim, keepdim=True) / a, None, None
        return g * _product_of_the_others(a, ctx.dim), None, None


def _product_of_the_others(a: Tensor, dim: Optional[int]) -> Tensor:
    """For each element, the product of the other elements along `dim` (of all, for None)."""
    last = a.reshape(-1) if dim is None else a.transpose(dim, -1)
    n = last.shape[-1]
    copies = last.unsqueeze(-2).expand(*last.shape[:-1], n, n)  # copy i is row i
    others = prod(where(np.eye(n, dtype=bool), 1.0, copies), -1)
    return others.reshape(a.shape) if dim is None else others.transpose(dim, -1)


def prod(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    input = input if dtype is None else input.to(dtype)
    if dim is not None:
        dim = dim % input.ndim if input.ndim else 0
    return Prod.apply(input, dim, keepdim if dim is not None else False)


class Flip(Function):
    """z = a with the order of the elements along `dims` reversed;   the gradient is reversed back."""

    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return np.flip(a.array, dims).copy()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return flip(grad, ctx.dims), None


def flip(input: Tensor, dims: Any) -> Tensor:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, tuple(d % input.ndim for d in dims))


class Cumsum(Function):
    """zᵢ = Σ_{j≤i} aⱼ along `dim`;   dL/daⱼ = Σ_{i≥j} gᵢ: the running sum of g taken backwards."""

    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.cumsum(a.array, axis=dim)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return flip(cumsum(flip(grad, ctx.dim), ctx.dim), ctx.dim), None


def cumsum(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    input = input if dtype is None else input.to(dtype)
    return Cumsum.apply(input, dim % input.ndim if input.ndim else 0)


class LinalgVectorNorm(Function):
    """z = (Σᵢ |aᵢ|ᵖ)^(1/p) over `dim`;   dz/daᵢ = sign(aᵢ) |aᵢ|^(p-1) / z^(p-1)   (0 where z = 0);
    for p = 2 that is aᵢ / z."""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, p: float, dim: Dims, keepdim: bool) -> Tensor:
        ctx.p, ctx.axes, ctx.shape = p, _axes(dim, a.ndim), a.shape
        if p == 2:
            z = np.sqrt(np.sum(a.array * a.array, axis=ctx.axes, keepdims=keepdim))
        else:
            z = np.sum(np.abs(a.array) ** p, axis=ctx.axes, keepdims=keepdim) ** (1 / p)
        z = Tensor(np.asarray(z))
        ctx.save_for_backward(a, z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, z = ctx.saved_tensors
        kept = _kept_shape(ctx.shape, ctx.axes)
        z, grad = z.reshape(kept), grad.reshape(kept)
        scale = where(z.array == 0, 0.0, grad / where(z.array == 0, 1.0, z) ** (ctx.p - 1))
        if ctx.p == 2:
            return scale * a, None, None, None
        return scale * a.sign() * a.abs() ** (ctx.p - 1), None, None, None


def norm(input: Tensor, p: Union[float, str] = "fro", dim: Dims = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The p-norm of all elements (or over `dim`); 'fro' (Frobenius) is the 2-norm of the elements.

    Implemented for finite p ≥ 1 (1, 2, 3, ...); other p raise."""
    input = input if dtype is None else input.to(dtype)
    p = 2 if p == "fro" else p
    if isinstance(p, str) or not 1 <= p < float("inf"):
        raise NotImplementedError(f"norm with p={p!r}: autograd_from_scratch implements 'fro' and "
                                  "finite p >= 1 (e.g. p=1, p=2)")
    return LinalgVectorNorm.apply(input, float(p), dim, keepdim)
