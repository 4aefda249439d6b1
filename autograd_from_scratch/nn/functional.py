"""`afs.nn.functional`: the layers as plain functions, as `torch.nn.functional`.

The ops themselves live in `ops/` (`conv.py`, `norm.py`, `pool.py`, `loss.py`); this module
gathers them under torch's names and adds the few that are compositions of existing ops.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import ops
from ..creation import generator
from ..ops.conv import conv2d
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)
from ..ops.norm import batch_norm
from ..ops.pool import adaptive_avg_pool2d, max_pool2d
from ..tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """y = x Wᵀ + b, recorded as torch records it.

    A matrix input with a bias is one fused `addmm(b, x, Wᵀ)` (`AddmmBackward0`, whose edges are
    bias, input, `TBackward0` of the weight); other inputs are flattened to a matrix and viewed
    back afterwards, as torch does.
    """
    if bias is None:
        return ops.matmul(input, weight.t())
    if input.ndim == 2:
        return ops.addmm(bias, input, weight.t())
    flat = input.reshape(-1, input.shape[-1])
    return ops.addmm(bias, flat, weight.t()).view(input.shape[:-1] + (weight.shape[0],))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); `inplace=True` overwrites x and returns it (`x.relu_()`), as torch does."""
    return input.relu_() if inplace else ops.relu(input)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """`torch.flatten` (torch.nn.functional has none): dims start_dim..end_dim become one."""
    return input.flatten(start_dim, end_dim)


def identity(input: Tensor) -> Tensor:
    return input


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """While training, zero each element with probability p and scale the others by 1/(1 - p),
    so that the expected value is unchanged; outside training, the input itself.

    Recorded as torch records it, a product with the (constant) mask: `MulBackward0`. The mask
    comes from afs's generator, so it is not the mask torch draws.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        mask = np.zeros((), dtype=input.array.dtype)
    else:
        keep = generator().random(input.shape, np.dtype(np.float64)) < 1 - p
        mask = (keep / (1 - p)).astype(input.array.dtype)
    return input.mul_(Tensor(mask)) if inplace else ops.mul(input, Tensor(mask))


def sigmoid(input: Tensor) -> Tensor:
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return ops.tanh(input)


__all__ = [
    "adaptive_avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv2d", "cross_entropy", "dropout", "flatten", "identity", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh",
]
