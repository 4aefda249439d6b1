"""Every differentiable operation, one `Function` each, grouped by kind.

`TENSOR_METHODS` is the one place where an op becomes a Tensor method or Python operator
(`x.exp()`, `x + y`, `x.add_(y)`): adding an op means writing its `Function` and its function in
one module, importing it here, and giving it a row in that table (see CONTRIBUTING.md).

`inplace` (in `inplace.py`) is how the `x.op_()` methods work: the op is recorded as if out of
place, on a copy of x's old values, and its result is written into x; the histories of x, of its
base and of their views are rewritten as torch rewrites them (`CopySlices`, `AsStridedBackward0`).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Union

from ..creation import full_like
from ..tensor import Tensor
from . import elementwise
from . import matmul as products
from . import norm as normalization  # noqa: F401  (ops/norm.py first, so that ops.norm is torch.norm)
from .conversion import to
from .elementwise import clone, copy, eq, ge, gt, le, lt, ne, relu, where, zeros_like
from .elementwise import full_like as fill
from .extremes import argmin, flip, max, min, norm, topk
from .functions import (
    abs,
    add,
    cat,
    clamp,
    cos,
    cumsum,
    div,
    exp,
    exp2,
    expm1,
    log,
    log1p,
    matmul,
    maximum,
    mean,
    minimum,
    mul,
    neg,
    pow,
    prod,
    reciprocal,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    stack,
    sub,
    sum,
    tan,
    tanh,
)
from .indexing import index, index_put_
from .inplace import apply_inplace
from .loss import log_softmax, softmax
from .matmul import addmm
from .reduce import all, any, argmax, sum_to_size
from .shape import expand, flatten, permute, reshape, squeeze, t, transpose, unsqueeze, view


def reflected(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`other OP self`, for Python's reflected operators: `2 - x` is sub(2, x)."""

    def method(self: Tensor, other: Any) -> Tensor:
        return op(other, self)

    method.__name__ = f"r{op.__name__}"
    return method


def in_place(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`x.op_(*args)`: op(x, *args) written into x (see `inplace`)."""

    signature = inspect.signature(op)

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if kwargs:  # arguments given by name (x.clamp_(min=0)) are passed in their places
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            args = bound.args[1:]
        return apply_inplace(self, op, *args)

    method.__name__ = f"{op.__name__}_"
    return method


def fill_(x: Tensor, value: Any) -> Tensor:
    return apply_inplace(x, fill, value, filling=True)


def zero_(x: Tensor) -> Tensor:
    return apply_inplace(x, zeros_like, filling=True)


def where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """`x.where(condition, y)` is where(condition, x, y), as torch's Tensor.where."""
    return where(condition, self, other)


# Tensor method name -> the function that implements it, called with the tensor first. torch
# records `2 + x` as x.add(2) and `3 * x` as x.mul(3), so the reflected forms of the commutative
# operators are the ops themselves. The operators call the ops directly; the named methods go
# through `functions.py`, for torch's keyword names (x.add(other=y)).
ew = elementwise
TENSOR_METHODS: dict[str, Union[Callable[..., Any], property]] = {
    "__add__": ew.add, "__radd__": ew.add, "__sub__": ew.sub, "__rsub__": reflected(ew.sub),
    "__mul__": ew.mul, "__rmul__": ew.mul, "__truediv__": ew.div, "__rtruediv__": reflected(ew.div),
    "__pow__": ew.pow, "__rpow__": reflected(ew.pow),
    "__matmul__": products.matmul, "__rmatmul__": reflected(products.matmul),
    "__neg__": ew.neg, "__abs__": ew.abs,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__getitem__": index, "__setitem__": index_put_,
    "__iadd__": in_place(ew.add), "__isub__": in_place(ew.sub), "__imul__": in_place(ew.mul),
    "__itruediv__": in_place(ew.div),
    # math
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "abs": abs,
    "exp": exp, "log": log, "sqrt": sqrt, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "clamp": clamp, "matmul": matmul, "addmm": addmm, "where": where_method,
    "sin": sin, "cos": cos, "tan": tan, "exp2": exp2, "log1p": log1p, "expm1": expm1,
    "sign": sign, "square": square, "reciprocal": reciprocal, "minimum": minimum,
    "maximum": maximum, "softmax": softmax, "log_softmax": log_softmax,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    # reductions
    "sum": sum, "mean": mean, "max": max, "min": min, "prod": prod, "cumsum": cumsum, "norm": norm,
    "sum_to_size": sum_to_size, "all": all, "any": any, "argmax": argmax, "argmin": argmin,
    "topk": topk,
    # shapes and copies
    "reshape": reshape, "view": view, "flatten": flatten, "transpose": transpose,
    "permute": permute, "t": t, "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand,
    "flip": flip, "clone": clone, "to": to,
    # in place
    "add_": in_place(add), "sub_": in_place(sub), "mul_": in_place(mul), "div_": in_place(div),
    "pow_": in_place(pow), "neg_": in_place(neg), "abs_": in_place(abs), "exp_": in_place(exp),
    "log_": in_place(log), "sqrt_": in_place(sqrt), "tanh_": in_place(tanh),
    "sigmoid_": in_place(sigmoid), "relu_": in_place(relu), "clamp_": in_place(clamp),
    "sin_": in_place(sin), "cos_": in_place(cos), "square_": in_place(square),
    "reciprocal_": in_place(reciprocal), "copy_": in_place(copy), "fill_": fill_,
    "zero_": zero_,
}


def _attach_tensor_methods() -> None:
    for name, method in TENSOR_METHODS.items():
        setattr(Tensor, name, method)


_attach_tensor_methods()

__all__ = [
    "abs", "add", "addmm", "all", "any", "argmax", "argmin", "cat", "clamp", "clone", "copy",
    "cos", "cumsum", "div", "eq", "exp", "exp2", "expand", "expm1", "flatten", "flip",
    "full_like", "ge", "gt", "index", "index_put_", "inplace", "le", "log", "log1p",
    "log_softmax", "lt", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "ne",
    "neg", "norm", "permute", "pow", "prod", "reciprocal", "relu", "reshape", "sigmoid", "sign",
    "sin", "softmax", "sqrt", "square", "squeeze", "stack", "sub", "sum", "sum_to_size", "t",
    "tan", "tanh", "to", "topk", "transpose", "unsqueeze", "view", "where",
]
