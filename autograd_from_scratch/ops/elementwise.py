"""Elementwise operations. Each op: forward on the numpy arrays, backward as tensor operations.

Broadcasting is handled once, in the engine: a backward rule may return a gradient of the
broadcast shape and the engine sums it back to the input's shape.

Dtypes follow torch's promotion (`dtypes.result_type`), not numpy's: a binary op computes in the
promoted dtype (`np.add(a, b, dtype=...)` casts both operands first, as torch does), and the
floating functions (`exp`, `log`, division...) of integers give float32. Like torch, the ops are
silent about inf and nan (log(0) = -inf, x/0 = inf): numpy's RuntimeWarnings are switched off
around them.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..parallel import pointwise
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


def as_operand(value: Operand, dtype: np.dtype) -> Tensor:
    """A Python number as a constant 0-d tensor of `dtype` (torch's 'wrapped number')."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"expected a Tensor or a Python number (bool, int, float) as operand, "
                        f"got {type(value).__name__}: wrap data in afs.tensor(...) first")
    return Tensor(np.asarray(value, dtype=dtype))


def _compute_dtype(*tensors: Tensor) -> Optional[np.dtype]:
    """The dtype to compute in, for a numpy ufunc's `dtype=`: None when all operands share one."""
    first = tensors[0].array.dtype
    if all(t.array.dtype == first for t in tensors[1:]):
        return None
    return dtypes.result_type(*tensors)


def _binary(fn: type[Function], a: Operand, b: Operand) -> Tensor:
    """`fn` on a and b, Python numbers wrapped as 0-d tensors of the promoted dtype: then the
    tensors alone give the promoted dtype again inside `forward` (`_compute_dtype`)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        dtype = dtypes.result_type(a, b)
        a, b = as_operand(a, dtype), as_operand(b, dtype)
    _check_broadcast(a, b)
    return _quiet(fn, a, b)


def _quiet(fn: type[Function], *args: Any) -> Tensor:
    """`fn.apply(*args)` without numpy's warnings about inf and nan (torch gives no warning)."""
    with np.errstate(all="ignore"):
        return fn.apply(*args)


def _power(base: np.ndarray, exponent: np.ndarray, dtype: Optional[np.dtype]) -> np.ndarray:
    """base ** exponent in `dtype`. For integers torch gives a negative power as the integer part
    of the real power (1 for base 1, ±1 for base -1, else 0) where numpy raises."""
    if (dtype or base.dtype).kind in "iu" and np.any(exponent < 0):
        base, exponent = np.broadcast_arrays(base.astype(dtype or base.dtype), exponent)
        safe = np.power(base, np.abs(exponent))
        negative = np.where(base == 1, 1, np.where(base == -1, np.where(exponent % 2, -1, 1), 0))
        return np.where(exponent < 0, negative, safe).astype(safe.dtype)
    return np.power(base, exponent, dtype=dtype)


def _floating(a: Tensor) -> np.ndarray:
    """a's values as floating point (integers become float32, as torch's exp or log of an int)."""
    return a.array if a.array.dtype.kind == "f" else a.array.astype(dtypes.floating(a.array.dtype))


class Add(Function):
    """z = a + b;   dz/da = 1,  dz/db = 1."""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        return np.add(a.array, b.array, dtype=_compute_dtype(a, b))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad, grad


class Sub(Function):
    """z = a - b;   dz/da = 1,  dz/db = -1."""

    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        return np.subtract(a.array, b.array, dtype=_compute_dtype(a, b))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad, -grad


