"""Drawing backward graphs, one way for both engines.

`draw_graph(root)` takes a tensor or a `grad_fn` from autograd_from_scratch *or from torch*: it only
uses what both engines' nodes have, `name()` and `next_functions` (and `.variable` on an
`AccumulateGrad`), so the two drawings of the same expression can be compared box for box.

    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    Q = 3 * a**3 - b**2
    draw_graph(Q, params={'a': a, 'b': b})      # a graphviz.Digraph; Jupyter shows it as SVG
    side_by_side(Q, Q_torch)                    # ours and torch's, next to each other

The house style:

- a leaf that requires grad (the `.variable` of an `AccumulateGrad` node) is a blue box with its
  name (when `params` names it) and its shape; the `AccumulateGrad` node itself is not drawn
  separately, the leaf's box stands for it;
- an operation is a grey box with torch's node name (`MulBackward0`, ...);
- the output (the tensor `draw_graph` was given) is a green box with its shape.
- Arrows point in the *forward* direction, from inputs to the operation that uses them, as
  torchviz draws them: leaves at the top, the output at the bottom. Gradients flow against the
  arrows. `arrows='backward'` turns the arrowheads around (the layout stays the same), which suits
  pictures of the backward pass.

Node ids are numbers given in the order a breadth-first walk from the output meets the nodes, never
memory addresses, so the same expression always gives the same DOT source. `graph_edges(root)` is
that walk as data: the structure the tests compare between the two engines.

For big graphs (a ResNet has a few hundred nodes), the fonts and spacing shrink, `max_nodes` cuts
the drawing off, and `cluster_by` groups the nodes by the module whose parameters they use (and
`collapse=True` draws each group as a single box).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional, Union

import graphviz

__all__ = ["GraphEntry", "draw_graph", "graph_edges", "node_name", "side_by_side"]

Params = Union[Mapping[str, Any], Iterable[tuple[str, Any]], None]
ClusterBy = Union[int, Callable[[str], Optional[str]], None]

OP_COLOR, LEAF_COLOR, OUTPUT_COLOR, HIGHLIGHT_COLOR = "lightgrey", "lightblue", "darkolivegreen1", "orange"
LARGE = 40  # graphs with more nodes than this get small fonts and tight spacing


# -- walking a graph ------------------------------------------------------------------------------
def node_name(node: Any) -> str:
    """`node.name()`, with torch's 'torch::autograd::AccumulateGrad' shortened to 'AccumulateGrad'."""
    return node.name().rsplit("::", 1)[-1]


def _is_node(obj: Any) -> bool:
    return hasattr(obj, "next_functions") and hasattr(obj, "name")


def _root(root: Any) -> tuple[Any, Any]:
    """(the graph node to start from or None, the output tensor or None) for a tensor or a node."""
    if _is_node(root):
        return root, None
    if hasattr(root, "grad_fn"):
        return root.grad_fn, root
    raise TypeError(f"draw a tensor or a grad_fn node, not {type(root).__name__}")


def _walk(start: Any) -> list[Any]:
    """Every node reachable from `start`, in breadth-first order, following `next_functions` in order.

    The list also keeps torch's Python node objects alive, so their `id()`s stay valid meanwhile.
    """
    nodes, seen = [start], {id(start)}
    for node in nodes:  # the list grows while we walk it
        for child, _ in node.next_functions:
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
    return nodes


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in tensor.shape)


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


class GraphEntry(NamedTuple):
    """One node of `graph_edges`: its name, its `next_functions` as (index, output_nr) or None, and
    for an `AccumulateGrad` the shape of its leaf."""

    name: str
    next: tuple[Optional[tuple[int, int]], ...]
    leaf_shape: Optional[tuple[int, ...]] = None


def graph_edges(root: Any) -> list[GraphEntry]:
    """The backward graph below `root` (a tensor or a node, of either engine) as plain data.

    Entry i describes the i-th node met by a breadth-first walk from the root (entry 0 is the root's
    `grad_fn`); each edge is the index of the node it leads to and the output number, or None where
    `next_functions` has `(None, 0)`. Two graphs have equal lists exactly when they have the same
    node names, connected the same way in the same argument order, with leaves of the same shapes.
    """
    start, tensor = _root(root)
    if start is None:
        return []
    nodes = _walk(start)
    index = {id(n): i for i, n in enumerate(nodes)}
    return [
        GraphEntry(
            node_name(n),
            tuple(None if c is None else (index[id(c)], int(nr)) for c, nr in n.next_functions),
            _shape(n.variable) if hasattr(n, "variable") else None,
        )
        for n in nodes
    ]


