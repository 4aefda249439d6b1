"""In-place operations (`x.mul_(2)`, `x[0] = v`, `x.zero_()`) and how they rewrite history.

`apply_inplace(x, op, *args)` records `op` as if out of place, on a copy of x's old values (the
node may save them), writes the result into x's memory and bumps the version counter that x shares
with every view of the same memory, so that backward notices a saved tensor that was overwritten.

What the graph must say afterwards depends on who else sees that memory, and torch's answer is:

- x owns its memory (x is a base): x takes over the op's node. Its views, made before, now show
  new values: each one's history is rewritten as `AsStridedBackward0` of the base's new history
  (so `v = b[:2]; b.mul_(3); (v * w).sum().backward()` gives the 3w that it should).
- x is a view of a base b: the change is a change of b. b's history becomes `CopySlices`: its
  backward takes the gradient of b, hands the part that x covers to the op's node, and puts what
  the node returns for x's old values back in that part. Then every view of b, x included, is
  rewritten as `AsStridedBackward0` of b's `CopySlices`.

A view keeps the numpy recipe that made it from its base's array (`_view_fn`, see
`ops/shape.py`); applied to an array of base positions it says which elements of the base the view
covers, which is all `CopySlices` and `AsStridedBackward0` need.
"""
from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np
from numpy.lib.array_utils import byte_bounds

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..autograd.graph import Grads, Node, get_gradient_edge
from ..parallel import pointwise
from ..tensor import Tensor
from .indexing import Index, IndexPut, ZerosIndexPut

ViewFn = Callable[[np.ndarray], np.ndarray]


def apply_inplace(x: Tensor, op: Callable[..., Tensor], *args: Any, filling: bool = False) -> Tensor:
    """Run `op(x, *args)` and write the result into x itself. `filling`: op is fill_ or zero_, one
    value for every element, read before anything is written: it may be an element of x, and x's
    elements may share memory (an expanded view), as torch allows."""
    recording = is_grad_enabled() and x.dtype.is_floating_point and (
        x.requires_grad or builtins.any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    _check_view_mode(x, recording)
    if recording:
        _check_recordable(x)
    # the op's own errors come first, as in torch
    out = op(_old_values(x, copy=getattr(op, "keeps_input", True)) if recording else x, *args)
    _check_writable(x, args, filling)
    _write(x, out)
    if recording:
        _rewrite_history(x, out)
    else:  # unrecorded (no_grad, or through a detach()): torch still rewrites the views' histories
        rebase_views(x._base if x._base is not None else x)
    return x


def _old_values(x: Tensor, copy: bool) -> Tensor:
    """x's values with x's history, as the op's input: a copy, since the op's node may save them and
    they must not change; x's own memory where the op's node keeps no input (`op.keeps_input` False:
    relu saves its output), which saves a pass over the data (ResNet's in-place ReLUs)."""
    before = Tensor(x.array.copy() if copy else x.array, requires_grad=False)
    before._requires_grad, before.grad_fn, before._output_nr = x.requires_grad, x.grad_fn, x._output_nr
    return before


def _write(x: Tensor, out: Tensor) -> None:
    if not dtypes.can_cast(out.array.dtype, x.array.dtype):
        raise RuntimeError(f"result type {_torch_name(out.dtype)} can't be cast to the desired "
                           f"output type {_torch_name(x.dtype)}")
    if out.shape != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                           f"{list(out.shape)}: an in-place op cannot change the shape of its tensor")
    pointwise(_copy, out.array, out=x.array)
    x._bump_version()


def _copy(new: np.ndarray, out: np.ndarray) -> None:
    np.copyto(out, new, casting="unsafe")


def _rewrite_history(x: Tensor, out: Tensor) -> None:
    """x (a base) takes over the op's node, or x's base becomes CopySlices of it; then every view
    of the base is rebased (see the module's docstring)."""
    _saved_result_is_x(out, x)
    base = x._base if x._base is not None else x
    if base is x:
        x.grad_fn, x._output_nr, x._requires_grad = out.grad_fn, out._output_nr, out.requires_grad
    else:
        assert x._view_fn is not None and out.grad_fn is not None  # a recorded op on a view
        base._set_history(CopySlices(base, x._view_fn, out.grad_fn), 0)
    rebase_views(base)


def _saved_result_is_x(out: Tensor, x: Tensor) -> None:
    """An op that saved its result (relu_) saved x itself, as torch's in-place ops do: then a later
    in-place change of x's memory, through x or any view of it, makes that backward refuse."""
    for saved in getattr(out.grad_fn, "_saved", None) or []:
        if saved is not None and saved.tensor is out:
            saved.tensor, saved.version = x, x._version


