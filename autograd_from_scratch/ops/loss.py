"""Losses: mean squared error, and cross entropy as log-softmax followed by negative log-likelihood.

    mse(x, t) = mean((x - t)²)                      d/dx = 2 (x - t) / n

Cross entropy of logits z against class k is -log softmax(z)_k. Computing softmax first and its
log afterwards overflows for large logits (e^1000) and loses small probabilities to 0 (log 0);
log-softmax written with the row maximum m subtracted never exponentiates a positive number:

    log softmax(z)_i = (z_i - m) - log Σ_j e^(z_j - m)
    d/dz: g ↦ g - softmax(z) · Σ g   (= g - e^(log softmax) Σ g)

and the negative log-likelihood just picks (and averages) -logp[n, target[n]]. torch records the
same two nodes, `LogSoftmaxBackward0` and `NllLossBackward0`. These backward rules are tensor
operations, so second derivatives work through them.
"""
from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, to_array
from .elementwise import relu, sigmoid
from .extremes import maximum
from .unary import log1p

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction: use one of {REDUCTIONS}")


class MseLoss(Function):
    """L = reduce((x - t)²);   dL/dx = 2 (x - t) / n,   dL/dt = -2 (x - t) / n  (n = 1 for 'sum')."""

    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, t: Tensor, reduction: str) -> np.ndarray:
        ctx.save_for_backward(x, t)
        ctx.reduction = reduction
        sq = (x.array - t.array) ** 2
        if reduction == "none":
            return sq
        with np.errstate(all="ignore"):  # the mean of no element is nan, silently as in torch
            return np.sum(sq) / sq.size if reduction == "mean" else np.sum(sq)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        diff = x - t
        scale = 2.0 / max(diff.numel(), 1) if ctx.reduction == "mean" else 2.0  # (empty: nothing to scale)
        g = grad * diff * scale
        return (g if ctx.needs_input_grad[0] else None,
                -g if ctx.needs_input_grad[1] else None, None)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"mse_cpu\" not implemented for {input.dtype}: mse_loss needs "
                                  "floating point values, e.g. x.float()")
    if not isinstance(target, Tensor) or not target.dtype.is_floating_point:
        # integer targets count in input's floating dtype, as torch's type promotion has it
        target = Tensor(np.asarray(to_array(target), dtype=input.array.dtype))
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({list(target.shape)}) that is different to the input "
                      f"size ({list(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=2)
    return MseLoss.apply(input, target, reduction)


class LogSoftmax(Function):
    """z ↦ (z - m) - log Σ e^(z - m) along `dim`;   backward: g - e^y Σ g."""

    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, z: Tensor, dim: int) -> Tensor:
        shifted = z.array - z.array.max(axis=dim, keepdims=True)
        # C-contiguous whatever z's layout, as torch's kernel writes it (a later view relies on it)
        y = Tensor(np.asarray(shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True)), order="C"))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None