# -- grouping nodes by module ------------------------------------------------------------------
def _param_names(params: Params) -> dict[int, tuple[str, Any]]:
    """id(tensor) -> (name, tensor); the tensor is kept so that the id stays valid."""
    if params is None:
        return {}
    pairs = params.items() if isinstance(params, Mapping) else params
    return {id(t): (name, t) for name, t in pairs}


def _group_of_name(name: str, cluster_by: ClusterBy) -> Optional[str]:
    if callable(cluster_by):
        return cluster_by(name)
    modules = name.split(".")[:-1]  # 'layer1.0.conv1.weight' -> ['layer1', '0', 'conv1']
    return ".".join(modules[:cluster_by]) or None


def _groups(nodes: list, leaf_names: list[Optional[str]], cluster_by: ClusterBy) -> list[Optional[str]]:
    """The group of each node.

    A leaf's group comes from its parameter name ('layer1.0.conv1.weight' is in 'layer1' at depth
    1). An operation that uses parameters belongs to their group; one without parameters (a ReLU, an
    addition) belongs to the group of the nearest operation with parameters on its input side, so
    a ReLU after a block's convolution is in that block. Ties go to the first input.
    """
    n = len(nodes)
    index = {id(node): i for i, node in enumerate(nodes)}
    group: list[Optional[str]] = [None] * n
    for i, name in enumerate(leaf_names):
        if name is not None:
            group[i] = _group_of_name(name, cluster_by)
    is_leaf = [hasattr(node, "variable") for node in nodes]
    distance: list[Optional[int]] = [None] * n
    for i in _inputs_first(nodes, index):  # a node's inputs are decided before the node
        if is_leaf[i]:
            continue
        children = [index[id(c)] for c, _ in nodes[i].next_functions if c is not None]
        own = [group[c] for c in children if is_leaf[c] and group[c] is not None]
        if own:
            group[i], distance[i] = own[0], 0
            continue
        best = None
        for c in children:
            if not is_leaf[c] and distance[c] is not None and (best is None or distance[c] < distance[best]):
                best = c
        if best is not None:
            group[i], distance[i] = group[best], distance[best] + 1
    return group


def _inputs_first(nodes: list, index: dict[int, int]) -> list[int]:
    """Node indices ordered so that every node comes after all of its inputs (iterative DFS)."""
    order, done = [], [False] * len(nodes)
    for start in range(len(nodes)):
        if done[start]:
            continue
        done[start] = True
        stack = [(start, iter(nodes[start].next_functions))]
        while stack:
            i, children = stack[-1]
            for child, _ in children:
                if child is not None and not done[index[id(child)]]:
                    j = index[id(child)]
                    done[j] = True
                    stack.append((j, iter(nodes[j].next_functions)))
                    break
            else:
                stack.pop()
                order.append(i)
    return order


# -- drawing ------------------------------------------------------------------------------------
def _as_list(objs: Any) -> list:
    if objs is None:
        return []
    return list(objs) if isinstance(objs, (list, tuple, set, frozenset)) else [objs]


