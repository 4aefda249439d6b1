"""Data types, named as torch names them (`afs.float32`, `afs.float64`, `afs.int64`, `afs.bool`),
and torch's type promotion: what dtype `a + b` has.

torch's rule (not numpy's) orders dtypes in three categories, bool < integer < floating point, and
looks at three kinds of operands: tensors with dimensions, 0-d tensors, and Python numbers
("wrapped numbers"). The dtype comes from the tensors with dimensions; a 0-d tensor or a number
only matters if it is of a higher category, and then a 0-d tensor brings its dtype and a number
the category's default (int64, or the default float dtype, float32). So `float32 * 2.5` and
`float32 * tensor(2.5, dtype=float64)` stay float32, `int64 * 2.5` is float32, `bool * 3` int64.
"""
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


_DEFAULT_FLOAT = np.dtype(np.float32)  # torch.get_default_dtype()


def category(np_dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return {"b": 0, "i": 1, "u": 1, "f": 2}[np_dtype.kind]


def promote_types(a: "np.dtype | None", b: "np.dtype | None") -> "np.dtype | None":
    """Within a category the wider dtype; across categories the higher category's dtype
    (torch: int64 with float16 is float16, where numpy would widen to float64)."""
    if a is None or b is None:
        return a if b is None else b
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return np.promote_types(a, b)


def _combine(higher: "np.dtype | None", lower: "np.dtype | None") -> "np.dtype | None":
    """torch's combine_categories: `lower` counts only if it is of a higher category."""
    if higher is None:
        return lower
    if lower is not None and category(lower) > category(higher):
        return promote_types(higher, lower)
    return higher


def _wrapped_dtype(value: object) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return _DEFAULT_FLOAT
    raise TypeError(f"expected a Tensor or a Python number (bool, int, float), got {type(value).__name__}")


def result_type(*operands: object) -> np.dtype:
    """The numpy dtype of an elementwise op on `operands` (tensors and Python numbers), by torch's rule."""
    dims = zero_dim = wrapped = None
    for x in operands:
        data = getattr(x, "array", None)
        if isinstance(data, np.ndarray):
            if data.ndim:
                dims = promote_types(dims, data.dtype)
            else:
                zero_dim = promote_types(zero_dim, data.dtype)
        elif x is not None:
            wrapped = promote_types(wrapped, _wrapped_dtype(x))
    result = _combine(dims, _combine(zero_dim, wrapped))
    assert result is not None, "result_type needs at least one operand"
    return result


def floating(np_dtype: np.dtype) -> np.dtype:
    """The dtype of a floating-point function of a value of this dtype (exp of an int is float32)."""
    return np_dtype if np_dtype.kind == "f" else _DEFAULT_FLOAT


def can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """torch's canCast for in-place results: never to a lower category (float into int, int into bool)."""
    return category(src) <= category(dst)


# torch's other names for the same types (`torch.float is torch.float32`) are set in the package's
# __init__ (`afs.float`, `afs.double`, `afs.long`, `afs.int`): defined here they would hide
# Python's `float`, `int` and `bool` inside this module.
HALF_REFUSED = ("autograd_from_scratch does not compute in half precision (torch.half, float16): "
                "numpy's float16 arithmetic rounds differently from torch's, so its numbers would "
                "silently differ. Use float32 (afs.float) or float64 (afs.double).")
