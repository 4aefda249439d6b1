"""Batch normalisation.

Each channel c is normalised with the mean and variance of its M = N·H·W values in the batch,
then scaled and shifted by learned per-channel γ (weight) and β (bias):

    μ = (1/M) Σ x        σ² = (1/M) Σ (x - μ)²        x̂ = (x - μ) / √(σ² + ε)        y = γ x̂ + β

In training mode μ and σ² are the batch's own statistics (the biased variance), and the running
estimates used at evaluation time move towards them:

    running_mean ← (1 - m) running_mean + m μ
    running_var  ← (1 - m) running_var  + m σ² · M/(M - 1)      (the unbiased variance)

In evaluation mode μ and σ² are the running estimates: constants, so y is just an affine map.

Backward, with g = dL/dy. γ and β are a per-channel scale and shift:

    dL/dβ = Σ g        dL/dγ = Σ g x̂

In training mode x reaches y also through μ and σ², which gives the classic three-term formula

    dL/dx = γ/√(σ² + ε) · (g - mean(g) - x̂ · mean(g x̂))

(the two means remove the components of g that a shift and a scaling of the batch cannot
produce); in evaluation mode simply dL/dx = γ/√(σ² + ε) · g.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..autograd.function import Function, once_differentiable
from ..tensor import Tensor
from .optional import defined, optional


def _per_channel(v: np.ndarray) -> np.ndarray:
    """A (C,) vector shaped to broadcast over x viewed as (N, C, H·W)."""
    return v[:, None]


class BatchNorm(Function):
    """y = γ (x - μ)/√(σ² + ε) + β over the channels of x (N, C, ...)."""

    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, running_mean: Optional[np.ndarray],
                running_var: Optional[np.ndarray], training: bool, momentum: float,
                eps: float) -> np.ndarray:
        # The running statistics come as numpy arrays, updated in place: they are inputs of
        # torch's node too, but not differentiable ones, so they get no edge in the graph.
        n, c = x.shape[:2]
        x3 = x.data.reshape(n, c, -1)
        m = x3.size // c
        if training:
            mean = x3.mean(axis=(0, 2))
            centered = x3 - _per_channel(mean)
            var = np.einsum("ncl,ncl->c", centered, centered) / m
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (m / (m - 1))
        else:
            mean, var = running_mean, running_var
            centered = x3 - _per_channel(mean)
        invstd = 1 / np.sqrt(var + eps)
        scale = invstd * weight.data if defined(weight) else invstd
        out = centered * _per_channel(scale)  # y = (x - μ)·γ/√(σ² + ε) + β
        if defined(bias):
            out += _per_channel(bias.data)
        # Backward needs x̂ = (x - μ)/√(σ² + ε): keeping x - μ (and 1/√(σ² + ε)) instead of x̂
        # saves forward a pass over the data. x itself is not kept (that frees the conv's output).
        ctx.training, ctx.invstd, ctx.shape = training, invstd, x.shape
        ctx.save_for_backward(weight, Tensor(centered))
        return out.reshape(x.shape)

    @once_differentiable
    def backward(ctx, grad: Tensor) -> tuple:
        weight, centered = ctx.saved_tensors
        centered, invstd = centered.data, ctx.invstd  # x̂ = centered · invstd
        n, c = ctx.shape[:2]
        g = grad.data.reshape(n, c, -1)
        m = g.size // c
        sum_g = g.sum(axis=(0, 2))
        sum_g_xhat = np.einsum("ncl,ncl->c", g, centered) * invstd
        scale = invstd * weight.data if defined(weight) else invstd
        grad_x = None
        if ctx.needs_input_grad[0]:
            if ctx.training:  # γ/√(σ²+ε) · (g - mean(g) - x̂ · mean(g x̂)), in place
                grad_x = centered * _per_channel(-sum_g_xhat / m * invstd)
                grad_x += g
                grad_x -= _per_channel(sum_g / m)
                grad_x *= _per_channel(scale)
            else:
                grad_x = g * _per_channel(scale)
            grad_x = grad_x.reshape(ctx.shape)
        grad_w = sum_g_xhat if ctx.needs_input_grad[1] else None
        grad_b = sum_g if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b, None, None, None, None, None


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of input (N, C, ...) with batch (training) or running statistics."""
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm expects an input of shape (N, C, ...), got {list(input.shape)}")
    c = input.shape[1]
    if training and input.numel() // c <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{list(input.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (c,):
            raise RuntimeError(f"batch_norm: {name} should have shape [{c}] (one value per "
                               f"channel of the input {list(input.shape)}), got {list(t.shape)}")
    out = BatchNorm.apply(input, optional(weight), optional(bias),
                          None if running_mean is None else running_mean.data,
                          None if running_var is None else running_var.data,
                          training, momentum, eps)
    if training and running_mean is not None:
        running_mean._bump_version()
        running_var._bump_version()
    return out
