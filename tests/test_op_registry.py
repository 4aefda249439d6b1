"""Every op is registered everywhere it should be (CONTRIBUTING.md, "How to add an op"):

- exported as `afs.NAME` where torch has `torch.NAME`;
- a Tensor method where torch has `torch.Tensor.NAME` (from `ops.TENSOR_METHODS`);
- a row in the op table (tests/op_table.py), which drives the tests against torch and the
  finite-difference checks of first and second derivatives, if it is differentiable."""
from __future__ import annotations

import pytest
import torch

import autograd_from_scratch as afs
from autograd_from_scratch import ops

from op_table import OPS

NOT_DIFFERENTIABLE = {"eq", "ne", "lt", "le", "gt", "ge", "all", "any", "argmax", "argmin"}
HELPERS = {"inplace"}  # how `x.op_()` methods are made, not an op
# afs's names for Python's indexing protocol (x[key], x[key] = value), which torch spells with
# other arguments: torch.Tensor.index and torch.index_put_ take tuples of index tensors.
NOT_TORCHS = {"index", "index_put_"}
# Ops whose table rows are named by what they exercise (`a[1]` is `index`, `a[i] = v` is `index_put_`).
ROWS_NAMED_OTHERWISE = {"index": "select", "index_put_": "setitem", "copy": "copy_", "full_like": "fill_"}


def _ops():
    return sorted(set(ops.__all__) - HELPERS)


@pytest.mark.parametrize("name", _ops())
def test_exported_where_torch_has_it(name):
    if hasattr(torch, name) and name not in NOT_TORCHS:
        assert getattr(afs, name, None) is getattr(ops, name), f"afs.{name} is not exported"


@pytest.mark.parametrize("name", _ops())
def test_a_tensor_method_where_torch_has_one(name):
    if hasattr(torch.Tensor, name) and name not in NOT_TORCHS:
        assert name in ops.TENSOR_METHODS, f"no Tensor.{name}: add a row to ops.TENSOR_METHODS"
        assert hasattr(afs.Tensor, name)


@pytest.mark.parametrize("name", sorted(set(_ops()) - NOT_DIFFERENTIABLE))
def test_an_op_table_row(name):
    row = ROWS_NAMED_OTHERWISE.get(name, name)
    assert any(op.name == row or op.name.startswith(row + "_") for op in OPS), \
        f"no row for {name} in tests/op_table.py"


def test_every_tensor_method_is_an_op_or_an_operator():
    for name, fn in ops.TENSOR_METHODS.items():
        assert name.startswith("__") or name.endswith("_") or name in ops.__all__, name
        assert getattr(afs.Tensor, name) is fn
