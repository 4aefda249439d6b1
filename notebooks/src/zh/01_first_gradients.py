# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · 初识梯度
#
# **你将学到**
# - `torch.autograd`怎样计算$Q = 3a^3 - b^2$的梯度（gradient），以及检验它们的三种方法：手算、用另一个引擎算、用有限差分（finite differences）算；
# - 当输出是向量而不是单个数时，`backward`的`gradient=`参数是什么意思。
#
# **前置知识：**[00 · 训练步](00_the_training_step.ipynb)（那里运行了完整的一个训练步），以及微积分里的导数（derivative）。和本系列的每个笔记本一样，每一步都在PyTorch和`autograd_from_scratch`（`afs`，我们自己在numpy上写的引擎）里各运行一次。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这个例子来自官方教程“A Gentle Introduction to `torch.autograd`”的“自动求导中的微分”一节（Differentiation in Autograd）。第一个笔记本要讲得轻松些：机制，即计算图（computational graph）、节点（node）和引擎，留到02到04号笔记本再讲。这里要传达的是：“自动求导给出的数和你手算的一样，而且有三种相互独立的方法可以确认”。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 为什么需要梯度？
#
# 神经网络是一串嵌套的函数，它们的*参数*（parameter），即权重（weight）和偏置（bias），存放在张量（tensor）里。训练就是反复执行两步：
#
# 1. **前向传播**（forward pass）：让输入经过这些函数得到预测，并度量误差，即*损失*（loss）；
# 2. **反向传播**（backward pass）：计算损失对每个参数的导数（即*梯度*），然后让每个参数逆着它的梯度移动一小步（梯度下降）。
#
# `torch.autograd`就是第2步背后的引擎。00号笔记本在一个完整的ResNet18上运行了这样的一步；现在我们把它拆开来看，从能说明一切的最小例子开始。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：从整个系列要回答的问题讲起：为了降低损失，每个参数应该往哪个方向移动？梯度一次就对所有参数给出答案。问大家ResNet18有多少个参数（1170万，在00号笔记本里见过）。

# %% slideshow={"slide_type": "subslide"}
import inspect
import textwrap

import numpy as np
import torch

import autograd_from_scratch as afs
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("已导入torch和autograd_from_scratch")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 两个需要梯度的张量
#
# `requires_grad=True`告诉自动求导（autograd）记录用这些张量做的每一个运算，以便之后沿着这些运算求导。在torch里：

# %% slideshow={"slide_type": "fragment"}
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
print(a)
print(b)

# %% [markdown] slideshow={"slide_type": "fragment"}
# 在我们的引擎里也是同样的两行：名字和torch的一样，只有模块（module）不同。

# %% slideshow={"slide_type": "fragment"}
a_ours = afs.tensor([2., 3.], requires_grad=True)
b_ours = afs.tensor([6., 4.], requires_grad=True)
print(a_ours)
print(b_ours)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`requires_grad=True`是唯一的开关。问大家：如果a和b不需要梯度，`Q.grad_fn`会是什么？（None：什么都没有记录。）指出dtype：两个引擎默认都是float32。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 函数$Q = 3a^3 - b^2$
#
# 把`a`和`b`看作一个模型的参数，把`Q`看作它的误差。这些运算都是逐元素（elementwise）的，所以`Q`是含两个数的向量，$Q_i = 3a_i^3 - b_i^2$。

# %% slideshow={"slide_type": "fragment"}
Q = 3 * a**3 - b**2
print(Q)

# %% slideshow={"slide_type": "fragment"}
Q_ours = 3 * a_ours**3 - b_ours**2
print(Q_ours)

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("Q", Q_ours, Q)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：指出两次打印中的`grad_fn=<SubBackward0>`：最后一个运算是减法，结果记得自己是怎样算出来的。这段记下来的历史就是02号笔记本的主题。`afs.compare.report`打印形状，以及数值是否在容差内一致；它从不打印原始的差值，所以每台机器上的输出都一样。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 手算导数
#
# 每个$Q_i$只依赖于$a_i$和$b_i$，所以用幂函数的求导法则就能得到全部结果：
#
# $$\frac{\partial Q}{\partial a} = 9a^2, \qquad \frac{\partial Q}{\partial b} = -2b .$$
#
# 在$a = (2, 3)$和$b = (6, 4)$处：
#
# $$9a^2 = (36,\ 81), \qquad -2b = (-12,\ -8).$$
#
# 这就是自动求导必须在`a.grad`和`b.grad`里给出的数。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在幻灯片给出答案之前，让全班自己用幂函数求导法则算：dQ/da = 9a^2，dQ/db = -2b。把这四个数（36、81、-12、-8）写在黑板上；后面每一张幻灯片都必须重现它们。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## torch里的`backward`
#
# 对`Q`调用`.backward()`就会运行反向传播：自动求导算出梯度，并存放在每个叶子节点（leaf）的`.grad`里。因为`Q`是向量，我们还必须说明怎样给它的各个元素加权：`gradient=`是一个与`Q`形状相同的张量；`[1., 1.]`表示对每个元素都有$\frac{\partial Q}{\partial Q} = 1$（后面会详细讲）。

