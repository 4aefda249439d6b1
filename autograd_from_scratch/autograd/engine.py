"""The backward pass: visit the graph from the output back to the leaves, applying the chain rule.

1. Order the nodes so that every node comes before the nodes it feeds into backward
   (a depth-first search from the roots, reversed: a topological order).
2. Seed the roots with their gradients (`1` for a scalar loss, or the `gradient=` you pass).
3. Visit the nodes in that order. By the time a node is visited every path into it has delivered
   its gradient, and the gradients arriving on different paths have been *added* (a tensor used
   twice gets the sum of both contributions). The node's `backward` turns the gradient of its
   output into gradients of its inputs, which are sent along `next_functions`.
4. An `AccumulateGrad` node adds what reaches it into its leaf's `.grad`.
5. Unless `retain_graph=True`, each node frees its saved tensors once it has run.

`autograd.grad` runs the same loop but returns the gradients of the tensors you name instead of
writing any `.grad`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from .function import AccumulateGrad, Edge, Function, Node
from .grad_mode import set_grad_enabled

if TYPE_CHECKING:
    from ..tensor import Tensor


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Every node before the nodes its gradients flow to (reverse depth-first post-order)."""
    order: list[Node] = []
    visited: set[int] = set()
    for root in roots:
        stack = [(root, iter(root.next_functions))]
        visited.add(id(root))
        while stack:
            node, children = stack[-1]
            for child, _ in children:
                if child is not None and id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(child.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order[::-1]


def _root_gradient(i: int, root: "Tensor", grad: Optional["Tensor"]) -> "Tensor":
    from ..tensor import Tensor, ones

    if not root.requires_grad:
        raise RuntimeError(
            f"element {i} of tensors does not require grad and does not have a grad_fn: nothing "
            "was recorded for it. Create the leaves with requires_grad=True (or call "
            ".requires_grad_()) before computing it, outside any no_grad() block."
        )
    if grad is None:
        if root.numel() != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: this output has shape "
                f"{list(root.shape)}. Pass backward(gradient=...) with a tensor of that shape "
                "(the vector v of the vector-Jacobian product), or reduce it first, e.g. "
                ".sum().backward()."
            )
        return ones(root.shape, dtype=root.dtype)
    grad = grad if isinstance(grad, Tensor) else Tensor(grad, dtype=root.dtype)
    if grad.shape != root.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {list(grad.shape)} and "
            f"output[{i}] has a shape of {list(root.shape)}. The gradient must have the shape of "
            "the tensor that backward is called on."
        )
    return grad


def _fit_to_input(node: Function, k: int, grad: "Tensor") -> "Tensor":
    """Undo broadcasting in one place: sum `grad` back to input k's shape, cast to its dtype."""
    shape, dtype = node._input_meta[k]
    if grad.shape != shape:
        try:
            np.broadcast_shapes(shape, grad.shape)
            grad = grad.sum_to_size(shape)
        except ValueError:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {k} - got "
                f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
            ) from None
    return grad if grad.dtype == dtype else grad.to(dtype)


def _call_backward(node: Function, grads: list, run: object) -> list:
    """Run one node's backward; return one gradient (or None) per tensor input.

    A gradient in a new buffer of its own, seen by no hook, is marked as made in this backward
    pass (`run`): nothing else holds it, so AccumulateGrad may keep it as `.grad` without a copy.
    """
    from ..tensor import Tensor, zeros

    grads = [zeros(s, dtype=d) if g is None else g for g, (s, d) in zip(grads, node._output_meta)]
    result = type(node).backward(node, *grads)
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != len(node._arg_is_tensor):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients (expected "
            f"{len(node._arg_is_tensor)}, got {len(result)})"
        )
    tensor_grads = [g for g, is_t in zip(result, node._arg_is_tensor) if is_t]
    fitted = [None if g is None else _fit_to_input(node, k, g if isinstance(g, Tensor) else Tensor(g))
              for k, g in enumerate(tensor_grads)]
    # Buffers that something besides one returned gradient may hold: the incoming gradients', the
    # saved tensors', and any returned twice.
    arrays = [g.data if isinstance(g, Tensor) else g for g in list(grads) + list(result) if g is not None]
    held = [id(_buffer(a)) for a in arrays + [s.tensor.data for s in node._saved or [] if s is not None]]
    for g in fitted:
        if g is not None:
            alone = held.count(id(_buffer(g.data))) <= 1 and not getattr(node, "_post_hooks", None)
            g._made_in = run if alone else None
    return fitted


