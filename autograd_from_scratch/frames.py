"""The backward pass, frame by frame: which node runs, and what gradient goes along each edge.

`backward_steps(root)` runs a real backward pass (through `autograd.grad`, so no `.grad` is
written) with a hook on every node and records, in the order the engine runs them, what each node
receives and what it sends along each of its `next_functions`. It works for a tensor of either
engine, so the two engines' steps can be compared. `backward_frames(root)` draws one picture per
step with `viz.draw_graph`: the running node in orange, every gradient sent so far written on its
edge, arrowheads pointing the way the gradients flow.

    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    Q = 3 * a**3 - b**2
    frames = backward_frames(Q, gradient=afs.tensor([1., 1.]), params={'a': a, 'b': b})
    frames[3]                                   # a graphviz.Digraph: Jupyter shows it
    strip(frames)                               # all frames in a grid (HTML), for slides and HTML
    save_frames(frames, 'my_frames')            # my_frames/frame_00.svg, frame_00.png, ...

scripts/make_figures.py draws figures/backward_frames/ with `backward_frames` (`make figures`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, Optional, Sequence

import graphviz
import numpy as np

from .tensor import to_array
from .viz import Params, _walk, draw_graph, node_name

__all__ = ["Step", "backward_frames", "backward_steps", "fmt_grad", "save_frames", "strip"]


class Step(NamedTuple):
    """One step of the backward pass.

    `node` is the node that ran (None for step 0, the seed); `received` is the gradient it was
    given (every path into it already added up); `sent` has one `(next_node, gradient)` per edge in
    `next_functions` that carried a gradient. For an `AccumulateGrad` node, `received` is what is
    added into its leaf's `.grad` and `sent` is empty.
    """

    node: Any
    name: str
    received: Any
    sent: tuple[tuple[Any, Any], ...]


def fmt_grad(grad: Any, digits: int = 4) -> str:
    """A short label for a gradient: its values for up to 4 elements, else its shape."""
    values = np.asarray(to_array(grad), dtype=np.float64)
    if values.size > 4:
        return "grad " + "(" + ", ".join(map(str, values.shape)) + ")"
    text = ", ".join(f"{v:.{digits}g}" for v in values.reshape(-1))
    return text if values.ndim == 0 else f"[{text}]"


def _is_torch(root: Any) -> bool:
    return type(root).__module__.split(".")[0] == "torch"


def backward_steps(root: Any, gradient: Any = None) -> list[Step]:
    """Run backward from `root` (an afs or torch tensor) and record each node's step, in order.

    `gradient` is the seed (`backward(gradient=...)`), needed when `root` is not a scalar. The
    graph is kept (`retain_graph=True`) and no `.grad` changes, so `root.backward()` still works.
    """
    if root.grad_fn is None:
        raise ValueError("root has no grad_fn: there is no backward graph to step through")
    grad: Any
    if _is_torch(root):
        import torch

        grad, seed = torch.autograd.grad, gradient if gradient is not None else torch.ones_like(root)
    else:
        from . import autograd
        from .creation import ones_like

        grad, seed = autograd.grad, gradient if gradient is not None else ones_like(root)
    nodes = _walk(root.grad_fn)
    leaves = [n.variable for n in nodes if hasattr(n, "variable")]
    steps = [Step(None, "seed", seed, ((root.grad_fn, seed),))]

    def on_node(node: Any):
        def hook(grad_inputs: tuple, grad_outputs: tuple) -> None:
            sent = tuple((child, g) for (child, _), g in zip(node.next_functions, grad_inputs)
                         if child is not None and g is not None)
            steps.append(Step(node, node_name(node), grad_outputs[0], sent))
        return hook

    def on_leaf(node: Any):
        def hook(leaf_grad: Any) -> None:
            steps.append(Step(node, node_name(node), leaf_grad, ()))
        return hook

    handles = [n.variable.register_hook(on_leaf(n)) if hasattr(n, "variable") else n.register_hook(on_node(n))
               for n in nodes]
    try:
        grad([root], leaves, grad_outputs=[seed], retain_graph=True, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    return steps


def _caption(k: int, step: Step, names: dict[int, str]) -> str:
    if step.node is None:
        return f"step {k}: seed the output with v = {fmt_grad(step.received)}"
    if hasattr(step.node, "variable"):
        leaf = names.get(id(step.node.variable), "leaf")
        return f"step {k}: AccumulateGrad: {leaf}.grad += {fmt_grad(step.received)}"
    return f"step {k}: {step.name} receives {fmt_grad(step.received)}"


def backward_frames(root: Any, gradient: Any = None, params: Params = None, *,
                    steps: Optional[Sequence[Step]] = None, rankdir: str = "TB") -> list[graphviz.Digraph]:
    """One `graphviz.Digraph` per step of `backward_steps(root, gradient)` (or the `steps` given).

    Frame k highlights the node that runs at step k and labels every edge that has carried a
    gradient up to and including step k (two edges between the same pair of nodes, as in `x * x`,
    share one arrow labelled `g1 + g2`). `params` names the leaves, as in `viz.draw_graph`.
    """
    steps = backward_steps(root, gradient) if steps is None else list(steps)
    pairs = params.items() if isinstance(params, Mapping) else (params or [])
    names = {id(t): name for name, t in pairs}
    frames, labels = [], {}
    for k, step in enumerate(steps):
        if step.node is None:
            labels[(root, root.grad_fn)] = [fmt_grad(step.received)]
        for child, g in step.sent:
            labels.setdefault((step.node, child), []).append(fmt_grad(g))
        frame = draw_graph(
            root, params, _caption(k, step, names),
            highlight=root if step.node is None else step.node,
            edge_labels={pair: " + ".join(texts) for pair, texts in labels.items()},
            arrows="backward", rankdir=rankdir,
        )
        frame.edge_attr["fontsize"] = "12"  # the gradients are what a frame is about
        frame.graph_attr["fontsize"] = "12"  # the caption
        frames.append(frame)
    return frames


def save_frames(frames: Sequence[graphviz.Digraph], directory: Any, stem: str = "frame",
                formats: Sequence[str] = ("svg", "png")) -> list[Path]:
    """Write each frame as `directory/{stem}_00.svg`, `..._00.png`, ...; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for k, frame in enumerate(frames):
        for fmt in formats:
            path = directory / f"{stem}_{k:02d}.{fmt}"
            path.write_bytes(frame.pipe(format=fmt))
            written.append(path)
    return written


