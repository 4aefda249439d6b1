"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor, _infer_array


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a module attribute registers it.

    Built from a Tensor or a numpy array it shares that memory, as torch's Parameter does.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data if isinstance(data, np.ndarray) else _infer_array(data, None),
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Clear `.grad` of every tensor in `params`, for `Module.zero_grad` and `Optimizer.zero_grad`.

    `set_to_none=True` (torch's default) drops the gradient; False fills it with zeros, detached
    from any graph that made it (as torch does).
    """
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad = p.grad.detach()
            p.grad.array[...] = 0
