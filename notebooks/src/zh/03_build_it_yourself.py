# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · 亲手实现：100行代码的张量自动求导
#
# **你将学到**
# - 一个单元格接一个单元格地写出你自己的张量（tensor）自动求导（autograd）：一个`Tensor`、一个记录计算图（computational graph）的`Function`、六个算子、拓扑排序（topological sort），以及反向传播（backward pass）的循环；
# - 它训练一个小网络，得到和torch相同的数值；而afs的引擎就是同一个循环的成熟版本。
#
# **前置知识：**[02 · 计算图](02_computational_graph.ipynb)：`grad_fn`节点（node）、它们的输入、`.grad`会累加的叶子节点（leaf）。这里你要在numpy上把这些全部实现出来。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这是本系列的实验课（60–75分钟）。学生分七步写出大约100行代码；每一步的检查都和torch对照，并指出哪里不对。让他们在第4步和第6步（顺序和循环）上多琢磨一会儿：真正的理解就在这里。之后04号笔记本带大家读afs的引擎，他们会发现似曾相识。

# %% slideshow={"slide_type": "subslide"}
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import autograd_from_scratch as afs
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查
from _course import build_it

_course.show_pictures()
torch.manual_seed(0)
print("已导入numpy、torch和课程辅助代码")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 这个笔记本怎么用
#
# 每一步是一个由你补全的单元格（其中的占位代码说明要写什么），后面跟一个检查单元格：它在float64下把你的代码和torch并排运行，并指出哪里不对，包括你的代码抛出的错误，以及不一致的数值、梯度或节点名（期望值与实际值）。每次修改之后都运行检查。卡住了？在新单元格里运行`_course.load_solution("build_it_yourself", N)`，就能载入第N步的参考答案（来自`solutions/03_build_it_yourself.py`）。
#
# 这个引擎除了`Add`（给每一行加上偏置（bias））之外不支持广播（broadcasting），只在float64下工作，而且每个梯度（gradient）都流向`requires_grad`的张量。这已经足够训练一个网络了。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先故意让一个检查失败（在写任何代码之前就运行一个检查），让全班看看提示信息长什么样：先说缺了什么，再给出期望值与实际值。告诉他们有参考答案、怎样载入，但请他们先自己尝试五分钟再看。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第1步 · 张量
#
# `Tensor`保存`data`（一个float64的numpy数组）、`requires_grad`、`grad`（在反向传播填入之前为None）和`grad_fn`（产生它的节点；对你自己创建的叶子节点为None）。`shape`是数据的形状（shape）。运算符已经替你写好了：它们调用第3步的算子和第6步的反向传播（Python在运算符运行时才去查找这些名字，所以它们可以后定义）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：5分钟。四个属性加一个property（`shape`）；要点是：张量不过是数据加上一些簿记信息。问：为什么叶子节点的`grad_fn`是None？（没有东西产生它：它是计算图的起点。）

# %% slideshow={"slide_type": "fragment"}
class Tensor:
    def __init__(self, data, requires_grad=False):
        ...  # 你的代码：data（np.asarray，float64）、requires_grad、grad = None、grad_fn = None

    @property
    def shape(self):
        return None  # 你的代码

    def __repr__(self):
        return f"Tensor({self.data}, grad_fn={self.grad_fn and self.grad_fn.name()})"

    # 已给出：运算符和backward。
    def __add__(self, other):
        return Add.apply(self, other)

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __pow__(self, n):
        return Pow.apply(self, n)

    def __matmul__(self, other):
        return Mm.apply(self, other)

    def sum(self):
        return Sum.apply(self)

    def relu(self):
        return Relu.apply(self)

    def backward(self):
        run_backward(self)


print("已定义Tensor")

