"""Learning-rate schedules, as `torch.optim.lr_scheduler`: `scheduler.step()`, once per epoch
after the optimizer's steps, sets the learning rate of every parameter group for the next epoch.

    StepLR(optimizer, step_size, gamma):   lr = initial lr · gamma^⌊epoch / step_size⌋

Like torch's, the rule is applied to the groups' current `lr` (each scheduler multiplies it by
gamma at the epochs where it decays), so schedulers can be chained; `get_last_lr()` is what was set.
"""
from __future__ import annotations

from .optimizer import Optimizer


class LRScheduler:
    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError("param 'initial_lr' is not specified in param_groups when resuming "
                               "an optimizer (last_epoch != -1)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()  # epoch 0: as torch, the schedule starts by setting the first epoch's rates

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return self._last_lr


class StepLR(LRScheduler):
    """Multiply the learning rate by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        decays = self.last_epoch != 0 and self.last_epoch % self.step_size == 0
        return [group["lr"] * self.gamma if decays else group["lr"] for group in self.optimizer.param_groups]
