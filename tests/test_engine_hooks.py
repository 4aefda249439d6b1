"""Hooks, captures and `.grad` assignment, each run the same way in torch and in afs.

Node post-hooks (`grad_fn.register_hook`) see `(grad_inputs, grad_outputs)` and may replace
`grad_inputs`; node pre-hooks (`register_prehook`) may replace `grad_outputs`; an input that is a
constant gets None; `autograd.grad` of the same tensor twice returns its gradient twice;
`backward(inputs=...)` writes only those `.grad`s; once-differentiable backwards refuse only a
second differentiation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs

ENGINES = [torch, afs]


def leaf(lib, values=(1.0, 2.0)):
    return lib.tensor(np.array(values), requires_grad=True)


def as_lists(grads):
    return [None if g is None else np.round(np.asarray(g.tolist()), 12).tolist() for g in grads]


def both(fn):
    """fn(lib) for each engine; the two results must be equal."""
    ours, theirs = fn(afs), fn(torch)
    assert ours == theirs, f"afs: {ours}\ntorch: {theirs}"
    return ours


def test_post_hook_sees_none_for_a_constant_input():
    def run(lib):
        x, seen = leaf(lib), []
        y = x + lib.tensor(np.array([3.0, 4.0]))
        y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(as_lists(grad_inputs)))
        y.sum().backward()
        return seen

    assert both(run) == [[[1.0, 1.0], None]]


def test_post_hook_replaces_grad_inputs():
    def run(lib):
        x = leaf(lib)
        y = x * 2
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
        y.sum().backward()
        return x.grad.tolist()

    assert both(run) == [20.0, 20.0]


def test_post_hook_returning_the_wrong_count_raises_runtime_error():
    for lib in ENGINES:
        x = leaf(lib)
        y = x * 2
        y.grad_fn.register_hook(lambda gi, go: (gi[0],))
        with pytest.raises(RuntimeError, match="incorrect number of values"):
            y.sum().backward()


def test_pre_hook_replaces_grad_outputs():
    def run(lib):
        x = leaf(lib)
        y = x * 2
        y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 100,))
        y.sum().backward()
        return x.grad.tolist()

    assert both(run) == [200.0, 200.0]


def test_removed_hooks_do_not_run():
    def run(lib):
        x = leaf(lib)
        y = x * 2
        handles = [y.register_hook(lambda g: g * 5), y.grad_fn.register_hook(lambda gi, go: (gi[0] * 7, None))]
        for h in handles:
            h.remove()
        y.sum().backward()
        return x.grad.tolist()

    assert both(run) == [2.0, 2.0]


def test_autograd_grad_of_the_same_tensor_twice():
    def run(lib):
        x = leaf(lib)
        return as_lists(lib.autograd.grad((x * x).sum(), [x, x]))

    assert both(run) == [[2.0, 4.0], [2.0, 4.0]]


def test_autograd_grad_of_a_non_leaf_and_a_leaf():
    def run(lib):
        x = leaf(lib)
        h = x * 3
        out = (h * h).sum()
        return as_lists(lib.autograd.grad(out, [h, x])), x.grad

    assert both(run) == ([[6.0, 12.0], [18.0, 36.0]], None)


def test_autograd_grad_runs_only_the_nodes_it_needs():
    """A branch that leads nowhere near the inputs is not run: its freed graph does not matter."""
    def run(lib):
        x, w = leaf(lib), leaf(lib, (5.0, 6.0))
        side = (w * w).exp()
        side.sum().backward()  # frees the saved tensors of the side branch
        out = (x * 2).sum() + side.sum()
        return as_lists(lib.autograd.grad(out, [x]))

    assert both(run) == [[2.0, 2.0]]


def test_backward_with_inputs_writes_only_those_grads():
    def run(lib):
        a, b = leaf(lib, (1.0,)), leaf(lib, (2.0,))
        (a * b).sum().backward(inputs=[a])
        h = a * 3
        (h * b).sum().backward(inputs=[h])
        return a.grad.tolist(), b.grad, h.grad.tolist()

    assert both(run) == ([2.0], None, [2.0])


def test_autograd_backward_with_inputs():
    def run(lib):
        a, b = leaf(lib, (1.0,)), leaf(lib, (2.0,))
        lib.autograd.backward([(a * b).sum()], inputs=[b])
        return a.grad, b.grad.tolist()

    assert both(run) == (None, [1.0])


@pytest.mark.parametrize("value, error", [
    (1.0, TypeError), ([1.0, 2.0], TypeError), ("zeros(3)", RuntimeError), ("float32", RuntimeError),
])
def test_grad_assignment_is_checked_as_torch(value, error):
    for lib in ENGINES:
        x = leaf(lib)  # float64, shape (2,)
        made = {"zeros(3)": lib.zeros(3, dtype=lib.float64), "float32": lib.zeros(2)}
        v = made[value] if isinstance(value, str) else value
        with pytest.raises(error):
            x.grad = v
    x = leaf(afs)
    x.grad = afs.zeros(2, dtype=afs.float64)
    x.grad = None


def test_backward_gradient_must_be_a_tensor():
    for lib in ENGINES:
        with pytest.raises(TypeError):
            (leaf(lib) * 2).backward([1.0, 1.0])


def test_once_differentiable_allows_create_graph_and_refuses_the_second_derivative():
    for lib in ENGINES:
        x = lib.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)), requires_grad=True)
        y = lib.nn.functional.max_pool2d(x, 2)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        assert g.shape == x.shape
    for upstream_requires_grad in (False, True):
        ours = _custom_once_differentiable(afs, upstream_requires_grad)
        theirs = _custom_once_differentiable(torch, upstream_requires_grad)
        assert ours == theirs
        assert ours[0][0] is upstream_requires_grad and ours[1] is RuntimeError


def _custom_once_differentiable(lib, upstream_requires_grad):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @(lib.autograd.function.once_differentiable)
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    x, v = leaf(lib), lib.tensor(np.array([1.0, 1.0]), requires_grad=upstream_requires_grad)
    (g,) = lib.autograd.grad(Square.apply(x), x, v, create_graph=True)
    try:
        g.sum().backward()
    except RuntimeError as e:
        return (g.requires_grad, g.tolist()), type(e)
    return (g.requires_grad, g.tolist()), None
