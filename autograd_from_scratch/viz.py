"""Drawing backward graphs, one way for both engines.

`draw_graph(root)` takes a tensor or a `grad_fn` from autograd_from_scratch *or from torch*. It
uses only what the nodes of both engines have, `name()` and `next_functions` (and `.variable` on an
`AccumulateGrad`), so the drawings of the same expression in the two engines can be compared box
for box.

    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    Q = 3 * a**3 - b**2
    draw_graph(Q, params={'a': a, 'b': b})    # a graphviz.Digraph: Jupyter shows it as SVG
    side_by_side(Q, Q_torch)                  # ours and torch's, next to each other

The house style:

- a leaf that requires grad (the `.variable` of an `AccumulateGrad` node) is a blue box with its
  name, when `params` names it, and its shape; the leaf's box stands for its `AccumulateGrad`;
- an operation is a grey box with torch's node name (`MulBackward0`, ...);
- the output, the tensor that was drawn, is a green box with its shape;
- **arrows point in the forward direction**, from an input to the operation that uses it, as
  torchviz draws them: leaves at the top, the output at the bottom. Gradients flow against the
  arrows. `arrows='backward'` turns the arrowheads around (the layout stays), for pictures of the
  backward pass.

The boxes are numbered in the order a breadth-first walk from the output meets them, never by memory
address, so one expression always gives the same DOT source. `graph_edges(root)` is that walk as
plain data: what the tests compare between the two engines.

Big graphs (a ResNet has a few hundred nodes) get small fonts and tight spacing; `cluster_by` frames
the nodes by the module whose parameters they use, `collapse=True` draws each module as one box, and
`max_nodes` cuts the drawing off.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional, Union

import graphviz

__all__ = ["GraphEntry", "draw_graph", "graph_edges", "node_name", "side_by_side"]

Params = Union[Mapping[str, Any], Iterable[tuple[str, Any]], None]
ClusterBy = Union[int, Callable[[str], Optional[str]], None]

OP_COLOR, LEAF_COLOR, OUTPUT_COLOR = "lightgrey", "lightblue", "darkolivegreen1"
GROUP_COLOR, HIGHLIGHT_COLOR = "lightyellow", "orange"
LARGE = 40  # drawings with more boxes than this get small fonts and tight spacing


# -- walking a graph ------------------------------------------------------------------------------
def node_name(node: Any) -> str:
    """`node.name()`, with torch's 'torch::autograd::AccumulateGrad' shortened to 'AccumulateGrad'."""
    return node.name().rsplit("::", 1)[-1]


def _is_node(obj: Any) -> bool:
    return hasattr(obj, "next_functions") and hasattr(obj, "name")


def _start(root: Any) -> tuple[Any, Any]:
    """(the node to walk from, or None; the output tensor, or None) for a tensor or a node."""
    if _is_node(root):
        return root, None
    if hasattr(root, "grad_fn"):
        return root.grad_fn, root
    raise TypeError(f"expected a tensor or a grad_fn node, got {type(root).__name__}")


def _walk(start: Any) -> list[Any]:
    """The nodes reachable from `start`, breadth first, each node's `next_functions` in order.

    The list also keeps torch's Python node objects alive, so that their `id()`s stay valid.
    """
    nodes, seen = [start], {id(start)}
    for node in nodes:  # the list grows while we walk it
        for child, _ in node.next_functions:
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
    return nodes


def _is_leaf(node: Any) -> bool:
    """Whether `node` is a leaf's AccumulateGrad (its `.variable` is the leaf)."""
    return node_name(node) == "AccumulateGrad"


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in tensor.shape)


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


class GraphEntry(NamedTuple):
    """One node in `graph_edges`: its name, its `next_functions` as `(index, output_nr)` or None,
    and, for an `AccumulateGrad`, the shape of its leaf."""

    name: str
    next: tuple[Optional[tuple[int, int]], ...]
    leaf_shape: Optional[tuple[int, ...]] = None


