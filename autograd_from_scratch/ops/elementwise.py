"""Elementwise operations. Each op: forward on the numpy arrays, backward as tensor operations.

Broadcasting is handled once, in the engine: a backward rule may return a gradient of the
broadcast shape and the engine sums it back to the input's shape.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor

Operand = Any  # a Tensor or a Python number


def _check_broadcast(a: Tensor, b: Tensor) -> None:
    if a.shape == b.shape:
        return
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        for dim in range(1, min(a.ndim, b.ndim) + 1):
            m, n = a.shape[-dim], b.shape[-dim]
            if m != n and 1 not in (m, n):
                raise RuntimeError(
                    f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                    f"non-singleton dimension {max(a.ndim, b.ndim) - dim}. Shapes {list(a.shape)} "
                    f"and {list(b.shape)} do not broadcast: sizes must be equal or 1, compared "
                    "from the last dimension."
                ) from None
        raise


def as_operand(value: Operand, like: Tensor) -> Tensor:
    """A Python number as a constant tensor of `like`'s dtype (torch's 'wrapped number')."""
    if isinstance(value, Tensor):
        return value
    dtype = like.data.dtype
    if dtype.kind != "f" and isinstance(value, float):
        dtype = np.float32
    return Tensor(np.asarray(value, dtype=dtype))


def _binary(fn: type[Function], a: Operand, b: Operand) -> Tensor:
    a = as_operand(a, b) if isinstance(b, Tensor) else a
    b = as_operand(b, a)
    _check_broadcast(a, b)
    return fn.apply(a, b)


class Add(Function):
    """z = a + b;   dz/da = 1,  dz/db = 1."""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        return a.data + b.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad, grad


class Sub(Function):
    """z = a - b;   dz/da = 1,  dz/db = -1."""

    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        return a.data - b.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad, -grad


class Rsub(Function):
    """z = s - b for a number s;   dz/db = -1."""

    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, s: float, b: Tensor) -> np.ndarray:
        return (s - b.data).astype(b.data.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return None, -grad


class Mul(Function):
    """z = a * b;   dz/da = b,  dz/db = a."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a.data * b.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    """z = a / b;   dz/da = 1/b,  dz/db = -a/b²."""

    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a.data / b.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad / b if ctx.needs_input_grad[0] else None,
                -grad * a / (b * b) if ctx.needs_input_grad[1] else None)


class Reciprocal(Function):
    """z = 1 / a;   dz/da = -1/a² = -z²."""

    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(1 / a.data)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return -grad * z * z


class Neg(Function):
    """z = -a;   dz/da = -1."""

    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        return -a.data

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return -grad


class PowScalar(Function):
    """z = a^p for a number p;   dz/da = p·a^(p-1)."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, p: float) -> np.ndarray:
        ctx.save_for_backward(a)
        ctx.p = p
        return a.data ** np.asarray(p, dtype=a.data.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (a,) = ctx.saved_tensors
        if ctx.p == 0:
            return grad * 0, None
        return grad * ctx.p * a ** (ctx.p - 1), None


class Pow(Function):
    """z = a^b for tensors;   dz/da = b·a^(b-1),  dz/db = z·ln(a)  (taken as 0 where a = 0)."""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> Tensor:
        z = Tensor(a.data ** b.data)
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b, z = ctx.saved_tensors
        grad_a = grad * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        grad_b = None
        if ctx.needs_input_grad[1]:
            safe_a = where(a.data == 0, 1.0, a)
            grad_b = grad * z * safe_a.log()
        return grad_a, grad_b


class RPow(Function):
    """z = s^b for a number s;   dz/db = z·ln(s)."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, s: float, b: Tensor) -> Tensor:
        z = Tensor(np.asarray(s, dtype=b.data.dtype) ** b.data)
        ctx.save_for_backward(z)
        ctx.s = s
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (z,) = ctx.saved_tensors
        return None, grad * z * float(np.log(ctx.s))


class Exp(Function):
    """z = eᵃ;   dz/da = eᵃ = z."""

    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.exp(a.data))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * z


class Log(Function):
    """z = ln a;   dz/da = 1/a."""

    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.log(a.data)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Function):
    """z = √a;   dz/da = 1/(2√a) = 1/(2z)."""

    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.sqrt(a.data))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad / (2 * z)


class Tanh(Function):
    """z = tanh a;   dz/da = 1 - z²."""

    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.tanh(a.data))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * (1 - z * z)


class Sigmoid(Function):
    """z = σ(a) = 1/(1+e⁻ᵃ);   dz/da = z(1 - z)."""

    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        # exp of a non-positive number only, so large |a| cannot overflow.
        e = np.exp(-np.abs(a.data))
        z = Tensor(np.where(a.data >= 0, 1 / (1 + e), e / (1 + e)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * z * (1 - z)


class Relu(Function):
    """z = max(a, 0);   dz/da = 1 where z > 0, else 0."""

    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.maximum(a.data, 0))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * Tensor(z.data > 0)


class Abs(Function):
    """z = |a|;   dz/da = sign(a) (0 at a = 0, as torch)."""

    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.abs(a.data)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad * Tensor(np.sign(a.data))


class Clamp(Function):
    """z = min(max(a, lo), hi);   dz/da = 1 where lo < a < hi, else 0 (0 on the bounds, as torch)."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a: Tensor, lo: Optional[float], hi: Optional[float]) -> np.ndarray:
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a.data, lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (a,) = ctx.saved_tensors
        inside = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= a.data > ctx.lo
        if ctx.hi is not None:
            inside &= a.data < ctx.hi
        return grad * Tensor(inside), None, None


class Where(Function):
    """z = a where cond else b;   dz/da = cond,  dz/db = not cond."""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond: np.ndarray, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.cond = cond
        return np.where(cond, a.data, b.data)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return None, where(ctx.cond, grad, 0.0), where(ctx.cond, 0.0, grad)


class ToDtype(Function):
    """z = a converted to another dtype;   the gradient is converted back."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dtype: np.dtype) -> np.ndarray:
        return a.data.astype(dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad, None  # the engine casts it to the input's dtype


class Clone(Function):
    """z = a copy of a;   dz/da = 1."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        return a.data.copy()

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad


class Copy(Function):
    """dst.copy_(src): the result no longer depends on dst;   dz/dsrc = 1."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst: Tensor, src: Tensor) -> np.ndarray:
        return np.broadcast_to(src.data, dst.shape).astype(dst.data.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad * 0, grad


class Fill(Function):
    """Every element set to a number (`zero_`, `fill_`): the gradient to the old values is 0."""

    @staticmethod
    def forward(ctx, a: Tensor, value: float) -> np.ndarray:
        ctx.node_name = "ZeroBackward0" if value == 0 else "FillBackward0"
        return np.full_like(a.data, value)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad * 0, None


# -- the functions the Tensor methods and `afs.*` call ------------------------------------------
def add(a: Operand, b: Operand) -> Tensor:
    return _binary(Add, a, b)


def sub(a: Operand, b: Operand) -> Tensor:
    if not isinstance(a, Tensor):
        return Rsub.apply(a, b)
    return _binary(Sub, a, b)


def mul(a: Operand, b: Operand) -> Tensor:
    return _binary(Mul, a, b)


def div(a: Operand, b: Operand) -> Tensor:
    if not isinstance(a, Tensor):  # s / b is computed as (1/b) * s, as torch does
        return mul(Reciprocal.apply(b), a)
    return _binary(Div, a, b)


def pow(a: Operand, b: Operand) -> Tensor:
    if not isinstance(b, Tensor):
        return PowScalar.apply(a, b)
    if not isinstance(a, Tensor):
        return RPow.apply(a, b)
    _check_broadcast(a, b)
    return Pow.apply(a, b)


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    return Log.apply(a)


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(a)


def tanh(a: Tensor) -> Tensor:
    return Tanh.apply(a)


def sigmoid(a: Tensor) -> Tensor:
    return Sigmoid.apply(a)


def relu(a: Tensor) -> Tensor:
    return Relu.apply(a)


def abs(a: Tensor) -> Tensor:
    return Abs.apply(a)


def clamp(a: Tensor, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:
    return Clamp.apply(a, min, max)


def where(cond: Any, a: Operand, b: Operand) -> Tensor:
    """Elementwise choice: `a` where `cond` is true, else `b`."""
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    like = a if isinstance(a, Tensor) else b
    a, b = as_operand(a, like), as_operand(b, like)
    return Where.apply(cond, a, b)


def to(a: Tensor, dtype: Any) -> Tensor:
    from ..dtypes import to_numpy_dtype

    np_dtype = to_numpy_dtype(dtype)
    return a if a.data.dtype == np_dtype else ToDtype.apply(a, np_dtype)


def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)


def copy(dst: Tensor, src: Operand) -> Tensor:
    return Copy.apply(dst, as_operand(src, dst))


def full_like(a: Tensor, value: float) -> Tensor:
    return Fill.apply(a, value)


def _compare(op: Any) -> Any:
    def compare(a: Operand, b: Operand) -> Tensor:
        a_data = a.data if isinstance(a, Tensor) else a
        b_data = b.data if isinstance(b, Tensor) else b
        return Tensor(np.asarray(op(a_data, b_data)))

    compare.__doc__ = f"Elementwise `{op.__name__}`, a bool tensor (not differentiable)."
    return compare


eq, ne, lt, le, gt, ge = (_compare(f) for f in (np.equal, np.not_equal, np.less, np.less_equal,
                                                np.greater, np.greater_equal))
