"""The measurements behind `autograd_from_scratch/parallel.py`'s choices, on this machine.

    python benchmarks/threads.py

1. What handing a pass to another thread costs: a small pass on one thread and shared out.
2. What OpenBLAS's spinning threads cost the pass after a product: im2col of a ResNet18-sized
   input on our threads, alone and right after a product on BLAS's own threads.
3. Why middling products stay on BLAS's threads: one of them on BLAS's two threads, on one, and
   shared out by `in_parallel` with one BLAS thread each.
4. Why `matmul` copies an operand that BLAS cannot read in place: the broadcast (1, 1000) gradient
   of ResNet18's linear layer times its weight, as it is and copied first.
5. Whether two threads' shares really run side by side: each thread makes 100 passes over its
   own 2 MB, one of them woken up for it as `in_parallel` wakes a worker; once left to the OS's
   scheduler and once with each thread pinned to a core of its own; with the CPU time each share
   got. A share with much less CPU time than wall time spent the rest waiting for a core: the two
   threads took turns on one (Linux tends to wake a thread on the core of the thread that woke it).
Each time is the median of several runs, in ms.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from autograd_from_scratch import parallel
from autograd_from_scratch.ops.conv import im2col


def median_ms(fn: Callable[[], object], before: Callable[[], object] = lambda: None,
              rounds: int = 21) -> float:
    """Median time of fn() in ms, each run right after before() (untimed)."""
    times = []
    for _ in range(rounds):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def on_threads(threads: int, fn: Callable[[], object]) -> Callable[[], object]:
    """fn with `parallel.THREADS` set to `threads` while it runs."""
    def run() -> object:
        saved, parallel.THREADS = parallel.THREADS, threads
        try:
            return fn()
        finally:
            parallel.THREADS = saved
    return run


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{parallel.THREADS} threads; numpy's BLAS set through threadpoolctl: {bool(parallel._blas)}")

    small = rng.standard_normal((64, 4096)).astype(np.float32)
    doubled = np.empty_like(small)

    def double(rows: slice) -> None:
        np.multiply(small[rows], 2, out=doubled[rows])

    one = median_ms(lambda: double(slice(None)), rounds=201)
    shared = median_ms(lambda: parallel.in_parallel(double, 64, 1 << 40), rounds=201)
    print(f"1. a pass over {small.size} numbers: one thread {one:.3f} ms, shared out {shared:.3f} ms")

    x = rng.standard_normal((8, 64, 56, 56)).astype(np.float32)
    square = rng.standard_normal((512, 512)).astype(np.float32)
    copy = on_threads(parallel.THREADS, lambda: im2col(x, (3, 3), (1, 1), (1, 1), (1, 1), True))
    alone = median_ms(copy)
    after = median_ms(copy, before=lambda: np.matmul(square, square))  # on BLAS's own threads
    print(f"2. im2col of (8, 64, 56, 56), shared out: alone {alone:.2f} ms, right after a "
          f"product on BLAS's threads {after:.2f} ms (one thread: {median_ms(on_threads(1, copy)):.2f} ms)")

    a = rng.standard_normal((512, 4608)).astype(np.float32)
    b = rng.standard_normal((4608, 4)).astype(np.float32)
    out = np.empty((512, 4), dtype=np.float32)

    def product(rows: slice) -> None:
        np.matmul(a[rows], b, out=out[rows])

    blas = median_ms(lambda: product(slice(None)))
    with parallel.one_blas_thread():  # as parallel.matmul shares out a large product
        blas_one = median_ms(lambda: product(slice(None)))
        ours = median_ms(lambda: parallel.in_parallel(product, 512, 1 << 40))
    print(f"3. (512, 4608) @ (4608, 4): BLAS's threads {blas:.2f} ms, one BLAS thread "
          f"{blas_one:.2f} ms, shared out {ours:.2f} ms")

    grad = np.broadcast_to(np.float32(1), (1, 1000))  # what the sum's backward hands over
    weight = rng.standard_normal((1000, 512)).astype(np.float32)
    as_is = median_ms(lambda: np.matmul(grad, weight))
    copied = median_ms(lambda: np.matmul(parallel.blas_readable(grad), weight))
    print(f"4. broadcast (1, 1000) @ (1000, 512): as it is {as_is:.2f} ms, copied first {copied:.2f} ms")

    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > 1:
        for pinned in (False, True):
            wall, cpu = side_by_side(rng.standard_normal((2, 1 << 19)).astype(np.float32), cores, pinned)
            how = "each pinned to a core" if pinned else "left to the scheduler"
            print(f"5. two threads, 100 passes over 2 MB each, {how}: {wall:.1f} ms each, "
                  f"{cpu:.1f} ms of it on a core")


def side_by_side(arrays: np.ndarray, cores: list[int], pinned: bool) -> tuple[float, float]:
    """Median wall and CPU time (ms) of two shares over 7 runs: as `parallel.in_parallel` runs
    them, one on this thread and one on a waiting worker thread that `submit` wakes up (a
    worker of its own, not one of `parallel.workers`, so that it can be pinned)."""
    timings: list[tuple[float, float]] = []

    def share(k: int) -> None:
        start, cpu = time.perf_counter(), time.thread_time()
        for _ in range(100):
            np.multiply(arrays[k], 1.0, out=arrays[k])
        timings.append((time.perf_counter() - start, time.thread_time() - cpu))

    mine = os.sched_getaffinity(0)
    with ThreadPoolExecutor(max_workers=1) as worker:
        if pinned:  # sched_setaffinity(0, ...) pins the thread that calls it
            worker.submit(os.sched_setaffinity, 0, {cores[1]}).result()
            os.sched_setaffinity(0, {cores[0]})
        try:
            for _ in range(7):
                time.sleep(0.3)  # as benchmarks/resnet18_step.py pauses before each step
                other = worker.submit(share, 1)
                share(0)
                other.result()
        finally:
            os.sched_setaffinity(0, mine)
    wall = 1e3 * statistics.median(t[0] for t in timings)
    cpu = 1e3 * statistics.median(t[1] for t in timings)
    return wall, cpu


if __name__ == "__main__":
    main()
