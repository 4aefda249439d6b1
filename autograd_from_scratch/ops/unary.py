"""More elementwise functions of one tensor: trigonometry, exp2, log1p, expm1, sign, square,
reciprocal. As in `elementwise.py`, the backward rules are tensor operations (so they can be
differentiated again), and each op's node has torch's name.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .elementwise import Reciprocal, pow


class Sin(Function):
    """z = sin a;   dz/da = cos a."""

    node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.sin(a.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad * cos(a)


class Cos(Function):
    """z = cos a;   dz/da = -sin a."""

    node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.cos(a.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad * -sin(a)


class Tan(Function):
    """z = tan a;   dz/da = 1 + tan² a = 1 + z²."""

    node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.tan(a.array))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * (1 + z * z)


class Exp2(Function):
    """z = 2ᵃ;   dz/da = 2ᵃ ln 2 = z ln 2."""

    node_name = "Exp2Backward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.exp2(a.array))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * z * math.log(2.0)


class Log1p(Function):
    """z = ln(1 + a), accurate for small a;   dz/da = 1/(1 + a)."""

    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.log1p(a.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad / (a + 1)


class Expm1(Function):
    """z = eᵃ - 1, accurate for small a;   dz/da = eᵃ = z + 1."""

    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> Tensor:
        z = Tensor(np.expm1(a.array))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        return grad * (z + 1)


class Sign(Function):
    """z = sign a (-1, 0 or 1);   dz/da = 0 (it is flat wherever it is differentiable)."""

    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, a: Tensor) -> np.ndarray:
        return np.sign(a.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad * 0


def sin(input: Tensor) -> Tensor:
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:
    return Cos.apply(input)


def tan(input: Tensor) -> Tensor:
    return Tan.apply(input)


def exp2(input: Tensor) -> Tensor:
    return Exp2.apply(input)


def log1p(input: Tensor) -> Tensor:
    return Log1p.apply(input)


def expm1(input: Tensor) -> Tensor:
    return Expm1.apply(input)


def sign(input: Tensor) -> Tensor:
    return Sign.apply(input)


def square(input: Tensor) -> Tensor:
    """a², recorded as torch records it: `pow(a, 2)` (PowBackward0)."""
    return pow(input, 2)


def reciprocal(input: Tensor) -> Tensor:
    """1/a (the op is in `elementwise.py`, where `2 / a` uses it)."""
    return Reciprocal.apply(input)
