# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · 层：Linear、Conv2d、BatchNorm2d、ReLU和池化
#
# **你将学到**
# - 组成CNN的各个层在前向传播（forward pass）和反向传播（backward pass）中的数学，以及每一层在我们的引擎里怎样成为一个`Function`：卷积（convolution）就是im2col加一次矩阵乘法（matrix product），它的反向传播就是转置后的乘积再加col2im；
# - 怎样把一个层和torch对照：同样的权重（weight）、同样的输入、同样的上游梯度（gradient），再加上`gradcheck`。
#
# **前置知识：**[05 · 向量微积分](05_vector_calculus.ipynb)：反向传播计算的是向量-雅可比积（vector-Jacobian product）$J^T v$。一个层的`backward`做的正是这件事：给定$v = \partial L / \partial y$，返回$\partial L / \partial x$和它的参数（parameter）的梯度，从不构造雅可比矩阵（Jacobian）$J$。

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
import _course  # notebooks/_course：未运行的笔记本里显示的图片、练习的检查

_course.show_pictures()

torch.set_num_threads(1)  # 只有几百个数的张量：多线程只会增加开销
torch.manual_seed(0)
afs.manual_seed(0)
rng = np.random.default_rng(0)
TF = torch.nn.functional


def rounded(t, digits=4):
    """把任一引擎的张量变成由舍入后的浮点数组成的嵌套列表（打印结果是确定的）。"""
    return (np.round(afs.compare.to_numpy(t), digits) + 0.0).tolist()  # + 0.0把-0.0变成0.0


print("torch", torch.__version__.split("+")[0], "| 全程使用float64：要看的是完全一致")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每一节都按同样的四步走：数学（前向和反向，简短）；包里的源码（用`inspect.getsource`显示，从不重新敲一遍）；用同样的权重和同样的随机上游梯度$G$在两个引擎里做同样的计算；最后是float64下的`gradcheck`。
整个笔记本几秒钟就能跑完。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. `Linear`：一次矩阵乘法
#
# 设一个批量（batch）$X$的形状（shape）为$(N, \text{in})$，权重$W$的形状为$(\text{out}, \text{in})$，偏置（bias）为$b$：
#
# $$Y = X W^T + b .$$
# 记$G = \partial L / \partial Y$（形状为$(N, \text{out})$），由05号笔记本里矩阵乘法的求导规则得到
#
# $$\frac{\partial L}{\partial X} = G\,W, \qquad \frac{\partial L}{\partial W} = G^T X, \qquad
# \frac{\partial L}{\partial b} = \sum_{n} G_{n,:}$$
# （偏置在批量上做了广播（broadcasting），所以它的梯度要在批量上求和）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：把这三条规则写在黑板上并一直留着：dL/dX = G W，dL/dW = G^T X，dL/db = G在批量上求和。让全班检查每个乘积的形状。

# %% [markdown] slideshow={"slide_type": "subslide"}
# torch把作用在矩阵上的线性层（linear layer）记录为一个融合的`addmm(b, X, Wᵀ)`；我们也一样。这个层就是调用`F.linear`，对应的算子是`Addmm`：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(F.linear))
print(inspect.getsource(Addmm))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch把线性层记录为一个融合的`addmm`；我们也一样，节点（node）名也和torch相同。关键几行就是全部思路；完整源码在下面供参考。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 照例两边对照：一边是torch的层，一边是我们的层，载入的是**torch的权重**（`load_state_dict`接受torch张量（tensor））；两边的输入相同，随机上游梯度$G$也相同。

# %% slideshow={"slide_type": "fragment"}
lin_t = torch.nn.Linear(4, 3, dtype=torch.float64)
x_t = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
y_t = lin_t(x_t)
G_lin = torch.randn(5, 3, dtype=torch.float64)  # 上游梯度dL/dY
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
# 讲者备注：把torch的权重载入我们的层，再做对照：`load_state_dict`接受torch张量，所以两个层一开始完全相同。

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y", y, y_t, tol=1e-12)
afs.compare.report_grads([("x.grad", x.grad, x_t.grad), ("weight.grad", lin.weight.grad, lin_t.weight.grad),
                          ("bias.grad", lin.bias.grad, lin_t.bias.grad)], tol=1e-12)
