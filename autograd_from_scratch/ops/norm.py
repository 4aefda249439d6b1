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

Every channel is computed on its own, so forward and backward hand the threads a share of the
channels each (speed only: see `autograd_from_scratch/parallel.py`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..autograd.function import Function
from ..parallel import in_parallel
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
        x3 = x.array.reshape(n, c, -1)
        m = x3.size // c
        if training:
            mean, var = np.empty(c, dtype=x3.dtype), np.empty(c, dtype=x3.dtype)
        else:
            assert running_mean is not None and running_var is not None  # batch_norm checks it
            mean, var = running_mean.copy(), running_var
        invstd = np.empty(c, dtype=var.dtype)
        out = np.empty_like(x3)

        def normalise(ch: slice) -> None:
            """y = (x - μ)·γ/√(σ² + ε) + β for the channels ch, in place in `out`."""
            x_ch, out_ch = x3[:, ch], out[:, ch]
            if training:
                mean[ch] = x_ch.mean(axis=(0, 2))
            np.subtract(x_ch, _per_channel(mean[ch]), out=out_ch)
            if training:
                var[ch] = np.einsum("ncl,ncl->c", out_ch, out_ch) / m
            invstd[ch] = 1 / np.sqrt(var[ch] + eps)
            out_ch *= _per_channel(invstd[ch] * weight.array[ch] if defined(weight) else invstd[ch])
            if defined(bias):
                out_ch += _per_channel(bias.array[ch])

        in_parallel(normalise, c, 3 * x3.size)  # channels are independent: shared out between threads
        if training and running_mean is not None and running_var is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += momentum * var * (m / (m - 1))
        # As torch: x, μ and 1/√(σ² + ε) are kept; backward rebuilds x̂ = (x - μ)/√(σ² + ε).
        ctx.statistics = (mean, invstd, training, eps)
        ctx.save_for_backward(x, weight)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        # Its own op, so that with create_graph=True the backward is recorded (second derivatives).
        x, weight = ctx.saved_tensors
        needed = ctx.needs_input_grad[:3]
        grads = iter(BatchNormBackward.apply(grad, x, weight, ctx.statistics, needed))
        return tuple(next(grads) if n else None for n in needed) + (None,) * 5


class BatchNormBackward(Function):
    """(dL/dx, dL/dγ, dL/dβ) of batch norm from g = dL/dy: the formulas of the module docstring.

    Its own backward (second derivatives), with upstream gradients Gx, Gγ, Gβ of its three
    outputs, per channel (means over the channel's M values; with Q = mean(Gx x̂), R = mean(g x̂),
    P = mean(Gx (g - mean(g))), and s = 1/√(σ² + ε)):

        d/dg = γ s (Gx - mean(Gx) - x̂ Q) + Gγ x̂ + Gβ
        d/dγ = s Σ Gx (g - mean(g) - x̂ R)
        d/dx = Gγ s (g - mean(g) - x̂ R) + γ s² (x̂ (3QR - P) - R (Gx - mean(Gx)) - Q (g - mean(g)))

    (in evaluation mode, with μ and σ² constants: γ s Gx + Gγ x̂ + Gβ,  s Σ Gx g,  and Gγ s g).
    It is written with tensor operations, so it is differentiable in turn.
    """

    node_name = "NativeBatchNormBackwardBackward0"

    @staticmethod
    def forward(ctx, grad: Tensor, x: Tensor, weight: Tensor, statistics: tuple,
                needed: tuple[bool, bool, bool]) -> tuple:
        mean, invstd, training, _ = statistics
        n, c = x.shape[:2]
        g, x3 = grad.array.reshape(n, c, -1), x.array.reshape(n, c, -1)
        m = g.size // c
        sum_g, sum_g_xhat = np.empty(c, dtype=g.dtype), np.empty(c, dtype=g.dtype)
        scale = invstd * weight.array if defined(weight) else invstd
        grad_x = np.empty_like(g)  # holds x - μ first, then dL/dx (training mode) in its place

        def channels(ch: slice) -> None:
            """The sums for the channels ch, and dL/dx there."""
            centered, g_ch = grad_x[:, ch], g[:, ch]
            np.subtract(x3[:, ch], _per_channel(mean[ch]), out=centered)  # x̂·√(σ² + ε)
            sum_g[ch] = g_ch.sum(axis=(0, 2))
            sum_g_xhat[ch] = np.einsum("ncl,ncl->c", g_ch, centered) * invstd[ch]
            if not needed[0]:
                return
            if training:  # γ/√(σ²+ε) · (g - mean(g) - x̂ · mean(g x̂)), in place
                centered *= _per_channel(-sum_g_xhat[ch] / m * invstd[ch])
                centered += g_ch
                centered -= _per_channel(sum_g[ch] / m)
                centered *= _per_channel(scale[ch])
            else:
                np.multiply(g_ch, _per_channel(scale[ch]), out=centered)

        in_parallel(channels, c, 4 * g.size)  # channels are independent: shared out between threads
        grads = []
        if needed[0]:
            grads.append(grad_x.reshape(x.shape))
        if needed[1]:
            grads.append(sum_g_xhat)
        if needed[2]:
            grads.append(sum_g)
        ctx.statistics, ctx.needed = statistics, needed
        ctx.save_for_backward(grad, x, weight)
        return tuple(grads)

    @staticmethod
    def backward(ctx, *upstream: Tensor) -> tuple:
        g, x, weight = ctx.saved_tensors
        mean, invstd, training, eps = ctx.statistics
        up = iter(upstream)  # one per output computed: the engine sends zeros for unused ones
        gx, gw, gb = (next(up) if n else None for n in ctx.needed)
        dims = (0,) + tuple(range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)

        def channel_mean(t: Tensor) -> Tensor:
            return t.mean(dims, keepdim=True)

        def per_channel(v: Tensor) -> Tensor:
            return v.reshape(shape)

        if training:  # x̂ as a function of x: μ and σ² are the batch's
            centered = x - channel_mean(x)
            s = (channel_mean(centered * centered) + eps) ** -0.5
        else:
            centered, s = x - Tensor(mean.reshape(shape)), Tensor(invstd.reshape(shape))
        x_hat = centered * s
        gamma = per_channel(weight) if defined(weight) else 1.0
        terms_g, terms_x, d_w = [], [], None
        if training:
            g_c = g - channel_mean(g)
            r = channel_mean(g * x_hat)
            if gx is not None:
                gx_c = gx - channel_mean(gx)
                q = channel_mean(gx * x_hat)
                p = channel_mean(gx * g_c)
                terms_g.append(gamma * s * (gx_c - x_hat * q))
                terms_x.append(gamma * s * s * (x_hat * (3 * q * r - p) - r * gx_c - q * g_c))
                d_w = (s * gx * (g_c - x_hat * r)).sum(dims)
            if gw is not None:
                terms_g.append(per_channel(gw) * x_hat)
                terms_x.append(per_channel(gw) * s * (g_c - x_hat * r))
        else:
            if gx is not None:
                terms_g.append(gamma * s * gx)
                d_w = (s * gx * g).sum(dims)
            if gw is not None:
                terms_g.append(per_channel(gw) * x_hat)
                terms_x.append(per_channel(gw) * s * g)
        if gb is not None:
            terms_g.append(per_channel(gb).expand(x.shape))
        d_g = sum(terms_g[1:], terms_g[0])
        d_x = sum(terms_x[1:], terms_x[0]) if terms_x else None
        return d_g, d_x, d_w if defined(weight) else None, None, None


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
                          None if running_mean is None else running_mean.array,
                          None if running_var is None else running_var.array,
                          training, momentum, eps)
    for stat in (running_mean, running_var) if training else ():
        if stat is not None:
            stat._bump_version()
    return out
