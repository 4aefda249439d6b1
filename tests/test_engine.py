"""The engine against torch: the seed's example, reused tensors, accumulation, retain_graph,
higher-order gradients, hooks, grad modes, in-place ops, autograd.grad, Jacobians, custom Functions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs


def pair(values, requires_grad=True, dtype="float64"):
    """The same leaf in both engines."""
    arr = np.asarray(values, dtype=dtype)
    return afs.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad)


def close(ours, theirs, tol=1e-10):
    return np.allclose(ours.array, theirs.detach().numpy(), rtol=tol, atol=tol)


def test_seed_cells_print_what_torch_prints(capsys):
    """The tutorial's cells, with `import autograd_from_scratch as torch` in place of `import torch`."""
    outputs = []
    for lib in (torch, afs):
        a = lib.tensor([2., 3.], requires_grad=True)
        b = lib.tensor([6., 4.], requires_grad=True)
        Q = 3 * a**3 - b**2
        external_grad = lib.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        print(9 * a**2 == a.grad)
        print(-2 * b == b.grad)
        print(Q)
        outputs.append(capsys.readouterr().out)
    assert outputs[0].count("tensor([True, True])") == 2
    assert outputs[1] == outputs[0]


def test_q_graph_has_torchs_names_and_order():
    a, _ = pair([2., 3.])
    b, _ = pair([6., 4.])
    Q = 3 * a**3 - b**2
    assert Q.grad_fn.name() == "SubBackward0"
    assert [n.name() for n, _ in Q.grad_fn.next_functions] == ["MulBackward0", "PowBackward0"]
    mul = Q.grad_fn.next_functions[0][0]
    assert mul.next_functions[1] == (None, 0)  # the constant 3
    acc = mul.next_functions[0][0].next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is a


def test_reused_tensor_gets_the_sum_of_its_paths():
    (a, ta), (b, tb) = pair([1.5, -2.0]), pair([0.5, 3.0])
    for x, y in ((a, b), (ta, tb)):
        z = x * x + x * y + x.exp()  # x feeds four edges
        z.sum().backward()
    assert close(a.grad, ta.grad) and close(b.grad, tb.grad)


def _shares_memory_with_any(a, others) -> bool:
    return any(np.shares_memory(a, b) for b in others)


