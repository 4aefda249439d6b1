"""The backward pass: visit the graph from the outputs back to the leaves, applying the chain rule.

1. Order the nodes so that every node comes before the nodes it sends gradients to
   (a depth-first search from the roots, reversed: a topological order).
2. Seed the roots with their gradients (`1` for a scalar loss, or the `gradient=` you pass).
3. Visit the nodes in that order. By the time a node is visited every path into it has delivered
   its gradient to its `InputBuffer`, where gradients arriving on different paths are *added* (a
   tensor used twice gets the sum of both contributions). The node turns the gradients of its
   outputs into gradients of its inputs, which are sent along `next_functions`.
4. An `AccumulateGrad` node adds what reaches it into its leaf's `.grad`.
5. Unless `retain_graph=True`, each node frees its saved tensors once it has run.

`autograd.grad` runs the same loop, but returns the gradients of the tensors you name (it
*captures* them on the way) instead of writing any `.grad`. One run of the loop is a `GraphTask`,
as torch calls it.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..tensor import Tensor
from .grad_mode import set_grad_enabled
from .graph import AccumulateGrad, GradientEdge, Grads, Node, get_gradient_edge


def run_backward(roots: Sequence[Tensor], grad_roots: Sequence[Optional[Tensor]],
                 retain_graph: Optional[bool] = None, create_graph: bool = False,
                 inputs: Optional[Sequence[Tensor]] = None, allow_unused: bool = False,
                 accumulate_grad: bool = True) -> tuple:
    """The engine behind `Tensor.backward` and `autograd.backward` (accumulate into `.grad`,
    of every leaf or of `inputs` only) and `autograd.grad` (return the gradients of `inputs`)."""
    keep_graph = create_graph if retain_graph is None else retain_graph
    task = GraphTask(roots, inputs, keep_graph, accumulate_grad)
    for i, (root, grad) in enumerate(zip(roots, grad_roots)):
        task.send(get_gradient_edge(root), root_gradient(i, root, grad), owned=False)
    with set_grad_enabled(create_graph):
        for node in task.order:
            grads = task.take(node)
            if grads is None:
                continue  # nothing flowed here (a branch whose gradients were all None)
            grads = call_pre_hooks(node, grads)
            task.capture(node, grads)
            if task.should_execute(node):
                for edge, grad, owned in call_function(task, node, grads):
                    task.send(edge, grad, owned)
    return () if accumulate_grad else task.captured_grads(allow_unused)


class InputBuffer:
    """The gradients arriving at one node, one slot per output of the node, summed as they come."""

    def __init__(self, size: int) -> None:
        self.grads: list[Optional[Tensor]] = [None] * size

    def add(self, output_nr: int, grad: Tensor) -> Tensor:
        old = self.grads[output_nr]
        summed = grad if old is None else old + grad
        self.grads[output_nr] = summed
        return summed


class GraphTask:
    """One run of the backward pass: the nodes to visit, their input buffers, what to capture."""

    def __init__(self, roots: Sequence[Tensor], inputs: Optional[Sequence[Tensor]],
                 keep_graph: bool, accumulate_grad: bool) -> None:
        self.keep_graph, self.accumulate_grad = keep_graph, accumulate_grad
        self.buffers: dict[Node, InputBuffer] = {}
        self.owned: dict[int, Tensor] = {}  # gradients whose memory nothing else holds, by id
        self.inputs = list(inputs or [])
        self.targets = [target_edge(k, t) for k, t in enumerate(self.inputs)]
        self.captured: list[Optional[Tensor]] = [None] * len(self.targets)
        order = topological_order([node for node, _ in map(get_gradient_edge, roots) if node is not None])
        self.needed = None if inputs is None else nodes_leading_to(order, self.targets)
        self.order = order if self.needed is None else [n for n in order if n in self.needed]

    def send(self, edge: tuple[Optional[Node], int], grad: Tensor, owned: bool) -> None:
        """Add `grad` into the input buffer of the edge's node (a sum is a new tensor, owned by us)."""
        node, output_nr = edge
        if node is None:
            return
        buffer = self.buffers.get(node)
        if buffer is None:
            buffer = self.buffers[node] = InputBuffer(len(node.output_metadata))
        summed = buffer.add(output_nr, grad)
        if owned or summed is not grad:
            self.owned[id(summed)] = summed

    def take(self, node: Node) -> Optional[list[Optional[Tensor]]]:
        buffer = self.buffers.pop(node, None)
        return None if buffer is None else buffer.grads

    def is_owned(self, grad: Tensor) -> bool:
        return self.owned.pop(id(grad), None) is grad

    def capture(self, node: Node, grads: list[Optional[Tensor]]) -> None:
        """The gradient of each of `inputs` whose edge goes into `node`: returned by autograd.grad;
        for `backward(inputs=...)` of a non-leaf, accumulated into its `.grad` as torch does."""
        for k, (target, nr) in enumerate(self.targets):  # none for a plain backward()
            grad = grads[nr] if target is node else None
            if grad is not None and not self.accumulate_grad:
                self.captured[k] = grad
            elif grad is not None and not isinstance(node, AccumulateGrad):
                AccumulateGrad(self.inputs[k]).accumulate(grad, owned=False)

    def should_execute(self, node: Node) -> bool:
        """Every node runs for `backward()`. With `inputs`, only the nodes on a path to one of them
        (`order` holds no other), and an AccumulateGrad only if the pass writes `.grad`."""
        if self.needed is None:
            return True
        if isinstance(node, AccumulateGrad):
            return self.accumulate_grad
        return _leads_further(node, self.needed)

    def captured_grads(self, allow_unused: bool) -> tuple:
        for k, g in enumerate(self.captured):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (index {k}) appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
        return tuple(self.captured)


