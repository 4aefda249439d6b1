# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · 引擎内部
#
# **你将学到**
# - `Function`运行时记下了什么，`backward`又如何按拓扑序（topological order）遍历计算图（computational graph），在每个节点（node）上应用链式法则（chain rule）；
# - 为什么梯度（gradient）必须*累加*，绝不能赋值，以及怎样写一个两个引擎通用的自定义算子。
#
# **前置知识：**[02 · 计算图](02_computational_graph.ipynb)：自动求导（autograd）为$Q = 3a^3 - b^2$记录下的那张图，由`grad_fn`节点组成、靠`next_functions`连接；以及[03 · 亲手实现](03_build_it_yourself.ipynb)，你在那里写了一个遍历这张图的小引擎。这一讲我们打开afs的引擎来看。

# %% slideshow={"slide_type": "skip"}
import inspect
import tempfile
from pathlib import Path

import numpy as np
import torch

import autograd_from_scratch as afs
import autograd_from_scratch.frames  # noqa: F401  （afs.frames：逐帧演示反向传播）
from autograd_from_scratch.autograd.engine import (GraphTask, InputBuffer, call_function, run_backward,
                                                   topological_order)
from autograd_from_scratch.ops.elementwise import Exp, Mul
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("torch", torch.__version__.split("+")[0], "| afs已就绪：", hasattr(afs, "frames"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. 一个运算就是一个`Function`
#
# 我们引擎里的每个运算都是`Function`的子类，有一个`forward`和一个`backward`。`Function.apply`先运行`forward`；只要有一个输入需要梯度，它就把这个`Function`实例变成计算图中的一个**节点**：记下每个输入的梯度该送往哪里（`next_functions`），以及各个输入的形状（shape）。`forward`用来存放数值的`ctx`也正是这个对象。全部代码就是这些：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这一节只讲一个意思：算子对象同时也是计算图的节点，也是`ctx`。提问：一个节点要记住哪些东西，才能在之后运行反向传播（backward pass）？（每个输入的梯度送往哪里，以及它的公式需要的那些值。）

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(afs.autograd.Function.apply))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：只讲关键几行：`forward`在`no_grad`下运行；只要有输入需要梯度，节点就记下`next_functions`和各输入的形状。完整的方法在下面的子页里，除非有人问，否则跳过。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 一个算子读起来就是它的数学。乘法保存两个输入，因为$\frac{\partial (ab)}{\partial a} = b$，$\frac{\partial (ab)}{\partial b} = a$；指数函数保存的是它的*输出*，因为$\frac{d}{dx}e^x = e^x$：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(Mul))
print(inspect.getsource(Exp))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：把`Mul`和`Exp`当作数学来读：`Mul`保存两个输入，`Exp`保存它的输出。问大家为什么`Exp`保存输出而不是输入（d/dx e^x = e^x：反向传播需要的恰好就是输出）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 两个引擎里，一个节点存了什么
#
# torch在它的C++节点上保存同样的东西，并以`_saved_self`、`_saved_other`、`_saved_result`的名字展示出来。我们在两个引擎里分别运行$y = a \cdot b$和$e = \exp(a)$，看看节点里面有什么。

# %% slideshow={"slide_type": "fragment"}
a_t = torch.tensor([2.0, 3.0], requires_grad=True)
b_t = torch.tensor([6.0, 4.0], requires_grad=True)
y_t, e_t = a_t * b_t, a_t.exp()
print(y_t.grad_fn.name(), "保存了：", y_t.grad_fn._saved_self.tolist(), y_t.grad_fn._saved_other.tolist())
print(e_t.grad_fn.name(), "保存的输出：", [round(v, 4) for v in e_t.grad_fn._saved_result.tolist()])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch的C++节点以`_saved_self`、`_saved_other`、`_saved_result`公开同样保存的值。运行之前，先请大家预测`Exp`的节点保存了什么。

