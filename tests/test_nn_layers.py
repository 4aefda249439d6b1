"""Every layer alone against torch: values, gradients for a random upstream gradient, node names
and edges, finite differences (gradcheck) in float64; then the `Module` machinery.

The layer table lists each layer as a function `fn(lib, x, *params)` written once for both
engines (`lib` is `torch` or `afs`), as the op table does for the elementwise ops.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_from_scratch as afs

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-5)}


@dataclass
class Layer:
    name: str
    fn: Callable
    x_shape: tuple
    param_shapes: tuple = ()
    ties: bool = False  # integer-valued input: many tied maxima (not for finite differences)
    consts: dict = field(default_factory=dict)  # name -> numpy array, passed as lib tensors


def F(lib):
    return lib.nn.functional


def const(lib, a, like=None):
    """A constant tensor of `lib`, with the dtype of `like` when given."""
    return lib.tensor(a) if like is None else lib.tensor(a, dtype=like.dtype)


LAYERS = [
    Layer("linear", lambda lib, x, w, b: F(lib).linear(x, w, b), (3, 5), ((4, 5), (4,))),
    Layer("linear_3d_input", lambda lib, x, w, b: F(lib).linear(x, w, b), (2, 3, 5), ((4, 5), (4,))),
    Layer("linear_1d_input", lambda lib, x, w, b: F(lib).linear(x, w, b), (5,), ((4, 5), (4,))),
    Layer("linear_no_bias", lambda lib, x, w: F(lib).linear(x, w), (3, 5), ((4, 5),)),
    Layer("conv2d", lambda lib, x, w, b: F(lib).conv2d(x, w, b), (2, 3, 6, 5), ((4, 3, 3, 3), (4,))),
    Layer("conv2d_stride_pad", lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2, padding=1),
          (2, 3, 7, 6), ((4, 3, 3, 3), (4,))),
    Layer("conv2d_dilation", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=2, dilation=2),
          (1, 2, 6, 6), ((3, 2, 3, 3), (3,))),
    Layer("conv2d_groups", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1, groups=2),
          (2, 4, 5, 5), ((6, 2, 3, 3), (6,))),
    Layer("conv2d_no_bias_rect", lambda lib, x, w: F(lib).conv2d(x, w, None, stride=(2, 1),
                                                                  padding=(1, 0)),
          (2, 3, 6, 5), ((4, 3, 2, 3),)),
    Layer("conv2d_1x1_stride2", lambda lib, x, w: F(lib).conv2d(x, w, None, stride=2),
          (2, 3, 5, 5), ((4, 3, 1, 1),)),
    Layer("conv2d_padding_same", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding="same",
                                                                     dilation=(1, 2)),
          (1, 2, 5, 6), ((3, 2, 3, 3), (3,))),
    Layer("conv2d_padding_same_even_kernel",
          lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding="same"), (1, 2, 5, 6),
          ((3, 2, 2, 4), (3,))),
    Layer("conv2d_padding_same_even_dilated",
          lambda lib, x, w: F(lib).conv2d(x, w, None, padding="same", dilation=(3, 1)), (2, 2, 7, 5),
          ((3, 2, 2, 3),)),
    Layer("conv2d_unbatched", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1),
          (3, 4, 4), ((2, 3, 3, 3), (2,))),
    Layer("batch_norm_train", lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, True),
          (3, 4, 3, 2), ((4,), (4,))),
    Layer("batch_norm_train_no_affine", lambda lib, x: F(lib).batch_norm(x, None, None, None, None,
                                                                          True),
          (2, 3, 2, 2)),
    Layer("batch_norm_eval",
          lambda lib, x, w, b: F(lib).batch_norm(x, const(lib, np.array([.1, -.2, .3]), x),
                                                 const(lib, np.array([.5, 1.5, 2.]), x), w, b, False),
          (2, 3, 2, 2), ((3,), (3,))),
    Layer("relu", lambda lib, x: F(lib).relu(x), (2, 3, 4)),
    Layer("max_pool2d", lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1), (2, 2, 7, 6)),
    Layer("max_pool2d_ties", lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1), (2, 2, 7, 6), ties=True),
    Layer("max_pool2d_default_stride", lambda lib, x: F(lib).max_pool2d(x, 2), (1, 2, 6, 5)),
    Layer("max_pool2d_dilation_ceil",
          lambda lib, x: F(lib).max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True), (1, 2, 7, 6),
          ties=True),
    Layer("max_pool2d_ceil", lambda lib, x: F(lib).max_pool2d(x, 3, 2, 0, ceil_mode=True),
          (1, 2, 6, 6)),
    Layer("max_pool2d_unbatched", lambda lib, x: F(lib).max_pool2d(x, 2), (2, 4, 4)),
    Layer("adaptive_avg_pool2d_1x1", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (1, 1)),
          (2, 3, 4, 5)),
    Layer("adaptive_avg_pool2d_2x3", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2, 3)),
          (2, 3, 5, 7)),
    Layer("adaptive_avg_pool2d_upsample", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 4),
          (1, 2, 3, 3)),
    Layer("adaptive_avg_pool2d_none", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (None, 2)),
          (1, 2, 3, 5)),
    Layer("flatten", lambda lib, x: lib.flatten(x, 1), (2, 3, 2, 2)),
    Layer("mse_loss",
          lambda lib, x: F(lib).mse_loss(x, const(lib, np.linspace(-1, 1, 12).reshape(3, 4), x)),
          (3, 4)),
    Layer("mse_loss_sum", lambda lib, x: F(lib).mse_loss(x, const(lib, np.ones((3, 4)), x),
                                                         reduction="sum"), (3, 4)),
    Layer("mse_loss_none", lambda lib, x: F(lib).mse_loss(x, const(lib, np.ones((3, 4)), x),
                                                          reduction="none"), (3, 4)),
    Layer("log_softmax", lambda lib, x: F(lib).log_softmax(x, 1), (3, 5)),
    Layer("cross_entropy", lambda lib, x: F(lib).cross_entropy(x, const(lib, np.array([1, 0, 4, 2]))),
          (4, 5)),
    Layer("cross_entropy_sum_ignore",
          lambda lib, x: F(lib).cross_entropy(x, const(lib, np.array([1, -100, 4, 2])),
                                              reduction="sum"), (4, 5)),
    Layer("cross_entropy_none_weight",
          lambda lib, x: F(lib).cross_entropy(x, const(lib, np.array([1, 0, 4])),
                                              weight=const(lib, np.linspace(.5, 2, 5), x),
                                              reduction="none"), (3, 5)),
    Layer("cross_entropy_weight_mean",
          lambda lib, x: F(lib).cross_entropy(x, const(lib, np.array([1, 0, 4])),
                                              weight=const(lib, np.linspace(.5, 2, 5), x)), (3, 5)),
    Layer("cross_entropy_probabilities",
          lambda lib, x: F(lib).cross_entropy(x, const(lib, np.full((3, 5), 0.2), x)), (3, 5)),
    Layer("cross_entropy_probabilities_weight_none",
          lambda lib, x: F(lib).cross_entropy(x, const(lib, np.full((3, 5), 0.2), x),
                                              weight=const(lib, np.linspace(.5, 2, 5), x),
                                              reduction="none"), (3, 5)),
]
IDS = [layer.name for layer in LAYERS]


def make_arrays(layer: Layer, dtype: str, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if layer.ties:
        x = rng.integers(-2, 3, layer.x_shape).astype(dtype)
    else:
        x = rng.standard_normal(layer.x_shape).astype(dtype)
    return [x] + [rng.standard_normal(s).astype(dtype) for s in layer.param_shapes]


def run_both(layer: Layer, dtype: str, seed: int = 0):
    arrays = make_arrays(layer, dtype, seed)
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    a_in = [afs.tensor(a, requires_grad=True) for a in arrays]
    t_out, a_out = layer.fn(torch, *t_in), layer.fn(afs, *a_in)
    v = np.random.default_rng(seed + 1).standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(v))
    a_out.backward(afs.tensor(v))
    return t_in, a_in, t_out, a_out


def assert_close(ours, theirs, dtype: str) -> None:
    assert ours is not None and theirs is not None
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), **TOL[dtype])


def edge_names(node) -> list:
    def name(n):
        return None if n is None else n.name().replace("torch::autograd::", "")
    return [(name(n), nr) for n, nr in node.next_functions]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_layer_matches_torch(layer, dtype):
    t_in, a_in, t_out, a_out = run_both(layer, dtype)
    assert_close(a_out, t_out, dtype)
    assert a_out.grad_fn.name() == t_out.grad_fn.name()
    assert edge_names(a_out.grad_fn) == edge_names(t_out.grad_fn)
    for a, t in zip(a_in, t_in):
        assert_close(a.grad, t.grad, dtype)


SMOOTH = [layer for layer in LAYERS if not layer.ties]  # finite differences need distinct values


@pytest.mark.parametrize("layer", SMOOTH, ids=[layer.name for layer in SMOOTH])
def test_layer_gradcheck(layer):
    inputs = [afs.tensor(a, requires_grad=True) for a in make_arrays(layer, "float64", seed=3)]
    assert afs.autograd.gradcheck(lambda *xs: layer.fn(afs, *xs), inputs)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 2), groups=st.sampled_from([1, 2]), size=st.tuples(st.integers(1, 8),
                                                                           st.integers(1, 8)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_conv2d_geometry_matches_torch(n, groups, size, kernel, stride, padding, dilation, seed):
    """Any size, kernel, stride, padding and dilation: the same output and gradients as torch."""
    reach = [dilation * (k - 1) + 1 for k in kernel]
    if any(s + 2 * padding < r for s, r in zip(size, reach)):
        return  # no output position fits: both refuse (tested above)
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, 2 * groups) + size), rng.standard_normal((2, 2) + kernel),
              rng.standard_normal(2)]
    layer = Layer("conv", lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride, padding, dilation,
                                                             groups), (), ())
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    a_in = [afs.tensor(a, requires_grad=True) for a in arrays]
    t_out, a_out = layer.fn(torch, *t_in), layer.fn(afs, *a_in)
    v = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(v))
    a_out.backward(afs.tensor(v))
    assert_close(a_out, t_out, "float64")
    for a, t in zip(a_in, t_in):
        assert_close(a.grad, t.grad, "float64")


def _windows_touch_input(size, kernel, stride, padding, dilation, ceil_mode) -> bool:
    from autograd_from_scratch.ops.pool import pool_output_size

    n_out = pool_output_size(size, kernel, stride, padding, dilation, ceil_mode)
    return all(any(0 <= o * stride - padding + i * dilation < size for i in range(kernel))
               for o in range(n_out))


@settings(max_examples=30, deadline=None)
@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)), kernel=st.integers(1, 3),
       stride=st.integers(1, 3), padding=st.integers(0, 1), dilation=st.integers(1, 2),
       ceil_mode=st.booleans(), seed=st.integers(0, 2**16))
def test_max_pool2d_geometry_matches_torch(size, kernel, stride, padding, dilation, ceil_mode, seed):
    if padding > (dilation * (kernel - 1) + 1) // 2 or any(
            s + 2 * padding < dilation * (kernel - 1) + 1 for s in size):
        return  # refused by both
    if not all(_windows_touch_input(s, kernel, stride, padding, dilation, ceil_mode) for s in size):
        return  # a window of padding only: torch's backward writes out of bounds there (it aborts)
    x = np.random.default_rng(seed).integers(-3, 4, (2, 2) + size).astype(np.float64)
    t_x, a_x = torch.tensor(x, requires_grad=True), afs.tensor(x, requires_grad=True)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                  ceil_mode=ceil_mode)
    t_out = torch.nn.functional.max_pool2d(t_x, **kwargs)
    a_out = afs.nn.functional.max_pool2d(a_x, **kwargs)
    assert_close(a_out, t_out, "float64")
    t_out.sum().backward()
    a_out.sum().backward()
    assert_close(a_x.grad, t_x.grad, "float64")


# -- layer specifics ------------------------------------------------------------------------------
def test_max_pool2d_return_indices_match_torch():
    x = np.random.default_rng(0).integers(-2, 3, (2, 3, 7, 8)).astype(np.float32)
    for kwargs in [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, dilation=2,
                                                                  ceil_mode=True, padding=1)]:
        t_val, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
        a_x = afs.tensor(x, requires_grad=True)
        a_val, a_idx = afs.nn.functional.max_pool2d(a_x, return_indices=True, **kwargs)
        np.testing.assert_array_equal(a_val.array, t_val.numpy())
        np.testing.assert_array_equal(a_idx.array, t_idx.numpy())
        assert a_idx.dtype == afs.int64 and not a_idx.requires_grad
        a_val.sum().backward()
        assert a_x.grad.array.sum() == a_val.numel()


def test_max_pool2d_nan_wins_as_in_torch():
    x = np.arange(36, dtype=np.float64).reshape(1, 1, 6, 6)
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = np.nan
    t = torch.tensor(x, requires_grad=True)
    a = afs.tensor(x, requires_grad=True)
    t_out, a_out = torch.nn.functional.max_pool2d(t, 3, 2, 1), afs.nn.functional.max_pool2d(a, 3, 2, 1)
    np.testing.assert_array_equal(a_out.array, t_out.detach().numpy())
    t_out.sum().backward()
    a_out.sum().backward()
    np.testing.assert_array_equal(a.grad.array, t.grad.numpy())


def test_relu_inplace_flag_gives_torchs_node():
    x = afs.randn(3, 4, requires_grad=True)
    y = afs.nn.ReLU(inplace=True)(x * 1)
    assert y.grad_fn.name() == "ReluBackward0"
    np.testing.assert_array_equal(y.array, np.maximum(x.array, 0))


def test_conv2d_and_batch_norm_keep_what_torch_keeps():
    # Backward rebuilds cols (kh·kw times larger than x) and x̂ instead of keeping them alive.
    x = afs.randn(2, 3, 8, 8, requires_grad=True)
    conv, bn = afs.nn.Conv2d(3, 4, 3, padding=1, bias=False), afs.nn.BatchNorm2d(4)
    y = conv(x)
    z = bn(y)
    assert [t.shape for t in y.grad_fn.saved_tensors] == [x.shape, conv.weight.shape]
    assert y.grad_fn.saved_tensors[0] is x
    assert z.grad_fn.saved_tensors[0] is y


def test_im2col_result_is_not_overwritten_by_later_convolutions():
    from autograd_from_scratch.ops.conv import im2col

    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    cols = im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    before = cols.copy()
    conv = afs.nn.Conv2d(3, 4, 3, padding=1).double()
    conv(afs.tensor(x, requires_grad=True)).sum().backward()
    np.testing.assert_array_equal(cols, before)


def test_conv2d_bad_input_says_what_was_expected():
    conv = afs.nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to "
                                           r"conv2d, but got input of size: \[2, 3\]"):
        conv(afs.rand(2, 3))
    with pytest.raises(RuntimeError, match=r"expected input\[1, 4, 8, 8\] to have 3 channels, but "
                                           r"got 4 channels instead"):
        conv(afs.rand(1, 4, 8, 8))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        conv(afs.rand(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match=r"Input type \(float64\) and weight type \(float32\)"):
        conv(afs.rand(1, 3, 8, 8, dtype=afs.float64))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="expected 4D input"):
        afs.nn.BatchNorm2d(3)(afs.rand(2, 3, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        afs.nn.BatchNorm2d(3)(afs.rand(1, 3, 1, 1))


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1e4, 0.0]])
    target = np.array([2, 0])
    t = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target))
    a = afs.nn.functional.cross_entropy(afs.tensor(logits), afs.tensor(target))
    assert np.isfinite(a.item())
    np.testing.assert_allclose(a.item(), t.item(), rtol=1e-12)


def test_cross_entropy_rejects_out_of_range_targets():
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        afs.nn.functional.cross_entropy(afs.rand(2, 3), afs.tensor([0, 7]))


# -- the layers as modules, against torch's modules ---------------------------------------------------
MODULES = [
    ("Linear", lambda nn: nn.Linear(5, 3), (4, 5)),
    ("Linear_no_bias", lambda nn: nn.Linear(5, 3, bias=False), (4, 5)),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 7)),
    ("Conv2d_same", lambda nn: nn.Conv2d(2, 3, 3, padding="same"), (1, 2, 5, 5)),
    ("Conv2d_groups_dilation", lambda nn: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2,
                                                    bias=False), (2, 4, 6, 6)),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), (4, 3, 2, 2)),
    ("BatchNorm2d_no_affine", lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2)),
    ("BatchNorm2d_no_bias", lambda nn: nn.BatchNorm2d(3, bias=False), (4, 3, 2, 2)),
    ("BatchNorm2d_cumulative", lambda nn: nn.BatchNorm2d(3, momentum=None), (4, 3, 2, 2)),
    ("BatchNorm2d_untracked", lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 2, 2)),
    ("ReLU", lambda nn: nn.ReLU(), (2, 3)),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(3, 2, 1), (1, 2, 6, 6)),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 2)), (1, 2, 5, 5)),
    ("Flatten", lambda nn: nn.Flatten(), (2, 3, 2)),
    ("Identity", lambda nn: nn.Identity(), (2, 3)),
    ("Sequential", lambda nn: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False),
                                            nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2)),
     (2, 2, 6, 6)),
]


@pytest.mark.parametrize("name,build,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, build, shape):
    torch.manual_seed(0)
    t_mod = build(torch.nn).double()
    a_mod = build(afs.nn).double()
    assert repr(a_mod) == repr(t_mod)
    assert [n for n, _ in a_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]
    assert list(a_mod.state_dict()) == list(t_mod.state_dict())
    a_mod.load_state_dict(t_mod.state_dict())
    x = np.random.default_rng(0).standard_normal(shape)
    for step in range(2):  # twice: batch norm's running statistics move
        t_x, a_x = torch.tensor(x, requires_grad=True), afs.tensor(x, requires_grad=True)
        t_out, a_out = t_mod(t_x), a_mod(a_x)
        v = np.random.default_rng(step).standard_normal(tuple(t_out.shape))
        t_out.backward(torch.tensor(v))
        a_out.backward(afs.tensor(v))
        assert_close(a_out, t_out, "float64")
        assert_close(a_x.grad, t_x.grad, "float64")
    t_params = dict(t_mod.named_parameters())
    for n, p in a_mod.named_parameters():
        assert_close(p.grad, t_params[n].grad, "float64")
    t_state = t_mod.state_dict()
    for n, value in a_mod.state_dict().items():
        np.testing.assert_allclose(value.array, t_state[n].numpy(), rtol=1e-12, atol=1e-14)
    t_mod.eval()
    a_mod.eval()
    np.testing.assert_allclose(a_mod(afs.tensor(x)).array, t_mod(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


# -- the Module machinery ---------------------------------------------------------------------------
class Net(afs.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = afs.nn.Sequential(afs.nn.Conv2d(1, 2, 3), afs.nn.BatchNorm2d(2))
        self.head = afs.nn.Linear(2, 1)
        self.register_buffer("scratch", afs.zeros(3), persistent=False)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def test_registration_and_walks():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
        "head.weight", "head.bias"]
    assert all(isinstance(p, afs.nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == [  # a module's own first, then its children's
        "scratch", "features.1.running_mean", "features.1.running_var",
        "features.1.num_batches_tracked"]
    assert "scratch" not in net.state_dict()  # non-persistent
    assert [n for n, _ in net.named_children()] == ["features", "head"]
    assert len(list(net.modules())) == 5
    assert isinstance(net.features[1], afs.nn.BatchNorm2d) and len(net.features) == 2
    assert isinstance(net.features[-1], afs.nn.BatchNorm2d)
    assert isinstance(net.features[:1], afs.nn.Sequential) and len(net.features[:1]) == 1
    net.head = afs.nn.Linear(2, 4)  # replacing a layer re-registers it
    assert net.head.out_features == 4 and net(afs.rand(2, 1, 4, 4)).shape == (2, 4)
    net.head.bias = None
    assert "head.bias" not in net.state_dict()
    with pytest.raises(TypeError, match="cannot assign"):
        net.head.weight = afs.zeros(4, 2)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = net.nope


def test_train_eval_zero_grad_requires_grad():
    net = Net()
    assert net.training and net.features[1].training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    net(afs.rand(3, 1, 4, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.array == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net(afs.rand(3, 1, 4, 4)).grad_fn is None


def test_dtype_conversions_keep_parameter_objects():
    net = Net()
    weight = net.head.weight
    net.double()
    assert net.head.weight is weight and weight.dtype == afs.float64
    assert net.features[1].running_mean.dtype == afs.float64
    assert net.features[1].num_batches_tracked.dtype == afs.int64
    net.to(torch.float32)
    assert weight.dtype == afs.float32
    net.to(afs.float64).float()
    assert weight.dtype == afs.float32
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")


def test_load_state_dict_takes_torch_and_numpy_and_reports_every_problem():
    net = Net()
    numpy_state = {k: np.full(v.shape, 0.5) for k, v in net.state_dict().items()}
    net.load_state_dict(numpy_state)
    assert np.all(net.head.weight.array == 0.5)
    assert net.head.weight._version > 0  # an in-place change, as torch's copy_
    bad = dict(numpy_state)
    del bad["head.bias"]
    bad["extra.weight"] = np.zeros(1)
    bad["head.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(bad)
    message = str(err.value)
    assert message.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "head.bias".' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in message
    assert ("size mismatch for head.weight: copying a param with shape [3, 3] from checkpoint, the "
            "shape in current model is [1, 2].") in message
    with pytest.raises(RuntimeError, match="size mismatch for head.weight"):
        net.load_state_dict(bad, strict=False)  # shapes are checked even when not strict
    bad["head.weight"] = np.zeros((1, 2))
    result = net.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["extra.weight"]


def test_load_state_dict_result_prints_as_torchs():
    ours, theirs = afs.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    assert repr(ours.load_state_dict(theirs.state_dict())) == repr(theirs.load_state_dict(theirs.state_dict()))
    partial = {"weight": theirs.weight.detach()}
    assert repr(ours.load_state_dict(partial, strict=False)) == repr(theirs.load_state_dict(partial, strict=False))


def test_state_dict_shares_memory_and_is_detached():
    net = Net()
    state = net.state_dict()
    assert not state["head.weight"].requires_grad
    assert np.shares_memory(state["head.weight"].array, net.head.weight.array)
    assert state["features.1.num_batches_tracked"].dtype == afs.int64


def test_parameter_repr_and_sharing():
    data = afs.ones(2)
    p = afs.nn.Parameter(data)
    assert repr(p) == repr(torch.nn.Parameter(torch.ones(2)))
    assert np.shares_memory(p.array, data.array) and p.is_leaf and p.requires_grad
    assert not afs.nn.Parameter(afs.ones(2), requires_grad=False).requires_grad


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        afs.nn.Module()(afs.ones(1))


# -- second derivatives (create_graph=True through the layers), against torch's -------------------
def second_derivatives(lib, fn, arrays, seed: int = 0):
    """Gradients of s = Σ u·(dL/dinputs), with L = Σ v·fn(inputs), w.r.t. the inputs and v.

    s is what gradgradcheck differentiates: it reaches the inputs and v only through the backward
    pass recorded with create_graph=True, so it checks the backward's own backward.
    """
    rng = np.random.default_rng(seed)
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *inputs)
    v = lib.tensor(rng.standard_normal(tuple(out.shape)), requires_grad=True)
    grads = lib.autograd.grad((out * v).sum(), inputs, create_graph=True)
    s = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in grads)
    names = [g.grad_fn.name() if g.grad_fn is not None else None for g in grads]
    return names, lib.autograd.grad(s, inputs + [v], allow_unused=True)


SECOND_ORDER = [
    Layer("conv2d", lambda lib, x, w, b: F(lib).conv2d(x, w, b), (2, 3, 6, 5), ((4, 3, 3, 3), (4,))),
    Layer("conv2d_stride_pad", lambda lib, x, w: F(lib).conv2d(x, w, None, stride=2, padding=1),
          (2, 3, 7, 6), ((4, 3, 3, 3),)),
    Layer("conv2d_dilation_groups", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=2, dilation=2,
                                                                      groups=2),
          (1, 4, 6, 6), ((6, 2, 3, 3), (6,))),
    Layer("max_pool2d", lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1), (2, 2, 7, 6)),
    Layer("max_pool2d_dilation_ceil",
          lambda lib, x: F(lib).max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True), (1, 2, 7, 6)),
    Layer("max_pool2d_unbatched", lambda lib, x: F(lib).max_pool2d(x, 2), (2, 4, 4)),
    Layer("adaptive_avg_pool2d_2x3", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2, 3)),
          (2, 3, 5, 7)),
    Layer("adaptive_avg_pool2d_upsample", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 4),
          (1, 2, 3, 3)),
    Layer("batch_norm_train", lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, True),
          (3, 4, 3, 2), ((4,), (4,))),
    Layer("batch_norm_train_no_affine", lambda lib, x: F(lib).batch_norm(x, None, None, None, None,
                                                                          True), (2, 3, 2, 2)),
    Layer("batch_norm_train_3d", lambda lib, x, w: F(lib).batch_norm(x, None, None, w, None, True),
          (4, 3, 5), ((3,),)),
    Layer("batch_norm_eval",
          lambda lib, x, w, b: F(lib).batch_norm(x, const(lib, np.array([.1, -.2, .3]), x),
                                                 const(lib, np.array([.5, 1.5, 2.]), x), w, b, False),
          (2, 3, 2, 2), ((3,), (3,))),
]


@pytest.mark.parametrize("layer", SECOND_ORDER, ids=[layer.name for layer in SECOND_ORDER])
def test_second_derivatives_match_torch(layer):
    arrays = make_arrays(layer, "float64")
    a_names, ours = second_derivatives(afs, layer.fn, arrays)
    t_names, theirs = second_derivatives(torch, layer.fn, arrays)
    assert a_names == [n.replace("torch::autograd::", "") for n in t_names]
    for a, t in zip(ours, theirs):
        if t is None or not t.detach().numpy().any():  # no path, or second derivative zero
            assert a is None or not a.array.any()
        else:
            assert_close(a, t, "float64")
