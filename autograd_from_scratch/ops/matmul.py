"""Matrix products. `matmul` picks the kernel the way torch does, so the graphs match:
vector·vector is `Dot`, matrix·vector `Mv`, matrix·matrix `Mm`, and batched operands are folded
into one `Bmm` (or, for a batch times a matrix, one `Mm` on the folded batch).

For Z = A B:   dL/dA = dL/dZ · Bᵀ   and   dL/dB = Aᵀ · dL/dZ.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor


def _check_inner(a: Tensor, b: Tensor, what: str) -> None:
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        def fmt(t: Tensor) -> str:
            return "x".join(map(str, t.shape))
        raise RuntimeError(
            f"{what} shapes cannot be multiplied ({fmt(a)} and {fmt(b)}): the last dimension of "
            f"the first ({k_a}) must equal the {'first' if b.ndim == 1 else 'second-to-last'} "
            f"dimension of the second ({k_b})."
        )


class Mm(Function):
    """Z = A B for matrices."""

    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a.data @ b.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad @ b.t() if ctx.needs_input_grad[0] else None,
                a.t() @ grad if ctx.needs_input_grad[1] else None)


class Addmm(Function):
    """Z = c + A B (a linear layer's `bias + x Wᵀ`);   dL/dc = dL/dZ summed over broadcast dims."""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, c: Tensor, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        out = a.data @ b.data
        out += c.data
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad,
                grad @ b.t() if ctx.needs_input_grad[1] else None,
                a.t() @ grad if ctx.needs_input_grad[2] else None)


class Mv(Function):
    """z = A v;   dL/dA = dL/dz vᵀ (an outer product),  dL/dv = Aᵀ dL/dz."""

    node_name = "MvBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, v: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, v)
        return a.data @ v.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, v = ctx.saved_tensors
        return (grad.unsqueeze(1) * v.unsqueeze(0) if ctx.needs_input_grad[0] else None,
                a.t() @ grad if ctx.needs_input_grad[1] else None)


class Dot(Function):
    """z = a · b;   dz/da = b,  dz/db = a."""

    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return np.dot(a.data, b.data)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Bmm(Function):
    """Z[i] = A[i] B[i] for a batch of matrices."""

    node_name = "BmmBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return np.matmul(a.data, b.data)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad @ b.transpose(1, 2) if ctx.needs_input_grad[0] else None,
                a.transpose(1, 2) @ grad if ctx.needs_input_grad[1] else None)


def addmm(c: Tensor, a: Tensor, b: Tensor) -> Tensor:
    _check_inner(a, b, "mat1 and mat2")
    return Addmm.apply(c, a, b)


def _check_dtypes(a: Tensor, b: Tensor) -> None:
    """torch does not promote in a matrix product: both operands must have one dtype."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected both operands of a matrix product to have the same dtype, but "
                           f"got {a.dtype} and {b.dtype}: convert one, e.g. b.to(a.dtype)")


def matmul(a: Tensor, b: Tensor) -> Tensor:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument must be a Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    _check_dtypes(a, b)
    _check_inner(a, b, "mat1 and mat2" if a.ndim <= 2 and b.ndim <= 2 else "batched matrices")
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(a, b)
    if a.ndim == 2 and b.ndim == 1:
        return Mv.apply(a, b)
    if a.ndim == 1 and b.ndim == 2:
        from .shape import SqueezeDims

        return SqueezeDims.apply(Mm.apply(a.unsqueeze(0), b), 0)
    if a.ndim == 2 and b.ndim == 2:
        return Mm.apply(a, b)
    if b.ndim <= 2:  # fold the batch into the rows: one matrix product
        from .shape import UnsafeView

        folded = a.reshape(-1, a.shape[-1])
        out = Mm.apply(folded, b) if b.ndim == 2 else Mv.apply(folded, b)
        shape = a.shape[:-1] + ((b.shape[-1],) if b.ndim == 2 else ())
        return UnsafeView.apply(out, shape)
    return _batched(a, b)


def _batched(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dimensions, fold them into one, and do a single Bmm."""
    from .shape import UnsafeView

    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise RuntimeError(f"The batch dimensions of the operands of matmul do not broadcast: "
                           f"{list(a2.shape[:-2])} and {list(b2.shape[:-2])} (shapes {list(a.shape)} "
                           f"and {list(b.shape)}); sizes must be equal or 1, compared from the last") from None
    (n, k), m = a2.shape[-2:], b2.shape[-1]

    def fold(t: Tensor, rows: int, cols: int) -> Tensor:
        return t.expand(batch + (rows, cols)).reshape(-1, rows, cols)  # torch expands even to the same shape

    out = Bmm.apply(fold(a2, n, k), fold(b2, k, m))
    shape = batch + ((n,) if a.ndim > 1 else ()) + ((m,) if b.ndim > 1 else ())
    return UnsafeView.apply(out, shape)
