"""Side-by-side checks used by the notebooks: do our values and gradients agree with torch's?

The printed lines are deterministic (a bound, not the raw difference), so notebook outputs are
the same on every machine and nbval can compare them.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np

from .tensor import to_array


def to_numpy(x: Any) -> np.ndarray:
    """A float64 numpy copy of an afs tensor, a torch tensor, an array or a number.

    Always a copy, so a value saved before `optimizer.step()` keeps the old numbers.
    """
    if isinstance(x, (list, tuple)):  # of tensors: each read as an array (not as a Python number)
        return np.array([to_numpy(v) for v in x])
    return np.array(to_array(x), dtype=np.float64)


def max_abs_diff(ours: Any, theirs: Any) -> float:
    a, b = to_numpy(ours), to_numpy(theirs)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: ours {a.shape}, torch {b.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def agree(ours: Any, theirs: Any, tol: float = 1e-6) -> bool:
    """True when every element differs by at most `tol` (relative to the larger magnitude, past 1)."""
    a, b = to_numpy(ours), to_numpy(theirs)
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return a.shape == b.shape and max_abs_diff(a, b) <= tol * scale


def report(name: str, ours: Any, theirs: Any, tol: float = 1e-6) -> None:
    """Print one line: the shapes and whether ours and torch's agree to within `tol`."""
    shape = tuple(to_numpy(theirs).shape)
    print(f"{name:<24} shape {str(shape):<16} agree (tol {tol:.0e}): {agree(ours, theirs, tol)}")


def report_grads(pairs: Iterable[tuple[str, Any, Any]], tol: float = 1e-6,
                 show: Optional[int] = None) -> bool:
    """`report` for each (name, ours, theirs); returns whether all agree."""
    pairs = list(pairs)
    for name, ours, theirs in pairs[:show]:
        report(name, ours, theirs, tol)
    ok = all(agree(o, t, tol) for _, o, t in pairs)
    if show is not None and len(pairs) > show:
        print(f"... and {len(pairs) - show} more; all {len(pairs)} agree: {ok}")
    return ok
