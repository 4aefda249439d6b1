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
    Op("setitem", lambda lib, a, b: _setitem(a * 1, b), ((3, 4), (4,))),
    # more elementwise functions (ops/unary.py)
    Op("sin", lambda lib, a: lib.sin(a), ((3, 4),)),
    Op("cos", lambda lib, a: a.cos(), ((3, 4),)),
    Op("tan", lambda lib, a: lib.tan(a), ((3, 4),), "away_from_zero"),
    Op("exp2", lambda lib, a: lib.exp2(a), ((3, 4),)),
    Op("log1p", lambda lib, a: lib.log1p(a), ((3, 4),), "positive"),
    Op("expm1", lambda lib, a: a.expm1(), ((3, 4),)),
    Op("sign", lambda lib, a: lib.sign(a) * a, ((3, 4),), "away_from_zero"),
    Op("square", lambda lib, a: lib.square(a), ((3, 4),)),
    Op("reciprocal", lambda lib, a: a.reciprocal(), ((3, 4),), "away_from_zero"),
    # keyword names as torch's
    Op("add_keywords", lambda lib, a, b: lib.add(input=a, other=b), ((3, 4), (4,))),
    Op("matmul_keywords", lambda lib, a, b: lib.matmul(input=a, other=b), ((3, 4), (4,))),
    Op("mul_method_keyword", lambda lib, a, b: a.mul(other=b), ((3, 4), (3, 1))),
    Op("pow_method_keyword", lambda lib, a: a.pow(exponent=2), ((3, 4),)),
    # extremes, products, running sums, norms (ops/extremes.py)
    Op("maximum", lambda lib, a, b: lib.maximum(a, b), ((3, 4), (3, 4)), "distinct", broadcasts=True),
    Op("minimum", lambda lib, a, b: lib.minimum(a, b), ((3, 4), (3, 4)), "distinct", broadcasts=True),
    Op("maximum_ties", lambda lib, a: lib.maximum(a, a.clamp(max=0)), ((3, 4),), "away_from_zero"),
    Op("min", lambda lib, a: a.min(), ((3, 4),), "distinct"),
    Op("min_ties", lambda lib, a: a.clamp(min=-0.2).min(), ((3, 4),), "away_from_zero"),
    Op("min_dim", lambda lib, a: a.min(1)[0], ((3, 4),), "distinct"),
    Op("min_dim_keepdim", lambda lib, a: lib.min(a, 0, keepdim=True).values, ((3, 4),), "distinct"),
    Op("topk", lambda lib, a: a.topk(2).values, ((3, 5),), "distinct"),
    Op("topk_dim_smallest", lambda lib, a: lib.topk(a, 2, dim=0, largest=False)[0], ((4, 3),), "distinct"),
    Op("prod", lambda lib, a: a.prod(), ((3, 4),)),
    Op("prod_dim", lambda lib, a: lib.prod(a, 1), ((3, 4),)),
    Op("prod_keepdim", lambda lib, a: a.prod(0, keepdim=True), ((3, 4),)),
    Op("cumsum", lambda lib, a: lib.cumsum(a, 1), ((3, 4),)),
    Op("flip", lambda lib, a: lib.flip(a, (0, 2)), ((3, 4, 2),)),
    Op("flip_method", lambda lib, a: a.flip(-1), ((3, 4),)),
    Op("cumsum_first", lambda lib, a: a.cumsum(dim=0), ((3, 4, 2),)),
    Op("norm", lambda lib, a: a.norm(), ((3, 4),)),
    Op("norm_dim", lambda lib, a: lib.norm(a, dim=1), ((3, 4),)),
    Op("norm_p1_keepdim", lambda lib, a: a.norm(p=1, dim=0, keepdim=True), ((3, 4),), "away_from_zero"),
    Op("norm_p3", lambda lib, a: a.norm(3), ((3, 4),), "away_from_zero"),
    # softmax (ops/loss.py)
    Op("softmax", lambda lib, a: lib.softmax(a, 1), ((3, 4),)),
    Op("softmax_dim0", lambda lib, a: a.softmax(dim=0), ((3, 4),)),
    Op("log_softmax", lambda lib, a: a.log_softmax(-1), ((3, 4),)),
    Op("softmax_nn_functional", lambda lib, a: lib.nn.functional.softmax(a, dim=1), ((2, 3, 2),)),
    # binary cross entropy (ops/loss.py): gradients for the input and the target
    Op("bce", lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid()),
       ((3, 4), (3, 4))),
    Op("bce_weight_sum", lambda lib, a, b: lib.nn.functional.binary_cross_entropy(
        a.sigmoid(), b.sigmoid(), weight=lib.linspace(0.5, 2, 4, dtype=a.dtype), reduction="sum"),
       ((3, 4), (3, 4))),
    Op("bce_none", lambda lib, a, b: lib.nn.BCELoss(reduction="none")(a.sigmoid(), b.sigmoid()),
       ((3, 4), (3, 4))),
    Op("bce_logits", lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid()),
       ((3, 4), (3, 4))),
    Op("bce_logits_large", lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(
        a * 300, b.sigmoid()), ((3, 4), (3, 4))),
    Op("bce_logits_weights", lambda lib, a, b: lib.nn.BCEWithLogitsLoss(
        weight=lib.linspace(0.5, 2, 4, dtype=a.dtype), pos_weight=lib.linspace(3, 1, 4, dtype=a.dtype),
        reduction="sum")(a, b.sigmoid()), ((3, 4), (3, 4))),
    Op("bce_logits_none", lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(
        a, b.sigmoid(), reduction="none", pos_weight=lib.full((4,), 2.0, dtype=a.dtype)), ((3, 4), (3, 4))),
    Op("nll_loss_module", lambda lib, a: lib.nn.NLLLoss()(a.log_softmax(1), lib.tensor([0, 3, 1])),
       ((3, 4),)),
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
