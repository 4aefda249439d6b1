# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · ResNet18的一步SGD，每一行都看懂
#
# **你将学到**
# - 在两个引擎里运行教程中的训练步（training step），即前向传播（forward）、损失（loss）、反向传播（backward）和带动量（momentum）的SGD，并读懂其中的每一部分：模型的代码、按模块（module）划分的计算图（computational graph）、梯度（gradient）和更新规则；
# - 两个独立实现的引擎在62个梯度上（float32和float64下）吻合到什么程度，以及更新规则$b_t = \mu b_{t-1} + g_t$，$\theta_t = \theta_{t-1} - \eta b_t$做了什么，并亲手验算。
#
# **前置知识：**[07 · 从有向无环图中排除](07_exclusion_from_the_dag.ipynb)及之前的全部内容。这里再走一遍[00 · 训练步](00_the_training_step.ipynb)里的那一步，如今我们已经知道每一行在做什么。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这一讲是前面各讲的回报。引擎里没有新东西：计算图、引擎、向量-雅可比积（vector-Jacobian product）、层、冻结参数（frozen parameters），每一部分都已在01–07中实现。这里新增的只有优化器（optimizer）的更新规则（第6节）和对数值一致性的考察（第7节）。执行大约需要半分钟：ResNet18要在两个引擎里各做几次前向传播和反向传播。

# %% slideshow={"slide_type": "skip"}
import importlib.util
import inspect
import json
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchvision

import autograd_from_scratch as afs
from autograd_from_scratch.compare import agree, report, report_grads, to_numpy
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("torch", torch.__version__.split("+")[0], "| torchvision", torchvision.__version__.split("+")[0])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. 这一步，以及每一行在哪里讲过
#
# ```python
# model = torchvision.models.resnet18(weights=None)      # 06 · 它由哪些层构成
# prediction = model(data)                               # 02 · 前向传播记录下计算图
# loss = (prediction - labels).sum()                     # 01 · 一个用来求导的标量
# loss.backward()                                        # 04、05 · 引擎遍历计算图：在每个节点上计算J^T v
# optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
# optim.step()                                           # 08 · 本笔记本：更新规则
# ```
#
# 优化器在计算图之外原地（in-place）修改参数（parameter）：这就是07号笔记本里的`no_grad`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：还是00号笔记本的那五行，现在每一行都标上了讲解它的笔记本。在放下一张幻灯片之前，请学生逐行说出里面发生了什么。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. 模型
#
# ResNet18由一个**起始层**（stem）、四个**阶段**（stage）`layer1`…`layer4`和一个**分类头**（head）组成。起始层依次是7×7卷积（convolution）、批量规范化（batch norm）、ReLU和最大池化（max pooling）；每个阶段有两个残差块，通道数分别为64、128、256、512；分类头是全局平均池化加一个线性层（linear layer）。`BasicBlock`学习的是对其输入的一个修正量$F(x)$：
#
# $$\text{out} = \operatorname{relu}\big(F(x) + \text{shortcut}(x)\big), \qquad
# F(x) = \operatorname{bn}_2(\operatorname{conv}_2(\operatorname{relu}(\operatorname{bn}_1(\operatorname{conv}_1 x)))).$$
#
# 下面是我们的包里的残差块，即`autograd_from_scratch/models/resnet.py`中的写法：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.models.BasicBlock.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在黑板上画出这个块：两个带批量规范化的3x3卷积，中间夹一个ReLU，捷径连接（shortcut）在最后一个ReLU之前加上。ResNet其余的部分就是这个块的重复。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 捷径连接是恒等映射，只有`layer2`–`layer4`的第一个块例外：这个块把分辨率减半、通道数加倍，所以那里的`downsample`是一个带步幅的1×1卷积加批量规范化。整个网络：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.models.ResNet.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：捷径连接是恒等映射，只有分辨率减半的地方（layer2到layer4的第一个块）例外：在那里用一个步幅为2的1x1卷积让形状（shape）对上。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 先是设定了随机种子的torchvision模型（随机权重：这里不下载任何东西，见00号笔记本），然后是我们的模型。我们的属性名和torchvision的一样，所以`load_state_dict`能按名字复制每个权重（weight）和每个批量规范化的统计量：

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)
start = {name: value.clone() for name, value in model.state_dict().items()}  # 任何一步之前的权重
print("torch:", type(model).__name__, "包含", len(start), "个state_dict条目")

# %% slideshow={"slide_type": "fragment"}
ours = afs.models.resnet18()
ours.load_state_dict(model.state_dict())
print("afs:  ", type(ours).__name__, "包含", len(ours.state_dict()), "个state_dict条目")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：不用下载：torchvision的模型用设定了种子的随机权重，再用load_state_dict载入我们的模型。两边的属性名相同，所以一行就够了。

