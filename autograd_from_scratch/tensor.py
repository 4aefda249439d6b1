"""`Tensor`: a numpy array plus the bookkeeping autograd needs.

A tensor holds its values in `.data` (a numpy array) and, for autograd:

- `requires_grad`: whether operations on it are recorded;
- `grad_fn`: the node that produced it (None for a leaf, a tensor you created yourself);
- `grad`: after `backward()`, the gradient of the output with respect to this (leaf) tensor;
- a version counter, bumped by every in-place change, so that backward can refuse to use a saved
  tensor that was modified after it was saved.

The operations themselves live in `ops/`; the methods here only call them.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import dtypes
from .autograd.function import AccumulateGrad, Edge, Node, RemovableHandle
from .autograd.grad_mode import is_grad_enabled

Scalar = Union[int, float, bool]
Shape = tuple[int, ...]


def _infer_array(data: Any, dtype: Any) -> np.ndarray:
    """Turn lists, numbers, numpy arrays and torch tensors into an array, with torch's dtype rules."""
    if isinstance(data, Tensor):
        data = data.data
    elif hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        data = data.detach().cpu().numpy()
    np_dtype = dtypes.to_numpy_dtype(dtype)
    if np_dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        # Python floats become float32 (torch's default dtype), not numpy's float64.
        np_dtype = np.float32 if arr.dtype == np.float64 else None
        return np.array(arr, dtype=np_dtype)
    return np.array(data, dtype=np_dtype)


