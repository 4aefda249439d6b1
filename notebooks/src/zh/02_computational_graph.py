# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · 计算图
#
# **你将学到**
# - 自动求导（autograd）在前向传播（forward pass）中记录了什么：由`next_functions`连接起来的`grad_fn`节点（node），以及通过`AccumulateGrad`到达的叶子节点（leaf）；
# - 这个计算图（computational graph）能存在多久：每次前向传播都重新构建，梯度会累加（accumulate），反向传播会释放保存的张量（saved tensors）。
#
# **前置知识：**[01 · 初识梯度](01_first_gradients.ipynb)，在那里`Q.backward()`在两个引擎中都给出了$\partial Q / \partial a = 9a^2$和$\partial Q / \partial b = -2b$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这个笔记本对应教程的“计算图”一节（Computational Graph）。计算图是学生可以动手摆弄的对象：每个单元格都打印出它的一部分。接下来，04号笔记本会打开遍历它的引擎。

# %% slideshow={"slide_type": "subslide"}
import inspect
import textwrap
import warnings

import torch

import autograd_from_scratch as afs
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("已导入torch和autograd_from_scratch")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每个运算都有记录
#
# 自动求导把数据和对数据所做的每个运算都记录下来，形成一个由*函数对象*组成的有向无环图（DAG）。**叶子节点**是输入张量（tensor），**根节点**（root）是输出。在前向传播中，自动求导同时做两件事：
#
# - 执行运算，算出结果；
# - 把运算的*梯度函数*记录到计算图里（即结果的`grad_fn`）。
#
# 之后对根节点调用`.backward()`，就会从根节点往下，对每个节点用它的`grad_fn`算出该节点各个输入的梯度（gradient），并按照链式法则（chain rule）一直传到叶子节点，累加到每个叶子节点的`.grad`里。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：问大家：自动求导是在前向传播之前就决定要记录什么，还是在运行中决定？（运行中：什么都不需要预先声明。）强调每个运算同时做的两件事：算出结果，记录它的`grad_fn`。容易混淆的一点：计算图里存的是*反向传播*用的函数，而不是前向的运算。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 对$Q = 3a^3 - b^2$，记$t = a^3$、$u = 3t$，反向传播沿左分支应用的链式法则是
#
# $$\frac{\partial Q}{\partial a} = \frac{\partial Q}{\partial u}\,\frac{\partial u}{\partial t}\,\frac{\partial t}{\partial a} = 1 \cdot 3 \cdot 3a^2 = 9a^2 ,$$
#
# 计算图的每个节点贡献一个因子。我们在两个引擎里重新构建`Q`，看看它的计算图。

# %% slideshow={"slide_type": "fragment"}
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a**3 - b**2

a_ours = afs.tensor([2., 3.], requires_grad=True)
b_ours = afs.tensor([6., 4.], requires_grad=True)
Q_ours = 3 * a_ours**3 - b_ours**2
afs.compare.report("Q", Q_ours, Q)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：把这三个因子写在计算图左分支的旁边：每个节点一个因子。问大家哪个节点贡献了那个3（u = 3t，所以du/dt = 3）。运行这个单元格：在给出任何梯度之前，两个引擎的数值已经一致。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `grad_fn`：产生张量的节点
#
# 计算图的根节点是最后一个运算的节点，这里是减法。它的`name()`在两个引擎中相同。

