"""The autograd package: graph nodes, the backward engine, grad modes and checks."""
from __future__ import annotations

from typing import Optional, Sequence, Union

from ..tensor import Tensor
from . import functional
from .engine import run_backward
from .function import Function, once_differentiable
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .graph import AccumulateGrad, GradientEdge, Node, get_gradient_edge

TensorOrTensors = Union[Tensor, Sequence[Tensor]]


def _as_list(x: Optional[TensorOrTensors]) -> list:
    if x is None:
        return [None]
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs: TensorOrTensors, inputs: TensorOrTensors,
         grad_outputs: Optional[TensorOrTensors] = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, returned (no `.grad` is written)."""
    outs, ins = _as_list(outputs), _as_list(inputs)
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    return run_backward(outs, grads, retain_graph, create_graph, inputs=ins, allow_unused=allow_unused,
                        accumulate_grad=False)


def backward(tensors: TensorOrTensors, grad_tensors: Optional[TensorOrTensors] = None,
             retain_graph: Optional[bool] = None, create_graph: bool = False,
             inputs: Optional[TensorOrTensors] = None) -> None:
    """`torch.autograd.backward`: backward from several outputs at once, into `.grad`."""
    outs = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(outs)
    run_backward(outs, grads, retain_graph, create_graph, inputs=None if inputs is None else _as_list(inputs))


__all__ = [
    "AccumulateGrad", "Function", "GradientEdge", "Node", "backward", "enable_grad", "functional",
    "get_gradient_edge", "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad",
    "once_differentiable", "set_grad_enabled",
]