# %% slideshow={"slide_type": "fragment"}
a = afs.tensor([2.0, 3.0], requires_grad=True)
b = afs.tensor([6.0, 4.0], requires_grad=True)
y, e = a * b, a.exp()
print(y.grad_fn.name(), "保存了：", *[t.tolist() for t in y.grad_fn.saved_tensors])
print(e.grad_fn.name(), "保存的输出：", [round(v, 4) for v in e.grad_fn.saved_tensors[0].tolist()])

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y = a*b", y, y_t)
afs.compare.report("保存的a（MulBackward0）", y.grad_fn.saved_tensors[0], y_t.grad_fn._saved_self)
afs.compare.report("保存的e^a（ExpBackward0）", e.grad_fn.saved_tensors[0], e_t.grad_fn._saved_result)
print("边：", [(n.name(), i) for n, i in y.grad_fn.next_functions],
      "| torch：", [(n.name().split("::")[-1], i) for n, i in y_t.grad_fn.next_functions])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`_saved_*`属性是torch为内省而提供的，展示它自动生成的反向传播代码所保留的值；每个内置节点都有（名字来自`derivatives.yaml`）。我们的引擎把同样的值放在`ctx.saved_tensors`里，并检查版本，这样保存之后再做原地操作（in-place operation）就会被发现（09号笔记本，原地操作）。指出`y`的`next_functions`通向两个`AccumulateGrad`节点：也就是叶子节点（leaf node）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. 反向传播：拓扑序加链式法则
#
# `backward`必须等到通向某个节点的*每一条*路径都送来了梯度，才能访问这个节点。从输出出发做一次深度优先搜索，再把结果倒过来，就得到这样一种顺序（即**拓扑序**）：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：为什么需要顺序：一个节点只有在流向它的梯度全部到齐之后才能运行。画出`Q`的计算图，问大家这些节点可以按什么顺序运行。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(topological_order))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一次深度优先遍历，把每个节点排在它的输入之后，最后倒序：大约十五行。和02号笔记本里沿树遍历的做法比较一下。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 然后引擎按这个顺序访问各个节点。每个节点的`backward`把它输出的梯度变成它各个输入的梯度（这就是**链式法则**：$\frac{\partial Q}{\partial x} = \frac{\partial Q}{\partial y}\,\frac{\partial y}{\partial x}$），再由`task.send`把它们加进下一个节点的`InputBuffer`。下面就是这个循环`run_backward`的全貌（其中的前置钩子（pre-hook）和捕获是为09号笔记本的钩子和`autograd.grad`准备的；torch的引擎也是这几步）：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：逐个节点应用链式法则：每个`backward`把输出的梯度变成各输入的梯度，`send()`在下一个节点处把它们加起来。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(run_backward))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 它的几个辅助部分，名字都和torch引擎里的一样。一个`GraphTask`就是一次反向传播的运行；它为每个节点保存一个`InputBuffer`，从不同路径到达的梯度在这里相加：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(InputBuffer))
print(inspect.getsource(GraphTask.send))

# %% [markdown] slideshow={"slide_type": "subslide"}
# `call_function`运行一个节点：先运行它的反向计算（`node(*grads)`，相当于torch里的`grad_fn(*grads)`），再运行这个节点的后置钩子（post-hook），然后释放节点保存的东西；返回值就是要沿每条边（edge）送出去的梯度：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(call_function))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`run_backward`的循环，先看关键几行；完整的函数在后面的子页里。指出三样东西：`buffers`（每个节点等待中的梯度）、对节点反向计算的调用，以及`send()`。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 两个引擎里的顺序
#
# torch不公开它的顺序，但torch的每个节点都接受一个在节点运行时执行的钩子（hook），所以我们可以把顺序记录下来。`afs.frames.backward_steps`做的正是这件事（两个引擎的张量（tensor）都可以用），同时还记下每个节点收到和发出的梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch隐藏了它的顺序，但在每个节点上挂一个钩子就能记录下来：在`Q`上和我们的顺序相同。钩子在09号笔记本里还会出现。