# %% slideshow={"slide_type": "fragment"}
params_t, params = dict(model.named_parameters()), dict(ours.named_parameters())
print("键相同，顺序也相同：", list(ours.state_dict()) == list(model.state_dict()))
print("子模块相同：", [(n, type(m).__name__) for n, m in ours.named_children()]
      == [(n, type(m).__name__) for n, m in model.named_children()])
print(f"参数：{len(params)}个张量，共{sum(p.numel() for p in params.values()):,}个数（我们的）|",
      f"{len(params_t)}个张量，共{sum(p.numel() for p in params_t.values()):,}个数（torch）")
print("每个值都原样复制：", all(np.array_equal(to_numpy(v), to_numpy(start[k]))
                                         for k, v in ours.state_dict().items()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同样的62个参数名，顺序相同，形状也相同。可以问学生顺序为什么重要（优化器按顺序逐个处理参数；比较两个列表也依赖这个顺序）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. 前向传播和损失
#
# 一张随机的64×64图像和一个随机的标签（label）向量，这是教程里的数据。两个模型都处于训练模式，所以批量规范化用这个批量（batch）的统计量做规范化，并更新移动平均（running statistics），见06号笔记本。

# %% slideshow={"slide_type": "fragment"}
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)
prediction_t = model(data)
loss_t = (prediction_t - labels).sum()
print("torch: 预测", tuple(prediction_t.shape), "由", prediction_t.grad_fn.name(),
      "生成 | 损失由", loss_t.grad_fn.name())

# %% slideshow={"slide_type": "fragment"}
x, y = afs.tensor(data), afs.tensor(labels)
prediction = ours(x)
loss = (prediction - y).sum()
print("afs:   预测", tuple(prediction.shape), "由", prediction.grad_fn.name(),
      "生成 | 损失由", loss.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎从相同的权重和数据出发，做前向传播并计算损失；打印出来的一致性是float32级别的（相对误差约1e-6）。

# %% slideshow={"slide_type": "fragment"}
report("prediction", prediction, prediction_t, tol=1e-3)
report("loss", loss, loss_t, tol=1e-3)
buffers_t = dict(model.named_buffers())
print(f"{len(buffers_t)}个批量规范化缓冲区（移动均值、方差、计数）更新得一致：",
      all(agree(b, buffers_t[k], 1e-3) for k, b in ours.named_buffers()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：float32下用的相对容差是1e-3，与00号笔记本相同：两个引擎求和的顺序不同，而且最后一个阶段的批量规范化每个通道只在2×2 = 4个值上做规范化。第7节会看到，在float64下差异降到约1e-13：这是舍入误差，不是公式不同。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. 反向传播将要遍历的计算图
#
# 前向传播中的每个运算都是一个节点（node）；每个参数都经由它自己的`AccumulateGrad`接入计算图。两个引擎记录下的计算图一模一样，逐个节点都相同（`graph_edges`列出节点名和连接方式）：

# %% slideshow={"slide_type": "fragment"}
edges, edges_t = afs.viz.graph_edges(loss), afs.viz.graph_edges(loss_t)
n_leaves = sum(e.name == "AccumulateGrad" for e in edges)
print(f"节点：{len(edges)}个（我们的），{len(edges_t)}个（torch）；名字和连接都相同：{edges == edges_t}")
print(f"  = {len(edges) - n_leaves}个运算 + {n_leaves}个AccumulateGrad，",
      f"每个参数一个：{n_leaves == len(params)}")
kinds = sorted({e.name for e in edges} - {"AccumulateGrad"})
print(textwrap.fill("运算的种类：" + ", ".join(kinds), width=100, subsequent_indent="  "))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：ResNet18的一步有134个节点。提问：其中有多少个AccumulateGrad节点？（62个，每个参数一个。）

# %% [markdown] slideshow={"slide_type": "subslide"}
# 134个方框太多，看不过来，所以我们给网络的每个部分只画一个方框：起始层、四个阶段和分类头。`cluster_by`把每个参数名映射到它所属的部分；没有参数的运算（ReLU、残差相加）归入输入一侧最近的部分。因此全局平均池化和展平落在`layer4`里（18个运算，而`layer2`和`layer3`各有16个），分类头的4个运算是线性层的转置和`addmm`，以及损失的减法和求和。左边是我们的，右边是torch的：

# %% slideshow={"slide_type": "fragment"}
STEM_AND_HEAD = {"conv1": "stem", "bn1": "stem", "fc": "head"}


def part(name):
    """'conv1.weight' -> 'stem', 'layer2.0.bn1.bias' -> 'layer2', 'fc.bias' -> 'head'."""
    top = name.split(".")[0]
    return STEM_AND_HEAD.get(top, top)


named = ({**params, "loss": loss}, {**params_t, "loss": loss_t})
afs.viz.side_by_side(loss, loss_t, params=named, cluster_by=part, collapse=True)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每个模块一个方框：图从上到下，从输入读到损失。接下来两张子页把图放大到能看清；从起始层一路讲到分类头。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 展开一个块
#
# 还是同一个网络，只是把其中一个块展开成它的各个模块。捷径连接就是那条从前一部分跳到这个块最后一个批量规范化的箭头；加法和最后的ReLU也在那个方框里。在`layer2.0`中，捷径连接经过`downsample`：


# %% slideshow={"slide_type": "fragment"}
def opened(block):
    """按部分分组，但`block`（如'layer2.0'）的参数按它们各自所在的模块分组。"""
    def group(name):
        return ".".join(name.split(".")[:3]) if name.startswith(block + ".") else part(name)

    return group


opened_view = afs.viz.side_by_side(loss, loss_t, params=named, cluster_by=opened("layer2.0"), collapse=True)
opened_view.attr(size="11,11")  # graphviz把更大的图缩小到11 x 11英寸以内：放得进页面
opened_view

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：展开了一个块：捷径连接就是跳过两个卷积的那条边（edge）。指给学生看两条路径汇合处的AddBackward0：它的梯度同时传给两条路径。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 一个块，每个运算
#
# 再单独看一个`BasicBlock`，画出它的每一个节点：每个引擎各新建一个块，载入`layer1.0`的权重，作用在一个与`layer1`的输入形状相同的`x`上。它的14个节点是这个块的7个运算、6个参数和输入（折叠的图里，`layer1`的两个块共有14个运算和12个参数）。

# %% slideshow={"slide_type": "fragment"}
block_t = torchvision.models.resnet.BasicBlock(64, 64)
block_t.load_state_dict(model.layer1[0].state_dict())
block = afs.models.BasicBlock(64, 64)
block.load_state_dict(model.layer1[0].state_dict())
x_block_t = torch.rand(1, 64, 16, 16, requires_grad=True)
x_block = afs.tensor(x_block_t.detach(), requires_grad=True)
out_block_t, out_block = block_t(x_block_t), block(x_block)
block_names = [("x", x_block), ("x", x_block_t)] + [(n, p) for m in (block, block_t) for n, p in m.named_parameters()]
print("块的输出", tuple(out_block.shape), "| 计算图相同：",
      afs.viz.graph_edges(out_block) == afs.viz.graph_edges(out_block_t),
      "|", len(afs.viz.graph_edges(out_block)), "个节点")
block_view = afs.viz.side_by_side(out_block, out_block_t, params=block_names, title="块layer1.0")
block_view.attr(size="11,11")
block_view

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个BasicBlock的每个运算：在完整的网络里，反向传播要把这样的结构走8遍。两个引擎的节点相同。

# %% [markdown] slideshow={"slide_type": "skip"}
# 内核运行时，可以选择要展开的块（上面的静态图展示的是`layer2.0`和`layer1.0`）：

# %% slideshow={"slide_type": "skip"}
import ipywidgets as widgets

BLOCKS = [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
chooser = widgets.Dropdown(options=["none"] + BLOCKS, value="layer1.0", description="展开的块")
graph_view = widgets.HTML()


def block_drawing(block):
    """把`block`展开成各个模块后的两张计算图（"none"：所有块都折叠）。"""
    grouping = part if block == "none" else opened(block)
    drawing = afs.viz.side_by_side(loss, loss_t, params=named, cluster_by=grouping, collapse=True)
    drawing.attr(size="11,11")
    return drawing


def show_block(change=None):
    """按下拉菜单选中的块重画两张计算图。"""
    graph_view.value = block_drawing(chooser.value).pipe(format="svg", encoding="utf-8")


chooser.observe(show_block, names="value")
show_block()
_course.interactive(widgets.VBox([chooser, graph_view]), first_state=block_drawing(chooser.value))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. 反向传播
#
# 每个引擎只需一次调用，就填好全部62个参数的`.grad`。

# %% slideshow={"slide_type": "fragment"}
loss_t.backward()
print("torch: 每个参数都有.grad：", all(p.grad is not None for p in params_t.values()))

# %% slideshow={"slide_type": "fragment"}
loss.backward()
print("afs:   每个参数都有.grad：", all(p.grad is not None for p in params.values()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在每个引擎里，一次`backward`调用就填好全部62个`.grad`张量（tensor）。

# %% slideshow={"slide_type": "fragment"}
all_agree = report_grads([(k, params[k].grad, params_t[k].grad) for k in params], tol=1e-3, show=4)
grads32 = {k: (to_numpy(params[k].grad), to_numpy(params_t[k].grad)) for k in params}  # 留给第7节用
print("62个梯度全部一致：", all_agree)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：62个梯度在float32精度内全部一致；列出的四个来自不同深度。第7节详细考察误差。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. 带动量的SGD
#
# 设学习率（learning rate）为$\eta$、动量为$\mu$。SGD为每个参数维护一个**动量缓冲区**（momentum buffer）$b$，它是过去各步梯度的累计和，每一步都乘以$\mu$而衰减；参数沿着它移动：
#
# $$b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t, \qquad\text{with } b_1 = g_1 .$$
#
# torch对第一步的约定是：缓冲区的初值就是梯度本身。所以第1步是普通的梯度下降，$\theta_1 = \theta_0 - \eta g_1$；第2步是$\theta_2 = \theta_1 - \eta(\mu g_1 + g_2)$。这里$\eta = 0.01$，$\mu = 0.9$：一个梯度会以系数$1, 0.9, 0.81, \dots$持续起作用，大约持续$1/(1-\mu) = 10$步。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：希望学生记住的动量形式：b = mu b + g，theta = theta - eta b。提问：第一步时缓冲区是什么？（就是g本身。）

# %% [markdown] slideshow={"slide_type": "subslide"}
# **完整的规则**（见`torch.optim.SGD`的文档），包括权重衰减（weight decay）$\lambda$、阻尼（dampening）$\tau$，以及`nesterov`和`maximize`两个开关：
#
# $$g_t \leftarrow -g_t \ \ (\text{maximize}), \qquad g_t \leftarrow g_t + \lambda\, \theta_{t-1}, \qquad
# b_t = \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases}$$
#
# $$\theta_t = \theta_{t-1} - \eta \cdot \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise.} \end{cases}$$
#
# 注意，第一个缓冲区**不**做阻尼：当$\tau \ne 0$时，torch的$b_1 = g_1$与教科书上的$b_0 = 0$不同。另一些教材把$\eta$放进缓冲区里（$v_t = \mu v_{t-1} + \eta g_t$）：$\eta$不变时，两种写法走出的每一步都相同；$\eta$改变时就不同了（练习1会逐一尝试这些选项）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：带权重衰减、阻尼和Nesterov的完整规则：这是torch文档里写明的算法，我们的实现逐行照着它写。花一分钟讲：练习会用到它。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们的优化器逐行照搬这条规则（在`no_grad`下原地修改numpy数组）。`step()`把参数切成每块65,536个数，让一块数据在几遍计算中始终留在CPU缓存里：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.optim.SGD._update_block))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的更新在no_grad下原地修改numpy数组，按缓存大小分块进行。提问：为什么要在no_grad下？（更新不能被记录进任何计算图。）

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "subslide"}
# ### 第1步
# 我们盯住四个来自不同深度的参数，把它们的值和梯度存成float64的numpy数组，以便手工重做一遍更新。

# %% slideshow={"slide_type": "fragment"}
WATCHED = ["conv1.weight", "layer1.0.bn1.bias", "layer3.1.conv2.weight", "fc.bias"]
ETA, MU = 1e-2, 0.9


def snapshot(named_params):
    """每个被观察参数的（值，梯度），都是float64的numpy数组。"""
    return {k: (to_numpy(named_params[k]), to_numpy(named_params[k].grad)) for k in WATCHED}


before = {"torch": snapshot(params_t), "afs": snapshot(params)}
optim_t = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim_t.step()
print("torch: 已更新一步；", len(optim_t.state), "个动量缓冲区")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第二部分：先回顾进度（梯度一致，规则已知），然后跟踪四个参数走完两步。

# %% slideshow={"slide_type": "fragment"}
optim = afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)
optim.step()
print("afs:   已更新一步；", len(optim.state), "个动量缓冲区")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个优化器各走一步；每个优化器都为每个参数保存一个动量缓冲区。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 手算，用每个引擎各自的$\theta_0$和$g_1$：$b_1 = g_1$，$\theta_1 = \theta_0 - \eta b_1$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：手算：b1 = g1，theta1 = theta0 - eta b1。手算的值与每个优化器的结果一致。

# %% slideshow={"slide_type": "fragment"}
engines = {"torch": (params_t, optim_t), "afs": (params, optim)}
buffers = {}  # 引擎 -> {参数名: b}，我们手算的动量缓冲区
print(f"{'parameter':<24}{'engine':<7}手算θ₁ == 优化器的        b₁ == 它的momentum_buffer")
for engine, (named_params, optimizer) in engines.items():
    buffers[engine] = {}
    for k in WATCHED:
        theta0, g1 = before[engine][k]
        b1 = g1
        theta1 = theta0 - ETA * b1
        buffers[engine][k] = b1
        state = optimizer.state[named_params[k]]["momentum_buffer"]
        print(f"{k:<24}{engine:<7}{agree(theta1, named_params[k], 1e-6)!s:<26}{agree(b1, state, 1e-6)}")

# %% slideshow={"slide_type": "fragment"}
updated_agree = report_grads([(k, params[k], params_t[k]) for k in params], tol=1e-3, show=2)
print("更新后的62个参数在两个引擎间全部一致：", updated_agree)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：走完一步后，更新过的62个参数在两个引擎间全部一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 第2步
# 从$\theta_1$出发再做一次前向传播和反向传播（先调用`zero_grad`，因为梯度会累加（accumulate），见02号笔记本），然后走第二步，这时动量缓冲区开始起作用。

# %% slideshow={"slide_type": "fragment"}
optim_t.zero_grad()
loss2_t = (model(data) - labels).sum()
loss2_t.backward()
before_t = snapshot(params_t)
grads2_t = {k: to_numpy(p.grad) for k, p in params_t.items()}  # 留给第7节用
optim_t.step()
print("torch: 损失下降了：", loss2_t.item() < loss_t.item())

# %% slideshow={"slide_type": "fragment"}
optim.zero_grad()
loss2 = (ours(x) - y).sum()
loss2.backward()
before_afs = snapshot(params)
grads2 = {k: to_numpy(p.grad) for k, p in params.items()}
optim.step()
print("afs:   损失下降了：", loss2.item() < loss.item())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第2步：先zero_grad（梯度会累加，见02和03），然后从theta1出发再做一次前向传播和反向传播。此时b2 = mu b1 + g2。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 手算：$b_2 = \mu b_1 + g_2$，$\theta_2 = \theta_1 - \eta b_2$。

# %% slideshow={"slide_type": "fragment"}
before = {"torch": before_t, "afs": before_afs}
print(f"{'parameter':<24}{'engine':<7}手算θ₂ == 优化器的        b₂ == 它的momentum_buffer")
for engine, (named_params, optimizer) in engines.items():
    for k in WATCHED:
        theta1, g2 = before[engine][k]
        b2 = MU * buffers[engine][k] + g2
        theta2 = theta1 - ETA * b2
        state = optimizer.state[named_params[k]]["momentum_buffer"]
        print(f"{k:<24}{engine:<7}{agree(theta2, named_params[k], 1e-6)!s:<26}{agree(b2, state, 1e-6)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：“损失下降了”说的是教程里的玩具损失$\sum(\hat y - y)$，它没有最小值：SGD只是让预测值变小而已。10号笔记本用的是真正的损失函数（loss function）。手算在float64下进行，用的是每个引擎自己的float32值，所以只一致到1e-6，而不是完全相等。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 每个优化器都严格按公式行事。但第二步之后，两个引擎**彼此之间**还一致吗？

# %% slideshow={"slide_type": "fragment"}
after_step2 = all(agree(params[k], params_t[k], 1e-3) for k in params)
buffers_agree = all(agree(optim.state[params[k]]["momentum_buffer"], optim_t.state[params_t[k]]["momentum_buffer"],
                          1e-3) for k in params)
print("第1步后参数一致（容差1e-3）：", updated_agree, "| 第2步后：", after_step2)
print("第2步后动量缓冲区一致（容差1e-3）：", buffers_agree)

# %% [markdown] slideshow={"slide_type": "fragment"}
# 不一致：第二步之后，有些参数相差多达百分之几。原因不是公式不同，而是float32的舍入误差被放大了。这个玩具损失没有最小值，所以每一步都迈得极大（第1步的$\eta \lVert g \rVert \approx 36$）；而在新的参数处网络又极其敏感，第1步约$10^{-4}$的差异于是放大了一百倍。第7节说明怎样把这种情况和程序错误区分开。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每个优化器都严格遵循公式，可是两步之后，两个引擎彼此之间已不再一致到1e-3：先让学生猜猜为什么，再放下一张幻灯片揭晓。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. 62个梯度有多接近？
#
# 对每个参数，计算我们的梯度相对于torch梯度的相对误差$\lVert g_{\text{ours}} - g_{\text{torch}} \rVert / \lVert g_{\text{torch}} \rVert$，分别在第1步和第2步，在float32下（即上面那两步）和float64下（从同样的初始权重新建一对模型，用`.double()`转换，再走同样的两步）。float64有16位有效数字，float32只有7位：如果公式相同，两个引擎在float64下必然吻合得多。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：逐参数的相对误差，我们的与torch的对照：float32的误差与torch自身的float32误差一样大；float64下一致到约1e-13。

# %% slideshow={"slide_type": "fragment"}
model64 = torchvision.models.resnet18(weights=None).double()
model64.load_state_dict(start)
ours64 = afs.models.resnet18().double()
ours64.load_state_dict(start)
pairs64 = {"torch": (model64, data.double(), labels.double(),
                     torch.optim.SGD(model64.parameters(), lr=1e-2, momentum=0.9)),
           "afs": (ours64, afs.tensor(data.double()), afs.tensor(labels.double()),
                   afs.optim.SGD(ours64.parameters(), lr=1e-2, momentum=0.9))}
grads64 = {"torch": [], "afs": []}  # 每个引擎：第1步和第2步的梯度
for engine, (m, d, lab, opt) in pairs64.items():
    for step in (1, 2):
        opt.zero_grad()
        (m(d) - lab).sum().backward()
        grads64[engine].append({k: to_numpy(p.grad) for k, p in m.named_parameters()})
        opt.step()
print("float64，每个引擎各走两步：", ours64.conv1.weight.dtype, model64.conv1.weight.dtype)


# %% slideshow={"slide_type": "subslide"}
def rel_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


names = list(params)
errors = {  # (第几步, 比较什么) -> 每个参数的相对误差，按深度排列
    (1, "float32：afs与torch"): [rel_error(*grads32[k]) for k in names],
    (1, "float64：afs与torch"): [rel_error(grads64["afs"][0][k], grads64["torch"][0][k]) for k in names],
    (1, "torch自身：float32与float64"): [rel_error(grads32[k][1], grads64["torch"][0][k]) for k in names],
    (2, "float32：afs与torch"): [rel_error(grads2[k], grads2_t[k]) for k in names],
    (2, "float64：afs与torch"): [rel_error(grads64["afs"][1][k], grads64["torch"][1][k]) for k in names],
    (2, "torch自身：float32与float64"): [rel_error(grads2_t[k], grads64["torch"][1][k]) for k in names],
}
errors = {key: np.array(v) for key, v in errors.items()}
FLOOR = 1e-17  # 完全相同的梯度（误差为0）画在这里：对数坐标里没有0
STYLE = {"float32：afs与torch": dict(marker="o", ms=3.5), "float64：afs与torch": dict(marker="s", ms=3.5),
         "torch自身：float32与float64": dict(color="0.4", ls="--", zorder=3)}

fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
starts = [i for i, k in enumerate(names) if i == 0 or part(k) != part(names[i - 1])]
middles = [(a + b - 1) / 2 for a, b in zip(starts, starts[1:] + [len(names)])]  # 每个部分下方一个标签
for ax, step in zip(axes, (1, 2)):
    for what, style in STYLE.items():
        ax.semilogy(np.maximum(errors[step, what], FLOOR), lw=1, label=what, **style)
    ax.set_xticks(middles, [part(names[i]) for i in starts], fontsize=8)
    for i in starts[1:]:
        ax.axvline(i - 0.5, color="0.88", lw=0.8)
    ax.set_title(f"第{step}步：在$\\theta_{step - 1}$处的梯度")
    ax.set_xlabel("参数，按深度排列（62个张量）")
axes[0].set_ylabel("梯度的相对误差")
axes[0].set_ylim(FLOOR / 3, 1)
axes[0].legend(loc="center left", fontsize=8)
fig.suptitle(f"逐参数的梯度一致性（完全相同的梯度画在{FLOOR:.0e}处）", fontsize=10)
fig.tight_layout()
plt.show()
for step in (1, 2):
    e32, e64 = errors[step, "float32：afs与torch"], errors[step, "float64：afs与torch"]
    print(f"第{step}步：float32全部小于1e-3：{bool(e32.max() < 1e-3)!s:<6} |",
          f" float64全部小于1e-10：{bool(e64.max() < 1e-10)}")
print("第2步：torch自身float32与float64之差，最大值大于1e-3：",
      bool(errors[2, "torch自身：float32与float64"].max() > 1e-3))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：从左往右读这张图，就是从输入读到输出：没有哪个参数特别突出。虚线是float32的舍入水平。

# %% [markdown] slideshow={"slide_type": "fragment"}
# - **第1步**：在float32下两个引擎相差约$10^{-4}$，和torch自己的float32与float64之差（灰线）一样大：这就是float32本身的舍入。在float64下它们一致到约$10^{-13}$，经过约70个运算之后，这相当于float64最后一位上的几百个单位。越靠近输出，梯度和损失之间隔着的运算越少，误差也越小；`fc.bias`的梯度（全是1）完全相同。
# - **第2步**：在float32下差异已经增大到百分之几，torch自己的float32与它的float64也相差多达百分之几（灰线）：float32没法把这些梯度算得更准。在float64下两个引擎仍一致到约$10^{-12}$。公式相同，舍入不同：这就是区分舍入误差和程序错误的办法。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：还可以现场再演示一个检查：把torch第1步之后的float32参数载入一个新建的`afs.models.resnet18()`，计算它第2步的梯度。在*相同的*参数处，两个引擎又一致到约1e-5；百分之几的差距完全来自两个引擎各自到达的、略有不同的$\theta_1$。（把torch自己的$\theta_1$做相对大小为1e-7的扰动，它第2步的梯度就会变化约1e-5：这一步就是这么敏感。）

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. 速度如何？
#
# 同样的一步，同样的权重，两个引擎轮流运行（前向传播、反向传播和优化器的更新分别计时；取几轮的中位数）。这些数字来自`benchmarks/resnet18_step.py`里的基准测试（`make bench`会完整运行它，还包括一个由8张224×224图像组成的批量，并记录峰值内存）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：速度：矩阵乘法（matrix product）在两个引擎里一样快；我们多花的时间在numpy单线程的逐元素（elementwise）运算和im2col的复制上。计时随机器而变：看比值即可。

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
# 计时取决于机器和它的负载：标记为nbval-ignore-output，nbval不比较这些输出。
PHASES = ("forward", "backward", "step", "total")


BENCH = Path(afs.__file__).resolve().parents[1] / "benchmarks" / "resnet18_step.py"
spec = importlib.util.spec_from_file_location("resnet18_step", BENCH)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
timing = bench.time_size((1, 3, 64, 64), rounds=3, warmup=1)
print("ResNet18的一步，输入1x3x64x64，float32，3轮的中位数（benchmarks/resnet18_step.py）")
print(f"{'':<12}" + "".join(f"{p:>12}" for p in PHASES))
for name in ("torch", "ours"):
    print(f"{name:<12}" + "".join(f"{1e3 * timing[name][p]:>10.1f}ms" for p in PHASES))
print(f"{'ours/torch':<12}" + "".join(f"{timing['ours'][p] / timing['torch'][p]:>11.1f}x" for p in PHASES))
STORED = BENCH.parents[1] / "figures" / "benchmark.json"  # 由`make bench`写入
if STORED.exists():
    stored = json.loads(STORED.read_text())
    print(f"\n`make bench`保存的结果（{stored['machine']['cpu_count']}个核心），总时间之比（我们/torch）：",
          " | ".join(f"{'x'.join(map(str, r['shape']))}: {r['ratio']['total']:.2f}x" for r in stored["results"]))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎做的是同样的算术，其中最大的一块，即卷积里的矩阵乘法，在两边一样快：numpy把它交给BLAS库，torch交给自己优化过的内核。差别在它们周围的部分。numpy的逐元素运算只用一个核心，而torch用上所有核心（在优化器的更新中最明显：同样是对1170万个数做几遍计算，即使在缓存中逐块进行，我们的也比torch慢）；此外，我们的每个卷积都要把输入复制到im2col的列里，在反向传播时再用col2im加回去（06号笔记本）。在基准测试中那个由8张224×224图像组成的批量上（最后一行，来自`make bench`），这些复制随图像变大而增多。和torch一样，当没有别的对象持有新梯度时，我们的`AccumulateGrad`直接把它接管为`.grad`，而不复制（把1170万个梯度值全部复制一遍，每一步要多花好几毫秒）。在繁忙的机器上（同样的核心上还运行着别的程序），torch的工作线程会互相等待，耗时可能暴涨：只在空闲的机器上比较计时。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("resnet18_sgd_step", N)`，就能载入第N题的参考答案（来自`solutions/08_resnet18_sgd_step.py`）。
# ### 练习1 · 手写SGD的全部选项
# 用numpy写出`sgd_by_hand(theta0, grads, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)`：按第6节的完整规则，对`grads`中的每个梯度走一步，返回最后得到的参数。检查会在一个小张量上用五种设置（动量、阻尼、`nesterov`、权重衰减、`maximize`）运行两个优化器，给它们喂同样的梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟：手写SGD的全部选项。提示：先把权重衰减加到梯度上，再更新缓冲区，需要时最后处理Nesterov。

# %% slideshow={"slide_type": "fragment"}
def sgd_by_hand(theta0, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    theta = np.array(theta0, dtype=np.float64)
    ...  # 你的代码：对grads中的每个梯度做一次更新
    return theta


print("sgd_by_hand已定义")

# %% slideshow={"slide_type": "fragment"}
SETTINGS = [dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.5),
            dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.1, momentum=0.5, weight_decay=0.1),
            dict(lr=0.05, momentum=0.8, maximize=True)]


def run_optimizer(T, theta0, grads, settings):
    """把`grads`逐个交给T.optim.SGD（T是torch或afs），每个梯度走一步；返回最后的参数（numpy数组）。"""
    p = T.tensor(theta0, dtype=T.float64, requires_grad=True)
    opt = T.optim.SGD([p], **settings)
    for g in grads:
        p.grad = T.tensor(g, dtype=T.float64)
        opt.step()
    return to_numpy(p)


def check_sgd():
    with _course.exercise(1) as check:
        rng = np.random.default_rng(7)
        theta0, grads = rng.standard_normal(5), list(rng.standard_normal((3, 5)))
        for settings in SETTINGS:
            for T in (torch, afs):
                ours = sgd_by_hand(theta0, grads, **settings)
                check.same(ours, run_optimizer(T, theta0, grads, settings),
                           f"sgd_by_hand(..., {', '.join(f'{k}={v}' for k, v in settings.items())})与"
                           f"{_course.engine_name(T)}.optim.SGD走3步后的结果对照", rtol=1e-12)


check_sgd()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习2 · 微调（finetuning）：冻结网络，训练新的分类头
# 这是教程的最后一步：冻结所有参数，再把分类器换成一个新的`Linear(512, 10)`（和所有新建的层一样，它需要梯度）。写出`finetune(model, nn)`，对`model`完成这两件事，两个引擎都适用（`nn`是`torch.nn`或`afs.nn`），并返回`model`。检查会把它用在第7节的float64模型上，运行前向传播和反向传播，然后看哪些参数得到了梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：冻结参数、替换fc、做一次前向传播和反向传播：只有fc得到梯度。检查在两个引擎里比较哪些参数得到了`.grad`，以及fc的梯度是否与torch的一致。

# %% slideshow={"slide_type": "fragment"}
def finetune(model, nn):
    ...  # 你的代码：冻结所有参数，然后令model.fc = 一个新的Linear(512, 10)
    return model


print("finetune已定义")


# %% slideshow={"slide_type": "fragment"}
def check_finetune():
    with _course.exercise(2) as check:
        m_t, m = finetune(model64, torch.nn), finetune(ours64, afs.nn)
        for engine, model in ((afs, m), (torch, m_t)):
            check.returned(model, f"finetune(model, {_course.engine_name(engine)}.nn)")
            trainable = [k for k, p in model.named_parameters() if p.requires_grad]
            check.equal(trainable, ["fc.weight", "fc.bias"], f"需要梯度的参数（{_course.engine_name(engine)}）")
            check.equal(model.fc.out_features, 10, f"model.fc.out_features（{_course.engine_name(engine)}）")
        m_t, m = m_t.double(), m.double()
        m.fc.load_state_dict(m_t.fc.state_dict())  # 两个引擎用同一个新分类头
        m_t.zero_grad()
        m.zero_grad()
        labels10 = torch.rand(1, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        out_t = (m_t(data.double()) - labels10).sum()
        out = (m(afs.tensor(data.double())) - afs.tensor(labels10)).sum()
        out_t.backward()
        out.backward()
        with_grad = [[k for k, p in mm.named_parameters() if p.grad is not None] for mm in (m, m_t)]
        print("有.grad的参数（我们的，torch的）：", with_grad)
        print("计算图的节点数（我们的，torch的）：", len(afs.viz.graph_edges(out)), len(afs.viz.graph_edges(out_t)),
              "| 计算图相同：", afs.viz.graph_edges(out) == afs.viz.graph_edges(out_t))
        check.equal(with_grad[0], ["fc.weight", "fc.bias"], "反向传播之后有.grad的参数（afs）")
        check.same(m.fc.weight.grad, m_t.fc.weight.grad, "fc.weight.grad，我们的与torch的对照", rtol=1e-10)
        check.same(m.fc.bias.grad, m_t.fc.bias.grad, "fc.bias.grad，我们的与torch的对照", rtol=1e-10)


check_finetune()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习3 · 动量的代价
# 每个动量缓冲区的形状和dtype都和它的参数相同。写出`momentum_bytes(optimizer)`：返回`optimizer.state`里所有动量缓冲区占用的字节数（提示：`buffer.numpy().nbytes`在两个引擎里都能用）。检查会用第6节的两个优化器来调用它。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每个缓冲区的形状和dtype都与它的参数相同：答案就是所有参数本身的字节数（动量使优化器的内存占用翻倍）。

# %% slideshow={"slide_type": "fragment"}
def momentum_bytes(optimizer):
    return None  # 你的代码


print("momentum_bytes已定义")


# %% slideshow={"slide_type": "fragment"}
def check_bytes():
    with _course.exercise(3) as check:
        expected = 4 * sum(p.numel() for p in params_t.values())  # float32：每个数4字节
        for name, optimizer in (("我们的", optim), ("torch的", optim_t)):
            got = check.returned(momentum_bytes(optimizer), f"momentum_bytes({name}优化器)")
            check.true(got != expected // 4, f"momentum_bytes({name}优化器)是{got:,}：这是缓冲区里数的"
                       "个数；每个float32数占4个字节")
            check.equal(got, expected, f"momentum_bytes({name}优化器)")


check_bytes()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
# - 教程里的那一步，现在成了我们读过的代码：由`BasicBlock`（$\operatorname{relu}(F(x) + x)$）搭成的ResNet18，它的前向传播记录下一张134个节点的计算图，两个引擎逐个节点都相同；按模块来画，就是起始层 → `layer1`…`layer4` → 分类头，而且任何一个块都可以展开。
# - 一次`backward()`填好62个梯度。在float32下，我们的梯度与torch的一致到float32自身的舍入水平（约$10^{-4}$）；在float64下一致到约$10^{-13}$。迈出巨大的第二步之后，float32的差异在两个引擎里同样增大到百分之几；float64表明两边的公式相同。
# - 带动量的SGD：$b_t = \mu b_{t-1} + g_t$（其中$b_1 = g_1$），$\theta_t = \theta_{t-1} - \eta b_t$；手算两步，结果与两个优化器都吻合。权重衰减、阻尼、`nesterov`和`maximize`修改的是$g_t$、$b_t$和更新量。
# - 速度：我们的numpy引擎所用时间大约是torch的两倍（`make bench`）：矩阵乘法一样快，慢在它们周围的复制和单核的逐元素运算上。算法是同一个。
#
# **下一讲：**[09 · 进阶](09_beyond_the_basics.ipynb)：钩子（hook）、高阶梯度（higher-order gradients）、原地操作和`gradcheck`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：教程里的那一步，现在是我们从头到尾读过的代码。下一讲：钩子、高阶梯度和原地操作。
