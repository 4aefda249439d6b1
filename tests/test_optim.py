"""`afs.optim.SGD` against `torch.optim.SGD`: the same parameters, the same gradients, every option."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs

OPTIONS = [
    dict(momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=wd, maximize=mx)
    for momentum, dampening, nesterov, wd, mx in itertools.product(
        [0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 1e-2], [False, True])
    if not (nesterov and (momentum == 0 or dampening != 0))
]


def ids(opts: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in opts.items() if v)  or "plain"


def twin_params(dtype: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    # (3, 50001): several of the optimizer's blocks (afs.optim.sgd.BLOCK numbers), the last one short.
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (4,), (), (3, 50_001)]]
    return ([afs.nn.Parameter(afs.tensor(a)) for a in arrays],
            [torch.nn.Parameter(torch.tensor(a)) for a in arrays])


def set_grads(ours, theirs, step: int, dtype: str) -> None:
    rng = np.random.default_rng(100 + step)
    for a, t in zip(ours, theirs):
        g = rng.standard_normal(a.shape).astype(dtype)
        a.grad, t.grad = afs.tensor(g), torch.tensor(g)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", OPTIONS, ids=[ids(o) for o in OPTIONS])
def test_sgd_matches_torch(options, dtype):
    ours, theirs = twin_params(dtype)
    a_opt = afs.optim.SGD(ours, lr=0.1, **options)
    t_opt = torch.optim.SGD(theirs, lr=0.1, **options)
    # float32: torch's kernel rounds p - lr·b differently (a fused multiply-add), so over 150,000
    # numbers of size ~1 a few results near 0 differ by a rounding step of their operands, ~1e-7.
    tol = dict(rtol=1e-14, atol=1e-15) if dtype == "float64" else dict(rtol=1e-6, atol=1e-6)
    for step in range(4):
        set_grads(ours, theirs, step, dtype)
        a_opt.step()
        t_opt.step()
        for a, t in zip(ours, theirs):
            assert a.dtype.name == dtype
            np.testing.assert_allclose(a.array, t.detach().numpy(), **tol)
            if options["momentum"]:
                np.testing.assert_allclose(a_opt.state[a]["momentum_buffer"].array,
                                           t_opt.state[t]["momentum_buffer"].numpy(), **tol)


def test_a_parameter_that_is_not_c_contiguous_is_updated_in_place():
    data = np.asfortranarray(np.random.default_rng(0).standard_normal((300, 400)))
    ours, theirs = afs.nn.Parameter(data), torch.nn.Parameter(torch.tensor(data))
    a_opt = afs.optim.SGD([ours], lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD([theirs], lr=0.1, momentum=0.9)
    for step in range(2):
        g = np.random.default_rng(step).standard_normal(data.shape)
        ours.grad, theirs.grad = afs.tensor(g), torch.tensor(g)
        a_opt.step()
        t_opt.step()
    assert ours.array is data
    np.testing.assert_allclose(data, theirs.detach().numpy(), rtol=1e-14, atol=1e-15)


def test_step_updates_in_place_and_bumps_the_version():
    (w, *_), _ = twin_params("float32")
    memory, version = w.array, w._version
    opt = afs.optim.SGD([w], lr=0.5, momentum=0.9)
    w.grad = afs.ones(w.shape)
    opt.step()
    assert w.array is memory  # the same array: views and state_dict entries see the new values
    assert w._version > version
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_parameters_without_grad_are_left_alone():
    (w, b, *_), _ = twin_params("float64")
    before = b.array.copy()
    opt = afs.optim.SGD([w, b], lr=0.1, momentum=0.9)
    w.grad = afs.ones(w.shape, dtype=afs.float64)
    opt.step()
    np.testing.assert_array_equal(b.array, before)
    assert b not in opt.state


def test_param_groups_with_their_own_options():
    ours, theirs = twin_params("float64")
    a_opt = afs.optim.SGD([{"params": ours[:2]}, {"params": ours[2:], "lr": 1.0, "momentum": 0.5}],
                          lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD([{"params": theirs[:2]}, {"params": theirs[2:], "lr": 1.0,
                                                      "momentum": 0.5}], lr=0.1, momentum=0.9)
    assert a_opt.param_groups[0]["lr"] == 0.1 and a_opt.param_groups[1]["momentum"] == 0.5
    for step in range(3):
        set_grads(ours, theirs, step, "float64")
        a_opt.step()
        t_opt.step()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.array, t.detach().numpy(), rtol=1e-14)
    a_opt.param_groups[0]["lr"] = 0.0  # a learning-rate schedule edits the group in place
    frozen = ours[0].array.copy()
    a_opt.step()
    np.testing.assert_array_equal(ours[0].array, frozen)


def test_zero_grad_and_closure():
    ours, _ = twin_params("float64")
    opt = afs.optim.SGD(ours, lr=0.1)
    for p in ours:
        p.grad = afs.ones(p.shape, dtype=afs.float64)
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.array == 0) for p in ours)
    opt.zero_grad()
    assert all(p.grad is None for p in ours)

    def closure():
        opt.zero_grad()
        loss = sum((p * p).sum() for p in ours)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.grad_fn is not None and all(p.grad is not None for p in ours)


def test_trains_the_tutorials_model_parameters():
    model = afs.nn.Sequential(afs.nn.Linear(4, 3), afs.nn.ReLU(), afs.nn.Linear(3, 1))
    opt = afs.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = afs.randn(16, 4), afs.randn(16, 1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = afs.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_bad_arguments_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        afs.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        afs.optim.SGD(afs.nn.ReLU().parameters(), lr=0.1)
    leaf = afs.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        afs.optim.SGD([leaf * 2], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        afs.optim.SGD(leaf, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        afs.optim.SGD([leaf, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        afs.optim.SGD([leaf], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        afs.optim.SGD([leaf], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        afs.optim.SGD([{"params": [leaf]}, {"params": [leaf]}], lr=0.1)