# %% slideshow={"slide_type": "fragment"}
a_t = torch.tensor([2.0, 3.0], requires_grad=True)
b_t = torch.tensor([6.0, 4.0], requires_grad=True)
Q_t = 3 * a_t**3 - b_t**2
a = afs.tensor([2.0, 3.0], requires_grad=True)
b = afs.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a**3 - b**2

steps = afs.frames.backward_steps(Q, gradient=afs.tensor([1.0, 1.0]))
steps_t = afs.frames.backward_steps(Q_t, gradient=torch.tensor([1.0, 1.0]))
order = [s.name for s in steps[1:]]
print("我们的：", order)
print("torch：", [s.name for s in steps_t[1:]])
print("我们的topological_order：", [n.name() for n in topological_order([Q.grad_fn])])

# %% [markdown] slideshow={"slide_type": "subslide"}
# 把每一步列成表：节点收到什么，沿每条边发出什么。沿着$a$这一支看：$1 \to 3$（来自`3 *`）$\to 3 \cdot 3a^2 = 9a^2 = [36, 81]$。

# %% slideshow={"slide_type": "fragment"}
fmt = afs.frames.fmt_grad
for k, s in enumerate(steps):
    sends = ", ".join(f"{fmt(g)} -> {n.name()}" for n, g in s.sent) or "（累加进.grad）"
    print(f"{k}  {s.name:<15} 收到 {fmt(s.received):<10} 发出 {sends}")
same = [(s.name, fmt(s.received)) for s in steps] == [(t.name, fmt(t.received)) for t in steps_t]
print("torch的各步相同：", same)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在表上沿着`a`这一支看：先是1，然后是3（来自u = 3t），然后是3 * 3a^2 = [36, 81]。问大家`b`这一支收到什么（-1，然后是-2b）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 这些步骤走过的两张图，每个方框都一样：

# %% slideshow={"slide_type": "fragment"}
print("图相同：", afs.viz.graph_edges(Q) == afs.viz.graph_edges(Q_t))
afs.viz.side_by_side(Q, Q_t, params=[("a", a), ("b", b), ("Q", Q), ("a", a_t), ("b", b_t), ("Q", Q_t)])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎走的是同一张图，方框一一对应：结构检查打印True。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. 逐帧看反向传播
#
# `afs.frames.backward_frames`每一步画一张图：正在运行的节点是橙色的，到目前为止发出的每个梯度都写在对应的边上，箭头指向梯度流动的方向（朝向叶子节点）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这是本讲最关键的图：每按一次右方向键看一帧。每一帧先问大家橙色节点收到什么、发出什么，再放下一帧。一共七帧，大约五分钟。

# %% slideshow={"slide_type": "skip"}
pictures = afs.frames.backward_frames(Q, gradient=afs.tensor([1.0, 1.0]), params={"a": a, "b": b, "Q": Q})
print(len(pictures), "帧，每步一帧：", len(pictures) == len(steps))

# %% [markdown] slideshow={"slide_type": "skip"}
# 拖动滑块或按播放键（需要正在运行的内核；下面是同样这些帧拼成的静态图）。

# %% slideshow={"slide_type": "skip"}
import ipywidgets as widgets
from IPython.display import display

svgs = [p.pipe(format="svg", encoding="utf-8") for p in pictures]
svgs = [svg[svg.index("<svg"):] for svg in svgs]  # 内嵌的SVG，去掉XML开头的声明
step_slider = widgets.IntSlider(value=0, min=0, max=len(pictures) - 1, description="步骤")
player = widgets.Play(value=0, min=0, max=len(pictures) - 1, interval=1500)
widgets.jslink((player, "value"), (step_slider, "value"))
view = widgets.HTML(value=svgs[0])
step_slider.observe(lambda change: setattr(view, "value", svgs[change["new"]]), names="value")
display(_course.interactive(widgets.VBox([widgets.HBox([player, step_slider]), view]), first_state=pictures[0]))
print("逐帧播放器，共", len(pictures), "帧")