def graph_edges(root: Any) -> list[GraphEntry]:
    """The backward graph of `root` (a tensor or a node, of either engine) as plain data.

    Entry i is the i-th node met by a breadth-first walk from the root (entry 0 is the root's
    `grad_fn`). Its edges are the indices of the nodes in its `next_functions`, with their output
    numbers, and None where `next_functions` has `(None, 0)`. Two graphs give equal lists exactly
    when they have the same node names, wired the same way in the same argument order, with leaves
    of the same shapes.
    """
    start, _ = _start(root)
    if start is None:
        return []
    nodes = _walk(start)
    index = {id(n): i for i, n in enumerate(nodes)}
    return [
        GraphEntry(
            node_name(n),
            tuple(None if c is None else (index[id(c)], int(nr)) for c, nr in n.next_functions),
            _shape(n.variable) if _is_leaf(n) else None,
        )
        for n in nodes
    ]


# -- grouping nodes by module -------------------------------------------------------------------
def _group_of_param(name: str, cluster_by: ClusterBy) -> Optional[str]:
    if callable(cluster_by):
        return cluster_by(name)
    modules = name.split(".")[:-1]  # 'layer1.0.conv1.weight' -> ['layer1', '0', 'conv1']
    return ".".join(modules[:cluster_by]) or None


def _inputs_first(nodes: list, index: dict[int, int]) -> list[int]:
    """Node indices ordered so that each node comes after all of its inputs (depth-first)."""
    order, visited = [], [False] * len(nodes)
    for first in range(len(nodes)):
        if visited[first]:
            continue
        visited[first] = True
        stack = [(first, iter(nodes[first].next_functions))]
        while stack:
            i, children = stack[-1]
            for child, _ in children:
                if child is not None and not visited[index[id(child)]]:
                    j = index[id(child)]
                    visited[j] = True
                    stack.append((j, iter(nodes[j].next_functions)))
                    break
            else:
                stack.pop()
                order.append(i)
    return order


def _groups(nodes: list, leaf_names: list[Optional[str]], cluster_by: ClusterBy) -> list[Optional[str]]:
    """The module group of every node (None: outside any group).

    Nodes do not know which module made them, so this reads it off the parameters. A parameter's
    group comes from its name ('layer1.0.conv1.weight' is in 'layer1' at depth 1). An operation that
    uses parameters is in their group; one that uses none (a ReLU, an addition) is in the group of
    the nearest operation with parameters on its input side, so the ReLU after a convolution is in
    the convolution's module. Ties go to the first input.
    """
    index = {id(node): i for i, node in enumerate(nodes)}
    group = [None if name is None else _group_of_param(name, cluster_by) for name in leaf_names]
    hops: list[Optional[int]] = [None] * len(nodes)  # how far the nearest operation with parameters is
    for i in _inputs_first(nodes, index):
        if _is_leaf(nodes[i]):
            continue
        inputs = [index[id(c)] for c, _ in nodes[i].next_functions if c is not None]
        own = [group[j] for j in inputs if _is_leaf(nodes[j]) and group[j] is not None]
        if own:
            group[i], hops[i] = own[0], 0
            continue
        grouped = {j: hop for j in inputs if not _is_leaf(nodes[j]) and (hop := hops[j]) is not None}
        if grouped:
            nearest = min(grouped, key=grouped.__getitem__)  # the first of the nearest
            group[i], hops[i] = group[nearest], grouped[nearest] + 1
    return group


# -- drawing ------------------------------------------------------------------------------------
class _Box(NamedTuple):
    id: str
    label: str
    color: str
    group: Optional[str]


