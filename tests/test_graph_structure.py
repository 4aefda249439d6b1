"""Our graphs are torch's graphs: the same node names, wired the same way, for the same expression.

Each case runs `fn(lib, *xs)` with `lib = afs` and `lib = torch` on the same float64 data and
compares `viz.graph_edges` of the two results: every node's name, its `next_functions` (in order,
`None` edges included) and the shapes of the leaves.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_from_scratch as afs
from autograd_from_scratch.viz import GraphEntry, graph_edges

ADDMM = {afs: afs.ops.addmm, torch: torch.addmm}


def setitem(x, key, value):
    x[key] = value
    return x


def view_changed(b, w):
    """b[0] *= w: b's history becomes CopySlices."""
    b[0].mul_(w)
    return b


def base_changed(b):
    """A view of b, then b changed: the view's history becomes AsStridedBackward0."""
    view = b[:2]
    b.mul_(3)
    return view


# (name, input shapes or arrays, fn(lib, *xs)); inputs are standard normal unless given.
CASES = [
    ("Q = 3a^3 - b^2", [[2., 3.], [6., 4.]], lambda lib, a, b: 3 * a**3 - b**2),
    ("mlp", [(2, 4), (4, 5), (5,), (5, 2), (2,)],
     lambda lib, x, w1, b1, w2, b2: ((x @ w1 + b1).relu() @ w2 + b2).sum()),
    ("linear as addmm(b, x, W.t())", [(2, 4), (5, 4), (5,)],
     lambda lib, x, w, b: ADDMM[lib](b, x, w.t()).relu().sum()),
    ("diamond a*a + a", [(3,)], lambda lib, a: a * a + a),
    ("reuse across ops", [(3,)], lambda lib, a: (a.exp() * a.exp()).sum() + a.sum()),
    ("broadcast matrix + vector", [(3, 4), (4,)], lambda lib, m, v: m + v),
    ("broadcast column * matrix", [(3, 1), (3, 4)], lambda lib, c, m: c * m),
    ("number + tensor", [(3,)], lambda lib, a: 2 + a),
    ("number - tensor", [(3,)], lambda lib, a: 1 - a),
    ("number / tensor", [(3,)], lambda lib, a: 1 / a),
    ("tensor / number", [(3,)], lambda lib, a: a / 2),
    ("number ** tensor", [(3,)], lambda lib, a: 2 ** a),
    ("tensor ** tensor", [np.array([0.5, 1.5, 2.0]), (3,)], lambda lib, a, b: a ** b),
    ("division", [(3,), (3,)], lambda lib, a, b: a / b - (-a)),
    ("select a[0]", [(3, 4)], lambda lib, a: a[0]),
    ("slice a[1:3]", [(3, 4)], lambda lib, a: a[1:3]),
    ("column a[:, 1]", [(3, 4)], lambda lib, a: a[:, 1]),
    ("a[0, 1:3]", [(3, 4)], lambda lib, a: a[0, 1:3]),
    ("a[..., 1]", [(2, 3, 4)], lambda lib, a: a[..., 1]),
    ("a[None]", [(3, 4)], lambda lib, a: a[None]),
    ("integer array a[[0, 2]]", [(3, 4)], lambda lib, a: a[[0, 2]]),
    ("mask a[a > 0]", [(3, 4)], lambda lib, a: a[a > 0]),
    ("cat", [(3, 4), (2, 4)], lambda lib, a, b: lib.cat([a, b], 0)),
    ("cat dim=1", [(3, 4), (3, 2)], lambda lib, a, b: lib.cat([a, b], dim=1)),
    ("stack", [(3, 4), (3, 4)], lambda lib, a, b: lib.stack([a, b])),
    ("reshape", [(3, 4)], lambda lib, a: a.reshape(2, 6)),
    ("view(-1)", [(3, 4)], lambda lib, a: a.view(-1)),
    ("reshape of a transpose (a copy)", [(3, 4)], lambda lib, a: a.t().reshape(12)),
    ("flatten", [(2, 3, 4)], lambda lib, a: a.flatten()),
    ("flatten(1)", [(2, 3, 4)], lambda lib, a: a.flatten(1)),
    ("transpose", [(2, 3, 4)], lambda lib, a: a.transpose(0, 2)),
    ("t()", [(3, 4)], lambda lib, a: a.t()),
    (".T", [(3, 4)], lambda lib, a: a.T),
    ("permute", [(2, 3, 4)], lambda lib, a: a.permute(2, 0, 1)),
    ("unsqueeze", [(3, 4)], lambda lib, a: a.unsqueeze(1)),
    ("squeeze()", [(3, 1, 4)], lambda lib, a: a.squeeze()),
    ("squeeze(1)", [(3, 1, 4)], lambda lib, a: a.squeeze(1)),
    ("expand", [(3, 1)], lambda lib, a: a.expand(3, 4)),
    ("sum()", [(3, 4)], lambda lib, a: a.sum()),
    ("sum(1)", [(3, 4)], lambda lib, a: a.sum(1)),
    ("sum(0, keepdim)", [(3, 4)], lambda lib, a: a.sum(0, keepdim=True)),
    ("lib.sum(a, -1)", [(2, 3, 4)], lambda lib, a: lib.sum(a, -1)),
    ("mean()", [(3, 4)], lambda lib, a: a.mean()),
    ("mean(dim=0)", [(3, 4)], lambda lib, a: a.mean(dim=0)),
    ("mean((0, 2))", [(2, 3, 4)], lambda lib, a: a.mean((0, 2))),
    ("max()", [(3, 4)], lambda lib, a: a.max()),
    ("max(1).values", [(3, 4)], lambda lib, a: a.max(dim=1).values),
    ("max(1, keepdim)[0]", [(3, 4)], lambda lib, a: a.max(1, keepdim=True)[0]),
    ("exp", [(3, 4)], lambda lib, a: a.exp()),
    ("log", [np.array([0.5, 1.5, 2.0])], lambda lib, a: a.log()),
    ("sqrt", [np.array([0.5, 1.5, 2.0])], lambda lib, a: lib.sqrt(a)),
    ("tanh", [(3, 4)], lambda lib, a: lib.tanh(a)),
    ("sigmoid", [(3, 4)], lambda lib, a: lib.sigmoid(a)),
    ("relu", [(3, 4)], lambda lib, a: a.relu()),
    ("abs", [(3, 4)], lambda lib, a: a.abs()),
    ("clamp(min=0)", [(3, 4)], lambda lib, a: a.clamp(min=0)),
    ("clamp(-0.5, 0.5)", [(3, 4)], lambda lib, a: a.clamp(-0.5, 0.5)),
    ("where", [(3, 4), (3, 4)], lambda lib, a, b: lib.where(a > 0, a, b)),
    ("where with a number", [(3, 4)], lambda lib, a: lib.where(a > 0, a, 0.0)),
    ("float()", [(3, 4)], lambda lib, a: a.float()),
    ("clone", [(3, 4)], lambda lib, a: a.clone()),
    ("vector @ vector", [(4,), (4,)], lambda lib, a, b: a @ b),
    ("matrix @ vector", [(3, 4), (4,)], lambda lib, a, b: a @ b),
    ("vector @ matrix", [(4,), (4, 5)], lambda lib, a, b: a @ b),
    ("matrix @ matrix", [(3, 4), (4, 5)], lambda lib, a, b: lib.matmul(a, b)),
    ("batch @ batch", [(2, 3, 4), (2, 4, 5)], lambda lib, a, b: a @ b),
    ("batch @ matrix", [(2, 3, 4), (4, 5)], lambda lib, a, b: a @ b),
    ("batch @ vector", [(2, 3, 4), (4,)], lambda lib, a, b: a @ b),
    ("broadcast batches", [(5, 2, 3, 4), (2, 4, 5)], lambda lib, a, b: a @ b),
    ("in-place mul_", [(3, 4)], lambda lib, a: a.clone().mul_(2)),
    ("in-place add_ of a tensor", [(3, 4), (3, 4)], lambda lib, a, b: a.clone().add_(b)),
    ("in-place relu_", [(3, 4)], lambda lib, a: a.clone().relu_()),
    ("zero_", [(3, 4)], lambda lib, a: a.clone().zero_()),
    ("softmax by hand", [(3, 4)],
     lambda lib, a: (a - a.max(1, keepdim=True)[0]).exp() / (a - a.max(1, keepdim=True)[0]).exp().sum(1, keepdim=True)),
    ("mse", [(3, 4), (3, 4)], lambda lib, a, b: ((a - b) ** 2).mean()),
]