# %% slideshow={"slide_type": "subslide"}
afs.frames.strip(pictures, columns=4)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：从左到右、从上到下逐帧讲。第0步用$v = [1, 1]$作为输出的初始梯度（即教程里的`external_grad`）。`SubBackward0`向左发出$v$，向右发出$-v$。由于深度优先的顺序，`b`这一支先走完（第2–3步），然后才是`a`这一支。通向`a`的边上是$[36, 81] = 9a^2$，通向`b`的边上是$[-12, -8] = -2b$：正是教程里的验证。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 这些帧也以图片形式提交在仓库的`figures/backward_frames/`里，由`scripts/make_figures.py`（`make figures`）用同一个`backward_frames`画出。要保存你自己的帧，`afs.frames.save_frames(frames, folder)`会为每一帧写出一个SVG和一个PNG：

# %% slideshow={"slide_type": "fragment"}
FIGURES_DIR = Path(afs.__file__).resolve().parent.parent / "figures" / "backward_frames"
print("figures/backward_frames：", ", ".join(sorted(p.name for p in FIGURES_DIR.glob("*.svg"))))
with tempfile.TemporaryDirectory() as folder:
    written = afs.frames.save_frames(pictures, Path(folder) / "my_frames")
    print(len(written), "个文件已写出：", ", ".join(p.name for p in written[:4]), "...")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同样的帧已作为图片提交；学生可以用`save_frames`保存自己的帧。时间紧就跳过。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 这一切走完之后，`Q.backward`写进`.grad`的正是这些叶子节点的梯度，两个引擎都是如此：