# %% slideshow={"slide_type": "skip"}
def check_step_1():
    with _course.exercise(1) as check:
        for requires_grad in (False, True):
            ours, theirs = Tensor([[1, 2, 3]], requires_grad), torch.tensor([[1., 2, 3]], requires_grad=requires_grad)
            check.true(isinstance(getattr(ours, "data", None), np.ndarray),
                       f"Tensor(...).data是{type(getattr(ours, 'data', None)).__name__}，不是numpy数组")
            check.equal(ours.data.dtype, np.dtype(np.float64), "Tensor([[1, 2, 3]]).data.dtype（整数要变成float64）")
            check.same(ours.data, theirs, "Tensor([[1, 2, 3]]).data")
            check.equal(ours.shape, tuple(theirs.shape), "Tensor([[1, 2, 3]]).shape")
            check.equal(ours.requires_grad, theirs.requires_grad, f"Tensor(..., {requires_grad})的requires_grad")
            check.equal((ours.grad, ours.grad_fn), (theirs.grad, theirs.grad_fn), "新张量的(grad, grad_fn)")


check_step_1()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第2步 · 由函数记录计算图
#
# 每个算子都是`Function`的子类，有`forward(ctx, *arrays)`和`backward(ctx, grad)`两个方法，都作用在numpy数组上，和torch、afs中一样。这里一个对象同时扮演三个角色（和tinygrad的第一个版本一样）：**ctx**（`save_for_backward`存下反向计算需要的东西，`saved_tensors`把它们交还回来）、**计算图的节点**（`inputs`：它所作用的张量；`name()`：torch的节点名，`Mul`对应`MulBackward0`），以及算子的类。
#
# `apply(*inputs)`创建节点，在各个输入的数据上运行`forward`（不是`Tensor`的输入，比如`x ** 2`的指数，原样传入），把结果包装成一个`Tensor`，并且**只要有一个输入需要梯度**，就把这个节点记录为结果的`grad_fn`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：8分钟。这个实验的关键思想：一个对象既是ctx，又是节点，还记录着输入，和afs与torch中完全一样。常见错误：即使没有输入需要梯度，也记录了节点；检查会指出这一点。问大家：梯度模式关闭时`apply`该做什么（这里什么也不用做：我们还没有`no_grad`）。

# %% slideshow={"slide_type": "fragment"}
class Function:
    def save_for_backward(self, *arrays):
        ...  # 你的代码：把它们存为self.saved_tensors

    def name(self):
        return None  # 你的代码：类名 + "Backward0"

    @classmethod
    def apply(cls, *inputs):
        ctx = cls()
        ...  # 你的代码：ctx.inputs、在数据上运行forward、输出的Tensor及其grad_fn
        return None


# 已给出：Exp，后面每个算子都是这个样子。
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)  # d exp(x)/dx = exp(x)：保存输出
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return (grad * y,)  # 一个元组：每个输入一个梯度


print("已定义Function和Exp")

# %% slideshow={"slide_type": "skip"}
def check_step_2():
    with _course.exercise(2) as check:
        for requires_grad in (True, False):
            x_t = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=requires_grad)
            x = Tensor([0.5, -1.0], requires_grad)
            y, y_t = Exp.apply(x), x_t.exp()
            check.true(isinstance(y, Tensor), f"Exp.apply(x)返回的是{type(y).__name__}，不是Tensor")
            check.same(y.data, y_t, "Exp.apply(x).data")
            check.equal(y.requires_grad, y_t.requires_grad, f"x.requires_grad为{requires_grad}时exp(x)的requires_grad")
            if not requires_grad:
                check.equal(y.grad_fn, None, "x不需要梯度时exp(x)的grad_fn")
                continue
            check.equal(y.grad_fn.name(), y_t.grad_fn.name(), "exp(x).grad_fn.name()")
            check.true(tuple(y.grad_fn.inputs) == (x,), "exp(x).grad_fn.inputs应当是(x,)，即apply收到的张量")
            check.same(y.grad_fn.saved_tensors[0], y_t, "Exp为反向计算保存的东西，exp(x)")


check_step_2()


# %% [markdown] slideshow={"slide_type": "subslide"}
# 一个已经给出的辅助函数：为`Add`撤销偏置的广播。

# %% slideshow={"slide_type": "fragment"}
def sum_to(grad, shape):
    """撤销广播：沿广播时在`shape`前面添加的那些轴，对`grad`求和。"""
    return grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad


