"""Pooling: max pooling over sliding windows, and adaptive average pooling.

Max pooling keeps the largest value of each window:

    y[n, c, oh, ow] = max_{i,j} x_padded[n, c, oh·s + i·d, ow·s + j·d]

so its derivative is 1 at the chosen position and 0 elsewhere: backward sends each output's
gradient to the input pixel that won (a pixel that won several overlapping windows gets the sum).
Like im2col, the forward visits one kernel offset (i, j) at a time, as a strided slice of the
input, in one pass that keeps both the running maximum and which offset holds it (the winner,
needed by backward and for `return_indices`). The rule is torch's: an offset takes over when its
value is larger, or is NaN; so ties go to the first maximum in row-major window order, and the
last NaN of a window wins. Backward is a scatter-add of each gradient onto its winner's pixel.

Adaptive average pooling splits the input into `output_size` bins, bin i covering rows
[⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉) (bins may overlap when H is not a multiple of Ho), and averages each:

    y[.., i, j] = mean of x[.., rows of bin i, cols of bin j]

The average over a rectangle is an average over rows followed by one over columns, so forward
and backward each take one pass over the row bins and one over the column bins.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from ..autograd.function import Function
from ..parallel import in_parallel
from ..tensor import Tensor
from .conv import ConstantPadNd, IntPair, Pair, pair, window


def pool_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                     ceil_mode: bool) -> int:
    """torch's rule: with ceil_mode a last, partial window counts if it starts inside the input."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def pad(x: np.ndarray, rows: Pair, cols: Pair, value: float) -> np.ndarray:
    """x (N, C, H, W) with `rows` = (top, bottom) and `cols` = (left, right) borders of `value`."""
    if rows == (0, 0) and cols == (0, 0):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + sum(rows), w + sum(cols)), value, dtype=x.dtype)
    out[:, :, rows[0]:rows[0] + h, cols[0]:cols[0] + w] = x
    return out


def _as_batch(x: np.ndarray) -> np.ndarray:
    """Pooling works on (N, C, H, W); an unbatched (C, H, W) input is a batch of one."""
    return x if x.ndim == 4 else x[None]


class MaxPool2d(Function):
    """y = the maximum of each window;  dy/dx = 1 at the window's argmax, 0 elsewhere."""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                ceil_mode: bool, return_indices: bool):
        data = _as_batch(x.array)
        n, c, h, w = data.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        ho = pool_output_size(h, kh, sh, ph, dh, ceil_mode)
        wo = pool_output_size(w, kw, sw, pw, dw, ceil_mode)
        # ceil_mode's last window may reach past the padding: pad the bottom/right further.
        bottom = max(ph, (ho - 1) * sh + dh * (kh - 1) + 1 - h - ph)
        right = max(pw, (wo - 1) * sw + dw * (kw - 1) + 1 - w - pw)
        xp = pad(data, (ph, bottom), (pw, right), value=-np.inf)

        offsets = list(np.ndindex(kh, kw))  # kernel offset k = i·kw + j, in window order
        best = np.empty((n, c, ho, wo), dtype=xp.dtype)
        winner = np.zeros(best.shape, dtype=np.min_scalar_type(len(offsets) - 1))

        def pool(ch: slice) -> None:
            """best and winner for the channels ch."""
            def candidates(k: int) -> np.ndarray:
                """The input value that offset k contributes to every window."""
                i, j = offsets[k]
                return xp[:, ch, window(i, dh, sh, ho), window(j, dw, sw, wo)]

            best_ch, winner_ch = best[:, ch], winner[:, ch]
            np.copyto(best_ch, candidates(0))
            value = np.empty_like(best_ch)
            for k in range(1, len(offsets)):
                # A contiguous copy first: the comparisons below then run at full speed, where on
                # the strided slice each of them cost as much as the copy (3x faster in all).
                np.copyto(value, candidates(k))
                wins = (value > best_ch) | np.isnan(value)
                np.maximum(best_ch, value, out=best_ch)  # NaN propagates, as in torch
                # k only grows, so the last offset that took over is the largest k that did.
                np.maximum(winner_ch, wins * winner.dtype.type(k), out=winner_ch)

        in_parallel(pool, c, xp.size + 3 * best.size * len(offsets))  # channels: independent

        ctx.geometry = (kernel, stride, (ph, bottom), (pw, right), dilation)
        ctx.save_for_backward(x, Tensor(winner))
        values = best.reshape(x.shape[:-2] + (ho, wo))
        if not return_indices:
            return values
        # torch's indices: the winner's flat position h·W + w in its (unpadded) input plane.
        rows = np.arange(ho)[:, None] * sh - ph + (winner // kw) * dh
        cols = np.arange(wo) * sw - pw + (winner % kw) * dw
        return values, (rows * w + cols).astype(np.int64).reshape(values.shape)

    @staticmethod
    def backward(ctx, grad: Tensor, grad_indices: Optional[Tensor] = None) -> tuple:
        x, winner = ctx.saved_tensors
        dx = MaxPool2DBackward.apply(grad, x, winner.array, ctx.geometry)
        return dx, None, None, None, None, None, None


class MaxPool2DBackward(Function):
    """dL/dx of max pooling: each window's gradient added onto its winner's pixel.

    Linear in G = dL/dy, so its own backward (second derivatives) is the reverse: each window
    takes the upstream gradient at its winner's pixel (a gather).
    """

    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, grad: Tensor, x: Tensor, winner: np.ndarray, geometry: tuple) -> np.ndarray:
        (kh, kw), (sh, sw), rows, cols, (dh, dw) = geometry
        g = _as_batch(grad.array)
        n, c, h, w = _as_batch(x.array).shape
        ho, wo = g.shape[2:]
        hp, wp = h + sum(rows), w + sum(cols)
        # The winner's flat position in the padded input: where its plane and its window start,
        # plus where offset k = i·kw + j lies in the window.
        start = np.arange(ho)[:, None] * sh * wp + np.arange(wo) * sw
        offset = np.array([i * dh * wp + j * dw for i, j in np.ndindex(kh, kw)])
        winners, g_planes = winner.reshape(n * c, ho, wo), g.reshape(n * c, ho, wo)
        positions = np.empty((n * c, ho, wo), dtype=np.intp)
        dxp = np.empty(n * c * hp * wp, dtype=g.dtype)

        def scatter(planes: slice) -> None:
            """Add the gradients of these (image, channel) planes onto their winners' pixels."""
            dxp[planes.start * hp * wp:planes.stop * hp * wp] = 0  # each thread zeroes its planes
            plane_start = np.arange(planes.start, planes.stop)[:, None, None] * (hp * wp)
            np.add(plane_start + start, np.take(offset, winners[planes]), out=positions[planes])
            # A pixel that won several windows gets the sum: add.at adds every one (fancy-index
            # `+=` would keep only the last), and since numpy 1.25 it is a fast scatter-add.
            np.add.at(dxp, positions[planes].ravel(), g_planes[planes].ravel())

        in_parallel(scatter, n * c, 4 * g.size)  # planes own their pixels: shared out
        positions = positions.ravel()
        ctx.positions, ctx.pad, ctx.shapes = positions, (rows, cols), ((n, c, h, w), grad.shape)
        dx = dxp.reshape(n, c, hp, wp)[:, :, rows[0]:rows[0] + h, cols[0]:cols[0] + w]
        return dx.reshape(x.shape)

    @staticmethod
    def backward(ctx, upstream: Tensor) -> tuple:
        batch_shape, grad_shape = ctx.shapes
        padded = ConstantPadNd.apply(upstream.reshape(batch_shape), ctx.pad)
        return padded.reshape(-1)[ctx.positions].reshape(grad_shape), None, None, None


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None,
               padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over each kh x kw window of input (N, C, H, W) or (C, H, W); stride defaults to the kernel."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"max_pool2d: Expected 3D or 4D tensor, but got input of size "
                           f"{list(input.shape)}")
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] else pair(stride)
    padding, dilation = pair(padding), pair(dilation)
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    return MaxPool2d.apply(input, kernel, stride, padding, dilation, ceil_mode, return_indices)


