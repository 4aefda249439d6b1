"""2-D convolution as im2col plus one matrix product.

A convolution slides a kernel over the image; written out, output position (oh, ow) of output
channel o is a dot product between the kernel W[o] and the patch of the (padded) input it covers:

    y[n, o, oh, ow] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x[n, c, oh·s + i·d, ow·s + j·d]

im2col copies every patch into one column of a matrix `cols` of shape (C·kh·kw, N·Ho·Wo): one
column per output position of every image. The whole convolution is then one matrix product,
which BLAS does at full speed:

    Y = W₂ cols          with W₂ = W reshaped to (O, C·kh·kw),  Y of shape (O, N·Ho·Wo)

Building `cols` takes one strided copy per kernel offset (i, j): for a fixed offset, the input
pixels that all output positions meet form a strided slice of the padded input.

Backward is the same product transposed. With G = dL/dY (as a matrix, like Y):

    dL/dW₂ = G colsᵀ        dL/db = Σ over the columns of G        dL/dcols = W₂ᵀ G

and col2im sends dL/dcols back to the input, adding each kernel offset's slice into the place
im2col copied it from (a pixel seen by several patches receives the sum of their gradients).
`groups` splits the channels into independent convolutions: one matrix product per group.

What backward keeps: x, not `cols`. `cols` is kh·kw times larger than x (9× for a 3x3 kernel;
keeping it made ResNet18's step at 8×3×224×224 take twice torch's memory), and rebuilding it in
backward costs one more copy, a fraction of the matrix products it feeds. torch keeps x too.
Both `cols` and dL/dcols live in a `workspace` that every call reuses (see there why).

Speed only, the numbers do not change: im2col and col2im hand each thread a share of the channels
(a channel's rows of `cols` come from that channel alone), and the products go to
`parallel.matmul`, which shares out the large ones too (see `autograd_from_scratch/parallel.py`).
"""
from __future__ import annotations

import threading
from math import prod
from typing import Optional, Union

import numpy as np

from ..autograd.function import Function
from ..parallel import in_parallel, matmul, swapped_copy
from ..tensor import Tensor
from .optional import defined, optional

IntPair = Union[int, tuple[int, int]]
Pair = tuple[int, int]


def pair(v: IntPair) -> Pair:
    """`3` -> (3, 3); a pair stays a pair (torch's `_pair`)."""
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """How many kernel positions fit along one spatial dimension."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def window(offset: int, dilation: int, stride: int, n_out: int) -> slice:
    """The rows (or columns) of the padded input that kernel offset `offset` meets, one per output."""
    start = offset * dilation
    return slice(start, start + stride * (n_out - 1) + 1, stride)


def channels_first(x: np.ndarray, padding: Pair) -> np.ndarray:
    """x (N, C, H, W) as (C, N, H + 2ph, W + 2pw), zero-padded: the layout im2col reads from.

    Channels first because they index the rows of `cols`, images and positions its columns.
    """
    (ph, pw), (n, c, h, w) = padding, x.shape
    if padding == (0, 0):
        return x.transpose(1, 0, 2, 3)  # a view: no copy needed
    xp = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
    return xp


_workspaces = threading.local()  # per thread, so that two threads' convolutions never share one


def workspace(name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised array of `shape`, in memory that every call with this `name` reuses.

    Why: `cols` is large (55 MiB for a 3x3 convolution of 64 channels at 56x56, batch 8), and a
    fresh array that large is new memory: the kernel hands it out page by page, zeroing each page
    at its first write, which made im2col about twice as slow as the same copies into memory used
    before. Only `cols` and dL/dcols live here: each is used up within the call that fills it
    (never saved, never returned), so the next call may overwrite it. The buffer keeps the size
    of the largest request (two of them per dtype for ResNet18, about 55 MiB each at 224x224).
    """
    buffers: dict = _workspaces.__dict__
    buf = buffers.get((name, dtype))
    if buf is None or buf.size < prod(shape):
        buf = buffers[name, dtype] = np.empty(prod(shape), dtype=dtype)
    return buf[:prod(shape)].reshape(shape)


