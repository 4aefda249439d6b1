"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights."""
from __future__ import annotations

from typing import Any

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
            data = data.data
        super().__init__(data if isinstance(data, np.ndarray) else _infer_array(data, None),
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
