"""Adam and AdamW, torch's exact update rules (its single-tensor CPU path).

For each parameter p with gradient g (negated when maximize=True), at step t:

    g ← g + λ p                         weight decay λ (Adam)   or   p ← p (1 - lr λ) (AdamW)
    m ← m + (1 - β₁)(g - m)             running mean of g        (torch's m.lerp_(g, 1 - β₁))
    v ← β₂ v + (1 - β₂) g²              running mean of g²
    v̂ ← max(v̂, v)                       only with amsgrad: the largest v so far, used for v
    p ← p - lr/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)

The divisions by 1 - βᵗ undo the bias of m and v towards their initial zeros in the first steps.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import addcdiv_, addcmul_, added, lerp_
from .optimizer import Params
from .per_parameter import PerParameterOptimizer, check_hyperparameters, count_step, new_step_count, zeros_like


class Adam(PerParameterOptimizer):
    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        check_hyperparameters(lr, eps, weight_decay)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["step"], state["exp_avg"], state["exp_avg_sq"] = new_step_count(), zeros_like(p), zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        step = count_step(state)
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param *= np.asarray(1 - lr * wd, param.dtype)
            else:
                grad = added(grad, param, wd)
        lerp_(m, grad, 1 - beta1)
        v *= np.asarray(beta2, v.dtype)
        addcmul_(v, grad, grad, 1 - beta2)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"].array, v, out=state["max_exp_avg_sq"].array)
        denom = np.sqrt(v) / np.asarray(bias_correction2_sqrt, v.dtype)
        denom += np.asarray(eps, v.dtype)
        addcdiv_(param, m, denom, -step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p (1 - lr λ) instead of adding λ p to the gradient."""

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