# Once known differences, now the same graph as torch's.
CASES += [
    ("batch @ batch of one (torch squeezes it and uses Mm)", [(2, 3, 4), (1, 4, 5)], lambda lib, a, b: a @ b),
    ("matrix @ batch (torch folds the transposed batch into one Mm)", [(3, 4), (2, 4, 5)],
     lambda lib, a, b: a @ b),
    ("vector @ batch (torch: Mv on the transposed batch)", [(4,), (2, 4, 5)], lambda lib, a, b: a @ b),
    ("x[0] = v (CopySlices)", [(3, 4), (4,)], lambda lib, a, v: setitem(a.clone(), 0, v)),
    ("batch of one @ batch", [(1, 3, 4), (2, 4, 5)], lambda lib, a, b: a @ b),
    ("4-D batch @ batch of one (Bmm, expanded)", [(2, 1, 3, 4), (1, 4, 5)], lambda lib, a, b: a @ b),
    ("batch @ batch broadcast", [(5, 2, 3, 4), (2, 4, 5)], lambda lib, a, b: a @ b),
    ("batch @ vector broadcast", [(2, 3, 4), (4,)], lambda lib, a, b: a @ b),
    ("x[0, 1:] = v", [(3, 4), (3,)], lambda lib, a, v: setitem(a.clone(), (0, slice(1, None)), v)),
    ("x[[0, 2]] = v", [(3, 4), (4,)], lambda lib, a, v: setitem(a.clone(), [0, 2], v)),
    ("x[0, [1, 2]] = v (CopySlices of IndexPut)", [(3, 4), (2,)], lambda lib, a, v: setitem(a.clone(), (0, [1, 2]), v)),
    ("x[...] = 1. (FillBackward3)", [(3, 4)], lambda lib, a: setitem(a.clone(), Ellipsis, 1.)),
    ("x[0] = 1. (CopySlices of FillBackward3)", [(3, 4)], lambda lib, a: setitem(a.clone(), 0, 1.)),
    ("fill_ (FillBackward2)", [(3, 4)], lambda lib, a: a.clone().fill_(2.)),
    ("in-place on a view: CopySlices", [(3, 4), (4,)], lambda lib, a, w: view_changed(a * 1, w)),
    ("base changed after its view: AsStridedBackward0", [(3, 4)], lambda lib, a: base_changed(a.clone())),
    ("a[0, [1, 0]]: Select then Index", [(3, 4)], lambda lib, a: a[0, [1, 0]]),
    ("a[...] and a[:, :] are aliases", [(3, 4)], lambda lib, a: a[...] + a[:, :]),
    ("a[:] is a slice", [(3, 4)], lambda lib, a: a[:]),
    ("reshape of a column slice (ReshapeAlias)", [(3, 4)], lambda lib, a: a[:, :2].reshape(3, 2, 1)),
    ("t().contiguous().view(-1)", [(3, 4)], lambda lib, a: a.t().contiguous().view(-1)),
]


