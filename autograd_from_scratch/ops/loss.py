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
        sq = (x.data - t.data) ** 2
        return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](sq)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        diff = x - t
        scale = 2.0 / diff.numel() if ctx.reduction == "mean" else 2.0
        g = grad * diff * scale
        return (g if ctx.needs_input_grad[0] else None,
                -g if ctx.needs_input_grad[1] else None, None)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    if not isinstance(target, Tensor) or not target.dtype.is_floating_point:
        # integer targets count in input's floating dtype, as torch's type promotion has it
        target = Tensor(np.asarray(to_array(target), dtype=input.data.dtype))
    return MseLoss.apply(input, target, reduction)


class LogSoftmax(Function):
    """z ↦ (z - m) - log Σ e^(z - m) along `dim`;   backward: g - e^y Σ g."""

    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, z: Tensor, dim: int) -> Tensor:
        shifted = z.data - z.data.max(axis=dim, keepdims=True)
        y = Tensor(shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True)))
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
        e = np.exp(z.data - z.data.max(axis=dim, keepdims=True))
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
    """L = -Σₙ wₙ logp[n, tₙ] / Σₙ wₙ ('mean'), or the sum, or per sample;  dL/dlogp is sparse."""

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp: Tensor, target: np.ndarray, weight: Optional[np.ndarray],
                ignore_index: int, reduction: str) -> np.ndarray:
        rows = np.arange(len(target))
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        w = (weight[safe] if weight is not None else np.ones(len(target), logp.data.dtype)) * keep
        losses = -w * logp.data[rows, safe]
        # dL/dlogp[n, tₙ] = -wₙ (divided by Σ w for 'mean'), kept as a dense matrix of coefficients.
        coef = np.zeros(logp.shape, dtype=logp.data.dtype)
        coef[rows, safe] = -w
        if reduction == "mean":
            coef /= w.sum()
        ctx.coef, ctx.reduction = Tensor(coef), reduction
        if reduction == "none":
            return losses
        return losses.sum() / w.sum() if reduction == "mean" else losses.sum()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        g = grad.unsqueeze(-1) if ctx.reduction == "none" else grad
        return g * ctx.coef, None, None, None, None


def nll_loss(input: Tensor, target: Any, weight: Optional[Tensor] = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C) for class indices target (N,)."""
    _check_reduction(reduction)
    target = to_array(target)
    if input.ndim == 1:  # unbatched: a batch of one sample
        out = nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
        return out.squeeze(0) if reduction == "none" else out
    if input.ndim != 2:
        raise RuntimeError(f"nll_loss expects input of shape (N, C) or (C,), got {list(input.shape)}")
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"expected target of class indices (an integer dtype), got {target.dtype}")
    if target.shape != input.shape[:1]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")
    bad = target[(target != ignore_index) & ((target < 0) | (target >= input.shape[1]))]
    if bad.size:
        raise IndexError(f"Target {bad[0]} is out of bounds: classes are 0..{input.shape[1] - 1}.")
    w = None if weight is None else weight.data.astype(input.data.dtype)
    return NllLoss.apply(input, target, w, ignore_index, reduction)


def cross_entropy(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                  ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-log softmax(input)[target], from logits (N, C) and class indices (N,), numerically stable.

    A float target of input's shape is read as class probabilities: -Σ_c target_c log softmax_c.
    """
    _check_reduction(reduction)
    logp = log_softmax(input, -1)
    target_array = to_array(target)
    if target_array.dtype.kind == "f":
        return _soft_cross_entropy(logp, target, target_array, weight, reduction)
    return nll_loss(logp, target_array, weight, ignore_index, reduction)


class DivByNumber(Function):
    """z = a / s for a number s (torch's `div.Scalar`);   dz/da = 1/s."""

    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, a: Tensor, s: float) -> np.ndarray:
        ctx.s = s
        return a.data / np.asarray(s, dtype=a.data.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return grad / ctx.s, None


def _soft_cross_entropy(logp: Tensor, target: Any, target_array: np.ndarray,
                        weight: Optional[Tensor], reduction: str) -> Tensor:
    """-Σ_c target_c log softmax_c for probability targets, recorded as torch records it."""
    if target_array.shape != logp.shape:
        raise RuntimeError(f"probability targets must have the input's shape {list(logp.shape)}, "
                           f"got {list(target_array.shape)}")
    probs = target if isinstance(target, Tensor) else Tensor(target_array.astype(logp.data.dtype))
    weighted = logp if weight is None else logp * weight
    if reduction == "none":
        return -(weighted * probs).sum(-1)
    total = -(weighted * probs).sum()
    return total if reduction == "sum" else DivByNumber.apply(total, logp.shape[0] if logp.ndim > 1 else 1)


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


def _per_element(grad: Tensor, reduction: str, n: int) -> Tensor:
    """The incoming gradient as the gradient of each element's loss (1/n of it for 'mean')."""
    return grad / n if reduction == "mean" else grad


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
            log_x, log_1mx = (np.maximum(np.log(v), -100) for v in (x.data, 1 - x.data))
        losses = -(t.data * log_x + (1 - t.data) * log_1mx)
        return _reduced(losses if weight is None else losses * weight, reduction)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        g = _per_element(grad, ctx.reduction, x.numel())
        if ctx.weight is not None:
            g = g * Tensor(ctx.weight)
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
        minus_log_sigmoid = np.maximum(-x.data, 0) + np.log1p(np.exp(-np.abs(x.data)))
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t.data
        losses = (1 - t.data) * x.data + scale * minus_log_sigmoid
        return _reduced(losses if weight is None else losses * weight, reduction)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        g = _per_element(grad, ctx.reduction, x.numel())
        if ctx.weight is not None:
            g = g * Tensor(ctx.weight)
        p = 1.0 if ctx.pos_weight is None else Tensor(ctx.pos_weight)
        grad_x = g * ((p * t + 1 - t) * sigmoid(x) - p * t) if ctx.needs_input_grad[0] else None
        grad_t = g * (_log_sigmoid(-x) - p * _log_sigmoid(x)) if ctx.needs_input_grad[1] else None
        return grad_x, grad_t, None, None, None


def _as_target(target: Any, input: Tensor) -> Tensor:
    return target if isinstance(target, Tensor) else Tensor(to_array(target).astype(input.data.dtype))


def _constant(t: Optional[Any], input: Tensor) -> Optional[np.ndarray]:
    """A weight: not differentiated (torch refuses one that requires grad), broadcast against input."""
    if t is None:
        return None
    if isinstance(t, Tensor) and t.requires_grad:
        raise RuntimeError("binary cross entropy is not differentiable with respect to its weights: "
                           "pass weights that do not require grad (weight.detach())")
    return to_array(t).astype(input.data.dtype)


def binary_cross_entropy(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                         reduction: str = "mean") -> Tensor:
    """Cross entropy of probabilities `input` (each in [0, 1]) against targets in [0, 1]."""
    _check_reduction(reduction)
    target = _as_target(target, input)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if ((input.data < 0) | (input.data > 1)).any():
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
