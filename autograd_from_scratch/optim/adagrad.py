"""Adagrad, torch's exact update rule (its single-tensor CPU path).

For each parameter p with gradient g (negated when maximize=True), at step t:

    g ← g + λ p                          weight decay λ
    s ← s + g²                           the sum of all squared gradients so far
    p ← p - lr/(1 + (t - 1) η) · g / (√s + ε)      learning-rate decay η

Parameters that have had large gradients take ever smaller steps.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._kernels import addcdiv_, addcmul_, added
from .optimizer import Params
from .per_parameter import PerParameterOptimizer, check_hyperparameters, count_step, new_step_count


class Adagrad(PerParameterOptimizer):
    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        check_hyperparameters(lr, eps, weight_decay, lr_decay=lr_decay,
                              initial_accumulator_value=initial_accumulator_value)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch makes the state with the optimizer, not at step 1
            for p in group["params"]:
                self.init_state(p, self.state[p], group)

    def init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["step"] = new_step_count()
        state["sum"] = Tensor(np.full_like(p.array, group["initial_accumulator_value"]))

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state_sum = state["sum"].array
        step = count_step(state)
        if group["weight_decay"] != 0:
            grad = added(grad, param, group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        addcmul_(state_sum, grad, grad, 1)
        std = np.sqrt(state_sum)
        std += np.asarray(group["eps"], std.dtype)
        addcdiv_(param, grad, std, -clr)