G, W, X = G_lin.numpy(), lin.weight.detach().numpy(), x.detach().numpy()
print("x.grad == G W:", np.allclose(x.grad.numpy(), G @ W), "| W.grad == Gᵀ X:", np.allclose(lin.weight.grad.numpy(), G.T @ X),
      "| b.grad == Σ_n G:", np.allclose(lin.bias.grad.numpy(), G.sum(0)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：输出和三个梯度都在1e-12以内一致，而且等于第一页上的公式。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 计算图（computational graph）：`AddmmBackward0`有三条边（edge），顺序与`addmm`的参数顺序相同：偏置、输入，以及权重的`TBackward0`（转置）。

# %% slideshow={"slide_type": "fragment"}
print("图相同：", afs.viz.graph_edges(y) == afs.viz.graph_edges(y_t))
afs.viz.side_by_side(y, y_t, params=({"x": x, "weight": lin.weight, "bias": lin.bias, "y": y},
                                     {"x": x_t, "weight": lin_t.weight, "bias": lin_t.bias, "y": y_t}))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：三条边，按`addmm`的参数顺序：偏置、输入，以及`TBackward0`（权重的转置）。问大家W^T是从哪里来的（y = X W^T + b）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 两个引擎里的`gradcheck`
#
# `gradcheck`把反向传播和中心有限差分（finite differences）$\frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}$相比较，一次一个输入元素：所以要用float64和小的形状。下面的辅助函数在同样的随机输入上分别运行**我们的**`afs.autograd.gradcheck`和`torch.autograd.gradcheck`；后面的每一层都要过它这一关。

# %% slideshow={"slide_type": "fragment"}
def gradcheck_both(afs_fn, torch_fn, *shapes, seed=0):
    """在同样的float64输入上运行afs.autograd.gradcheck(afs_fn, ...)和torch.autograd.gradcheck(torch_fn, ...)。"""
    arrays = [np.random.default_rng(seed).standard_normal(shape) for shape in shapes]
    ours = afs.autograd.gradcheck(afs_fn, [afs.tensor(a, requires_grad=True) for a in arrays])
    theirs = torch.autograd.gradcheck(torch_fn, [torch.tensor(a, requires_grad=True) for a in arrays])
    print(f"gradcheck  afs: {ours}  | torch: {theirs}")


gradcheck_both(F.linear, TF.linear, (2, 4), (3, 4), (3,))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在两个引擎里，用float64和小的形状做`gradcheck`：这是对那三条规则的独立检验。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. `Conv2d`：im2col加一次矩阵乘法
#
# 输出通道$o$在位置$(p, q)$处的值，是卷积核（kernel）$W_o$与它下方那块（零填充后的）输入的点积，步幅（stride）为$s$：
#
# $$y_{n,o,p,q} = b_o + \sum_{c,i,j} W_{o,c,i,j}\; x_{n,c,\;ps+i,\;qs+j}$$
# 用Python循环来写会很慢。**im2col**把每个图块复制到矩阵$\text{cols}$的一列里，$\text{cols}$的形状为$(C\,k_h k_w,\; N H_o W_o)$，于是整个卷积就变成了**一次**矩阵乘法：
#
# $$Y = W_2\,\text{cols} + b, \qquad W_2 = W \text{ reshaped to } (O,\; C\,k_h k_w).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一句话概括这一节：只要把图块排成列，卷积就是一次矩阵乘法。问大家：5x5的图像、3x3的卷积核、步幅1，一共有多少个图块（9个）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 展开的图块
#
# 一张$5 \times 5$的图像（像素值为$0 \dots 24$）和一个$3 \times 3$的卷积核，步幅1，不填充（padding）：共有$3 \times 3 = 9$个输出位置，所以`cols`有9列，每列9个像素。第$(p, q)$列是左上角位于$(p, q)$的那个图块，逐行读出。我们调用包里自己的`im2col`：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：把图讲具体：`cols`的第k列就是第k个图块逐行读出的结果。指出那两个着色的图块。

# %% slideshow={"slide_type": "fragment"}
img = np.arange(25.0).reshape(1, 1, 5, 5)  # (N, C, H, W)
cols = im2col(img, kernel=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1))
print("im2col给出", cols.shape, "= (C, kh, kw, N, Ho, Wo)；写成矩阵：")
cols = cols.reshape(9, 9)
print(cols.astype(int))
print("第5列就是位于(1, 2)的图块：", cols[:, 5].tolist() == img[0, 0, 1:4, 2:5].ravel().tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`cols`有9列，每列9个像素；第5列是位于(1, 2)的图块。先让学生在矩阵里找到它，再看打印出的检查。

# %% slideshow={"slide_type": "skip"}
def annotated(ax, matrix, cmap="Greys", vmin=-10, vmax=60, fontsize=11):
    """把矩阵画成方格，每格标上它的（整数）值。"""
    ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax)
    for (r, c), v in np.ndenumerate(matrix):
        ax.text(c, r, int(v), ha="center", va="center", fontsize=fontsize)


def draw_im2col(img, cols, patches):
    """左边是框出若干图块的5x5图像，右边是框出这些图块对应列的cols。"""
    fig, (ax_img, ax_cols) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [5, 9]})
    annotated(ax_img, img, fontsize=12)
    annotated(ax_cols, cols, fontsize=10)
    for (p, q), colour in patches.items():
        ax_img.add_patch(Rectangle((q - 0.45, p - 0.45), 2.9, 2.9, fill=False, lw=3, ec=colour))
        ax_cols.add_patch(Rectangle((3 * p + q - 0.45, -0.45), 0.9, 8.9, fill=False, lw=3, ec=colour))
    ax_img.set_title("输入5×5，框出的是这些输出的图块：" + "和".join(f"({p},{q})" for p, q in patches))
    ax_img.set_xticks(range(5)), ax_img.set_yticks(range(5))
    ax_cols.set_xticks(range(9), [f"({p},{q})" for p in range(3) for q in range(3)])
    ax_cols.set_yticks(range(9), [f"({i},{j})" for i in range(3) for j in range(3)])
    ax_cols.set_xlabel("列 = 输出位置(p, q)")
    ax_cols.set_ylabel("行 = 卷积核内的偏移(i, j)")
    ax_cols.set_title("cols = im2col(输入)：每列一个图块")
    fig.tight_layout()
    plt.show()


print("画图用的辅助函数已定义：annotated, draw_im2col")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同样的两个图块画成图：在图像里和在`cols`里各框一次。

# %% slideshow={"slide_type": "subslide"}
patches = {(0, 0): "tab:blue", (1, 2): "tab:orange"}  # 输出位置 -> 它的框的颜色
draw_im2col(img[0, 0], cols, patches)
print("框出的列：", {f"{pq}": cols[:, 3 * pq[0] + pq[1]].astype(int).tolist() for pq in patches})

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一列一列地读这张图：蓝色的列就是蓝色方框逐行读出的结果（0 1 2 5 6 7 10 11 12）。`cols`的每一行对应卷积核内的一个偏移$(i, j)$：第$(0,0)$行放的是每个图块左上角的像素，它本身就是图像的一个带步幅的切片（第0..2行、第0..2列）。`im2col`正是这样填满它的：每个卷积核偏移做一次带步幅的复制，这里共9次，而不是每个图块复制一次。像素12（正中间）出现在全部9列里。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 有了`cols`，卷积就是卷积核（写成一行，即$W_2$）乘以`cols`：