# %% slideshow={"slide_type": "fragment"}
Q_t.backward(gradient=torch.tensor([1.0, 1.0]))
Q.backward(gradient=afs.tensor([1.0, 1.0]))
afs.compare.report("a.grad", a.grad, a_t.grad)
afs.compare.report("b.grad", b.grad, b_t.grad)
print("a.grad == 9a²：", bool((a.grad == 9 * a**2).all()), "| b.grad == -2b：", bool((b.grad == -2 * b).all()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`.grad`里叶子节点的梯度就是最后一帧上的数：两个引擎里都是9a^2和-2b。

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "slide"}
# ## 4. 要累加，不要赋值
#
# 一个张量用了两次，就有两条边把梯度送进它，链式法则说这两份贡献要**相加**：对$y = x \cdot x$，$\frac{dy}{dx} = x + x = 2x$。早期的tinygrad写的是`grad = g`而不是`grad += g`，于是被重复使用的张量梯度算错了；讲解如何构建micrograd的那一讲也故意先掉进同一个坑，再用`+=`修好。下面是一个恰好带着这个bug的小型标量（scalar）引擎。
#
# ⚠️ **错误的版本**——这是反例，不是我们的引擎：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先把问题摆出来再展示bug：`x * x`用了两次`x`，所以有两条边把梯度送进`x`，两者必须相加。提问：如果反向传播时赋值而不是相加，会出什么错？

# %% slideshow={"slide_type": "subslide"}
class WrongScalar:
    """故意写错：一个标量自动求导，反向传播时把梯度赋值，而不是相加。"""

    def __init__(self, value, parents=()):
        self.value, self.parents, self.grad = value, parents, 0.0
        self.backward_rule = lambda: None

    def __mul__(self, other):
        out = WrongScalar(self.value * other.value, (self, other))

        def rule():
            self.grad = other.value * out.grad   # BUG：应该用+=
            other.grad = self.value * out.grad   # BUG：当other就是self时，这一行覆盖了上一行

        out.backward_rule = rule
        return out

    def backward(self):  # 拓扑序是对的；错的只是上面的规则
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                [visit(p) for p in v.parents]
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v.backward_rule()


x_wrong = WrongScalar(3.0)
(x_wrong * x_wrong).backward()
print("错误的引擎：x=3处的d(x*x)/dx =", x_wrong.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：故意写错的引擎（来自micrograd和tinygrad的历史）。指出那两条BUG注释；拓扑序是对的，错的只是赋值。

# %% slideshow={"slide_type": "fragment"}
x_t = torch.tensor(3.0, requires_grad=True)
(x_t * x_t).backward()
x = afs.tensor(3.0, requires_grad=True)
(x * x).backward()
print(f"赋值的引擎：{x_wrong.grad}   torch：{x_t.grad.item()}   afs：{x.grad.item()}   （2x = {2 * 3.0}）")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch和afs给出2x = 6；赋值的引擎给出3，丢掉了`x`的一次使用。可能会有人问：为什么不干脆处处都用`+=`？（这正是修复的办法。）

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在我们的引擎里，求和发生在两个地方。`InputBuffer.add`（见上文）在节点运行之前把到达它的梯度加起来；`AccumulateGrad.accumulate`把到达叶子节点的梯度加进`.grad`。也正是这个`+=`，让`.grad`在多次调用`backward`之间不断增长，直到被清零（02号笔记本，`zero_grad`）：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第二部分从这里开始：用一句话回顾这个bug，然后讲我们的引擎做加法的两个地方：节点之间的`send()`，以及叶子节点处的`AccumulateGrad`。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.AccumulateGrad.accumulate))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`accumulate`：第一个梯度直接存下，之后的相加；如果用了`create_graph`，这个求和本身也会被记录下来（为09号笔记本的高阶梯度（higher-order gradients）准备）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 从`MulBackward0`到`x`的两条边各自带着$3$；它们汇成一个标着`3 + 3`的箭头：

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor(3.0, requires_grad=True)
y = x * x
last = afs.frames.backward_steps(y)[-1]
print(last.name, "把", fmt(last.received), "加进x.grad")
afs.frames.backward_frames(y, params={"x": x, "y": y})[-1]

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：标着3 + 3的箭头就是这一节的全部要点。问大家对`x * x * x`它会标什么（x = 3处3x^2 = 27，三条边）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. 自己的算子：一份类定义，两个引擎
#
# 新算子就是一个带`forward(ctx, ...)`和`backward(ctx, grad)`的`Function`；`ctx.save_for_backward`存下反向传播需要的东西。我们的API照搬torch的，所以**同一份类定义**既能用于`torch.autograd.Function`，也能用于`afs.autograd.Function`。例子：数值稳定的log-sigmoid，它是逻辑回归损失函数（loss function）的基本组成部分，
#
# $$\log\sigma(x) = -\log\left(1 + e^{-x}\right) = \min(x, 0) - \log\left(1 + e^{-|x|}\right), \qquad
# \frac{d}{dx}\log\sigma(x) = 1 - \sigma(x) = \sigma(-x).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：自定义算子需要`forward`、`backward`和`ctx.save_for_backward`；同一份类定义既能用于`torch.autograd.Function`，也能用于我们的，因为API相同。

