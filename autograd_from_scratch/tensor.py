"""`Tensor`: a numpy array plus the bookkeeping autograd needs.

A tensor holds its values in `.array`, a numpy array (afs's storage: torch keeps its in C++, so
torch has no such attribute), and, for autograd:

- `requires_grad`: whether operations on it are recorded;
- `grad_fn`: the node that produced it (None for a leaf, a tensor you created yourself);
- `grad`: after `backward()`, the gradient of the output with respect to this (leaf) tensor;
- a version counter, bumped by every in-place change, so that backward can refuse to use a saved
  tensor that was modified after it was saved.

The operations live in `ops/`. The Python operators (`+`, `*`, `@`, `[]`, ...) are written out
below; the methods named like torch's functions (`x.exp()`, `x.sum(dim)`, `x.add_(y)`, ...) are
attached from one table, `ops.TENSOR_METHODS`, when the package is imported. Printing is in
`_tensor_str.py`, the creation functions (`tensor`, `zeros`, `randn`, ...) in `creation.py`.
"""
from __future__ import annotations

import warnings
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

import numpy as np

from . import dtypes
from ._tensor_str import format_tensor
from .device import CPU, check_device, device
from .size import Size

if TYPE_CHECKING:
    from .autograd.graph import AccumulateGrad, Node, RemovableHandle

Scalar = Union[int, float, bool]
Shape = tuple[int, ...]


def _infer_array(data: Any, dtype: Any) -> np.ndarray:
    """Turn lists, numbers, numpy arrays and torch tensors into an array, with torch's dtype rules."""
    if isinstance(data, Tensor) or is_torch_tensor(data):
        data = to_array(data)
    np_dtype = dtypes.to_numpy_dtype(dtype)
    if np_dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"a tensor holds numbers or booleans, not {arr.dtype.kind!r}-kind values "
                             f"such as {type(arr.flat[0]).__name__ if arr.size else 'these'}")
        # Python floats become float32 (torch's default dtype), not numpy's float64.
        return arr.astype(np.float32) if arr.dtype == np.float64 else arr.copy()
    return np.array(data, dtype=np_dtype)