# %% slideshow={"slide_type": "fragment"}
kernel = rng.integers(-2, 3, size=(1, 1, 3, 3)).astype(float)  # 小整数：结果是精确的
by_matmul = (kernel.reshape(1, 9) @ cols).reshape(3, 3)
by_torch = TF.conv2d(torch.tensor(img), torch.tensor(kernel))[0, 0].numpy()
print("卷积核：", kernel[0, 0].astype(int).tolist())
print("W₂ @ cols :", by_matmul.astype(int).tolist())
print("torch conv:", by_torch.astype(int).tolist(), "| 相等：", np.array_equal(by_matmul, by_torch))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：把卷积核写成一行再乘以`cols`，一次就得到所有输出；torch的`conv2d`给出同样的数。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 包里的`im2col`
#
# 对卷积核内的每个偏移$(i, j)$，所有输出位置碰到的那些输入像素构成一个带步幅的切片（`window`），所以构造`cols`只需$k_h k_w$次numpy复制，与图像大小无关：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在包里，`im2col`循环的是卷积核内的偏移（3x3时是9个），而不是输出位置：每个偏移用一个带步幅的切片一次覆盖所有位置。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(window))
print(inspect.getsource(im2col))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`window`和`im2col`：短到可以整段读完。指出那个带步幅的切片；速度就是从那里来的。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 反向传播：转置后的乘积，然后是col2im
#
# 把$G = \partial L/\partial Y$像$Y$一样变形为$(O,\; N H_o W_o)$。由$Y = W_2\,\text{cols} + b$得
#
# $$\frac{\partial L}{\partial W_2} = G\,\text{cols}^T, \qquad \frac{\partial L}{\partial b} = \sum_{\text{columns}} G, \qquad
# \frac{\partial L}{\partial\,\text{cols}} = W_2^T G$$
# 再由**col2im**把$\partial L/\partial\,\text{cols}$送回图像：每个元素都被*加*到它当初被复制出来的那个像素上。一个像素落在好几个图块里，就是被使用了好几次，所以（04号笔记本）它收到的是这些梯度之和。

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(Convolution))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`Convolution`的前向传播是im2col加一次矩阵乘法；它的反向传播是两个转置后的乘积再加col2im。完整的类在下面的子页里。

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(col2im))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：col2im就是反过来的im2col：它把每一列加回到它来自的那些像素上，用的是切片，而不是（很慢的）`np.add.at`。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 对一个全是1的`cols`做col2im，数出的是每个像素落在几个图块里。这也是卷积核全为1时$\sum y$的梯度，torch可以证实：

# %% slideshow={"slide_type": "fragment"}
counts = col2im(np.ones((1, 3, 3, 1, 3, 3)), size=(5, 5), stride=(1, 1), padding=(0, 0), dilation=(1, 1))[0, 0]
img_t = torch.tensor(img, requires_grad=True)
TF.conv2d(img_t, torch.ones(1, 1, 3, 3, dtype=torch.float64)).sum().backward()
print("col2im(ones):", counts.astype(int).tolist())
print("torch: d Σ conv(x, ones) / dx == col2im(ones):", np.array_equal(img_t.grad[0, 0].numpy(), counts))

fig, ax = plt.subplots(figsize=(3.6, 3.4))
annotated(ax, counts, cmap="Oranges", vmin=0, vmax=10, fontsize=12)
ax.set_title("每个像素所在的图块数"), ax.set_xticks([]), ax.set_yticks([])
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：对全1矩阵做col2im，数出每个像素落在几个图块里：角上的像素是1，正中间是9。这也是卷积核全为1时sum(y)的梯度。

# %% [markdown] slideshow={"slide_type": "subslide"}
# col2im是im2col的**伴随**（也就是转置）：对任意图像$x$和任意与`cols`形状相同的矩阵$C$，都有$\langle \text{im2col}(x), C\rangle = \langle x, \text{col2im}(C)\rangle$。正因如此，它才是“复制”这一操作正确的反向传播。这里用步幅2、填充1、膨胀2来检验：

# %% slideshow={"slide_type": "fragment"}
geometry = dict(stride=(2, 2), padding=(1, 1), dilation=(2, 2))
x_any = rng.standard_normal((2, 3, 7, 6))
cols_any = im2col(x_any, (3, 2), **geometry)
C_any = rng.standard_normal(cols_any.shape)
lhs, rhs = np.sum(cols_any * C_any), np.sum(x_any * col2im(C_any, (7, 6), **geometry))
print("cols的形状", cols_any.shape, "| <im2col(x), C> == <x, col2im(C)>：", np.isclose(lhs, rhs, rtol=1e-12))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：伴随检验<im2col(x), C> = <x, col2im(C)>，准确地表述了“col2im是im2col的转置”；它在舍入误差范围内成立。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 我们的`Conv2d`对照torch的
#
# 三个输入通道、四个输出通道、$3 \times 3$的卷积核、步幅2、填充1（ResNet的设置），把torch的权重复制进我们的层：

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
# 讲者备注：三个输入通道、四个输出通道、步幅2、填充1：这是一个真实的层的形状。运行之前先预测输出的形状。

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y", yc, yc_t, tol=1e-12)
afs.compare.report_grads([("x.grad", xc.grad, xc_t.grad), ("weight.grad", conv.weight.grad, conv_t.weight.grad),
                          ("bias.grad", conv.bias.grad, conv_t.bias.grad)], tol=1e-12)
gradcheck_both(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
               lambda x, w, b: TF.conv2d(x, w, b, stride=2, padding=1), (1, 2, 4, 4), (3, 2, 3, 3), (3,))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：输出，以及输入、权重和偏置的梯度，都和torch在1e-12以内一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 一个节点`ConvolutionBackward0`，三条边：输入、权重、偏置。这里输入也需要梯度，所以它的边通向一个`AccumulateGrad`：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个节点`ConvolutionBackward0`，三条边，两个引擎都是如此。

