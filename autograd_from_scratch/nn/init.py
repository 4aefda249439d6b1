"""Weight initialisation, as `torch.nn.init`: each function fills a tensor in place.

The random numbers come from afs's generator (`afs.manual_seed` makes them reproducible). They
are not torch's random numbers: tests that compare with torch copy torch's weights in instead.

Kaiming (He) initialisation keeps the variance of activations roughly constant through ReLU
layers: weights with standard deviation gain/√fan, gain = √(2/(1 + a²)) for a leaky ReLU of
slope a (a = 0: plain ReLU).
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ..autograd.grad_mode import no_grad
from ..creation import generator
from ..tensor import Tensor


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    with no_grad():
        np.copyto(t.array, values, casting="unsafe")
        t._bump_version()
    return t


def calculate_fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    """fan_in = inputs feeding one output unit; fan_out = outputs one input unit feeds."""
    if t.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = int(np.prod(t.shape[2:]))
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    return _fill(t, generator().uniform(a, b, t.shape, t.array.dtype))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    return _fill(t, generator().normal(mean, std, t.shape, t.array.dtype))


def constant_(t: Tensor, value: float) -> Tensor:
    return _fill(t, np.full(t.shape, value))


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan = calculate_fan_in_and_fan_out(t)[0 if mode == "fan_in" else 1]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """Uniform on [-b, b] with b = √3 · std (a uniform variable's std is b/√3)."""
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity))