def _leads_further(node: Node, needed: set) -> bool:
    return any(child in needed for child, _ in node.next_functions)


def call_pre_hooks(node: Node, grads: list[Optional[Tensor]]) -> list[Optional[Tensor]]:
    """Before a node runs: the hooks of the tensors it produced, then the node's own pre-hooks
    (`hook(grad_outputs)`); a hook that returns something replaces the gradients it saw."""
    for nr, grad in enumerate(grads):
        if grad is not None:
            grads[nr] = call_tensor_hooks(node, nr, grad)
    for hook in node._pre_hooks or []:
        new = hook(tuple(grads))
        grads = grads if new is None else list(new)
    return grads


def call_tensor_hooks(node: Node, nr: int, grad: Tensor) -> Tensor:
    """`tensor.register_hook(hook)` for output `nr` of `node` (`hook(grad)`, whose result replaces
    the gradient), then `retain_grad()`, which keeps what comes out in `tensor.grad`."""
    for hook in (node._tensor_pre_hooks or {}).get(nr, []):
        new = hook(grad)
        grad = grad if new is None else new
    retained = node.retains_grad_of(nr)
    if retained is not None:
        retained.grad = grad if retained._grad is None else retained._grad + grad
    return grad


def call_function(task: GraphTask, node: Node, grads: list[Optional[Tensor]]) -> list:
    """Run one node: the (edge, gradient, owned) triples to send on."""
    if isinstance(node, AccumulateGrad):
        grad = grads[0]
        assert grad is not None
        node.accumulate(grad, owned=task.is_owned(grad) and not node._tensor_pre_hooks)
        return []
    grad_inputs = node(*grads)
    owned = owned_gradients(node, grads, grad_inputs)
    grad_inputs = call_post_hooks(node, grad_inputs, grads)
    if not task.keep_graph:
        node.release_saved()
    return [(edge, g, own) for edge, g, own in zip(node.next_functions, grad_inputs, owned)
            if g is not None]


def call_post_hooks(node: Node, grad_inputs: Grads, grads: Sequence[Optional[Tensor]]) -> Grads:
    """After a node ran: `hook(grad_inputs, grad_outputs)`; a returned tuple replaces grad_inputs."""
    for hook in node._post_hooks or []:
        new = hook(grad_inputs, tuple(grads))
        if new is not None and len(new) != len(grad_inputs):
            raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect "
                               f"number of values (got {len(new)}, but expected {len(grad_inputs)})")
        grad_inputs = grad_inputs if new is None else tuple(new)
    return grad_inputs


def owned_gradients(node: Node, grads: Sequence[Optional[Tensor]], grad_inputs: Grads) -> list[bool]:
    """Which returned gradients own their memory alone, so AccumulateGrad may keep one as `.grad`
    without a copy (torch does the same; it saves a copy of every parameter's gradient).

    A gradient does not own its memory if it looks at the memory of an incoming gradient (a view
    of it, as ViewBackward0 returns), of a saved tensor, or of another returned gradient (Add
    returns the same one twice), or if a post hook sees it (it may keep it)."""
    if node._post_hooks:
        return [False] * len(grad_inputs)
    saved = [s.tensor for s in getattr(node, "_saved", None) or [] if s is not None]
    seen = [_memory_owner(t.array) for t in (*grads, *saved, *grad_inputs) if t is not None]
    return [g is not None and seen.count(_memory_owner(g.array)) == 1 for g in grad_inputs]


def _memory_owner(a: np.ndarray) -> object:
    """The array that owns the memory `a` looks at (`a` itself unless it is a view)."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return id(a)


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Every node before the nodes its gradients flow to (reverse depth-first post-order)."""
    order: list[Node] = []
    visited: set[int] = set()
    for root in roots:
        if id(root) in visited:
            continue
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


def nodes_leading_to(order: list[Node], targets: list[GradientEdge]) -> set:
    """The nodes from which a target can be reached (the only ones `autograd.grad` runs)."""
    target_nodes = {t for t, _ in targets}
    needed: set = set()
    for node in reversed(order):  # children before parents
        if node in target_nodes or _leads_further(node, needed):
            needed.add(node)
    return needed


def target_edge(k: int, tensor: Tensor) -> GradientEdge:
    if not tensor.requires_grad:
        raise RuntimeError(f"One of the differentiated Tensors (index {k}) does not require grad")
    return get_gradient_edge(tensor)


def root_gradient(i: int, root: Tensor, grad: Optional[Tensor]) -> Tensor:
    """The gradient that starts the pass at output i: `gradient=`, or 1 for a scalar."""
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
        return Tensor(np.ones(root.shape, dtype=root.array.dtype))
    if not isinstance(grad, Tensor):
        raise TypeError(f"gradient must be a Tensor or None, not {type(grad).__name__}: pass "
                        "afs.tensor(...) with the shape of the output.")
    if grad.shape != root.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {list(grad.shape)} and "
            f"output[{i}] has a shape of {list(root.shape)}. The gradient must have the shape of "
            "the tensor that backward is called on."
        )
    return grad if grad.dtype == root.dtype else grad.to(root.dtype)  # as torch's validate_outputs