# %% slideshow={"slide_type": "fragment"}
print("图相同：", afs.viz.graph_edges(yc) == afs.viz.graph_edges(yc_t))
print("afs  ", [(n.name() if n else None, i) for n, i in yc.grad_fn.next_functions])
print("torch", [(n.name().rsplit("::")[-1] if n else None, i) for n, i in yc_t.grad_fn.next_functions])
afs.viz.side_by_side(yc, yc_t, params=({"x": xc, "weight": conv.weight, "bias": conv.bias},
                                       {"x": xc_t, "weight": conv_t.weight, "bias": conv_t.bias}))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch在CPU上不一定用im2col（它会在几种计算内核之间选择：oneDNN、基于im2col的“慢速”`slow_conv2d`，GPU上则是cuDNN的隐式GEMM或Winograd/FFT算法）。*数学*是一样的，所以数值在舍入误差内一致，节点也同样是`ConvolutionBackward0`。参数`groups`（用于深度卷积，即depthwise convolution）在我们的`Convolution`里实现为每组一次矩阵乘法，就在上面展示的前向传播代码里。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. `BatchNorm2d`：训练与评估
#
# 每个通道$c$先用它在这个批量里的$M = N H W$个值的均值和方差做规范化，再用学到的$\gamma_c$（`weight`）和$\beta_c$（`bias`）缩放和平移：
#
# $$\mu = \tfrac{1}{M}\textstyle\sum x, \qquad \sigma^2 = \tfrac{1}{M}\sum (x-\mu)^2, \qquad
# \hat{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y = \gamma\,\hat{x} + \beta$$
#
# - **训练**（`bn.train()`）：$\mu, \sigma^2$是这个批量自己的统计量（$\sigma^2$是有偏的，除以$M$），而移动平均（running statistics）$\bar\mu$（`running_mean`）和$\bar\sigma^2$（`running_var`）以`momentum`$m$（默认为0.1）向它们靠拢，其中方差用的是**无偏**估计：$$\bar\mu \leftarrow (1-m)\,\bar\mu + m\,\mu, \qquad \bar\sigma^2 \leftarrow (1-m)\,\bar\sigma^2 + m\,\sigma^2\,\tfrac{M}{M-1}$$
# - **评估**（`bn.eval()`）：$\mu, \sigma^2$就是移动平均$\bar\mu, \bar\sigma^2$，是常数：$y$是$x$的仿射变换。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：训练模式下，每个通道用这个批量自己的均值和方差做规范化。问大家为什么按通道，而不是按像素。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 反向传播
#
# $\gamma$和$\beta$是逐通道的缩放和平移：$\frac{\partial L}{\partial \beta} = \sum g$，$\frac{\partial L}{\partial \gamma} = \sum g\,\hat{x}$（在$N, H, W$上求和），其中$g = \partial L/\partial y$。训练时，$x$还会经由$\mu$和$\sigma^2$影响$y$，于是得到三项的公式
#
# $$\frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2+\varepsilon}}\Big(g - \operatorname{mean}(g) - \hat{x}\,\operatorname{mean}(g\,\hat{x})\Big)$$
# 评估时它只是$\frac{\gamma}{\sqrt{\sigma^2+\varepsilon}}\, g$。一个`Function`，即`NativeBatchNormBackward0`：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：dL/dbeta和dL/dgamma是逐通道的求和；dL/dx才是微妙的部分，因为均值和方差依赖于每一个x。

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(BatchNorm))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`BatchNorm`反向传播的关键几行：dL/dx的三项公式。完整的函数在下面的子页里；除非有人问，否则跳过。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 模块（module）在此之上加入参数和缓冲区（buffer）（`running_mean`、`running_var`、`num_batches_tracked`），并根据`self.training`选用哪种统计量：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.nn.BatchNorm2d.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：模块加入参数和缓冲区，并根据`self.training`选择统计量；自动求导（autograd）从来看不到这些缓冲区。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 两个引擎里的训练模式
#
# 新建的层$\gamma = 1$、$\beta = 0$；我们给它们随机的值，好让它们起作用，并保留初始状态，用来载入我们的层：

# %% slideshow={"slide_type": "fragment"}
bn_t = torch.nn.BatchNorm2d(3, dtype=torch.float64)
with torch.no_grad():
    bn_t.weight.copy_(torch.rand(3, dtype=torch.float64) + 0.5)
    bn_t.bias.copy_(torch.randn(3, dtype=torch.float64))
