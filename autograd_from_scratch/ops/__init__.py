"""Every differentiable operation, one `Function` each, grouped by kind.

`TENSOR_METHODS` is the one place where an op becomes a Tensor method or Python operator
(`x.exp()`, `x + y`, `x.add_(y)`): adding an op means writing its `Function` and its function in
one module, importing it here, and giving it a row in that table (see CONTRIBUTING.md).

`inplace` (in `inplace.py`) is how the `x.op_()` methods work: the op is recorded as if out of
place, on a copy of x's old values, and its result is written into x; the histories of x, of its
base and of their views are rewritten as torch rewrites them (`CopySlices`, `AsStridedBackward0`).
"""
from __future__ import annotations

from typing import Any, Callable, Union

from ..tensor import Tensor
from .elementwise import (abs, add, clamp, clone, copy, div, eq, exp, full_like, ge, gt, le, log, lt,
                          mul, ne, neg, pow, relu, sigmoid, sqrt, sub, tanh, to, where, zeros_like)
from .indexing import index, index_put_
from .inplace import inplace
from .matmul import addmm, matmul
from .reduce import all, any, argmax, max, mean, sum, sum_to_size
from .shape import cat, expand, flatten, permute, reshape, squeeze, stack, t, transpose, unsqueeze, view


def reflected(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`other OP self`, for Python's reflected operators: `2 - x` is sub(2, x)."""

    def method(self: Tensor, other: Any) -> Tensor:
        return op(other, self)

    method.__name__ = f"r{op.__name__}"
    return method


def in_place(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`x.op_(*args)`: op(x, *args) written into x (see `inplace`)."""

    def method(self: Tensor, *args: Any) -> Tensor:
        return inplace(self, op, *args)

    method.__name__ = f"{op.__name__}_"
    return method


def fill_(x: Tensor, value: Any) -> Tensor:
    return inplace(x, full_like, value, filling=True)


def zero_(x: Tensor) -> Tensor:
    return inplace(x, zeros_like)


def where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """`x.where(condition, y)` is where(condition, x, y), as torch's Tensor.where."""
    return where(condition, self, other)


# Tensor method name -> the function that implements it, called with the tensor first. torch
# records `2 + x` as x.add(2) and `3 * x` as x.mul(3), so the reflected forms of the commutative
# operators are the ops themselves.
TENSOR_METHODS: dict[str, Union[Callable[..., Any], property]] = {
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": reflected(sub),
    "__mul__": mul, "__rmul__": mul, "__truediv__": div, "__rtruediv__": reflected(div),
    "__pow__": pow, "__rpow__": reflected(pow), "__matmul__": matmul, "__rmatmul__": reflected(matmul),
    "__neg__": neg, "__abs__": abs,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__getitem__": index, "__setitem__": index_put_,
    "__iadd__": in_place(add), "__isub__": in_place(sub), "__imul__": in_place(mul),
    "__itruediv__": in_place(div),
    # math
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "abs": abs,
    "exp": exp, "log": log, "sqrt": sqrt, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "clamp": clamp, "matmul": matmul, "addmm": addmm, "where": where_method,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    # reductions
    "sum": sum, "mean": mean, "max": max, "sum_to_size": sum_to_size, "all": all, "any": any,
    "argmax": argmax,
    # shapes and copies
    "reshape": reshape, "view": view, "flatten": flatten, "transpose": transpose,
    "permute": permute, "t": t, "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand,
    "clone": clone, "to": to,
    # in place
    "add_": in_place(add), "sub_": in_place(sub), "mul_": in_place(mul), "div_": in_place(div),
    "relu_": in_place(relu), "clamp_": in_place(clamp), "copy_": in_place(copy),
    "fill_": fill_, "zero_": zero_,
}


def _attach_tensor_methods() -> None:
    for name, fn in TENSOR_METHODS.items():
        setattr(Tensor, name, fn)


_attach_tensor_methods()

__all__ = [
    "abs", "add", "addmm", "all", "any", "argmax", "cat", "clamp", "clone", "copy", "div", "eq",
    "exp", "expand", "flatten", "full_like", "ge", "gt", "index", "index_put_", "inplace", "le",
    "log", "lt", "matmul", "max", "mean", "mul", "ne", "neg", "permute", "pow", "relu", "reshape",
    "sigmoid", "sqrt", "squeeze", "stack", "sub", "sum", "sum_to_size", "t", "tanh", "to",
    "transpose", "unsqueeze", "view", "where",
]