print("已定义sum_to")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第3步 · 六个算子
#
# 每个只有几行。`backward`返回一个元组，`forward`的每个输入对应一个梯度。如果你之后修改了`Function`，要重新运行这个单元格：一个类会一直沿用定义它时所继承的那个`Function`。
#
# | 算子 | `forward` | `backward`返回 |
# |---|---|---|
# | `Add` | $a + b$（$b$可以是偏置，即一行） | $g$，以及求和回$b$的形状的$g$（`sum_to`） |
# | `Mul` | $a \cdot b$（形状相同） | $g\,b$，$g\,a$ |
# | `Pow` | $x^n$，$n$是一个数 | $g\, n x^{n-1}$，以及对应$n$的None |
# | `Sum` | $\sum_i x_i$（一个数） | 复制成$x$的形状的$g$ |
# | `Relu` | $\max(x, 0)$ | $x > 0$处为$g$，其余为0 |
# | `Mm` | $A B$（矩阵） | $g B^T$，$A^T g$ |

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：15分钟，最长的一步。让学生先写`Mul`（它要保存两个输入），其余的照着表格写。检查能发现的典型错误：返回单个梯度而不是元组；`Pow`的导数写成`a**(p-1)`而漏掉因子p；`Relu`的掩码在恰好为零处取自输出的符号；`Mm`的转置写反（检查形状）。

# %% slideshow={"slide_type": "fragment"}
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ...  # 你的代码（为反向计算记住b的形状）

    @staticmethod
    def backward(ctx, grad):
        ...  # 你的代码


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ...  # 你的代码

    @staticmethod
    def backward(ctx, grad):
        ...  # 你的代码


class Pow(Function):
    @staticmethod
    def forward(ctx, x, n):
        ...  # 你的代码

    @staticmethod
    def backward(ctx, grad):
        ...  # 你的代码


class Sum(Function):
    @staticmethod
    def forward(ctx, x):
        ...  # 你的代码

    @staticmethod
    def backward(ctx, grad):
        ...  # 你的代码


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        ...  # 你的代码

    @staticmethod
    def backward(ctx, grad):
        ...  # 你的代码


class Mm(Function):
    @staticmethod
    def forward(ctx, a, b):
        ...  # 你的代码

    @staticmethod
    def backward(ctx, grad):
        ...  # 你的代码


print("已定义六个算子")


# %% slideshow={"slide_type": "skip"}
def check_step_3():
    with _course.exercise(3) as check:
        build_it.ops_against_torch(check, Tensor, {"Add": Add, "Mul": Mul, "Pow": Pow, "Sum": Sum, "Relu": Relu, "Mm": Mm})


check_step_3()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第4步 · 反向传播的顺序
#
# 一个节点只有在它要接收的所有梯度都到齐之后才能运行，也就是说，要排在所有使用它的输出的节点之后。`topological_order(root)`按拓扑序（topological order）返回从`root.grad_fn`出发（经由`inputs`及其`grad_fn`）能到达的所有节点：**每个节点都排在它的输入的节点之前**，每个只出现一次。做一次深度优先遍历，在访问完一个节点的输入的节点之后再把它追加进列表，最后把列表反转，就得到了这个顺序。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：10分钟。在黑板上画出`x * x + x`，问节点必须按什么顺序运行；再问为什么一个节点必须等所有使用它的节点都运行之后才能运行。典型错误：在访问输入之前就追加节点（前序遍历），检查会报告第一个位置不对的节点。

# %% slideshow={"slide_type": "fragment"}
def topological_order(root):
    order, seen = [], set()
    ...  # 你的代码：访问root.grad_fn；在追加一个节点之前，先访问它的输入的grad_fn
    return order


print("已定义topological_order")


# %% slideshow={"slide_type": "skip"}
def check_step_4():
    with _course.exercise(4) as check:
        build_it.order_against_torch(check, Tensor, topological_order)


