"""Bad input gets the error torch gives, with a message that says what to do."""
from __future__ import annotations

import pytest
import torch

import autograd_from_scratch as afs


def both(fn):
    """Run fn with torch and with afs; both must raise RuntimeError. Returns our message."""
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError) as info:
        fn(afs)
    return str(info.value)


def test_backward_twice():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        y.backward()

    assert "retain_graph=True" in both(fn)


def test_non_scalar_backward_needs_gradient():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward()

    msg = both(fn)
    assert "only for scalar outputs" in msg and "gradient=" in msg


def test_backward_on_a_tensor_without_grad():
    msg = both(lambda lib: (lib.tensor([1.0, 2.0]) * 2).sum().backward())
    assert "does not require grad" in msg and "requires_grad=True" in msg


def test_gradient_of_the_wrong_shape():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward(gradient=lib.tensor([1.0, 1.0, 1.0]))

    assert "Mismatch in shape" in both(fn)


def test_matmul_shape_mismatch():
    msg = both(lambda lib: lib.ones(2, 3) @ lib.ones(4, 5))
    assert "cannot be multiplied (2x3 and 4x5)" in msg


def test_broadcast_shape_mismatch():
    msg = both(lambda lib: lib.ones(2, 3) + lib.ones(4))
    assert "must match the size of tensor b (4)" in msg


def test_requires_grad_on_an_integer_tensor():
    msg = both(lambda lib: lib.tensor([1, 2], requires_grad=True))
    assert "floating point" in msg


def test_inplace_on_a_leaf_that_requires_grad():
    msg = both(lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).add_(1))
    assert "leaf Variable that requires grad" in msg and "no_grad" in msg


def test_inplace_change_of_a_saved_tensor():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # exp saves its result for backward
        y.add_(1)  # ... which is now overwritten
        y.sum().backward()

    msg = both(fn)
    assert "modified by an inplace operation" in msg and "version 1; expected version 0" in msg


def test_view_of_wrong_size():
    assert "invalid for input of size 6" in both(lambda lib: lib.ones(2, 3).view(4, 2))


def test_numpy_of_a_tensor_that_requires_grad():
    assert "detach().numpy()" in both(lambda lib: lib.ones(2, requires_grad=True).numpy())