def is_torch_tensor(value: Any) -> bool:
    """A torch tensor, recognised without importing torch (the engine does not depend on it)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def to_array(value: Any) -> np.ndarray:
    """The values of an afs tensor, a torch tensor, a numpy array or a number, as a numpy array
    (the tensor's own array where there is one: no copy)."""
    if isinstance(value, Tensor):
        return value.array
    if is_torch_tensor(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)


_WARNED: set[str] = set()
_WARN_ALWAYS = [False]


def set_warn_always(b: bool) -> None:
    """torch.set_warn_always: give the warnings that are normally given once per process every time."""
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled() -> bool:
    return _WARN_ALWAYS[0]


def _warn_once(message: str) -> None:
    """A UserWarning given once per process, as torch's TORCH_WARN_ONCE does."""
    if message not in _WARNED or _WARN_ALWAYS[0]:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def size_arg(size: Sequence[Any]) -> Shape:
    """Sizes given as torch takes them: `f(2, 3)` or `f((2, 3))` or `f([2, 3])`."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


class Tensor:
    # numpy must defer to Tensor in `array * tensor`, so Tensor's reflected operators run.
    __array_ufunc__ = None
    # `__eq__` returns a tensor (elementwise, as torch), which would make Tensor unhashable; tensors
    # are hashed by identity, as torch's are, so they can be dict keys and set members.
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, np.ndarray) and dtype is None:
            self.array = data  # internal fast path: wrap an op's result without copying
        else:
            self.array = _infer_array(data, dtype)
        self._grad: Optional[Tensor] = None
        self.grad_fn: Optional[Node] = None
        self._output_nr = 0
        # A list, so that views share one counter with their base: an in-place change through
        # any of them bumps the version that every saved copy is checked against.
        self._version_counter = [0]
        self._base: Optional[Tensor] = None
        # A view: the numpy ops that make its array from its base's (so autograd can redo them);
        # a base: its live views (a WeakSet), whose histories an in-place change rewrites.
        self._view_fn: Optional[Callable[[np.ndarray], np.ndarray]] = None
        self._views: Any = None
        self._view_made_in_no_grad = False  # such a view may not be changed in place with grad on
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
        if self.grad_fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        """As torch, refuse at the assignment what would break later (in backward or an optimizer)."""
        if value is not None:
            _check_assigned_grad(self, value)
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

    def _set_history(self, node: "Node", output_nr: int) -> None:
        """Become output `output_nr` of `node` (what recording an op does to its result)."""
        self._requires_grad, self.grad_fn, self._output_nr = True, node, output_nr

    def backward(self, gradient: Optional["Tensor"] = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, inputs: Optional[Sequence["Tensor"]] = None) -> None:
        """Compute the gradient of this tensor with respect to every leaf (or only `inputs`),
        accumulated into their `.grad`.

        For a non-scalar tensor, `gradient` is the vector v of the vector-Jacobian product: the
        leaves receive v^T J.
        """
        from .autograd.engine import run_backward

        inputs = [inputs] if isinstance(inputs, Tensor) else inputs
        run_backward([self], [gradient], retain_graph, create_graph, inputs=inputs)

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor too (leaves always keep theirs)."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        self.grad_fn._retain_grad(self._output_nr, self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retains_grad_of(self._output_nr) is self

    def register_hook(self, hook: Callable[["Tensor"], Optional["Tensor"]]) -> "RemovableHandle":
        """`hook(grad)` runs when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.graph import RemovableHandle, get_gradient_edge

        node, output_nr = get_gradient_edge(self)
        if node is None:  # a view taken under no_grad(): no gradient reaches it, as in torch
            return RemovableHandle([], hook)
        return node._register_tensor_hook(output_nr, hook)

    def detach(self) -> "Tensor":
        """The same values (shared memory and version counter), cut out of the graph. An in-place
        change through it is a change of this memory: the live views of it are rebased as after
        any in-place change (see `ops/inplace.py`), so it shares their list."""
        out = Tensor(self.array)
        out._version_counter = self._version_counter
        base = self._base if self._base is not None else self
        if base._views is None:
            base._views = weakref.WeakSet()
        out._views = base._views
        return out

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def data(self) -> "Tensor":
        """torch's `.data`: the same values as a tensor outside autograd.

        It shares memory with this tensor, does not require grad, and has its own version
        counter: a change made through `.data` is invisible to autograd (which is why torch
        recommends `detach()` and `no_grad()` instead; `.data` is what older code uses, as in
        `p.data -= lr * p.grad.data`).
        """
        return Tensor(self.array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        """`x.data = t`: x now holds t's values (shared, not copied), as torch's does."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self.array = value.array

    # -- plain attributes ---------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    def size(self, dim: Optional[int] = None) -> Union[Size, int]:
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    @property
    def device(self) -> device:
        """Always the CPU: afs's arrays are numpy arrays (see `device.py`)."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self.array.dtype)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return self.array.size

    def __len__(self) -> int:
        return len(self.array)

    def item(self) -> Scalar:
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted to Scalar")
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self.array

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.array)

    def __float__(self) -> float:
        if self.requires_grad:
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.", UserWarning,
                          stacklevel=2)
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Scalar:
        if self.array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.array.item()

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return format_tensor(self)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def half(self) -> "Tensor":
        raise RuntimeError(dtypes.HALF_REFUSED)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device: Any = None, non_blocking: Any = False) -> "Tensor":
        """Refused: afs runs on the CPU only (see `device.py`)."""
        check_device("cuda" if device is None else device)
        return self

    @property
    def T(self) -> "Tensor":
        """The dimensions reversed (a transpose for a matrix); deprecated by torch beyond 2-D."""
        if self.ndim == 0:
            _warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
        elif self.ndim > 2:
            _warn_once("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                       "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                       "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
                       "to reverse the dimensions of a tensor.")
        return self.permute(*reversed(range(self.ndim)))

    def contiguous(self) -> "Tensor":
        """Itself if its memory is laid out row after row; else a copy that is (CloneBackward0)."""
        return self if self.array.flags.c_contiguous else self.clone()

    if TYPE_CHECKING:
        # What type checkers need to know of the methods attached from `ops.TENSOR_METHODS` (the
        # Python operators, `x.exp()`, `x.sum(dim)`, ...): each takes and returns tensors.
        def __getattr__(self, name: str) -> Any: ...
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...


def _check_assigned_grad(t: Tensor, value: Any) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(value).__name__}")
    if value.shape != t.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a "
                           f"tensor of size '{list(t.shape)}': they must be the same size")
    if value.dtype != t.dtype:
        raise RuntimeError(f"attempting to assign a gradient with dtype {value.dtype} to a tensor "
                           f"with dtype {t.dtype}: they must be the same dtype")
