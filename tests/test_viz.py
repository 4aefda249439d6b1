"""afs.viz: one drawing for both engines, stable DOT source, readable for 5 nodes and for ResNet18."""
from __future__ import annotations

import re
import shutil

import pytest
import torch

import autograd_from_scratch as afs
from autograd_from_scratch import viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's `dot` program is not installed")


def q_graph(lib):
    a = lib.tensor([2., 3.], requires_grad=True)
    b = lib.tensor([6., 4.], requires_grad=True)
    return 3 * a**3 - b**2, a, b


def structure(g):
    """The boxes (id -> label) and arrows (pairs of ids) written in a Digraph's DOT source."""
    src = g.source
    boxes = dict(re.findall(r'^\s*(\w+) \[label=("[^"]*"|\S+)', src, flags=re.M))
    arrows = re.findall(r"^\s*(\w+) -> (\w+)", src, flags=re.M)
    return {k: v.strip('"') for k, v in boxes.items()}, arrows


def test_q_looks_the_same_in_both_engines():
    (Q, a, b), (tQ, ta, tb) = q_graph(afs), q_graph(torch)
    ours = viz.draw_graph(Q, params={"a": a, "b": b})
    theirs = viz.draw_graph(tQ, params={"a": ta, "b": tb})
    assert ours.source == theirs.source
    boxes, arrows = structure(ours)
    assert sorted(boxes.values()) == sorted(["SubBackward0", "MulBackward0", "PowBackward0", "PowBackward0",
                                             "a\n(2)", "b\n(2)", "(2)"])
    by_label = {label: box for box, label in boxes.items()}
    # Arrows go forward: from a leaf to its user, from the last operation to the output.
    assert (by_label["a\n(2)"], "n3") in arrows and boxes["n3"] == "PowBackward0"
    assert ("n0", "out") in arrows and boxes["n0"] == "SubBackward0"
    assert len(arrows) == 6


def test_leaves_outputs_and_operations_have_their_own_colors():
    Q, a, b = q_graph(afs)
    src = viz.draw_graph(Q, params={"a": a, "b": b, "Q": Q}).source
    assert re.search(r'label="a\n\(2\)" fillcolor=' + viz.LEAF_COLOR, src)
    assert re.search(r'out \[label="Q\n\(2\)" fillcolor=' + viz.OUTPUT_COLOR, src)
    assert re.search(r"label=SubBackward0 fillcolor=" + viz.OP_COLOR, src)


def test_the_dot_source_is_the_same_on_every_run():
    sources = {viz.draw_graph(q_graph(afs)[0]).source for _ in range(3)}
    sources |= {viz.draw_graph(q_graph(torch)[0]).source for _ in range(3)}
    assert len(sources) == 1
    assert "0x" not in sources.pop()  # no memory addresses


def test_a_grad_fn_draws_without_an_output_box():
    Q, _, _ = q_graph(torch)
    boxes, arrows = structure(viz.draw_graph(Q.grad_fn))
    assert "out" not in boxes and len(boxes) == 6 and len(arrows) == 5


def test_a_leaf_draws_as_its_output_box_alone():
    boxes, arrows = structure(viz.draw_graph(afs.ones(2, 3, requires_grad=True)))
    assert boxes == {"out": "(2, 3)"} and arrows == []


def test_not_a_tensor_is_refused():
    with pytest.raises(TypeError, match="tensor or a grad_fn"):
        viz.draw_graph([1, 2])


def test_highlight_and_edge_labels_for_a_backward_frame():
    Q, a, b = q_graph(afs)
    mul = Q.grad_fn.next_functions[0][0]
    g = viz.draw_graph(Q, highlight=mul, arrows="backward", edge_labels={
        (Q, Q.grad_fn): "[1, 1]",                    # the seed, into the output's arrow
        (Q.grad_fn, mul): "[1, 1]",                  # the order the gradient travels...
        (mul.next_functions[0][0], mul): "[3, 3]",   # ...or the other: both work
    })
    src = g.source
    assert "dir=back" in src
    assert re.search(r"n1 \[label=MulBackward0 fillcolor=orange penwidth=2\]", src)
    assert "n0 -> out [label=\"[1, 1]\"]" in src
    assert "n1 -> n0 [label=\"[1, 1]\"]" in src
    assert "n3 -> n1 [label=\"[3, 3]\"]" in src
    colors = viz.draw_graph(Q, highlight={a: "khaki", Q: "pink"}).source
    assert re.search(r'n5 \[label="\(2\)" fillcolor=khaki', colors)  # a's AccumulateGrad box
    assert re.search(r'out \[label="\(2\)" fillcolor=pink', colors)


def test_invalid_arrows_are_refused():
    with pytest.raises(ValueError, match="arrows"):
        viz.draw_graph(q_graph(afs)[0], arrows="up")


