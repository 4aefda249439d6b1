"""Every differentiable operation, one `Function` each, grouped by kind.

`TENSOR_METHODS` is the one place where an op becomes a Tensor method or Python operator
(`x.exp()`, `x + y`, `x.add_(y)`): adding an op means writing its `Function` and its function in
one module, importing it here, and giving it a row in that table (see CONTRIBUTING.md).

`inplace` is how the `x.op_()` methods work: the op is recorded as if out of place, on a copy of
x's old values, and its result is written into x, which takes over the new node and has its
version counter bumped (so backward notices if a saved tensor was overwritten).
"""
from __future__ import annotations

from typing import Any, Callable, Union

import builtins
import inspect

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .elementwise import (abs, add, clamp, clone, copy, div, eq, exp, full_like, ge, gt, le, log, lt,
                          mul, ne, neg, pow, relu, sigmoid, sqrt, sub, tanh, to, where)
from . import conversion, functions as fn
from .extremes import argmin, cumsum, flip, maximum, min, minimum, norm, prod, topk
from .functions import takes_out, write_out
from .indexing import index, index_put_
from .loss import log_softmax, softmax
from .matmul import addmm, matmul
from .reduce import all, any, argmax, max, mean, sum, sum_to_size
from .shape import cat, expand, flatten, permute, reshape, squeeze, stack, t, transpose, unsqueeze, view
from .unary import cos, exp2, expm1, log1p, reciprocal, sign, sin, square, tan


def inplace(x: Tensor, op: Callable[..., Tensor], *args: Any) -> Tensor:
    """Run `op(x, *args)` and write the result into x itself."""
    recording = is_grad_enabled() and (
        x.requires_grad or builtins.any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    if recording and x.is_leaf and x.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. Its "
            "gradient would have to describe values it no longer holds. Update parameters "
            "inside `with afs.no_grad():` (as optimizers do), or work on a copy (`x.clone()`)."
        )
    if recording and x._base is not None:
        raise RuntimeError(
            "autograd_from_scratch does not record in-place operations on a view of a tensor "
            "(torch rewrites the base's history for that). Use the out-of-place op instead."
        )
    before = x
    if recording:  # the node may save x's old values: give it a copy that stays unchanged
        before = Tensor(x.data.copy(), requires_grad=False)
        before._requires_grad, before.grad_fn, before._output_nr = x.requires_grad, x.grad_fn, x._output_nr
    out = op(before, *args)
    np.copyto(x.data, np.broadcast_to(out.data, x.shape), casting="unsafe")
    if recording:
        x.grad_fn, x._output_nr, x._requires_grad = out.grad_fn, out._output_nr, out.requires_grad
    x._bump_version()
    return x


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
        return inplace(self, op, *args)

    method.__name__ = f"{op.__name__}_"
    return method


def zero_(x: Tensor) -> Tensor:
    return inplace(x, full_like, 0)


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
    # math, with torch's keyword names (x.add(other=y), x.pow(exponent=2))
    "add": fn.add, "sub": fn.sub, "mul": fn.mul, "div": fn.div, "pow": fn.pow, "neg": fn.neg,
    "abs": fn.abs, "exp": fn.exp, "log": fn.log, "sqrt": fn.sqrt, "tanh": fn.tanh,
    "sigmoid": fn.sigmoid, "relu": relu, "clamp": fn.clamp, "matmul": fn.matmul,
    "sin": fn.sin, "cos": fn.cos, "tan": fn.tan, "exp2": fn.exp2, "log1p": fn.log1p,
    "expm1": fn.expm1, "sign": fn.sign, "square": fn.square, "reciprocal": fn.reciprocal,
    "minimum": fn.minimum, "maximum": fn.maximum, "softmax": softmax, "log_softmax": log_softmax,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    # reductions
    "sum": fn.sum, "mean": fn.mean, "max": max, "min": min, "prod": fn.prod, "cumsum": fn.cumsum,
    "norm": norm, "sum_to_size": sum_to_size, "all": all, "any": any, "argmax": argmax,
    "argmin": argmin, "topk": topk,
    # shapes and copies
    "reshape": reshape, "view": view, "flatten": flatten, "transpose": transpose,
    "permute": permute, "t": t, "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand,
    "clone": clone, "flip": flip,
    # dtypes and devices
    "to": conversion.to, "cpu": conversion.cpu, "cuda": conversion.cuda, "half": conversion.half,
    "long": conversion.long, "int": conversion.int, "bool": conversion.bool,
    # in place
    "add_": in_place(fn.add), "sub_": in_place(fn.sub), "mul_": in_place(fn.mul),
    "div_": in_place(fn.div), "pow_": in_place(fn.pow), "neg_": in_place(fn.neg),
    "abs_": in_place(fn.abs), "exp_": in_place(fn.exp), "log_": in_place(fn.log),
    "sqrt_": in_place(fn.sqrt), "tanh_": in_place(fn.tanh), "sigmoid_": in_place(fn.sigmoid),
    "relu_": in_place(relu), "clamp_": in_place(fn.clamp), "sin_": in_place(fn.sin),
    "cos_": in_place(fn.cos), "square_": in_place(fn.square),
    "reciprocal_": in_place(fn.reciprocal), "copy_": in_place(copy), "fill_": in_place(full_like),
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
    "takes_out", "tan", "tanh", "to", "topk", "transpose", "unsqueeze", "view", "where",
    "write_out",
]
