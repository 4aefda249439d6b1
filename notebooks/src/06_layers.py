# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · Layers: Linear, Conv2d, BatchNorm2d, ReLU and pooling
#
# **You will learn**
# - the forward and backward math of the layers a CNN is made of, and how each is one `Function` in our engine
#   (a convolution is im2col plus one matrix product; its backward is the transposed products plus col2im);
# - how to check a layer against torch: same weights, same input, same upstream gradient, and `gradcheck`.
#
# **Builds on:** [05 · Vector calculus](05_vector_calculus.ipynb): backward computes vector-Jacobian products
# $J^T v$. A layer's `backward` is exactly that: given $v = \partial L / \partial y$, return $\partial L / \partial x$ and
# the gradients of its parameters, without ever building $J$.

# %% slideshow={"slide_type": "skip"}
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Rectangle

import autograd_from_scratch as afs
from autograd_from_scratch.nn import functional as F
from autograd_from_scratch.ops import pool
from autograd_from_scratch.ops.conv import Convolution, col2im, im2col, window
from autograd_from_scratch.ops.elementwise import Relu
from autograd_from_scratch.ops.matmul import Addmm
from autograd_from_scratch.ops.norm import BatchNorm
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.set_num_threads(1)  # tensors of a few hundred numbers: threads would only add overhead
torch.manual_seed(0)
afs.manual_seed(0)
rng = np.random.default_rng(0)
TF = torch.nn.functional


