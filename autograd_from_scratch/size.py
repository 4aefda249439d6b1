"""`Size`: a tensor's shape, a tuple that prints as torch prints it, `torch.Size([2, 3])`."""
from __future__ import annotations

from typing import Any


class Size(tuple):
    """A tuple of ints; slicing it or adding a tuple to it gives a `Size` again, as in torch."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other: Any) -> "Size":
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> "Size":
        return Size(tuple(other) + tuple(self))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for `Size([])`)."""
        n = 1
        for d in self:
            n *= d
        return n
