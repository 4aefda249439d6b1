"""Every differentiable operation, one `Function` each, grouped by kind.

`inplace` is how the `x.op_()` methods work: the op is recorded as if out of place, on a copy of
x's old values, and its result is written into x, which takes over the new node and has its
version counter bumped (so backward notices if a saved tensor was overwritten).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .elementwise import (abs, add, clamp, clone, copy, div, eq, exp, full_like, ge, gt, le, log, lt,
                          mul, ne, neg, pow, relu, sigmoid, sqrt, sub, tanh, to, where)
from .indexing import index, index_put_
from .matmul import addmm, matmul
from .reduce import max, mean, sum, sum_to_size
from .shape import cat, expand, flatten, permute, reshape, squeeze, stack, t, transpose, unsqueeze, view


def inplace(x: Tensor, op: Callable[..., Tensor], *args: Any) -> Tensor:
    """Run `op(x, *args)` and write the result into x itself."""
    recording = is_grad_enabled() and (
        x.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
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


__all__ = [
    "abs", "add", "addmm", "cat", "clamp", "clone", "copy", "div", "eq", "exp", "expand", "flatten",
    "full_like", "ge", "gt", "index", "index_put_", "inplace", "le", "log", "lt", "matmul", "max",
    "mean", "mul", "ne", "neg", "permute", "pow", "relu", "reshape", "sigmoid", "sqrt", "squeeze",
    "stack", "sub", "sum", "sum_to_size", "t", "tanh", "to", "transpose", "unsqueeze", "view", "where",
]
