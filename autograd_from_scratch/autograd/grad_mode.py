"""Grad mode: a global switch that decides whether operations are recorded in the graph.

`no_grad`, `enable_grad` and `set_grad_enabled` work as context managers and as decorators, like
torch's. The backward pass itself runs under `no_grad` unless `create_graph=True` asks for it to be
recorded (that is what makes higher-order gradients possible).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded in the graph."""
    return _grad_enabled


class set_grad_enabled:
    """Switch recording on or off; as a context manager it restores the old mode on exit."""

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.prev


class _GradModeContext:
    """Base of `no_grad` and `enable_grad`: sets a mode on entry, restores it on exit."""

    mode: bool

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Operations inside do not build a graph: results have `requires_grad=False`."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a `no_grad` region."""

    mode = True