def test_grad_takes_over_a_new_gradient_and_copies_a_shared_one():
    """AccumulateGrad keeps a gradient that backward made for one leaf alone (no copy, as torch),
    and copies any gradient whose memory something else may see."""
    w = afs.tensor(np.ones((2, 3)), requires_grad=True)
    x, y = afs.tensor([1.0, 2.0], requires_grad=True), afs.tensor([3.0, 4.0], requires_grad=True)
    (afs.tensor(np.ones((4, 2))) @ w).sum().backward()
    (x + y).sum().backward()  # AddBackward0 hands the same gradient to both leaves
    assert not np.shares_memory(x.grad.array, y.grad.array)
    x.grad.mul_(2.0)
    assert y.grad.tolist() == [1.0, 1.0]

    made = []

    class Twice(afs.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.array * 2

        @staticmethod
        def backward(ctx, grad):
            made.append(grad.array * 2)  # a new array, returned once
            return made[-1]

    v = afs.tensor([1.0, 2.0], requires_grad=True)
    Twice.apply(v).sum().backward()
    assert v.grad.array is made[0] or v.grad.array.base is made[0]  # taken over, not copied


@pytest.mark.parametrize("case", ["hook keeps it", "retain_grad", "autograd.grad then backward",
                                  "seed", "view of the incoming gradient"])
def test_grad_never_shares_memory_with_what_the_user_holds(case):
    w = afs.tensor([1.0, 2.0], requires_grad=True)
    held = []
    if case == "hook keeps it":
        w.register_hook(lambda g: held.append(g.array))
        (w * 3).sum().backward()
    elif case == "retain_grad":
        t = w * 3
        t.retain_grad()
        (t * 2).sum().backward()  # t.grad is what MulBackward0 of t received
        held.append(t.grad.array)
        u = w * 1
        u.retain_grad()
        u.backward(t.grad)
    elif case == "autograd.grad then backward":
        (g,) = afs.autograd.grad((w * 3).sum(), w)
        held.append(g.array)
        w.backward(g)  # w is its own output: the seed goes straight to w.grad
    elif case == "seed":
        v = afs.tensor([5.0, 6.0])
        held.append(v.array)
        w.backward(v)
    else:
        t = w.reshape(1, 2)  # ViewBackward0 returns a view of the gradient it receives
        t.retain_grad()
        (t * 3).sum().backward()
        held.append(t.grad.array)
    assert not _shares_memory_with_any(w.grad.array, held)


def test_resnet_gradients_share_no_memory():
    model = afs.models.resnet18(num_classes=10)
    (model(afs.rand(2, 3, 32, 32)).sum()).backward()
    grads = [p.grad.array for p in model.parameters()]
    for i, g in enumerate(grads):
        assert not _shares_memory_with_any(g, grads[i + 1:])


def test_gradients_accumulate_over_backward_calls():
    a, ta = pair([1.0, 2.0])
    for x in (a, ta):
        (x * x).sum().backward()
        (x * 3).sum().backward()
    assert close(a.grad, ta.grad)
    a.grad.zero_()
    assert a.grad.tolist() == [0.0, 0.0]


def test_backward_twice_needs_retain_graph():
    a, _ = pair([1.0, 2.0])
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert a.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_graph_without_saved_tensors_can_run_twice_as_in_torch():
    a, ta = pair([1.0, 2.0])
    for x in (a, ta):
        y = (x + 1).sum()
        y.backward()
        y.backward()
    assert close(a.grad, ta.grad)


@pytest.mark.parametrize("fn", [
    lambda lib, x: (x ** 3).sum(),
    lambda lib, x: lib.tanh(x).sum(),
    lambda lib, x: (lib.sigmoid(x) * lib.exp(x)).sum(),
    lambda lib, x: (x / (1 + x * x)).mean(),
    lambda lib, x: lib.log(x * x + 1).sum(),
])
def test_second_derivatives_match_torch(fn):
    a, ta = pair([0.3, -1.2, 2.0])
    results = []
    for lib, x in ((afs, a), (torch, ta)):
        (g,) = lib.autograd.grad(fn(lib, x), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        results.append((g, h))
    assert close(results[0][0], results[1][0]) and close(results[0][1], results[1][1])


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(0)
    W, x, v = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)
    results = []
    for lib in (afs, torch):
        Wt, xt, vt = lib.tensor(W), lib.tensor(x, requires_grad=True), lib.tensor(v)
        loss = lib.tanh(Wt @ xt).sum()
        (g,) = lib.autograd.grad(loss, xt, create_graph=True)
        (hv,) = lib.autograd.grad((g * vt).sum(), xt)
        results.append(hv)
    assert close(*results)


def test_tensor_hooks_see_and_replace_gradients():
    seen = []
    a, ta = pair([1.0, 2.0])
    for x in (a, ta):
        y = x * 3
        y.register_hook(lambda g: seen.append(g.tolist()))
        handle = y.register_hook(lambda g: g * 2)
        (y * y).sum().backward()
        handle.remove()
    assert seen[0] == seen[1]
    assert close(a.grad, ta.grad)


def test_leaf_hook_and_retain_grad():
    a, ta = pair([1.0, -2.0])
    for x in (a, ta):
        x.register_hook(lambda g: g + 1)
        h = x * x
        h.retain_grad()
        h.sum().backward()
        assert h.grad.tolist() == [1.0, 1.0]
    assert close(a.grad, ta.grad)


def test_non_leaf_grad_is_none_without_retain_grad_and_warns_as_torch():
    a, ta = pair([1.0, 2.0])
    for x in (a, ta):
        h = x * 2
        h.sum().backward()
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            assert h.grad is None
        assert not h.is_leaf and x.is_leaf


def test_grad_modes():
    a, _ = pair([1.0, 2.0])
    with afs.no_grad():
        assert not (a * 2).requires_grad
        with afs.enable_grad():
            assert (a * 2).requires_grad
    with afs.set_grad_enabled(False):
        assert not afs.is_grad_enabled()
    assert afs.is_grad_enabled()

    @afs.no_grad()
    def f(x):
        return x * 2

    assert not f(a).requires_grad
    assert not a.detach().requires_grad and a.detach().array is a.array


def test_requires_grad_propagates_like_torch():
    x, y = afs.rand(5, 5), afs.rand(5, 5)
    z = afs.rand((5, 5), requires_grad=True)
    assert not (x + y).requires_grad and (x + z).requires_grad
    w = afs.ones(2).requires_grad_()
    assert w.requires_grad and w.is_leaf


def test_inplace_on_non_leaf_matches_torch():
    a, ta = pair([1.0, -2.0, 3.0])
    for x in (a, ta):
        y = x * 2
        y.add_(1)
        y.mul_(x)
        y.relu_()
        y.sum().backward()
    assert close(a.grad, ta.grad)


DATA_CASES = {
    "a plain tensor, sharing memory": "d = w.data; d[0] = 7.; out = [w.tolist(), d.requires_grad, d.is_leaf, d.grad_fn]",
    "changes through .data are invisible to autograd": (
        "y = w * w; w.data.mul_(2); y.sum().backward(); out = [w._version, w.grad.tolist()]"),
    "the old SGD idiom": "(w * w).sum().backward(); w.data -= 0.1 * w.grad.data; out = [w.tolist(), w.is_leaf]",
    "zeroing a grad in place": "(3 * w).sum().backward(); w.grad.data.zero_(); out = w.grad.tolist()",
    "of a non-leaf": "y = w * 2; d = y.data; out = [d.requires_grad, d.is_leaf, d.tolist()]",
    "norm of .data": "out = round(w.data.norm().item(), 12)",
    "assigning a tensor": (
        "w.data = lib.zeros(2, 2, dtype=lib.float64); out = [w.shape == (2, 2), w.requires_grad, w._version]"),
    "assigning a number": "w.data = 5.",
}


@pytest.mark.parametrize("code", DATA_CASES.values(), ids=DATA_CASES.keys())
def test_data_is_torchs(code):
    """`.data` is a tensor sharing memory, outside autograd, with its own version counter."""
    results = []
    for lib in (afs, torch):
        env = {"lib": lib, "w": lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)}
        try:
            exec(code, env)
            results.append(env["out"])
        except Exception as error:
            results.append(type(error))
    assert results[0] == results[1]


