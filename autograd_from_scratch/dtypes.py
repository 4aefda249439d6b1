"""Data types, named as torch names them (`afs.float32`, `afs.float64`, `afs.int64`, `afs.bool`)."""
from __future__ import annotations

import numpy as np


class dtype:
    """A thin name for a numpy dtype, printed the way torch prints its dtypes."""

    def __init__(self, name: str, numpy_type: type) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_type)

    @property
    def is_floating_point(self) -> bool:
        return self.numpy.kind == "f"

    def __repr__(self) -> str:
        return f"afs.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return self.numpy == other.numpy
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.numpy)


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)
_BY_NUMPY = {d.numpy: d for d in (float16, float32, float64, int32, int64, bool_)}


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The afs dtype of a numpy array; numpy types we do not name map to their nearest kind."""
    if np_dtype in _BY_NUMPY:
        return _BY_NUMPY[np_dtype]
    kind = np.dtype(np_dtype).kind
    return {"f": float64, "i": int64, "u": int64, "b": bool_}[kind]


def to_numpy_dtype(d: "dtype | np.dtype | type | str | None") -> "np.dtype | None":
    """Accept an afs dtype, a torch dtype, a numpy dtype or a name."""
    if d is None or isinstance(d, np.dtype):
        return d
    if isinstance(d, dtype):
        return d.numpy
    if "torch." in str(d):
        return np.dtype(str(d).replace("torch.", ""))
    return np.dtype(d)


# torch's other names for the same types (`torch.float is torch.float32`) are set in the package's
# __init__ (`afs.float`, `afs.double`, `afs.long`, `afs.int`): defined here they would hide
# Python's `float`, `int` and `bool` inside this module.
HALF_REFUSED = ("autograd_from_scratch does not compute in half precision (torch.half, float16): "
                "numpy's float16 arithmetic rounds differently from torch's, so its numbers would "
                "silently differ. Use float32 (afs.float) or float64 (afs.double).")