# %% slideshow={"slide_type": "fragment"}
print(f"torch: {Q.grad_fn.name()}")
print(f"afs  : {Q_ours.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：名字是这个运算的反向函数`SubBackward0`，而不是`Sub`；末尾的0是torch给这个公式的版本号。afs照搬torch的名字，这样同一个画图函数就能画两个引擎的图。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `next_functions`：边
#
# 节点的`next_functions`就是计算图的边（edge）：它按参数顺序，为运算的每个输入保存一对`(node, output_nr)`，即产生这个输入的节点，以及这个输入是该节点的第几个输出（这里总是0，因为每个运算只有一个输出）。`None`表示一个不需要梯度的输入，比如`3 * a**3`里的常数3。（Python把`3 * t`执行为`t.__rmul__(3)`，即`t * 3`，所以常数是乘法的*第二个*输入。）

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这张幻灯片上出人意料的一点：常数3是乘法的*第二个*输入（Python把`3 * t`执行为`t.__rmul__(3)`）。在运行下一个单元格之前，请大家预测`Q.grad_fn.next_functions`。

# %% slideshow={"slide_type": "fragment"}
def edges(node):
    """把节点的next_functions写成(name, output_nr)对：用名字，而不是内存地址。"""
    return [(afs.viz.node_name(n) if n is not None else None, nr) for n, nr in node.next_functions]


print(f"torch: {edges(Q.grad_fn)}")
print(f"afs  : {edges(Q_ours.grad_fn)}")
print(f"torch，往下一层：{edges(Q.grad_fn.next_functions[0][0])}")
print(f"afs，  往下一层：{edges(Q_ours.grad_fn.next_functions[0][0])}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：现场运行，把输出读成`(node, output_nr)`对。`None`表示那个不需要梯度的常数。预计会有人混淆：`output_nr`指的是产生它的节点的第几个输出，而不是这个输入的位置。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 从根节点出发沿着`next_functions`走，就能到达每个节点。几行Python就能把整个计算图打印成一棵树：

# %% slideshow={"slide_type": "fragment"}
def graph_lines(node, leaf_names, indent=""):
    """`node`下面的计算图：按顺序沿next_functions走，每条边一行。"""
    lines = [] if indent else [afs.viz.node_name(node)]
    pairs = node.next_functions
    for k, (child, nr) in enumerate(pairs):
        last = k == len(pairs) - 1
        name = afs.viz.node_name(child) if child is not None else None
        leaf = f"   .variable is {leaf_names[id(child.variable)]}" if hasattr(child, "variable") else ""
        lines.append(f"{indent}{'└─' if last else '├─'} ({name}, {nr}){leaf}")
        if child is not None:
            lines += graph_lines(child, leaf_names, indent + ("   " if last else "│  "))
    return lines


print("已定义graph_lines")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个十行的递归遍历就能打印整个计算图；在03号笔记本里，全班会看到同样的遍历给出拓扑序（topological order）。如果时间不够，就跳过画树的细节（那些分支字符）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# `Q`的计算图，画成一棵树；每一行是某个`next_functions`中的一对：

# %% slideshow={"slide_type": "fragment"}
names = {id(a): "a", id(b): "b", id(a_ours): "a", id(b_ours): "b"}
tree_torch = graph_lines(Q.grad_fn, names)
tree_ours = graph_lines(Q_ours.grad_fn, names)
print("\n".join(tree_ours))
print(f"torch中是同一棵树：{tree_ours == tree_torch}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：从根节点往下读这棵树，并和01号笔记本里的图对照。问：a和b在哪里？（在`AccumulateGrad`节点下面：见下一张幻灯片。）

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 叶子节点和`AccumulateGrad`
#
# `a`和`b`是我们创建的，而不是由运算产生的：它们是**叶子节点**（`is_leaf`为True，`grad_fn`为None）。计算图通过一个`AccumulateGrad`节点到达需要梯度的叶子节点，这个节点的`.variable`*就是*那个叶子节点：由它把梯度写进`leaf.grad`。

# %% slideshow={"slide_type": "fragment"}
acc_a = Q.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
acc_a_ours = Q_ours.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
print(f"torch: {acc_a.name()} | .variable is a: {acc_a.variable is a}")
print(f"afs  : {acc_a_ours.name()} | .variable is a: {acc_a_ours.variable is a_ours}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# （torch里它的全名是`torch::autograd::AccumulateGrad`，因为这个节点是用C++写的；`afs.viz.node_name`把它缩短了。）

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：有三个词要分清：叶子节点（由用户创建，而不是由运算产生）、`requires_grad`（被跟踪）、`AccumulateGrad`（写入`leaf.grad`的节点）。`requires_grad=False`的叶子节点根本没有`AccumulateGrad`节点。

# %% slideshow={"slide_type": "fragment"}
for engine, tensors in [("torch", (a, b, Q)), ("afs  ", (a_ours, b_ours, Q_ours))]:
    is_leaf = {name: t.is_leaf for name, t in zip("abQ", tensors)}
    print(f"{engine} is_leaf: {is_leaf} | a.grad_fn is None: {tensors[0].grad_fn is None}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：检验一下：`torch.tensor([1.], requires_grad=True) * 2`是叶子节点吗？（不是：它有`grad_fn`，即`MulBackward0`。）Q不是叶子节点；在两个引擎中`a.grad_fn`都是None。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们的`AccumulateGrad`的完整代码（来自`autograd_from_scratch/autograd/function.py`）：第一个梯度直接存下，之后的梯度*累加*上去。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.AccumulateGrad))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`AccumulateGrad`的完整代码在下面的子页上。除非有人问第一个梯度怎样存下（一份副本）、之后的怎样相加（原地），否则跳过它们（按右方向键）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在图中，叶子节点的蓝色方框代表它的`AccumulateGrad`节点；这里把它们用橙色高亮显示。

# %% slideshow={"slide_type": "fragment"}
leaf_names = [("a", a), ("b", b), ("Q", Q), ("a", a_ours), ("b", b_ours), ("Q", Q_ours)]
afs.viz.side_by_side(Q_ours, Q, params=leaf_names, highlight=[a, b, a_ours, b_ours])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：把每个橙色方框和它的叶子节点对应起来。两张图里叶子节点都在顶部，根节点Q在底部；同一个函数画出两个引擎的节点。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 只有叶子节点保留`.grad`
#
# 把`Q`分步写出来，让中间结果都有名字。反向传播之后，叶子节点有了各自的梯度，但中间结果`t = a**3`（一个非叶子节点）没有：为了节省内存，自动求导把它的梯度传下去之后就丢掉了。读取它得到None，而且两个引擎都会发出警告。

# %% slideshow={"slide_type": "fragment"}
t = a**3
u = 3 * t
Q = u - b**2
Q.backward(gradient=torch.tensor([1., 1.]))

t_ours = a_ours**3
u_ours = 3 * t_ours
Q_ours = u_ours - b_ours**2
Q_ours.backward(gradient=afs.tensor([1., 1.]))

print(f"is_leaf：a {a.is_leaf} | t {t.is_leaf} | 两个引擎一致：{t_ours.is_leaf == t.is_leaf}")
print(f"a.grad: {a.grad} | afs: {a_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：运行之前先问：`Q.backward()`之后，`t.grad`是什么？很多人以为是一个数。它是None：非叶子节点的梯度传下去之后就被丢掉了，以节省内存。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在两个引擎中读取`t.grad`都得到None，并发出同样的警告（我们捕获它，只打印第一句）。

# %% slideshow={"slide_type": "fragment"}
def read_grad(tensor):
    """返回tensor.grad，以及读取它时发出的每条警告的第一句。"""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = tensor.grad
    return grad, [str(w.message).split(". ")[0] + "." for w in caught]


for engine, tensor in [("torch", t), ("afs  ", t_ours)]:
    grad, messages = read_grad(tensor)
    print(f"{engine} t.grad = {grad}")
    for message in messages:
        print(textwrap.fill(f"      警告：{message}", width=96, subsequent_indent="        "))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎的警告是同一句话。一个常见的真实bug：读取非叶子节点的`.grad`会悄无声息地得到None，警告是唯一的提示。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `retain_grad()`
#
# 要保留非叶子节点的梯度，就在反向传播之前提出要求。这里$\partial Q / \partial t = \partial Q / \partial u \cdot \partial u / \partial t = 3$：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`retain_grad()`必须在反向传播之前调用；之后再调用，对已经做完的那次反向传播不起作用。这里每个元素的dQ/dt都是3。

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad, a_ours.grad, b_ours.grad = None, None, None, None  # 从空的.grad重新开始

t = a**3
t.retain_grad()
Q = 3 * t - b**2
Q.backward(gradient=torch.tensor([1., 1.]))

t_ours = a_ours**3
t_ours.retain_grad()
Q_ours = 3 * t_ours - b_ours**2
Q_ours.backward(gradient=afs.tensor([1., 1.]))

print(f"torch: t.retains_grad {t.retains_grad} | t.grad {t.grad}")
print(f"afs  : t.retains_grad {t_ours.retains_grad} | t.grad {t_ours.grad}")
afs.compare.report("t.grad", t_ours.grad, t.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：指出第一行：把`.grad`重置为None，否则上一张幻灯片的梯度会累加进来（下一节讲为什么）。在两个引擎中`t.retains_grad`都是True。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每次前向传播都重新构建计算图
#
# 什么都不需要预先声明：每个运算在运行时添加自己的节点，下一次前向传播则开始一个新的计算图。所以普通的Python控制流可以直接使用：循环次数取决于数据的循环、根据张量的值做判断的`if`。计算图只记录实际运行了的部分。

# %% slideshow={"slide_type": "fragment"}
def f(x):
    """把x不断翻倍，直到足够大，再根据符号选择公式。"""
    y = x * 2
    while y.abs().sum() < 2:
        y = y * 2
    if y.sum() > 0:
        return (y * y).sum()
    return y.tanh().sum()


print("已定义f")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：问：一个预先构建计算图的框架能表达这个`while`循环吗？动态图（define-by-run）的意思是：运行了什么，计算图就是什么。把f留在屏幕上，后面几张幻灯片要用。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在两个引擎里，用两个输入运行它：

# %% slideshow={"slide_type": "fragment"}
inputs = {"x1": [0.5, 1.0], "x2": [-0.25, 0.125]}
runs = {}
for key, values in inputs.items():
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    x_ours = afs.tensor(values, dtype=afs.float64, requires_grad=True)
    out, out_ours = f(x), f(x_ours)
    out.backward()
    out_ours.backward()
    runs[key] = (x, x_ours, out, out_ours)
    print(f"{key} = {values}：f = {out.item():.4f}；从叶子节点到输出的节点：")
    path = " → ".join(reversed([e.name for e in afs.viz.graph_edges(out)]))
    print(f"    {path}")
    afs.compare.report(f"  {key}.grad", x_ours.grad, x.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：运行之前，先对x2 = [-0.25, 0.125]手动跟踪f：|y|之和是0.75，所以翻倍两次；和为负，所以走tanh。对x1，循环一次也不执行。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 对`x1`，循环一次也不执行，`if`走第一个分支；对`x2`，循环执行两次，`if`走第二个分支。两个输入，两个不同的计算图，两个引擎都是如此：

# %% slideshow={"slide_type": "fragment"}
x, x_ours, out, out_ours = runs["x1"]
print(f"两个引擎中是同一个计算图：{afs.viz.graph_edges(out_ours) == afs.viz.graph_edges(out)}")
afs.viz.side_by_side(out_ours, out, params=[("x1", x), ("f", out), ("x1", x_ours), ("f", out_ours)],
                     title="f(x1)，x1 = [0.5, 1.0]：不进入循环，走第一个分支")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：x1：不进入循环，走第一个分支：两个`MulBackward0`节点（`x * 2`，然后`y * y`）和一个`SumBackward0`。在展示x2的计算图之前，请全班数一数它有几个节点。

# %% slideshow={"slide_type": "subslide"}
x, x_ours, out, out_ours = runs["x2"]
print(f"两个引擎中是同一个计算图：{afs.viz.graph_edges(out_ours) == afs.viz.graph_edges(out)}")
afs.viz.side_by_side(out_ours, out, params=[("x2", x), ("f", out), ("x2", x_ours), ("f", out_ours)],
                     title="f(x2)，x2 = [-0.25, 0.125]：循环两次，走第二个分支")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：比较`y.abs().sum() < 2`和`y.sum() > 0`也是在需要梯度的张量上运行的：它们各自生成了一个小计算图，但这些图和输出不相连，所以不在图里，直接被丢弃。指出`(y * y)`节点：`y`两次进入`MulBackward0`，所以图中只有一个箭头，而`next_functions`里有两对。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 梯度会累加
#
# `AccumulateGrad`是往`.grad`里*加*。调用三次反向传播（每次都重新做前向传播），$\sum x^2$的梯度$2x$就会累加三次：

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([1., 2.], requires_grad=True)
x_ours = afs.tensor([1., 2.], requires_grad=True)
for step in range(3):
    (x**2).sum().backward()
    (x_ours**2).sum().backward()
    print(f"第{step + 1}次反向传播之后：torch {x.grad}   afs {x_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：演示：运行这个单元格，再现场运行一次：打印出来的`.grad`每次都增加同样的量。这是训练循环里的经典bug；解决办法是`zero_grad()`（10号笔记本）。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 这是有意为之：一个在多处用到的张量，必须得到各处梯度之*和*；而跨多次反向传播求和，可以在一次更新之前把几个批量（batch）的梯度加起来。但在普通的训练循环里，每一步都需要新的梯度，所以循环要先把它们清掉。这就是`optimizer.zero_grad()`的用途。有两种做法：

# %% slideshow={"slide_type": "fragment"}
x.grad.zero_()            # 把现有的缓冲区填成0
x_ours.grad.zero_()
print(f"zero_()之后：   torch {x.grad}   afs {x_ours.grad}")

x.grad = None             # 或者丢掉它：下一次反向传播会存一个新的
x_ours.grad = None        # （optimizer.zero_grad()默认这样做）
print(f"= None之后：    torch {x.grad}   afs {x_ours.grad}")

(x**2).sum().backward()
(x_ours**2).sum().backward()
print(f"一次反向传播：  torch {x.grad}   afs {x_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：为什么这样设计：一个在两处用到的张量必须得到两处梯度之和，而在多次反向传播之间累加是同一个机制。请大家举一个用途（把几个较小批量的梯度累加起来再更新）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 反向传播释放计算图
#
# 有些节点在前向传播时保存张量，因为它们的反向计算要用到：`PowBackward0`保存`a`，用来计算$3a^2$。反向传播用完这些张量后就释放它们，所以大模型的激活值所占的内存能立刻归还。第一次反向传播可以正常运行：

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad, a_ours.grad, b_ours.grad = None, None, None, None

Q = 3 * a**3 - b**2
Q_ours = 3 * a_ours**3 - b_ours**2
Q.sum().backward()
Q_ours.sum().backward()
print(f"第一次反向传播：torch a.grad {a.grad} | afs a.grad {a_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：内存：保存的张量（`a**3`要用的a、`b**2`要用的b）占了计算图的大部分空间。反向传播之后它们被释放，所以第二次反向传播就没有东西可用了。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 于是，第二次对同一个计算图做反向传播就会失败。这个错误是预料之中的：回溯信息是课程内容的一部分（这个单元格带有`raises-exception`标签）。

# %% tags=["raises-exception"] slideshow={"slide_type": "fragment"}
Q.sum().backward()  # 第二次经过Q的计算图，而它保存的张量已经没了

# %% [markdown] slideshow={"slide_type": "fragment"}
# 我们的引擎抛出同样的错误，信息也相同：

# %% slideshow={"slide_type": "skip"}
def error_of(call):
    """运行`call()`（它应当失败），并返回它抛出的错误。"""
    try:
        call()
    except RuntimeError as e:
        return e
    return None


print("已定义error_of")

# %% slideshow={"slide_type": "fragment"}
e_torch = error_of(lambda: Q.sum().backward())
e_ours = error_of(lambda: Q_ours.sum().backward())
print(f"torch: {type(e_torch).__name__} | afs: {type(e_ours).__name__} | "
      f"信息相同：{str(e_ours) == str(e_torch)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这个错误是预料之中的（单元格带有`raises-exception`标签）。大声读出它的信息：它说出了解决办法，`retain_graph=True`。我们的引擎抛出同样的`RuntimeError`，措辞也一样。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在我们的引擎里，节点的反向计算一运行完，它就丢掉保存的张量（除非`retain_graph=True`）：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.Function.release_saved))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：简短带过：`release_saved`的两行代码。学生在03号笔记本里自己写的引擎会把保存的张量一直留着；这里就是归还内存的地方。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `retain_graph=True`
#
# 要两次经过同一个计算图，就在第一次时保留保存的张量。两次反向传播的梯度会累加，所以`a.grad`是$2 \cdot 9a^2 = (72, 162)$：

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad, a_ours.grad, b_ours.grad = None, None, None, None

Q = 3 * a**3 - b**2
Q.sum().backward(retain_graph=True)
Q.sum().backward()

Q_ours = 3 * a_ours**3 - b_ours**2
Q_ours.sum().backward(retain_graph=True)
Q_ours.sum().backward()

print(f"torch a.grad: {a.grad}")
print(f"afs   a.grad: {a_ours.grad}")
afs.compare.report("2次反向传播后的a.grad", a_ours.grad, a.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：实际中很少用到`retain_graph=True`：共享同一个计算图的两个损失通常先相加，再做一次反向传播。只有当一个计算图确实必须遍历两次时才需要它（例如计算多个向量-雅可比积（vector-Jacobian product），就像`functional.jacobian`逐行做的那样）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 把张量排除在计算图之外
#
# 自动求导只跟踪对`requires_grad=True`的张量所做的运算。只要有*一个*输入需要梯度，结果就需要梯度；如果所有输入都不需要，就什么也不记录。

# %% slideshow={"slide_type": "fragment"}
for engine in (torch, afs):
    x, y = engine.rand(5, 5), engine.rand(5, 5)
    z = engine.rand((5, 5), requires_grad=True)
    print(f"{engine.__name__:>21}: (x + y).requires_grad = {(x + y).requires_grad}, "
          f"(x + z).requires_grad = {(x + z).requires_grad}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# 微调（fine-tuning）时，预训练模型的参数（parameter）就是这样被*冻结*（frozen）的；而`no_grad()`则完全关闭记录。[07 · 从有向无环图中排除](07_exclusion_from_the_dag.ipynb)会完整地讲解这两者，以及`detach()`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一分钟，预告07号笔记本：`requires_grad`会传播（对各输入取“或”）；`no_grad`和`detach`把张量排除在外。这里不要深入。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在它的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("computational_graph", N)`，就能载入第N题的参考答案（来自`solutions/02_computational_graph.py`）。
#
# **1. 先读图，再画图**。对`z = a * b + a`（其中`a`、`b`是需要梯度的叶子节点），`z.grad_fn.next_functions`里依次是哪些名字？先写下来，再检查。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟。学生先在纸上作答，再在自己的笔记本里运行检查单元格。常见的错误：忘了从z出发会两次到达a，一次经过乘法，一次经过加法。

# %% slideshow={"slide_type": "fragment"}
my_names = None  # 节点名字的列表，例如["AddBackward0", "PowBackward0"]
print(f"我的答案：{my_names}")


# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        check.answered(my_names, "my_names")
        for engine in (torch, afs):
            a = engine.tensor([2., 3.], requires_grad=True)
            b = engine.tensor([6., 4.], requires_grad=True)
            z = a * b + a
            check.equal(list(my_names), [name for name, _ in edges(z.grad_fn)],
                        f"z.grad_fn.next_functions里的名字（{_course.engine_name(engine)}）")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. 每一步一个梯度**。这个循环应该对每一步$k = 1, 2, 3$返回$k \sum x^2$的梯度，即$2kx$。但它返回的是别的东西。用一行代码修好它（对torch和afs的张量都必须适用）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：要找的bug是梯度累加：如果在两步之间不重置`x.grad`，第k步返回的就是第1到第k步的梯度之和。检查单元格会指出哪一步不对。

# %% slideshow={"slide_type": "fragment"}
def per_step_grads(x, steps=3):
    grads = []
    for k in range(1, steps + 1):
        (k * x**2).sum().backward()
        grads.append(x.grad.clone())
    return grads


print("已定义per_step_grads")


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        for engine in (torch, afs):
            x = engine.tensor([1., 2.], requires_grad=True)
            grads = per_step_grads(x)
            check.equal(len(grads), 3, f"per_step_grads返回的梯度个数（{_course.engine_name(engine)}）")
            for k, g in enumerate(grads, start=1):
                check.same(g, 2 * k * engine.tensor([1., 2.]), f"第{k}步的梯度（{_course.engine_name(engine)}），2kx")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. 两个损失，一次前向传播**。写出`two_grads(a, b, autograd)`：它只计算*一次*`Q = 3 * a**3 - b**2`，然后分别返回$L_1 = \sum Q$和$L_2 = \sum Q^2$对`a`的梯度。你需要用到`retain_graph`，还要想办法把两个梯度分开。`autograd`是张量所属引擎的模块，即`torch.autograd`或`afs.autograd`：调用`autograd.grad(...)`（不要用`torch.autograd.grad`，它只认识torch张量），或者用`backward`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：要点：第一次反向传播时用`retain_graph=True`，并在两次调用之间读取`.grad`、再重置它。问大家：为什么第二个损失不需要第二次前向传播？

# %% slideshow={"slide_type": "fragment"}
def two_grads(a, b, autograd):
    return None, None  # (dL1/da, dL2/da)


print("已定义two_grads")

# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        for engine in (torch, afs):
            a = engine.tensor([2., 3.], dtype=engine.float64, requires_grad=True)
            b = engine.tensor([6., 4.], dtype=engine.float64, requires_grad=True)
            g1, g2 = two_grads(a, b, engine.autograd)
            Q = 3 * a.detach()**3 - b.detach()**2
            check.same(g1, 9 * a.detach()**2, f"dL1/da，第一个梯度（{_course.engine_name(engine)}张量）")
            check.same(g2, 2 * Q * 9 * a.detach()**2, f"dL2/da，第二个梯度（{_course.engine_name(engine)}张量）")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - 前向传播记录下一个有向无环图：每个结果的`grad_fn`是一个节点，`next_functions`是它的边，写成`(node, output_nr)`对；叶子节点通过`AccumulateGrad`节点到达，这个节点的`.variable`就是叶子节点本身。两个引擎记录的计算图相同。
# - 只有叶子节点保留`.grad`；`retain_grad()`可以让非叶子节点也保留梯度。
# - 每次前向传播都重新构建计算图，所以根据张量的值写的循环和`if`可以直接使用。
# - 多次反向传播的梯度在`.grad`里累加：在两步之间要清掉它们（`zero_()`或设为`None`），这正是`zero_grad()`做的事。
# - 反向传播会释放为它保存的张量；第二次反向传播需要`retain_graph=True`。
#
# **下一讲：**[03 · 亲手实现](03_build_it_yourself.ipynb)：自己写一个遍历这个计算图的引擎，大约100行代码。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾时对照Q的计算图：节点、边、叶子节点。然后问大家：今天讲的哪一点解释了每个训练循环里都有的`zero_grad()`？（梯度累加。）
