"""Run a script written for torch twice, once with torch and once with afs imported as `torch`,
from the same random numbers, and compare everything the two runs print.

    python tests/tutorial_harness.py path/to/polynomial_autograd.py ...

prints, for each script, whether the afs run finished, whether its printed text agrees with
torch's (numbers aside), and the largest relative difference between the printed numbers.

The same random numbers: while afs plays torch, afs's generator is replaced by one that draws
from torch's own generator (`TorchRandomNumbers`), and both runs start from the same seed. A
script's `torch.randn(())`, `nn.Linear(3, 1)`'s initial weights, ... are then the same numbers
in both runs, so the runs can be compared number by number. Only the random numbers come from
torch; every computation in the afs run is afs's.
"""
from __future__ import annotations

import contextlib
import io
import random
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import torch

import autograd_from_scratch as afs
from autograd_from_scratch import creation

# What `import torch`, `import torch.nn as nn`, `from torch import optim`, ... find while afs plays torch.
AFS_MODULES = {
    "torch": afs, "torch.nn": afs.nn, "torch.nn.functional": afs.nn.functional,
    "torch.nn.init": afs.nn.init, "torch.optim": afs.optim,
    "torch.optim.lr_scheduler": afs.optim.lr_scheduler, "torch.autograd": afs.autograd,
}


def _torch_dtype(np_dtype) -> torch.dtype:
    return getattr(torch, np.dtype(np_dtype).name)


class TorchRandomNumbers:
    """afs's generator interface (see `creation.Generator`), drawing torch's random numbers."""

    def random(self, shape: tuple, dtype) -> np.ndarray:
        return torch.rand(shape, dtype=_torch_dtype(dtype)).numpy()

    def standard_normal(self, shape: tuple, dtype) -> np.ndarray:
        return torch.randn(shape, dtype=_torch_dtype(dtype)).numpy()

    def uniform(self, low: float, high: float, shape: tuple, dtype=np.float64) -> np.ndarray:
        return torch.empty(shape, dtype=_torch_dtype(dtype)).uniform_(low, high).numpy()

    def normal(self, mean: float, std: float, shape: tuple, dtype=np.float64) -> np.ndarray:
        return torch.empty(shape, dtype=_torch_dtype(dtype)).normal_(mean, std).numpy()

    def integers(self, low: int, high: int, shape: tuple) -> np.ndarray:
        return torch.randint(low, high, shape).numpy()


@contextlib.contextmanager
def afs_as_torch() -> Iterator[None]:
    """`import torch` gives afs, and afs draws torch's random numbers (`torch.manual_seed` too)."""
    saved_modules = {name: sys.modules.get(name) for name in AFS_MODULES}
    saved_rng, saved_seed = creation._rng, afs.manual_seed
    sys.modules.update(AFS_MODULES)
    creation._rng, afs.manual_seed = TorchRandomNumbers(), torch.manual_seed
    try:
        yield
    finally:
        creation._rng, afs.manual_seed = saved_rng, saved_seed
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@dataclass
class Run:
    printed: str
    error: Optional[str] = None


def run(source: str, engine: str, seed: int = 0, name: str = "<tutorial>") -> Run:
    """Execute `source` as a script (`__name__ == "__main__"`) with `engine` ("torch" or "afs")
    imported as torch, from `seed`; what it printed, and the error that stopped it, if any."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    printed = io.StringIO()
    engine_context = afs_as_torch() if engine == "afs" else contextlib.nullcontext()
    error = None
    with engine_context, contextlib.redirect_stdout(printed):
        try:
            exec(compile(source, name, "exec"), {"__name__": "__main__", "__file__": name})
        except Exception:
            error = traceback.format_exc(limit=-3)
    return Run(printed.getvalue(), error)


NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def normalized(text: str) -> str:
    """What may differ without being a difference: object addresses, and the dtype prefix
    (`afs.float64` prints where torch prints `torch.float64`)."""
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x…", text)
    return text.replace("afs.", "torch.")


def printed_step(token: str) -> float:
    """One unit in the last printed digit of a number: `0.1257` -> 1e-4, `1.5e-06` -> 1e-7."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


@dataclass
class Comparison:
    same_text: bool
    theirs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the printed numbers
    ours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0))  # a unit in their last digit
    text_diff: list = field(default_factory=list)

    @property
    def numbers(self) -> int:
        return len(self.theirs)

    def gaps(self) -> np.ndarray:
        """|ours - theirs|, less what printing can account for (one unit in the last digit)."""
        return np.maximum(np.abs(self.ours - self.theirs) - self.steps * 1.0001, 0)

    def agrees(self, rtol: float, atol: float) -> bool:
        """The same text, and every number within rtol·|theirs| + atol of torch's; atol is for
        numbers that are rounding noise around 0 (a coefficient that should be 0, a loss that
        cancels), whose relative differences mean nothing."""
        return self.same_text and bool(np.all(self.gaps() <= rtol * np.abs(self.theirs) + atol))

    def summary(self) -> str:
        if not self.same_text:
            return "printed text DIFFERENT"
        big = np.abs(self.theirs) >= 1e-3
        rel = np.max(self.gaps()[big] / np.abs(self.theirs[big]), initial=0.0)
        return (f"printed text the same; {self.numbers} numbers, largest relative difference "
                f"{rel:.1e} (numbers >= 1e-3, beyond the last printed digit), largest absolute "
                f"difference {np.max(self.gaps(), initial=0.0):.1e}")


def compare(theirs: str, ours: str) -> Comparison:
    """The printed text with the numbers taken out must be the same; then the numbers, pairwise."""
    theirs, ours = normalized(theirs), normalized(ours)
    t_lines, o_lines = NUMBER.sub("#", theirs).splitlines(), NUMBER.sub("#", ours).splitlines()
    diff = [(i, t, o) for i, (t, o) in enumerate(zip(t_lines, o_lines)) if t != o]
    if len(t_lines) != len(o_lines):
        diff.append(("line count", len(t_lines), len(o_lines)))
    t_tokens, o_tokens = NUMBER.findall(theirs), NUMBER.findall(ours)
    if diff or len(t_tokens) != len(o_tokens):
        return Comparison(False, text_diff=diff[:5])
    steps = np.array([max(printed_step(t), printed_step(o)) for t, o in zip(t_tokens, o_tokens)])
    return Comparison(True, np.array([float(x) for x in t_tokens]),
                      np.array([float(x) for x in o_tokens]), steps)


def run_both(source: str, seed: int = 0, name: str = "<tutorial>") -> tuple[Run, Run, Comparison]:
    theirs, ours = run(source, "torch", seed, name), run(source, "afs", seed, name)
    return theirs, ours, compare(theirs.printed, ours.printed)


def main(paths: list[str]) -> None:
    for path in paths:
        theirs, ours, cmp = run_both(Path(path).read_text(encoding="utf-8"), name=path)
        status = "ran" if ours.error is None else "STOPPED: " + ours.error.strip().splitlines()[-1]
        torch_status = "" if theirs.error is None else " (torch itself stopped: " + \
            theirs.error.strip().splitlines()[-1] + ")"
        print(f"{Path(path).name}: afs {status}{torch_status}; {cmp.summary()}")
        for line in cmp.text_diff:
            print("    ", line)


if __name__ == "__main__":
    main(sys.argv[1:])
