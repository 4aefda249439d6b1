"""Creating tensors: `tensor`, `zeros`, `ones`, `full`, `eye`, `linspace`, `rand`, `randn`, ...,
the `*_like` variants, `from_numpy`/`as_tensor` (which share memory), and the random generator.

Every function takes torch's `dtype=`, `device=` and `requires_grad=` keywords; the device can
only be the CPU (see `device.py`). Floating values default to float32, torch's default dtype.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes
from .device import check_device
from .tensor import Tensor, _infer_array, size_arg


class Generator:
    """afs's random numbers: numpy's generator, drawn in float64 and rounded to the dtype asked.

    They are not torch's numbers for the same seed (torch has its own generators); tests that
    compare the two engines give both the same values.
    """

    def __init__(self, seed: int) -> None:
        self.numpy = np.random.default_rng(seed)

    def random(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return self.numpy.random(shape).astype(dtype, copy=False)

    def standard_normal(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return self.numpy.standard_normal(shape).astype(dtype, copy=False)

    def uniform(self, low: float, high: float, shape: tuple, dtype: Any = np.float64) -> np.ndarray:
        return self.numpy.uniform(low, high, shape).astype(dtype, copy=False)

    def normal(self, mean: float, std: float, shape: tuple, dtype: Any = np.float64) -> np.ndarray:
        return self.numpy.normal(mean, std, shape).astype(dtype, copy=False)

    def integers(self, low: int, high: int, shape: tuple) -> np.ndarray:
        return self.numpy.integers(low, high, shape, dtype=np.int64)


_rng = Generator(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind `rand`, `randn`, `randint`, dropout and the layers' initialisation."""
    global _rng
    _rng = Generator(seed)


def generator() -> Generator:
    return _rng


def _leaf(values: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    check_device(device)
    return Tensor(values, requires_grad=requires_grad)


def _float_dtype(dtype: Any) -> np.dtype:
    """The dtype asked for, float32 when none: what random floating values are made in."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or np.dtype(np.float32)
    if np_dtype.kind != "f":
        raise RuntimeError(f"random floating values cannot be made in dtype {np_dtype}: ask for a "
                           "floating dtype (afs.float32, afs.float64), or use afs.randint")
    return np_dtype


def new_size(size: Sequence[Any]) -> tuple[int, ...]:
    """The shape of a new tensor, given as torch takes it (`zeros(2, 3)`, `zeros((2, 3))`)."""
    shape = size_arg(size)
    if builtins.any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (a list, number, numpy array or torch tensor)."""
    return _leaf(_infer_array(data, dtype), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a tensor without copying when it already is one (or a numpy array) of that dtype."""
    check_device(device)
    np_dtype = dtypes.to_numpy_dtype(dtype)
    if isinstance(data, Tensor) and np_dtype in (None, data.array.dtype):
        return data
    if isinstance(data, np.ndarray) and np_dtype in (None, data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares `array`'s memory: changing one changes the other, as in torch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"can't convert np.ndarray of type {array.dtype}. The only supported types "
                        "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")
    return Tensor(array)


def _factory(values: np.ndarray, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    np_dtype = dtypes.to_numpy_dtype(dtype) or np.float32
    return _leaf(values.astype(np_dtype, copy=False), requires_grad, device)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(new_size(size)), dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(new_size(size)), dtype, requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uninitialised in torch (any values); afs fills it with zeros, so that runs are repeatable."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def _dtype_of_number(value: Any) -> np.dtype:
    """The dtype torch gives a tensor filled with a Python number: bool, int64 or float32."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (builtins.int, np.integer)):
        return np.dtype(np.int64)
    return np.dtype(np.float32)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` with every element `fill_value` (its dtype from the value, as torch)."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or _dtype_of_number(fill_value)
    return _factory(np.full(size_arg((size,)), fill_value, dtype=np_dtype), np_dtype, requires_grad, device)


def eye(n: int, m: Optional[int] = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (ones on the diagonal)."""
    return _factory(np.eye(n, m), dtype, requires_grad, device)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = dtypes.float32
    return _leaf(values.astype(dtypes.to_numpy_dtype(dtype) or values.dtype), requires_grad, device)


def _linspace_values(start: float, end: float, steps: int, np_dtype: np.dtype) -> np.ndarray:
    """torch's linspace, to the last bit: step = (end - start)/(steps - 1) in the output dtype
    (float64 for integers), the first half counted up from start and the second half down from
    end (so both ends are exact), each value start + step·i rounded once: torch uses a fused
    multiply-add, here the products are summed in extended precision."""
    if np_dtype.kind == "f":
        lo, hi = np_dtype.type(start), np_dtype.type(end)
    else:  # torch first converts the ends to the integer dtype
        lo, hi = np.float64(int(start)), np.float64(int(end))
    step = (hi - lo) / (steps - 1) if steps > 1 else hi - hi
    i = np.arange(steps, dtype=np.longdouble)
    wide_lo, wide_hi, wide_step = (np.longdouble(v) for v in (lo, hi, step))
    return np.where(i < max(steps // 2, 1), wide_lo + wide_step * i, wide_hi - wide_step * (steps - 1 - i))


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or np.dtype(np.float32)
    values = _linspace_values(start, end, steps, np_dtype)
    return _leaf(values.astype(np_dtype), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps): values evenly spaced on a log scale."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or np.dtype(np.float32)
    exponents = _linspace_values(start, end, steps, np_dtype).astype(np.float64)
    return _leaf((base ** exponents).astype(np_dtype), requires_grad, device)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _leaf(_rng.random(new_size(size), _float_dtype(dtype)), requires_grad, device)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    return _leaf(_rng.standard_normal(new_size(size), _float_dtype(dtype)), requires_grad, device)


def randint(*args: Any, size: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)` (size also by name): integers uniform
    on [low, high)."""
    args = args if size is None else (*args, size)
    low, high, size = (0, *args) if len(args) == 2 else args
    values = _rng.integers(low, high, size_arg((size,)))
    return _factory(values, dtype or dtypes.int64, requires_grad, device)


def _like(make: Any, t: Tensor, dtype: Any, device: Any, requires_grad: bool, *args: Any) -> Tensor:
    return make(t.shape, *args, dtype=t.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _like(full, input, dtype, device, requires_grad, fill_value)


def rand_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(rand, input, dtype, device, requires_grad)


def randn_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(randn, input, dtype, device, requires_grad)