class _Drawing:
    """One graph's boxes and arrows, decided before anything is written into a Digraph.

    Local ids: 'n<i>' for the i-th node of the walk, 'out' for the output, 'g<k>' for a collapsed
    group, 'more' for the nodes that `max_nodes` leaves out.
    """

    def __init__(self, root: Any, params: Params, cluster_by: ClusterBy, collapse: bool,
                 max_nodes: Optional[int]) -> None:
        if cluster_by is not None and params is None:
            raise ValueError("cluster_by groups the nodes by parameter name: pass params too, e.g. "
                             "params=model.named_parameters()")
        if collapse and cluster_by is None:
            raise ValueError("collapse=True draws each group of cluster_by as one box: pass cluster_by too")
        start, self.output = _start(root)
        self.nodes = _walk(start) if start is not None else []
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        pairs = params.items() if isinstance(params, Mapping) else params or []
        self.names = {id(t): (name, t) for name, t in pairs}  # holding t keeps its id valid
        self.leaf_names = [self.names[id(n.variable)][0] if _is_leaf(n) and id(n.variable) in self.names
                           else None for n in self.nodes]
        self.groups = (_groups(self.nodes, self.leaf_names, cluster_by) if cluster_by is not None
                       else [None] * len(self.nodes))
        self.collapse = collapse
        self.shown = len(self.nodes) if max_nodes is None else min(max_nodes, len(self.nodes))
        self.local = {i: f"n{i}" if i < self.shown else "more" for i in range(len(self.nodes))}
        self.boxes = self._group_boxes() if collapse else []
        self.boxes += self._node_boxes()
        self.arrows = self._arrows()

    def _group_boxes(self) -> list[_Box]:
        """One box per group, which its nodes are drawn as."""
        boxes = []
        groups = self.groups[: self.shown]
        for k, grp in enumerate(dict.fromkeys(g for g in groups if g is not None)):
            members = [i for i, g in enumerate(groups) if g == grp]
            leaves = [self.nodes[i].variable for i in members if _is_leaf(self.nodes[i])]
            values = sum(math.prod(_shape(v)) for v in leaves)
            label = (f"{grp}\n{_count(len(members) - len(leaves), 'op')}, "
                     f"{_count(len(leaves), 'parameter')} ({values:,} values)")
            boxes.append(_Box(f"g{k}", label, GROUP_COLOR, None))
            self.local.update(dict.fromkeys(members, f"g{k}"))
        return boxes

    def _node_boxes(self) -> list[_Box]:
        """A box for every node not in a collapsed group, then the cut-off and the output."""
        boxes = []
        for i, node in enumerate(self.nodes[: self.shown]):
            if self.local[i] != f"n{i}":
                continue
            if _is_leaf(node):
                shape, name = _fmt_shape(_shape(node.variable)), self.leaf_names[i]
                boxes.append(_Box(f"n{i}", shape if name is None else f"{name}\n{shape}", LEAF_COLOR,
                                  self.groups[i]))
            else:
                boxes.append(_Box(f"n{i}", node_name(node), OP_COLOR, self.groups[i]))
        if self.shown < len(self.nodes):
            boxes.append(_Box("more", f"… {len(self.nodes) - self.shown} more nodes", "", None))
        if self.output is not None:
            shape = _fmt_shape(_shape(self.output))
            name = self.names[id(self.output)][0] if id(self.output) in self.names else None
            boxes.append(_Box("out", shape if name is None else f"{name}\n{shape}", OUTPUT_COLOR, None))
        return boxes

    def _arrows(self) -> list[tuple[str, str, bool]]:
        """(input, user, crosses two frames) for each arrow; one per pair of boxes."""
        arrows = []
        for user, node in enumerate(self.nodes[: self.shown]):
            for child, _ in node.next_functions:
                if child is None:
                    continue
                i = self.index[id(child)]
                gi, gu = self.groups[i], self.groups[user]
                crosses = not self.collapse and None not in (gi, gu) and gi != gu
                arrows.append((self.local[i], self.local[user], crosses))
        if self.output is not None and self.nodes:
            arrows.append((self.local[0], "out", False))
        return [(a, b, crosses) for a, b, crosses in dict.fromkeys(arrows) if a != b]

    def find(self, obj: Any) -> Optional[str]:
        """The local id of the box that `obj` (a node, the output, or any tensor) is drawn in."""
        if obj is None:
            return None
        if self.output is not None and obj is self.output:
            return "out"
        if not _is_node(obj):
            if getattr(obj, "grad_fn", None) is not None:
                obj = obj.grad_fn
            else:  # a leaf: its AccumulateGrad
                obj = next((n for n in self.nodes if getattr(n, "variable", None) is obj), None)
        i = self.index.get(id(obj)) if obj is not None else None
        return None if i is None else self.local[i]

    def write(self, g: graphviz.Digraph, prefix: str, highlight: Any, edge_labels: Any) -> None:
        """Add the boxes and arrows to `g` (a Digraph or a subgraph), ids prefixed by `prefix`."""
        if isinstance(highlight, Mapping):
            colors = {self.find(k): c for k, c in highlight.items()}
        else:
            items = highlight if isinstance(highlight, (list, tuple, set)) else [highlight]
            colors = {self.find(k): HIGHLIGHT_COLOR for k in items}
        labels = {}
        for (a, b), text in (edge_labels or {}).items():
            ka, kb = self.find(a), self.find(b)
            if ka is not None and kb is not None:  # else the pair is in the other graph
                labels[(ka, kb)] = labels[(kb, ka)] = str(text)  # either order: no 2-cycles in a DAG

        def add(target: Any, box: _Box) -> None:
            if box.id == "more":
                target.node(prefix + box.id, box.label, shape="plaintext", style="")
            elif box.id in colors:
                target.node(prefix + box.id, box.label, fillcolor=colors[box.id], penwidth="2")
            else:
                target.node(prefix + box.id, box.label, fillcolor=box.color)

        clusters: dict[str, list[_Box]] = {}
        for box in self.boxes:
            if box.group is None:
                add(g, box)
            else:
                clusters.setdefault(box.group, []).append(box)
        for k, (grp, boxes) in enumerate(clusters.items()):
            with g.subgraph(name=f"cluster_{prefix}{k}") as c:
                c.attr(label=grp, style="rounded,dashed", color="grey50", labeljust="l")
                for box in boxes:
                    add(c, box)
        for a, b, cross in self.arrows:
            attrs = {"label": labels[(a, b)]} if (a, b) in labels else {}
            if cross:
                # An empty rank between two modules keeps their frames from sharing a rank, which
                # would push them apart sideways, into a staircase.
                attrs["minlen"] = "2"
            g.edge(prefix + a, prefix + b, **attrs)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _digraph(n_boxes: int, title: Optional[str], arrows: str, rankdir: str) -> graphviz.Digraph:
    """An empty Digraph in the house style: compact boxes, smaller still for a large graph."""
    if arrows not in ("forward", "backward"):
        raise ValueError(f"arrows must be 'forward' or 'backward', not {arrows!r}")
    large = n_boxes > LARGE
    graph = {"rankdir": rankdir, "ranksep": "0.18" if large else "0.3", "nodesep": "0.12" if large else "0.25",
             "fontname": "Helvetica", "fontsize": "12" if large else "14"}
    node = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "penwidth": "0.8",
            "fontsize": "8" if large else "11", "height": "0.2" if large else "0.3",
            "margin": "0.05,0.02" if large else "0.1,0.05"}
    edge = {"arrowsize": "0.5" if large else "0.7", "penwidth": "0.8", "fontname": "Helvetica",
            "fontsize": "7" if large else "10", "fontcolor": "firebrick"}
    if arrows == "backward":
        edge["dir"] = "back"
    g = graphviz.Digraph(graph_attr=graph, node_attr=node, edge_attr=edge)
    if title is not None:
        g.attr(label=title, labelloc="t")
    return g


