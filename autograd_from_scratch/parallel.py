"""Every core on one numpy pass: an array's rows shared out between threads.

numpy runs each pass (a copy, an addition) on one core, where torch's CPU kernels use them all.
Inside a pass numpy lets go of Python's lock (the GIL), so threads that each take a share of the
rows do run side by side, one per core. The ops that move the most memory (im2col and col2im,
batch norm, max pooling, the optimizer's step) hand their passes to `in_parallel`; a small pass
stays on the calling thread, because waking another thread up takes about as long as a pass
over half a million numbers. (`python benchmarks/threads.py` measures the numbers quoted here;
they are from a 2-core machine.)

Matrix products go one of three ways (`matmul`), by size:
- large ones are shared out the same way, each thread running numpy's BLAS on one thread. Why
  not leave them to BLAS's own threads: after each product OpenBLAS keeps its threads spinning
  on the other cores for a while, waiting for the next one, and whatever runs on our threads in
  that time gets no core to itself (im2col of (8, 64, 56, 56) shared out: 3-5 ms alone, 8-9 ms
  right after a product, no quicker than on one thread);
- middling ones (e.g. every convolution of ResNet18 at 64x64) go to BLAS's own threads: awake and
  spinning, they start sooner than ours wake up (512x4608 by 4608x4: 0.33-0.39 ms on BLAS's
  two threads, 0.43-0.74 ms shared out, 0.65-0.70 ms on one thread);
- small ones run on one thread, which is as quick as two and sets no thread spinning (so that,
  e.g., ResNet18's linear layer does not slow down the convolutions that follow it), unless the
  product before was on BLAS's threads: they are awake then, and quicker.

Only the speed changes: every share computes exactly what the whole pass would.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import numpy as np

THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
MIN_WORK = 1 << 19  # numbers a pass touches; below this, one thread is as quick
BLAS_PRODUCT, MIN_PRODUCT = 1 << 19, 1 << 22  # products' work (see `matmul`): BLAS's threads, ours
workers: ThreadPoolExecutor  # made by _new_workers


def _new_workers() -> None:
    """The threads that take the shares; a forked child, which has none of its parent's threads,
    gets workers of its own."""
    global workers
    workers = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="afs-worker")


_new_workers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_workers)


def _blas_controllers() -> list:
    """Whatever sets numpy's BLAS threads (threadpoolctl's); none when threadpoolctl is missing."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # then BLAS keeps all its threads: slower, never different
        return []
    return ThreadpoolController().select(user_api="blas").lib_controllers


_blas = _blas_controllers()
_blas_awake = [False]  # did the last product run on BLAS's own threads (still spinning, then)?


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread inside the block; then as many as it had before."""
    before = [controller.get_num_threads() for controller in _blas]
    for controller in _blas:
        controller.set_num_threads(1)
    try:
        yield
    finally:
        for controller, n in zip(_blas, before):
            controller.set_num_threads(n)


def in_parallel(part: Callable[[slice], object], rows: int, work: int) -> None:
    """Call part(s) for slices s that share out range(rows), all at once, one per thread.

    `work` is about how many numbers the whole pass reads and writes: below MIN_WORK it is a
    single call, part(slice(0, rows)), on this thread. Each call may write only its own rows.
    """
    k = min(THREADS, rows)
    if k < 2 or work < MIN_WORK or threading.current_thread().name.startswith("afs-worker"):
        part(slice(0, rows))
        return
    bounds = [rows * i // k for i in range(k + 1)]
    shares = [slice(a, b) for a, b in zip(bounds, bounds[1:])]
    others = [workers.submit(part, s) for s in shares[1:]]
    try:
        part(shares[0])  # this thread takes the first share itself
    finally:
        for future in others:
            future.result()  # waits, and raises what the share raised


def matmul(a: np.ndarray, b: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """np.matmul(a, b) for a, b with 2 or more dimensions; a large product with the output's
    columns (or its rows, when it has more rows) shared out between threads."""
    a, b = blas_readable(a), blas_readable(b)
    if out is None:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        out = np.empty(shape, dtype=np.result_type(a, b))
    work = out.size * a.shape[-1] // 8  # a multiply-add costs about an eighth of a copied number
    if work < BLAS_PRODUCT and not _blas_awake[0]:
        with one_blas_thread():
            return np.matmul(a, b, out=out)
    if work < MIN_PRODUCT or not _blas or THREADS == 1:
        _blas_awake[0] = True
        return np.matmul(a, b, out=out)  # on BLAS's own threads
    _blas_awake[0] = False
    m, n = out.shape[-2:]

    def columns(s: slice) -> None:
        np.matmul(a, b[..., s], out=out[..., s])

    def rows(s: slice) -> None:
        np.matmul(a[..., s, :], b, out=out[..., s, :])

    with one_blas_thread():  # one thread of BLAS in each of ours
        in_parallel(columns if n >= m else rows, max(m, n), work)
    return out


def blas_readable(a: np.ndarray) -> np.ndarray:
    """a, or a contiguous copy of it where numpy's matmul could not hand it to BLAS as it is.

    BLAS reads a matrix whose rows (or columns) lie one number apart; for any other matrix, such
    as a broadcast view with a stride of 0, numpy runs a loop of its own, many times slower (the
    (1, 1000) gradient that ResNet18's sum hands its linear layer: about 1 ms instead of 0.03).
    """
    m, n = a.shape[-2:]
    rows, cols = a.strides[-2:]
    if (cols == a.itemsize and rows >= a.itemsize * n) or (rows == a.itemsize and cols >= a.itemsize * m):
        return a
    return np.ascontiguousarray(a)


def swapped_copy(a: np.ndarray) -> np.ndarray:
    """a (A, B, ...) copied into a new contiguous array (B, A, ...), in shares of B."""
    out = np.empty((a.shape[1], a.shape[0]) + a.shape[2:], dtype=a.dtype)

    def copy(rows: slice) -> None:
        np.copyto(out[rows], a[:, rows].swapaxes(0, 1))

    in_parallel(copy, out.shape[0], out.size)
    return out


def pointwise(fn: Callable[..., object], *operands: object,
              out: Optional[np.ndarray] = None) -> np.ndarray:
    """fn(*operands, out=out) for a pass number by number (a ufunc: np.maximum, np.multiply),
    shared out by rows.

    The operands are numbers or arrays of one shape; `out` (a new array when None) has that shape
    too, and must not overlap itself (no broadcast views); it may overlap the operands.
    """
    arrays = [a for a in operands if isinstance(a, np.ndarray)]
    work = arrays[0].size * (len(arrays) + 1)  # numbers read and written
    if (THREADS == 1 or work < MIN_WORK
            or out is not None and any(np.may_share_memory(out, a) for a in arrays)):
        # One call: a small pass, or one that writes over its own operands (numpy then copies
        # them first; shares could read what another share already overwrote).
        return fn(*operands, out=out)  # type: ignore[return-value]
    if out is None:  # the result's dtype: fn on empty arrays of the operands' dtypes
        empty = [np.empty(0, a.dtype) if isinstance(a, np.ndarray) else a for a in operands]
        out = np.empty_like(arrays[0], dtype=fn(*empty).dtype)  # type: ignore[attr-defined]
    rows = [np.atleast_1d(a) if isinstance(a, np.ndarray) else None for a in operands]
    result = np.atleast_1d(out)  # a 0-d array as one row, in the same memory

    def share(s: slice) -> None:
        fn(*(a if r is None else r[s] for a, r in zip(operands, rows)), out=result[s])

    in_parallel(share, len(result), work)
    return out
