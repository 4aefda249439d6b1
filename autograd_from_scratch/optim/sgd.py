"""Stochastic gradient descent with momentum, torch's exact update rule.

For each parameter p with gradient g (negated when maximize=True):

    g ← g + λ p                                  weight decay λ
    b ← g                       (first step)     momentum buffer b, momentum μ, dampening τ
    b ← μ b + (1 - τ) g         (later steps)
    g ← g + μ b  (nesterov)   or   g ← b
    p ← p - lr g

The update runs in place on the numpy arrays: the parameter keeps its identity (and memory),
its version counter is bumped, and the products `lr·g` go to a reusable scratch buffer so that a
step allocates no new arrays.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, Params


class SGD(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)
        self._scratch: dict[np.dtype, np.ndarray] = {}

    def _scaled(self, a: np.ndarray, factor: float) -> np.ndarray:
        """a · factor, written into a scratch buffer that is reused from parameter to parameter."""
        buf = self._scratch.get(a.dtype)
        if buf is None or buf.size < a.size:
            buf = self._scratch[a.dtype] = np.empty(a.size, dtype=a.dtype)
        return np.multiply(a, factor, out=buf[:a.size].reshape(a.shape))

    @no_grad()
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient; `closure` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict) -> None:
        momentum, dampening = group["momentum"], group["dampening"]
        g = p.grad.data
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor(g.copy())
            else:
                buf.data *= momentum
                buf.data += g if dampening == 0 else self._scaled(g, 1 - dampening)
            g = g + momentum * buf.data if group["nesterov"] else buf.data
        p.data -= self._scaled(g, group["lr"])
        p._bump_version()