def softmax_dim(ndim: int, name: str) -> int:
    """The dimension torch picks when none is given (0 for 0-, 1- and 3-d inputs, else 1), with its
    deprecation warning: say `dim=` instead."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def log_softmax(input: Tensor, dim: Optional[int] = None, dtype: Any = None) -> Tensor:
    input = input if dtype is None else input.to(dtype)
    return LogSoftmax.apply(input, softmax_dim(input.ndim, "log_softmax") if dim is None else dim)


class Softmax(Function):
    """s = e^(z - m) / Σ e^(z - m) along `dim` (m the maximum, so nothing overflows);
    backward: s · (g - Σ g s)."""

    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, z: Tensor, dim: int) -> Tensor:
        e = np.exp(z.array - z.array.max(axis=dim, keepdims=True))
        s = Tensor(e / e.sum(axis=dim, keepdims=True))
        ctx.save_for_backward(s)
        ctx.dim = dim
        return s

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (s,) = ctx.saved_tensors
        return s * (grad - (grad * s).sum(ctx.dim, keepdim=True)), None


def softmax(input: Tensor, dim: Optional[int] = None, dtype: Any = None) -> Tensor:
    input = input if dtype is None else input.to(dtype)
    return Softmax.apply(input, softmax_dim(input.ndim, "softmax") if dim is None else dim)


class NllLoss(Function):
    """L = -Σₙ wₙ logp[n, tₙ] / Σₙ wₙ ('mean'), or the sum, or per sample;  dL/dlogp is sparse.

    logp is (C,), (N, C) or (N, C, H, W) (torch's NllLoss2d), the target (), (N,) or (N, H, W):
    one class per sample (and per position)."""

    @staticmethod
    def forward(ctx, logp: Tensor, target: tuple, weight: Optional[np.ndarray],
                ignore_index: int, reduction: str) -> np.ndarray:
        # The target comes in a tuple: it has no edge in torch's graph (an integer tensor), but it
        # is saved, so changing it in place before backward makes backward refuse, as in torch.
        ctx.save_for_backward(target[0])
        ctx.node_name = "NllLoss2DBackward0" if logp.ndim == 4 else "NllLossBackward0"
        ctx.axis, ctx.weight, ctx.ignore_index, ctx.reduction = (
            1 if logp.ndim > 1 else 0, weight, ignore_index, reduction)  # axis: of the classes
        picked, w = _picked(ctx, target[0].array, logp.array.dtype)
        losses = -w * np.take_along_axis(logp.array, picked, ctx.axis)
        if reduction == "none":
            return losses.squeeze(ctx.axis)
        with np.errstate(all="ignore"):  # every sample ignored: nan, silently as in torch
            return losses.sum() / w.sum() if reduction == "mean" else losses.sum()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (target,) = ctx.saved_tensors
        shape, dtype = ctx.input_metadata[0][0], ctx.input_metadata[0][1].numpy
        picked, w = _picked(ctx, target.array, dtype)
        # dL/dlogp[n, tₙ] = -wₙ (divided by Σ w for 'mean'), as a dense array of coefficients.
        coef = np.zeros(shape, dtype=dtype)
        total = w.sum() if ctx.reduction == "mean" and w.sum() else 1  # all ignored: zeros, as torch
        np.put_along_axis(coef, picked, -w / total, ctx.axis)
        g = grad.unsqueeze(ctx.axis) if ctx.reduction == "none" else grad
        return g * Tensor(coef), None, None, None, None


def _picked(ctx: Any, target: np.ndarray, dtype: np.dtype) -> tuple:
    """The class index of each sample (along the class axis) and its weight (0 where ignored)."""
    keep = np.expand_dims(target != ctx.ignore_index, ctx.axis)
    picked = np.where(keep, np.expand_dims(target, ctx.axis), 0)
    w = ctx.weight[picked] if ctx.weight is not None else np.ones(picked.shape, dtype)
    return picked, w * keep


def nll_loss(input: Tensor, target: Any, weight: Optional[Tensor] = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities input (C,), (N, C) or (N, C, d1, ...) for
    class indices target (), (N,) or (N, d1, ...). As torch, 4-D inputs are NllLoss2d, and other
    inputs with extra dims are seen as (N, C, 1, d1·d2·...) first."""
    _check_reduction(reduction)
    target_tensor = target if isinstance(target, Tensor) else Tensor(to_array(target))
    target = target_tensor.array
    if input.ndim == 0:
        raise RuntimeError("input tensor should be 1D or more")
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"expected target of class indices (an integer dtype), got {target.dtype}")
    if input.ndim <= 2 and target.shape != input.shape[:-1]:
        raise ValueError(f"Expected input batch_size ({input.shape[0] if input.ndim > 1 else 1}) to "
                         f"match target batch_size ({target.shape[0] if target.ndim else 1}).")
    if input.ndim > 2 and target.shape != input.shape[:1] + input.shape[2:]:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + input.shape[2:])}, got "
                           f"{list(target.shape)}")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    bad = target[(target != ignore_index) & ((target < 0) | (target >= classes))]
    if bad.size:
        raise IndexError(f"Target {bad[0]} is out of bounds: classes are 0..{classes - 1}.")
    w = None if weight is None else weight.array.astype(input.array.dtype)
    if input.ndim <= 2 or input.ndim == 4:
        return NllLoss.apply(input, (target_tensor,), w, ignore_index, reduction)
    n, c = input.shape[:2]
    out = NllLoss.apply(input.contiguous().reshape(n, c, 1, -1), (target_tensor.reshape(n, 1, -1),), w,
                        ignore_index, reduction)
    return out.view(target.shape) if reduction == "none" else out


