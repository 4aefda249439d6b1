"""`Function`: an operation's forward and backward, and the graph node that applying it records.

As in torch, the object that a result's `grad_fn` points to is both the graph node and the `ctx`
that the op's `forward` saved its values on. Writing an op (built-in or your own) means
subclassing `Function`:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):            # tensors in, a Tensor (or a numpy array) out
            y = Tensor(np.exp(x.array))
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

import numpy as np

from ..tensor import Tensor
from .grad_mode import is_grad_enabled, no_grad
from .graph import GradientEdge, Grads, Node, SavedTensor, get_gradient_edge


class Function(Node):
    """Base class of every operation. Subclasses define `forward` and `backward` as static methods.

    `node_name` is the name torch gives the same op's node; a user-defined `MyOp` is called
    `MyOpBackward`, as torch calls it.
    """

    node_name: Optional[str] = None
    needs_input_grad: tuple[bool, ...] = ()  # one flag per argument of forward
    # Saved tensors: [] while nothing is saved, None once backward freed them (a node that saved
    # nothing can be run again, as in torch; one whose tensors were freed cannot).
    _saved: Optional[list[Optional[SavedTensor]]] = []
    _arg_is_tensor: tuple[bool, ...] = ()  # which arguments of forward have an edge

    if TYPE_CHECKING:  # an op keeps its own values on ctx in forward (ctx.shape = ...), as in torch
        def __getattr__(self, name: str) -> Any: ...

    def name(self) -> str:
        return self.node_name or type(self).__name__ + "Backward"

    # -- the ctx API used inside forward/backward ---------------------------------------------
    def save_for_backward(self, *tensors: Optional[Tensor]) -> None:
        self._saved = [None if t is None else SavedTensor(t) for t in tensors]

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

    def release_saved(self) -> None:
        if self._saved:
            self._saved = None

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError

    # -- forward: run the op and record the node ----------------------------------------------
    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run `forward` and, if any tensor argument requires grad, record a node for the result."""
        ctx = cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            raw = cls.forward(ctx, *args)
        outputs = tuple(_as_tensor(o) for o in (raw if isinstance(raw, tuple) else (raw,)))
        if is_grad_enabled() and any(ctx.needs_input_grad):
            ctx._record(args, outputs)
        return outputs if isinstance(raw, tuple) else outputs[0]

    def _record(self, args: tuple, outputs: tuple[Tensor, ...]) -> None:
        """Become the node of `outputs`: one edge per tensor argument, in argument order."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        self._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        self.next_functions = tuple(tuple(get_gradient_edge(t)) for t in tensors)  # type: ignore[misc]
        self.input_metadata = tuple((t.shape, t.dtype) for t in tensors)
        self.output_metadata = tuple((o.shape, o.dtype) for o in outputs)
        for nr, out in enumerate(outputs):
            if out.dtype.is_floating_point:  # only floating results are differentiable
                out._set_history(self, nr)

    # -- backward: what the engine calls --------------------------------------------------------
    def __call__(self, *grads: Optional[Tensor]) -> Grads:
        """The gradients of the inputs, one per edge: `backward`, checked and fitted to the inputs.

        A missing output gradient is passed as zeros; an input whose edge goes nowhere (a constant)
        gets None, as in torch, whatever `backward` returned for it."""
        filled = [_zeros(meta) if g is None else g for g, meta in zip(grads, self.output_metadata)]
        result = type(self).backward(self, *filled)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(self._arg_is_tensor):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{len(self._arg_is_tensor)}, got {len(result)})"
            )
        per_edge = [g for g, is_tensor in zip(result, self._arg_is_tensor) if is_tensor]
        return tuple(None if g is None or node is None else self._fit_to_input(k, _as_tensor(g))
                     for k, (g, (node, _)) in enumerate(zip(per_edge, self.next_functions)))

    def _fit_to_input(self, k: int, grad: Tensor) -> Tensor:
        """Undo broadcasting in one place: sum `grad` back to input k's shape, cast to its dtype."""
        shape, dtype = self.input_metadata[k]
        if grad.shape != shape:
            try:
                np.broadcast_shapes(shape, grad.shape)
                grad = grad.sum_to_size(shape)
            except ValueError:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {k} - got "
                    f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
                ) from None
        return grad if grad.dtype == dtype else grad.to(dtype)


def _as_tensor(value: Any) -> Tensor:
    """What forward or backward returned, as a Tensor (numpy scalars become 0-d arrays)."""
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _zeros(meta: tuple) -> Tensor:
    shape, dtype = meta
    return Tensor(np.zeros(shape, dtype=dtype.numpy))


class DelayedError(Function):
    """Stands in front of what a once-differentiable backward returned under `create_graph=True`:
    the result can be used, but differentiating through it raises, as torch's DelayedError does.
    Its edges go to the incoming gradients that the result depends on."""

    @staticmethod
    def forward(ctx: Any, result: Tensor, op_name: str, *depends_on: Tensor) -> Tensor:
        ctx.op_name = op_name
        return Tensor(result.array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with @once_differentiable "
            f"({ctx.op_name}): its backward is computed in plain numpy, so autograd_from_scratch "
            "cannot differentiate it again."
        )


def once_differentiable(backward: Callable) -> Any:
    """Mark a backward written in plain numpy: it can run under `create_graph=True`, but its
    results cannot be differentiated again (that raises, when it is tried), as in torch."""

    def wrapper(ctx: Function, *grads: Tensor) -> Any:
        with no_grad():
            result = backward(ctx, *grads)
        # As torch: only when an incoming gradient requires grad do the results get a node.
        depends_on = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
        if not (is_grad_enabled() and depends_on):
            return result
        results = result if isinstance(result, tuple) else (result,)
        delayed = tuple(None if g is None else DelayedError.apply(_as_tensor(g), ctx.name(), *depends_on)
                        for g in results)
        return delayed if isinstance(result, tuple) else delayed[0]

    wrapper.__doc__ = backward.__doc__
    return staticmethod(wrapper)


__all__ = ["DelayedError", "Function", "GradientEdge", "once_differentiable"]
