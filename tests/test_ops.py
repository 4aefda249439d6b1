"""Every op in the table, against torch on the same data: forward values, gradients for a random
upstream gradient, node names, broadcasting (hypothesis). First and second derivatives by finite
differences, which need no torch, are in tests/engine/test_derivatives.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd_from_scratch as afs

from op_table import OPS, OPS_BY_NAME, make_inputs

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-5)}


def run_both(op, arrays, upstream_seed=0):
    """Run op on torch and afs with the same inputs and the same random upstream gradient."""
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    a_in = [afs.tensor(a, requires_grad=True) for a in arrays]
    t_out, a_out = op.fn(torch, *t_in), op.fn(afs, *a_in)
    v = np.random.default_rng(upstream_seed).standard_normal(tuple(t_out.shape)).astype(arrays[0].dtype)
    t_out.backward(torch.tensor(v))
    a_out.backward(afs.tensor(v))
    return t_in, a_in, t_out, a_out


def assert_close(ours, theirs, dtype):
    assert theirs is not None and ours is not None, "one engine produced no gradient"
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_forward_backward_and_node_name(op, dtype):
    arrays = make_inputs(op, np.random.default_rng(1), dtype)
    t_in, a_in, t_out, a_out = run_both(op, arrays)
    assert_close(a_out, t_out, dtype)
    for a, t in zip(a_in, t_in):
        assert_close(a.grad, t.grad, dtype)
    # torch names its C++-only nodes with their namespace: torch::autograd::CopySlices
    assert a_out.grad_fn.name() == t_out.grad_fn.name().split("::")[-1]


BROADCASTING = [op for op in OPS if op.broadcasts]


@pytest.mark.parametrize("op", BROADCASTING, ids=[op.name for op in BROADCASTING])
@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16), dtype=st.sampled_from(["float64", "float32"]))
def test_broadcasting(op, shapes, seed, dtype):
    arrays = make_inputs(op, np.random.default_rng(seed), dtype, shapes=shapes.input_shapes)
    t_in, a_in, t_out, a_out = run_both(op, arrays, upstream_seed=seed)
    assert_close(a_out, t_out, dtype)
    for a, t in zip(a_in, t_in):
        assert_close(a.grad, t.grad, dtype)  # summed back to each input's own shape


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), seed=st.integers(0, 2**16),
       data=st.data())
def test_reductions_over_any_dims(shape, seed, data):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    keepdim = data.draw(st.booleans())
    x = np.random.default_rng(seed).standard_normal(shape)
    for method in ("sum", "mean"):
        op = OPS_BY_NAME["sum"]
        op_fn = lambda lib, a, method=method: getattr(a, method)(tuple(dims), keepdim=keepdim)
        t_in, a_in, t_out, a_out = run_both(type(op)(method, op_fn, (tuple(shape),)), [x], seed)
        assert_close(a_out, t_out, "float64")
        assert_close(a_in[0].grad, t_in[0].grad, "float64")


def test_comparisons_give_bool_tensors():
    a = afs.tensor([1.0, 2.0, 3.0])
    b = afs.tensor([3.0, 2.0, 1.0])
    assert repr(a == b) == "tensor([False,  True, False])"
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        ours = getattr(a, op)(b)
        theirs = getattr(torch.tensor(a.array), op)(torch.tensor(b.array))
        assert ours.dtype == afs.bool
        assert ours.tolist() == theirs.tolist()


def test_double_precision_is_kept():
    x = afs.tensor([1.0, 2.0], dtype=afs.float64, requires_grad=True)
    y = (x * 3 + 1).exp().sum()
    y.backward()
    assert y.dtype == afs.float64 and x.grad.dtype == afs.float64
    assert afs.tensor([1.0, 2.0]).dtype == afs.float32  # torch's default dtype
    assert (afs.tensor([1.0, 2.0]) * 2.5).dtype == afs.float32  # Python numbers do not upcast
