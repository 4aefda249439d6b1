"""First and second derivatives of every op in the table, by central differences in float64.

This tier needs no torch: the reference is the definition of the derivative itself. It runs in a
venv with only numpy, pytest and hypothesis (`make test-engine`)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_from_scratch as afs

from op_table import OPS, make_inputs

# Ops whose second derivative is not defined by the op alone: `bool_mask` selects by the values
# themselves (its mask would change under the perturbation of a finite difference).
FIRST_ORDER_ONLY = {"bool_mask"}
# `to` casts to float32, where a difference quotient keeps too few digits (its exactness is checked
# against torch in tests/test_ops.py).
NOT_BY_DIFFERENCES = {"to"}


def _inputs(op, seed):
    arrays = make_inputs(op, np.random.default_rng(seed), "float64")
    return [afs.tensor(a, requires_grad=True, dtype=afs.float64) for a in arrays]


FIRST_ORDER = [op for op in OPS if op.name not in NOT_BY_DIFFERENCES]


@pytest.mark.parametrize("op", FIRST_ORDER, ids=[op.name for op in FIRST_ORDER])
def test_gradcheck(op):
    assert afs.autograd.gradcheck(lambda *xs: op.fn(afs, *xs), _inputs(op, 2))


SECOND_ORDER = [op for op in FIRST_ORDER if op.name not in FIRST_ORDER_ONLY]


@pytest.mark.parametrize("op", SECOND_ORDER, ids=[op.name for op in SECOND_ORDER])
def test_gradgradcheck(op):
    assert afs.autograd.gradgradcheck(lambda *xs: op.fn(afs, *xs), _inputs(op, 3))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class Cube(afs.autograd.Function):
        """y = x³ with a backward 3x²·g computed from a constant copy of x: first derivatives
        right, second derivatives wrong (zero instead of 6x·g)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.array ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * afs.tensor(3 * x.array ** 2)

    x = afs.tensor([0.5, -1.5], dtype=afs.float64, requires_grad=True)
    assert afs.autograd.gradcheck(Cube.apply, x)
    assert not afs.autograd.gradgradcheck(Cube.apply, x, raise_exception=False)
