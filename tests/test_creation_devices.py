"""Creation functions, dtype aliases, `Size` and devices, against torch."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs


def same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.array, theirs.detach().numpy())


@pytest.mark.parametrize("call", [
    lambda lib: lib.linspace(-math.pi, math.pi, 2000),
    lambda lib: lib.linspace(-math.pi, math.pi, 2000, dtype=lib.double),
    lambda lib: lib.linspace(-3.7, 11.2, 777),
    lambda lib: lib.linspace(0, 10, 5, dtype=lib.long),
    lambda lib: lib.linspace(2, 3, 1),
    lambda lib: lib.full((2, 3), 1.5, requires_grad=True),
    lambda lib: lib.full((), 0.3, dtype=lib.float),
    lambda lib: lib.full((2,), 7),
    lambda lib: lib.full([2], True),
    lambda lib: lib.eye(4, 5, requires_grad=True),
    lambda lib: lib.eye(3, dtype=lib.double),
    lambda lib: lib.zeros(2, 3, dtype=lib.long),
    lambda lib: lib.ones((2,), dtype=lib.bool),
    lambda lib: lib.zeros_like(lib.ones(2, 3, dtype=lib.int)),
    lambda lib: lib.ones_like(lib.ones(2, 3), dtype=lib.double),
    lambda lib: lib.full_like(lib.ones(2, dtype=lib.double), 4.0),
    lambda lib: lib.empty(2, 3).shape and lib.zeros(2, 3),
    lambda lib: lib.arange(5, device="cpu"),
    lambda lib: lib.arange(0, 1, 0.25),
])
def test_creation_matches_torch(call):
    same(call(afs), call(torch))


def test_logspace_matches_torch():
    for args in [(0, 2, 3), (-1.0, 1.5, 11)]:
        for kwargs in [{}, {"base": 2.0}, {"dtype": "float64"}]:
            kw = {k: (getattr(afs, v), getattr(torch, v)) if k == "dtype" else (v, v) for k, v in kwargs.items()}
            ours = afs.logspace(*args, **{k: v[0] for k, v in kw.items()})
            theirs = torch.logspace(*args, **{k: v[1] for k, v in kw.items()})
            np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)
            assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")


def test_random_factories_and_likes_keep_shape_and_dtype():
    x, t = afs.ones(2, 3, dtype=afs.long), torch.ones(2, 3, dtype=torch.long)
    pairs = [(afs.rand_like(x, dtype=afs.float), torch.rand_like(t, dtype=torch.float)),
             (afs.randn_like(afs.ones(4, dtype=afs.double)), torch.randn_like(torch.ones(4, dtype=torch.double))),
             (afs.randn((), dtype=afs.float, requires_grad=True),
              torch.randn((), dtype=torch.float, requires_grad=True)),
             (afs.randint(0, 10, (3, 2)), torch.randint(0, 10, (3, 2))),
             (afs.randint(5, (4,)), torch.randint(5, (4,))),
             (afs.randint(1, 3, size=(2,)), torch.randint(1, 3, size=(2,)))]
    for ours, theirs in pairs:
        assert ours.shape == theirs.shape and ours.dtype.name == str(theirs.dtype)[6:]
        assert ours.requires_grad == theirs.requires_grad
    assert 0 <= afs.randint(0, 10, (100,)).array.min() and afs.randint(0, 10, (100,)).array.max() < 10
    with pytest.raises(RuntimeError, match="floating dtype"):
        afs.rand_like(x)  # torch refuses too: no uniform integers


def test_from_numpy_and_as_tensor_share_memory():
    n = np.ones(5)
    t = afs.from_numpy(n)
    np.add(n, 1, out=n)
    assert t.tolist() == [2.0] * 5 and t.dtype == afs.float64
    t.add_(1)
    assert n.tolist() == [3.0] * 5
    assert afs.as_tensor(n).array is n
    assert afs.as_tensor(t) is t
    assert afs.as_tensor(n, dtype=afs.float32).array is not n
    assert afs.as_tensor([1, 2]).dtype == afs.int64
    ones = afs.ones(5)
    view = ones.numpy()
    ones.add_(1)
    assert view.tolist() == [2.0] * 5  # t.numpy() shares memory too, as torch's
    with pytest.raises(TypeError, match="np.ndarray"):
        afs.from_numpy([1, 2])


def test_dtype_aliases_are_torchs():
    for name in ("float", "double", "long", "int", "bool"):
        assert getattr(afs, name).name == str(getattr(torch, name)).replace("torch.", "")
    with pytest.raises(AttributeError, match="half precision"):
        _ = afs.half
    with pytest.raises(RuntimeError, match="half precision"):
        afs.ones(2).half()
    assert afs.ones(2).long().dtype == afs.long and afs.ones(2).int().dtype == afs.int
    assert afs.ones(2).bool().dtype == afs.bool


def test_size_prints_and_behaves_like_torchs():
    ours, theirs = afs.ones(2, 3).shape, torch.ones(2, 3).shape
    assert repr(ours) == repr(theirs) == "torch.Size([2, 3])" and str(ours) == str(theirs)
    assert f"{ours}" == f"{theirs}"
    assert ours == (2, 3) and isinstance(ours, tuple) and isinstance(ours, afs.Size)
    assert repr(ours[1:]) == repr(theirs[1:]) and ours[0] == 2
    assert repr(ours + (4,)) == repr(theirs + (4,))
    assert ours.numel() == theirs.numel() and afs.ones(()).size().numel() == 1
    assert repr(afs.ones(()).size()) == repr(torch.ones(()).size()) == "torch.Size([])"
    assert afs.ones(2, 3).size(1) == 3


def test_devices_cpu_only_honestly():
    assert str(afs.device("cpu")) == str(torch.device("cpu")) == "cpu"
    assert repr(afs.device("cpu")) == repr(torch.device("cpu"))
    assert repr(afs.device("cuda:1")) == repr(torch.device("cuda:1"))
    assert afs.device("cuda").index is None and afs.device("cuda", 0) == "cuda:0"
    assert afs.ones(2).device == afs.device("cpu") and str(afs.ones(2).device) == "cpu"
    assert afs.device(torch.device("cpu")) == afs.device("cpu")
    assert afs.cuda.is_available() is False and afs.accelerator.is_available() is False
    assert afs.accelerator.current_accelerator() is None and afs.cuda.device_count() == 0
    afs.set_default_device("cpu")
    afs.set_default_device(afs.device("cpu"))
    x = afs.randn(3, device="cpu")
    assert x.to("cpu") is x and x.cpu() is x and x.to(afs.device("cpu"), afs.double).dtype == afs.double
    assert x.to(afs.ones(1, dtype=afs.double)).dtype == afs.double and x.to("cpu", copy=True) is not x
    for attempt in (lambda: afs.zeros(2, device="cuda"), lambda: x.to("cuda"), lambda: x.cuda(),
                    lambda: afs.set_default_device("mps"), lambda: x.to(0),
                    lambda: afs.tensor([1.0], device=afs.device("cuda:0"))):
        with pytest.raises(RuntimeError, match="CPU only"):
            attempt()
    with pytest.raises(RuntimeError, match="device type"):
        afs.device("gpu")
    with pytest.raises(RuntimeError, match="device type"):
        torch.device("gpu")
