"""Creating tensors: `tensor`, `zeros`, `ones`, `rand`, `randn`, `arange`, ... and the random generator."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes
from .tensor import Tensor, _infer_array, size_arg

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind `rand`, `randn` and the layers' initialisation."""
    global _rng
    _rng = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    return _rng


def new_size(size: Sequence[Any]) -> tuple[int, ...]:
    """The shape of a new tensor, given as torch takes it (`zeros(2, 3)`, `zeros((2, 3))`)."""
    shape = size_arg(size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (a list, number, numpy array or torch tensor)."""
    return Tensor(_infer_array(data, dtype), requires_grad=requires_grad)


def _factory(values: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    np_dtype = dtypes.to_numpy_dtype(dtype) or np.float32
    return Tensor(values.astype(np_dtype, copy=False), requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(new_size(size)), dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(new_size(size)), dtype, requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _factory(_rng.random(new_size(size)), dtype, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    return _factory(_rng.standard_normal(new_size(size)), dtype, requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = dtypes.float32
    return Tensor(values.astype(dtypes.to_numpy_dtype(dtype) or values.dtype), requires_grad=requires_grad)
