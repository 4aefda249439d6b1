"""`autograd_from_scratch/parallel.py`: the shares cover every row once, errors come back, and the
ops that share their work out between threads give torch's numbers when they do.

The thresholds that keep small passes on one thread are set to 0 here (`threaded`), so that the
small tensors of the torch comparisons take the threaded paths too; three threads, so that the
shares come out uneven.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
import test_nn_layers as layers
import test_optim as optim_tests

import autograd_from_scratch as afs
from autograd_from_scratch import parallel


def share_everything(monkeypatch) -> None:
    """Every pass and product shared out, between three threads."""
    for name in ("MIN_WORK", "BLAS_PRODUCT", "MIN_PRODUCT"):
        monkeypatch.setattr(parallel, name, 0)
    monkeypatch.setattr(parallel, "THREADS", 3)


@pytest.fixture
def threaded(monkeypatch):
    share_everything(monkeypatch)


@pytest.mark.parametrize("rows", [0, 1, 2, 5, 7, 64])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_shares_cover_every_row_once(rows, threads, monkeypatch):
    monkeypatch.setattr(parallel, "THREADS", threads)
    seen: list[int] = []
    calls: list[slice] = []
    lock = threading.Lock()

    def part(s: slice) -> None:
        with lock:
            seen.extend(range(rows)[s])
            calls.append(s)

    parallel.in_parallel(part, rows, work=1 << 40)
    assert sorted(seen) == list(range(rows))
    assert len(calls) == max(1, min(threads, rows))  # one share per thread


def test_small_work_stays_on_this_thread():
    names = []
    parallel.in_parallel(lambda s: names.append(threading.current_thread().name), 8, work=10)
    assert names == [threading.current_thread().name]


def test_an_error_in_any_share_is_raised_after_every_share_ran(threaded):
    started: list[int] = []

    def part(s: slice) -> None:
        started.append(s.start)
        if s.start > 0:
            raise ValueError(f"share {s.start}")

    with pytest.raises(ValueError, match="share"):
        parallel.in_parallel(part, 6, work=1 << 40)
    assert sorted(started) == [0, 2, 4]


def test_a_share_that_shares_out_again_runs_inline(threaded):
    total = np.zeros(12)

    def outer(s: slice) -> None:
        parallel.in_parallel(lambda inner: total.__setitem__(inner, 1), 12, work=1 << 40)

    parallel.in_parallel(outer, 3, work=1 << 40)  # would wait forever on busy workers otherwise
    assert total.sum() == 12


@pytest.mark.parametrize("shapes", [((5, 7), (7, 3)), ((3, 4, 6), (6, 9)), ((2, 1, 3, 4), (3, 4, 5)),
                                    ((40, 3), (3, 2))])
def test_matmul_is_numpys_matmul(shapes, threaded):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s) for s in shapes)
    np.testing.assert_allclose(parallel.matmul(a, b), np.matmul(a, b), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(parallel.matmul(b.swapaxes(-1, -2)[..., :2, :], a.swapaxes(-1, -2)),
                               np.matmul(b.swapaxes(-1, -2)[..., :2, :], a.swapaxes(-1, -2)),
                               rtol=1e-13, atol=1e-13)


def test_matmul_of_a_broadcast_view(threaded):
    rng = np.random.default_rng(2)
    row, b = rng.standard_normal((1, 6)), rng.standard_normal((6, 4))
    broadcast = np.broadcast_to(row, (5, 6))  # strides (0, 8): BLAS cannot read it as it is
    assert parallel.blas_readable(broadcast) is not broadcast
    b_t = b.T  # columns one number apart: BLAS reads it transposed
    assert parallel.blas_readable(b) is b and parallel.blas_readable(b_t) is b_t
    np.testing.assert_allclose(parallel.matmul(broadcast, b), np.matmul(broadcast, b), rtol=1e-13)


def test_pointwise_is_the_ufunc(threaded):
    x = np.random.default_rng(1).standard_normal((7, 3, 2)).astype(np.float32)
    assert np.array_equal(parallel.pointwise(np.maximum, x, 0), np.maximum(x, 0))
    assert parallel.pointwise(np.greater, x, 0).dtype == np.bool_
    scalar = np.array(2.5)
    assert parallel.pointwise(np.maximum, scalar, 0) == 2.5


def test_pointwise_writing_over_its_own_operand(threaded):
    x = np.arange(24.0).reshape(12, 2)
    expected = -x[::-1]
    parallel.pointwise(np.negative, x[::-1], out=x)  # shares would read rows already written
    assert np.array_equal(x, expected)


def test_blas_threads_come_back_after_a_shared_product(threaded):
    if not parallel._blas:
        pytest.skip("threadpoolctl is not installed: BLAS keeps its threads")
    before = [c.get_num_threads() for c in parallel._blas]
    parallel.matmul(np.ones((8, 8)), np.ones((8, 8)))
    assert [c.get_num_threads() for c in parallel._blas] == before


# -- the ops that share their work out, against torch, with every pass shared out ----------------
THREADED_LAYERS = [layer for layer in layers.LAYERS
                   if any(k in layer.name for k in ("conv", "batch_norm", "max_pool", "relu",
                                                    "linear"))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer", THREADED_LAYERS, ids=[layer.name for layer in THREADED_LAYERS])
def test_layer_on_threads_matches_torch(layer, dtype, threaded):
    layers.test_layer_matches_torch(layer, dtype)


def test_conv2d_and_max_pool_geometry_on_threads_match_torch(threaded):
    layers.test_conv2d_geometry_matches_torch()  # hypothesis: many sizes, strides, paddings
    layers.test_max_pool2d_geometry_matches_torch()
    layers.test_max_pool2d_return_indices_match_torch()
    layers.test_max_pool2d_nan_wins_as_in_torch()


@pytest.mark.parametrize("layer", layers.SECOND_ORDER, ids=[lay.name for lay in layers.SECOND_ORDER])
def test_second_derivatives_on_threads_match_torch(layer, threaded):
    layers.test_second_derivatives_match_torch(layer)


@pytest.mark.parametrize("options", optim_tests.OPTIONS, ids=[optim_tests.ids(o) for o in optim_tests.OPTIONS])
def test_sgd_on_threads_matches_torch(options, threaded):
    optim_tests.test_sgd_matches_torch(options, "float32")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resnet_block_the_same_on_one_thread_and_on_three(dtype, monkeypatch):
    """The threads change only the speed: a ResNet basic block's output and every gradient, with
    all passes shared out, are the ones computed on one thread, to the last bit."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 12, 12)).astype(dtype)

    def run() -> list[np.ndarray]:
        afs.manual_seed(0)
        block = afs.models.resnet.BasicBlock(8, 8).to(getattr(afs, dtype))
        inp = afs.tensor(x, requires_grad=True)
        out = block(inp)
        out.backward(afs.tensor(np.cos(np.arange(out.numel())).reshape(out.shape).astype(dtype)))
        return [out.detach().numpy(), inp.grad.numpy()] + [p.grad.numpy() for p in block.parameters()]

    monkeypatch.setattr(parallel, "THREADS", 1)
    alone = run()
    share_everything(monkeypatch)
    shared = run()
    assert len(alone) == len(shared) == 2 + len(list(afs.models.resnet.BasicBlock(8, 8).parameters()))
    for a, b in zip(alone, shared):
        np.testing.assert_array_equal(b, a)  # to the last bit
