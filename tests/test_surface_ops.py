"""The ops added for torch's tutorials, beyond the op table: second derivatives against torch,
Tensor methods for the module functions, torch's result types, and the refusals."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs

SECOND_ORDER = {
    "sin": lambda lib, x: lib.sin(x), "cos": lambda lib, x: x.cos(), "tan": lambda lib, x: x.tan(),
    "exp2": lambda lib, x: lib.exp2(x), "log1p": lambda lib, x: (x * x).log1p(),
    "expm1": lambda lib, x: x.expm1(), "cumsum": lambda lib, x: (x * x).cumsum(0),
    "softmax": lambda lib, x: lib.softmax(x * x, 0), "norm": lambda lib, x: x.norm() * x,
    "norm_p3": lambda lib, x: x.norm(p=3) * x, "maximum": lambda lib, x: lib.maximum(x * x, x),
    "min_dim": lambda lib, x: (x * x).reshape(2, 3).min(1)[0],
    "topk": lambda lib, x: (x * x).topk(2)[0],
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_torch(name):
    """d/dx of (the gradient of sum(f(x)·v)): the backward rules are differentiable ops."""
    data = np.array([0.3, -1.2, 0.7, 1.9, -0.4, 1.1])
    v = np.linspace(0.5, 1.5, 6)
    grads = []
    for lib in (torch, afs):
        x = lib.tensor(data, requires_grad=True)
        y = SECOND_ORDER[name](lib, x)
        weights = lib.tensor(v[:y.numel()].reshape(tuple(y.shape)))
        (g,) = (torch.autograd.grad if lib is torch else afs.autograd.grad)((y * weights).sum(), x,
                                                                             create_graph=True)
        (h,) = (torch.autograd.grad if lib is torch else afs.autograd.grad)((g * g).sum(), x)
        grads.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("data", [[1.0, 2.0, 0.0, 4.0], [0.0, 3.0, 0.0, 2.0], [1.5, -2.0, 0.5, 3.0]],
                         ids=["one_zero", "two_zeros", "no_zero"])
@pytest.mark.parametrize("dim", [None, 1])
def test_prod_first_and_second_derivatives_with_zeros_match_torch(data, dim):
    results = []
    for lib in (torch, afs):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        m = x.reshape(2, 2)
        z = m.prod() if dim is None else m.prod(dim)
        grad = torch.autograd.grad if lib is torch else afs.autograd.grad
        (g,) = grad((z * z).sum() if dim is None else (z * lib.tensor([1.0, 2.0], dtype=lib.float64)).sum(),
                    x, create_graph=True)
        (h,) = grad((g * g).sum(), x)
        results.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12, atol=1e-14)


def test_results_and_indices_as_torch():
    data = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 4.5]], dtype=np.float32)
    for call in (lambda lib, x: lib.topk(x, 2), lambda lib, x: x.topk(1, dim=0, largest=False),
                 lambda lib, x: x.min(dim=1), lambda lib, x: lib.min(x, 0, keepdim=True)):
        ours, theirs = call(afs, afs.tensor(data)), call(torch, torch.tensor(data))
        assert ours.values.tolist() == theirs.values.tolist()
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert ours.indices.dtype == afs.int64
    x, t = afs.tensor(data), torch.tensor(data)
    assert x.argmin().item() == t.argmin().item() and x.argmin(1).tolist() == t.argmin(1).tolist()
    assert afs.argmin(x, 0, keepdim=True).tolist() == torch.argmin(t, 0, keepdim=True).tolist()
    assert afs.min(x, afs.tensor(2.0)).tolist() == torch.min(t, torch.tensor(2.0)).tolist()
    assert afs.sign(afs.tensor([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    assert afs.prod(afs.tensor([1, 2, 3])).item() == 6
    assert afs.cumsum(afs.tensor([1, 2, 3]), 0).tolist() == [1, 3, 6]


def test_refusals_are_clear():
    x = afs.randn(3, 4)
    with pytest.raises(NotImplementedError, match="p="):
        x.norm(p=float("inf"))
    with pytest.raises(RuntimeError, match="k out of range"):
        x.topk(5)
    with pytest.raises(RuntimeError, match="must match"):
        afs.maximum(x, afs.ones(3))


def test_softmax_without_dim_warns_as_torch():
    data = np.random.default_rng(0).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = afs.nn.functional.softmax(afs.tensor(data))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        theirs = torch.nn.functional.softmax(torch.tensor(data))
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)
    double = afs.softmax(afs.tensor(data, dtype=afs.float32), 1, dtype=afs.float64)
    assert double.dtype == afs.float64


# The module functions of torch that the tutorials call as methods too (x.add(y), x.mul(y), ...).
METHODS = ["add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid",
           "relu", "clamp", "matmul", "sin", "cos", "tan", "exp2", "log1p", "expm1", "sign",
           "square", "reciprocal", "minimum", "maximum", "softmax", "log_softmax", "sum", "mean",
           "max", "min", "prod", "cumsum", "norm", "argmax", "argmin", "topk", "reshape", "view",
           "flatten", "transpose", "permute", "t", "unsqueeze", "squeeze", "clone", "to", "cpu",
           "long", "int", "bool", "float", "double", "add_", "sub_", "mul_", "div_", "pow_",
           "exp_", "sin_", "clamp_", "zero_", "fill_", "copy_"]


@pytest.mark.parametrize("name", METHODS)
def test_tensor_methods_exist_as_in_torch(name):
    assert hasattr(torch.Tensor, name)
    assert callable(getattr(afs.Tensor, name))


def test_in_place_methods_take_keywords():
    x, t = afs.tensor([-1.0, 0.5, 2.0]), torch.tensor([-1.0, 0.5, 2.0])
    assert x.clamp_(min=0).tolist() == t.clamp_(min=0).tolist()
    assert x.pow_(2).tolist() == t.pow_(2).tolist()
    assert x.add_(other=x).tolist() == t.add_(other=t).tolist()
