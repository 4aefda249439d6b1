"""torch's `out=`: the result written into an existing tensor, which is returned, as in torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs

CALLS = {
    "add": lambda lib, a, b, out: lib.add(a, b, out=out),
    "sub": lambda lib, a, b, out: lib.sub(input=a, other=b, out=out),
    "mul": lambda lib, a, b, out: lib.mul(a, b, out=out),
    "div": lambda lib, a, b, out: lib.div(a, b, out=out),
    "pow": lambda lib, a, b, out: lib.pow(a.abs(), b, out=out),
    "matmul": lambda lib, a, b, out: lib.matmul(a, b.T, out=out),
    "maximum": lambda lib, a, b, out: lib.maximum(a, b, out=out),
    "exp": lambda lib, a, b, out: lib.exp(a, out=out),
    "sin": lambda lib, a, b, out: lib.sin(a, out=out),
    "sqrt": lambda lib, a, b, out: lib.sqrt(a.abs(), out=out),
    "clamp": lambda lib, a, b, out: lib.clamp(a, min=-0.5, max=0.5, out=out),
    "sum": lambda lib, a, b, out: lib.sum(a, 1, out=out),
    "mean": lambda lib, a, b, out: lib.mean(a, dim=0, keepdim=True, out=out),
    "prod": lambda lib, a, b, out: lib.prod(a, 1, out=out),
    "cumsum": lambda lib, a, b, out: lib.cumsum(a, 0, out=out),
    "cat": lambda lib, a, b, out: lib.cat([a, b], 1, out=out),
    "stack": lambda lib, a, b, out: lib.stack([a, b], out=out),
}


@pytest.mark.parametrize("name", CALLS)
def test_out_writes_into_the_given_tensor(name):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    results = []
    for lib in (torch, afs):
        expected = CALLS[name](lib, lib.tensor(a), lib.tensor(b), None)
        out = lib.zeros(tuple(expected.shape), dtype=lib.float64)
        memory = out.data_ptr() if lib is torch else out.array
        version = out._version
        returned = CALLS[name](lib, lib.tensor(a), lib.tensor(b), out)
        assert returned is out and out._version > version
        assert (out.data_ptr() if lib is torch else out.array) is memory or lib is torch
        results.append(out.numpy().copy())
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-14)


def test_the_tensors_page_out_calls():
    """`torch.matmul(tensor, tensor.T, out=y3)` and `torch.mul(tensor, tensor, out=z3)`."""
    for lib in (afs, torch):
        tensor = lib.ones(4, 4)
        tensor[:, 1] = 0
        y3, z3 = lib.rand_like(tensor), lib.rand_like(tensor)
        lib.matmul(tensor, tensor.T, out=y3)
        lib.mul(tensor, tensor, out=z3)
        assert y3.tolist() == (tensor @ tensor.T).tolist() and z3.tolist() == (tensor * tensor).tolist()


def test_out_of_another_shape_is_resized_with_torchs_warning():
    for lib in (afs, torch):
        out = lib.zeros(2)
        with pytest.warns(UserWarning, match="was resized"):
            lib.add(lib.ones(2, 3), 1, out=out)
        assert tuple(out.shape) == (2, 3) and out.tolist() == [[2.0] * 3] * 2
        empty = lib.zeros(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.add(lib.ones(2), 1, out=empty)  # an empty out is resized silently
        assert empty.tolist() == [2.0, 2.0]


def test_out_refusals_as_torch():
    for lib in (afs, torch):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.mul(w, 2, out=lib.zeros(3))
        with lib.no_grad():
            lib.mul(w, 2, out=lib.zeros(3))  # nothing to record: allowed
        with pytest.raises(RuntimeError, match="can't be cast"):
            lib.add(lib.ones(3), 0.5, out=lib.zeros(3, dtype=lib.long))
        ints = lib.zeros(3, dtype=lib.long)
        lib.add(lib.ones(3, dtype=lib.long), 2, out=ints)
        assert ints.tolist() == [3, 3, 3]
        halved = lib.zeros(3, dtype=lib.float32)
        lib.mul(lib.ones(3, dtype=lib.float64), 0.5, out=halved)  # float64 into float32: allowed
        assert halved.dtype == lib.float32 and halved.tolist() == [0.5] * 3