def _buffer(a: np.ndarray) -> object:
    """The array that owns the memory `a` looks at (`a` itself unless it is a view)."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def _apply_tensor_hooks(node: Node, nr: int, grad: "Tensor") -> "Tensor":
    """Hooks registered with `tensor.register_hook`, then `retain_grad`, on a non-leaf output."""
    for hook in getattr(node, "_tensor_hooks", {}).get(nr, []):
        new = hook(grad)
        grad = grad if new is None else new
    retained = getattr(node, "_retained", {}).get(nr)
    if retained is not None:
        retained.grad = grad if retained.grad is None else retained.grad + grad
    return grad


def run_backward(
    roots: Sequence["Tensor"],
    grad_roots: Sequence[Optional["Tensor"]],
    retain_graph: Optional[bool] = None,
    create_graph: bool = False,
    inputs: Optional[Sequence["Tensor"]] = None,
    allow_unused: bool = False,
) -> Optional[tuple]:
    """The engine behind `Tensor.backward` (inputs=None) and `autograd.grad` (inputs given)."""
    if retain_graph is None:
        retain_graph = create_graph
    seeds = [_root_gradient(i, r, g) for i, (r, g) in enumerate(zip(roots, grad_roots))]
    root_edges = [r._edge() for r in roots]

    targets: dict[tuple[int, int], int] = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            if not t.requires_grad:
                raise RuntimeError(f"One of the differentiated Tensors (index {k}) does not require grad")
            node, nr = t._edge()
            targets[(id(node), nr)] = k
    captured: list = [None] * (len(inputs) if inputs is not None else 0)

    buffers: dict[int, list] = {}
    run = object()  # this backward pass: marks the gradients it makes (see _call_backward)

    def send(edge: Edge, grad: "Tensor") -> None:
        node, nr = edge
        if node is None:
            return
        slots = buffers.setdefault(id(node), [None] * len(getattr(node, "_output_meta", [0])))
        slots[nr] = grad if slots[nr] is None else slots[nr] + grad

    for edge, seed in zip(root_edges, seeds):
        send(edge, seed)

    with set_grad_enabled(create_graph):
        for node in topological_order([e[0] for e in root_edges]):
            grads = buffers.pop(id(node), None)
            if grads is None:
                continue  # nothing flowed here (e.g. a branch pruned by a zero-size input)
            if isinstance(node, AccumulateGrad):
                if inputs is None:
                    node.accumulate(grads[0], create_graph, run)
                elif (id(node), 0) in targets:
                    grad = grads[0]
                    for hook in node.variable._hooks:
                        new = hook(grad)
                        grad = grad if new is None else new
                    captured[targets[(id(node), 0)]] = grad
                continue
            grads = [g if g is None else _apply_tensor_hooks(node, nr, g) for nr, g in enumerate(grads)]
            for nr, g in enumerate(grads):
                if (id(node), nr) in targets:
                    captured[targets[(id(node), nr)]] = g
            input_grads = _call_backward(node, grads, run)
            for hook in getattr(node, "_post_hooks", []):
                hook(tuple(input_grads), tuple(grads))
            if not retain_graph:
                node._free_saved()
            for edge, g in zip(node.next_functions, input_grads):
                if g is not None:
                    send(edge, g)

    if inputs is None:
        return None
    for k, g in enumerate(captured):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (index {k}) appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior."
            )
    return tuple(captured)