def _bins(n_in: int, n_out: int) -> list[tuple[int, int]]:
    """Bin i covers [⌊i·n_in/n_out⌋, ⌈(i+1)·n_in/n_out⌉)."""
    return [(i * n_in // n_out, -(-(i + 1) * n_in // n_out)) for i in range(n_out)]


class AdaptiveAvgPool2d(Function):
    """y = the mean of each bin;  dy/dx = 1/(bin area) on the bin's pixels."""

    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, size: Pair) -> np.ndarray:
        h, w = x.shape[-2:]
        ctx.bins = (_bins(h, size[0]), _bins(w, size[1]))
        ctx.shape = x.shape
        by_rows = np.stack([x.array[..., a:b, :].mean(axis=-2) for a, b in ctx.bins[0]], axis=-2)
        return np.stack([by_rows[..., a:b].mean(axis=-1) for a, b in ctx.bins[1]], axis=-1)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        return AdaptiveAvgPool2DBackward.apply(grad, ctx.bins, ctx.shape), None


class AdaptiveAvgPool2DBackward(Function):
    """dL/dx of adaptive average pooling: each bin's gradient spread evenly over its pixels.

    Linear in G = dL/dy, and the transpose of the pooling: so its own backward is the pooling of
    the upstream gradient.
    """

    node_name = "AdaptiveAvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, grad: Tensor, bins: tuple, shape: tuple) -> np.ndarray:
        (row_bins, col_bins), g = bins, grad.array
        ctx.size = (len(row_bins), len(col_bins))
        by_rows = np.zeros(g.shape[:-1] + (shape[-1],), dtype=g.dtype)
        for j, (a, b) in enumerate(col_bins):
            by_rows[..., a:b] += g[..., j, None] / (b - a)
        dx = np.zeros(shape, dtype=g.dtype)
        for i, (a, b) in enumerate(row_bins):
            dx[..., a:b, :] += by_rows[..., i, None, :] / (b - a)
        return dx

    @staticmethod
    def backward(ctx, upstream: Tensor) -> tuple:
        return AdaptiveAvgPool2d.apply(upstream, ctx.size), None, None


def adaptive_avg_pool2d(input: Tensor, output_size: Union[int, None, Sequence[Optional[int]]]) -> Tensor:
    """Average input (N, C, H, W) or (C, H, W) down to `output_size` (None keeps that dimension).

    To 1x1 this is a mean over the last two dimensions, and torch records it as one
    (`MeanBackward1`): so do we, so that the graphs match.
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    size = tuple(int(n if s is None else s) for s, n in zip(sizes, input.shape[-2:]))
    if size == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    return AdaptiveAvgPool2d.apply(input, size)