def _style(n_nodes: int) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(graph, node, edge) attributes: compact boxes, and smaller still for a large graph."""
    large = n_nodes > LARGE
    graph = {"rankdir": "TB", "ranksep": "0.18" if large else "0.3", "nodesep": "0.12" if large else "0.25",
             "fontname": "Helvetica", "fontsize": "12" if large else "14"}
    node = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
            "fontsize": "8" if large else "11", "height": "0.2" if large else "0.3",
            "margin": "0.05,0.02" if large else "0.1,0.05", "penwidth": "0.8"}
    edge = {"arrowsize": "0.5" if large else "0.7", "penwidth": "0.8", "fontname": "Helvetica",
            "fontsize": "7" if large else "10", "fontcolor": "firebrick"}
    return graph, node, edge


class _Drawing:
    """The nodes and edges of one graph, decided before anything is written to a Digraph."""

    def __init__(self, root: Any, params: Params, cluster_by: ClusterBy, max_nodes: Optional[int]) -> None:
        if cluster_by is not None and params is None:
            raise ValueError("cluster_by groups nodes by parameter names: pass params= too, e.g. "
                             "params=model.named_parameters()")
        self.start, self.output = _root(root)
        self.nodes = _walk(self.start) if self.start is not None else []
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        names = _param_names(params)
        self.leaf_names = [
            names[id(n.variable)][0] if hasattr(n, "variable") and id(n.variable) in names else None
            for n in self.nodes
        ]
        self.groups = _groups(self.nodes, self.leaf_names, cluster_by) if cluster_by is not None else [None] * len(self.nodes)
        self.shown = len(self.nodes) if max_nodes is None else min(max_nodes, len(self.nodes))

    def size(self) -> int:
        return self.shown + 1

    def find(self, obj: Any) -> Optional[str]:
        """The local id of what `obj` (a node, the output tensor or a leaf tensor) is drawn as."""
        if obj is None:
            return None
        if self.output is not None and obj is self.output:
            return "out"
        if not _is_node(obj):
            if getattr(obj, "grad_fn", None) is not None:
                obj = obj.grad_fn
            else:  # a leaf: find its AccumulateGrad
                obj = next((n for n in self.nodes if getattr(n, "variable", None) is obj), None)
        i = self.index.get(id(obj)) if obj is not None else None
        return None if i is None or i >= self.shown else f"n{i}"

    def edges(self) -> list[tuple[str, str]]:
        """(input, user) pairs of local ids, in walk order; hidden inputs lead to 'more'."""
        out: list[tuple[str, str]] = []
        for i, node in enumerate(self.nodes[: self.shown]):
            for child, _ in node.next_functions:
                if child is not None:
                    j = self.index[id(child)]
                    out.append((f"n{j}" if j < self.shown else "more", f"n{i}"))
        if self.output is not None and self.start is not None:
            out.append(("n0", "out"))
        return list(dict.fromkeys(out))  # an input used twice by one node: one arrow

    def label(self, i: int) -> str:
        node = self.nodes[i]
        if hasattr(node, "variable"):
            shape = _fmt_shape(_shape(node.variable))
            return shape if self.leaf_names[i] is None else f"{self.leaf_names[i]}\n{shape}"
        return node_name(node)


def _draw(g: graphviz.Digraph, d: _Drawing, prefix: str, highlight: Any, edge_labels: Any,
          collapse: bool) -> None:
    """Write drawing `d` into `g` (a Digraph or a subgraph), its node ids prefixed by `prefix`."""
    highlighted = {d.find(h) for h in _as_list(highlight)} - {None}
    groups = d.groups[: d.shown]
    order = list(dict.fromkeys(grp for grp in groups if grp is not None))
    box: dict[str, str] = {}  # local id -> the id it is drawn as (its group's box when collapsed)

    def node(target: Any, local: str, label: str, color: str) -> None:
        attrs = {"fillcolor": HIGHLIGHT_COLOR, "penwidth": "2"} if local in highlighted else {"fillcolor": color}
        target.node(prefix + local, label, **attrs)

    if collapse:
        for k, grp in enumerate(order):
            members = [i for i, gi in enumerate(groups) if gi == grp]
            leaves = [d.nodes[i].variable for i in members if hasattr(d.nodes[i], "variable")]
            weights = sum(int(_prod(_shape(v))) for v in leaves)
            ops = len(members) - len(leaves)
            node(g, f"g{k}", f"{grp}\n{ops} ops, {len(leaves)} parameters ({weights:,} numbers)", LEAF_COLOR)
            for i in members:
                box[f"n{i}"] = f"g{k}"
    clusters = {grp: [] for grp in order} if not collapse else {}
    for i in range(d.shown):
        local = f"n{i}"
        if local in box:
            continue
        box[local] = local
        color = LEAF_COLOR if hasattr(d.nodes[i], "variable") else OP_COLOR
        if groups[i] is not None:
            clusters[groups[i]].append((local, d.label(i), color))
        else:
            node(g, local, d.label(i), color)
    for k, (grp, members) in enumerate(clusters.items()):
        with g.subgraph(name=f"cluster_{prefix}{k}") as c:
            c.attr(label=grp, style="rounded,dashed", color="grey50", labeljust="l")
            for local, label, color in members:
                node(c, local, label, color)
    if d.shown < len(d.nodes):
        g.node(prefix + "more", f"… {len(d.nodes) - d.shown} more nodes", shape="plaintext", style="")
        box["more"] = "more"
    if d.output is not None:
        node(g, "out", _fmt_shape(_shape(d.output)), OUTPUT_COLOR)
        box["out"] = "out"

    labels = {}
    for (a, b), text in (edge_labels or {}).items():
        ka, kb = d.find(a), d.find(b)
        if ka is not None and kb is not None:  # else the pair belongs to the other graph
            labels[(ka, kb)] = labels[(kb, ka)] = str(text)  # either order: a DAG has no 2-cycles
    drawn = set()
    for src, dst in d.edges():
        u, v = box[src], box[dst]
        if u == v or (u, v) in drawn:
            continue
        drawn.add((u, v))
        text = labels.get((src, dst))
        g.edge(prefix + u, prefix + v, **({"label": text} if text is not None else {}))


def _prod(shape: tuple[int, ...]) -> int:
    out = 1
    for n in shape:
        out *= n
    return out


def _digraph(n_nodes: int, title: Optional[str], arrows: str, rankdir: str) -> graphviz.Digraph:
    if arrows not in ("forward", "backward"):
        raise ValueError(f"arrows must be 'forward' or 'backward', not {arrows!r}")
    graph, node, edge = _style(n_nodes)
    graph["rankdir"] = rankdir
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
    edge_labels: Optional[Mapping[tuple[Any, Any], str]] = None,
    arrows: str = "forward",
    cluster_by: ClusterBy = None,
    collapse: bool = False,
    max_nodes: Optional[int] = None,
    rankdir: str = "TB",
) -> graphviz.Digraph:
    """Draw the backward graph of `root`: a tensor or a `grad_fn`, of autograd_from_scratch or torch.

    - `params`: names for leaves, `{'a': a, 'b': b}` or `model.named_parameters()` (matched by
      identity, so one collection may hold the tensors of both engines).
    - `highlight`: a node, a tensor, or a list of them, drawn in orange (a tensor stands for the node
      that made it; a leaf for its AccumulateGrad).
    - `edge_labels`: `{(node, next_node): text}`, one entry per edge to label, the pair in the order
      of the backward pass (`next_node` is in `node.next_functions`; either order is accepted).
      `(output_tensor, output_tensor.grad_fn)` labels the arrow into the output. For a frame of
      the backward pass: `{(node, nxt): f'{g:.2f}' for ...}` with `highlight=node`.
    - `arrows`: 'forward' (inputs to users, the default) or 'backward' (same layout, arrowheads
      turned towards the leaves, the way the gradients flow).
    - `cluster_by`: group the nodes by module: an int depth (1 puts 'layer1.0.conv1.weight' in
      'layer1') or a function from a parameter name to a group name (or None). Needs `params`.
      Operations without parameters join the nearest group on their input side.
    - `collapse`: with `cluster_by`, draw each group as one box.
    - `max_nodes`: draw only the first nodes of a breadth-first walk from the output.
    - `rankdir`: 'TB' (top to bottom, the default) or 'LR'.
    """
    d = _Drawing(root, params, cluster_by, max_nodes)
    g = _digraph(d.size(), title, arrows, rankdir)
    _draw(g, d, "", highlight, edge_labels, collapse)
    return g


def side_by_side(
    ours: Any,
    theirs: Any,
    titles: tuple[str, str] = ("autograd_from_scratch", "torch.autograd"),
    *,
    params: Any = None,
    title: Optional[str] = None,
    highlight: Any = None,
    edge_labels: Optional[Mapping[tuple[Any, Any], str]] = None,
    arrows: str = "forward",
    cluster_by: ClusterBy = None,
    collapse: bool = False,
    max_nodes: Optional[int] = None,
    rankdir: str = "TB",
) -> graphviz.Digraph:
    """Two graphs in one picture, each in a titled frame: ours on the left, torch's on the right.

    The keyword arguments are those of `draw_graph`, applied to both. `params` may be one collection
    for both (leaves are matched by identity, so `[('a', a), ('a', a_torch)]` names both) or a pair
    `(ours_params, theirs_params)` of mappings. `highlight` and `edge_labels` may mention nodes of
    either graph.
    """
    if isinstance(params, tuple) and len(params) == 2 and all(p is None or isinstance(p, Mapping) for p in params):
        params_ours, params_theirs = params
    else:
        params_ours = params_theirs = list(params.items() if isinstance(params, Mapping) else params or [])
    drawings = [_Drawing(ours, params_ours, cluster_by, max_nodes),
                _Drawing(theirs, params_theirs, cluster_by, max_nodes)]
    g = _digraph(max(d.size() for d in drawings), title, arrows, rankdir)
    for k, (d, name) in enumerate(zip(drawings, titles)):
        with g.subgraph(name=f"cluster_side{k}") as sub:
            sub.attr(label=name, labelloc="t", style="rounded", color="grey70")
            _draw(sub, d, f"s{k}_", highlight, edge_labels, collapse)
    return g