bn_state = {k: v.clone() for k, v in bn_t.state_dict().items()}  # 在任何一次前向传播之前
xb_np = 2 * rng.standard_normal((4, 3, 5, 5)) + 1  # 均值≈1，方差≈4
xb_t = torch.tensor(xb_np, requires_grad=True)
yb_t = bn_t(xb_t)
G_bn = torch.randn(yb_t.shape, dtype=torch.float64)
yb_t.backward(G_bn)
print("训练模式：", bn_t.training, "| y", tuple(yb_t.shape), "|", yb_t.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：gamma和beta设成了随机值，这样检验就不会因为1和0而碰巧通过。

# %% slideshow={"slide_type": "fragment"}
bn = afs.nn.BatchNorm2d(3, dtype=afs.float64)
bn.load_state_dict(bn_state)
xb = afs.tensor(xb_np, requires_grad=True)
yb = bn(xb)
yb.backward(afs.tensor(G_bn))
print("训练模式：", bn.training, "| y", tuple(yb.shape), "|", yb.grad_fn.name())

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y", yb, yb_t, tol=1e-12)
afs.compare.report_grads([("x.grad", xb.grad, xb_t.grad), ("weight.grad", bn.weight.grad, bn_t.weight.grad),
                          ("bias.grad", bn.bias.grad, bn_t.bias.grad)], tol=1e-12)
for name in ("running_mean", "running_var", "num_batches_tracked"):
    afs.compare.report(name, getattr(bn, name), getattr(bn_t, name), tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：训练模式下输出和梯度都一致；两个引擎里移动平均的变化也完全相同。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 方差的移动平均朝着**无偏**方差移动（每个通道$M = 4 \cdot 5 \cdot 5 = 100$个值），而规范化本身用的是有偏方差：

# %% slideshow={"slide_type": "fragment"}
per_channel = xb_np.transpose(1, 0, 2, 3).reshape(3, -1)  # (C, M)
var_biased, var_unbiased = per_channel.var(axis=1), per_channel.var(axis=1, ddof=1)
print("running_var == 0.9·1 + 0.1·无偏方差：", np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * var_unbiased))
print("running_var == 0.9·1 + 0.1·有偏方差：", np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * var_biased))
x_hat = (per_channel - per_channel.mean(1, keepdims=True)) / np.sqrt(var_biased[:, None] + bn.eps)
y_by_hand = bn.weight.detach().numpy()[:, None] * x_hat + bn.bias.detach().numpy()[:, None]
print("y == γ (x - μ)/√(σ²_biased + ε) + β:", np.allclose(yb.detach().numpy().transpose(1, 0, 2, 3).reshape(3, -1), y_by_hand))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：方差的移动平均用的是无偏估计（除以M - 1，每个通道M = 100个值），而规范化用的是有偏估计。这是“差一点点”类错误的经典来源。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 经过多个批量的移动平均
#
# 再来五个来自同一分布（均值1，方差4）的训练批量：移动平均以每步$0.9$的比例几何地逼近它，两个引擎完全一样。

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
# 讲者备注：又过了五个批量：两个引擎里均值和方差的移动平均都在逼近真实的1和4。

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "subslide"}
# ### 评估模式
#
# 调用`eval()`之后，这个层使用移动平均：每张图像单独规范化，与批量里的其他图像无关（训练时，一张图像的输出取决于整个批量）：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第二部分：用一句话回顾训练模式，然后讲评估模式使用移动平均，所以每张图像单独规范化。

# %% slideshow={"slide_type": "fragment"}
xe_np = rng.standard_normal((4, 3, 5, 5))
with afs.no_grad():  # bn仍处于训练模式
    print("训练模式：bn(x[:2]) == bn(x)[:2]：", afs.compare.agree(bn(afs.tensor(xe_np[:2])), bn(afs.tensor(xe_np))[:2], 1e-12))
    bn.load_state_dict(bn_t.state_dict())  # 撤销移动平均多出来的两次更新
bn.eval(), bn_t.eval()
with afs.no_grad():
    print("评估模式：bn(x[:2]) == bn(x)[:2]：", afs.compare.agree(bn(afs.tensor(xe_np[:2])), bn(afs.tensor(xe_np))[:2], 1e-12))
    rm, rv = bn.running_mean.numpy()[:, None, None], bn.running_var.numpy()[:, None, None]
    by_hand = bn.weight.detach().numpy()[:, None, None] * (xe_np - rm) / np.sqrt(rv + bn.eps) + bn.bias.detach().numpy()[:, None, None]
    print("评估模式：y == γ (x - running_mean)/√(running_var + ε) + β：", afs.compare.agree(bn(afs.tensor(xe_np)), by_hand, 1e-12))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在`no_grad`下、仍处于训练模式时，输出取决于批量；调用`eval()`之后就不再如此。问大家为什么这在推理时很重要（批量大小为1）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 两个引擎里的评估模式，前向和反向；移动平均不能变：