def rounded(t, digits=4):
    """A tensor of either engine as nested lists of rounded floats (deterministic to print)."""
    return (np.round(afs.compare.to_numpy(t), digits) + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0


print("torch", torch.__version__.split("+")[0], "| float64 throughout: the point is exact agreement")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Every section has the same four beats: the math (forward and backward, short), the code from the package
# (`inspect.getsource`, never retyped), the same computation in both engines with the same weights and the same
# random upstream gradient $G$, and `gradcheck` in float64. The whole notebook runs in a few seconds.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. `Linear`: one matrix product
#
# A batch $X$ of shape $(N, \text{in})$, weights $W$ of shape $(\text{out}, \text{in})$, bias $b$:
# $$Y = X W^T + b .$$
# With $G = \partial L / \partial Y$ (shape $(N, \text{out})$), the rules for a matrix product from notebook 05 give
# $$\frac{\partial L}{\partial X} = G\,W, \qquad \frac{\partial L}{\partial W} = G^T X, \qquad
# \frac{\partial L}{\partial b} = \sum_{n} G_{n,:}$$
# (the bias is broadcast over the batch, so its gradient is summed over the batch).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Write the three rules on the board and keep them there: dL/dX = G W, dL/dW = G^T
# X, dL/db = sum over the batch of G. Ask the class to check the shapes of each product.

# %% [markdown] slideshow={"slide_type": "subslide"}
# torch records a linear layer on a matrix as one fused `addmm(b, X, Wᵀ)`; so do we. The layer is a call to
# `F.linear`, and the op is `Addmm`:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(F.linear))
print(inspect.getsource(Addmm))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch records a linear layer as one fused addmm; so do we, with torch's node
# name. The key lines show the whole idea; the full source is below for reference.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The pairing: torch's layer, ours with **torch's weights** loaded (`load_state_dict` accepts torch tensors),
# the same input and the same random upstream gradient $G$.

# %% slideshow={"slide_type": "fragment"}
lin_t = torch.nn.Linear(4, 3, dtype=torch.float64)
x_t = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
y_t = lin_t(x_t)
G_lin = torch.randn(5, 3, dtype=torch.float64)  # the upstream gradient dL/dY
y_t.backward(G_lin)
print(lin_t, "| y", tuple(y_t.shape), "|", y_t.grad_fn.name())

# %% slideshow={"slide_type": "fragment"}
lin = afs.nn.Linear(4, 3, dtype=afs.float64)
print(lin.load_state_dict(lin_t.state_dict()))
x = afs.tensor(x_t.detach(), requires_grad=True)
y = lin(x)
y.backward(afs.tensor(G_lin))
print(lin, "| y", tuple(y.shape), "|", y.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The pairing with torch's weights loaded into ours: load_state_dict accepts torch
# tensors, so both layers start identical.

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y", y, y_t, tol=1e-12)
afs.compare.report_grads([("x.grad", x.grad, x_t.grad), ("weight.grad", lin.weight.grad, lin_t.weight.grad),
                          ("bias.grad", lin.bias.grad, lin_t.bias.grad)], tol=1e-12)
G, W, X = G_lin.numpy(), lin.weight.detach().numpy(), x.detach().numpy()
print("x.grad == G W:", np.allclose(x.grad.numpy(), G @ W), "| W.grad == Gᵀ X:", np.allclose(lin.weight.grad.numpy(), G.T @ X),
      "| b.grad == Σ_n G:", np.allclose(lin.bias.grad.numpy(), G.sum(0)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Output and all three gradients agree to 1e-12, and they equal the formulas of the
# first slide.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The graphs: `AddmmBackward0` has three edges, in `addmm`'s argument order: the bias, the input, and
# `TBackward0` (the transpose) of the weight.

# %% slideshow={"slide_type": "fragment"}
print("same graph:", afs.viz.graph_edges(y) == afs.viz.graph_edges(y_t))
afs.viz.side_by_side(y, y_t, params=({"x": x, "weight": lin.weight, "bias": lin.bias, "y": y},
                                     {"x": x_t, "weight": lin_t.weight, "bias": lin_t.bias, "y": y_t}))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Three edges in addmm's argument order: bias, input, and TBackward0 (the transpose
# of the weight). Ask where W^T comes from (y = X W^T + b).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `gradcheck`, in both engines
# `gradcheck` compares the backward pass with central finite differences $\frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}$,
# one input element at a time: float64 and small shapes. The helper below runs **our** `afs.autograd.gradcheck`
# and `torch.autograd.gradcheck` on the same random inputs; every layer below goes through it.

# %% slideshow={"slide_type": "fragment"}
def gradcheck_both(afs_fn, torch_fn, *shapes, seed=0):
    """Run afs.autograd.gradcheck(afs_fn, ...) and torch.autograd.gradcheck(torch_fn, ...) on the same float64 inputs."""
    arrays = [np.random.default_rng(seed).standard_normal(shape) for shape in shapes]
    ours = afs.autograd.gradcheck(afs_fn, [afs.tensor(a, requires_grad=True) for a in arrays])
    theirs = torch.autograd.gradcheck(torch_fn, [torch.tensor(a, requires_grad=True) for a in arrays])
    print(f"gradcheck  afs: {ours}  | torch: {theirs}")


gradcheck_both(F.linear, TF.linear, (2, 4), (3, 4), (3,))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: gradcheck in float64 on small shapes, in both engines: the independent check of
# the three rules.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. `Conv2d`: im2col plus one matrix product
#
# Output channel $o$ at position $(p, q)$ is a dot product of the kernel $W_o$ with the patch of the (zero-padded)
# input under it, at stride $s$:
# $$y_{n,o,p,q} = b_o + \sum_{c,i,j} W_{o,c,i,j}\; x_{n,c,\;ps+i,\;qs+j}$$
# Written as loops this is slow in Python. **im2col** copies every patch into one column of a matrix
# $\text{cols}$ of shape $(C\,k_h k_w,\; N H_o W_o)$, and the whole convolution becomes **one** matrix product:
# $$Y = W_2\,\text{cols} + b, \qquad W_2 = W \text{ reshaped to } (O,\; C\,k_h k_w).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The idea of the section in one sentence: a convolution is a matrix product once
# the patches are laid out as columns. Ask how many patches a 5x5 image has for a 3x3 kernel at
# stride 1 (9).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The unfolded patches
# A $5 \times 5$ image (pixel values $0 \dots 24$) and a $3 \times 3$ kernel, stride 1, no padding: $3 \times 3 = 9$
# output positions, so `cols` has 9 columns of 9 pixels. Column $(p, q)$ is the patch whose top-left corner is at
# $(p, q)$, read row by row. We call the package's own `im2col`:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Make the picture concrete: column k of cols is patch k read row by row. Point at
# the two coloured patches.

# %% slideshow={"slide_type": "fragment"}
img = np.arange(25.0).reshape(1, 1, 5, 5)  # (N, C, H, W)
cols = im2col(img, kernel=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1))
print("im2col gives", cols.shape, "= (C, kh, kw, N, Ho, Wo); as a matrix:")
cols = cols.reshape(9, 9)
print(cols.astype(int))
print("column 5 is the patch at (1, 2):", cols[:, 5].tolist() == img[0, 0, 1:4, 2:5].ravel().tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: cols has 9 columns of 9 pixels; column 5 is the patch at (1, 2). Let students
# find it in the matrix before reading the printed check.

# %% slideshow={"slide_type": "skip"}
def annotated(ax, matrix, cmap="Greys", vmin=-10, vmax=60, fontsize=11):
    """Draw a matrix as a grid of cells, each labelled with its (integer) value."""
    ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax)
    for (r, c), v in np.ndenumerate(matrix):
        ax.text(c, r, int(v), ha="center", va="center", fontsize=fontsize)


def draw_im2col(img, cols, patches):
    """The 5x5 image with some patches framed, next to cols with the same patches' columns framed."""
    fig, (ax_img, ax_cols) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [5, 9]})
    annotated(ax_img, img, fontsize=12)
    annotated(ax_cols, cols, fontsize=10)
    for (p, q), colour in patches.items():
        ax_img.add_patch(Rectangle((q - 0.45, p - 0.45), 2.9, 2.9, fill=False, lw=3, ec=colour))
        ax_cols.add_patch(Rectangle((3 * p + q - 0.45, -0.45), 0.9, 8.9, fill=False, lw=3, ec=colour))
    ax_img.set_title("input 5×5: the patches of outputs " + " and ".join(f"({p},{q})" for p, q in patches))
    ax_img.set_xticks(range(5)), ax_img.set_yticks(range(5))
    ax_cols.set_xticks(range(9), [f"({p},{q})" for p in range(3) for q in range(3)])
    ax_cols.set_yticks(range(9), [f"({i},{j})" for i in range(3) for j in range(3)])
    ax_cols.set_xlabel("column = output position (p, q)")
    ax_cols.set_ylabel("row = kernel offset (i, j)")
    ax_cols.set_title("cols = im2col(input): one patch per column")
    fig.tight_layout()
    plt.show()


print("plotting helpers defined: annotated, draw_im2col")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The picture of the same two patches, framed in the image and in cols.

# %% slideshow={"slide_type": "subslide"}
patches = {(0, 0): "tab:blue", (1, 2): "tab:orange"}  # output position -> colour of its frame
draw_im2col(img[0, 0], cols, patches)
print("framed columns:", {f"{pq}": cols[:, 3 * pq[0] + pq[1]].astype(int).tolist() for pq in patches})

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read the figure column by column: the blue column is the blue square read row by row (0 1 2 5 6 7 10 11 12).
# Each row of `cols` is one kernel offset $(i, j)$: row $(0,0)$ holds the top-left pixel of every patch, and is
# itself a strided slice of the image (rows 0..2, columns 0..2). That is how `im2col` fills it: one strided copy per
# kernel offset, 9 copies here, instead of one per patch. Pixel 12 (the centre) appears in all 9 columns.

# %% [markdown] slideshow={"slide_type": "subslide"}
# With `cols` in hand, the convolution is the kernel (as one row, $W_2$) times `cols`:

# %% slideshow={"slide_type": "fragment"}
kernel = rng.integers(-2, 3, size=(1, 1, 3, 3)).astype(float)  # small integers: exact results
by_matmul = (kernel.reshape(1, 9) @ cols).reshape(3, 3)
by_torch = TF.conv2d(torch.tensor(img), torch.tensor(kernel))[0, 0].numpy()
print("kernel:", kernel[0, 0].astype(int).tolist())
print("W₂ @ cols :", by_matmul.astype(int).tolist())
print("torch conv:", by_torch.astype(int).tolist(), "| equal:", np.array_equal(by_matmul, by_torch))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The kernel as one row times cols gives every output at once; torch's conv2d gives
# the same numbers.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `im2col` in the package
# For each kernel offset $(i, j)$, the input pixels that all output positions meet form a strided slice
# (`window`), so building `cols` takes $k_h k_w$ numpy copies, whatever the image size:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: In the package, im2col loops over the kernel offsets (9 for 3x3), not over the
# output positions: each offset is one strided slice for all positions at once.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(window))
print(inspect.getsource(im2col))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: window and im2col: short enough to read whole. Point at the strided slice; that
# is where the speed comes from.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Backward: the transposed products, then col2im
# Reshape $G = \partial L/\partial Y$ like $Y$, to $(O,\; N H_o W_o)$. From $Y = W_2\,\text{cols} + b$:
# $$\frac{\partial L}{\partial W_2} = G\,\text{cols}^T, \qquad \frac{\partial L}{\partial b} = \sum_{\text{columns}} G, \qquad
# \frac{\partial L}{\partial\,\text{cols}} = W_2^T G$$
# and **col2im** sends $\partial L/\partial\,\text{cols}$ back to the image: every entry is *added* onto the pixel it was
# copied from. A pixel that sits in several patches was used several times, so (notebook 04) it receives the
# sum of their gradients.

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(Convolution))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Convolution's forward is im2col plus one matmul; its backward is the two
# transposed products plus col2im. The whole class is on the sub-slides below.

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(col2im))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: col2im is im2col backwards: it adds each column back into the pixels it came
# from, with slices, not np.add.at (which is slow).