class Strip:
    """All frames in one grid, as HTML with inline SVG: the static view of a frame-by-frame picture."""

    def __init__(self, frames: Sequence[graphviz.Digraph], columns: int) -> None:
        self.frames, self.columns = list(frames), columns

    def _repr_html_(self) -> str:
        svgs = []
        for frame in self.frames:
            svg = frame.pipe(format="svg", encoding="utf-8")
            svgs.append(svg[svg.index("<svg"):])  # drop the XML prologue: the SVG sits inside HTML
        # One scale for every frame (a frame with a longer caption is wider, not drawn smaller).
        widths = [float(re.findall(r'width="([0-9.]+)pt"', s)[0]) for s in svgs]
        cells = []
        for svg, width in zip(svgs, widths):
            svg = re.sub(r'width="[0-9.]+pt" height="[0-9.]+pt"',
                         f'style="width:{100 * width / max(widths):.1f}%;height:auto"', svg, count=1)
            cells.append(f'<div style="border:1px solid #ddd;padding:4px">{svg}</div>')
        return (f'<div style="display:grid;gap:6px;grid-template-columns:repeat({self.columns},1fr)">'
                + "".join(cells) + "</div>")

    def __repr__(self) -> str:
        return f"<{len(self.frames)} frames>"


def strip(frames: Sequence[graphviz.Digraph], columns: int = 4) -> Strip:
    """Show `frames` side by side in rows of `columns` (Jupyter displays the returned object)."""
    return Strip(frames, columns)