def im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
           scratch: bool = False) -> np.ndarray:
    """cols[c, i, j, n, oh, ow] = x_padded[n, c, oh·sh + i·dh, ow·sw + j·dw].

    In a new array, or with `scratch=True` (as the convolution calls it) in the workspace, where
    the next such call overwrites it.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, w = x.shape
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    shape = (c, kh, kw, n, ho, wo)
    cols = workspace("cols", shape, x.dtype) if scratch else np.empty(shape, dtype=x.dtype)

    def copy(channels: slice) -> None:
        xp = channels_first(x[:, channels], padding)
        for i in range(kh):
            for j in range(kw):
                cols[channels, i, j] = xp[:, :, window(i, dh, sh, ho), window(j, dw, sw, wo)]

    in_parallel(copy, c, cols.size)  # the channels shared out between threads: see parallel.py
    return cols


def col2im(cols: np.ndarray, size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
    """The adjoint of im2col: add every column entry back onto the pixel it was copied from."""
    c, kh, kw, n, ho, wo = cols.shape
    (h, w), (sh, sw), (ph, pw), (dh, dw) = size, stride, padding, dilation
    xp = np.empty((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    xp_channels_first = xp.transpose(1, 0, 2, 3)  # a view: adding into it adds into xp

    def add(channels: slice) -> None:
        xp_channels_first[channels] = 0  # here, not np.zeros: each thread zeroes its own share
        for i in range(kh):
            for j in range(kw):
                xp_channels_first[channels, :, window(i, dh, sh, ho), window(j, dw, sw, wo)] += \
                    cols[channels, i, j]

    in_parallel(add, c, cols.size)  # each thread adds into its own channels
    return xp[:, :, ph:ph + h, pw:pw + w]


def _images_last(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, O, Ho, Wo) -> (groups, O/groups, N·Ho·Wo): images side by side, as the columns of Y."""
    o = a.shape[1]
    return swapped_copy(a).reshape(groups, o // groups, -1)


class Convolution(Function):
    """y = conv2d(x, W) + b, as one matrix product of the weights with im2col(x) (per group)."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, stride: Pair, padding: Pair,
                dilation: Pair, groups: int) -> np.ndarray:
        n = x.shape[0]
        o, c_g, kh, kw = weight.shape
        cols = im2col(x.array, (kh, kw), stride, padding, dilation, scratch=True)
        ho, wo = cols.shape[-2:]
        # Per group: Y (O/g, N·Ho·Wo) = W₂ (O/g, K) @ cols (K, N·Ho·Wo), with K = C/g·kh·kw.
        cols = cols.reshape(groups, c_g * kh * kw, n * ho * wo)
        out = matmul(weight.array.reshape(groups, o // groups, -1), cols).reshape(o, n, ho, wo)
        if defined(bias):
            out += bias.array.reshape(o, 1, 1, 1)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, weight)
        return swapped_copy(out)  # images first again: (N, O, Ho, Wo)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        # Its own op, so that with create_graph=True the backward is recorded (second derivatives).
        x, weight = ctx.saved_tensors
        needed = ctx.needs_input_grad[:3]
        grads = iter(ConvolutionBackward.apply(grad, x, weight, ctx.geometry, needed))
        return tuple(next(grads) if n else None for n in needed) + (None,) * 4


class ConvolutionBackward(Function):
    """(dL/dx, dL/dW, dL/db) of a convolution from G = dL/dy: the formulas of the module docstring.

    Its outputs are linear in G, in W (dL/dx) and in x (dL/dW), so its own backward is made of
    convolutions again. With upstream gradients Gx, GW, Gb of the three outputs:

        d/dG = conv2d(Gx, W) + conv2d(x, GW) + Gb      d/dx, d/dW = ConvolutionBackward(G, Gx, GW)

    (the second: dL/dx computed with weights GW, and dL/dW computed with input Gx).
    """

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, grad: Tensor, x: Tensor, weight: Tensor, geometry: tuple,
                needed: tuple[bool, bool, bool]) -> tuple:
        stride, padding, dilation, groups = geometry
        n, c, h, w = x.shape
        o, c_g, kh, kw = weight.shape
        ho, wo = grad.shape[2:]
        g = _images_last(grad.array, groups)  # G, per group (O/g, N·Ho·Wo)
        grads = []
        if needed[0]:
            d_cols = workspace("d_cols", (groups, c_g * kh * kw, n * ho * wo), g.dtype)
            matmul(weight.array.reshape(groups, o // groups, -1).swapaxes(1, 2), g, out=d_cols)
            grads.append(col2im(d_cols.reshape(c, kh, kw, n, ho, wo), (h, w), stride, padding,
                                dilation))
        if needed[1]:
            # cols is rebuilt, not kept from forward: see the module docstring.
            cols = im2col(x.array, (kh, kw), stride, padding, dilation, scratch=True)
            grad_w = matmul(g, cols.reshape(groups, c_g * kh * kw, -1).swapaxes(1, 2))
            grads.append(grad_w.reshape(weight.shape))
        if needed[2]:
            grads.append(g.sum(axis=2).reshape(o))
        ctx.geometry, ctx.needed = geometry, needed
        ctx.save_for_backward(grad, x, weight)
        return tuple(grads)

    @staticmethod
    def backward(ctx, *upstream: Tensor) -> tuple:
        grad, x, weight = ctx.saved_tensors
        up = iter(upstream)  # one per output computed: the engine sends zeros for unused ones
        gx, gw, gb = (next(up) if n else None for n in ctx.needed)
        terms = []
        if gx is not None:
            terms.append(conv2d(gx, weight, None, *ctx.geometry))
        if gw is not None:
            terms.append(conv2d(x, gw, None, *ctx.geometry))
        if gb is not None:
            terms.append(gb.reshape(1, -1, 1, 1).expand(grad.shape))
        d_grad = sum(terms[1:], terms[0])
        want = (ctx.needs_input_grad[1] and gw is not None, ctx.needs_input_grad[2] and gx is not None)
        d_x = d_w = None
        if any(want):  # one call: dL/dx with the weights gw, dL/dW with the input gx
            outs = iter(ConvolutionBackward.apply(grad, x if gx is None else gx,
                                                  weight if gw is None else gw, ctx.geometry,
                                                  want + (False,)))
            d_x, d_w = (next(outs) if w else None for w in want)
        return d_grad, d_x, d_w, None, None


def _check_conv_input(x: Tensor, weight: Tensor, bias: Optional[Tensor], groups: int) -> None:
    if x.ndim not in (3, 4):
        raise RuntimeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            f"{list(x.shape)}. Images go in as (batch, channels, height, width)."
        )
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d expects a 4D weight (out_channels, in_channels/groups, kh, kw), "
                           f"got weight of size {list(weight.shape)}")
    expected = weight.shape[1] * groups
    if x.shape[-3] != expected:
        shape = list(x.shape) if x.ndim == 4 else [1] + list(x.shape)
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{shape} "
            f"to have {expected} channels, but got {x.shape[-3]} channels instead"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(f"out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(
                f"Input type ({x.dtype.name}) and {name} type ({t.dtype.name}) should be the same: "
                "convert the input or the layer (e.g. `model.double()` or `x.float()`)."
            )


class ConstantPadNd(Function):
    """y = x with zero borders: `pad` = ((top, bottom), (left, right));  dL/dx = dL/dy cropped."""

    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x: Tensor, pad: tuple[Pair, Pair]) -> np.ndarray:
        ctx.size, ctx.pad = x.shape[-2:], pad
        return np.pad(x.array, [(0, 0)] * (x.ndim - 2) + list(pad))

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (h, w), ((top, _), (left, _)) = ctx.size, ctx.pad
        return grad[..., top:top + h, left:left + w], None


def _string_padding(padding: str, kernel: Pair, stride: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """(padding on both sides, extra padding at the bottom/right) for 'valid' or 'same'.

    'same' pads so that the output has the input's size (stride 1): d·(k - 1) in all. When that
    is odd, torch pads ⌊d·(k - 1)/2⌋ on both sides and the one left over at the bottom/right, as a
    separate zero-padding op of the input (`ConstantPadNdBackward0` in its graph): so do we.
    """
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(f"Invalid padding string '{padding}', should be one of ('valid', 'same')")
    if stride != (1, 1):
        raise ValueError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntPair = 1,
           padding: Union[IntPair, str] = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw)."""
    _check_conv_input(input, weight, bias, groups)
    if input.ndim == 3:  # unbatched, as torch: a batch of one, squeezed afterwards
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    stride, dilation = pair(stride), pair(dilation)
    if isinstance(padding, str):
        padding, extra = _string_padding(padding, weight.shape[2:], stride, dilation)
        if extra != (0, 0):
            input = ConstantPadNd.apply(input, ((0, extra[0]), (0, extra[1])))
    else:
        padding = pair(padding)
    kh, kw = weight.shape[2:]
    h, w = input.shape[2:]
    if min(output_size(h, kh, stride[0], padding[0], dilation[0]),
           output_size(w, kw, stride[1], padding[1], dilation[1])) < 1:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({h + 2 * padding[0]} x "
            f"{w + 2 * padding[1]}). Kernel size: ({dilation[0] * (kh - 1) + 1} x "
            f"{dilation[1] * (kw - 1) + 1}). Kernel size can't be greater than actual input size"
        )
    return Convolution.apply(input, weight, optional(bias), stride, padding, dilation, groups)