def _check_view_mode(x: Tensor, recording: bool) -> None:
    """A view taken under no_grad(), changed in place with grad on where that would be recorded
    (or where its base requires grad): should the change reach the base's history? torch refuses
    to guess, and so do we."""
    base = x._base
    if x._view_made_in_no_grad and base is not None and is_grad_enabled() and (recording or base.requires_grad):
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You "
            "can clarify your code by moving both the view and the inplace either both inside the "
            "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
            "want the inplace to be tracked)."
        )


def _check_recordable(x: Tensor) -> None:
    if x.is_leaf and x.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. Its "
            "gradient would have to describe values it no longer holds. Update parameters "
            "inside `with afs.no_grad():` (as optimizers do), or work on a copy (`x.clone()`)."
        )
    base = x._base
    if base is not None and base.is_leaf and base.requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation. "
            "Change a copy instead (`x.clone()[...]`), or the leaf itself inside `with afs.no_grad():`."
        )


def _check_writable(x: Tensor, args: tuple, filling: bool) -> None:
    """Writing is ambiguous where elements of x share memory (an expanded view), or where an input
    shares memory with x but sees it differently (`x += x[:1]`, `x.add_(x.t())`: is an element
    read before or after it is written?). As torch, only x's own view of it is fine (`x.add_(x)`)."""
    if filling:
        return
    if x.array.size and any(stride == 0 and n > 1 for stride, n in zip(x.array.strides, x.shape)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    for a in args:
        if (isinstance(a, Tensor) and a.array.size and _dense(a.array) and _dense(x.array)
                and np.shares_memory(a.array, x.array) and not _same_view(a, x)):
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation."
            )


def _dense(d: np.ndarray) -> bool:
    """Its elements fill its bytes without gaps or repeats: only then does torch check overlaps."""
    low, high = byte_bounds(d)
    return high - low == d.nbytes


def _same_view(a: Tensor, x: Tensor) -> bool:
    return (byte_bounds(a.array) == byte_bounds(x.array) and a.shape == x.shape
            and a.array.strides == x.array.strides)


def _torch_name(d: dtypes.dtype) -> str:
    """How torch names a dtype in its messages: Float, Double, Long, Bool."""
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "float16": "Half"}[d.name]


def rebase_views(base: Tensor) -> None:
    """Every live view of `base`'s memory now depends on its base's new history: AsStridedBackward0
    of it. As torch, whenever the memory changed, recorded or not (torch regenerates a view's
    grad_fn when the version it shares has moved); views taken under no_grad() keep no history."""
    with enable_grad():
        for view in list(base._views or ()):
            if view._base.requires_grad and not view._view_made_in_no_grad:
                view._set_history(AsStrided.apply(view._base, view._view_fn).grad_fn, 0)


def _positions(view_fn: ViewFn, shape: tuple) -> np.ndarray:
    """For each element of the view, its position in the (flattened) base."""
    return np.asarray(view_fn(np.arange(int(np.prod(shape))).reshape(shape)))


class AsStrided(Function):
    """z = the part of the base that a view covers;   dL/dbase is dL/dz put back at those
    positions (added where an expanded view covers one position several times)."""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base: Tensor, view_fn: ViewFn) -> np.ndarray:
        ctx.shape = base.shape
        ctx.positions = _positions(view_fn, base.shape)
        return view_fn(base.array)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        flat = ZerosIndexPut.apply(grad, (ctx.positions,), (int(np.prod(ctx.shape)),), True)
        return flat.reshape(ctx.shape), None


class CopySlices(Node):
    """The history of a base after an in-place op on one of its views.

    Backward: of the base's gradient g, the part the view covers goes through `fn` (the in-place
    op's node); what fn returns for the view's old values replaces that part of g (the base's old
    values elsewhere were not changed), and fn's other gradients go to its other inputs."""

    def __init__(self, base: Tensor, view_fn: ViewFn, fn: Node) -> None:
        self.fn = fn
        self.shape = base.shape
        self.positions = _positions(view_fn, base.shape)
        self.next_functions = (tuple(get_gradient_edge(base)),) + fn.next_functions[1:]  # type: ignore[assignment]
        self.input_metadata = ((base.shape, base.dtype),) + fn.input_metadata[1:]
        self.output_metadata = ((base.shape, base.dtype),)

    def name(self) -> str:
        return "CopySlices"

    def __call__(self, *grads: Any) -> Grads:
        (grad,) = grads
        if np.unique(self.positions).size < self.positions.size:  # an expanded view was filled
            raise RuntimeError(  # torch too refuses to write the view's gradient into the base's
                "unsupported operation: more than one element of the written-to tensor refers to a "
                "single memory location. Please clone() the tensor before performing the operation.")
        key = (self.positions,)
        flat = grad.reshape(-1)
        res = self.fn(Index.apply(flat, key, "IndexBackward0"))
        old_part = res[0] if res[0] is not None else Tensor(np.zeros(self.positions.shape, grad.array.dtype))
        return (IndexPut.apply(flat, old_part, key).reshape(self.shape),) + tuple(res[1:])

    def release_saved(self) -> None:
        self.fn.release_saved()
