"""Devices, honestly: autograd_from_scratch computes with numpy, on the CPU only.

`afs.device("cpu")`, `tensor.device`, `device=` arguments, `.to("cpu")`, `.cpu()` and
`afs.set_default_device("cpu")` all work, so that code written for torch runs unchanged.
A device of another type can be *named* (`afs.device("cuda")`, as scripts do to test for a GPU),
but placing a tensor there raises an error that says afs is CPU-only. `afs.cuda.is_available()`
and `afs.accelerator.is_available()` say False, which is what makes torch's tutorials pick "cpu".
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional

# The device types torch knows; any other name is refused as torch refuses it.
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "mtia", "meta", "hip", "xla", "ipu", "hpu", "vulkan",
                "lazy", "privateuseone")


class device:
    """A device name, as `torch.device`: `device("cpu")`, `device("cuda:0")`, `device("cuda", 0)`."""

    def __init__(self, type: Any, index: Optional[int] = None) -> None:
        name, _, number = str(type).partition(":")  # str() of a device is "cuda:1" or "cpu"
        if name not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                               f"device string: {type}")
        self.type: str = name
        self.index: Optional[int] = int(number) if number else index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, device)):
            other = device(other)
            return (self.type, self.index) == (other.type, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def is_torch_device(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and type(value).__name__ == "device"


CPU = device("cpu")


def check_device(where: Any) -> device:
    """The device asked for (None: the default, the CPU); any device but the CPU raises."""
    if where is None:
        return CPU
    asked = device(where if not isinstance(where, int) else f"cuda:{where}")
    if asked.type != "cpu":
        raise RuntimeError(
            f"autograd_from_scratch runs on the CPU only (its arrays are numpy arrays): it cannot "
            f"place tensors on device '{asked}'. Use device='cpu' (or leave device= out); "
            "afs.cuda.is_available() and afs.accelerator.is_available() say False."
        )
    return CPU


def set_default_device(where: Any) -> None:
    """Accepted for "cpu" (or None), which is already the default; any other device raises."""
    check_device(where)


def get_default_device() -> device:
    return CPU


def _none_available() -> bool:
    return False


def _no_devices() -> int:
    return 0


# `afs.cuda` and `afs.accelerator`: what a program asks before it chooses a GPU.
cuda = SimpleNamespace(is_available=_none_available, device_count=_no_devices)
accelerator = SimpleNamespace(is_available=_none_available, device_count=_no_devices,
                              current_accelerator=lambda check_available=False: None)