# %% slideshow={"slide_type": "subslide"}
def logsigmoid_for(Function):
    """同一个LogSigmoid类，建立在任一引擎的Function基类之上。"""

    class LogSigmoid(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(max=0) - (1 + (-x.abs()).exp()).log()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (-x).sigmoid()

    return LogSigmoid


TorchLogSigmoid = logsigmoid_for(torch.autograd.Function)
AfsLogSigmoid = logsigmoid_for(afs.autograd.Function)
print(TorchLogSigmoid.__name__, "基于", TorchLogSigmoid.__mro__[1].__module__, "|",
      AfsLogSigmoid.__name__, "基于", AfsLogSigmoid.__mro__[1].__module__)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：对照上一页的数学读`forward`和`backward`：`backward`返回`grad`乘以(1 - sigmoid(x))。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 还是老搭配：torch、afs、检查（同时也和torch自己的`F.logsigmoid`对照）。

# %% slideshow={"slide_type": "fragment"}
x_t = torch.randn(5, dtype=torch.float64, requires_grad=True)
s_t = TorchLogSigmoid.apply(x_t)
s_t.sum().backward()
print(s_t.grad_fn.name(), [round(v, 4) for v in s_t.tolist()])

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor(x_t.detach(), requires_grad=True)  # 同样的值，float64
s = AfsLogSigmoid.apply(x)
s.sum().backward()
print(s.grad_fn.name(), [round(v, 4) for v in s.tolist()])

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("logsigmoid(x)", s, s_t, tol=1e-12)
afs.compare.report("x.grad = sigmoid(-x)", x.grad, x_t.grad, tol=1e-12)
afs.compare.report("对照F.logsigmoid", s, torch.nn.functional.logsigmoid(x_t), tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：又是老搭配：torch、afs，再和torch自己的`F.logsigmoid`对照。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 为什么要手写：教科书式的`x.sigmoid().log()`在$x$是很大的负数时会出问题。$\sigma(-1000)$被舍入成$0$，于是值是$-\infty$，而自动求导沿它应用链式法则时要拿$\infty$乘以$0$：梯度是`nan`。改写后的算子给出$-1000$，梯度为$1$：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：为什么不用`x.sigmoid().log()`？问大家float64下sigmoid(-1000)是多少（0，所以log给出-inf）。稳定的写法从不对舍入出来的零取对数。

# %% slideshow={"slide_type": "fragment"}
values = [-1000.0, 1000.0, 0.0]
naive_t = torch.tensor(values, requires_grad=True)
naive = afs.tensor(values, requires_grad=True)
naive_out_t = naive_t.sigmoid().log()
naive_out_t.sum().backward()
with np.errstate(divide="ignore", invalid="ignore"):  # torch悄悄返回inf、nan的地方，numpy会发出警告
    naive_out = naive.sigmoid().log()
    naive_out.sum().backward()
print("朴素写法的值，torch：", [round(v, 4) for v in naive_out_t.tolist()], "| afs：", [round(v, 4) for v in naive_out.tolist()])
print("朴素写法的梯度，torch：", naive_t.grad.tolist(), "| afs：", naive.grad.tolist())

stable_t = torch.tensor(values, requires_grad=True)
stable = afs.tensor(values, requires_grad=True)
out_t, out = TorchLogSigmoid.apply(stable_t), AfsLogSigmoid.apply(stable)
out_t.sum().backward()
out.sum().backward()
print("稳定写法的值，torch：", [round(v, 4) for v in out_t.tolist()], "| afs：", [round(v, 4) for v in out.tolist()])
print("稳定写法的梯度，torch：", stable_t.grad.tolist(), "| afs：", stable.grad.tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：朴素的写法在两个引擎里都给出-inf和值为nan的梯度；我们的写法给出有限的值。指出两个引擎失败的方式完全相同，这正是“孪生引擎”的承诺。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `gradcheck`：反向传播写对了吗？
#
# `gradcheck`对每个输入元素，把`backward`和中心差分$\frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}$相比较。要用float64：在float32下，差商会丢掉大部分有效数字。

# %% slideshow={"slide_type": "fragment"}
x_t = torch.randn(6, dtype=torch.float64, requires_grad=True)
x = afs.tensor(x_t.detach(), requires_grad=True)
ok_t = torch.autograd.gradcheck(TorchLogSigmoid.apply, (x_t,))
ok_afs = afs.autograd.gradcheck(AfsLogSigmoid.apply, (x,))
print("torch.autograd.gradcheck：", ok_t, "| afs.autograd.gradcheck：", ok_afs)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`gradcheck`：在float64下对每个输入元素用中心差分和`backward`对照。告诉全班：写了自定义算子，就一定要用`gradcheck`检查一遍。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 写错的反向传播，两个引擎都能抓出来。这里的`backward`忘了乘上传进来的梯度；只要这个算子是最后一个运算（这时传进来的梯度是1），这种疏忽就发现不了：

# %% slideshow={"slide_type": "fragment"}
def broken_logsigmoid_for(Function):
    class BrokenLogSigmoid(logsigmoid_for(Function)):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return (-x).sigmoid()  # BUG：链式法则要求的是grad * sigmoid(-x)

    return BrokenLogSigmoid


BrokenT, BrokenA = broken_logsigmoid_for(torch.autograd.Function), broken_logsigmoid_for(afs.autograd.Function)
ok_t = torch.autograd.gradcheck(lambda v: 2 * BrokenT.apply(v), (x_t,), raise_exception=False)
ok_afs = afs.autograd.gradcheck(lambda v: 2 * BrokenA.apply(v), (x,), raise_exception=False)
print("torch.autograd.gradcheck：", ok_t, "| afs.autograd.gradcheck：", ok_afs)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：忘了乘上传进来的梯度的`backward`，在`grad = 1`时能蒙混过关，却过不了`gradcheck`：`gradcheck`逐行求雅可比矩阵（Jacobian），送进`backward`的是单位向量而不是全1（这里前面还乘了2）。两个引擎都能抓住它。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("inside_the_engine", N)`，就能载入第N题的参考答案（来自`solutions/04_inside_the_engine.py`）。
# ### 练习1 · 立方算子
#
# 写一个`Cube`，$y = x^3$，$\frac{dy}{dx} = 3x^2$，用一份类定义同时适用于两个引擎。检查会在两个引擎里把它的值和梯度（上游梯度不全为1）与torch的`x ** 3`相比较。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟：用一份类定义写出两个引擎通用的`Cube`；检查在两个引擎里把它的值和梯度与torch的`x ** 3`对照，上游梯度不全为1。常见的疏忽：返回`3 * x**2`，却没有乘上`grad`。

# %% slideshow={"slide_type": "fragment"}
def cube_for(Function):
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ...  # 你的代码：保存反向传播需要的东西，返回x的立方

        @staticmethod
        def backward(ctx, grad):
            ...  # 你的代码：返回grad乘以dy/dx

    return Cube


print("Cube已定义：", cube_for(afs.autograd.Function).__name__)

# %% slideshow={"slide_type": "fragment"}
def check_cube():
    with _course.exercise(1) as check:
        x_t = torch.linspace(-2, 2, 5, dtype=torch.float64, requires_grad=True)
        upstream = torch.tensor([1.0, -2.0, 3.0, 0.5, 4.0], dtype=torch.float64)
        (expected,) = torch.autograd.grad((x_t**3 * upstream).sum(), x_t)
        for engine in (torch, afs):
            Cube = cube_for(engine.autograd.Function)
            x = engine.tensor(x_t.detach().numpy(), requires_grad=True)
            y = Cube.apply(x)
            check.same(y, x_t.detach()**3, f"{_course.engine_name(engine)}中的Cube.apply(x)")
            (grad,) = engine.autograd.grad((y * engine.tensor(upstream.numpy())).sum(), x)
            check.same(grad, expected, f"{_course.engine_name(engine)}中Cube的梯度（上游梯度为"
                       f"{upstream.tolist()}）")


check_cube()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习2 · 预测这个bug
#
# 那个**错误的**、做赋值的引擎，对$\frac{d}{dx}(x \cdot x \cdot x)$在$x = 3$处（按`(x * x) * x`计算）会给出多少？正确答案是$3x^2 = 27$。先在纸上按倒过来的顺序推一遍：先`(x*x)*x`，再`x*x`；然后写下你的数。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先在纸上预测：`x * x * x`经过赋值的引擎会怎样。在有人运行之前，先请两位同学讲讲他们的答案。

# %% slideshow={"slide_type": "fragment"}
predicted_wrong_grad = None  # 你的数

print("你的预测：", predicted_wrong_grad)

# %% slideshow={"slide_type": "fragment"}
def check_prediction():
    with _course.exercise(2) as check:
        check.answered(predicted_wrong_grad, "predicted_wrong_grad")
        x_wrong = WrongScalar(3.0)
        ((x_wrong * x_wrong) * x_wrong).backward()
        check.true(predicted_wrong_grad != 27, "27是正确的梯度3x²，做加法的引擎才会得到它；"
                   "做赋值的引擎会覆盖：再按它的两条规则推一遍")
        check.equal(predicted_wrong_grad, x_wrong.grad, "赋值的引擎的x.grad")


check_prediction()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习3 · 两个输入
#
# 写一个`Hypot`，$z = \sqrt{a^2 + b^2}$，其中$\frac{\partial z}{\partial a} = \frac{a}{z}$，$\frac{\partial z}{\partial b} = \frac{b}{z}$：`backward`要**为每个输入返回一个梯度**。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个输入，所以`backward`返回两个梯度，顺序与`forward`的输入顺序相同。提示：把`z`存进`ctx`，因为两个梯度都要除以它。

# %% slideshow={"slide_type": "fragment"}
def hypot_for(Function):
    class Hypot(Function):
        @staticmethod
        def forward(ctx, a, b):
            ...  # 你的代码

        @staticmethod
        def backward(ctx, grad):
            ...  # 你的代码：返回(a的梯度, b的梯度)

    return Hypot


print("Hypot已定义：", hypot_for(afs.autograd.Function).__name__)

# %% slideshow={"slide_type": "fragment"}
def check_hypot():
    with _course.exercise(3) as check:
        a_t = torch.tensor([3.0, 1.0, -2.0], dtype=torch.float64, requires_grad=True)
        b_t = torch.tensor([4.0, 1.0, 0.5], dtype=torch.float64, requires_grad=True)
        upstream = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
        expected = torch.autograd.grad((torch.hypot(a_t, b_t) * upstream).sum(), (a_t, b_t))
        for engine in (torch, afs):
            Hypot = hypot_for(engine.autograd.Function)
            a, b = (engine.tensor(t.detach().numpy(), requires_grad=True) for t in (a_t, b_t))
            z = Hypot.apply(a, b)
            check.same(z, torch.hypot(a_t, b_t), f"{_course.engine_name(engine)}中的Hypot.apply(a, b)")
            grads = engine.autograd.grad((z * engine.tensor(upstream.numpy())).sum(), (a, b))
            for name, got, want in zip("ab", grads, expected):
                check.same(got, want, f"{_course.engine_name(engine)}中Hypot对{name}的梯度")


check_hypot()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
# - `Function`既是算子，也是计算图的节点：`apply`记下`next_functions`，`forward`保存`backward`需要的东西（`ctx.save_for_backward`），和torch的节点一样（`_saved_self`、`_saved_result`）。
# - `backward`按拓扑序访问各个节点（在$Q$上与torch的顺序相同），并在每个节点上应用链式法则；逐帧的图显示了每条边上的梯度，最后得到$9a^2$和$-2b$。
# - 梯度要**相加**，绝不能赋值：`x * x`在两个引擎里都给出$2x$，赋值的引擎给出$x$。
# - 自定义算子只需一份类定义，`torch.autograd.Function`和`afs.autograd.Function`都能用；`gradcheck`（float64）在两个引擎里验证它的反向传播。
#
# **下一讲：**[05 · 向量微积分](05_vector_calculus.ipynb)——雅可比矩阵，以及为什么`backward`计算的是向量-雅可比积（vector-Jacobian product）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：对照那几帧图回顾：顺序、每个节点上的链式法则、梯度相加。下一讲：为什么反向传播就是向量-雅可比积。
