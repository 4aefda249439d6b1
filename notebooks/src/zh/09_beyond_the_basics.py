# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 09 · 进阶
#
# **你将学到**
# - 在反向传播（backward）进行时用*钩子*（hook）查看和修改梯度，用`autograd.grad`在不碰`.grad`的情况下拿到梯度，以及用`create_graph=True`对导数（derivative）再求导；
# - 为什么有些原地操作（in-place operation）会让反向传播报错：这是*版本计数器*（version counter）在起作用；以及怎样用`gradcheck`检验手写的反向传播。
#
# **前置知识：**[08 · ResNet18的一步SGD](08_resnet18_sgd_step.ipynb)，在那里一次`backward()`调用就填好了每个参数（parameter）的`.grad`。这里我们打开这次调用，看看能在它*进行中*、*代替*它、以及在它*之上*做些什么。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：四个互相独立的主题，每个都很短：钩子；`autograd.grad`和高阶梯度（higher-order gradients）；原地操作；自定义`Function`和`gradcheck`。每个主题都可以单独讲；最后的练习每道对应一个主题。和整个系列一样，每个计算都在torch和`autograd_from_scratch`（`afs`）中各做一遍，再由一个检查单元格说明两者是否一致。这里所有张量（tensor）都是float64：每次比较要看的都是完全一致。

# %% tags=["slide-skip"] slideshow={"slide_type": "subslide"}
import inspect
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import autograd_from_scratch as afs
from autograd_from_scratch.compare import agree, report, to_numpy
from autograd_from_scratch.viz import graph_edges, side_by_side
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)


def rounded(t):
    """把任一引擎的张量转成保留4位小数的numpy数组，用于打印。"""
    return np.round(to_numpy(t), 4) + 0.0  # + 0.0把-0.0变成0.0


def error_of(fn, first_line=False):
    """运行fn()；返回它抛出的错误，格式为'Type: message'（自动换行），没有错误时返回“没有错误”。"""
    try:
        fn()
    except Exception as e:  # noqa: BLE001  （不管是什么错误，都要显示出来）
        message = str(e).splitlines()[0] if first_line else str(e)
        return textwrap.fill(f"{type(e).__name__}: {message}", width=100)
    return "没有错误"