def draw_graph(
    root: Any,
    params: Params = None,
    title: Optional[str] = None,
    *,
    highlight: Any = None,
    edge_labels: Optional[Mapping[tuple[Any, Any], Any]] = None,
    arrows: str = "forward",
    cluster_by: ClusterBy = None,
    collapse: bool = False,
    max_nodes: Optional[int] = None,
    rankdir: str = "TB",
) -> graphviz.Digraph:
    """Draw the backward graph of `root`, a tensor or a `grad_fn`, of autograd_from_scratch or torch.

    - `params`: names for tensors, `{'a': a, 'b': b}` or `model.named_parameters()`. They are
      matched by identity, so one collection may name the tensors of both engines. Naming the
      output names its box too.
    - `highlight`: a node or tensor, a list of them (drawn orange) or a dict {node or tensor: color}.
      A tensor stands for the node that made it, a leaf for its AccumulateGrad.
    - `edge_labels`: {(node, next_node): text}, where `next_node` is in `node.next_functions`: the
      pair in the direction the gradient travels (the other order works too). The pair
      `(output, output.grad_fn)` labels the arrow into the output. One frame of a backward pass:
      `draw_graph(Q, highlight=node, edge_labels={(node, nxt): f'{g}' for ...}, arrows='backward')`.
    - `arrows`: 'forward' (from inputs to their users, the default) or 'backward' (same layout,
      arrowheads towards the leaves, where the gradients go).
    - `cluster_by`: frame the nodes by module, given `params`: a depth (1 puts the parameter
      'layer1.0.conv1.weight' in 'layer1') or a function from parameter name to group name (or
      None). An operation without parameters joins the nearest group on its input side.
    - `collapse`: with `cluster_by`, draw each group as a single box.
    - `max_nodes`: draw only the first `max_nodes` nodes of a breadth-first walk from the output.
    - `rankdir`: 'TB' (top to bottom, the default) or 'LR'.
    """
    drawing = _Drawing(root, params, cluster_by, collapse, max_nodes)
    g = _digraph(len(drawing.boxes), title, arrows, rankdir)
    drawing.write(g, "", highlight, edge_labels)
    return g


