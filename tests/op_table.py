"""The table of ops that drives every op test: each entry runs the same code on torch and on afs.

`fn(lib, *xs)` must work unchanged with `lib = torch` and `lib = afs`. `domain` keeps inputs
where the op is smooth (log of positives, no ties at relu's kink, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Op:
    name: str
    fn: Callable
    shapes: tuple  # one shape per input
    domain: str = "any"  # "any", "positive", "away_from_zero", "distinct"
    broadcasts: bool = False
    int_args: dict = field(default_factory=dict)
    # A node name that still differs from torch's (tests/test_ops.py expects it to fail, strictly).
    known_node_difference: str = ""


def _setitem(a, b):
    a[1] = b * 3
    return a


OPS = [
    # arithmetic, with Python numbers too
    Op("add", lambda lib, a, b: a + b, ((3, 4), (3, 4)), broadcasts=True),
    Op("sub", lambda lib, a, b: a - b, ((3, 4), (3, 4)), broadcasts=True),
    Op("mul", lambda lib, a, b: a * b, ((3, 4), (3, 4)), broadcasts=True),
    Op("div", lambda lib, a, b: a / b, ((3, 4), (3, 4)), "away_from_zero", broadcasts=True),
    Op("pow_tensor", lambda lib, a, b: a ** b, ((3, 4), (3, 4)), "positive", broadcasts=True),
    Op("add_scalar", lambda lib, a: a + 2.5, ((3, 4),)),
    Op("rsub_scalar", lambda lib, a: 1 - a, ((3, 4),)),
    Op("mul_scalar", lambda lib, a: 3 * a, ((3, 4),)),
    Op("rdiv_scalar", lambda lib, a: 2 / a, ((3, 4),), "away_from_zero"),
    Op("div_scalar", lambda lib, a: a / 4, ((3, 4),)),
    Op("pow_scalar", lambda lib, a: a ** 3, ((3, 4),)),
    Op("pow_fraction", lambda lib, a: a ** 0.5, ((3, 4),), "positive"),
    Op("rpow_scalar", lambda lib, a: 2 ** a, ((3, 4),)),
    Op("neg", lambda lib, a: -a, ((3, 4),)),
    # elementwise functions
    Op("exp", lambda lib, a: lib.exp(a), ((3, 4),)),
    Op("log", lambda lib, a: lib.log(a), ((3, 4),), "positive"),
    Op("sqrt", lambda lib, a: lib.sqrt(a), ((3, 4),), "positive"),
    Op("tanh", lambda lib, a: lib.tanh(a), ((3, 4),)),
    Op("sigmoid", lambda lib, a: lib.sigmoid(a), ((3, 4),)),
    Op("relu", lambda lib, a: lib.relu(a), ((3, 4),), "away_from_zero"),
    Op("abs", lambda lib, a: lib.abs(a), ((3, 4),), "away_from_zero"),
    Op("clamp", lambda lib, a: lib.clamp(a, -0.5, 0.5), ((3, 4),), "away_from_zero"),
    Op("clamp_min", lambda lib, a: a.clamp(min=-0.3), ((3, 4),), "away_from_zero"),
    Op("where", lambda lib, a, b: lib.where(a > b, a, b), ((3, 4), (3, 4)), "distinct", broadcasts=True),
    # reductions
    Op("sum", lambda lib, a: a.sum(), ((3, 4),)),
    Op("sum_dim", lambda lib, a: a.sum(1), ((3, 4, 2),)),
    Op("sum_dims_keepdim", lambda lib, a: a.sum((0, 2), keepdim=True), ((3, 4, 2),)),
    Op("mean", lambda lib, a: a.mean(), ((3, 4),)),
    Op("mean_dim", lambda lib, a: a.mean(0), ((3, 4),)),
    Op("mean_keepdim", lambda lib, a: a.mean(-1, keepdim=True), ((3, 4),)),
    Op("max", lambda lib, a: a.max(), ((3, 4),), "distinct"),
    Op("max_dim", lambda lib, a: a.max(1)[0], ((3, 4),), "distinct"),
    Op("max_dim_keepdim", lambda lib, a: a.max(0, keepdim=True).values, ((3, 4),), "distinct"),
    # matrix products
    Op("matmul_mm", lambda lib, a, b: a @ b, ((3, 4), (4, 5))),
    Op("matmul_mv", lambda lib, a, b: a @ b, ((3, 4), (4,))),
    Op("matmul_vm", lambda lib, a, b: a @ b, ((4,), (4, 5))),
    Op("matmul_dot", lambda lib, a, b: lib.matmul(a, b), ((4,), (4,))),
    Op("matmul_batched", lambda lib, a, b: a @ b, ((2, 3, 4), (2, 4, 5))),
    Op("matmul_batch_broadcast", lambda lib, a, b: a @ b, ((2, 1, 3, 4), (3, 4, 5))),
    Op("matmul_batch_matrix", lambda lib, a, b: a @ b, ((2, 3, 4), (4, 5))),
    # shapes
    Op("reshape", lambda lib, a: a.reshape(4, 3), ((3, 4),)),
    Op("reshape_noncontiguous", lambda lib, a: a.t().reshape(-1), ((3, 4),)),
    Op("view", lambda lib, a: a.view(2, -1), ((3, 4),)),
    Op("flatten", lambda lib, a: a.flatten(1), ((2, 3, 4),)),
    Op("transpose", lambda lib, a: a.transpose(0, 2), ((2, 3, 4),)),
    Op("permute", lambda lib, a: a.permute(2, 0, 1), ((2, 3, 4),)),
    Op("t", lambda lib, a: a.t(), ((3, 4),)),
    Op("unsqueeze", lambda lib, a: a.unsqueeze(1), ((3, 4),)),
    Op("squeeze", lambda lib, a: a.squeeze(), ((3, 1, 4),)),
    Op("squeeze_dim", lambda lib, a: a.squeeze(1), ((3, 1, 4),)),
    Op("expand", lambda lib, a: a.expand(2, 3, 4), ((3, 1),)),
    # indexing
    Op("select", lambda lib, a: a[1], ((3, 4),)),
    Op("slice", lambda lib, a: a[1:3], ((4, 3),)),
    Op("slice_step", lambda lib, a: a[:, ::2], ((4, 5),)),
    Op("select_slice", lambda lib, a: a[0, 1:3], ((3, 4),)),
    Op("ellipsis", lambda lib, a: a[..., 1], ((2, 3, 4),)),
    Op("none_index", lambda lib, a: a[None, 1], ((3, 4),)),
    Op("int_array", lambda lib, a: a[[0, 2, 0]], ((3, 4),)),
    Op("bool_mask", lambda lib, a: a[a > 0], ((3, 4),), "away_from_zero"),
    Op("cat", lambda lib, a, b: lib.cat([a, b], 1), ((3, 2), (3, 4))),
    Op("stack", lambda lib, a, b: lib.stack([a, b], 1), ((3, 4), (3, 4))),
    # conversions
    Op("clone", lambda lib, a: a.clone(), ((3, 4),)),
    Op("to", lambda lib, a: a.to(lib.float64 if a.dtype == lib.float32 else lib.float32), ((3, 4),)),
    Op("sum_to_size", lambda lib, a: a.sum_to_size(1, 4), ((3, 4),)),
    Op("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), ((4,), (3, 5), (5, 4))),
    # in place, on a copy (an in-place change of a leaf that requires grad is refused)
    Op("copy_", lambda lib, a, b: (a * 2).copy_(b) * a, ((3, 4), (3, 4))),
    Op("fill_", lambda lib, a: (a * 2).fill_(1.5) * a, ((3, 4),)),
    Op("setitem", lambda lib, a, b: _setitem(a * 1, b), ((3, 4), (4,)),
       known_node_difference="afs records IndexPutBackward0 where torch records CopySlices"),
]
OPS_BY_NAME = {op.name: op for op in OPS}


def make_inputs(op: Op, rng: np.random.Generator, dtype: str, shapes=None) -> list[np.ndarray]:
    shapes = shapes or op.shapes
    arrays = []
    for shape in shapes:
        x = rng.standard_normal(shape)
        if op.domain == "positive":
            x = np.abs(x) + 0.5
        elif op.domain == "away_from_zero":
            x = np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)
        elif op.domain == "distinct":
            x = x + rng.permutation(x.size).reshape(shape) * 1e-3
        arrays.append(x.astype(dtype))
    if op.domain == "distinct" and len(arrays) == 2:
        arrays[1] = arrays[1] + 0.05  # keep a and b apart for `where(a > b, ...)`
    return arrays