print("已导入torch和autograd_from_scratch；辅助函数：rounded、error_of")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · 钩子：看一眼传递途中的梯度
#
# 调用`backward()`之后，只有叶子节点（leaf）把梯度（gradient）保存在`.grad`里。中间张量的梯度同样会算出来、用掉，然后丢弃。**钩子**让我们能看到它：`t.register_hook(fn)`让引擎在`t`的梯度一确定时就调用`fn(grad)`。
#
# 我们的例子：$h = 3\tanh(x)$，$\text{loss} = \sum_i h_i^2$，所以$\frac{\partial\,\text{loss}}{\partial h} = 2h$，$\frac{\partial\,\text{loss}}{\partial x} = 2h \cdot 3\,(1 - \tanh^2 x)$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：动机：反向传播之后只有叶子节点保留`.grad`（02）。钩子让我们在非叶子节点的梯度经过时看一眼。请学生举一个用途（调试梯度爆炸）。

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
h = 3 * x.tanh()
seen = []
handle = h.register_hook(lambda grad: seen.append(grad.clone()))  # 返回None：梯度不变
loss = (h ** 2).sum()
loss.backward()
print(f"钩子看到的dloss/dh：{rounded(seen[0])}")
print(f"x.grad            ：{rounded(x.grad)}")
print(f"h是叶子节点：{h.is_leaf} | h保留自己的.grad：{h.retains_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch：在h上用register_hook记下到达h的梯度；返回的句柄以后可以用来取下钩子。

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
h_ours = 3 * x_ours.tanh()
seen_ours = []
handle_ours = h_ours.register_hook(lambda grad: seen_ours.append(grad.clone()))
loss_ours = (h_ours ** 2).sum()
loss_ours.backward()
print(f"钩子看到的dloss/dh：{rounded(seen_ours[0])}")
print(f"x.grad            ：{rounded(x_ours.grad)}")
print(f"h是叶子节点：{h_ours.is_leaf} | h保留自己的.grad：{h_ours.retains_grad}")

# %% slideshow={"slide_type": "fragment"}
report("dloss/dh (seen by hook)", seen_ours[0], seen[0])
report("x.grad", x_ours.grad, x.grad)
print(f"钩子看到的正是手算的2h：{agree(seen_ours[0], 2 * h_ours.detach())}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在我们的引擎里也一样，钩子看到的值也相同。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 钩子在哪里
#
# 钩子属于$h$，图中用橙色标出生成$h$的那个节点（node）。$h$的梯度从下方（从`PowBackward0`）到达这里，钩子先运行，然后这个节点的反向计算才把梯度继续传向$x$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：钩子属于h，图中橙色的是生成h的节点；钩子在h的梯度完整之后、继续流向x之前运行。

# %% slideshow={"slide_type": "fragment"}
side_by_side(loss_ours, loss, params=[("x", x_ours), ("x", x)], highlight=[h_ours, h])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：指出两张图里的橙色节点：它在两张计算图（computational graph）里的位置相同。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 我们的引擎怎样运行张量钩子
#
# `register_hook`把钩子登记在生成这个张量的节点下（并记下这个张量是该节点的第几个输出）。引擎要运行那个节点时，先让到达的梯度依次经过这些钩子；返回一个张量的钩子会*替换*原来的梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的引擎把钩子登记在生成张量的节点下，并在反向传播的循环里、send()之前运行它。简短讲：代码就在幻灯片上。

# %% slideshow={"slide_type": "fragment"}
print(textwrap.dedent(inspect.getsource(afs.Tensor.register_hook)))
print(inspect.getsource(afs.autograd.engine.call_tensor_hooks))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch也是这样做的：张量钩子是该张量`grad_fn`的“前置钩子”（pre-hook），在节点的反向计算之前作用于那个特定输出的梯度。`retain_grad()`本身就是用这样一个钩子实现的（它把梯度存进`.grad`），所以我们的引擎在同一个函数里处理`retain_grad`。`handle.remove()`把钩子再取下来；两个引擎里的句柄都是`RemovableHandle`对象。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 修改梯度：用钩子裁剪
#
# *返回*一个张量的钩子会替换梯度，对该张量上游的所有计算都生效。这里把$h$的梯度裁剪到$[-1, 1]$，再让它流回$x$：
#
# $$\frac{\partial\,\text{loss}}{\partial x} = \operatorname{clip}(2h, -1, 1) \cdot 3\,(1 - \tanh^2 x).$$

# %% slideshow={"slide_type": "fragment"}
x.grad = None
h = 3 * x.tanh()
h.register_hook(lambda grad: grad.clamp(-1.0, 1.0))
(h ** 2).sum().backward()
print(f"x.grad，dloss/dh经过裁剪：{rounded(x.grad)}")

# %% slideshow={"slide_type": "fragment"}
x_ours.grad = None
h_ours = 3 * x_ours.tanh()
h_ours.register_hook(lambda grad: grad.clamp(-1.0, 1.0))
(h_ours ** 2).sum().backward()
print(f"x.grad，dloss/dh经过裁剪：{rounded(x_ours.grad)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：返回张量的钩子会替换梯度，对所有上游计算生效。裁剪是经典用法；提问：如果钩子把梯度减半，x.grad会变成什么？（也减半。）

# %% slideshow={"slide_type": "fragment"}
t = np.tanh(to_numpy(x))
by_hand = np.clip(2 * 3 * t, -1, 1) * 3 * (1 - t ** 2)
report("x.grad (clipped)", x_ours.grad, x.grad)
print(f"与手算公式相等：{agree(x_ours.grad, by_hand)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：用钩子逐个张量地裁剪，是一些训练技巧的写法（梯度裁剪（gradient clipping）、用于领域自适应的梯度反转层、缩放某一分支的梯度）。训练循环里常见的“按全局范数裁剪”（`torch.nn.utils.clip_grad_norm_`）则是在反向传播之后作用于`.grad`；练习1用钩子实现一个按范数的裁剪。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 叶子节点上的钩子，以及取下钩子
#
# 叶子节点上的钩子在梯度加进`.grad`之前运行，所以`.grad`收到的是钩子的返回值。`register_hook`返回一个句柄；`handle.remove()`把钩子取下。

# %% slideshow={"slide_type": "fragment"}
w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
handle = w.register_hook(lambda grad: 0.1 * grad)
(w ** 2).sum().backward()
print(f"有钩子时：{rounded(w.grad)}   (0.1 · 2w)")
handle.remove()
w.grad = None
(w ** 2).sum().backward()
print(f"去掉钩子：{rounded(w.grad)}   (2w)")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在叶子节点上，钩子在AccumulateGrad加进`.grad`之前运行；handle.remove()把它取下。演示：调用两次backward，一次有钩子，一次没有。

# %% slideshow={"slide_type": "fragment"}
w_ours = afs.tensor([1.0, 2.0], dtype=afs.float64, requires_grad=True)
handle_ours = w_ours.register_hook(lambda grad: 0.1 * grad)
(w_ours ** 2).sum().backward()
print(f"有钩子时：{rounded(w_ours.grad)}   (0.1 · 2w)")
handle_ours.remove()
w_ours.grad = None
(w_ours ** 2).sum().backward()
print(f"去掉钩子：{rounded(w_ours.grad)}   (2w)")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：无论有没有钩子，我们的引擎得到的`.grad`都与torch的相同。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在我们的引擎里，叶子节点的钩子在`AccumulateGrad`里运行，它是每个叶子节点前面的那个节点：

# %% slideshow={"slide_type": "fragment"}
print(textwrap.dedent(inspect.getsource(afs.autograd.AccumulateGrad.accumulate)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在我们的引擎里，叶子节点的钩子放在AccumulateGrad中，它是每个叶子节点前面的节点（02）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · `autograd.grad`：返回梯度，不碰`.grad`
#
# `backward()`把梯度*加*进每个叶子节点的`.grad`。`autograd.grad(outputs, inputs)`则以元组的形式*返回*你指定的那些张量的梯度，完全不写`.grad`。输入不必是叶子节点：要得到$\partial\,\text{loss}/\partial h$，用不着钩子。

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
h = 3 * x.tanh()
loss = (h ** 2).sum()
dx, dh = torch.autograd.grad(loss, [x, h])
print(f"dloss/dx: {rounded(dx)} | dloss/dh: {rounded(dh)}")
print(f"调用autograd.grad之后的x.grad：{x.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`autograd.grad`返回梯度，而不是把它们加进`.grad`：不会累加（accumulate），也就不用清零。提问：什么时候它是更好的工具？（把梯度当作一个值来用的时候，就像下一节那样。）

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
h_ours = 3 * x_ours.tanh()
loss_ours = (h_ours ** 2).sum()
dx_ours, dh_ours = afs.autograd.grad(loss_ours, [x_ours, h_ours])
print(f"dloss/dx: {rounded(dx_ours)} | dloss/dh: {rounded(dh_ours)}")
print(f"调用autograd.grad之后的x.grad：{x_ours.grad}")

# %% slideshow={"slide_type": "fragment"}
report("dloss/dx", dx_ours, dx)
report("dloss/dh", dh_ours, dh)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的引擎结果相同；两边的x.grad都还是None。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们的`autograd.grad`和`backward()`用的是同一个引擎循环，唯一的区别是`inputs=`参数：它让引擎截获到达这些张量的梯度，而不是累加进叶子节点：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.grad))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这为什么重要：为自身目的计算梯度的库（梯度惩罚、元学习的内层一步、下一节的高阶导数）不能打乱优化器（optimizer）将要读取的`.grad`。还值得一提：和`backward()`一样，`autograd.grad`会释放计算图，除非传入`retain_graph=True`（或`create_graph=True`）；如果某个输入没有被用到，它会报错，除非设置`allow_unused=True`。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · 高阶梯度：对导数求导
#
# 通常反向传播运行时记录是关闭的：它的结果只是普通的数。设置`create_graph=True`后，引擎*把反向传播也记录下来*，于是梯度本身就是一个带`grad_fn`的张量，可以再对它求导。手算：对$f(x) = x^3 - 2x^2$，在$x = 3$处，
#
# $$f'(x) = 3x^2 - 4x = 15, \qquad f''(x) = 6x - 4 = 14.$$

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
f = x ** 3 - 2 * x ** 2
(df,) = torch.autograd.grad(f, x, create_graph=True)
(d2f,) = torch.autograd.grad(df, x)
print(f"f(3) = {f.item():.4f}   f'(3) = {df.item():.4f}   f''(3) = {d2f.item():.4f}")
print(f"f'有grad_fn：{df.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：create_graph=True把反向传播本身记录下来，所以导数有grad_fn，可以再求导。

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor(3.0, dtype=afs.float64, requires_grad=True)
f_ours = x_ours ** 3 - 2 * x_ours ** 2
(df_ours,) = afs.autograd.grad(f_ours, x_ours, create_graph=True)
(d2f_ours,) = afs.autograd.grad(df_ours, x_ours)
print(f"f(3) = {f_ours.item():.4f}   f'(3) = {df_ours.item():.4f}   f''(3) = {d2f_ours.item():.4f}")
print(f"f'有grad_fn：{df_ours.grad_fn.name()}")

# %% slideshow={"slide_type": "fragment"}
report("f'(3)", df_ours, df)
report("f''(3)", d2f_ours, d2f)
print(f"手算：f'(3) == 15：{df_ours.item() == 15.0} | f''(3) == 14：{d2f_ours.item() == 14.0}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：f(x) = x^3 - 2x^2在x = 3处：f' = 15，f'' = 14，两个引擎都是如此。先让学生自己算。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 不加`create_graph=True`
#
# 这时一阶导数是一个没有历史记录的常量：没有东西可以求导，两个引擎都会这么告诉你。

# %% slideshow={"slide_type": "fragment"}
def second_derivative_without_create_graph(lib):
    x = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    (df,) = lib.autograd.grad(x ** 3 - 2 * x ** 2, x)  # 反向传播没有被记录
    lib.autograd.grad(df, x)


for name, lib in (("torch", torch), ("afs  ", afs)):
    print(f"{name} -> {error_of(lambda: second_derivative_without_create_graph(lib))}\n")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：没有create_graph，一阶导数就是没有历史记录的常量；对它求梯度会报错，两个引擎的报错信息相同。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 记录成计算图的反向传播
#
# 这是*导数*$f'(x)$的计算图：$f = x^3 - 2x^2$的反向传播所执行的运算，因为`create_graph=True`而被记录了下来。它唯一的叶子节点是$x$，所以可以再对$x$求导。

# %% slideshow={"slide_type": "fragment"}
side_by_side(df_ours, df, params=[("x", x_ours), ("x", x)], title="f'(x) = 3x² − 4x的计算图")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：f'(x) = 3x^2 - 4x的计算图：这些是反向传播自己的运算，被记录了下来。请学生在图里找出3x^2。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 数值相同，计算图略有不同
#
# 从上往下读。两个`PowBackward0`是$x^2$和$x^1$，求$x^3$和$x^2$的导数时要用到它们；每个`MulBackward0`乘上一个由指数和传入的梯度构成的常数，得到$3x^2$和$-4x$；底部的`AddBackward0`是引擎在*把到达$x$的两条路径上的梯度相加*：连这种簿记也被记录了下来。torch把$x^p$的导数写成`grad * (p * x.pow(p - 1))`，是两次乘法；而我们写成`grad * p * x ** (p - 1)`，其中`grad * p`不涉及需要梯度的张量，所以不留下节点：torch的计算图在每条分支上多一个`MulBackward1`。计算图不同，函数$f'$相同。

# %% slideshow={"slide_type": "fragment"}
print(f"ours : {[e.name for e in graph_edges(df_ours)]}")
print(f"torch: {[e.name for e in graph_edges(df)]}")
print("\n我们的引擎中x ** p的反向传播规则：")
print(textwrap.dedent(inspect.getsource(afs.ops.elementwise.PowTensorScalar.backward)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：数值相同，计算图略有不同：torch把x^p的导数写成两次乘法，每条分支比我们多一个MulBackward1。数值一致；节点列表有几处不同。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 想求几阶导数都行：$\tanh$
#
# 每个`create_graph=True`多记录一层，所以导数可以层层嵌套。对于逐元素（elementwise）函数，$y_i$只依赖于$x_i$，所以$\sum_i y_i$的梯度就是各点导数$y'(x_i)$组成的向量：一次调用就得到整个网格上各点的导数。

# %% slideshow={"slide_type": "fragment"}
grid = np.linspace(-3, 3, 61)


def tanh_and_derivatives(lib):
    """网格上的tanh及其前三阶导数，每一阶都由对前一阶求导得到。"""
    x = lib.tensor(grid, dtype=lib.float64, requires_grad=True)
    ys = [x.tanh()]
    for k in range(3):
        (d,) = lib.autograd.grad(ys[-1].sum(), x, create_graph=k < 2)
        ys.append(d)
    return ys


curves = tanh_and_derivatives(torch)
curves_ours = tanh_and_derivatives(afs)
for k, (ours, theirs) in enumerate(zip(curves_ours, curves)):
    report(f"tanh, derivative {k}", ours, theirs)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每多一层create_graph，就多记录一阶tanh的导数；下图画的是我们的引擎算出的tanh及其前三阶导数，上面打印的各行把每一阶都和torch的结果对照过。

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(8, 3.2))
labels = [r"$\tanh x$", r"$\tanh' x$", r"$\tanh'' x$", r"$\tanh''' x$"]
for curve, label in zip(curves_ours, labels):
    ax.plot(grid, to_numpy(curve), label=label)
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("x")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=10)
ax.set_title("tanh及其三阶导数，每一阶都由自动求导得到（afs）")
plt.show()
for i in (20, 30, 40):  # x = -1, 0, 1
    values = "  ".join(f"{v:+.4f}" for v in rounded([c[i] for c in curves_ours]))
    print(f"x = {grid[i]:+.1f}: {values}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在x = 0处手算验证：tanh' = 1 - tanh² = 1，tanh'' = -2 tanh (1 - tanh²) = 0，tanh''' = -2 (1 - tanh²)(1 - 3 tanh²) = -2。打印出的x = 0那一行是0、1、0、-2。在torch里，tanh导数的节点是一个融合的`TanhBackwardBackward0`；我们的引擎用几次乘法和一次减法构造出同样的导数。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · 黑塞矩阵-向量积
#
# 对于$f:\mathbb{R}^n \to \mathbb{R}$，二阶导数是$n\times n$的黑塞矩阵（Hessian）$H$。许多方法（Newton-CG、曲率估计）只需要对某个向量$v$求$Hv$，而这只多花一次反向传播：$Hv = \nabla_x\,(\nabla f(x)\cdot v)$，这正是对$\nabla f$求导时`grad_outputs=v`所要求的。我们的函数，其中$x \in \mathbb{R}^3$：
#
# $$f(x) = (x\cdot x)^2 + \sum_i \tanh x_i,$$
#
# $$H = 4(x\cdot x)\,I + 8\,x x^\top - \operatorname{diag}\big(2\tanh x_i\,(1 - \tanh^2 x_i)\big).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：黑塞矩阵-向量积（Hessian-vector product）只需两次反向传播，而且从不构造n x n的矩阵。提问：对于一个有一百万个参数的网络，这为什么重要？

# %% slideshow={"slide_type": "fragment"}
def f(x):
    """同一段代码既能作用于torch张量，也能作用于afs张量。"""
    return (x @ x) ** 2 + x.tanh().sum()


x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
v = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
(g,) = torch.autograd.grad(f(x), x, create_graph=True)  # ∇f(x)，它本身也被记录下来
(hv,) = torch.autograd.grad(g, x, grad_outputs=v)       # vᵀ (d∇f/dx) = H v（H是对称的）
print(f"∇f(x) = {rounded(g)}")
print(f"H v   = {rounded(hv)}")

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
v_ours = afs.tensor([1.0, 0.0, -1.0], dtype=afs.float64)
(g_ours,) = afs.autograd.grad(f(x_ours), x_ours, create_graph=True)
(hv_ours,) = afs.autograd.grad(g_ours, x_ours, grad_outputs=v_ours)
print(f"∇f(x) = {rounded(g_ours)}")
print(f"H v   = {rounded(hv_ours)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同一段代码在两个引擎的张量上运行；两次`autograd.grad`调用得到Hv。

# %% slideshow={"slide_type": "fragment"}
xn, vn = to_numpy(x), to_numpy(v)
tn = np.tanh(xn)
H_by_hand = 4 * (xn @ xn) * np.eye(3) + 8 * np.outer(xn, xn) - np.diag(2 * tn * (1 - tn ** 2))
report("H v", hv_ours, hv)
report("H v (torch's hvp)", hv_ours, torch.autograd.functional.hvp(f, x.detach(), v)[1])
print(f"H v等于H_by_hand @ v：{agree(hv_ours, H_by_hand @ vn)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：与为这个f手写的黑塞矩阵对照：得到同一个向量，误差在1e-12以内。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 完整的黑塞矩阵：梯度的雅可比矩阵
#
# 梯度$\nabla f$是一个函数$\mathbb{R}^3 \to \mathbb{R}^3$，它的雅可比矩阵（Jacobian）就是$H$。`functional.jacobian`逐行构造它，每行一次反向传播：共$n$次，而$Hv$只需要一次。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：完整的黑塞矩阵就是梯度的雅可比矩阵：对一个用create_graph求出的梯度调用`functional.jacobian`，需要n次反向传播。

# %% slideshow={"slide_type": "fragment"}
def grad_f(x):
    return torch.autograd.grad(f(x), x, create_graph=True)[0]


def grad_f_ours(x):
    return afs.autograd.grad(f(x), x, create_graph=True)[0]


H = torch.autograd.functional.jacobian(grad_f, x.detach())
H_ours = afs.autograd.functional.jacobian(grad_f_ours, x_ours.detach())
print(rounded(H_ours))
report("Hessian", H_ours, H)
print(f"等于公式：{agree(H_ours, H_by_hand)} | 对称：{agree(H_ours, H_ours.T)}")
print(f"H @ v等于前面求出的H v：{agree(H_ours @ v_ours, hv_ours)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：值得讲出来的代价：无论n多大，一次HVP大约只花两次梯度计算；完整的黑塞矩阵要花n次，还要n²的内存。对于有几百万个参数的网络，只有HVP负担得起。torch有`torch.autograd.functional.hessian`和`hvp`；我们的引擎有`jacobian`和`vjp`，这个单元格表明，黑塞矩阵不过就是梯度的`jacobian`。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · 原地操作和版本计数器
#
# 原地操作（`add_`、`mul_`、`x += 1`、`x[0] = 5`）会覆盖张量的值。自动求导（autograd）允许这样做，并把它记录为一个新节点：张量随后指向新的`grad_fn`。每个张量都带着一个**版本计数器**`t._version`，每次原地修改都让它加一。

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
y = x * 2
print(f"y = x * 2之后的版本：{y._version}")
y.mul_(3)
y.add_(1)
print(f"mul_、add_之后的版本：{y._version} | y.grad_fn：{y.grad_fn.name()}")
y.sum().backward()
print(f"x.grad: {rounded(x.grad)}   (d(6x + 1)/dx = 6)")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：原地操作会让张量的版本计数器加一。提问：如果反向传播需要的值被覆盖了，会出什么问题？（见下一张幻灯片。）

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.0, 1.0, 2.0], dtype=afs.float64, requires_grad=True)
y_ours = x_ours * 2
print(f"y = x * 2之后的版本：{y_ours._version}")
y_ours.mul_(3)
y_ours.add_(1)
print(f"mul_、add_之后的版本：{y_ours._version} | y.grad_fn：{y_ours.grad_fn.name()}")
y_ours.sum().backward()
print(f"x.grad: {rounded(x_ours.grad)}   (d(6x + 1)/dx = 6)")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎里，计数器都随每次原地修改变为0、1、2。

# %% slideshow={"slide_type": "fragment"}
report("x.grad", x_ours.grad, x.grad)
print(f"两个引擎的计算图相同：{graph_edges(y_ours) == graph_edges(y)}")
side_by_side(y_ours, y, params=[("x", x_ours), ("x", x)], title="y = x * 2;  y.mul_(3);  y.add_(1)")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：为什么这些原地操作无害：乘以常数的`mul`在反向传播时只需要那个常数，`add`的反向传播什么都不需要，所以没有哪个节点保存了被覆盖的值。下一张幻灯片就是某个节点确实保存了它们的情形。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 当反向传播需要旧值时
#
# $y = e^x$为反向传播保存的是它的*输出*，因为$\frac{d}{dx}e^x = e^x = y$。如果随后`y.add_(1)`覆盖了$y$，反向传播就会算出$e^x + 1$而不是$e^x$：一个悄无声息的错误梯度。保存的张量（saved tensor）记得自己被保存时的版本（0）；到反向传播时它已是版本1，两个引擎都会拒绝计算。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：exp保存了它的输出，所以在y = x.exp()之后原地修改y会破坏梯度。两个引擎都报同样的错误，而不是给出一个错误的数。

# %% slideshow={"slide_type": "fragment"}
def exp_then_add_(lib):
    x = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = x.exp()       # ExpBackward0保存了y
    y.add_(1)         # y：版本0 -> 1
    y.sum().backward()


print(f"torch -> {error_of(lambda: exp_then_add_(torch))}\n")
print(f"afs   -> {error_of(lambda: exp_then_add_(afs))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：读报错的最后一行：它给出了张量当时和现在的版本。

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "subslide"}
# ### 检查的原理
#
# `ctx.save_for_backward`把每个张量连同它此刻的版本一起包装起来；在反向传播中读取`ctx.saved_tensors`时，把这个版本和当前版本比较：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：save_for_backward记下每个张量的版本；读取saved_tensors时比较版本。简单，而且正是torch的机制。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.graph.SavedTensor))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：整个检查就是SavedTensor：短到可以在幻灯片上读完。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 解决办法，以及每个优化器都做的原地修改
#
# 在副本上操作（`y = x.exp().clone()`，然后`y.add_(1)`），或者用非原地的`y + 1`。对需要梯度的*叶子节点*做原地修改会被直接拒绝（它的`.grad`描述的将是它已不再持有的值），除非在`no_grad()`下进行：SGD的一步就是这样更新参数的（08号笔记本），而版本号照样会增加。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：解决办法是在原地修改之前先复制一份（clone）。而每个优化器都做的原地修改之所以安全，是因为它在反向传播之后、在no_grad下运行。

# %% slideshow={"slide_type": "fragment"}
def exp_clone_add_(lib):
    x = lib.tensor([0.0, 1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x.exp().clone()   # ExpBackward0保存的是exp(x)；clone得到的是另一个张量
    y.add_(1)
    y.sum().backward()
    return x


def sgd_like_update(lib):
    x = exp_clone_add_(lib)
    refused = error_of(lambda: x.sub_(0.1 * x.grad), first_line=True)
    with lib.no_grad():
        x.sub_(0.1 * x.grad)
    return x, refused


for name, lib in (("torch", torch), ("afs  ", afs)):
    x_after, refused = sgd_like_update(lib)
    print(f"{name} x.grad = e^x：{agree(x_after.grad, np.exp([0.0, 1.0, 2.0]))}"
          f" | 在no_grad下：x = {rounded(x_after)}，版本{x_after._version}\n"
          f"      不用no_grad -> {refused}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：用clone的写法在两个引擎里都得到x.grad = e^x；在no_grad下做优化器式的更新，版本号增加，不报任何错误。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 通过视图原地修改：改写历史
#
# 视图（view）与它的基张量（base）共享内存：执行`b.mul_(3)`之后，视图`v = b[:2]`里的值也变成了原来的三倍，所以它的梯度必须带上这个3。torch为此不复制任何东西，而是**改写历史**：基张量接过原地操作的节点，每个仍然存在的视图都得到一个`AsStridedBackward0`节点，从新的基张量中读出自己的值。反过来，*通过*视图做的原地操作（`b[0].mul_(...)`）会给基张量一个`CopySlices`节点：在视图覆盖的那些元素上，基张量的梯度经过这个操作；在其他地方则直接穿过。afs也这样做，逐个节点都相同：

# %% slideshow={"slide_type": "fragment"}
def rebased(lib):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([5.0, 6.0], dtype=lib.float64)
    b = x.clone()
    v = b[:2]        # v与b共享内存
    b.mul_(3)        # 所以v的值也变了
    (v * w).sum().backward()
    c = x.clone()
    c[0].mul_(x[1])  # 通过c的一个视图原地修改
    return rounded(x.grad), v.grad_fn.name(), b.grad_fn.name(), c.grad_fn.name().split("::")[-1]


for name, lib in (("torch", torch), ("afs  ", afs)):
    grad, v_node, b_node, c_node = rebased(lib)
    print(f"{name} x.grad = {grad}（3w，然后是0）| v: {v_node}, b: {b_node}, c: {c_node}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：学生容易在这里糊涂：视图看起来像副本，其实不是。提问：如果引擎忽略这次原地修改，x.grad会是什么？（是w而不是3w。）节点名揭示了torch的诀窍：什么都不复制，而是改写计算图。CopySlices的源码在下面。

# %% slideshow={"slide_type": "subslide"}
from autograd_from_scratch.ops.inplace import CopySlices

print(inspect.getsource(CopySlices))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · 自己的运算：自定义`Function`
#
# 当某个运算不是内置的，或者它的反向传播能写得比自动求导推导出来的更好时，就继承`Function`：写一个`forward`和一个`backward`，都是静态方法，用`ctx`保存反向传播需要的东西。我们的例子是softplus，$s(x) = \log(1 + e^x)$，其导数$s'(x) = \sigma(x) = 1/(1 + e^{-x})$。两个类只有基类不同。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：当运算不是内置的，或者它的反向传播可以写得更好时，就自定义Function。以softplus为例：前向传播（forward）是log(1 + e^x)，反向传播是sigmoid(x)。

# %% slideshow={"slide_type": "fragment"}
class Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid()


softplus = Softplus.apply
print("torch的Softplus已定义")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch的类和我们的类，类体完全相同；只有基类不同。

# %% slideshow={"slide_type": "fragment"}
class Softplus(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid()


softplus_ours = Softplus.apply
print("我们的Softplus已定义")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：类名`Softplus`是有意重复使用的：每个单元格都立刻把自己的`.apply`绑定到不同的名字上，于是两张计算图显示同样的节点名`SoftplusBackward`。torch用类名加“Backward”给自定义节点命名，我们也一样。

# %% slideshow={"slide_type": "subslide"}
x = torch.tensor([0.5, -1.0, 2.0, -3.0], dtype=torch.float64, requires_grad=True)
loss = softplus(x).sum()
loss.backward()

x_ours = afs.tensor([0.5, -1.0, 2.0, -3.0], dtype=afs.float64, requires_grad=True)
loss_ours = softplus_ours(x_ours).sum()
loss_ours.backward()

report("softplus(x).sum()", loss_ours, loss)
report("x.grad", x_ours.grad, x.grad)
report("x.grad vs torch's F.softplus", x_ours.grad,
       torch.autograd.grad(torch.nn.functional.softplus(x).sum(), x)[0])
print(f"两个引擎的计算图相同：{graph_edges(loss_ours) == graph_edges(loss)}")
side_by_side(loss_ours, loss, params=[("x", x_ours), ("x", x)])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎的值、梯度和计算图（一个SoftplusBackward节点）都一致。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `gradcheck`：我的反向传播写对了吗？
#
# 手写的反向传播可能是错的，而且不会有任何报错：训练只会变差。`gradcheck`把反向传播得出的雅可比矩阵和用中心差分算出的雅可比矩阵逐列比较：
#
# $$\frac{\partial f}{\partial x_j} \approx \frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}.$$
#
# 要用float64：在float32下，差商会丢掉大部分有效数字。

# %% slideshow={"slide_type": "fragment"}
print(f"torch: {torch.autograd.gradcheck(softplus, (x,))}")
print(f"afs  : {afs.autograd.gradcheck(softplus_ours, (x_ours,))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：反向传播写错了，什么都不会报错：训练只是变差。每个自定义运算都应该写一个gradcheck测试。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们的`gradcheck`用`functional.jacobian`构造解析雅可比矩阵（每个输出元素一次反向传播），数值雅可比矩阵则像下面这样构造，每次处理一个输入元素：

# %% slideshow={"slide_type": "fragment"}
gradcheck_module = inspect.getmodule(afs.autograd.gradcheck)  # autograd/gradcheck.py
print(inspect.getsource(gradcheck_module.numerical_jacobian))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的gradcheck的全貌：解析雅可比矩阵来自`functional.jacobian`，数值雅可比矩阵来自中心差分，两者用atol和rtol比较。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## gradcheck抓住错误的反向传播
#
# 一个很容易犯的错误：写成了*内层*函数的导数$e^x$，而不是$\sigma(x) = e^x / (1 + e^x)$。前向传播仍然正确，所以损失（loss）看起来没问题；只有梯度是错的。两个gradcheck都会报错（torch的错误是`GradcheckError`，它是`RuntimeError`的子类）；设置`raise_exception=False`时，它们改为返回`False`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这个容易犯的错误：用了内层函数的导数e^x，而不是sigmoid(x)。两个引擎的gradcheck都能抓住它。

# %% slideshow={"slide_type": "fragment"}
class WrongSoftplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.exp()  # 错了：应该是x.sigmoid()


wrong_softplus = WrongSoftplus.apply
print(f"torch -> {error_of(lambda: torch.autograd.gradcheck(wrong_softplus, (x,)), first_line=True)}")
print(f"torch, raise_exception=False -> {torch.autograd.gradcheck(wrong_softplus, (x,), raise_exception=False)}")

# %% slideshow={"slide_type": "fragment"}
class WrongSoftplus(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.exp()  # 错了：应该是x.sigmoid()


wrong_softplus_ours = WrongSoftplus.apply
print(f"afs   -> {error_of(lambda: afs.autograd.gradcheck(wrong_softplus_ours, (x_ours,)), first_line=True)}")
print(f"afs, raise_exception=False -> {afs.autograd.gradcheck(wrong_softplus_ours, (x_ours,), raise_exception=False)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同样写错的类，在我们的引擎里同样通不过gradcheck。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 逐元素函数的雅可比矩阵是对角矩阵；看它的对角线就明白了：

# %% slideshow={"slide_type": "fragment"}
numerical = (softplus_ours(x_ours + 1e-6) - softplus_ours(x_ours - 1e-6)) / 2e-6
analytical = afs.autograd.grad(wrong_softplus_ours(x_ours).sum(), x_ours)[0]
print("   x     数值导数   错误的反向传播")
for xi, ni, ai in zip(rounded(x_ours), rounded(numerical), rounded(analytical)):
    print(f"{xi:+5.1f}   {ni:9.4f}   {ai:9.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：雅可比矩阵的对角线说明了一切：解析结果是e^x，数值结果是sigmoid(x)。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 为什么用float64
#
# 同一个*正确的*Softplus，在float32下两个引擎的gradcheck都通不过：取$\varepsilon = 10^{-6}$时，$f(x \pm \varepsilon)$只在float32保留的最后几位上有差别。

# %% slideshow={"slide_type": "fragment"}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # 两个引擎都会警告输入不是float64：这正是要演示的
    ok32 = torch.autograd.gradcheck(softplus, (x.detach().float().requires_grad_(),), raise_exception=False)
    ok32_ours = afs.autograd.gradcheck(softplus_ours, (x_ours.detach().float().requires_grad_(),),
                                       raise_exception=False)
print(f"正确的反向传播，float32 -> torch：{ok32} | afs：{ok32_ours}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在float32下，连正确的Softplus也通不过：eps = 1e-6已经接近float32的分辨率（约1e-7）。gradcheck一定要在float64下做。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 自定义的反向传播本身也可以求导
#
# 我们的`backward`是用张量运算写的（`grad * x.sigmoid()`），所以在`create_graph=True`下它和其他计算一样会被记录，穿过`Softplus`求二阶导数也没问题：$s''(x) = \sigma(x)(1 - \sigma(x))$。torch用`gradgradcheck`检查它；我们对梯度函数运行`gradcheck`，效果相同。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的backward是用张量运算写的，所以在create_graph下它本身会被记录，可以再求导。

# %% slideshow={"slide_type": "fragment"}
def softplus_grad_ours(x):
    """s'(x)，被记录下来（create_graph=True），以便再次求导。"""
    return afs.autograd.grad(softplus_ours(x).sum(), x, create_graph=True)[0]


(d1,) = torch.autograd.grad(softplus(x).sum(), x, create_graph=True)
(d2,) = torch.autograd.grad(d1.sum(), x)
(d2_ours,) = afs.autograd.grad(softplus_grad_ours(x_ours).sum(), x_ours)
sig = 1 / (1 + np.exp(-to_numpy(x_ours)))
report("s''(x)", d2_ours, d2)
print(f"等于σ(1 - σ)：{agree(d2_ours, sig * (1 - sig))}")
print(f"torch gradgradcheck: {torch.autograd.gradgradcheck(softplus, (x,))}")
print(f"afs对梯度的gradcheck：{afs.autograd.gradcheck(softplus_grad_ours, (x_ours,))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：经过我们自定义的backward求出的softplus二阶导数与torch的一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 穿过各层也行：梯度惩罚
#
# ResNet中计算量大的那些层为了速度，用几个numpy调用来计算反向传播：卷积（convolution）在`ops/conv.py`中，批量规范化（batch norm）在`ops/norm.py`中，池化（pooling）在`ops/pool.py`中。和torch一样，每个这样的反向计算本身也是一个有自己反向传播的运算（`ConvolutionBackwardBackward0`……），所以`create_graph=True`能穿过整个CNN：这里求的是梯度惩罚$\lVert \partial L / \partial x \rVert^2$对每个权重（weight）的梯度。

# %% slideshow={"slide_type": "fragment"}
def penalty_grads(lib, x_values, net):
    """d/dθ ‖∂L/∂x‖²：穿过`net`每一层的二阶导数。"""
    x = lib.tensor(x_values, requires_grad=True)
    (g,) = lib.autograd.grad(net(x).sum(), x, create_graph=True)
    (g * g).sum().backward()
    return [p.grad for p in net.parameters()]


def small_cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Tanh(), nn.MaxPool2d(2)).double()


torch.manual_seed(0)
net_t, net_ours = small_cnn(torch.nn), small_cnn(afs.nn)
net_ours.load_state_dict(net_t.state_dict())
x_values = np.random.default_rng(0).standard_normal((2, 1, 6, 6))
ours, theirs = penalty_grads(afs, x_values, net_ours), penalty_grads(torch, x_values, net_t)
print("穿过卷积、批量规范化和最大池化的二阶导数与torch的一致：",
      all(agree(a, b, 1e-10) for a, b in zip(ours, theirs)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：梯度惩罚（如WGAN-GP中的）需要穿过每一层的二阶导数。torch为每一层的反向传播又写了一个反向传播；afs也是如此，它的测试用`gradgradcheck`把每一个都和有限差分（finite differences）对照。如果在普通数组上写反向传播而不配这样一个运算，它就只能是`@once_differentiable`：在create_graph下可以用，但再次求导时会报错。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("beyond_the_basics", N)`，就能载入第N题的参考答案（来自`solutions/09_beyond_the_basics.py`）。
#
# 1. **用钩子按范数裁剪**：缩放到达$h$的梯度，使它的欧几里得范数不超过1：$g \mapsto g \cdot \min(1, 1/\lVert g\rVert)$。
# 2. **三阶导数**：在`afs`中嵌套调用`afs.autograd.grad`，求$\frac{d^3}{dx^3}\tanh x$在$x = 0.5$处的值（手算：$-2(1 - t^2)(1 - 3t^2)$，其中$t = \tanh x$）。
# 3. **Softsign的反向传播**：$\operatorname{softsign}(x) = \frac{x}{1 + |x|}$，导数为$\frac{1}{(1 + |x|)^2}$。写出反向传播，让`gradcheck`来评判。
#
# 每道练习都有一段待填写的代码框架，还有一个检查，告诉你是否做对了。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：三道练习：每道给六分钟，或者课上做一道，另外两道留作作业。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习1 · 用钩子按范数裁剪
#
# 填写`clip_to_unit_norm(grad)`。我们的引擎中张量`g`的范数是`(g * g).sum().sqrt()`。检查会在一个范数大于1的梯度（应当缩小）和一个范数小于1的梯度（应当保持不变）上运行它。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先问学生：g的范数用张量运算怎么写？什么时候g应该保持原样？检查用同一个公式手工裁剪torch算出的梯度，再和你的结果比较。

# %% slideshow={"slide_type": "fragment"}
def clip_to_unit_norm(grad):
    return grad  # TODO：返回按min(1, 1 / ||grad||)缩放后的grad


print("clip_to_unit_norm已定义")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_1():
    with _course.exercise(1) as check:
        for scale in (1.0, 0.01):  # h处梯度的范数先是约9.6，然后约0.096
            x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
            h_ours = 3 * x_ours.tanh()
            h_ours.register_hook(clip_to_unit_norm)
            (scale * (h_ours ** 2).sum()).backward()
            # 参考答案：torch算出的h的梯度，手工裁剪后，再反向传过h = 3 tanh(x)。
            x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
            h = 3 * x.tanh()
            (g,) = torch.autograd.grad((scale * (h ** 2).sum()), h, retain_graph=True)
            norm = g.norm().item()
            (expected,) = torch.autograd.grad(h, x, grad_outputs=g * min(1.0, 1.0 / norm))
            check.same(x_ours.grad, expected, f"h处梯度的范数为{norm:.3g}时的x.grad"
                       f"（{'to scale down to 1' if norm > 1 else 'below 1: to leave as it is'}）")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习2 · 三阶导数
#
# 令`third`等于用`afs.autograd.grad`算出的$\frac{d^3}{dx^3}\tanh x$在$x = 0.5$处的值（记住：除最后一次外，每次求导都要加`create_graph=True`）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：三次嵌套的`autograd.grad`调用，除最后一次外都要加create_graph=True。常见错误：第二次调用忘了加create_graph。

# %% slideshow={"slide_type": "fragment"}
x2_ours = afs.tensor(0.5, dtype=afs.float64, requires_grad=True)
print("x2_ours =", x2_ours)

# %% slideshow={"slide_type": "fragment"}
third = None  # TODO：从x2_ours.tanh()开始，嵌套调用afs.autograd.grad三次
print(f"third = {third}")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_2():
    with _course.exercise(2) as check:
        check.answered(third, "third")
        x2 = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        (d1,) = torch.autograd.grad(x2.tanh(), x2, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x2, create_graph=True)
        (d3,) = torch.autograd.grad(d2, x2)
        check.true(not np.isclose(to_numpy(third), to_numpy(d1.detach())), "third是一阶导数，"
                   "1 - tanh²(x)：还要再求导两次")
        check.true(not np.isclose(to_numpy(third), to_numpy(d2.detach())), "third是二阶导数："
                   "还要再求导一次")
        check.same(third, d3, "third与torch的三阶导数对照", rtol=1e-12)


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习3 · Softsign的反向传播
#
# `forward`已经写好了；请填写`backward`。我们的引擎里有`x.abs()`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：d/dx x / (1 + |x|) = 1 / (1 + |x|)^2。在forward里保存x；gradcheck在检查单元格里运行。

# %% slideshow={"slide_type": "fragment"}
class Softsign(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return None  # TODO：grad乘以softsign的导数


print("Softsign已定义")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_3():
    with _course.exercise(3) as check:
        x3 = torch.tensor([0.5, -1.0, 2.0, -3.0], dtype=torch.float64, requires_grad=True)
        x3_ours = afs.tensor([0.5, -1.0, 2.0, -3.0], dtype=afs.float64, requires_grad=True)
        upstream = [1.0, -2.0, 3.0, 0.5]  # 不全是1：backward必须乘以grad
        (expected,) = torch.autograd.grad((torch.nn.functional.softsign(x3) * torch.tensor(upstream)).sum(), x3)
        (got,) = afs.autograd.grad((Softsign.apply(x3_ours) * afs.tensor(upstream, dtype=afs.float64)).sum(), x3_ours)
        check.same(got, expected, f"上游梯度为{upstream}时Softsign的梯度与"
                   "torch的F.softsign对照", rtol=1e-12)
        check.true(afs.autograd.gradcheck(Softsign.apply, (x3_ours,), raise_exception=False),
                   "gradcheck（有限差分）与Softsign.backward不一致")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - 张量上的**钩子**在反向传播过程中看到它的梯度，如果返回一个张量，就替换掉梯度（裁剪、缩放）；叶子节点上的钩子在写入`.grad`之前起作用；句柄的`remove()`把钩子取下。
# - **`autograd.grad`**：返回梯度，即使是非叶子张量的梯度也可以，而且不动`.grad`。
# - **`create_graph=True`**：把反向传播记录成计算图，于是导数可以再求导：二阶导数、只多花一次反向传播的黑塞矩阵-向量积，以及完整的黑塞矩阵（即梯度的雅可比矩阵）。
# - 每个张量都有一个**版本计数器**；保存的张量如果之后被原地修改，反向传播会明确报错，而不是返回错误的梯度。
# - **自定义的`Function`类**由一个forward和一个backward组成；**`gradcheck`**（在float64下）把它的backward和有限差分比较，能抓住写错的backward。
#
# **下一讲：**[10 · 训练循环](10_training_loop.ipynb)：把`backward()`、`no_grad()`和原地的参数更新反复执行，直到模型学会。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：钩子查看并修改梯度，`autograd.grad`返回梯度，create_graph给出高阶导数，版本计数器守护保存的值，gradcheck检验自定义运算。下一讲：一个真正的训练循环。
