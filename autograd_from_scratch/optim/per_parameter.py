"""What Adam, AdamW, RMSprop and Adagrad share: a step that updates each parameter on its own,
from its gradient and its own state (running averages, a step count), as torch's optimizers do.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .optimizer import Optimizer


def check_hyperparameters(lr: float, eps: float, weight_decay: float, **others: float) -> None:
    """torch's refusals of impossible settings, with its messages."""
    for name, value in dict(learning_rate=lr, epsilon=eps, weight_decay=weight_decay, **others).items():
        if value < 0.0:
            what = "learning rate" if name == "learning_rate" else f"{name} value"
            raise ValueError(f"Invalid {what}: {value}")


def zeros_like(p: Tensor) -> Tensor:
    return Tensor(np.zeros_like(p.array))


def new_step_count() -> Tensor:
    """The step count, a float32 tensor as torch keeps it in the state."""
    return Tensor(np.zeros((), dtype=np.float32))


def count_step(state: dict) -> float:
    """Count one more step in `state`; the new count."""
    state["step"].array += 1
    return float(state["step"].array)


class PerParameterOptimizer(Optimizer):
    """`step()` updates every parameter that has a gradient with `update(p, state, group)`, in
    place and outside the graph; the state is made by `init_state` before the first update."""

    @no_grad()
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient; `closure` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not self.state[p]:
                    self.init_state(p, self.state[p], group)
                grad = np.negative(p.grad.array, out=np.empty_like(p.grad.array)) if group["maximize"] else p.grad.array
                self.update(p.array, grad, self.state[p], group)
                p._bump_version()
        return loss

    def init_state(self, p: Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """The update rule, on numpy arrays: `param` in place, from `grad` (already negated for
        maximize=True) and the state."""
        raise NotImplementedError
