"""Graph nodes: `Node`, `Function` (an op's forward and backward) and `AccumulateGrad`.

As in torch, the object that a result's `grad_fn` points to is both the graph node and the `ctx`
that the op's `forward` saved its values on. A node knows

- `name()`: torch's name for it (`MulBackward0`, `AccumulateGrad`, ...);
- `next_functions`: one `(node, output_nr)` edge per tensor input, in argument order, `(None, 0)`
  for an input that does not require grad; a leaf that requires grad is reached through its
  `AccumulateGrad` node, whose `.variable` is the leaf.

Writing an op (built-in or your own) means subclassing `Function`:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):            # tensors in, a Tensor (or a numpy array) out
            y = Tensor(np.exp(x.data))
            ctx.save_for_backward(y)    # saved tensors come back in backward, version-checked
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y             # dL/dx = dL/dy * exp(x)

`forward` runs with grad mode off and receives the op's arguments as they were given (tensors and
plain Python values); `backward(ctx, *grads)` receives one gradient per output, as tensors, and
returns one gradient per argument (None for arguments that need none). Backward rules are written
with tensor operations, so running them with grad mode on (`create_graph=True`) records a graph of
the backward pass itself: that is how higher-order gradients work.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from .grad_mode import is_grad_enabled, no_grad

if TYPE_CHECKING:
    from ..tensor import Tensor

Edge = tuple[Optional["Node"], int]


class Node:
    """A vertex of the backward graph: it turns gradients of its outputs into gradients of its inputs."""

    next_functions: tuple[Edge, ...] = ()

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, hook: Callable) -> "RemovableHandle":
        """`hook(grad_inputs, grad_outputs)` runs after this node's backward, as in torch."""
        return RemovableHandle(self.__dict__.setdefault("_post_hooks", []), hook)


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` takes the hook off again."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self.hooks, self.hook = hooks, hook
        hooks.append(hook)

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class AccumulateGrad(Node):
    """The node in front of a leaf tensor: it adds the incoming gradient into `leaf.grad`."""

    def __init__(self, variable: "Tensor") -> None:
        self.variable = variable

    def accumulate(self, grad: "Tensor", create_graph: bool, run: object = None) -> None:
        leaf = self.variable
        # A gradient that this backward pass (`run`) made for this leaf alone becomes `.grad` as it
        # is, as in torch; any other is copied, so that `.grad` shares its memory with nothing.
        owned = run is not None and getattr(grad, "_made_in", None) is run and not leaf._hooks
        for hook in leaf._hooks:
            new = hook(grad)
            grad = grad if new is None else new
        if not create_graph:
            grad = grad.detach()
        if leaf.grad is None:
            # Own the buffer: a later accumulation adds into it in place.
            leaf.grad = grad if create_graph or owned else grad.clone()
        elif create_graph:
            leaf.grad = leaf.grad + grad
        else:
            leaf.grad.data += grad.data


class _SavedTensor:
    """A tensor saved for backward, with the version it had when it was saved."""

    def __init__(self, tensor: "Tensor") -> None:
        self.tensor = tensor
        self.version = tensor._version

    def unpack(self, node: "Function") -> "Tensor":
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


class Function(Node):
    """Base class of every operation. Subclasses define `forward` and `backward` as static methods.

    `node_name` is the name torch gives the same op's node; a user-defined `MyOp` is called
    `MyOpBackward`, as torch calls it.
    """

    node_name: Optional[str] = None

    def name(self) -> str:
        return self.node_name or type(self).__name__ + "Backward"

    # -- the ctx API used inside forward/backward ---------------------------------------------
    def save_for_backward(self, *tensors: Optional["Tensor"]) -> None:
        self._saved = [None if t is None else _SavedTensor(t) for t in tensors]

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or if "
                "you need to access saved tensors after calling backward."
            )
        return tuple(None if s is None else s.unpack(self) for s in self._saved)

    def _free_saved(self) -> None:
        if self._saved:  # nodes that saved nothing can be run again, as in torch
            self._saved = None

    # -- building the graph -------------------------------------------------------------------
    @staticmethod
    def forward(ctx: "Function", *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: "Function", *grads: "Tensor") -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run `forward` and, if any tensor input requires grad, record a node for the result."""
        Tensor, as_tensor_output = _tensor.Tensor, _tensor.as_tensor_output
        ctx = cls()
        ctx._saved = []
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        with no_grad():
            raw = cls.forward(ctx, *args)
        outputs = raw if isinstance(raw, tuple) else (raw,)
        outputs = tuple(as_tensor_output(o) for o in outputs)
        if record:
            ctx.next_functions = tuple(t._edge() for t in tensor_args)
            ctx._input_meta = [(t.shape, t.dtype) for t in tensor_args]
            ctx._arg_is_tensor = [isinstance(a, Tensor) for a in args]
            ctx._output_meta = [(o.shape, o.dtype) for o in outputs]
            for nr, out in enumerate(outputs):
                if out.dtype.is_floating_point:
                    out.requires_grad, out.grad_fn, out._output_nr = True, ctx, nr
        return outputs if isinstance(raw, tuple) else outputs[0]


def once_differentiable(backward: Callable) -> Callable:
    """Mark a backward written in plain numpy: it cannot itself be differentiated.

    Used for the heavy layers (convolution, batch norm, pooling), whose backward is fastest as a
    few numpy calls. Asking for a second derivative through one raises a clear error.
    """

    def wrapper(ctx: Function, *grads: "Tensor") -> Any:
        if is_grad_enabled():
            raise RuntimeError(
                f"{ctx.name()} is once-differentiable in autograd_from_scratch: its backward is "
                "computed in plain numpy and cannot be recorded, so create_graph=True cannot go "
                "through it."
            )
        return backward(ctx, *grads)

    wrapper.__doc__ = backward.__doc__
    return staticmethod(wrapper)


from .. import tensor as _tensor  # noqa: E402  (tensor.py imports this module: import it last)