def _inputs(specs, seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(s, dtype=np.float64) if not isinstance(s, tuple) else rng.standard_normal(s)
            for s in specs]


def both_graphs(specs, fn):
    arrays = _inputs(specs)
    ours = fn(afs, *[afs.tensor(a, requires_grad=True) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    return graph_edges(ours), graph_edges(theirs)


def _show(edges):
    return "\n".join(f"  {i}: {e.name} -> {list(e.next)}" + (f" leaf {e.leaf_shape}" if e.leaf_shape else "")
                     for i, e in enumerate(edges))


@pytest.mark.parametrize("name, specs, fn", CASES, ids=[c[0] for c in CASES])
def test_same_graph_as_torch(name, specs, fn):
    ours, theirs = both_graphs(specs, fn)
    assert ours == theirs, f"{name}\nours:\n{_show(ours)}\ntorch:\n{_show(theirs)}"


def test_graph_edges_of_q_spelled_out():
    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    assert graph_edges(3 * a**3 - b**2) == [
        GraphEntry("SubBackward0", ((1, 0), (2, 0))),
        GraphEntry("MulBackward0", ((3, 0), None)),  # None: the constant 3
        GraphEntry("PowBackward0", ((4, 0),)),       # b**2
        GraphEntry("PowBackward0", ((5, 0),)),       # a**3
        GraphEntry("AccumulateGrad", (), (2,)),      # b
        GraphEntry("AccumulateGrad", (), (2,)),      # a
    ]


def test_a_reused_tensor_is_one_node_with_several_users():
    a = afs.tensor([1., 2.], requires_grad=True)
    edges = graph_edges(a * a + a)
    assert [e.name for e in edges] == ["AddBackward0", "MulBackward0", "AccumulateGrad"]
    assert edges[0].next == ((1, 0), (2, 0)) and edges[1].next == ((2, 0), (2, 0))


def test_graph_edges_accepts_a_node_and_a_leaf():
    a = afs.tensor([1., 2.], requires_grad=True)
    y = a.exp()
    assert graph_edges(y.grad_fn) == graph_edges(y)
    assert graph_edges(a) == [] and graph_edges(afs.tensor([1.])) == []


def test_torch_accumulate_grad_gets_the_short_name():
    t = torch.ones(2, requires_grad=True)
    assert [e.name for e in graph_edges(t * 2)] == ["MulBackward0", "AccumulateGrad"]


def test_linear_layer_functional_matches_torch():
    functional = getattr(getattr(afs, "nn", None), "functional", None)
    if functional is None or not hasattr(functional, "linear"):
        pytest.skip("afs.nn.functional.linear is not there yet")
    x, w, b = _inputs([(2, 4), (5, 4), (5,)])
    ours = functional.linear(afs.tensor(x), afs.tensor(w, requires_grad=True), afs.tensor(b, requires_grad=True))
    theirs = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w, requires_grad=True),
                                        torch.tensor(b, requires_grad=True))
    assert graph_edges(ours.sum()) == graph_edges(theirs.sum())


def test_resnet18_graph_matches_torchvision():
    torchvision = pytest.importorskip("torchvision")
    if not hasattr(getattr(afs, "models", None), "resnet18"):
        pytest.skip("afs.models.resnet18 is not there yet")
    torch.manual_seed(0)
    theirs_model = torchvision.models.resnet18()
    ours_model = afs.models.resnet18()
    ours_model.load_state_dict(theirs_model.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    ours = afs.nn.functional.cross_entropy(ours_model(afs.tensor(x)), afs.tensor([3]))
    theirs = torch.nn.functional.cross_entropy(theirs_model(torch.tensor(x)), torch.tensor([3]))
    ours_edges, theirs_edges = graph_edges(ours), graph_edges(theirs)
    assert len(theirs_edges) > 130
    assert ours_edges == theirs_edges
