"""Misuse: what a student may try by mistake. Each case runs the same code with `lib = torch` and
`lib = afs`; afs must end the way torch ends: the same exception class (or none), and the same
kinds of warnings. torch's outcome is measured here, never written down."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs

SETUP = """
x = lib.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
y = x * 2
i = lib.tensor([1, 2, 3])
b = lib.tensor([True, False, True])
s = lib.tensor(2.)
"""

# (name, code); the code sees lib, x (2x3 leaf), y = x * 2, i (int64), b (bool), s (0-d float).
CASES = [
    # dims out of range
    ("sum(2) on 2-D", "y.sum(2)"),
    ("sum(-3) on 2-D", "y.sum(-3)"),
    ("sum((0, 0)) repeats a dim", "y.sum((0, 0))"),
    ("mean(5)", "y.mean(5)"),
    ("max(2)", "y.max(2)"),
    ("argmax(2)", "y.argmax(2)"),
    ("unsqueeze(3) on 2-D", "y.unsqueeze(3)"),
    ("unsqueeze(-4) on 2-D", "y.unsqueeze(-4)"),
    ("squeeze(2) on 2-D", "y.squeeze(2)"),
    ("transpose(0, 2)", "y.transpose(0, 2)"),
    ("permute out of range", "y.permute(0, 2)"),
    ("permute repeated", "y.permute(0, 0)"),
    ("permute too few dims", "y.permute(0)"),
    ("flatten(3)", "y.flatten(3)"),
    ("cat dim 2", "lib.cat([y, y], 2)"),
    ("stack dim 4", "lib.stack([y, y], 4)"),
    ("0-d sum(0)", "s.sum(0)"),
    ("0-d sum(1)", "s.sum(1)"),
    ("0-d max(0)", "s.max(0)"),
    ("0-d squeeze(0)", "s.squeeze(0)"),
    ("0-d unsqueeze(1)", "s.unsqueeze(1)"),
    ("0-d t()", "s.t()"),
    ("0-d index", "s[0]"),
    ("t() of 3-D", "y.reshape(1, 2, 3).t()"),
    # shapes
    ("view wrong size", "y.view(4, 2)"),
    ("view two -1", "y.view(-1, -1)"),
    ("reshape wrong size", "y.reshape(5)"),
    ("view of a transpose", "y.t().view(6)"),
    ("view of a column slice", "y[:, 1:].view(4)"),
    ("expand to smaller", "y.expand(3)"),
    ("expand non-singleton", "y.expand(3, 3)"),
    ("expand fewer dims", "y.expand(3,)"),
    ("cat of mismatched shapes", "lib.cat([y, y.t()], 0)"),
    ("cat of nothing", "lib.cat([], 0)"),
    ("stack of mismatched shapes", "lib.stack([y, y.t()])"),
    ("stack of nothing", "lib.stack([])"),
    ("cat of 0-d", "lib.cat([s, s])"),
    ("broadcast add", "y + lib.ones(3, 2)"),
    ("broadcast mul 3-D", "y * lib.ones(4, 1, 2)"),
    ("where broadcast", "lib.where(y > 0, y, lib.ones(4))"),
    # matmul
    ("matmul inner mismatch", "y @ y"),
    ("matmul 0-d", "s @ y"),
    ("matmul vector mismatch", "lib.ones(4) @ lib.ones(3)"),
    ("matmul batch mismatch", "lib.ones(2, 2, 3) @ lib.ones(3, 3, 2)"),
    ("matmul batch inner mismatch", "lib.ones(2, 2, 3) @ lib.ones(2, 2, 2)"),
    ("matmul vector @ batch mismatch", "lib.ones(4) @ lib.ones(2, 3, 2)"),
    ("matmul int @ float", "i @ lib.ones(3)"),
    ("matmul float32 @ float64", "lib.ones(2, 3) @ lib.ones(3, 2, dtype=lib.float64)"),
    # indexing
    ("index out of range", "y[2]"),
    ("index out of range, dim 1", "y[:, 3]"),
    ("negative index out of range", "y[-3]"),
    ("too many indices", "y[0, 0, 0]"),
    ("negative step", "y[::-1]"),
    ("zero step", "y[::0]"),
    ("float index", "y[0.5]"),
    ("list index out of range", "y[[0, 5]]"),
    ("bool mask of wrong shape", "y[lib.tensor([True, False, True])]"),
    ("float tensor as index", "y[lib.tensor([0., 1.])]"),
    ("setitem out of range", "z = y.clone(); z[5] = 1."),
    ("setitem wrong shape", "z = y.clone(); z[0] = lib.ones(2)"),
    # autograd
    ("backward twice", "l = (y * y).sum(); l.backward(); l.backward()"),
    ("backward of non-scalar", "y.backward()"),
    ("backward without grad", "lib.ones(2).sum().backward()"),
    ("backward gradient wrong shape", "y.backward(lib.ones(3))"),
    ("backward gradient a list", "y.backward([[1., 1., 1.], [1., 1., 1.]])"),
    ("backward gradient a number", "y.sum().backward(1.0)"),
    ("requires_grad on int", "lib.tensor([1, 2], requires_grad=True)"),
    ("requires_grad_ on int", "i.requires_grad_()"),
    ("requires_grad=False on non-leaf", "y.requires_grad = False"),
    ("in-place on a leaf", "x.add_(1)"),
    ("in-place on a leaf, +=", "x += 1"),
    ("setitem on a leaf", "x[0] = 1."),
    ("zero_ on a leaf", "x.zero_()"),
    ("saved tensor modified", "z = x.exp(); z.add_(1); z.sum().backward()"),
    ("saved input modified", "z = y.clone(); w = z * z; z.mul_(2); w.sum().backward()"),
    ("numpy of a tensor that requires grad", "y.numpy()"),
    ("item of many elements", "y.item()"),
    ("bool of many elements", "bool(y)"),
    ("float of many elements", "float(y)"),
    ("int of many elements", "int(y)"),
    ("grad of unused", "lib.autograd.grad(y.sum(), [x, lib.ones(2, requires_grad=True)])"),
    ("grad of a tensor without grad", "lib.autograd.grad(y.sum(), [lib.ones(2)])"),
    ("grad of non-scalar", "lib.autograd.grad(y, [x])"),
    ("retain_grad on a constant", "lib.ones(2).retain_grad()"),
    ("hook on a constant", "lib.ones(2).register_hook(lambda g: g)"),
    ("grad assigned a float", "x.grad = 1.0"),
    ("grad assigned a list", "x.grad = [1.0]"),
    ("grad assigned wrong shape", "x.grad = lib.ones(3)"),
    ("grad assigned wrong dtype", "x.grad = lib.ones(2, 3, dtype=lib.float64)"),
    ("non-leaf .grad is read", "y.grad"),
    # dtypes
    ("mean of an int tensor", "i.mean()"),
    ("mean(0) of an int tensor", "i.mean(0)"),
    ("float where condition", "lib.where(lib.ones(3), i, i)"),
    ("int tensor in-place *= 2.5", "j = i.clone(); j *= 2.5"),
    ("int tensor in-place /= 2", "j = i.clone(); j /= 2"),
    ("int tensor in-place add_ float tensor", "j = i.clone(); j.add_(lib.ones(3))"),
    ("bool tensor in-place add_ 1", "c = b.clone(); c.add_(1)"),
    ("sub of bools", "b - b"),
    ("neg of bools", "-b"),
    ("exp of int", "i.exp()"),
    ("log of int", "i.log()"),
    ("int ** negative int", "i ** -1"),
    ("sqrt of a negative", "lib.tensor([-1.]).sqrt()"),
    ("log of zero", "lib.tensor([0.]).log()"),
    ("division by zero", "lib.tensor([1., 0.]) / 0"),
    ("0/0", "lib.tensor([0.]) / lib.tensor([0.])"),
    ("exp overflow", "lib.tensor([1000.]).exp()"),
    ("exp overflow in float32 backward", "z = lib.tensor([100.], requires_grad=True); (z.exp() * 0).sum().backward()"),
    ("int division by zero", "i / 0"),
    ("pow of negative to a fraction", "lib.tensor([-1.]) ** 0.5"),
    ("log of a negative", "lib.tensor([-1.]).log()"),
    ("sigmoid of large", "lib.tensor([-1000., 1000.]).sigmoid()"),
    # creation and conversion
    ("tensor of ragged list", "lib.tensor([[1, 2], [3]])"),
    ("tensor of strings", "lib.tensor(['a'])"),
    ("ones negative size", "lib.ones(-1)"),
    ("zeros of a float size", "lib.zeros(2.5)"),
    ("to an unknown dtype", "y.to('banana')"),
    ("float of a 0-d", "float(s)"),
    ("int of a 0-d", "int(s)"),
    ("len of a 0-d", "len(s)"),
    ("iterate a 0-d", "list(s)"),
    ("item of a 0-d", "s.item()"),
    ("item of a one-element", "y[0, :1].item()"),
    # in-place on views
    ("in-place on an expanded view", "z = y.clone()[:1].expand(2, 3); z.mul_(2)"),
    ("in-place on a view of a leaf", "x[0].mul_(2)"),
    ("in-place on a view of a leaf under no_grad then use", "v = x.detach()[0]; v.mul_(2); (x * 2).sum().backward()"),
    ("copy_ of a wrong shape", "z = y.clone(); z.copy_(lib.ones(4))"),
    ("fill_ with a tensor of many elements", "z = y.clone(); z.fill_(lib.ones(2))"),
    ("clamp without bounds", "y.clamp()"),
    ("relu of a bool", "b.relu()"),
    ("abs of a bool", "b.abs()"),
    ("gradcheck fails", "lib.autograd.gradcheck(lambda t: t.tanh(), lib.tensor([0.5], dtype=lib.float64, "
                        "requires_grad=True), eps=0.1, atol=1e-9, rtol=1e-9)"),
    ("gradcheck of float32", "lib.autograd.gradcheck(lambda t: t * 2, lib.tensor([0.5], requires_grad=True))"),
]


def outcome(code: str, lib) -> tuple:
    """(exception class name or 'ok', sorted warning categories) of running `code` with `lib`."""
    env = {"lib": lib, "np": np}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(SETUP, env)
            exec(code, env)
            result = "ok"
        except Exception as e:  # noqa: BLE001  (the class is what is compared)
            result = next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
            if type(e).__name__ == "GradcheckError":
                result = "GradcheckError"
    return result, sorted({w.category.__name__ for w in caught})


# Where afs still ends differently, in files outside this branch (reported to their owners).
OTHERS = {
    "grad assigned wrong dtype": "tensor.py: .grad assignment raises TypeError, torch RuntimeError",
    "tensor of strings": "tensor.py: _infer_array accepts strings",
    "ones negative size": "creation.py: numpy's ValueError for a negative size",
}


@pytest.mark.parametrize("name, code", [
    pytest.param(n, c, marks=pytest.mark.xfail(strict=True, reason=OTHERS[n])) if n in OTHERS else (n, c)
    for n, c in CASES], ids=[c[0] for c in CASES])
def test_misuse_ends_as_in_torch(name, code):
    theirs, ours = outcome(code, torch), outcome(code, afs)
    assert ours == theirs, f"{name}: `{code}`\n  torch: {theirs}\n  afs:   {ours}"


def test_there_are_at_least_100_cases():
    assert len(CASES) >= 100 and len({name for name, _ in CASES}) == len(CASES)


def test_afs_keeps_working_after_each_misuse():
    for _, code in CASES:
        outcome(code, afs)
    x = afs.tensor([1., 2.], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2., 4.]
