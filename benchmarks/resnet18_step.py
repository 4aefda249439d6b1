"""Time the tutorial's ResNet-18 training step in torch and in autograd_from_scratch.

    python benchmarks/resnet18_step.py                     # both sizes, a table on stdout
    python benchmarks/resnet18_step.py --json results.json # also write the numbers as JSON
    python benchmarks/resnet18_step.py --json r.json --readme README.md  # and the README's table
    python benchmarks/resnet18_step.py --profile --sizes 8x3x224x224  # where afs's time goes, per op
    python benchmarks/resnet18_step.py --single-thread --no-memory    # the work, in CPU time

The step is the tutorial's: `prediction = model(data)`, `loss = (prediction - labels).sum()`,
`loss.backward()`, `SGD(lr=1e-2, momentum=0.9).step()`, in float32 and training mode. Both
engines start from the same weights and see the same data. Forward, backward and the optimizer
step are timed separately; the two engines run in the same process and take turns (alternating
which goes first), so that a change in machine load hits both alike, with a short pause before
each step so that the other engine's idle worker threads have stopped spinning. After a warm-up, every
phase is timed over several rounds and the median is reported, with the ratio ours/torch (and
the fastest round of each, which is what a shared machine's background load disturbs least).

Peak memory is measured in a fresh child process per engine and size: the growth of the resident
set size (RSS) over one training step after a warm-up step, read from Linux's VmHWM after
resetting it through /proc/self/clear_refs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
import torchvision

import autograd_from_scratch as afs

PHASES = ("forward", "backward", "step")
DEFAULT_SIZES = ["1x3x64x64", "8x3x224x224"]
SETTLE_SECONDS = 0.3
clock = time.perf_counter  # --single-thread: time.process_time (CPU time of this process)


def make_pair(shape: tuple[int, ...], seed: int = 0) -> dict:
    """A torchvision ResNet-18 and ours with the same weights, the same data, and an SGD each."""
    torch.manual_seed(seed)
    torch_model = torchvision.models.resnet18()
    ours = afs.models.resnet18()
    ours.load_state_dict(torch_model.state_dict())
    data, labels = torch.rand(*shape), torch.rand(shape[0], 1000)
    return {
        "torch": (torch_model, data, labels,
                  torch.optim.SGD(torch_model.parameters(), lr=1e-2, momentum=0.9)),
        "ours": (ours, afs.tensor(data), afs.tensor(labels),
                 afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)),
    }


def timed_step(model, data, labels, optimizer) -> dict[str, float]:
    """One training step; seconds spent in each phase."""
    t0 = clock()
    prediction = model(data)
    loss = (prediction - labels).sum()
    t1 = clock()
    loss.backward()
    t2 = clock()
    optimizer.step()
    t3 = clock()
    optimizer.zero_grad()
    return {"forward": t1 - t0, "backward": t2 - t1, "step": t3 - t2}


def time_size(shape: tuple[int, ...], rounds: int, warmup: int) -> dict:
    engines = make_pair(shape)
    samples: dict[str, list[dict[str, float]]] = {"torch": [], "ours": []}
    for r in range(warmup + rounds):
        order = ("torch", "ours") if r % 2 == 0 else ("ours", "torch")
        for name in order:
            # Let the other engine's worker threads go to sleep first: BLAS and OpenMP threads
            # spin for a while after their last task, and would take cores from this step.
            time.sleep(SETTLE_SECONDS)
            times = timed_step(*engines[name])
            if r >= warmup:
                samples[name].append(times)
    result: dict = {"shape": list(shape), "rounds": rounds, "warmup": warmup, "samples": samples}
    for name in ("torch", "ours"):
        med = {p: statistics.median(s[p] for s in samples[name]) for p in PHASES}
        med["total"] = statistics.median(sum(s.values()) for s in samples[name])
        result[name] = med
        # The fastest round: on a shared machine, other load only ever adds time.
        result[name + "_best"] = min(sum(s.values()) for s in samples[name])
    result["ratio"] = {p: result["ours"][p] / result["torch"][p] for p in PHASES + ("total",)}
    result["ratio"]["best_total"] = result["ours_best"] / result["torch_best"]
    return result


# -- peak memory, in a child process -----------------------------------------------------------
def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _trim_heap() -> None:
    """Give freed heap memory back to the OS, so that the next step's peak is its own."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure_memory_child(engine: str, shape: tuple[int, ...]) -> dict:
    model, data, labels, optimizer = make_pair(shape)[engine]
    timed_step(model, data, labels, optimizer)  # warm-up: momentum buffers, allocator caches
    _trim_heap()
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM (the peak RSS) to the current RSS
    timed_step(model, data, labels, optimizer)
    peak = _status_kib("VmHWM")
    return {"rss_before_mib": before / 1024, "peak_growth_mib": (peak - before) / 1024}