# %% slideshow={"slide_type": "fragment"}
xe_t, xe = torch.tensor(xe_np, requires_grad=True), afs.tensor(xe_np, requires_grad=True)
ye_t, ye = bn_t(xe_t), bn(xe)
G_eval = rng.standard_normal(ye.shape)
ye_t.backward(torch.tensor(G_eval)), ye.backward(afs.tensor(G_eval))
afs.compare.report("y（评估模式）", ye, ye_t, tol=1e-12)
afs.compare.report("x.grad（评估模式）", xe.grad, xe_t.grad, tol=1e-12)
scale = bn.weight.detach().numpy() / np.sqrt(bn.running_var.numpy() + bn.eps)
print("x.grad == γ/√(running_var + ε) · g:", np.allclose(xe.grad.numpy(), scale[:, None, None] * G_eval))
print("移动平均没有变：", afs.compare.agree(bn.running_var, bn_t.running_var, 1e-12),
      "| num_batches_tracked:", int(bn.num_batches_tracked.item()), int(bn_t.num_batches_tracked.item()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：评估模式下，反向传播就是简单的逐通道缩放；移动平均不能变，两个引擎里它们也确实没变。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 计算图是一个`NativeBatchNormBackward0`节点，带三条边（输入、$\gamma$、$\beta$）；移动平均不是可微的输入，所以没有边。两种模式下的`gradcheck`：

# %% slideshow={"slide_type": "fragment"}
print("图相同：", afs.viz.graph_edges(yb) == afs.viz.graph_edges(yb_t))
run_mean, run_var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
gradcheck_both(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
               lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True), (3, 2, 2, 2), (2,), (2,))
gradcheck_both(lambda x, w, b: F.batch_norm(x, afs.tensor(run_mean), afs.tensor(run_var), w, b, training=False),
               lambda x, w, b: TF.batch_norm(x, torch.tensor(run_mean), torch.tensor(run_var), w, b, training=False),
               (3, 2, 2, 2), (2,), (2,))
afs.viz.side_by_side(yb, yb_t, params=({"x": xb, "weight": bn.weight, "bias": bn.bias},
                                       {"x": xb_t, "weight": bn_t.weight, "bias": bn_t.bias}))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个`NativeBatchNormBackward0`节点，三条边；移动平均不在计算图里。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：学生常见的误解：“`eval()`会关掉梯度”。并不会：`eval()`只是把`BatchNorm`（和`Dropout`）切换到推理时的行为；梯度照样流动，上面的单元格就是证明。关掉记录的是`no_grad`（07号笔记本）。还有：torch中方差的移动平均是无偏的（$M/(M-1)$），而规范化用的是有偏的；忘了这一点是重新实现时的经典错误，在这里只会表现为`running_var`对不上。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. `ReLU`
#
# $$y = \max(x, 0), \qquad \frac{\partial L}{\partial x} = g \cdot \mathbf{1}[x > 0]$$
# 函数在$x = 0$处有一个折点；两个引擎在那里都取导数（derivative）$0$。和torch的`ReluBackward0`一样，我们的节点保存的是**输出**$y$（而不是$x$）：$y > 0$恰好就是$x > 0$的地方。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：ReLU的导数是阶跃函数；恰好在0处，两个引擎都取0。展示代码之前，先问大家torch在x = 0处怎么做。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(Relu))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`Relu`保存的是输出z，而不是输入：z > 0正是正输入的掩码，反向传播时用它乘以梯度。

# %% slideshow={"slide_type": "subslide"}
xr_np = np.linspace(-2, 2, 9)  # 其中恰好有一个0
xr_t, xr = torch.tensor(xr_np, requires_grad=True), afs.tensor(xr_np, requires_grad=True)
yr_t, yr = torch.nn.ReLU()(xr_t), afs.nn.ReLU()(xr)
saves_output = torch.equal(yr_t.grad_fn._saved_result, yr_t)  # 在反向传播释放它之前读取
G_relu = rng.standard_normal(9)
yr_t.backward(torch.tensor(G_relu)), yr.backward(afs.tensor(G_relu))
print("x       ", rounded(xr))
print("afs grad", rounded(xr.grad), "\ntorch   ", rounded(xr_t.grad))
afs.compare.report("y", yr, yr_t, tol=1e-12)
afs.compare.report("x.grad", xr.grad, xr_t.grad, tol=1e-12)
print("torch保存的是输出：", saves_output, "| 节点：", yr.grad_fn.name(), yr_t.grad_fn.name())
gradcheck_both(F.relu, TF.relu, (3, 4))  # 随机输入：没有哪个落在折点的ε范围内

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：测试输入里故意放了一个恰好为0的数：两个引擎在那里的梯度都是0。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. `MaxPool2d`
#
# 每个输出是它所在窗口里的最大值：
#
# $$y_{n,c,p,q} = \max_{i,j}\; x_{n,c,\;ps+i,\;qs+j}, \qquad
# \frac{\partial y_{n,c,p,q}}{\partial x} = 1 \text{ at the window's argmax, } 0 \text{ elsewhere}$$
# 所以反向传播把每个输出的梯度**路由**到它窗口里胜出的那个像素。窗口重叠时，一个像素可能在好几个窗口里胜出，它收到的就是这些梯度之和。和im2col一样，前向传播一次处理卷积核内的一个偏移：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：最大池化（max pooling）只把每个窗口的梯度送给窗口里的最大值。提问：出现并列最大值时怎么办？（第一个最大值胜出，和torch一样。）

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(pool.MaxPool2d))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：关键几行：每个卷积核偏移扫一遍，找出胜出者，再把梯度分散给它们。完整的类在下面。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 一个可以用眼睛读的小例子：$2 \times 2$的窗口，步幅2，上游梯度为$1, 10, 100, 1000$：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：上游梯度取1、10、100、1000，结果一目了然：每个梯度落在一个输入像素上，也就是它窗口里的最大值。

# %% slideshow={"slide_type": "fragment"}
xm_np = rng.permutation(16).astype(float).reshape(1, 1, 4, 4)  # 各不相同的值：没有并列
Gm_np = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
xm_t, xm = torch.tensor(xm_np, requires_grad=True), afs.tensor(xm_np, requires_grad=True)
torch.nn.MaxPool2d(2)(xm_t).backward(torch.tensor(Gm_np))
afs.nn.MaxPool2d(2)(xm).backward(afs.tensor(Gm_np))
print("x:\n", xm_np[0, 0].astype(int))
print("y:", TF.max_pool2d(torch.tensor(xm_np), 2)[0, 0].numpy().astype(int).tolist())
print("afs   x.grad:\n", xm.grad.numpy()[0, 0].astype(int))
print("torch == afs:", torch.equal(xm_t.grad, torch.tensor(xm.grad.numpy())))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ResNet的起始层（stem）用$3 \times 3$的池化窗口、步幅2、填充1：窗口是重叠的。值、胜出者的索引（`return_indices=True`）和梯度都一致：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：窗口重叠时（3x3、步幅2，即ResNet起始层里的设置），一个像素可能在好几个窗口里胜出；这时它的梯度是这些梯度之和。两个引擎结果一致。