def test_inplace_bumps_version():
    t = afs.zeros(3)
    v0 = t._version
    t.add_(1)
    t[0] = 5.0
    assert t._version == v0 + 2 and t.tolist() == [5.0, 1.0, 1.0]


def test_autograd_grad_matches_torch_and_leaves_grad_alone():
    (a, ta), (b, tb) = pair([1.0, 2.0]), pair([3.0, 4.0])
    ours = afs.autograd.grad((a * b).sum(), [a, b])
    theirs = torch.autograd.grad((ta * tb).sum(), [ta, tb])
    assert all(close(o, t) for o, t in zip(ours, theirs))
    assert a.grad is None
    c, _ = pair([1.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        afs.autograd.grad((a * 2).sum(), [a, c])
    assert afs.autograd.grad((a * 2).sum(), [a, c], allow_unused=True)[1] is None


def test_jacobian_and_vjp_match_torch():
    x, tx = pair([0.5, -1.0, 2.0], requires_grad=False)
    v = np.array([1.0, -2.0])
    f = lambda lib: (lambda x: lib.stack([(x * x).sum(), lib.tanh(x).sum() * x[0]]))
    J, tJ = afs.autograd.functional.jacobian(f(afs), x), torch.autograd.functional.jacobian(f(torch), tx)
    assert J.shape == (2, 3) and close(J, tJ)
    (out, g), (tout, tg) = (afs.autograd.functional.vjp(f(afs), x, afs.tensor(v)),
                            torch.autograd.functional.vjp(f(torch), tx, torch.tensor(v)))
    assert close(out, tout) and close(g, tg)
    assert np.allclose(g.array, v @ J.array)  # the VJP is vᵀJ


def test_backward_with_gradient_is_a_vector_jacobian_product():
    a, ta = pair([1.0, 2.0, 3.0])
    v = [0.1, -1.0, 2.0]
    for lib, x in ((afs, a), (torch, ta)):
        (x ** 2).backward(gradient=lib.tensor(v, dtype=lib.float64))
    assert close(a.grad, ta.grad) and np.allclose(a.grad.array, 2 * np.array([1.0, 2, 3]) * v)


def make_custom_exp(lib):
    """The same user-defined op, written once, for either engine."""

    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    return MyExp


def test_custom_function_in_both_engines():
    a, ta = pair([0.1, 0.7])
    out, tout = make_custom_exp(afs).apply(a * 2), make_custom_exp(torch).apply(ta * 2)
    assert out.grad_fn.name() == tout.grad_fn.name() == "MyExpBackward"
    out.sum().backward()
    tout.sum().backward()
    assert close(a.grad, ta.grad)
    assert afs.autograd.gradcheck(make_custom_exp(afs).apply, [afs.tensor([0.3, 1.1], dtype=afs.float64,
                                                                         requires_grad=True)])


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(afs.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2x

    x = afs.tensor([1.0, 2.0], dtype=afs.float64, requires_grad=True)
    assert not afs.autograd.gradcheck(WrongSquare.apply, [x], raise_exception=False)


@pytest.mark.parametrize("values, kwargs", [
    ([2.0, 3.0], {}), ([-12.0, 65.0], {}), ([0.5, 1.25], {}), ([1e-5, 1.0], {}), ([1.0, 2000.0], {}),
    (3.0, {}), ([True, False], {}), ([1, 20], {}), ([1.0, 2.0], {"dtype": "float64"}),
    ([[0.1234, 2.5], [3.0, 4.0]], {}), ([0.0, 0.0], {}), ([1e9, 1.0], {}), ([float("nan"), 1.5], {}),
    ([2.0, 3.0], {"requires_grad": True}),
])
def test_repr_matches_torch(values, kwargs):
    dtype = kwargs.get("dtype")
    ours = afs.tensor(values, dtype=getattr(afs, dtype) if dtype else None,
                      requires_grad=kwargs.get("requires_grad", False))
    theirs = torch.tensor(values, dtype=getattr(torch, dtype) if dtype else None,
                          requires_grad=kwargs.get("requires_grad", False))
    assert repr(ours) == repr(theirs).replace("torch.", "afs.")


def test_repr_of_a_result_and_a_big_tensor():
    a = afs.tensor([2.0, 3.0], requires_grad=True)
    b = afs.tensor([6.0, 4.0], requires_grad=True)
    assert repr(3 * a**3 - b**2) == "tensor([-12.,  65.], grad_fn=<SubBackward0>)"
    rng = np.random.default_rng(0)
    for shape, dtype in [((3, 20), "float32"), ((40, 40), "float32"), ((2000,), "float32"),
                         ((3, 500), "float64"), ((20, 20, 20), "float32"), ((8,), "float64")]:
        x = rng.random(shape).astype(dtype)
        for requires_grad in (False, True):  # summarised, wrapped rows, suffixes on a new line
            ours = afs.tensor(x, requires_grad=requires_grad) * 1
            theirs = torch.tensor(x, requires_grad=requires_grad) * 1
            assert repr(ours) == repr(theirs).replace("torch.", "afs.")
