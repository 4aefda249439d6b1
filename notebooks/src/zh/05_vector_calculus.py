# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · 向量微积分：雅可比矩阵与向量-雅可比积
#
# **你将学到**
# - 什么是雅可比矩阵（Jacobian），以及`backward(gradient=v)`计算的是向量-雅可比积（vector-Jacobian product）$J^T v$，而从不计算$J$本身；
# - 为什么广播（broadcasting）的梯度（gradient）要求和回输入的形状（shape），以及为什么反向模式（reverse mode）适合“一个损失（loss）、大量参数（parameter）”的情形。
#
# **前置知识：**[04 · 引擎内部](04_inside_the_engine.ipynb)：`backward`按拓扑序（topological order）访问各个节点（node），并在每个节点上应用链式法则（chain rule）。

# %% slideshow={"slide_type": "skip"}
import inspect
import time

import numpy as np
import torch

import autograd_from_scratch as afs
import autograd_from_scratch.frames  # noqa: F401  （afs.frames：逐步演示反向传播）
from autograd_from_scratch.autograd.function import Function
from autograd_from_scratch.ops.reduce import sum_to_size
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
rng = np.random.default_rng(0)


def rounded(t, digits=4):
    """把任一引擎的张量变成由舍入后的浮点数组成的嵌套列表（打印结果是确定的）。"""
    return (np.round(afs.compare.to_numpy(t), digits) + 0.0).tolist()  # + 0.0把-0.0变成0.0


print("torch", torch.__version__.split("+")[0], "| 从这里开始都用float64")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. 雅可比矩阵
#
# 对向量值函数$\vec{y} = f(\vec{x})$，其中$\vec{x} \in \mathbb{R}^n$，$\vec{y} \in \mathbb{R}^m$，$\vec{y}$对$\vec{x}$的导数（derivative）是一个$m \times n$的**雅可比矩阵**：
#
# $$J = \left(\frac{\partial \vec{y}}{\partial x_1} \; \cdots \; \frac{\partial \vec{y}}{\partial x_n}\right) =
# \begin{pmatrix}
# \frac{\partial y_1}{\partial x_1} & \cdots & \frac{\partial y_1}{\partial x_n} \\
# \vdots & \ddots & \vdots \\
# \frac{\partial y_m}{\partial x_1} & \cdots & \frac{\partial y_m}{\partial x_n}
# \end{pmatrix}$$
#
# 第$i$行是输出$y_i$的梯度；第$j$列说明所有输出如何随输入$x_j$变化。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：画出m x n的方格：第i行是y_i的梯度，第j列是x_j对每个输出的影响。提问：1000个输入、一个损失时，雅可比矩阵是什么形状？（1 x 1000。）

# %% [markdown] slideshow={"slide_type": "subslide"}
# 教程里的$Q = 3a^3 - b^2$把两个向量映射成一个向量。每个$Q_i$只依赖于$a_i$和$b_i$，所以两个雅可比矩阵都是对角矩阵：$\frac{\partial Q}{\partial a} = \operatorname{diag}(9a^2)$，$\frac{\partial Q}{\partial b} = \operatorname{diag}(-2b)$。同一个Python函数可以用于两个引擎：

# %% slideshow={"slide_type": "fragment"}
def Q_of(a, b):
    return 3 * a**3 - b**2


a_t = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
b_t = torch.tensor([6.0, 4.0], dtype=torch.float64, requires_grad=True)
J_a_t, J_b_t = torch.autograd.functional.jacobian(Q_of, (a_t, b_t))
print("torch  dQ/da =", rounded(J_a_t), " dQ/db =", rounded(J_b_t))

