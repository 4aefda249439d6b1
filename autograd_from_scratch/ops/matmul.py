"""Matrix products. `matmul` picks the kernel the way torch's `_matmul_impl` does, so the graphs
match: vector·vector is `Dot`, matrix·vector `Mv`, matrix·matrix `Mm`; a batch times a matrix or
a vector (either way round) is folded into one `Mm`/`Mv` on the batch's rows (`_should_fold`);
other batched operands are broadcast and folded into one `Bmm`.

For Z = A B:   dL/dA = dL/dZ · Bᵀ   and   dL/dB = Aᵀ · dL/dZ.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..parallel import matmul as shared_matmul
from ..tensor import Tensor
from .shape import SqueezeDims, UnsafeView


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


def _save_operands(ctx, a: Tensor, b: Tensor, first: int = 0) -> None:
    """Save what the backward will use, as torch does: a for b's gradient, b for a's (so an
    in-place change of a constant operand's partner does not make backward fail)."""
    needs = ctx.needs_input_grad[first:]
    ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)


class Mm(Function):
    """Z = A B for matrices."""

    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        _save_operands(ctx, a, b)
        return shared_matmul(a.array, b.array)  # numpy's A @ B, on every core (parallel.py)

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
        _save_operands(ctx, a, b, first=1)
        out = shared_matmul(a.array, b.array)
        out += c.array
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
        _save_operands(ctx, a, v)
        return a.array @ v.array

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
        _save_operands(ctx, a, b)
        return np.dot(a.array, b.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Bmm(Function):
    """Z[i] = A[i] B[i] for a batch of matrices."""

    node_name = "BmmBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        _save_operands(ctx, a, b)
        return shared_matmul(a.array, b.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad @ b.transpose(1, 2) if ctx.needs_input_grad[0] else None,
                a.transpose(1, 2) @ grad if ctx.needs_input_grad[1] else None)


def addmm(c: Tensor, a: Tensor, b: Tensor) -> Tensor:
    _check_inner(a, b, "mat1 and mat2")
    return Addmm.apply(c, a, b)


def _check_dtypes(a: Tensor, b: Tensor, batched: bool) -> None:
    """torch does not promote in a matrix product: both operands must have one dtype, and not bool
    (its batched kernel says so first when the first operand is bool)."""
    if a.dtype.name == "bool" and (b.dtype.name == "bool" or batched):
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool': a matrix product "
                                  "of bools is not supported; convert first, e.g. x.float()")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected both operands of a matrix product to have the same dtype, but "
                           f"got {a.dtype} and {b.dtype}: convert one, e.g. b.to(a.dtype)")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """input @ other, recorded with the kernels torch's `matmul` picks (see the module's docstring)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument must be a Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    _check_inner(input, other, "mat1 and mat2" if input.ndim <= 2 and other.ndim <= 2 else "batched matrices")
    _check_dtypes(input, other, batched=max(input.ndim, other.ndim) > 2 and not _should_fold(input, other))
    if input.ndim == 1 and other.ndim == 1:
        return Dot.apply(input, other)
    if input.ndim == 2 and other.ndim == 1:
        return Mv.apply(input, other)
    if input.ndim == 1 and other.ndim == 2:
        return SqueezeDims.apply(Mm.apply(input.unsqueeze(0), other), 0)
    if input.ndim == 2 and other.ndim == 2:
        return Mm.apply(input, other)
    if _should_fold(input, other):
        return _folded(input, other)
    return _batched(input, other)


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """torch's rule: fold a batch (>= 3 dims) times a matrix or vector into one Mm/Mv when the
    small operand requires grad (its gradient is then one product, not a sum over the batch), or
    when the batch folds into rows without a copy."""
    big, small = (a, b) if a.ndim >= b.ndim else (b, a)
    if not (big.ndim >= 3 and small.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if a.ndim == 2:  # folding would need the product transposed back, a copy
        return False
    if big.numel() == 0:
        return True
    rows = np.swapaxes(b.array, -1, -2) if big is b else a.array  # torch folds b.mT
    try:  # can the batch fold into rows without a copy (size-1 dims never stand in the way)?
        rows.reshape((-1, rows.shape[-1]), copy=False)
    except ValueError:
        return False
    return True


def _folded(a: Tensor, b: Tensor) -> Tensor:
    """The batch folded into the rows of one matrix: one Mm (or Mv) on (batch·n, k)."""
    transpose = b.ndim > a.ndim  # matrix @ batch: (bᵀ aᵀ)ᵀ
    t1 = b.transpose(-1, -2) if transpose else a
    t2 = (a.t() if a.ndim == 2 else a) if transpose else b
    rows = t1.shape[:-1]
    folded = t1.reshape(int(np.prod(rows)), t1.shape[-1])
    if t2.ndim == 1:
        return UnsafeView.apply(Mv.apply(folded, t2), rows)
    out = UnsafeView.apply(Mm.apply(folded, t2), rows + (t2.shape[1],))
    return out.transpose(-1, -2).contiguous() if transpose else out


def _batched(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dimensions, fold them into one, and do a single Bmm."""
    n, k = (a.shape[-2] if a.ndim > 1 else 1), a.shape[-1]
    p = b.shape[-1] if b.ndim > 1 else 1
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    if a.ndim == 3 and b.ndim == 3 and batch_a[0] != batch_b[0]:
        # a batch of one that requires grad: squeezed, so that the product folds (as torch)
        if batch_a[0] == 1 and a.requires_grad:
            return matmul(a.squeeze(0), b)
        if batch_b[0] == 1 and b.requires_grad:
            return matmul(a, b.squeeze(0))
    try:
        batch = np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise RuntimeError(f"The batch dimensions of the operands of matmul do not broadcast: "
                           f"{list(batch_a)} and {list(batch_b)} (shapes {list(a.shape)} and "
                           f"{list(b.shape)}); sizes must be equal or 1, compared from the last") from None
    count = int(np.prod(batch))
    a3 = a.expand(batch + (n, k)).reshape(count, n, k)  # torch expands even to the same shape
    if b.ndim == 1:
        out = Bmm.apply(a3, b.expand(batch + (k,)).reshape(count, k).unsqueeze(2)).squeeze(-1)
    else:
        out = Bmm.apply(a3, b.expand(batch + (k, p)).reshape(count, k, p))
    shape = batch + ((n,) if a.ndim > 1 else ()) + ((p,) if b.ndim > 1 else ())
    return UnsafeView.apply(out, shape)

