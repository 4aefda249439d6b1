"""RMSprop, torch's exact update rule (its single-tensor CPU path).

For each parameter p with gradient g (negated when maximize=True):

    g ← g + λ p                          weight decay λ
    s ← α s + (1 - α) g²                 running mean of g² (smoothing constant α)
    ḡ ← ḡ + (1 - α)(g - ḡ)               only when centered: running mean of g
    d ← √(s - ḡ²) + ε   (centered)   or   √s + ε
    b ← μ b + g / d,   p ← p - lr b      with momentum μ > 0
    p ← p - lr g / d                     without momentum

Each parameter moves by its gradient divided by the root of its recent squared gradients, so
parameters with large and with small gradients both take steps of about lr.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import add_, addcdiv_, addcmul_, added, lerp_
from .optimizer import Params
from .per_parameter import PerParameterOptimizer, check_hyperparameters, count_step, new_step_count, zeros_like


class RMSprop(PerParameterOptimizer):
    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        check_hyperparameters(lr, eps, weight_decay, momentum=momentum, alpha=alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["step"], state["square_avg"] = new_step_count(), zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        square_avg = state["square_avg"].array
        count_step(state)
        if group["weight_decay"] != 0:
            grad = added(grad, param, group["weight_decay"])
        square_avg *= np.asarray(alpha, square_avg.dtype)
        addcmul_(square_avg, grad, grad, 1 - alpha)
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"].array, grad, 1 - alpha)
            avg = np.sqrt(addcmul_(square_avg.copy(), grad_avg, grad_avg, -1))
        else:
            avg = np.sqrt(square_avg)
        avg += np.asarray(eps, avg.dtype)
        if momentum > 0:
            buf = state["momentum_buffer"].array
            buf *= np.asarray(momentum, buf.dtype)
            addcdiv_(buf, grad, avg)
            add_(param, buf, -lr)
        else:
            addcdiv_(param, grad, avg, -lr)
