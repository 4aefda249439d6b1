"""`Optimizer`: the base class that holds parameter groups and per-parameter state.

An optimizer gets the parameters to train, as one list or as groups (dicts with a "params" list
and options that override the defaults, e.g. a smaller learning rate for a pretrained backbone).
`step()` updates every parameter that has a `.grad`, in place and outside the graph; `zero_grad()`
clears the gradients before the next backward (which would otherwise add to them).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Union

from ..nn.parameter import zero_grads
from ..tensor import Tensor

Params = Union[Iterable[Tensor], Iterable[dict]]


class Optimizer:
    def __init__(self, params: Params, defaults: dict) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a single Tensor: wrap it in a list, [p]")
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)  # keyed by parameter (tensors hash by identity)
        self.param_groups: list[dict] = []
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list: pass model.parameters() of a "
                             "model that has parameters (or a non-empty list of tensors)")
        for group in groups if isinstance(groups[0], dict) else [{"params": groups}]:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor: it was computed from other "
                                 "tensors (its grad_fn is set). Optimize the leaves it comes from, "
                                 "or detach it into a new leaf with x.detach().requires_grad_()")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure: Any = None) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])
