"""The backward graph's types, as `torch/autograd/graph.py` declares them.

- `Node`: a vertex of the backward graph. It turns the gradients of its outputs into the
  gradients of its inputs, and sends them along `next_functions`, one `(node, output_nr)` pair
  per input (plain tuples, as torch's).
- `GradientEdge(node, output_nr)`: where one input's gradient goes: output `output_nr` of `node`
  (`node` is None for an input that needs no gradient).
- `AccumulateGrad`: the node in front of a leaf tensor; it adds what reaches it into `leaf.grad`.
- `SavedTensor`: a tensor an op kept for its backward, with the version it had then.
- `RemovableHandle`: what `register_hook` returns; `.remove()` takes the hook off again.
- `get_gradient_edge(tensor)`: the edge that a tensor's gradient flows into.

Every attribute a node can carry is declared here, so that a reader finds them in one place.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from .grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from ..tensor import Tensor

Grads = tuple[Optional["Tensor"], ...]


class GradientEdge(NamedTuple):
    """One edge of the graph: the gradient flows into output `output_nr` of `node`."""

    node: Optional["Node"]
    output_nr: int


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` takes the hook off again."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self.hooks, self.hook = hooks, hook
        hooks.append(hook)

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class Node:
    """A vertex of the backward graph.

    The hook lists are created when the first hook is registered (most nodes have none, and a
    ResNet step makes hundreds of nodes), so `None` means "no hooks".
    """

    next_functions: tuple[tuple[Optional["Node"], int], ...] = ()  # plain pairs, printed as torch's
    # (shape, dtype) of each input (one per edge) and each output, checked and used by the engine
    input_metadata: tuple[tuple[tuple[int, ...], Any], ...] = ()
    output_metadata: tuple[tuple[tuple[int, ...], Any], ...] = ()
    _tensor_pre_hooks: Optional[dict[int, list[Callable]]] = None  # tensor.register_hook, by output
    _retains_grad: Optional[dict[int, "Tensor"]] = None  # tensor.retain_grad(), by output
    _pre_hooks: Optional[list[Callable]] = None  # node.register_prehook: fn(grad_outputs)
    _post_hooks: Optional[list[Callable]] = None  # node.register_hook: fn(grad_inputs, grad_outputs)

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(grad_inputs, grad_outputs)` runs after this node's backward; a returned tuple
        replaces `grad_inputs`, as in torch."""
        if self._post_hooks is None:
            self._post_hooks = []
        return RemovableHandle(self._post_hooks, hook)

    def register_prehook(self, hook: Callable) -> RemovableHandle:
        """`hook(grad_outputs)` runs before this node's backward; a returned tuple replaces them."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        return RemovableHandle(self._pre_hooks, hook)

    def _register_tensor_hook(self, output_nr: int, hook: Callable) -> RemovableHandle:
        """`hook(grad)` for output `output_nr` (what `tensor.register_hook` registers)."""
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        return RemovableHandle(self._tensor_pre_hooks.setdefault(output_nr, []), hook)

    def _retain_grad(self, output_nr: int, tensor: "Tensor") -> None:
        if self._retains_grad is None:
            self._retains_grad = {}
        self._retains_grad[output_nr] = tensor

    def retains_grad_of(self, output_nr: int) -> Optional["Tensor"]:
        return None if self._retains_grad is None else self._retains_grad.get(output_nr)

    def __call__(self, *grads: Optional["Tensor"]) -> Grads:
        """Gradients of the inputs (one per edge) from the gradients of the outputs, as torch's
        `grad_fn(*grad_outputs)`."""
        raise NotImplementedError

    def release_saved(self) -> None:
        """Free what backward needed (unless `retain_graph=True`); nothing to free by default."""


def _view_of_grad_base_made_in_no_grad(tensor: "Tensor") -> bool:
    base = tensor._base
    return tensor._view_made_in_no_grad and base is not None and base.requires_grad


def get_gradient_edge(tensor: "Tensor") -> GradientEdge:
    """Where `tensor`'s gradient goes: its grad_fn, the AccumulateGrad of a leaf that requires
    grad (made on first use and kept on the leaf), or nowhere (a constant, or a view taken under
    no_grad(), which requires grad as its base does but records no way back to it)."""
    if tensor.grad_fn is not None:
        return GradientEdge(tensor.grad_fn, tensor._output_nr)
    if tensor._requires_grad and not _view_of_grad_base_made_in_no_grad(tensor):
        if tensor._grad_accumulator is None:
            tensor._grad_accumulator = AccumulateGrad(tensor)
        return GradientEdge(tensor._grad_accumulator, 0)
    return GradientEdge(None, 0)


class AccumulateGrad(Node):
    """The node in front of a leaf tensor: it adds the incoming gradient into `leaf.grad`."""

    def __init__(self, variable: "Tensor") -> None:
        self.variable = variable
        self.output_metadata = ((variable.shape, variable.dtype),)

    def __call__(self, *grads: Optional["Tensor"]) -> Grads:
        assert grads[0] is not None
        self.accumulate(grads[0], owned=False)
        return ()

    def accumulate(self, grad: "Tensor", owned: bool) -> None:
        """`leaf.grad += grad`. `owned`: nothing else holds `grad`'s memory, so a first gradient
        becomes `.grad` as it is (no copy), as in torch; any other is copied, so that `.grad` shares
        its memory with nothing and a later accumulation can add into it in place. With grad mode
        on (`create_graph=True`) `.grad` is the recorded sum, so it can be differentiated again."""
        leaf, create_graph = self.variable, is_grad_enabled()
        if not create_graph:
            grad = grad.detach()
        if leaf._grad is None:
            leaf.grad = grad if create_graph or owned else grad.clone()
        elif create_graph:
            leaf.grad = leaf._grad + grad
        else:
            leaf._grad.array += grad.array


class SavedTensor:
    """A tensor saved for backward, with the version it had when it was saved."""

    def __init__(self, tensor: "Tensor") -> None:
        self.tensor = tensor
        self.version = tensor._version

    def unpack(self, node: Node) -> "Tensor":
        if self.tensor._version != self.version:
            t = self.tensor
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t.dtype.name} tensor {list(t.shape)}] is at version "
                f"{t._version}; expected version {self.version} instead (it was saved by "
                f"{node.name()}). Hint: do the in-place change on a copy (`x = x.clone()`), or "
                "use the out-of-place op."
            )
        return self.tensor