def test_side_by_side_frames_both_graphs_with_their_titles():
    (Q, a, b), (tQ, ta, tb) = q_graph(afs), q_graph(torch)
    g = viz.side_by_side(Q, tQ, params=({"a": a, "b": b}, {"a": ta, "b": tb}), title="Q")
    src = g.source
    assert "subgraph cluster_side0" in src and "label=autograd_from_scratch" in src
    assert "subgraph cluster_side1" in src and 'label="torch.autograd"' in src
    boxes, arrows = structure(g)
    ours = {k[3:]: v for k, v in boxes.items() if k.startswith("s0_")}
    theirs = {k[3:]: v for k, v in boxes.items() if k.startswith("s1_")}
    assert ours == theirs and len(ours) == 7
    # One collection may name the tensors of both engines: they are matched by identity.
    same = viz.side_by_side(Q, tQ, params=[("a", a), ("b", b), ("a", ta), ("b", tb)], title="Q")
    assert same.source == src


@needs_dot
def test_renders_to_svg_and_in_jupyter():
    (Q, a, _), (tQ, _, _) = q_graph(afs), q_graph(torch)
    svg = viz.draw_graph(Q, params={"a": a}, title="Q").pipe(format="svg").decode()
    assert "<svg" in svg and "SubBackward0" in svg
    bundle = viz.side_by_side(Q, tQ)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_max_nodes_cuts_the_drawing():
    x = afs.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(30):
        y = y.tanh() * 2
    boxes, arrows = structure(viz.draw_graph(y, max_nodes=5))
    assert len(boxes) == 5 + 2 and boxes["more"] == "… 56 more nodes"
    assert ("more", "n4") in arrows


def test_cluster_by_needs_params_and_collapse_needs_cluster_by():
    Q = q_graph(afs)[0]
    with pytest.raises(ValueError, match="params"):
        viz.draw_graph(Q, cluster_by=1)
    with pytest.raises(ValueError, match="cluster_by"):
        viz.draw_graph(Q, params={}, collapse=True)


def test_operations_join_the_module_of_their_nearest_parameters():
    w1, w2 = afs.randn(4, 3, requires_grad=True), afs.randn(2, 3, requires_grad=True)
    x = afs.randn(5, 4)
    hidden = (x @ w1).relu()  # relu has no parameters: it joins fc1, the module before it
    y = (hidden @ w2.t()).sum()
    g = viz.draw_graph(y, params={"fc1.weight": w1, "fc2.weight": w2}, cluster_by=1)
    cluster = r"subgraph cluster_\d+ \{\n[^\n]* label=(\w+)[^\n]*\n(.*?)\n\s*\}"
    clusters = dict(re.findall(cluster, g.source, flags=re.S))
    assert "ReluBackward0" in clusters["fc1"] and "fc1.weight" in clusters["fc1"]
    assert "TBackward0" in clusters["fc2"] and "SumBackward0" in clusters["fc2"]
    collapsed = structure(viz.draw_graph(y, params={"fc1.weight": w1, "fc2.weight": w2}, cluster_by=1, collapse=True))
    assert collapsed == ({"g0": "fc2\n3 ops, 1 parameter (6 values)", "g1": "fc1\n2 ops, 1 parameter (12 values)",
                          "out": "()"}, [("g1", "g0"), ("g0", "out")])


@pytest.fixture(scope="module")
def resnet18_loss():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    loss = torch.nn.functional.cross_entropy(model(torch.randn(1, 3, 64, 64)), torch.tensor([3]))
    return model, loss


def resnet_stage(name):
    """stem, layer1 ... layer4, head: the picture of a ResNet in a lecture."""
    top = name.split(".")[0]
    return top if top.startswith("layer") else "head" if top == "fc" else "stem"


@needs_dot
def test_resnet18_renders_large_and_readable(resnet18_loss):
    model, loss = resnet18_loss
    g = viz.draw_graph(loss, params=model.named_parameters(), title="resnet18")
    boxes, arrows = structure(g)
    assert len(boxes) > 130
    assert "fontsize=8" in g.source  # a large graph gets small fonts
    assert "layer4.1.conv2.weight\n(512, 512, 3, 3)" in boxes.values()
    svg = g.pipe(format="svg").decode()
    assert svg.count('class="node"') == len(boxes)
    clustered = viz.draw_graph(loss, params=model.named_parameters(), cluster_by=1)
    assert clustered.pipe(format="svg").decode().count('class="cluster"') == 7  # conv1 bn1 layer1-4 fc


def test_resnet18_collapses_to_its_stages(resnet18_loss):
    model, loss = resnet18_loss
    g = viz.draw_graph(loss, params=model.named_parameters(), cluster_by=resnet_stage, collapse=True)
    boxes, arrows = structure(g)
    names = {box: label.split("\n")[0] for box, label in boxes.items()}
    chain = [names[a] + " -> " + names[b] for a, b in arrows]
    assert chain == ["layer4 -> head", "layer3 -> layer4", "layer2 -> layer3", "layer1 -> layer2",
                     "stem -> layer1", "head -> ()"]
    assert "fontsize=11" in g.source  # seven boxes: normal fonts