def measure_memory(engine: str, shape: tuple[int, ...]) -> dict:
    cmd = [sys.executable, __file__, "--memory-child", engine, "x".join(map(str, shape))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- --profile: where the time goes, op by op ----------------------------------------------------
class OpProfiler:
    """Times every afs op's forward and backward (and the helpers in HELPERS) while it is active.

    Each `Function` subclass's `forward`/`backward`, and `AccumulateGrad.accumulate`, is wrapped
    by a timer that records its *self* time under the step's current `phase`: time spent in a
    timed callee (im2col inside the convolution, the multiplication inside ReLU's backward) is
    counted for the callee, not twice. What a phase spends outside every timed function is Python
    between the ops: module calls and `Function.apply` in forward, the engine's loop in backward.
    A layer whose backward is an op of its own (so that it can be differentiated again) shows its
    backward's work as that op's forward: `ConvolutionBackwardBackward0.forward` is the
    convolution's backward. The matrix products of the convolutions (numpy's BLAS, through
    `parallel.matmul`) are timed as `matmul in ops.conv`, so that the convolutions' own rows are
    the work around them.
    """

    HELPERS = {"im2col": ("ops.conv", "im2col"), "col2im": ("ops.conv", "col2im"),
               "matmul in ops.conv": ("ops.conv", "matmul")}

    def __init__(self) -> None:
        self.phase = ""
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self._children = [0.0]  # time of timed callees, one accumulator per running timer
        self._undo: list[Callable[[], None]] = []

    def _timed(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            self._children.append(0.0)
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = clock() - t0
                self.seconds[self.phase, name] += elapsed - self._children.pop()
                self.calls[self.phase, name] += 1
                self._children[-1] += elapsed
        return timed

    def _patch(self, owner: object, attr: str, name: str, static: bool) -> None:
        original = owner.__dict__[attr]
        wrapped = self._timed(name, original.__func__ if static else original)
        setattr(owner, attr, staticmethod(wrapped) if static else wrapped)
        self._undo.append(lambda: setattr(owner, attr, original))

    def __enter__(self) -> "OpProfiler":
        import importlib

        function = afs.autograd.function
        todo = list(function.Function.__subclasses__())
        while todo:
            cls = todo.pop()
            todo += cls.__subclasses__()
            for method in ("forward", "backward"):
                if method in cls.__dict__:
                    self._patch(cls, method, f"{cls.node_name or cls.__name__}.{method}", static=True)
        self._patch(afs.autograd.graph.AccumulateGrad, "accumulate", "AccumulateGrad", static=False)
        for name, (module, attr) in self.HELPERS.items():
            self._patch(importlib.import_module("autograd_from_scratch." + module), attr, name, False)
        return self

    def __exit__(self, *exc) -> None:
        for undo in reversed(self._undo):
            undo()

    def outside(self) -> float:
        """Seconds of the current phase not inside any timer so far (the top-level accumulator)."""
        return self._children[0]


def profile_size(shape: tuple[int, ...], rounds: int) -> None:
    """Print afs's time per op and phase (mean over `rounds` steps after a warm-up), then torch's."""
    engines = make_pair(shape)
    model, data, labels, optimizer = engines["ours"]
    timed_step(model, data, labels, optimizer)  # warm-up
    phase_seconds: dict[str, float] = defaultdict(float)
    timed_seconds: dict[str, float] = defaultdict(float)

    def run(prof: OpProfiler, phase: str, fn: Callable) -> object:
        prof.phase, before = phase, prof.outside()
        t0 = clock()
        result = fn()
        phase_seconds[phase] += clock() - t0
        timed_seconds[phase] += prof.outside() - before
        return result

    with OpProfiler() as prof:
        for _ in range(rounds):
            time.sleep(SETTLE_SECONDS)
            loss = run(prof, "forward", lambda: (model(data) - labels).sum())
            run(prof, "backward", loss.backward)
            run(prof, "step", optimizer.step)
            optimizer.zero_grad()
    total = sum(phase_seconds.values()) / rounds
    print(f"\nafs, input {'x'.join(map(str, shape))}: {total * 1e3:.1f} ms per step, mean of {rounds} "
          "profiled steps (the timers add a little); self time of each op, by phase")
    for phase in PHASES:
        spent = phase_seconds[phase] / rounds
        print(f"{phase:44s}{spent * 1e3:10.1f} ms{spent / total:8.1%}{'calls':>8s}")
        rows = {name: t / rounds for (ph, name), t in prof.seconds.items() if ph == phase}
        rows["(Python outside the ops)"] = spent - timed_seconds[phase] / rounds
        for name, seconds in sorted(rows.items(), key=lambda kv: -kv[1]):
            if seconds >= 0.0005 * total:
                calls = prof.calls.get((phase, name))
                print(f"    {name:40s}{seconds * 1e3:10.1f} ms{seconds / total:8.1%}"
                      + ("" if calls is None else f"{calls / rounds:8.0f}"))

    model, data, labels, optimizer = engines["torch"]
    timed_step(model, data, labels, optimizer)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as torch_prof:
        for _ in range(rounds):
            timed_step(model, data, labels, optimizer)
    print(f"\ntorch, input {'x'.join(map(str, shape))}: its own profiler, {rounds} steps")
    print(torch_prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


# -- the report ----------------------------------------------------------------------------------
def print_table(result: dict, memory: dict) -> None:
    shape = "x".join(map(str, result["shape"]))
    print(f"\nResNet-18 training step, input {shape}, float32, median of {result['rounds']} rounds "
          f"after {result['warmup']} warm-up")
    print(f"{'':10s}{'forward':>12s}{'backward':>12s}{'step':>12s}{'total':>12s}{'peak MiB':>12s}")
    for name in ("torch", "ours"):
        row = "".join(f"{result[name][p] * 1e3:10.1f}ms" for p in PHASES + ("total",))
        mem = memory.get(name, {}).get("peak_growth_mib")
        print(f"{name:10s}{row}{'' if mem is None else f'{mem:12.0f}'}")
    ratio = "".join(f"{result['ratio'][p]:11.2f}x" for p in PHASES + ("total",))
    mem_ratio = ""
    if "torch" in memory and "ours" in memory and memory["torch"]["peak_growth_mib"] > 0:
        mem_ratio = f"{memory['ours']['peak_growth_mib'] / memory['torch']['peak_growth_mib']:11.2f}x"
    print(f"{'ours/torch':10s}{ratio}{mem_ratio}")
    print(f"fastest round: torch {result['torch_best'] * 1e3:.1f}ms, ours "
          f"{result['ours_best'] * 1e3:.1f}ms, ratio {result['ratio']['best_total']:.2f}x")


README_BEGIN = "<!-- benchmark table: written by benchmarks/resnet18_step.py --readme -->"
README_END = "<!-- end of benchmark table -->"


def markdown_table(data: dict) -> str:
    """The README's table of a benchmark run (the JSON that --json writes)."""
    lines = ["| input | engine | forward | backward | SGD step | total | ours/torch | peak memory |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for result in data["results"]:
        shape = "×".join(map(str, result["shape"]))
        for name in ("torch", "ours"):
            times = " | ".join(f"{result[name][p] * 1e3:.0f} ms" for p in PHASES + ("total",))
            ratio = f"**{result['ratio']['total']:.2f}**" if name == "ours" else ""
            mem = result.get("memory", {}).get(name, {}).get("peak_growth_mib")
            mem = "" if mem is None else f"{mem:.0f} MiB"
            label = "ours (afs)" if name == "ours" else "torch"
            lines.append(f"| {shape} | {label} | {times} | {ratio} | {mem} |")
    m = data["machine"]
    lines.append("")
    load = (f" (load average {m['load_average'][0]:.1f} when the run began, "
            f"{m['load_average'][1]:.1f} when it ended: the machine is shared)"
            if "load_average" in m else "")
    blas = f" ({m['numpy_blas']} kernels)" if "numpy_blas" in m else ""
    lines.append(f"Measured with torch {m['torch']} ({m['torch_threads']} threads) and numpy "
                 f"{m['numpy']}{blas} on {m['cpu_count']} CPU cores{load}; median of "
                 + " and ".join(f"{r['rounds']}" for r in data["results"])
                 + " rounds after a warm-up; peak memory is the growth of the resident set over one step.")
    return "\n".join(lines)


def readme_table_span(text: str) -> tuple[int, int]:
    """Where the table lies in the README's text: between README_BEGIN and README_END."""
    return text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)


def write_readme_table(readme: Path, data: dict) -> None:
    """Replace the README's table with this run's."""
    text = readme.read_text()
    start, end = readme_table_span(text)
    readme.write_text(text[:start] + "\n" + markdown_table(data) + "\n" + text[end:])


def machine(load_at_start: float) -> dict:
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "numpy_blas": blas_core(),
            "load_average": [load_at_start, os.getloadavg()[0]]}  # 1-minute, at start and end


def blas_core() -> str:
    """numpy's BLAS and the kernels it runs (OPENBLAS_CORETYPE, where set, chooses them)."""
    from threadpoolctl import threadpool_info

    return ", ".join(f"{lib['internal_api']} {lib.get('architecture')}" for lib in threadpool_info()
                     if lib.get("user_api") == "blas")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, help="input shapes NxCxHxW")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default: 10 for "
                        "small inputs, 5 for large)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--readme", type=Path, default=None,
                        help="also write the table into this README, between its benchmark markers")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory children")
    parser.add_argument("--single-thread", action="store_true",
                        help="both engines on one thread, timed in CPU time: the work each does, "
                        "which other load on a shared machine barely disturbs (not in the README)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the comparison, print afs's time per op (and torch's profile)")
    parser.add_argument("--memory-child", nargs=2, metavar=("ENGINE", "SHAPE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        engine, shape = args.memory_child
        print(json.dumps(measure_memory_child(engine, tuple(int(n) for n in shape.split("x")))))
        return

    if args.single_thread:
        global clock
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # numpy's BLAS
        torch.set_num_threads(1)
        afs.parallel.THREADS = 1
        clock = time.process_time
    if args.profile:
        for size in args.sizes:
            profile_size(tuple(int(n) for n in size.split("x")), args.rounds or 3)
        return

    load_at_start = os.getloadavg()[0]
    results = []
    for size in args.sizes:
        shape = tuple(int(n) for n in size.split("x"))
        rounds = args.rounds or (10 if np.prod(shape) < 1e6 else 5)
        result = time_size(shape, rounds, args.warmup)
        memory: dict[str, dict] = {}
        if not args.no_memory:
            for engine in ("torch", "ours"):
                try:
                    memory[engine] = measure_memory(engine, shape)
                except (subprocess.CalledProcessError, OSError) as e:
                    print(f"(peak memory of {engine} not measured: {e})", file=sys.stderr)
        result["memory"] = memory
        print_table(result, memory)
        results.append(result)
    data = {"machine": machine(load_at_start), "results": results}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=1))
        print(f"\nwrote {args.json}")
    if args.readme:
        write_readme_table(args.readme, data)
        print(f"wrote the table into {args.readme}")


if __name__ == "__main__":
    main()