# %% slideshow={"slide_type": "fragment"}
a = afs.tensor([2.0, 3.0], dtype=afs.float64, requires_grad=True)
b = afs.tensor([6.0, 4.0], dtype=afs.float64, requires_grad=True)
J_a, J_b = afs.autograd.functional.jacobian(Q_of, (a, b))
print("afs    dQ/da =", rounded(J_a), " dQ/db =", rounded(J_b))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：对`Q`来说，雅可比矩阵是对角的，因为Q_i只依赖于a_i和b_i：diag(9a^2)和diag(-2b)。运行之前，让学生先预测这两个矩阵。

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("dQ/da", J_a, J_a_t, tol=1e-12)
afs.compare.report("dQ/db", J_b, J_b_t, tol=1e-12)
print("dQ/da == diag(9a²)：", np.array_equal(J_a.numpy(), np.diag(9 * a.detach().numpy() ** 2)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`functional.jacobian`在两个引擎里给出同样的矩阵，float64下误差在1e-12以内。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. `backward`计算的是向量-雅可比积
#
# `torch.autograd`是一个计算**向量-雅可比积**的引擎：给定任意向量$\vec{v}$，它计算$J^T \cdot \vec{v}$（等价地，行向量$\vec{v}^T J$）。如果$\vec{v}$是某个标量（scalar）$l = g(\vec{y})$的梯度，即$\vec{v} = \left(\frac{\partial l}{\partial y_1} \cdots \frac{\partial l}{\partial y_m}\right)^T$，那么由链式法则，向量-雅可比积就是$l$对$\vec{x}$的梯度：
#
# $$J^T \cdot \vec{v} =
# \begin{pmatrix}
# \frac{\partial y_1}{\partial x_1} & \cdots & \frac{\partial y_m}{\partial x_1} \\
# \vdots & \ddots & \vdots \\
# \frac{\partial y_1}{\partial x_n} & \cdots & \frac{\partial y_m}{\partial x_n}
# \end{pmatrix}
# \begin{pmatrix} \frac{\partial l}{\partial y_1} \\ \vdots \\ \frac{\partial l}{\partial y_m} \end{pmatrix} =
# \begin{pmatrix} \frac{\partial l}{\partial x_1} \\ \vdots \\ \frac{\partial l}{\partial x_n} \end{pmatrix}$$
#
# 这正是教程里`Q.backward(gradient=external_grad)`所做的事：`external_grad`就是$\vec{v}$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这是本讲最核心的一句话：自动求导（autograd）从不构造J，它计算的是v^T J。说两遍。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 当$\vec{v} = [1, 1]$时，它和对角雅可比矩阵的乘积就是把对角线读出来：$9a^2$和$-2b$。换成其他的$\vec{v}$，它就是对各个输出加权：

# %% slideshow={"slide_type": "fragment"}
v_t = torch.tensor([1.0, 0.5], dtype=torch.float64)
Q_t = Q_of(a_t, b_t)
Q_t.backward(gradient=v_t)
print("torch  a.grad =", rounded(a_t.grad), " b.grad =", rounded(b_t.grad))

# %% slideshow={"slide_type": "fragment"}
v = afs.tensor([1.0, 0.5], dtype=afs.float64)
Q = Q_of(a, b)
Q.backward(gradient=v)
print("afs    a.grad =", rounded(a.grad), " b.grad =", rounded(b.grad))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：v = [1, 1]、J为对角矩阵时，乘积就是读出对角线：教程里的9a^2和-2b。问大家v = [1, 0]会得到什么。

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad", a.grad, a_t.grad, tol=1e-12)
afs.compare.report("b.grad", b.grad, b_t.grad, tol=1e-12)
print("a.grad == J_aᵀ v：", np.allclose(a.grad.numpy(), J_a.numpy().T @ v.numpy()),
      "| b.grad == J_bᵀ v：", np.allclose(b.grad.numpy(), J_b.numpy().T @ v.numpy()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：检查：在两个引擎里，带`gradient=v`的反向传播（backward pass）都等于用显式雅可比矩阵算出的v^T J。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 不是对角矩阵的雅可比矩阵
#
# $\vec{y} = \tanh(W\vec{x})$，其中$W \in \mathbb{R}^{3 \times 4}$：每个输出都依赖于每个输入，所以$J$是一个满的$3 \times 4$矩阵。`functional.jacobian`构造出它；`functional.vjp`返回$J^T\vec{v}$。

# %% slideshow={"slide_type": "fragment"}
W_t = torch.randn(3, 4, dtype=torch.float64)
x_t = torch.randn(4, dtype=torch.float64, requires_grad=True)
u_t = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)  # 乘积里的向量v


def f_t(x):
    return (W_t @ x).tanh()


J_t = torch.autograd.functional.jacobian(f_t, x_t)
_, vjp_t = torch.autograd.functional.vjp(f_t, x_t, u_t)
print("torch: J", tuple(J_t.shape), "| vjp =", rounded(vjp_t))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：现在是满的雅可比矩阵：每个输出都依赖于每个输入。运行之前先预测J的形状（3 x 4）。

# %% slideshow={"slide_type": "fragment"}
W, u = afs.tensor(W_t), afs.tensor(u_t)  # 同样的值，float64
x = afs.tensor(x_t.detach(), requires_grad=True)


def f(x):
    return (W @ x).tanh()


J = afs.autograd.functional.jacobian(f, x)
_, vjp = afs.autograd.functional.vjp(f, x, u)
print("afs:   J", tuple(J.shape), "| vjp =", rounded(vjp))

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("jacobian", J, J_t, tol=1e-12)
afs.compare.report("vjp", vjp, vjp_t, tol=1e-12)
y = f(x)
y.backward(gradient=u)
print("backward(gradient=v) == vjp == Jᵀv：", afs.compare.agree(x.grad, vjp, 1e-12),
      afs.compare.agree(J.numpy().T @ u.numpy(), vjp, 1e-12))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：要对全班强调的一句话：`backward`从不构造$J$。构造$J$需要每一行做一次反向传播（`functional.jacobian`实际上就是这么做的，见第4节），而`vjp`只需*一次*。`backward(gradient=v)`里的名字`gradient=`是torch起的；从数学上说，它就是$J^T v$里的向量$v$。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 链式法则就是雅可比矩阵的乘积
#
# $\vec{y} = \tanh(\vec{z})$，$\vec{z} = W\vec{x}$，所以$J = \operatorname{diag}(1 - \vec{y}^2)\, W$，并且
#
# $$\vec{v}^T J = \big(\vec{v}^T \operatorname{diag}(1 - \vec{y}^2)\big)\, W .$$
#
# 反向传播**从左往右**计算它，一次一个节点，从不做雅可比矩阵之间的矩阵乘法（matrix product）：`TanhBackward0`逐元素（elementwise）乘以$1 - y^2$，然后`MvBackward0`乘以$W^T$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：J = diag(1 - tanh^2 z) W：两个雅可比矩阵的乘积，每个节点一个。反向传播从左边，也就是输出那一端，把它们逐个作用到v上：先是`TanhBackward0`的对角矩阵，再是`MvBackward0`的W。

# %% slideshow={"slide_type": "fragment"}
steps = afs.frames.backward_steps(f(x), gradient=u)
for s in steps[1:]:
    print(f"{s.name:<15} 收到 {afs.frames.fmt_grad(s.received)}")
y_np = f(x).detach().numpy()
print("TanhBackward0发出v·(1 - y²)：", np.allclose(steps[2].received.numpy(), u.numpy() * (1 - y_np**2)))
print("MvBackward0发出Wᵀ(上一行)：  ", np.allclose(steps[3].received.numpy(), W.numpy().T @ steps[2].received.numpy()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这是这张计算图（computational graph）上各步的表：每个节点收到一个向量，发出一个向量，从头到尾不出现矩阵。指出它们的大小（3，然后3，然后4）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. 广播，以及为什么它的梯度要求和
#
# 形状为(3, 1)的`x`加上形状为(4,)的`y`，得到形状(3, 4)：`x`复制到每一列，`y`复制到每一行。每一份副本都是对同一组数的一次单独使用，而（04号笔记本讲过）多次使用的梯度要**相加**。所以`y`的梯度是把`z`的梯度每列求和（即对所有行求和），`x`的梯度则是每行求和：每个`.grad`都和它的张量（tensor）形状相同。

# %% slideshow={"slide_type": "fragment"}
g_np = rng.standard_normal((3, 4))  # 反向传播的向量v，形状与z相同
x_t = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64, requires_grad=True)
y_t = torch.tensor([10.0, 20.0, 30.0, 40.0], dtype=torch.float64, requires_grad=True)
z_t = x_t + y_t
z_t.backward(gradient=torch.tensor(g_np))
print("torch: z", tuple(z_t.shape), "| x.grad", tuple(x_t.grad.shape), "| y.grad", tuple(y_t.grad.shape))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：广播沿某个维度复制`x`；一个被复制的张量，它的梯度是各份副本梯度之和。运行之前，先问大家`x.grad`的形状（(3, 1)）。

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor([[1.0], [2.0], [3.0]], dtype=afs.float64, requires_grad=True)
y = afs.tensor([10.0, 20.0, 30.0, 40.0], dtype=afs.float64, requires_grad=True)
z = x + y
z.backward(gradient=afs.tensor(g_np))
print("afs:   z", tuple(z.shape), "| x.grad", tuple(x.grad.shape), "| y.grad", tuple(y.grad.shape))

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("x.grad", x.grad, x_t.grad, tol=1e-12)
afs.compare.report("y.grad", y.grad, y_t.grad, tol=1e-12)
print("x.grad == v每行求和：", np.allclose(x.grad.numpy(), g_np.sum(axis=1, keepdims=True)),
      "| y.grad == v每列求和：", np.allclose(y.grad.numpy(), g_np.sum(axis=0)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在两个引擎里，`x.grad`都是上游梯度的行和，`y.grad`都是列和。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 计算图里没有广播节点：`AddBackward0`收到形状为(3, 4)的梯度，而到达每个叶子节点（leaf node）的梯度已经求和成了该叶子节点的形状。

# %% slideshow={"slide_type": "fragment"}
labels = {(z.grad_fn, x): "每行求和", (z.grad_fn, y): "每列求和",
          (z_t.grad_fn, x_t): "每行求和", (z_t.grad_fn, y_t): "每列求和"}
print("图相同：", afs.viz.graph_edges(z) == afs.viz.graph_edges(z_t))
afs.viz.side_by_side(z, z_t, params=[("x", x), ("y", y), ("z", z), ("x", x_t), ("y", y_t), ("z", z_t)],
                     edge_labels=labels, arrows="backward")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：计算图里看不到广播节点：`AddBackward0`收到(3, 4)的梯度，求和发生在通往各个叶子节点的路上。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 只在一处撤销广播
#
# 没有哪个算子的`backward`会处理广播（`Add.backward`返回的就是`grad, grad`）。每个节点运行之后，引擎在`Function._fit_to_input`里把每个梯度调整成对应输入的形状和dtype：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(Function._fit_to_input))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：对所有算子只在一处撤销广播：在引擎里，而不是在每个`backward`里。minitorch教的也是这种设计。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 它调用`Tensor.sum_to_size`，也就是广播的逆运算：对广播添加出来的前导维度求和，再对输入中大小为1的那些维度求和。torch也有同样的方法：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(sum_to_size))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`sum_to_size`是广播的逆运算：先对前导维度求和，再用`keepdim`对大小为1的维度求和。

# %% slideshow={"slide_type": "fragment"}
g_t, g = torch.tensor(g_np), afs.tensor(g_np)
print("torch：", tuple(g_t.sum_to_size(3, 1).shape), tuple(g_t.sum_to_size(1, 4).shape),
      "| afs：", tuple(g.sum_to_size(3, 1).shape), tuple(g.sum_to_size(1, 4).shape))
afs.compare.report("sum_to_size(3, 1)", g.sum_to_size(3, 1), g_t.sum_to_size(3, 1), tol=1e-12)
afs.compare.report("sum_to_size(1, 4)", g.sum_to_size(1, 4), g_t.sum_to_size(1, 4), tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch的`sum_to_size`和我们的给出同样的形状和数值。

# %% [markdown] slideshow={"slide_type": "subslide"}
# torch的引擎也是这样做的，而且同样集中在一处（它的C++引擎里的`validate_outputs`）。一个自定义算子的`backward`如果返回广播后形状的梯度，**两个**引擎都会把它求和成输入的形状；形状怎么也对不上的梯度，两个引擎都会拒绝，报错信息也相同：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch也集中在一处做这件事（它的C++引擎里的`validate_outputs`）；自定义算子返回形状不对的梯度时，两个引擎会以同样的方式修正或拒绝。

# %% slideshow={"slide_type": "fragment"}
def lazy_add_for(Function):
    class LazyAdd(Function):
        @staticmethod
        def forward(ctx, p, q):
            return p + q

        @staticmethod
        def backward(ctx, grad):
            return grad, grad  # 两个的形状都是(3, 4)：由引擎把它们求和成输入的形状

    return LazyAdd


def bad_for(Function):
    class Bad(Function):
        @staticmethod
        def forward(ctx, p):
            return p * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum().reshape(1).expand(5)  # 输入只有3个元素，却返回5个数

    return Bad


for engine, T in (("torch", torch), ("afs", afs)):
    p = T.ones(3, 1, dtype=T.float64, requires_grad=True)
    q = T.ones(4, dtype=T.float64, requires_grad=True)
    lazy_add_for(T.autograd.Function).apply(p, q).sum().backward()
    print(f"{engine:<5} LazyAdd的梯度：{tuple(p.grad.shape)} {tuple(q.grad.shape)}，q.grad = {rounded(q.grad)}")
    try:
        bad_for(T.autograd.Function).apply(T.ones(3, dtype=T.float64, requires_grad=True)).sum().backward()
    except RuntimeError as e:
        print(f"{engine:<5} {type(e).__name__}: {e}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个故意偷懒的自定义加法，原样返回广播后的梯度：两个引擎都把它归约成输入的形状。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. 为什么用反向模式：一个损失，大量参数
#
# 一次反向传播给出一个**行**组合$\vec{v}^T J$。要构造$f: \mathbb{R}^n \to \mathbb{R}^m$的整个雅可比矩阵，反向模式需要$m$次，每个输出一次（$\vec{v} = e_1, \dots, e_m$）。**前向模式**（forward mode，把切向量和数值一起向前传）每次给出一**列**$J\vec{u}$，所以需要$n$次。
#
# 训练时$m = 1$（即损失），$n$是数以百万计的参数：反向模式只用**一次**反向传播就得到整个梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：为什么用反向模式：一次反向传播给出J的一个行组合，所以一个损失加上一百万个参数，只需一次。前向模式则需要一百万次。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们在输出的节点上挂一个钩子（hook），数一数`functional.jacobian`做了多少次反向传播，分别针对$n = 1000, m = 1$（$\sum_j x_j^2$）和$n = 1, m = 1000$（$x \cdot [0, 1, \dots, 999]$），两个引擎都试：

# %% slideshow={"slide_type": "fragment"}
def counted(T, m, passes):
    """f: R^n -> R^m，带一个钩子，数反向传播经过它的输出节点多少次。"""
    c = T.arange(m, dtype=T.float64)

    def f(x):
        out = (x**2).sum() if m == 1 else x * c
        out.grad_fn.register_hook(lambda grad_inputs, grad_outputs: passes.append(1))
        return out

    return f


shapes = [(1000, 1), (1, 1000)]
timings = {}
print(f"{'engine':<7}{'n':>6}{'m':>6}   雅可比矩阵形状      反向传播次数          前向模式所需次数")
for engine, T in (("afs", afs), ("torch", torch)):
    for n, m in shapes:
        passes = []
        x = T.ones(n, dtype=T.float64)
        start = time.perf_counter()
        J = T.autograd.functional.jacobian(counted(T, m, passes), x)
        timings[(engine, n, m)] = time.perf_counter() - start
        print(f"{engine:<7}{n:>6}{m:>6}   {str(tuple(J.shape)):<16} {len(passes):>15} {n:>25}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：用钩子数反向传播的次数：1 x 1000的雅可比矩阵需要1次，1000 x 1的需要1000次。耗时取决于机器，只看次数。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 再看这些反向传播花了多少时间（这个输出取决于机器，所以nbval不比较它）：

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
# 耗时因机器而异：标记为nbval-ignore-output。
for (engine, n, m), seconds in timings.items():
    print(f"{engine:<6} n={n:<5} m={m:<5} {1000 * seconds:8.1f} ms")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：torch也有前向模式（`torch.autograd.forward_ad`、`torch.func.jvp`、`jacfwd`）；我们的引擎只实现了反向模式。`torch.func.jacrev`和`jacobian(..., vectorize=True)`用`vmap`把这$m$次反向传播合并成一次向量化的计算：算术量不变，省掉的是Python的开销。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("vector_calculus", N)`，就能载入第N题的参考答案（来自`solutions/05_vector_calculus.py`）。
# ### 练习1 · 雅可比矩阵，每次反向传播求一行
#
# 为我们的引擎写`jacobian_by_rows(f, x)`：对每个输出$i$，以第$i$个单位向量$e_i$调用`afs.autograd.grad(out, x, grad_outputs=e_i, retain_graph=True)`，再把各行堆叠成$J$（形状为$(m, n)$，numpy数组）。检查会把它和torch算出的$\tanh(Wx)$的雅可比矩阵相比较。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟：每个输出行调用一次`autograd.grad`，v = e_i。常见的错误：两行之间忘了`retain_graph=True`。

# %% slideshow={"slide_type": "fragment"}
def jacobian_by_rows(f, x):
    x = x.detach().requires_grad_()
    out = f(x)
    rows = []
    ...  # 你的代码：每个输出元素调用一次afs.autograd.grad
    return np.array(rows)


print("已定义jacobian_by_rows")

# %% slideshow={"slide_type": "fragment"}
def check_rows():
    with _course.exercise(1) as check:
        x0 = torch.randn(4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        ours = check.returned(jacobian_by_rows(f, afs.tensor(x0)), "jacobian_by_rows(f, x)")
        check.same(ours, torch.autograd.functional.jacobian(f_t, x0), "jacobian_by_rows(f, x)与"
                   "torch的雅可比矩阵对照", rtol=1e-12)


check_rows()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习2 · 手算广播的梯度
#
# `x`的形状是(3, 1)，`y`的形状是(4,)，$L = \sum (x + y)$。不运行反向传播，把`x.grad`和`y.grad`写成嵌套列表。（每个数用了几次？）

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先手算：`x.grad`的每个元素都是4（每个x_i要和四个y相加），`y.grad`都是3。然后再检查。

# %% slideshow={"slide_type": "fragment"}
x_grad_guess = None  # 例如[[...], [...], [...]]
y_grad_guess = None  # 例如[...]

print("你的猜测：", x_grad_guess, y_grad_guess)

# %% slideshow={"slide_type": "fragment"}
def check_broadcast():
    with _course.exercise(2) as check:
        check.answered(x_grad_guess, "x_grad_guess")
        check.answered(y_grad_guess, "y_grad_guess")
        for engine in (torch, afs):
            x = engine.zeros(3, 1, dtype=engine.float64, requires_grad=True)
            y = engine.zeros(4, dtype=engine.float64, requires_grad=True)
            (x + y).sum().backward()
            check.same(x_grad_guess, x.grad, f"x_grad_guess与{_course.engine_name(engine)}的x.grad对照")
            check.same(y_grad_guess, y.grad, f"y_grad_guess与{_course.engine_name(engine)}的y.grad对照")


check_broadcast()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习3 · 链式法则穿过`gradient=`
#
# 设$\vec{y} = \tanh(W\vec{x})$，$l = \sum_i y_i^2$。选一个向量`v_for_l`（形状和$\vec{y}$相同的张量），使得`y.backward(gradient=v_for_l)`把$\frac{\partial l}{\partial \vec{x}}$放进`x.grad`，而始终不用构造$l$。提示：$\vec{v} = \frac{\partial l}{\partial \vec{y}}$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`v_for_l = 2y`，因为dl/dy = 2y：链式法则穿过了`gradient=`。问大家为什么v必须先`detach`（对这次反向传播来说它是常数）。

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor(np.linspace(-1, 1, 4), requires_grad=True)
y = f(x)
print("y的形状是", tuple(y.shape))

# %% slideshow={"slide_type": "fragment"}
v_for_l = None  # 你的代码：一个形状与y相同的afs张量
print("v_for_l已设置：", v_for_l is not None)

# %% slideshow={"slide_type": "fragment"}
def check_chain():
    with _course.exercise(3) as check:
        check.answered(v_for_l, "v_for_l")
        x_ref = torch.tensor(np.linspace(-1, 1, 4), requires_grad=True)
        (f_t(x_ref) ** 2).sum().backward()
        x.grad = None
        y.backward(gradient=v_for_l, retain_graph=True)
        check.same(x.grad, x_ref.grad, "y.backward(gradient=v_for_l)之后的x.grad与dl/dx对照", rtol=1e-12)


check_chain()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
# - $f: \mathbb{R}^n \to \mathbb{R}^m$的雅可比矩阵$J$是$m \times n$的；`functional.jacobian`在两个引擎里给出同样的矩阵（对$Q$是$\operatorname{diag}(9a^2)$和$\operatorname{diag}(-2b)$）。
# - `backward(gradient=v)`和`functional.vjp`一次就算出$J^T v$：它们从左往右、一次一个节点地计算链式法则中雅可比矩阵的乘积，从不构造$J$。
# - 广播让同一个数用了多次，所以它的梯度要求和回输入的形状：这件事只在一处完成，即`Function._fit_to_input`调用`sum_to_size`（torch里是`validate_outputs`）。
# - 完整的雅可比矩阵要做$m$次反向传播（前向模式：$n$次）。一个损失、大量参数：只需一次。
#
# **下一讲：**[06 · 层](06_layers.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：J、v^T J、广播只在一处求和、一个损失时用反向模式。下一讲：CNN的各个层，每一层都对应一个小的雅可比矩阵。