class Tensor:
    # numpy must defer to Tensor in `array * tensor`, so Tensor's reflected operators run.
    __array_ufunc__ = None
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, np.ndarray) and dtype is None:
            self.data = data  # internal fast path: wrap an op's result without copying
        else:
            self.data = _infer_array(data, dtype)
        self._grad: Optional[Tensor] = None
        self.grad_fn: Optional[Node] = None
        self._output_nr = 0
        self._version_counter = [0]
        self._base: Optional[Tensor] = None
        self._hooks: list[Callable] = []
        self._grad_accumulator: Optional[AccumulateGrad] = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # -- autograd attributes ----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"Only Tensors of floating point dtype can require gradients (this one is "
                f"{self.dtype}): a derivative needs values that can change continuously. "
                "Convert first, e.g. x.float().requires_grad_()."
            )
        if not flag and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self._requires_grad = bool(flag)

    @property
    def grad(self) -> Optional["Tensor"]:
        """The gradient backward() accumulated here; only leaves (and retain_grad()) keep one."""
        if self.grad_fn is not None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created (not produced by a recorded operation)."""
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    def _bump_version(self) -> None:
        self._version_counter[0] += 1

    def _edge(self) -> Edge:
        """Where this tensor's gradient goes: its grad_fn, its AccumulateGrad, or nowhere."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        if self.requires_grad:
            if self._grad_accumulator is None:
                self._grad_accumulator = AccumulateGrad(self)
            return (self._grad_accumulator, 0)
        return (None, 0)

    def backward(
        self,
        gradient: Optional["Tensor"] = None,
        retain_graph: Optional[bool] = None,
        create_graph: bool = False,
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf, into their `.grad`.

        For a non-scalar tensor, `gradient` is the vector v of the vector-Jacobian product: the
        leaves receive v^T J.
        """
        from .autograd.engine import run_backward

        run_backward([self], [gradient], retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor too (leaves always keep theirs)."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        self.grad_fn.__dict__.setdefault("_retained", {})[self._output_nr] = self

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and getattr(self.grad_fn, "_retained", {}).get(self._output_nr) is self

    def register_hook(self, hook: Callable[["Tensor"], Optional["Tensor"]]) -> RemovableHandle:
        """`hook(grad)` runs when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            return RemovableHandle(self._hooks, hook)
        hooks = self.grad_fn.__dict__.setdefault("_tensor_hooks", {})
        return RemovableHandle(hooks.setdefault(self._output_nr, []), hook)

    def detach(self) -> "Tensor":
        """The same values (shared memory and version counter), cut out of the graph."""
        out = Tensor(self.data)
        out._version_counter = self._version_counter
        return out

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    # -- plain attributes ---------------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        return self.data.shape

    def size(self, dim: Optional[int] = None) -> Union[Shape, int]:
        return self.data.shape if dim is None else self.data.shape[dim]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self.data.dtype)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> Scalar:
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self.data

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return format_tensor(self)

    # -- operators: each is one op from ops/ ------------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> "Tensor":  # torch records 2 + x as x.add(2)
        return _ops.add(self, other)

    def __sub__(self, other: Any) -> "Tensor":
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> "Tensor":  # torch records 3 * x as x.mul(3)
        return _ops.mul(self, other)

    def __truediv__(self, other: Any) -> "Tensor":
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> "Tensor":
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _ops.pow(other, self)

    def __neg__(self) -> "Tensor":
        return _ops.neg(self)

    def __matmul__(self, other: "Tensor") -> "Tensor":
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(other, self)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> "Tensor":
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> "Tensor":
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return _ops.ge(self, other)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops.index(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _ops.index_put_(self, index, value)

    def __iadd__(self, other: Any) -> "Tensor":
        return self.add_(other)

    def __isub__(self, other: Any) -> "Tensor":
        return self.sub_(other)

    def __imul__(self, other: Any) -> "Tensor":
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return self.div_(other)

    # -- methods: each is one op from ops/ -----------------------------------------------------
    def exp(self) -> "Tensor":
        return _ops.exp(self)

    def log(self) -> "Tensor":
        return _ops.log(self)

    def sqrt(self) -> "Tensor":
        return _ops.sqrt(self)

    def tanh(self) -> "Tensor":
        return _ops.tanh(self)

    def sigmoid(self) -> "Tensor":
        return _ops.sigmoid(self)

    def relu(self) -> "Tensor":
        return _ops.relu(self)

    def abs(self) -> "Tensor":
        return _ops.abs(self)

    def pow(self, exponent: Any) -> "Tensor":
        return _ops.pow(self, exponent)

    def clamp(self, min: Optional[float] = None, max: Optional[float] = None) -> "Tensor":
        return _ops.clamp(self, min, max)

    def sum(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.sum(self, dim, keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _ops.mean(self, dim, keepdim)

    def max(self, dim: Optional[int] = None, keepdim: bool = False) -> Any:
        return _ops.max(self, dim, keepdim)

    def sum_to_size(self, *shape: Any) -> "Tensor":
        return _ops.sum_to_size(self, *shape)

    def matmul(self, other: "Tensor") -> "Tensor":
        return _ops.matmul(self, other)

    def reshape(self, *shape: Any) -> "Tensor":
        return _ops.reshape(self, *shape)

    def view(self, *shape: Any) -> "Tensor":
        return _ops.view(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        return _ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> "Tensor":
        return _ops.permute(self, *dims)

    def t(self) -> "Tensor":
        return _ops.t(self)

    @property
    def T(self) -> "Tensor":
        return _ops.permute(self, *reversed(range(self.ndim)))

    def unsqueeze(self, dim: int) -> "Tensor":
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim: Optional[int] = None) -> "Tensor":
        return _ops.squeeze(self, dim)

    def expand(self, *shape: Any) -> "Tensor":
        return _ops.expand(self, *shape)

    def clone(self) -> "Tensor":
        return _ops.clone(self)

    def to(self, dtype: Any) -> "Tensor":
        return _ops.to(self, dtype)

    def float(self) -> "Tensor":
        return _ops.to(self, dtypes.float32)

    def double(self) -> "Tensor":
        return _ops.to(self, dtypes.float64)

    def all(self) -> "Tensor":
        return Tensor(np.asarray(self.data.all()))

    def any(self) -> "Tensor":
        return Tensor(np.asarray(self.data.any()))

    def argmax(self, dim: Optional[int] = None, keepdim: bool = False) -> "Tensor":
        return Tensor(np.asarray(np.argmax(self.data, axis=dim, keepdims=keepdim)))

    def contiguous(self) -> "Tensor":
        return self

    # -- in-place operations ----------------------------------------------------------------
    def add_(self, other: Any) -> "Tensor":
        return _ops.inplace(self, _ops.add, other)

    def sub_(self, other: Any) -> "Tensor":
        return _ops.inplace(self, _ops.sub, other)

    def mul_(self, other: Any) -> "Tensor":
        return _ops.inplace(self, _ops.mul, other)

    def div_(self, other: Any) -> "Tensor":
        return _ops.inplace(self, _ops.div, other)

    def relu_(self) -> "Tensor":
        return _ops.inplace(self, _ops.relu)

    def clamp_(self, min: Optional[float] = None, max: Optional[float] = None) -> "Tensor":
        return _ops.inplace(self, _ops.clamp, min, max)

    def copy_(self, src: Any) -> "Tensor":
        return _ops.inplace(self, _ops.copy, src)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value: Scalar) -> "Tensor":
        return _ops.inplace(self, _ops.full_like, value)


def as_tensor_output(value: Any) -> Tensor:
    """What an op's forward returned, as a Tensor (numpy scalars become 0-d arrays)."""
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


# -- printing, the way torch prints ----------------------------------------------------------
def _float_formatter(values: np.ndarray) -> Callable[[Any], str]:
    finite = np.abs(values[np.isfinite(values)])
    nonzero = finite[finite != 0]
    if nonzero.size == 0:
        fmt = lambda v: f"{v:.0f}."  # noqa: E731
    else:
        lo, hi = nonzero.min(), nonzero.max()
        scientific = hi / lo > 1000.0 or hi > 1.0e8 or (lo < 1.0e-4 and not np.all(nonzero == np.ceil(nonzero)))
        if np.all(nonzero == np.ceil(nonzero)) and not scientific:
            fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"  # noqa: E731
        elif scientific:
            fmt = lambda v: f"{v:.4e}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else f"{v}"  # noqa: E731
    width = max((len(fmt(v)) for v in values.flat), default=0)
    return lambda v: fmt(v).rjust(width)


def _shown(data: np.ndarray) -> np.ndarray:
    """The elements torch shows of a big tensor (3 at each end of every long dimension)."""
    if data.size <= 1000:
        return data
    for axis, n in enumerate(data.shape):
        if n > 6:
            data = np.concatenate([data.take(range(3), axis), data.take(range(n - 3, n), axis)], axis)
    return data


def format_tensor(t: Tensor) -> str:
    data = t.data
    if data.dtype.kind == "f":
        formatter = {"float_kind": _float_formatter(_shown(data))}
    elif data.dtype.kind == "b":
        width = 5 if (~data).any() else 4
        formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    else:
        width = max((len(str(v)) for v in data.flat), default=0)
        formatter = {"int_kind": lambda v: str(v).rjust(width)}
    body = np.array2string(
        data, separator=", ", prefix="tensor(", formatter=formatter, max_line_width=81, threshold=1000
    )
    body = "[]" if data.size == 0 else body.replace(", ..., ", ",  ..., ")
    suffixes = []
    if t.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
        suffixes.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    # Suffixes go on the last line while it stays under 80 columns, as torch places them.
    out = "tensor(" + body
    line_len = len(out) - out.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > 80:
            out, line_len = out + ",\n       " + suffix, 7 + len(suffix)
        else:
            out, line_len = out + ", " + suffix, line_len + len(suffix) + 2
    return out + ")"


# -- factories -------------------------------------------------------------------------------
_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind `rand`, `randn` and the layers' initialisation."""
    global _rng
    _rng = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    return _rng


def _shape(size: Sequence[Any]) -> Shape:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (a list, number, numpy array or torch tensor)."""
    return Tensor(_infer_array(data, dtype), requires_grad=requires_grad)


def _factory(values: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    np_dtype = dtypes.to_numpy_dtype(dtype) or np.float32
    return Tensor(values.astype(np_dtype, copy=False), requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(_shape(size)), dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(_shape(size)), dtype, requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _factory(_rng.random(_shape(size)), dtype, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    return _factory(_rng.standard_normal(_shape(size)), dtype, requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = dtypes.float32
    return Tensor(values.astype(dtypes.to_numpy_dtype(dtype) or values.dtype), requires_grad=requires_grad)


from . import ops as _ops  # noqa: E402  (the ops import Tensor: import them once it exists)