def side_by_side(
    ours: Any,
    theirs: Any,
    titles: tuple[str, str] = ("autograd_from_scratch", "torch.autograd"),
    *,
    params: Any = None,
    title: Optional[str] = None,
    highlight: Any = None,
    edge_labels: Optional[Mapping[tuple[Any, Any], Any]] = None,
    arrows: str = "forward",
    cluster_by: ClusterBy = None,
    collapse: bool = False,
    max_nodes: Optional[int] = None,
    rankdir: str = "TB",
) -> graphviz.Digraph:
    """Two graphs in one picture, each in a titled frame: ours on the left, torch's on the right.

    The keywords are `draw_graph`'s, applied to both. `params` is one collection for both (matched
    by identity: `[('a', a), ('b', b), ('a', a_torch), ('b', b_torch)]`) or a pair of dicts
    `(ours_params, theirs_params)`. `highlight` and `edge_labels` may mix nodes of both graphs.
    """
    if isinstance(params, tuple) and len(params) == 2 and all(p is None or isinstance(p, Mapping) for p in params):
        params_ours, params_theirs = params
    else:  # one collection, read twice: a generator such as named_parameters() is read once here
        params_ours = params_theirs = None if params is None else list(
            params.items() if isinstance(params, Mapping) else params)
    drawings = [_Drawing(ours, params_ours, cluster_by, collapse, max_nodes),
                _Drawing(theirs, params_theirs, cluster_by, collapse, max_nodes)]
    g = _digraph(max(len(d.boxes) for d in drawings), title, arrows, rankdir)
    for k, (drawing, name) in enumerate(zip(drawings, titles)):
        with g.subgraph(name=f"cluster_side{k}") as frame:
            frame.attr(label=name, labelloc="t", style="rounded", color="grey70")
            drawing.write(frame, f"s{k}_", highlight, edge_labels)
    return g