# %% slideshow={"slide_type": "fragment"}
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(f"a.grad = {a.grad}")
print(f"b.grad = {b.grad}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# 这些梯度和我们手算的导数完全相同：

# %% slideshow={"slide_type": "fragment"}
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：运行它：梯度落在叶子节点的`a.grad`和`b.grad`里，而不是`Q`里。容易混淆的一点：`backward`什么也不返回，它把结果写进`.grad`。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 在我们的引擎里也一样

# %% slideshow={"slide_type": "fragment"}
external_grad_ours = afs.tensor([1., 1.])
Q_ours.backward(gradient=external_grad_ours)
print(f"a.grad = {a_ours.grad}")
print(f"b.grad = {b_ours.grad}")
print(9 * a_ours**2 == a_ours.grad)
print(-2 * b_ours == b_ours.grad)

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad", a_ours.grad, a.grad)
afs.compare.report("b.grad", b_ours.grad, b.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的引擎算出同样的四个数，检查单元格也确认了这一点。强调每个笔记本里反复出现的这组搭配：torch单元格、afs单元格、检查单元格。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第三种检验：有限差分
#
# 导数是差商的极限。*中心差分*
#
# $$\frac{\partial f}{\partial x_j} \approx \frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}$$
#
# 只需要函数本身，所以用它检验自动求导时，不必信任自动求导的任何机制。我们用float64的纯numpy来算（在float32下，差商会丢掉大部分有效数字），求导的对象是$L = Q_1 + Q_2$，也就是`gradient=[1., 1.]`所代表的那个和。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这是第三种独立的检验，完全不用微积分。问大家为什么用中心差分，而不用`(f(x+h) - f(x))/h`：误差是`O(h^2)`而不是`O(h)`。

# %% slideshow={"slide_type": "subslide"}
def L_numpy(a, b):
    """Q的各元素之和，在纯numpy数组上计算。"""
    return np.sum(3 * a**3 - b**2)


def central_differences(f, x, eps=1e-6):
    """只用f本身，对每个j求d f / d x_j。"""
    grad = np.zeros_like(x)
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = eps
        grad[j] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


print("已定义L_numpy和central_differences")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：纯numpy，没有自动求导：这就是我们要估计其导数的函数。注意它对Q求和，这和后面幻灯片上的`gradient=[1, 1]`是一回事。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在$a = (2, 3)$、$b = (6, 4)$处，每次对一个输入求导：

# %% slideshow={"slide_type": "fragment"}
a_np, b_np = np.array([2., 3.]), np.array([6., 4.])
fd_a = central_differences(lambda x: L_numpy(x, b_np), a_np)
fd_b = central_differences(lambda x: L_numpy(a_np, x), b_np)
print(f"有限差分，dL/da：{fd_a.round(4)}")
print(f"有限差分，dL/db：{fd_b.round(4)}")

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad对比有限差分", a_ours.grad, fd_a, tol=1e-5)
afs.compare.report("b.grad对比有限差分", b_ours.grad, fd_b, tol=1e-5)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在float64下，差分的结果和梯度的一致程度约为1e-6，而不是完全相等：差分只是近似。问大家h = 1e-12时会怎样（舍入误差占主导）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 本项目的包可以对任何函数做同样的检查：和`torch.autograd.gradcheck`一样，`afs.autograd.gradcheck`把反向传播求出的整个雅可比矩阵（Jacobian）和中心差分求出的相比较（两者都要求float64的输入）。

# %% slideshow={"slide_type": "fragment"}
a64 = afs.tensor([2., 3.], dtype=afs.float64, requires_grad=True)
b64 = afs.tensor([6., 4.], dtype=afs.float64, requires_grad=True)
ok_ours = afs.autograd.gradcheck(lambda a, b: 3 * a**3 - b**2, (a64, b64))
print(f"afs  : {ok_ours}")

a64_t = torch.tensor([2., 3.], dtype=torch.float64, requires_grad=True)
b64_t = torch.tensor([6., 4.], dtype=torch.float64, requires_grad=True)
ok_torch = torch.autograd.gradcheck(lambda a, b: 3 * a**3 - b**2, (a64_t, b64_t))
print(f"torch: {ok_torch}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`gradcheck`就是把同样的想法用到输入的每一个元素上；我们在04号笔记本里用它来测试自定义算子。这里一句话带过即可。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 为什么要`gradient=`？
#
# 不给它，两个引擎都会拒绝：没有一个单独的数可以求导。

# %% slideshow={"slide_type": "fragment"}
def show_error(engine, call):
    """运行`call()`（它应当失败），并打印它抛出的错误。"""
    try:
        call()
        print(f"{engine}：没有报错")
    except RuntimeError as e:
        print(textwrap.fill(f"{engine}: {type(e).__name__}: {e}", width=96, subsequent_indent="    "))


Q = 3 * a**3 - b**2
Q_ours = 3 * a_ours**3 - b_ours**2
show_error("torch", lambda: Q.backward())
show_error("afs  ", lambda: Q_ours.backward())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这个报错本身就是要讲的内容：输出不是标量（scalar）时，调用`backward`需要一个向量给各个输出加权。两个引擎都拒绝，报错信息也相同。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `gradient=v`是对输出的加权
#
# 反向传播从不构造雅可比矩阵$J = \partial Q / \partial a$。它计算的是一个*向量-雅可比积*（vector-Jacobian product）：给定$v$（形状与$Q$相同），叶子节点得到
#
# $$v^\top J = \frac{\partial}{\partial a} \left( \sum_i v_i Q_i \right).$$
#
# 当$v = (1, 1)$时，这就是$\sum_i Q_i$的梯度：与`Q.sum().backward()`相同。

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad = None, None  # 从空的.grad开始（02号笔记本会讲为什么这很重要）
Q.sum().backward()
print(f"torch, Q.sum().backward(): {a.grad} {b.grad}")

a_ours.grad, b_ours.grad = None, None
Q_ours.sum().backward()
print(f"afs,   Q.sum().backward(): {a_ours.grad} {b_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一句话概括05号笔记本的核心思想：反向传播计算v^T J，而不构造J。当v = (1, 1)时，它就是Q.sum()的梯度。

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad，通过Q.sum()", a_ours.grad, a.grad)
same = bool((a.grad == 9 * a**2).all()) and bool((b.grad == -2 * b).all())
print(f"与gradient=[1., 1.]时相同（9a²和-2b）：{same}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在两个引擎里，`Q.backward(gradient=ones)`和`Q.sum().backward()`给出相同的`.grad`：检查打印True。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 换一个$v$，就是换一种加权方式。$v = (1, 0)$只保留$Q_1$：梯度的第二个元素变成0。

# %% slideshow={"slide_type": "fragment"}
a.grad = None
(3 * a**3 - b**2).backward(gradient=torch.tensor([1., 0.]))
a_ours.grad = None
(3 * a_ours**3 - b_ours**2).backward(gradient=afs.tensor([1., 0.]))
print(f"torch a.grad: {a.grad}")
print(f"afs   a.grad: {a_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：v = (1, 0)只保留Q_1，所以每个梯度的第二个元素都是0。在运行下一个单元格之前，请全班预测v = (0, 2)时的`a.grad`。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们的引擎在哪里检查这一点：反向传播的初始梯度由`root_gradient`（在`autograd_from_scratch/autograd/engine.py`里）生成。只有输出只含一个元素时，才允许省略`gradient=`：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.engine.root_gradient))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：对标量输出，初始梯度就是1（`np.ones(root.shape)`），所以训练循环里的`loss.backward()`不需要参数。这个函数里的第二个错误（形状不匹配）torch也有。问全班：`gradient=[2., 2.]`会得到什么？（梯度的两倍。）

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 背后的计算图
#
# 为了运行反向传播，每个引擎都记录了`Q`是怎样算出来的：一个由运算组成的计算图，从叶子节点`a`和`b`（蓝色）到输出`Q`（绿色）。用同一个函数画出两个引擎的图，它们的每个方框都一样。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：指出叶子节点（蓝色）、根节点（root，绿色）和它们之间的运算；02号笔记本整个都在讲这张图。两个引擎画出的是同一张图。

# %% slideshow={"slide_type": "fragment"}
print(f"节点相同，边也相同：{afs.viz.graph_edges(Q_ours) == afs.viz.graph_edges(Q)}")
leaf_names = [("a", a), ("b", b), ("Q", Q), ("a", a_ours), ("b", b_ours), ("Q", Q_ours)]
afs.viz.side_by_side(Q_ours, Q, params=leaf_names)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：按反向传播的方向自下而上读这张图：`SubBackward0`把传入梯度的+1倍送到左分支、-1倍送到右分支；`MulBackward0`乘以3；每个`PowBackward0`应用幂函数的求导法则。02号笔记本会逐个节点地走一遍这张图。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 动手试试：改变`a`和`b`
#
# 当`a`和`b`各只有一个数时，$Q = 3a^3 - b^2$是标量，`backward()`不需要`gradient=`。滑块会实时重新计算两个引擎的梯度（需要正在运行的内核）；下面打印的表格对几组取值给出同样的内容，所以没有内核时也能读懂这个笔记本。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：标量Q不需要`gradient=`参数。问：a取何值时dQ/da为零？（a = 0。）b取何值时dQ/db为零？（b = 0。）

# %% slideshow={"slide_type": "subslide"}
def gradients_at(a_value, b_value):
    """对标量a和b，在float64下分别用torch和afs求(dQ/da, dQ/db)。"""
    a_t = torch.tensor(a_value, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(b_value, dtype=torch.float64, requires_grad=True)
    (3 * a_t**3 - b_t**2).backward()
    a_o = afs.tensor(a_value, dtype=afs.float64, requires_grad=True)
    b_o = afs.tensor(b_value, dtype=afs.float64, requires_grad=True)
    (3 * a_o**3 - b_o**2).backward()
    return a_t.grad.item(), a_o.grad.item(), b_t.grad.item(), b_o.grad.item()


HEADER = (f"{'a':>6} {'b':>6} | {'torch dQ/da':>11} {'afs dQ/da':>10} {'9a²':>8} | "
          f"{'torch dQ/db':>11} {'afs dQ/db':>10} {'-2b':>7}")


def table_row(a_value, b_value):
    ga_t, ga_o, gb_t, gb_o = gradients_at(a_value, b_value)
    return (f"{a_value:6.2f} {b_value:6.2f} | {ga_t:11.4f} {ga_o:10.4f} {9 * a_value**2:8.4f} | "
            f"{gb_t:11.4f} {gb_o:10.4f} {-2 * b_value:7.2f}")


print(table_row(2.0, 6.0))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这张表在两个引擎里重新计算某一点处的两个导数。现场演示时，在JupyterLab（RISE）里拖动滑块，让大家看表格跟着变；静态幻灯片给出的是几组取值的表格。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 静态的表格，取几组值：

# %% slideshow={"slide_type": "fragment"}
print(HEADER)
for a_value, b_value in [(2.0, 6.0), (3.0, 4.0), (-1.0, 0.5), (0.0, -2.0), (0.5, 1.5)]:
    print(table_row(a_value, b_value))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：大声读出一行，心算对照9a^2和-2b。

# %% slideshow={"slide_type": "subslide"}
import ipywidgets as widgets

a_slider = widgets.FloatSlider(value=2.0, min=-3.0, max=3.0, step=0.25, description="a")
b_slider = widgets.FloatSlider(value=6.0, min=-6.0, max=6.0, step=0.5, description="b")
live_table = widgets.HTML()


def update(change=None):
    """按滑块的取值重新计算两个引擎的梯度。"""
    live_table.value = f"<pre>{HEADER}\n{table_row(a_slider.value, b_slider.value)}</pre>"


a_slider.observe(update, names="value")
b_slider.observe(update, names="value")
update()
_course.interactive(widgets.VBox([a_slider, b_slider, live_table]),
                   first_state=f"a = {a_slider.value}   b = {b_slider.value}\n\n{HEADER}\n{table_row(a_slider.value, b_slider.value)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：现场演示：把`a`拖过0，dQ/da在那里降到0（3a³的驻点）；拖动`b`，dQ/db随b变号。两个引擎的列一起变化。没有内核时（幻灯片、静态HTML），上面的表格给出同样的内容。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在它的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("first_gradients", N)`，就能载入第N题的参考答案（来自`solutions/01_first_gradients.py`）。
#
# **1. 预测**。取$a = (-1, 0.5)$、$b = (0, 2)$。先不运行任何代码，写出`Q.backward(gradient=[1., 1.])`会存下的梯度，然后运行检查。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟，先在纸上算：9a^2 = (9, 2.25)，-2b = (0, -4)。然后在笔记本里运行检查单元格；它会指出哪个元素不对。

# %% slideshow={"slide_type": "fragment"}
my_a_grad = None  # 含两个数的列表，例如[1.0, 2.0]
my_b_grad = None
print(f"我的答案：{my_a_grad} {my_b_grad}")


# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        check.answered(my_a_grad, "my_a_grad")
        check.answered(my_b_grad, "my_b_grad")
        a = torch.tensor([-1., 0.5], requires_grad=True)
        b = torch.tensor([0., 2.], requires_grad=True)
        (3 * a**3 - b**2).backward(gradient=torch.tensor([1., 1.]))
        check.same(my_a_grad, a.grad, "my_a_grad")
        check.same(my_b_grad, b.grad, "my_b_grad")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. 一个新函数**。对$R = a^2 b + 2a - b^3$（逐元素计算），把$\partial R / \partial a$和$\partial R / \partial b$写成`a`和`b`的函数（用张量运算来写，这样对torch和afs的张量都适用）。检查单元格会把它们与两个引擎的`backward`结果相比较。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：a^2 b要用乘积法则：dR/da = 2ab + 2，dR/db = a^2 - 3b^2。学生常常漏掉2a求导得到的那个2。

# %% slideshow={"slide_type": "fragment"}
def dR_da(a, b):
    return None  # 你的公式


def dR_db(a, b):
    return None  # 你的公式


print("已定义dR_da和dR_db")


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        for engine in (torch, afs):
            for a_values, b_values in [([2., 3.], [6., 4.]), ([-1., 0.5], [0., 2.])]:
                a = engine.tensor(a_values, dtype=engine.float64, requires_grad=True)
                b = engine.tensor(b_values, dtype=engine.float64, requires_grad=True)
                (a**2 * b + 2 * a - b**3).sum().backward()
                at = f"（{_course.engine_name(engine)}张量a = {a_values}，b = {b_values}）"
                with engine.no_grad():
                    check.same(dR_da(a, b), a.grad, f"dR_da(a, b){at}")
                    check.same(dR_db(a, b), b.grad, f"dR_db(a, b){at}")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. 一次反向传播，一个加权和**。在我们的引擎里，找出`gradient=`的向量`v`，使得*一次*`Q.backward(gradient=v)`就把$L = 2Q_1 - Q_2$的梯度存进`a.grad`和`b.grad`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：学生卡住时的提示：带`gradient=v`的反向传播计算的是sum_i v_i dQ_i/da；按题目的要求选取v，给Q_1和Q_2加权。

# %% slideshow={"slide_type": "fragment"}
v = None  # 与Q形状相同的afs张量
print(f"v = {v}")


# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        check.answered(v, "v")
        check.true(isinstance(v, afs.Tensor), f"v是{type(v).__module__}.{type(v).__name__}：它是我们引擎的backward的gradient=，"
                   "要用afs张量（afs.tensor([...])）")
        a = afs.tensor([2., 3.], requires_grad=True)
        b = afs.tensor([6., 4.], requires_grad=True)
        (3 * a**3 - b**2).backward(gradient=v)
        a_t = torch.tensor([2., 3.], requires_grad=True)
        b_t = torch.tensor([6., 4.], requires_grad=True)
        Q_t = 3 * a_t**3 - b_t**2
        (2 * Q_t[0] - Q_t[1]).backward()
        check.same(a.grad, a_t.grad, "Q.backward(gradient=v)之后的a.grad，对照dL/da")
        check.same(b.grad, b_t.grad, "Q.backward(gradient=v)之后的b.grad，对照dL/db")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - `requires_grad=True`让自动求导记录运算；`backward()`把导数填进每个叶子节点的`.grad`，这里就是$9a^2$和$-2b$，在torch和我们的引擎里都是如此。
# - 三种相互独立的检验结果一致：手算的导数、另一个引擎、中心有限差分（还有`gradcheck`，它把最后一种检验自动化了）。
# - 对向量输出，反向传播计算的是向量-雅可比积$v^\top J$：`gradient=v`给各个输出加权，`gradient=ones`与`.sum().backward()`相同。不给它，两个引擎都会报错。
# - `backward`背后是一个由运算组成的计算图，在两个引擎中完全相同。
#
# **下一讲：**[02 · 计算图](02_computational_graph.ipynb)：这个计算图由什么组成，又能存在多久。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：三种方法得到同样的数（手算、torch、afs，再加上有限差分作为检验）。下一讲：让反向传播得以进行的那个计算图。