check_step_4()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第5步 · 累加到`.grad`
#
# 一个叶子节点可能从多处用途（`x * x`）、从多次反向传播接收梯度：torch把它们**加**进`.grad`（即02号笔记本讲的梯度累加（gradient accumulation）；最早的tinygrad是直接赋值，对被重复使用的张量会算错）。写出`accumulate(leaf, grad)`：如果`leaf.grad`原来是None，就令它等于`grad`，否则等于两者之和，而且是一个新数组（绝不原地修改：别人可能还拿着旧的数组）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：3分钟。一行代码，一个陷阱：第一个梯度到来时`leaf.grad += grad`会失败（None），而对别人也拿着的数组做原地的`+=`会改掉他们那一份。回顾02号笔记本的梯度累加演示。

# %% slideshow={"slide_type": "fragment"}
def accumulate(leaf, grad):
    ...  # 你的代码


print("已定义accumulate")


# %% slideshow={"slide_type": "skip"}
def check_step_5():
    with _course.exercise(5) as check:
        leaf, leaf_t = Tensor([1.0, 2.0], True), torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        first = np.array([0.5, -1.0])
        for k in (1, 2):
            accumulate(leaf, first.copy() * k)
            (leaf_t * torch.tensor(first * k)).sum().backward()
            check.same(leaf.grad, leaf_t.grad, f"调用{k}次accumulate之后的leaf.grad，对照torch在{k}次backward之后的结果")
        held = leaf.grad
        accumulate(leaf, np.ones(2))
        check.true(held is not leaf.grad and np.array_equal(held, first * 3),
                   "accumulate原地修改了旧的.grad数组：请创建一个新数组（leaf.grad + grad）")


check_step_5()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第6步 · 反向传播循环
#
# `run_backward(root)`（`root.backward()`调用的就是它）处理只含一个数的根节点（root）：先给`root`的节点一个初始梯度1（`np.ones_like(root.data)`），然后按拓扑序访问各个节点。每个节点取出为它累计的梯度之和，调用它的`backward`，再把一个梯度交给每个输入：有`grad_fn`的张量把梯度加到那个节点的待处理总和上，需要梯度的叶子节点用`accumulate`累加它，其他的（常数、None）则跳过。大约十行。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：12分钟。引擎的核心，大约十行。请学生在动手写之前先把循环说出来：初始梯度、顺序、取出求和后的梯度、调用`backward`、把每个梯度传下去。典型错误：往待处理总和里赋值而不是相加（被重复使用的张量会丢掉一条路径），以及忘了不需要梯度的叶子节点。

# %% slideshow={"slide_type": "fragment"}
def run_backward(root):
    pending = {root.grad_fn: np.ones_like(root.data)}  # 节点 -> 到目前为止为它累计的梯度之和
    ...  # 你的代码：对topological_order(root)的循环


print("已定义run_backward")


# %% slideshow={"slide_type": "skip"}
def check_step_6():
    with _course.exercise(6) as check:
        build_it.backward_against_torch(check, Tensor)


check_step_6()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第7步 · 用你的引擎训练一个网络
#
# 一个两层的MLP，$\hat y = \mathrm{relu}(X W_1 + b_1)\, W_2 + b_2$，在32个点上用平方误差$L = \sum (\hat y - y)^2$拟合$y = \sin(x)$（目标值取负后传入：这样只需一个`Add`）。写出`sgd_step(params, lr)`：对每个参数（parameter），在它的数据上做$p \leftarrow p - \eta\, g$，然后清掉它的`.grad`（设为None），为下一步做准备。检查会从同样的权重（weight）出发，在你的引擎和torch里各训练150步，并比较损失（loss）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：7分钟，收获的时候到了。检查从同样的权重出发，在torch和学生的引擎里训练同一个MLP，并比较每一步的损失。如果两条曲线一致到1e-9，前面的一切就都是对的。问：每一步在哪里重新构建计算图？（在每次前向传播中：计算图是动态的。）

# %% slideshow={"slide_type": "fragment"}
def sgd_step(params, lr):
    ...  # 你的代码


print("已定义sgd_step")

# %% slideshow={"slide_type": "fragment"}
rng = np.random.default_rng(0)
X = np.linspace(-3, 3, 32).reshape(32, 1)
Y = np.sin(X)
start = {"W1": rng.standard_normal((1, 16)) * 0.8, "b1": rng.standard_normal(16) * 0.1,
         "W2": rng.standard_normal((16, 1)) * 0.3, "b2": np.zeros(1)}


