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
from ..tensor import Tensor

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
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.data.dtype))
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"mse_cpu\" not implemented for {input.dtype}: mse_loss needs "
                                  "floating point values, e.g. x.float()")
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
        shifted = z.data - z.data.max(axis=dim, keepdims=True)
        # C-contiguous whatever z's layout, as torch's kernel writes it (a later view relies on it)
        y = Tensor(np.asarray(shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True)), order="C"))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return LogSoftmax.apply(input, dim)


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
        picked, w = _picked(ctx, target[0].data, logp.data.dtype)
        losses = -w * np.take_along_axis(logp.data, picked, ctx.axis)
        if reduction == "none":
            return losses.squeeze(ctx.axis)
        with np.errstate(all="ignore"):  # every sample ignored: nan, silently as in torch
            return losses.sum() / w.sum() if reduction == "mean" else losses.sum()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (target,) = ctx.saved_tensors
        shape, dtype = ctx.input_metadata[0][0], ctx.input_metadata[0][1].numpy
        picked, w = _picked(ctx, target.data, dtype)
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


def _target_array(target: Any) -> np.ndarray:
    if isinstance(target, Tensor):
        return target.data
    if hasattr(target, "detach"):  # a torch tensor
        return target.detach().cpu().numpy()
    return np.asarray(target)


def nll_loss(input: Tensor, target: Any, weight: Optional[Tensor] = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities input (C,), (N, C) or (N, C, d1, ...) for
    class indices target (), (N,) or (N, d1, ...). As torch, 4-D inputs are NllLoss2d, and other
    inputs with extra dims are seen as (N, C, 1, d1·d2·...) first."""
    _check_reduction(reduction)
    target_tensor = target if isinstance(target, Tensor) else Tensor(_target_array(target))
    target = target_tensor.data
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
    w = None if weight is None else weight.data.astype(input.data.dtype)
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
    target_array = _target_array(target)
    if target_array.dtype.kind == "f":
        return _soft_cross_entropy(logp, target, target_array, weight, reduction)
    return nll_loss(logp, target if isinstance(target, Tensor) else target_array, weight, ignore_index, reduction)


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
    classes = 1 if logp.ndim > 1 else 0
    if weight is not None:  # one weight per class: along the class dimension
        weight = weight.reshape((-1,) + (1,) * (logp.ndim - classes - 1))
    weighted = logp if weight is None else logp * weight
    if reduction == "none":
        return -(weighted * probs).sum(classes)
    total = -(weighted * probs).sum()
    samples = logp.numel() // logp.shape[classes]  # N · d1 · d2 ... (1 for an unbatched input)
    return total if reduction == "sum" else DivByNumber.apply(total, samples)
