"""The nn layers and functions added for torch's tutorials, against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs

LAYERS = [
    lambda nn: nn.Tanh(), lambda nn: nn.Sigmoid(), lambda nn: nn.Softmax(dim=1),
    lambda nn: nn.LogSoftmax(dim=-1), lambda nn: nn.Dropout(0.3), lambda nn: nn.Dropout(0.2, inplace=True),
    lambda nn: nn.BCELoss(), lambda nn: nn.BCEWithLogitsLoss(reduction="sum"), lambda nn: nn.NLLLoss(),
    lambda nn: nn.MSELoss(reduction="sum"), lambda nn: nn.Softmax(),
]


@pytest.mark.parametrize("make", LAYERS)
def test_layer_reprs_are_torchs(make):
    assert repr(make(afs.nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("name", ["Tanh", "Sigmoid"])
def test_activation_modules_match_torch(name):
    data = np.random.default_rng(0).standard_normal((3, 5))
    x, t = afs.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = getattr(afs.nn, name)()(x), getattr(torch.nn, name)()(t)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-12)
    assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_dropout_keeps_the_expected_value_and_routes_gradients_through_the_mask():
    afs.manual_seed(3)
    x = afs.ones(200, 50, requires_grad=True)
    y = afs.nn.functional.dropout(x, p=0.3)
    assert y.grad_fn.name() == torch.nn.functional.dropout(torch.ones(2, requires_grad=True)).grad_fn.name()
    kept = y.array != 0
    assert abs(kept.mean() - 0.7) < 0.02  # 10 000 draws: 4.5 standard deviations
    np.testing.assert_allclose(y.array[kept], 1 / 0.7, rtol=1e-6)
    (y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * y.array)  # d/dx of mask·x/(1-p) is the mask/(1-p)


def test_dropout_modes_as_torch():
    x = afs.randn(4, 3, requires_grad=True)
    drop = afs.nn.Dropout(0.5)
    drop.eval()
    assert drop(x) is x and afs.nn.functional.dropout(x, 0.0) is x
    assert afs.nn.functional.dropout(x, training=False) is x
    zeroed = afs.nn.functional.dropout(x, 1.0)
    assert (zeroed.array == 0).all() and zeroed.grad_fn.name() == "MulBackward0"
    y = afs.randn(4, 3)
    assert afs.nn.functional.dropout(y, 0.5, inplace=True) is y
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            afs.nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            torch.nn.Dropout(p)


def test_binary_cross_entropy_refusals_as_torch():
    F, TF = afs.nn.functional, torch.nn.functional
    for lib, f in ((afs, F), (torch, TF)):
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            f.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))
        with pytest.raises(ValueError):
            f.binary_cross_entropy_with_logits(lib.ones(3, 1), lib.ones(3))
        with pytest.raises(RuntimeError, match="differentiable"):
            f.binary_cross_entropy_with_logits(lib.ones(3), lib.ones(3), weight=lib.ones(3, requires_grad=True))
    # a probability of exactly 0 or 1 costs 100 per element (log clamped at -100), not infinity
    assert F.binary_cross_entropy(afs.tensor([0.0, 1.0]), afs.tensor([1.0, 0.0])).item() == \
        TF.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])).item() == 100.0


def test_basics_autograd_page_loss():
    """The Basics autograd page's one-layer network, from the same values."""
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    results = []
    for lib in (torch, afs):
        x, y = lib.ones(5), lib.zeros(3)
        w, b = lib.tensor(w0, requires_grad=True), lib.tensor(b0, requires_grad=True)
        z = lib.matmul(x, w) + b
        loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
        loss.backward()
        results.append((z.grad_fn.name(), loss.grad_fn.name(), loss.item(), w.grad.numpy(), b.grad.numpy()))
    (tz, tl, tv, tw, tb), (az, al, av, aw, ab) = results
    assert (az, al) == (tz, tl)
    np.testing.assert_allclose(av, tv, rtol=1e-6)
    np.testing.assert_allclose(aw, tw, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ab, tb, rtol=1e-5, atol=1e-7)