def train(steps=150, lr=0.003):
    """在你的引擎里训练这个MLP；返回各步的损失。"""
    params = {k: Tensor(v.copy(), requires_grad=True) for k, v in start.items()}
    x, minus_y, losses = Tensor(X), Tensor(-Y), []
    for _ in range(steps):
        prediction = (x @ params["W1"] + params["b1"]).relu() @ params["W2"] + params["b2"]
        loss = ((prediction + minus_y) ** 2).sum()
        loss.backward()
        sgd_step(list(params.values()), lr)
        losses.append(float(loss.data))
    return np.array(losses)


def train_torch(steps=150, lr=0.003):
    """在torch里用同样的网络、权重和步数训练。"""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    x, y, losses = torch.tensor(X), torch.tensor(Y), []
    optimizer = torch.optim.SGD(params.values(), lr=lr)
    for _ in range(steps):
        loss = (((x @ params["W1"] + params["b1"]).relu() @ params["W2"] + params["b2"] - y) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


losses_torch = train_torch()
print(f"torch：开始时损失为{losses_torch[0]:.3f}，150步之后为{losses_torch[-1]:.3f}")


# %% slideshow={"slide_type": "skip"}
def check_step_7():
    global losses
    losses = None  # 如果你的引擎还不能训练，它就保持为None
    with _course.exercise(7) as check:
        losses = train()
        check.same(losses, losses_torch, "你的引擎150步的损失，对照torch的", rtol=1e-9)


check_step_7()

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses_torch, label="torch", linewidth=4, alpha=0.4)
if losses is not None:
    ax.plot(losses, "--", label="你的引擎")
ax.set(xlabel="训练步", ylabel="损失", yscale="log", title="同一次训练，在两个引擎里")
ax.legend()
plt.show()
print("已画出你的引擎的曲线：", losses is not None)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 成熟的版本
#
# afs的引擎就是你的循环，再加上一个真正的引擎还需要的东西：非标量（scalar）根节点的梯度，即`gradient=`；`retain_graph`，不设它就释放保存的张量（saved tensors）；`create_graph`，把反向传播本身也记录下来，以求高阶梯度（higher-order gradients）；钩子（hook）；叶子节点的`AccumulateGrad`节点；集中在一处的撤销广播；以及能说清哪里出错的报错信息。名字也相同：下面是它的反向传播，即`loss.backward()`调用的那个函数（04号笔记本会逐段阅读它）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：5分钟。把afs的`run_backward`和学生的循环并排放，指出同样的四行：顺序、暂存梯度的`buffers`、对`backward`的调用、累加。afs里其余的一切都是一个真正的引擎还需要的东西（`gradient=`、`retain_graph`、`create_graph`、钩子）；04号笔记本会阅读它。

# %% slideshow={"slide_type": "subslide"}
from autograd_from_scratch.autograd import engine  # noqa: E402

print(inspect.getsource(engine.run_backward))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 你的版本，并排对照：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：让这张幻灯片停留一会儿，让学生对照；请他们说出一件afs做了而他们的引擎没做的事（非标量根节点、释放保存的张量、钩子……）。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(topological_order))
print(inspect.getsource(run_backward))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - 张量自动求导并不复杂：一个`Tensor`（`data`、`grad`、`grad_fn`），一个`Function`（它的`apply`记录计算图，它的实例既是ctx又是节点），每个算子一个类（前向和反向写在一起），一个拓扑序，一个循环，以及对`.grad`的累加。
# - 它和torch逐个数值、逐个梯度地对照过；训练一个网络，得到的损失也和torch相同。
# - afs的引擎是同一个循环，外加一个库所需要的周边功能。
#
# **下一讲：**[04 · 引擎内部](04_inside_the_engine.ipynb)：afs的`Function`、保存的张量、拓扑序和反向传播，逐帧演示。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：2分钟。整个引擎放得进一张幻灯片；本系列其余部分的一切，都是对这七步的完善。
