"""`x.to(...)`: conversions between dtypes, and devices (`x.cpu()`, `x.long()`, ... are in tensor.py).

`to` takes what torch's `Tensor.to` takes (a dtype, a device, both, or another tensor); the only
device is the CPU (see `device.py`), so a device argument is checked and otherwise changes nothing.
"""
from __future__ import annotations

from typing import Any

from ..device import check_device, device, is_torch_device
from ..tensor import Tensor
from .elementwise import clone
from .elementwise import to as to_dtype


def _is_device(value: Any) -> bool:
    return isinstance(value, (str, int, device)) or is_torch_device(value)


def to(input: Tensor, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
       copy: bool = False) -> Tensor:
    """`x.to(afs.float64)`, `x.to("cpu")`, `x.to("cpu", afs.float64)`, `x.to(other_tensor)`.

    The result is x itself when nothing changes (as torch), a copy with `copy=True`."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_device(arg):
            device = arg
        else:
            dtype = arg
    check_device(device)
    out = input if dtype is None else to_dtype(input, dtype)
    return clone(out) if copy and out is input else out