# %% [markdown] slideshow={"slide_type": "subslide"}
# col2im of a `cols` full of ones counts how many patches each pixel is in. That is also the gradient of
# $\sum y$ for an all-ones kernel, which torch confirms:

# %% slideshow={"slide_type": "fragment"}
counts = col2im(np.ones((1, 3, 3, 1, 3, 3)), size=(5, 5), stride=(1, 1), padding=(0, 0), dilation=(1, 1))[0, 0]
img_t = torch.tensor(img, requires_grad=True)
TF.conv2d(img_t, torch.ones(1, 1, 3, 3, dtype=torch.float64)).sum().backward()
print("col2im(ones):", counts.astype(int).tolist())
print("torch: d Σ conv(x, ones) / dx == col2im(ones):", np.array_equal(img_t.grad[0, 0].numpy(), counts))

fig, ax = plt.subplots(figsize=(3.6, 3.4))
annotated(ax, counts, cmap="Oranges", vmin=0, vmax=10, fontsize=12)
ax.set_title("patches per pixel"), ax.set_xticks([]), ax.set_yticks([])
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: col2im of ones counts how many patches each pixel is in: corner pixels 1, the
# centre 9. That is also the gradient of sum(y) for a kernel of ones.

# %% [markdown] slideshow={"slide_type": "subslide"}
# col2im is the **adjoint** (the transpose) of im2col: for any image $x$ and any matrix $C$ of `cols`' shape,
# $\langle \text{im2col}(x), C\rangle = \langle x, \text{col2im}(C)\rangle$. That is exactly what makes it the right backward
# for a copy. Checked here with stride 2, padding 1 and dilation 2:

# %% slideshow={"slide_type": "fragment"}
geometry = dict(stride=(2, 2), padding=(1, 1), dilation=(2, 2))
x_any = rng.standard_normal((2, 3, 7, 6))
cols_any = im2col(x_any, (3, 2), **geometry)
C_any = rng.standard_normal(cols_any.shape)
lhs, rhs = np.sum(cols_any * C_any), np.sum(x_any * col2im(C_any, (7, 6), **geometry))
print("cols shape", cols_any.shape, "| <im2col(x), C> == <x, col2im(C)>:", np.isclose(lhs, rhs, rtol=1e-12))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The adjoint check <im2col(x), C> = <x, col2im(C)> is the precise statement that
# col2im is the transpose of im2col; it holds to rounding.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Our `Conv2d` against torch's
# Three input channels, four output channels, a $3 \times 3$ kernel at stride 2 with padding 1 (ResNet's setting),
# torch's weights copied into ours:

# %% slideshow={"slide_type": "fragment"}
conv_t = torch.nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1, dtype=torch.float64)
xc_t = torch.randn(2, 3, 7, 7, dtype=torch.float64, requires_grad=True)
yc_t = conv_t(xc_t)
G_conv = torch.randn(yc_t.shape, dtype=torch.float64)
yc_t.backward(G_conv)
print(conv_t, "| y", tuple(yc_t.shape), "|", yc_t.grad_fn.name())