def cross_entropy(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                  ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-log softmax(input)[target], from logits (N, C) and class indices (N,), numerically stable.

    A float target of input's shape is read as class probabilities: -Σ_c target_c log softmax_c.
    """
    _check_reduction(reduction)
    logp = log_softmax(input, 1 if input.ndim > 1 else 0)  # over the classes
    target_array = to_array(target)
    if target_array.dtype.kind == "f":
        return _soft_cross_entropy(logp, target, target_array, weight, reduction)
    return nll_loss(logp, target if isinstance(target, Tensor) else target_array, weight, ignore_index, reduction)


class DivTensorScalar(Function):
    """z = a / s for a number s (torch's `div.Scalar`);   dz/da = 1/s."""

    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, a: Tensor, s: float) -> np.ndarray:
        ctx.s = s
        return a.array / np.asarray(s, dtype=a.array.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad / ctx.s, None


def _soft_cross_entropy(logp: Tensor, target: Any, target_array: np.ndarray,
                        weight: Optional[Tensor], reduction: str) -> Tensor:
    """-Σ_c target_c log softmax_c for probability targets, recorded as torch records it."""
    if target_array.shape != logp.shape:
        raise RuntimeError(f"probability targets must have the input's shape {list(logp.shape)}, "
                           f"got {list(target_array.shape)}")
    probs = target if isinstance(target, Tensor) else Tensor(target_array.astype(logp.array.dtype))
    classes = 1 if logp.ndim > 1 else 0
    if weight is not None:  # one weight per class: along the class dimension
        weight = weight.reshape((-1,) + (1,) * (logp.ndim - classes - 1))
    weighted = logp if weight is None else logp * weight
    if reduction == "none":
        return -(weighted * probs).sum(classes)
    total = -(weighted * probs).sum()
    samples = logp.numel() // logp.shape[classes]  # N · d1 · d2 ... (1 for an unbatched input)
    return total if reduction == "sum" else DivTensorScalar.apply(total, samples)


# -- binary cross entropy ------------------------------------------------------------------------
#     bce(x, t)             = -w [t log x + (1 - t) log(1 - x)]            x a probability
#     bce_with_logits(x, t) = -w [p t log σ(x) + (1 - t) log σ(-x)]        x a logit, p pos_weight
# The second form never computes σ(x) and then its log: log σ(x) = -(max(-x, 0) + log(1 + e^-|x|))
# exponentiates only non-positive numbers, so a logit of ±1000 gives a finite loss and gradient.
# Both record the reduction in their own node, as torch does, and differentiate for the target too.

def _reduced(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return np.asarray(losses.mean() if reduction == "mean" else losses.sum())


def _per_element(ctx: Any, grad: Tensor, n: int) -> Tensor:
    """The incoming gradient as the gradient of each element's weighted loss: w times it (w/n for
    'mean'), the factor both binary cross entropies start their backward with."""
    g = grad / n if ctx.reduction == "mean" else grad
    return g if ctx.weight is None else g * Tensor(ctx.weight)


def _log_sigmoid(x: Tensor) -> Tensor:
    return -(relu(-x) + log1p((-x.abs()).exp()))


class BinaryCrossEntropy(Function):
    """L = -w [t log x + (1-t) log(1-x)] (logs clamped at -100, as torch);
    dL/dx = w (x - t) / max(x (1 - x), 1e-12),   dL/dt = w [log(1 - x) - log x]."""

    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, t: Tensor, weight: Optional[np.ndarray], reduction: str) -> np.ndarray:
        ctx.save_for_backward(x, t)
        ctx.weight, ctx.reduction = weight, reduction
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped to -100 as torch clamps it
            log_x, log_1mx = (np.maximum(np.log(v), -100) for v in (x.array, 1 - x.array))
        losses = -(t.array * log_x + (1 - t.array) * log_1mx)
        return _reduced(losses if weight is None else losses * weight, reduction)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        g = _per_element(ctx, grad, x.numel())
        grad_x = g * (x - t) / maximum((1 - x) * x, 1e-12) if ctx.needs_input_grad[0] else None
        grad_t = None
        if ctx.needs_input_grad[1]:
            grad_t = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return grad_x, grad_t, None, None


class BinaryCrossEntropyWithLogits(Function):
    """L = w [(1 - t) x - (1 + (p - 1) t) log σ(x)]  (the same as -w [p t log σ(x) + (1-t) log σ(-x)]);
    dL/dx = w [(p t + 1 - t) σ(x) - p t],   dL/dt = w [log σ(-x) - p log σ(x)]."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, t: Tensor, weight: Optional[np.ndarray],
                pos_weight: Optional[np.ndarray], reduction: str) -> np.ndarray:
        ctx.save_for_backward(x, t)
        ctx.weight, ctx.pos_weight, ctx.reduction = weight, pos_weight, reduction
        minus_log_sigmoid = np.maximum(-x.array, 0) + np.log1p(np.exp(-np.abs(x.array)))
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t.array
        losses = (1 - t.array) * x.array + scale * minus_log_sigmoid
        return _reduced(losses if weight is None else losses * weight, reduction)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        g = _per_element(ctx, grad, x.numel())
        p = 1.0 if ctx.pos_weight is None else Tensor(ctx.pos_weight)
        grad_x = g * ((p * t + 1 - t) * sigmoid(x) - p * t) if ctx.needs_input_grad[0] else None
        grad_t = g * (_log_sigmoid(-x) - p * _log_sigmoid(x)) if ctx.needs_input_grad[1] else None
        return grad_x, grad_t, None, None, None


def _as_target(target: Any, input: Tensor) -> Tensor:
    return target if isinstance(target, Tensor) else Tensor(to_array(target).astype(input.array.dtype))


def _constant(t: Optional[Any], input: Tensor) -> Optional[np.ndarray]:
    """A weight: not differentiated (torch refuses one that requires grad), broadcast against input."""
    if t is None:
        return None
    if isinstance(t, Tensor) and t.requires_grad:
        raise RuntimeError("binary cross entropy is not differentiable with respect to its weights: "
                           "pass weights that do not require grad (weight.detach())")
    return to_array(t).astype(input.array.dtype)


def binary_cross_entropy(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                         reduction: str = "mean") -> Tensor:
    """Cross entropy of probabilities `input` (each in [0, 1]) against targets in [0, 1]."""
    _check_reduction(reduction)
    target = _as_target(target, input)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if ((input.array < 0) | (input.array > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy "
                           "takes probabilities; for logits use binary_cross_entropy_with_logits)")
    return BinaryCrossEntropy.apply(input, target, _constant(weight, input), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                                     reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """Cross entropy of σ(input) against targets in [0, 1], computed from the logits stably."""
    _check_reduction(reduction)
    target = _as_target(target, input)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return BinaryCrossEntropyWithLogits.apply(input, target, _constant(weight, input),
                                              _constant(pos_weight, input), reduction)
