"""Optional tensor arguments, as torch's graph shows them.

A torch node has one edge per tensor *argument*, given or not: a convolution without bias is
still `ConvolutionBackward0` with three edges (input, weight, bias), the last one `(None, 0)`,
because torch passes an *undefined tensor* in the bias slot. `Function.apply` makes one edge per
Tensor argument, so the layers pass `Undefined()` where torch passes its undefined tensor: an
empty tensor that never requires grad, whose edge is therefore `(None, 0)`.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..tensor import Tensor


class Undefined(Tensor):
    """Stands in for an optional tensor argument that was not given."""

    def __init__(self) -> None:
        super().__init__(np.empty(0, dtype=np.float32))


def optional(t: Optional[Tensor]) -> Tensor:
    """`t` itself, or `Undefined()` for None."""
    return Undefined() if t is None else t


def defined(t: Tensor) -> bool:
    return not isinstance(t, Undefined)