# %% slideshow={"slide_type": "fragment"}
xp_np = rng.standard_normal((2, 3, 7, 7))
xp_t, xp = torch.tensor(xp_np, requires_grad=True), afs.tensor(xp_np, requires_grad=True)
(yp_t, idx_t), (yp, idx) = TF.max_pool2d(xp_t, 3, 2, 1, return_indices=True), F.max_pool2d(xp, 3, 2, 1, return_indices=True)
G_pool = rng.standard_normal(yp.shape)
yp_t.backward(torch.tensor(G_pool)), yp.backward(afs.tensor(G_pool))
afs.compare.report("y", yp, yp_t, tol=1e-12)
print("索引相同：", np.array_equal(idx.numpy(), idx_t.numpy()), "| 节点：", yp.grad_fn.name(), yp_t.grad_fn.name())
afs.compare.report("x.grad", xp.grad, xp_t.grad, tol=1e-12)
wins = np.stack([np.bincount(i.ravel(), minlength=49) for i in idx.numpy().reshape(6, -1)])
print("在2个或更多窗口里胜出的像素（得到这些窗口梯度之和）：", int((wins >= 2).sum()))
gradcheck_both(lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: TF.max_pool2d(x, 3, 2, 1), (1, 2, 5, 5))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：只要一个窗口里没有两个值相差在$\varepsilon$以内（随机的float64输入），对最大值做`gradcheck`就没有问题。最大值恰好并列时函数不可微，两个引擎都只是挑一个胜出者（torch：窗口里的第一个）；这个笔记本里我们避开了并列的情况。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. `AdaptiveAvgPool2d`
#
# 你给定的是**输出**大小；输入被分成若干区间，第$k$个区间覆盖第$\lfloor kH/H_o \rfloor$行到第$\lceil (k+1)H/H_o \rceil - 1$行（$H_o$不整除$H$时区间会重叠），每个区间取平均：
#
# $$y_{n,c,k,l} = \frac{1}{|R_k|\,|C_l|} \sum_{i \in R_k,\; j \in C_l} x_{n,c,i,j}, \qquad
# \frac{\partial L}{\partial x_{n,c,i,j}} = \sum_{k,l:\; i \in R_k,\, j \in C_l} \frac{g_{n,c,k,l}}{|R_k|\,|C_l|}$$
# 对$5 \to 3$，行的区间是：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：你给定的是输出大小；大小不能整除时区间可能重叠。在黑板上画出5 -> 3的区间。

# %% slideshow={"slide_type": "fragment"}
print("5 -> 3的区间(start, stop)：", pool._bins(5, 3))
print(inspect.getsource(pool.AdaptiveAvgPool2d))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：区间和这个类；完整的源码在下面供参考。

# %% slideshow={"slide_type": "subslide"}
xa_np = rng.standard_normal((2, 3, 5, 5))
xa_t, xa = torch.tensor(xa_np, requires_grad=True), afs.tensor(xa_np, requires_grad=True)
ya_t, ya = torch.nn.AdaptiveAvgPool2d(3)(xa_t), afs.nn.AdaptiveAvgPool2d(3)(xa)
G_avg = rng.standard_normal(ya.shape)
ya_t.backward(torch.tensor(G_avg)), ya.backward(afs.tensor(G_avg))
afs.compare.report("y", ya, ya_t, tol=1e-12)
afs.compare.report("x.grad", xa.grad, xa_t.grad, tol=1e-12)
print("节点：", ya.grad_fn.name(), ya_t.grad_fn.name())
gradcheck_both(lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: TF.adaptive_avg_pool2d(x, 3), (1, 2, 5, 5))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在不能整除的5 -> 3这种难的情况下，值和梯度也都一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 最常见的情况是输出大小为1，即ResNet的全局平均池化（global average pooling），它就是在高和宽上求均值；torch把它记录为一个求均值的节点`MeanBackward1`，我们也一样，这样两边的计算图才能对上：