class RsubScalar(Function):
    """z = s - b for a number s;   dz/db = -1."""

    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, s: float, b: Tensor) -> np.ndarray:
        dtype = dtypes.result_type(s, b)
        return np.subtract(np.asarray(s, dtype=dtype), b.array, dtype=dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return None, -grad


class Mul(Function):
    """z = a * b;   dz/da = b,  dz/db = a."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)  # only what backward uses, as torch
        return np.multiply(a.array, b.array, dtype=_compute_dtype(a, b))

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
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return np.true_divide(a.array, b.array, dtype=dtypes.floating(dtypes.result_type(a, b)))

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
        z = Tensor(1 / _floating(a))
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
        if a.array.dtype == np.bool_:
            raise NotImplementedError("Negation, the `-` operator, on a bool tensor is not supported. If "
                               "you are trying to invert a mask, use the `~` or `logical_not()` "
                               "operator instead.")
        return -a.array

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return -grad


class PowTensorScalar(Function):
    """z = a^p for a number p;   dz/da = p·a^(p-1)."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, p: float) -> np.ndarray:
        dtype = dtypes.result_type(a, p)
        if dtype.kind != "f" and not isinstance(p, bool) and p < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save_for_backward(a)
        ctx.p = p
        return np.power(a.array, np.asarray(p, dtype=dtype), dtype=dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (a,) = ctx.saved_tensors
        if ctx.p == 0:  # a constant: its gradient does not depend on anything (torch: zeros_like)
            return Tensor(np.zeros(grad.shape, dtype=grad.array.dtype)), None
        return grad * ctx.p * a ** (ctx.p - 1), None


class Pow(Function):
    """z = a^b for tensors;   dz/da = b·a^(b-1) (0 where b = 0),  dz/db = z·ln(a) (0 where a = 0)."""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> Tensor:
        z = Tensor(_power(a.array, b.array, _compute_dtype(a, b)))
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        a, b, z = ctx.saved_tensors
        grad_a = None
        if ctx.needs_input_grad[0]:  # 0 where b = 0, as torch (not 0 · a^-1, which is nan at a = 0)
            grad_a = grad * where(b.array == 0, 0.0, b * a ** (b - 1))
        grad_b = None
        if ctx.needs_input_grad[1]:
            safe_a = where(a.array == 0, 1.0, a)
            grad_b = grad * z * safe_a.log()
        return grad_a, grad_b


class PowScalarTensor(Function):
    """z = s^b for a number s;   dz/db = z·ln(s)."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, s: float, b: Tensor) -> Tensor:
        dtype = dtypes.result_type(s, b)
        z = Tensor(_power(np.asarray(s, dtype=dtype), b.array, dtype))
        ctx.save_for_backward(z, b)  # b too, unused: torch saves it, so changing it in place fails as there
        ctx.s = s
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        z, _ = ctx.saved_tensors
        return None, grad * z * float(np.log(ctx.s))


class Exp(Function):
    """z = eᵃ;   dz/da = eᵃ = z."""

    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.exp(_floating(a)))
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
        return np.log(_floating(a))

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Function):
    """z = √a;   dz/da = 1/(2√a) = 1/(2z)."""

    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.sqrt(_floating(a)))
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
        z = Tensor(np.tanh(_floating(a)))
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
        x = _floating(a)
        e = np.exp(-np.abs(x))
        z = Tensor(np.where(x >= 0, 1 / (1 + e), e / (1 + e)))
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
        z = Tensor(pointwise(np.maximum, a.array, 0))  # np.maximum(a, 0), on every core
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad, z)


class ThresholdBackward(Function):
    """relu's backward as an op of (grad, z): grad where z > 0, else 0. Its derivative by z is 0
    almost everywhere, but it is one: with `create_graph=True` the result requires grad when z
    does, as torch's `threshold_backward`, and a second backward reaches z's leaves (with zeros)."""

    node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, grad: Tensor, z: Tensor) -> np.ndarray:
        ctx.positive = Tensor(pointwise(np.greater, z.array, 0))
        return pointwise(np.multiply, grad.array, ctx.positive.array)

    @staticmethod
    def backward(ctx, gg: Tensor) -> tuple:
        return gg * ctx.positive, Tensor(np.zeros(gg.shape, dtype=gg.array.dtype))


class Sign(Function):
    """z = sign(a) (-1, 0 or 1);   dz/da = 0, a derivative all the same, as torch's `sgn`."""

    node_name = "SgnBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        return np.sign(a.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return Tensor(np.zeros(grad.shape, dtype=grad.array.dtype))


class Abs(Function):
    """z = |a|;   dz/da = sign(a) (0 at a = 0, as torch)."""

    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        if a.array.dtype == np.bool_:
            raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
        ctx.save_for_backward(a)
        return np.abs(a.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad * Sign.apply(a)


class Clamp(Function):
    """z = min(max(a, lo), hi);   dz/da = 1 where lo < a < hi, else 0 (0 on the bounds, as torch)."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a: Tensor, lo: Optional[float], hi: Optional[float]) -> np.ndarray:
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a.array.astype(dtypes.result_type(a, lo, hi), copy=False), lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (a,) = ctx.saved_tensors
        inside = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= a.array > ctx.lo
        if ctx.hi is not None:
            inside &= a.array < ctx.hi
        return grad * Tensor(inside), None, None


class Where(Function):
    """z = a where cond else b;   dz/da = cond,  dz/db = not cond."""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond: np.ndarray, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.cond = cond
        return np.where(cond, a.array, b.array).astype(dtypes.result_type(a, b), copy=False)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return None, where(ctx.cond, grad, 0.0), where(ctx.cond, 0.0, grad)


class ToDtype(Function):
    """z = a converted to another dtype;   the gradient is converted back."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a: Tensor, dtype: np.dtype) -> np.ndarray:
        return a.array.astype(dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad, None  # the engine casts it to the input's dtype


class Clone(Function):
    """z = a copy of a;   dz/da = 1."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        return a.array.copy()

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad


class Copy(Function):
    """dst.copy_(src): the result no longer depends on dst;   dz/dsrc = 1."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst: Tensor, src: Tensor) -> np.ndarray:
        return np.broadcast_to(src.array, dst.shape).astype(dst.array.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return _zeros_like(grad), grad


def _zeros_like(grad: Tensor) -> Tensor:
    """The gradient for values that were overwritten: zeros that depend on nothing (torch's zeros_like)."""
    return Tensor(np.zeros(grad.shape, dtype=grad.array.dtype))


class Fill(Function):
    """Every element set to one value (`fill_`): the gradient to the old values is 0; a 0-d tensor
    value (FillBackward3, what `a[...] = 1.` records) gets the sum of the gradient."""

    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, a: Tensor, value: Any) -> np.ndarray:
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                                   f"with {value.ndim} dimensions.")
            ctx.node_name = "FillBackward3"
            value = value.array
        return np.full_like(a.array, value)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return _zeros_like(grad), grad.sum() if ctx.node_name == "FillBackward3" else None


class Zero(Fill):
    """`zero_()`: every element set to 0."""

    node_name = "ZeroBackward0"


# -- the functions the Tensor methods and `afs.*` call ------------------------------------------
def add(input: Operand, other: Operand) -> Tensor:
    return _binary(Add, input, other)


def _is_bool(x: Operand) -> bool:
    return x.array.dtype == np.bool_ if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_))


def sub(input: Operand, other: Operand) -> Tensor:
    if _is_bool(input) or _is_bool(other):
        both = "two bool tensors" if _is_bool(input) and _is_bool(other) else "a bool tensor"
        raise NotImplementedError(f"Subtraction, the `-` operator, with {both} is not supported. If "
                                  "you are trying to invert a mask, use the `~` or `logical_not()` "
                                  "operator instead.")
    if not isinstance(input, Tensor):
        return _quiet(RsubScalar, input, other)
    return _binary(Sub, input, other)


def mul(input: Operand, other: Operand) -> Tensor:
    return _binary(Mul, input, other)


def div(input: Operand, other: Operand) -> Tensor:
    if not isinstance(input, Tensor):  # s / b is computed as (1/b) * s, as torch does
        return mul(_quiet(Reciprocal, other), input)
    return _binary(Div, input, other)


def pow(input: Operand, exponent: Operand) -> Tensor:
    if dtypes.result_type(input, exponent) == np.bool_:
        raise NotImplementedError("\"pow\" not implemented for 'Bool': convert first, e.g. x.int()")
    if not isinstance(exponent, Tensor):
        return _quiet(PowTensorScalar, input, exponent)
    if not isinstance(input, Tensor):
        return _quiet(PowScalarTensor, input, exponent)
    return _binary(Pow, input, exponent)


def neg(input: Tensor) -> Tensor:
    return Neg.apply(input)


def exp(input: Tensor) -> Tensor:
    return _quiet(Exp, input)


def log(input: Tensor) -> Tensor:
    return _quiet(Log, input)


def sqrt(input: Tensor) -> Tensor:
    return _quiet(Sqrt, input)


def tanh(input: Tensor) -> Tensor:
    return _quiet(Tanh, input)


def sigmoid(input: Tensor) -> Tensor:
    return _quiet(Sigmoid, input)


def relu(input: Tensor) -> Tensor:
    if input.array.dtype == np.bool_:
        raise NotImplementedError("relu is not implemented for bool tensors (torch: \"clamp_min_cpu\" "
                                  "not implemented for 'Bool'); convert first, e.g. x.float().relu()")
    return Relu.apply(input)


relu.keeps_input = False  # type: ignore[attr-defined]  # Relu saves its output: relu_ may skip a copy


def abs(input: Tensor) -> Tensor:
    return Abs.apply(input)


def clamp(input: Tensor, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return Clamp.apply(input, min, max)


def where(cond: Any, a: Operand, b: Operand) -> Tensor:
    """Elementwise choice: `a` where `cond` is true, else `b` (cond must be a bool tensor)."""
    cond = cond.array if isinstance(cond, Tensor) else np.asarray(cond)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {dtypes.from_numpy_dtype(cond.dtype)}")
    dtype = dtypes.result_type(a, b)
    a, b = as_operand(a, dtype), as_operand(b, dtype)
    _check_broadcast(a, b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"where: the condition of shape {list(cond.shape)} does not broadcast "
                           f"with the values' shapes {list(a.shape)} and {list(b.shape)}") from None
    return Where.apply(cond, a, b)


def to(a: Tensor, dtype: Any) -> Tensor:
    try:
        np_dtype = dtypes.to_numpy_dtype(dtype)
    except TypeError:
        raise RuntimeError(f"to(): {dtype!r} is not a dtype (afs runs on the CPU only, so there is "
                           "no device to move to)") from None
    return a if a.array.dtype == np_dtype else ToDtype.apply(a, np_dtype)


def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)


def copy(dst: Tensor, src: Operand) -> Tensor:
    src = as_operand(src, dst.array.dtype)
    try:
        np.broadcast_to(src.array, dst.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({dst.shape[-1] if dst.ndim else 1}) must match "
                           f"the size of tensor b ({src.shape[-1] if src.ndim else 1}): copy_ needs "
                           f"a source of shape {list(src.shape)} to broadcast to {list(dst.shape)}"
                           ) from None
    return Copy.apply(dst, src)


def full_like(a: Tensor, value: float) -> Tensor:
    return Fill.apply(a, value)


def zeros_like(a: Tensor) -> Tensor:
    return Zero.apply(a, 0)


def _compare(op: Any) -> Any:
    def compare(a: Operand, b: Operand) -> Tensor:
        dtype = dtypes.result_type(a, b)  # compared in the promoted dtype, as torch
        a, b = as_operand(a, dtype), as_operand(b, dtype)
        _check_broadcast(a, b)
        common = _compute_dtype(a, b)
        if common is not None:
            a, b = Tensor(a.array.astype(common)), Tensor(b.array.astype(common))
        return Tensor(np.asarray(op(a.array, b.array)))

    compare.__doc__ = f"Elementwise `{op.__name__}`, a bool tensor (not differentiable)."
    return compare


eq, ne, lt, le, gt, ge = (_compare(f) for f in (np.equal, np.not_equal, np.less, np.less_equal,
                                                np.greater, np.greater_equal))