# %% slideshow={"slide_type": "fragment"}
conv = afs.nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1, dtype=afs.float64)
conv.load_state_dict(conv_t.state_dict())
xc = afs.tensor(xc_t.detach(), requires_grad=True)
yc = conv(xc)
yc.backward(afs.tensor(G_conv))
print(conv, "| y", tuple(yc.shape), "|", yc.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Three input channels, four output channels, stride 2, padding 1: the shapes of a
# real layer. Predict the output shape before running.

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y", yc, yc_t, tol=1e-12)
afs.compare.report_grads([("x.grad", xc.grad, xc_t.grad), ("weight.grad", conv.weight.grad, conv_t.weight.grad),
                          ("bias.grad", conv.bias.grad, conv_t.bias.grad)], tol=1e-12)
gradcheck_both(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
               lambda x, w, b: TF.conv2d(x, w, b, stride=2, padding=1), (1, 2, 4, 4), (3, 2, 3, 3), (3,))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Output and gradients of input, weight and bias agree with torch to 1e-12.

# %% [markdown] slideshow={"slide_type": "subslide"}
# One node, `ConvolutionBackward0`, with three edges: input, weight, bias. Here the input requires grad too,
# so its edge leads to an `AccumulateGrad`:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One node, ConvolutionBackward0, with three edges, in both engines.

# %% slideshow={"slide_type": "fragment"}
print("same graph:", afs.viz.graph_edges(yc) == afs.viz.graph_edges(yc_t))
print("afs  ", [(n.name() if n else None, i) for n, i in yc.grad_fn.next_functions])
print("torch", [(n.name().rsplit("::")[-1] if n else None, i) for n, i in yc_t.grad_fn.next_functions])
afs.viz.side_by_side(yc, yc_t, params=({"x": xc, "weight": conv.weight, "bias": conv.bias},
                                       {"x": xc_t, "weight": conv_t.weight, "bias": conv_t.bias}))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch does not necessarily use im2col on the CPU (it picks among several kernels: oneDNN, a "slow" im2col-based
# `slow_conv2d`, cuDNN on GPUs with implicit GEMM or Winograd/FFT algorithms). The *math* is the same, so values agree
# to rounding and the node is the same `ConvolutionBackward0`. `groups` (depthwise convolutions) is one matrix
# product per group in our `Convolution`: it is in the forward shown above.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. `BatchNorm2d`: training versus evaluation
#
# Each channel $c$ is normalised with the mean and variance of its $M = N H W$ values in the batch, then scaled and
# shifted by the learned $\gamma_c$ (`weight`) and $\beta_c$ (`bias`):
# $$\mu = \tfrac{1}{M}\textstyle\sum x, \qquad \sigma^2 = \tfrac{1}{M}\sum (x-\mu)^2, \qquad
# \hat{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y = \gamma\,\hat{x} + \beta$$
#
# - **training** (`bn.train()`): $\mu, \sigma^2$ are the batch's own statistics ($\sigma^2$ biased, divided by $M$), and the
#   running estimates $\bar\mu$ (`running_mean`) and $\bar\sigma^2$ (`running_var`) move towards them with `momentum`
#   $m$ (default 0.1), the variance **unbiased**:
#   $$\bar\mu \leftarrow (1-m)\,\bar\mu + m\,\mu, \qquad \bar\sigma^2 \leftarrow (1-m)\,\bar\sigma^2 + m\,\sigma^2\,\tfrac{M}{M-1}$$
# - **evaluation** (`bn.eval()`): $\mu, \sigma^2$ are the running estimates $\bar\mu, \bar\sigma^2$, constants: $y$ is an affine map of $x$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Training mode normalises each channel with the batch's own mean and variance. Ask
# why per channel and not per pixel.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Backward
# $\gamma$ and $\beta$ are a per-channel scale and shift: $\frac{\partial L}{\partial \beta} = \sum g$ and
# $\frac{\partial L}{\partial \gamma} = \sum g\,\hat{x}$ (sums over $N, H, W$), with $g = \partial L/\partial y$.
# In training, $x$ also reaches $y$ through $\mu$ and $\sigma^2$, which gives the three-term formula
# $$\frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2+\varepsilon}}\Big(g - \operatorname{mean}(g) - \hat{x}\,\operatorname{mean}(g\,\hat{x})\Big)$$
# In evaluation it is just $\frac{\gamma}{\sqrt{\sigma^2+\varepsilon}}\, g$. One `Function`, `NativeBatchNormBackward0`:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: dL/dbeta and dL/dgamma are per-channel sums; dL/dx is the subtle part, because
# the mean and variance depend on every x.

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(BatchNorm))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Key lines of BatchNorm's backward: the three-term formula for dL/dx. The whole
# function is on the sub-slides below; skip them unless asked.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The module adds the parameters and buffers (`running_mean`, `running_var`, `num_batches_tracked`) and picks the
# statistics from `self.training`:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.nn.BatchNorm2d.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The module adds parameters and buffers and picks the statistics by self.training;
# autograd never sees the buffers.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Training mode, in both engines
# A fresh layer has $\gamma = 1$, $\beta = 0$; we give it random ones so that they matter, and keep the initial state
# to load into ours:

# %% slideshow={"slide_type": "fragment"}
bn_t = torch.nn.BatchNorm2d(3, dtype=torch.float64)
with torch.no_grad():
    bn_t.weight.copy_(torch.rand(3, dtype=torch.float64) + 0.5)
    bn_t.bias.copy_(torch.randn(3, dtype=torch.float64))
bn_state = {k: v.clone() for k, v in bn_t.state_dict().items()}  # before any forward
xb_np = 2 * rng.standard_normal((4, 3, 5, 5)) + 1  # mean ≈ 1, variance ≈ 4
xb_t = torch.tensor(xb_np, requires_grad=True)
yb_t = bn_t(xb_t)
G_bn = torch.randn(yb_t.shape, dtype=torch.float64)
yb_t.backward(G_bn)
print("training:", bn_t.training, "| y", tuple(yb_t.shape), "|", yb_t.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: gamma and beta are set to random values so the test cannot pass by accident with
# 1 and 0.

# %% slideshow={"slide_type": "fragment"}
bn = afs.nn.BatchNorm2d(3, dtype=afs.float64)
bn.load_state_dict(bn_state)
xb = afs.tensor(xb_np, requires_grad=True)
yb = bn(xb)
yb.backward(afs.tensor(G_bn))
print("training:", bn.training, "| y", tuple(yb.shape), "|", yb.grad_fn.name())

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y", yb, yb_t, tol=1e-12)
afs.compare.report_grads([("x.grad", xb.grad, xb_t.grad), ("weight.grad", bn.weight.grad, bn_t.weight.grad),
                          ("bias.grad", bn.bias.grad, bn_t.bias.grad)], tol=1e-12)
for name in ("running_mean", "running_var", "num_batches_tracked"):
    afs.compare.report(name, getattr(bn, name), getattr(bn_t, name), tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Output and gradients agree in training mode; the running statistics moved the
# same way in both engines.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The running variance moved towards the **unbiased** variance ($M = 4 \cdot 5 \cdot 5 = 100$ values per channel), while
# the normalisation itself used the biased one:

# %% slideshow={"slide_type": "fragment"}
per_channel = xb_np.transpose(1, 0, 2, 3).reshape(3, -1)  # (C, M)
var_biased, var_unbiased = per_channel.var(axis=1), per_channel.var(axis=1, ddof=1)
print("running_var == 0.9·1 + 0.1·unbiased:", np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * var_unbiased))
print("running_var == 0.9·1 + 0.1·biased:  ", np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * var_biased))
x_hat = (per_channel - per_channel.mean(1, keepdims=True)) / np.sqrt(var_biased[:, None] + bn.eps)
y_by_hand = bn.weight.detach().numpy()[:, None] * x_hat + bn.bias.detach().numpy()[:, None]
print("y == γ (x - μ)/√(σ²_biased + ε) + β:", np.allclose(yb.detach().numpy().transpose(1, 0, 2, 3).reshape(3, -1), y_by_hand))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The running variance uses the unbiased estimate (divide by M - 1, M = 100 values
# per channel) while the normalisation used the biased one. A classic source of off-by-a-bit errors.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Running statistics over several batches
# Five more training batches from the same distribution (mean 1, variance 4): the running estimates approach it
# geometrically, by a factor $0.9$ per step, identically in both engines.

# %% slideshow={"slide_type": "fragment"}
print(f"{'step':>4} {'running_mean[0]':>16} {'torch':>8} {'running_var[0]':>15} {'torch':>8}")
with torch.no_grad():
    for step in range(2, 7):
        batch = 2 * rng.standard_normal((4, 3, 5, 5)) + 1
        bn(afs.tensor(batch)), bn_t(torch.tensor(batch))
        print(f"{step:>4} {bn.running_mean[0].item():>16.4f} {bn_t.running_mean[0].item():>8.4f} "
              f"{bn.running_var[0].item():>15.4f} {bn_t.running_var[0].item():>8.4f}")
print("num_batches_tracked:", int(bn.num_batches_tracked.item()), int(bn_t.num_batches_tracked.item()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Five more batches: the running mean and variance approach the true 1 and 4 in
# both engines.

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "subslide"}
# ### Evaluation mode
# After `eval()`, the layer uses the running estimates: each image is normalised on its own, independently of the rest
# of the batch (in training, one image's output depends on the whole batch):

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Part 2: recap training mode in one sentence, then eval mode uses the running
# estimates, so each image is normalised on its own.

# %% slideshow={"slide_type": "fragment"}
xe_np = rng.standard_normal((4, 3, 5, 5))
with afs.no_grad():  # bn is still in training mode
    print("training: bn(x[:2]) == bn(x)[:2]:", afs.compare.agree(bn(afs.tensor(xe_np[:2])), bn(afs.tensor(xe_np))[:2], 1e-12))
    bn.load_state_dict(bn_t.state_dict())  # undo the two extra updates of the running statistics
bn.eval(), bn_t.eval()
with afs.no_grad():
    print("eval:     bn(x[:2]) == bn(x)[:2]:", afs.compare.agree(bn(afs.tensor(xe_np[:2])), bn(afs.tensor(xe_np))[:2], 1e-12))
    rm, rv = bn.running_mean.numpy()[:, None, None], bn.running_var.numpy()[:, None, None]
    by_hand = bn.weight.detach().numpy()[:, None, None] * (xe_np - rm) / np.sqrt(rv + bn.eps) + bn.bias.detach().numpy()[:, None, None]
    print("eval:     y == γ (x - running_mean)/√(running_var + ε) + β:", afs.compare.agree(bn(afs.tensor(xe_np)), by_hand, 1e-12))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Under no_grad and still in training mode, the output depends on the batch; after
# eval() it does not. Ask the room why that matters at inference (a batch of one).

# %% [markdown] slideshow={"slide_type": "subslide"}
# Evaluation mode in both engines, forward and backward; the running statistics must not move:

# %% slideshow={"slide_type": "fragment"}
xe_t, xe = torch.tensor(xe_np, requires_grad=True), afs.tensor(xe_np, requires_grad=True)
ye_t, ye = bn_t(xe_t), bn(xe)
G_eval = rng.standard_normal(ye.shape)
ye_t.backward(torch.tensor(G_eval)), ye.backward(afs.tensor(G_eval))
afs.compare.report("y (eval)", ye, ye_t, tol=1e-12)
afs.compare.report("x.grad (eval)", xe.grad, xe_t.grad, tol=1e-12)
scale = bn.weight.detach().numpy() / np.sqrt(bn.running_var.numpy() + bn.eps)
print("x.grad == γ/√(running_var + ε) · g:", np.allclose(xe.grad.numpy(), scale[:, None, None] * G_eval))
print("running stats unchanged:", afs.compare.agree(bn.running_var, bn_t.running_var, 1e-12),
      "| num_batches_tracked:", int(bn.num_batches_tracked.item()), int(bn_t.num_batches_tracked.item()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: In eval mode the backward is a plain per-channel scale; the running statistics
# must not move, and in both engines they don't.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The graph is one `NativeBatchNormBackward0` node with three edges (input, $\gamma$, $\beta$); the running statistics
# are not differentiable inputs, so they have no edge. gradcheck in both modes:

# %% slideshow={"slide_type": "fragment"}
print("same graph:", afs.viz.graph_edges(yb) == afs.viz.graph_edges(yb_t))
run_mean, run_var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
gradcheck_both(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
               lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True), (3, 2, 2, 2), (2,), (2,))
gradcheck_both(lambda x, w, b: F.batch_norm(x, afs.tensor(run_mean), afs.tensor(run_var), w, b, training=False),
               lambda x, w, b: TF.batch_norm(x, torch.tensor(run_mean), torch.tensor(run_var), w, b, training=False),
               (3, 2, 2, 2), (2,), (2,))
afs.viz.side_by_side(yb, yb_t, params=({"x": xb, "weight": bn.weight, "bias": bn.bias},
                                       {"x": xb_t, "weight": bn_t.weight, "bias": bn_t.bias}))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One NativeBatchNormBackward0 node with three edges; the running statistics are
# not in the graph.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Common student confusion: "eval() turns off gradients". It does not: `eval()` only switches BatchNorm (and Dropout)
# to their inference behaviour; gradients still flow, as the cell above shows. Turning off recording is `no_grad`
# (notebook 07). Also: torch's running variance is unbiased ($M/(M-1)$), the normalisation is biased; forgetting this
# is the classic reimplementation bug, visible here as a mismatch in `running_var` only.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. `ReLU`
# $$y = \max(x, 0), \qquad \frac{\partial L}{\partial x} = g \cdot \mathbf{1}[x > 0]$$
# At $x = 0$ the function has a kink; both engines use the derivative $0$ there. Like torch's `ReluBackward0`, our
# node saves the **output** $y$ (not $x$): $y > 0$ exactly where $x > 0$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: ReLU's derivative is the step function; at exactly 0 both engines use 0. Ask what
# torch does at x = 0 before showing the code.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(Relu))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Relu saves its output z, not the input: z > 0 is the mask of positive inputs
# that backward multiplies the gradient by.

# %% slideshow={"slide_type": "subslide"}
xr_np = np.linspace(-2, 2, 9)  # contains an exact 0
xr_t, xr = torch.tensor(xr_np, requires_grad=True), afs.tensor(xr_np, requires_grad=True)
yr_t, yr = torch.nn.ReLU()(xr_t), afs.nn.ReLU()(xr)
saves_output = torch.equal(yr_t.grad_fn._saved_result, yr_t)  # read before backward frees it
G_relu = rng.standard_normal(9)
yr_t.backward(torch.tensor(G_relu)), yr.backward(afs.tensor(G_relu))
print("x       ", rounded(xr))
print("afs grad", rounded(xr.grad), "\ntorch   ", rounded(xr_t.grad))
afs.compare.report("y", yr, yr_t, tol=1e-12)
afs.compare.report("x.grad", xr.grad, xr_t.grad, tol=1e-12)
print("torch saves the output:", saves_output, "| nodes:", yr.grad_fn.name(), yr_t.grad_fn.name())
gradcheck_both(F.relu, TF.relu, (3, 4))  # random inputs: none within ε of the kink

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The test input contains an exact 0 on purpose: gradient 0 there in both engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. `MaxPool2d`
# Each output is the largest value of its window:
# $$y_{n,c,p,q} = \max_{i,j}\; x_{n,c,\;ps+i,\;qs+j}, \qquad
# \frac{\partial y_{n,c,p,q}}{\partial x} = 1 \text{ at the window's argmax, } 0 \text{ elsewhere}$$
# so backward **routes** each output's gradient to the pixel that won its window. With overlapping windows a pixel can
# win several, and receives the sum. The forward, like im2col, visits one kernel offset at a time:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Max pooling sends each window's gradient to its maximum only. Ask: what happens
# with a tie? (The first maximum wins, as in torch.)

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(pool.MaxPool2d))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The key lines: find the winners in one pass per kernel offset, then scatter the
# gradient to them. The whole class follows below.

# %% [markdown] slideshow={"slide_type": "subslide"}
# A small example to read by eye: $2 \times 2$ windows, stride 2, an upstream gradient of $1, 10, 100, 1000$:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Upstream gradients 1, 10, 100, 1000 make it readable: each lands on one input
# pixel, the maximum of its window.

# %% slideshow={"slide_type": "fragment"}
xm_np = rng.permutation(16).astype(float).reshape(1, 1, 4, 4)  # distinct values: no ties
Gm_np = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
xm_t, xm = torch.tensor(xm_np, requires_grad=True), afs.tensor(xm_np, requires_grad=True)
torch.nn.MaxPool2d(2)(xm_t).backward(torch.tensor(Gm_np))
afs.nn.MaxPool2d(2)(xm).backward(afs.tensor(Gm_np))
print("x:\n", xm_np[0, 0].astype(int))
print("y:", TF.max_pool2d(torch.tensor(xm_np), 2)[0, 0].numpy().astype(int).tolist())
print("afs   x.grad:\n", xm.grad.numpy()[0, 0].astype(int))
print("torch == afs:", torch.equal(xm_t.grad, torch.tensor(xm.grad.numpy())))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ResNet's stem uses $3 \times 3$ windows at stride 2 with padding 1: the windows overlap. Values, the indices of the
# winners (`return_indices=True`) and the gradients agree:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: With overlapping windows (3x3, stride 2, ResNet's stem) a pixel can win several
# windows; its gradient is then the sum. Both engines agree.

# %% slideshow={"slide_type": "fragment"}
xp_np = rng.standard_normal((2, 3, 7, 7))
xp_t, xp = torch.tensor(xp_np, requires_grad=True), afs.tensor(xp_np, requires_grad=True)
(yp_t, idx_t), (yp, idx) = TF.max_pool2d(xp_t, 3, 2, 1, return_indices=True), F.max_pool2d(xp, 3, 2, 1, return_indices=True)
G_pool = rng.standard_normal(yp.shape)
yp_t.backward(torch.tensor(G_pool)), yp.backward(afs.tensor(G_pool))
afs.compare.report("y", yp, yp_t, tol=1e-12)
print("indices equal:", np.array_equal(idx.numpy(), idx_t.numpy()), "| nodes:", yp.grad_fn.name(), yp_t.grad_fn.name())
afs.compare.report("x.grad", xp.grad, xp_t.grad, tol=1e-12)
wins = np.stack([np.bincount(i.ravel(), minlength=49) for i in idx.numpy().reshape(6, -1)])
print("pixels that won 2 or more windows (and got the sum of their gradients):", int((wins >= 2).sum()))
gradcheck_both(lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: TF.max_pool2d(x, 3, 2, 1), (1, 2, 5, 5))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: gradcheck of a max is fine as long as no two values in a window are within $\varepsilon$ of each other (random
# float64 inputs). With exactly tied maxima the function is not differentiable and both engines just pick one winner
# (torch: the first in the window); we keep ties out of this notebook.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. `AdaptiveAvgPool2d`
# You give the **output** size; the input is split into bins, bin $k$ covering rows
# $\lfloor kH/H_o \rfloor$ to $\lceil (k+1)H/H_o \rceil - 1$ (bins overlap when $H_o$ does not divide $H$), and each bin is averaged:
# $$y_{n,c,k,l} = \frac{1}{|R_k|\,|C_l|} \sum_{i \in R_k,\; j \in C_l} x_{n,c,i,j}, \qquad
# \frac{\partial L}{\partial x_{n,c,i,j}} = \sum_{k,l:\; i \in R_k,\, j \in C_l} \frac{g_{n,c,k,l}}{|R_k|\,|C_l|}$$
# For $5 \to 3$ the row bins are:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: You give the output size; the bins may overlap when the sizes don't divide. Show
# the bins for 5 -> 3 on the board.

# %% slideshow={"slide_type": "fragment"}
print("bins for 5 -> 3 (start, stop):", pool._bins(5, 3))
print(inspect.getsource(pool.AdaptiveAvgPool2d))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The bins and the class; the whole source follows below for reference.

# %% slideshow={"slide_type": "subslide"}
xa_np = rng.standard_normal((2, 3, 5, 5))
xa_t, xa = torch.tensor(xa_np, requires_grad=True), afs.tensor(xa_np, requires_grad=True)
ya_t, ya = torch.nn.AdaptiveAvgPool2d(3)(xa_t), afs.nn.AdaptiveAvgPool2d(3)(xa)
G_avg = rng.standard_normal(ya.shape)
ya_t.backward(torch.tensor(G_avg)), ya.backward(afs.tensor(G_avg))
afs.compare.report("y", ya, ya_t, tol=1e-12)
afs.compare.report("x.grad", xa.grad, xa_t.grad, tol=1e-12)
print("nodes:", ya.grad_fn.name(), ya_t.grad_fn.name())
gradcheck_both(lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: TF.adaptive_avg_pool2d(x, 3), (1, 2, 5, 5))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Values and gradients agree for the uneven 5 -> 3 case, the hard one.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The common case, output size 1 (ResNet's global average pool), is just a mean over height and width; torch records
# it as one, `MeanBackward1`, and so do we, so that the graphs match:

# %% slideshow={"slide_type": "fragment"}
g1_t, g1 = torch.nn.AdaptiveAvgPool2d(1)(xa_t), afs.nn.AdaptiveAvgPool2d(1)(xa)
print("output 1x1:", tuple(g1.shape), "| nodes:", g1.grad_fn.name(), g1_t.grad_fn.name())
afs.compare.report("y (1x1)", g1, g1_t, tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Output size 1, ResNet's global average pool, is just a mean; torch records it as
# MeanBackward1 and so do we.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. A small network: conv → bn → relu → pool → flatten → linear
# The same `Sequential` in both engines, torch's weights loaded into ours in one `load_state_dict` (the names, `0.weight`,
# `1.running_mean`, ..., are torch's), a forward pass in training mode and one backward pass:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Every layer of the lecture in one small network; the same Sequential in both
# engines.

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(1)
net_t = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 3)).double()
net_state = {k: v.clone() for k, v in net_t.state_dict().items()}
xn_np = rng.standard_normal((2, 1, 6, 6))
out_t = net_t(torch.tensor(xn_np))
G_net = rng.standard_normal((2, 3))
out_t.backward(torch.tensor(G_net))
print(net_t)

# %% slideshow={"slide_type": "fragment"}
net = afs.nn.Sequential(afs.nn.Conv2d(1, 4, 3, padding=1), afs.nn.BatchNorm2d(4), afs.nn.ReLU(),
                        afs.nn.MaxPool2d(2), afs.nn.Flatten(), afs.nn.Linear(4 * 3 * 3, 3)).double()
print(net.load_state_dict(net_state))
out = net(afs.tensor(xn_np))
out.backward(afs.tensor(G_net))
print("out", tuple(out.shape), "| same repr as torch:", repr(net) == repr(net_t))

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("out", out, out_t, tol=1e-12)
grads_ok = afs.compare.report_grads([(f"{name}.grad", p.grad, p_t.grad)
                                     for (name, p), p_t in zip(net.named_parameters(), net_t.parameters())], tol=1e-12)
buffers_ok = afs.compare.report_grads([(name, b, b_t) for (name, b), b_t in zip(net.named_buffers(), net_t.buffers())], tol=1e-12)
print("all gradients and buffers agree:", grads_ok and buffers_ok)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Output and every parameter's gradient agree to 1e-12 through the whole network.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Both graphs, node for node: `ConvolutionBackward0` → `NativeBatchNormBackward0` → `ReluBackward0` →
# `MaxPool2DWithIndicesBackward0` → `ViewBackward0` (the flatten) → `AddmmBackward0`. The input does not require grad,
# so `ConvolutionBackward0`'s first edge is `None`.

# %% slideshow={"slide_type": "fragment"}
names = [e.name for e in afs.viz.graph_edges(out) if e.name != "AccumulateGrad"]
print("same graph:", afs.viz.graph_edges(out) == afs.viz.graph_edges(out_t))
print("operations, breadth first from the output:", ", ".join(names))
afs.viz.side_by_side(out, out_t, params=(dict(net.named_parameters()), dict(net_t.named_parameters())))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both graphs, node for node, in the order of the network. The sub-slides show it
# at a readable size.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Point at the box order: the drawing is of the *backward* graph, but arrows go in the forward direction (inputs at
# the top). `TBackward0` under the linear weight is the transpose of `addmm(b, x, Wᵀ)`. This is the skeleton of a
# ResNet: later in the series a whole ResNet18 runs the same way.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("layers", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/06_layers.py`).
# ### Exercise 1 · Convolution as one matrix product
# Write `conv_by_im2col(x, w)` for numpy arrays, `x` of shape $(N, C, H, W)$ and `w` of shape $(O, C, k, k)$, stride 1,
# no padding: call the package's `im2col`, reshape it to $(C k^2,\; N H_o W_o)$, multiply by $W_2$, and return an array of
# shape $(N, O, H_o, W_o)$. (Careful with the last step: the columns run over $N$ first, then $H_o$, $W_o$.)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes: conv_by_im2col with numpy only. The common slip is the reshape order
# of the weights (out, C * kh * kw).

# %% slideshow={"slide_type": "fragment"}
def conv_by_im2col(x, w):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ...  # your code: im2col(x, (k, k), (1, 1), (0, 0), (1, 1)), one matrix product, reshape
    return None


print("conv_by_im2col defined")

# %% slideshow={"slide_type": "fragment"}
def check_conv():
    with _course.exercise(1) as check:
        x0 = np.random.default_rng(5).standard_normal((2, 3, 6, 5))
        w0 = np.random.default_rng(6).standard_normal((4, 3, 3, 3))
        ours = check.returned(conv_by_im2col(x0, w0), "conv_by_im2col(x, w)")
        check.same(ours, TF.conv2d(torch.tensor(x0), torch.tensor(w0)), "conv_by_im2col(x, w), against "
                   "torch's conv2d", rtol=1e-12)


check_conv()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 · Running variance by hand
# A fresh `BatchNorm2d(1)` (running_var $= 1$, momentum $0.1$) sees the two training batches `batches[0]` and `batches[1]`
# below. Compute its `running_var` afterwards with numpy only (a float).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Running variance by hand: use the unbiased variance of each batch and momentum
# 0.1. The check compares the final running_var with torch's.

# %% slideshow={"slide_type": "fragment"}
batches = [np.random.default_rng(7).standard_normal((2, 1, 3, 3)) * 3, np.random.default_rng(8).standard_normal((2, 1, 3, 3))]
print("batch shapes:", [b.shape for b in batches])

# %% slideshow={"slide_type": "fragment"}
running_var_guess = None  # your code: a float
print("running_var_guess set:", running_var_guess is not None)

# %% slideshow={"slide_type": "fragment"}
def check_running_var():
    with _course.exercise(2) as check:
        check.answered(running_var_guess, "running_var_guess")
        bn_ref = torch.nn.BatchNorm2d(1, dtype=torch.float64)
        for b in batches:
            bn_ref(torch.tensor(b))
        check.same(running_var_guess, bn_ref.running_var.item(), "running_var_guess, against torch's "
                   "BatchNorm2d.running_var", rtol=1e-10)


check_running_var()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 · Where does max pooling send the gradient?
# `MaxPool2d(3, stride=1)` on the $4 \times 4$ input below has four overlapping windows (a $2 \times 2$ output). The upstream
# gradient is $\begin{pmatrix} 1 & 10 \\ 100 & 1000 \end{pmatrix}$. Without running backward, write `x.grad` as a $4 \times 4$ nested list.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Predict on paper: with overlapping windows some pixels receive the sum of several
# gradients. Then run the check.

# %% slideshow={"slide_type": "fragment"}
x_ex3 = np.array([[3.0, 15.0, 2.0, 7.0],
                  [9.0, 1.0, 0.0, 5.0],
                  [13.0, 4.0, 6.0, 8.0],
                  [11.0, 10.0, 12.0, 14.0]])
print("input:", x_ex3.shape)

# %% slideshow={"slide_type": "fragment"}
grad_guess = None  # your code: a 4x4 nested list
print("grad_guess set:", grad_guess is not None)

# %% slideshow={"slide_type": "fragment"}
def check_maxpool():
    with _course.exercise(3) as check:
        check.answered(grad_guess, "grad_guess")
        G3 = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
        for engine in (torch, afs):
            x3 = engine.tensor(x_ex3[None, None], requires_grad=True)
            engine.nn.MaxPool2d(3, stride=1)(x3).backward(engine.tensor(G3))
            check.same(grad_guess, x3.grad[0, 0], f"grad_guess, against {_course.engine_name(engine)}'s x.grad")


check_maxpool()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
# - `Linear` is one `addmm`: $\partial L/\partial X = GW$, $\partial L/\partial W = G^TX$, $\partial L/\partial b = \sum_n G$.
# - `Conv2d` is im2col plus one matrix product; its backward is the transposed products, and col2im (the adjoint of the
#   copy) adds each patch's gradient back onto its pixels.
# - `BatchNorm2d` normalises with the batch's statistics in training (biased variance) and updates the running estimates
#   with momentum (unbiased variance); in evaluation it is an affine map with the running estimates.
# - `ReLU` masks the gradient with $y > 0$; `MaxPool2d` routes it to each window's winner; `AdaptiveAvgPool2d` spreads it
#   evenly over each bin (and at size 1 is a `mean`).
# - Same weights, same input, same upstream gradient: values, gradients, running statistics and graphs agree with torch,
#   and `gradcheck` passes in both engines.
#
# **Next:** [07 · Exclusion from the DAG](07_exclusion_from_the_dag.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap with the three formulas for Linear still on the board, and im2col as the
# one idea of the convolution. Next: leaving things out of the graph.