# %% slideshow={"slide_type": "fragment"}
g1_t, g1 = torch.nn.AdaptiveAvgPool2d(1)(xa_t), afs.nn.AdaptiveAvgPool2d(1)(xa)
print("输出1x1：", tuple(g1.shape), "| 节点：", g1.grad_fn.name(), g1_t.grad_fn.name())
afs.compare.report("y (1x1)", g1, g1_t, tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：输出大小为1，即ResNet的全局平均池化，就是一次求均值；torch把它记录为`MeanBackward1`，我们也一样。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. 一个小网络：conv → bn → relu → pool → flatten → linear
#
# 两个引擎里是同一个`Sequential`，用一次`load_state_dict`把torch的权重载入我们的网络（名字`0.weight`、`1.running_mean`……都是torch的），在训练模式下做一次前向传播和一次反向传播：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：本讲的每一种层都放进一个小网络；两个引擎里是同一个`Sequential`。

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
print("out", tuple(out.shape), "| repr与torch相同：", repr(net) == repr(net_t))

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("out", out, out_t, tol=1e-12)
grads_ok = afs.compare.report_grads([(f"{name}.grad", p.grad, p_t.grad)
                                     for (name, p), p_t in zip(net.named_parameters(), net_t.parameters())], tol=1e-12)
buffers_ok = afs.compare.report_grads([(name, b, b_t) for (name, b), b_t in zip(net.named_buffers(), net_t.buffers())], tol=1e-12)
print("所有梯度和缓冲区都一致：", grads_ok and buffers_ok)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：贯穿整个网络，输出和每个参数的梯度都在1e-12以内一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 两张计算图，节点一一对应：`ConvolutionBackward0` → `NativeBatchNormBackward0` → `ReluBackward0` → `MaxPool2DWithIndicesBackward0` → `ViewBackward0`（即展平） → `AddmmBackward0`。输入不需要梯度，所以`ConvolutionBackward0`的第一条边是`None`。

# %% slideshow={"slide_type": "fragment"}
names = [e.name for e in afs.viz.graph_edges(out) if e.name != "AccumulateGrad"]
print("图相同：", afs.viz.graph_edges(out) == afs.viz.graph_edges(out_t))
print("从输出开始、广度优先列出的运算：", ", ".join(names))
afs.viz.side_by_side(out, out_t, params=(dict(net.named_parameters()), dict(net_t.named_parameters())))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两张计算图，节点一一对应，顺序就是网络的顺序。子页里以便于阅读的大小展示它。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：指出方框的顺序：画的是*反向*计算图，但箭头沿前向方向（输入在上方）。线性层权重下面的`TBackward0`是`addmm(b, x, Wᵀ)`里的转置。这就是ResNet的骨架：本系列后面，完整的ResNet18也会这样运行。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("layers", N)`，就能载入第N题的参考答案（来自`solutions/06_layers.py`）。
# ### 练习1 · 把卷积写成一次矩阵乘法
#
# 为numpy数组写`conv_by_im2col(x, w)`，其中`x`的形状为$(N, C, H, W)$，`w`的形状为$(O, C, k, k)$，步幅1，不填充：调用包里的`im2col`，把结果变形为$(C k^2,\; N H_o W_o)$，乘以$W_2$，返回形状为$(N, O, H_o, W_o)$的数组。（最后一步要小心：列的顺序是先$N$，再$H_o$、$W_o$。）

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟：只用numpy写`conv_by_im2col`。常见的疏忽是权重变形的顺序（out, C * kh * kw）。

# %% slideshow={"slide_type": "fragment"}
def conv_by_im2col(x, w):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ...  # 你的代码：im2col(x, (k, k), (1, 1), (0, 0), (1, 1))，一次矩阵乘法，变形
    return None


print("conv_by_im2col已定义")

# %% slideshow={"slide_type": "fragment"}
def check_conv():
    with _course.exercise(1) as check:
        x0 = np.random.default_rng(5).standard_normal((2, 3, 6, 5))
        w0 = np.random.default_rng(6).standard_normal((4, 3, 3, 3))
        ours = check.returned(conv_by_im2col(x0, w0), "conv_by_im2col(x, w)")
        check.same(ours, TF.conv2d(torch.tensor(x0), torch.tensor(w0)), "conv_by_im2col(x, w)与"
                   "torch的conv2d对照", rtol=1e-12)


check_conv()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习2 · 手算方差的移动平均
#
# 一个新建的`BatchNorm2d(1)`（`running_var`$= 1$，`momentum`为$0.1$）依次看到下面的两个训练批量`batches[0]`和`batches[1]`。只用numpy算出它之后的`running_var`（一个浮点数）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：手算方差的移动平均：每个批量用无偏方差，`momentum`为0.1。检查把你的结果和torch的`BatchNorm2d`看过这两个批量之后的`running_var`比较。

# %% slideshow={"slide_type": "fragment"}
batches = [np.random.default_rng(7).standard_normal((2, 1, 3, 3)) * 3, np.random.default_rng(8).standard_normal((2, 1, 3, 3))]
print("各批量的形状：", [b.shape for b in batches])

# %% slideshow={"slide_type": "fragment"}
running_var_guess = None  # 你的代码：一个浮点数
print("running_var_guess已设置：", running_var_guess is not None)

# %% slideshow={"slide_type": "fragment"}
def check_running_var():
    with _course.exercise(2) as check:
        check.answered(running_var_guess, "running_var_guess")
        bn_ref = torch.nn.BatchNorm2d(1, dtype=torch.float64)
        for b in batches:
            bn_ref(torch.tensor(b))
        check.same(running_var_guess, bn_ref.running_var.item(), "running_var_guess与torch的"
                   "BatchNorm2d.running_var对照", rtol=1e-10)


check_running_var()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习3 · 最大池化把梯度送到哪里？
#
# 对下面$4 \times 4$的输入做`MaxPool2d(3, stride=1)`，有四个互相重叠的窗口（输出为$2 \times 2$）。上游梯度是$\begin{pmatrix} 1 & 10 \\ 100 & 1000 \end{pmatrix}$。不运行反向传播，把`x.grad`写成一个$4 \times 4$的嵌套列表。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先在纸上预测：窗口重叠时，有些像素收到的是几个梯度之和。然后运行检查。

# %% slideshow={"slide_type": "fragment"}
x_ex3 = np.array([[3.0, 15.0, 2.0, 7.0],
                  [9.0, 1.0, 0.0, 5.0],
                  [13.0, 4.0, 6.0, 8.0],
                  [11.0, 10.0, 12.0, 14.0]])
print("输入：", x_ex3.shape)

# %% slideshow={"slide_type": "fragment"}
grad_guess = None  # 你的代码：一个4x4的嵌套列表
print("grad_guess已设置：", grad_guess is not None)

# %% slideshow={"slide_type": "fragment"}
def check_maxpool():
    with _course.exercise(3) as check:
        check.answered(grad_guess, "grad_guess")
        G3 = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
        for engine in (torch, afs):
            x3 = engine.tensor(x_ex3[None, None], requires_grad=True)
            engine.nn.MaxPool2d(3, stride=1)(x3).backward(engine.tensor(G3))
            check.same(grad_guess, x3.grad[0, 0], f"grad_guess与{_course.engine_name(engine)}的x.grad对照")


check_maxpool()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
# - `Linear`就是一次`addmm`：$\partial L/\partial X = GW$，$\partial L/\partial W = G^TX$，$\partial L/\partial b = \sum_n G$。
# - `Conv2d`是im2col加一次矩阵乘法；它的反向传播是转置后的乘积，再由col2im（复制操作的伴随）把每个图块的梯度加回到它的像素上。
# - `BatchNorm2d`在训练时用批量的统计量做规范化（有偏方差），并以`momentum`更新移动平均（无偏方差）；评估时它是一个用移动平均构成的仿射变换。
# - `ReLU`用$y > 0$给梯度做掩码；`MaxPool2d`把梯度路由到每个窗口的胜出者；`AdaptiveAvgPool2d`把梯度均匀地分到每个区间（输出大小为1时就是`mean`）。
# - 同样的权重、同样的输入、同样的上游梯度：值、梯度、移动平均和计算图都与torch一致，`gradcheck`在两个引擎里都通过。
#
# **下一讲：**[07 · 从有向无环图中排除](07_exclusion_from_the_dag.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾时让`Linear`的三条公式继续留在黑板上，再强调im2col是卷积唯一的核心思想。下一讲：把东西排除在计算图之外。
