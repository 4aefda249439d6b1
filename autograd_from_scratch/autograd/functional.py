"""Whole Jacobians and vector-Jacobian products of a function, as in `torch.autograd.functional`.

`vjp(f, x, v)` is one backward pass: vᵀ J. `jacobian(f, x)` stacks the rows of J, one backward
pass per output element, which is why reverse mode is cheap for one loss and many parameters and
expensive for many outputs.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor
from .engine import run_backward
from .grad_mode import enable_grad

Inputs = Union[Tensor, Sequence[Tensor]]


def _prepare(inputs: Inputs) -> tuple[bool, tuple[Tensor, ...]]:
    single = isinstance(inputs, Tensor)
    xs = (inputs,) if single else tuple(inputs)
    return single, tuple(x.detach().requires_grad_() for x in xs)


def vjp(func: Callable, inputs: Inputs, v: Optional[Tensor] = None) -> tuple:
    """Return (func(inputs), vᵀ J): the output and the vector-Jacobian product for each input."""
    single, xs = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
        grads = run_backward([out], [v], inputs=xs, allow_unused=True, accumulate_grad=False)
    grads = tuple(Tensor(np.zeros(x.shape, x.array.dtype)) if g is None else g.detach()
                  for x, g in zip(xs, grads))
    return out.detach(), grads[0] if single else grads


def jacobian(func: Callable, inputs: Inputs) -> Union[Tensor, tuple]:
    """J[i..., j...] = d out[i...] / d input[j...]; a tuple of them for several inputs."""
    single, xs = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
    rows = [np.zeros((out.numel(),) + x.shape, dtype=out.array.dtype) for x in xs]
    for i in range(out.numel()):
        v = np.zeros(out.numel(), dtype=out.array.dtype)
        v[i] = 1
        grads = run_backward([out], [Tensor(v.reshape(out.shape))], retain_graph=True,
                             inputs=xs, allow_unused=True, accumulate_grad=False)
        for row, g in zip(rows, grads):
            if g is not None:
                row[i] = g.array
    jacs = tuple(Tensor(r.reshape(out.shape + x.shape)) for r, x in zip(rows, xs))
    return jacs[0] if single else jacs
