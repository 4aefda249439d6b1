# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · 训练步
#
# **你将学到**
# - 神经网络的一个训练步（training step）做了什么：前向传播（forward pass）、损失（loss）、反向传播（backward pass）和参数（parameter）更新，全都在把ResNet18训练一步的五行PyTorch代码里；
# - 我们自己的引擎`autograd_from_scratch`运行同样的五行代码，得到同样的数值；这五行分别由本系列的哪个笔记本讲解。
#
# **前置知识：** Python和一点numpy。还不需要了解自动求导（autograd）：这个笔记本是一次全程导览，系列后面的笔记本会把每一行逐一展开。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这是教程“A Gentle Introduction to `torch.autograd`”的第一节，照原样运行（只是用随机权重代替预训练权重：课堂上和CI里都不下载任何东西）。讲快一点：目标是让学生把整个训练步完整地看一遍，心里有个全景，以后可以回来对照。这里用到的术语，如计算图（graph）、梯度（gradient）、`backward`、`grad_fn`，后面都会详细讲；在哪里讲，见结尾的路线图。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 背景：`torch.autograd`是做什么的
#
# `torch.autograd`是PyTorch的自动微分（automatic differentiation）引擎，神经网络的训练就靠它驱动。
#
# 神经网络是作用在输入数据上的一组**嵌套函数**。这些函数由**参数**确定，即权重（weight）和偏置（bias），PyTorch把它们存放在张量（tensor）里。设各层为$f_1, \dots, f_L$，对应的参数为$\theta_1, \dots, \theta_L$，则对输入$x$的预测为
#
# $$\hat y = f_L\big(\cdots f_2\big(f_1(x;\,\theta_1);\,\theta_2\big)\cdots;\,\theta_L\big).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：讲得具体些：网络就是以参数为变量的嵌套函数，而训练需要损失对每个参数的导数（derivative）。自动求导只用一次调用就把它们全部算出来。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 训练网络就是反复执行两步：
#
# 1. **前向传播**：网络让输入依次经过它的每个函数，对正确的输出做出最好的猜测。把猜测和标签（label）比较，就得到误差，即**损失**$L(\theta)$。
# 2. **反向传播**：网络根据猜测的误差按比例调整参数。它从输出出发往回走，求出误差对各个函数的参数的导数（即**梯度**$\nabla_\theta L$），再让参数逆着梯度移动，这就是**梯度下降**：
#
# $$\theta \leftarrow \theta - \eta\, \nabla_\theta L \qquad (\eta\text{：学习率}).$$
#
# 自动求导负责的是第2步的中间环节：一次调用，得到每个参数的梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在幻灯片揭晓之前，先请大家说出是哪两步。然后说明本系列讲的是哪一部分：全在第2步，即反向传播之内。

# %% slideshow={"slide_type": "subslide"}
import numpy as np
import torch
import torchvision
from torchvision.models import ResNet18_Weights

import autograd_from_scratch as afs
from autograd_from_scratch.compare import to_numpy
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

print("已导入torch、torchvision和autograd_from_scratch")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 模型：ResNet18
#
# 教程从一个在ImageNet上训练好的ResNet18开始，由torchvision加载：
#
# ```python
# model = torchvision.models.resnet18(weights=ResNet18_Weights.DEFAULT)
# ```
#
# （旧代码写作`pretrained=True`，在torchvision 0.13之前是同一个意思。）这个调用第一次运行时会**下载**训练好的权重，一个45 MB的文件。这些笔记本从不下载任何东西（无论在课堂上还是在CI里，都离线运行），所以这里的权重是随机的，但*固定了随机种子*，在每台机器上都一样。不过，从权重的枚举值仍然能看出本来会下载什么：

# %% slideshow={"slide_type": "fragment"}
weights = ResNet18_Weights.DEFAULT
print(f"{weights}：{weights.meta['num_params']:,}个参数，",
      f"ImageNet top-1准确率{weights.meta['_metrics']['ImageNet-1K']['acc@1']}%")
print("本来会从这里下载：", weights.url, f"（{weights.meta['_file_size']:.1f} MB）")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：课堂上不会下载：这里只展示权重的枚举值，模型本身从固定种子的随机权重开始，而打印出来的一致性结果无论用哪种权重都一样。如果有人问为什么不下载，就提一下那45 MB。

# %% slideshow={"slide_type": "subslide"}
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)  # 随机权重，固定种子：不下载
n_values = sum(p.numel() for p in model.parameters())
print(f"随机权重的ResNet18：{len(list(model.parameters()))}个参数张量，"
      f"共{n_values:,}个数")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：能上网的话，学生可以换成`weights=ResNet18_Weights.DEFAULT`：这个笔记本打印的每一行都不会变，因为检查打印的是一致与否（True/False）和形状（shape），从不打印原始的未规范化的预测（logits）。两种情况下网络结构完全相同：同样的62个张量，同样的11,689,512个数，与预训练权重的`num_params`一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们把这些初始权重复制一份留着：稍后要在我们的引擎里从完全相同的起点运行同一步。（`state_dict()`按名字存放每一个参数和批量规范化（batch norm）的统计量。）

# %% slideshow={"slide_type": "fragment"}
start = {name: value.clone() for name, value in model.state_dict().items()}
print(len(start), "项，例如", list(start)[:3])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：复制初始权重，是因为稍后要在我们的引擎里从同一个起点把这一步再运行一遍；没有这份副本，比较就失去了意义。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 数据
#
# 一张随机图像：3个颜色通道，每个通道64×64像素，构成只含一个样本的批量（batch），形状为$(1, 3, 64, 64)$；再给它一个随机标签：ImageNet的1000个类别，每个类别一个数。

# %% slideshow={"slide_type": "fragment"}
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)
print("数据：", tuple(data.shape), "| 标签：", tuple(labels.shape))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个只含一张随机图像的批量，加一个随机的标签向量：数值本身无关紧要，要紧的是两个引擎拿到同样的数。指给大家看这两个形状。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第1行：前向传播
#
# 输入逐层经过模型，得到预测：1000个分数。

# %% slideshow={"slide_type": "fragment"}
prediction = model(data)  # 前向传播
print("预测：", tuple(prediction.shape), "| 产生它的是", prediction.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "fragment"}
# `grad_fn`说明这个张量是由哪个运算产生的：最后一层的矩阵乘法（matrix product）加偏置（`addmm`）。在前向传播的同时，自动求导把每一个涉及参数的运算都**记录**进一个计算图，图的最后一个节点（node）就是这个`AddmmBackward0`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第1行。预测的`grad_fn`是`AddmmBackward0`：最后一层是矩阵乘法加偏置。问大家：预测为什么会有`grad_fn`？（因为参数需要梯度。）

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第2行：损失
#
# 预测的误差，归约成一个数：
#
# $$L = \sum_{i=1}^{1000} (\hat y_i - y_i).$$
#
# 拿它来训练并不合理（它可以无限减小），但教程用它是为了让这一步保持简单；而对自动求导来说，参数的任何函数都行。10号笔记本会用真正的损失函数（loss function）。

# %% slideshow={"slide_type": "fragment"}
loss = (prediction - labels).sum()
print("损失：", tuple(loss.shape), "（单个数）| 产生它的是", loss.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第2行。这个损失不适合真正的训练（它可以趋向负无穷）；教程用它是为了简单。10号笔记本会用真正的损失函数。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第3行：反向传播
#
# `loss.backward()`沿着记录下来的计算图，从损失往回走到参数，算出损失对每个参数的导数$\partial L / \partial \theta$。自动求导把它存放在参数的`.grad`属性里，这是一个与参数形状相同的张量。

# %% slideshow={"slide_type": "fragment"}
print("之前：conv1.weight.grad is None：", model.conv1.weight.grad is None)
loss.backward()  # 反向传播
params = dict(model.named_parameters())
print("之后：conv1.weight.grad的形状：", tuple(model.conv1.weight.grad.shape))
print("每个参数都有一个与自身形状相同的.grad：",
      all(p.grad is not None and p.grad.shape == p.shape for p in params.values()))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一次调用就填好了62个梯度张量、1170万个数，而我们的代码里从没说过卷积（convolution）或批量规范化该怎样求导。这是怎么做到的，就是整个系列的内容：计算图（02）、遍历计算图的引擎（04）、引擎所用的微积分（05），以及各种层（06）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第4–5行：参数更新
#
# 优化器（optimizer）持有参数和更新规则。这里用的是随机梯度下降（SGD），学习率（learning rate）$\eta = 0.01$，动量（momentum）$\mu = 0.9$。动量为每个参数维护一个逐步累积的方向$b$：$b \leftarrow \mu b + g$，并沿着它走一步：$\theta \leftarrow \theta - \eta b$。第一步时$b = g$，所以这一步就是普通的梯度下降：$\theta - \eta g$。

# %% slideshow={"slide_type": "fragment"}
optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim.step()  # 梯度下降
print("优化器持有", len(optim.param_groups[0]["params"]), "个参数张量")

# %% [markdown] slideshow={"slide_type": "fragment"}
# `step()`把每个参数原地（in place）移动了$-\eta\, g$。拿第一个卷积层的权重和我们保存的副本对照一下：

# %% slideshow={"slide_type": "fragment"}
expected = start["conv1.weight"] - 1e-2 * model.conv1.weight.grad
print("conv1.weight == start - lr * grad：", torch.allclose(model.conv1.weight, expected))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第4和第5行。把更新公式写在黑板上：b = mu b + g，theta = theta - eta b。问大家第一步化简成什么（普通的梯度下降，b = g）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 在我们的引擎里做同一步
#
# `autograd_from_scratch`（`afs`）是本系列要构建的引擎：在numpy上实现的自动求导，沿用torch的名字。它的ResNet18和torchvision的参数名相同，所以`load_state_dict`能把我们保存的初始权重拷贝过来；数据也是同样的张量。然后是同样的五行：

# %% slideshow={"slide_type": "fragment"}
ours = afs.models.resnet18()
ours.load_state_dict(start)
data_ours, labels_ours = afs.tensor(data), afs.tensor(labels)

prediction_ours = ours(data_ours)  # 前向传播
loss_ours = (prediction_ours - labels_ours).sum()
loss_ours.backward()  # 反向传播
optim_ours = afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)
optim_ours.step()  # 梯度下降

print("预测：", tuple(prediction_ours.shape), "产生它的是", prediction_ours.grad_fn.name(),
      "| 产生损失的是", loss_ours.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同样的五行，只是把torch换成了afs，权重相同（`load_state_dict`），数据也相同。这就是整个系列的承诺：同样的名字，同样的数值。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 两个引擎一致吗？
#
# 两边都用float32计算（约7位有效数字），但求和的顺序不同，所以我们按相对容差比较：对每个张量，用最大的差除以torch一侧的最大绝对值，即$\max|{\rm ours} - {\rm torch}| / \max|{\rm torch}|$，再取所有张量中最差的那个。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：float32下的一致性：全部62个梯度和更新后的参数里，最差的相对差异也低于1e-3。学生可能会问：为什么不完全相等？求和顺序不同，舍入就不同。

# %% slideshow={"slide_type": "fragment"}
def max_rel_error(pairs):
    """在所有(ours, torch)对中，max |ours - torch| / max |torch|的最大值。"""
    return max(np.abs(to_numpy(o) - to_numpy(t)).max() / np.abs(to_numpy(t)).max() for o, t in pairs)


params_ours = dict(ours.named_parameters())
checks = {
    "模型的预测值": [(prediction_ours, prediction)],
    f"{len(params)}个参数的梯度": [(params_ours[k].grad, params[k].grad) for k in params],
    f"{len(params)}个参数的新值": [(params_ours[k], params[k]) for k in params],
}
agreement = {name: max_rel_error(pairs) < 1e-3 for name, pairs in checks.items()}
print(f"两个引擎在整个训练步上一致：{all(agreement.values())}")
for name, ok in agreement.items():
    print(f"  {name:<24} 最大相对误差 < 1e-3：{ok}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：为什么是1e-3而不是1e-6？批量里只有一张64×64的图像，最后一个阶段的批量规范化在每个通道上只对2×2 = 4个值做规范化，其反向传播要把两个几乎相等的float32求和结果相减：两个引擎的梯度通常相差约1e-4（相对误差）。换成float64（对两个模型和数据都调用`.double()`），梯度的一致程度约为1e-12：差别来自舍入，而不是公式不同。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 这一步的计算图
#
# 前向传播记录下一个由运算组成的计算图，反向传播沿着它走了一遍。ResNet18的计算图有一百多个节点，所以这里把每个模块（module）折叠成一个方框（箭头沿前向的方向，梯度逆着箭头流动）。左边是我们的，右边是torch的：

# %% slideshow={"slide_type": "fragment"}
afs.viz.side_by_side(
    loss_ours, loss,
    params=({**params_ours, "loss": loss_ours}, {**params, "loss": loss}),
    cluster_by=1, collapse=True,
)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：ResNet18的整个这一步画成一张图，按模块折叠。下面两张子页把它放大到看得清的尺寸；指给大家看开头的起始层（stem）、四个`layer`、分类头（head），以及底部的损失。

# %% [markdown] slideshow={"slide_type": "fragment"}
# 不只是画出来的图一样：逐个节点比较，两个图的运算相同，连接方式也相同。

# %% slideshow={"slide_type": "fragment"}
edges_ours, edges_torch = afs.viz.graph_edges(loss_ours), afs.viz.graph_edges(loss)
print(len(edges_ours), "个节点（我们的），", len(edges_torch), "个节点（torch的）；名字和连接都相同：",
      edges_ours == edges_torch)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：逐个节点比较，运算相同，连接也相同：这个结构上的检查比图片更有说服力。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 系列路线图
#
# 每个笔记本讲解我们刚才运行的这一步中的一部分，两个引擎并排对照。
#
# | 笔记本 | 讲解这一步中的什么 |
# |---|---|
# | [01 · 初识梯度](01_first_gradients.ipynb) | `backward()`在$Q = 3a^3 - b^2$上算的是什么：叶子节点（leaf）的`.grad`，以及向量输出为什么需要`gradient=` |
# | [02 · 计算图](02_computational_graph.ipynb) | 前向传播记录下的计算图：`grad_fn`、`next_functions`、叶子节点和`AccumulateGrad` |
# | [03 · 亲手实现](03_build_it_yourself.ipynb) | 用100行代码写出你自己的张量自动求导，和torch对照检查，并用它训练一个小网络 |
# | [04 · 引擎内部](04_inside_the_engine.ipynb) | `backward()`怎样遍历这个计算图：拓扑序（topological order）、梯度累加（accumulation）、释放计算图 |
# | [05 · 向量微积分](05_vector_calculus.ipynb) | 每个节点所用的数学：雅可比矩阵（Jacobian）和向量-雅可比积（vector-Jacobian product） |
# | [06 · 层](06_layers.ipynb) | ResNet的组成部分（卷积、批量规范化、池化（pooling）、线性层（linear layer））及其反向传播 |
# | [07 · 从有向无环图中排除](07_exclusion_from_the_dag.ipynb) | 哪些东西*不*被记录：`requires_grad`、`no_grad`、`detach`、冻结参数（frozen parameters）和微调（finetuning） |
# | [08 · ResNet18的一步SGD](08_resnet18_sgd_step.ipynb) | 把本笔记本的这一步再逐行走一遍，以及优化器的更新 |
# | [09 · 进阶](09_beyond_the_basics.ipynb) | 钩子（hook）、高阶梯度（higher-order gradients）、原地操作（in-place operation）、`gradcheck` |
# | [10 · 训练循环](10_training_loop.ipynb) | 许多个训练步：`zero_grad`、真正的损失函数，以及一个真的在学习的网络 |

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：路线图：只读下一讲那一行，再说明每个笔记本讲的都是刚才那一步中的一部分。表格在后面两张子页上接着列出。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在它的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("the_training_step", N)`，就能载入第N题的参考答案（来自`solutions/00_the_training_step.py`）。
#
# **1. 第一次更新**。写出`first_update(param, grad, lr)`：由参数在这一步之前的值和它的梯度，给出第一次`SGD(..., momentum=0.9).step()`之后参数的值。检查单元格会把它和torch的优化器对全部62个参数所做的更新相比较。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟：动量为0.9时，第一次更新就是theta - lr * grad，因为动量缓冲区的初值就是梯度。检查单元格会和torch的优化器比较。

# %% slideshow={"slide_type": "fragment"}
def first_update(param, grad, lr):
    return None  # 你的公式


print("已定义first_update")

# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        for name, p in params.items():
            param = start[name].clone()  # first_update拿到的是保存下来的初始权重的副本
            new = first_update(param, p.grad, 1e-2)
            check.returned(new, "first_update(param, grad, lr)")
            check.true(torch.equal(param, start[name]), f"first_update原地修改了传入的`param`"
                       f"（{name}保存下来的初始权重）：请返回一个新张量，例如`param - ...`")
            check.same(new, p.detach(), f"{name}的first_update，对照torch的SGD", rtol=1e-5)


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. 反向传播从哪里开始**。反向传播从损失出发，首先计算$\partial L / \partial \hat y$，即损失对预测的梯度。对于$L = \sum_i (\hat y_i - y_i)$，它是什么？把它写成`dloss_dprediction`：一个与预测形状相同的张量（torch或afs的都可以）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：请学生在运行任何代码之前先推导：某一个预测值出现在求和式的几项里？每一项里的斜率是多少？检查单元格在每个引擎里把预测值复制成一个新的叶子节点，从损失反向传播到它，用得到的梯度来比较。

# %% slideshow={"slide_type": "fragment"}
dloss_dprediction = None  # 形状为(1, 1000)的张量
print("已给出dloss_dprediction：", dloss_dprediction is not None)


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        check.answered(dloss_dprediction, "dloss_dprediction")
        for engine in (torch, afs):
            y_hat = engine.tensor(to_numpy(prediction), requires_grad=True)
            (y_hat - engine.tensor(to_numpy(labels))).sum().backward()
            check.same(dloss_dprediction, y_hat.grad, f"dloss_dprediction，对照{_course.engine_name(engine)}的反向传播")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. 反向传播算了多少个数**？算出`n_gradient_numbers`：`loss.backward()`在我们引擎的模型（`ours`）的各个`.grad`属性里一共存了多少个数。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每个参数值对应一个梯度值：答案是所有参数的numel之和（约1170万）。学生常常数成张量的个数（62），而不是数的个数。

# %% slideshow={"slide_type": "fragment"}
n_gradient_numbers = None  # 一个整数
print("n_gradient_numbers =", n_gradient_numbers)


# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        check.answered(n_gradient_numbers, "n_gradient_numbers")
        n_tensors = len(list(model.parameters()))
        check.true(n_gradient_numbers != n_tensors, f"n_gradient_numbers是{n_tensors}，这是参数"
                   "张量的个数：要数的是它们所含的数（numel）")
        check.equal(n_gradient_numbers, sum(p.numel() for p in model.parameters()), "n_gradient_numbers")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - 网络是以参数为变量的嵌套函数。一个训练步包括**前向传播**（先得到预测，再得到损失）、**反向传播**（`loss.backward()`把$\partial L / \partial \theta$填进每个参数的`.grad`）和**更新**（`optim.step()`，第一步时就是$\theta \leftarrow \theta - \eta\, g$）。
# - 前向传播把运算记录成一个计算图；反向传播从损失出发，沿着它走到参数。
# - 我们的引擎在同样的权重上运行同样的几行代码，得到同样的预测、梯度和更新后的参数（在float32精度内一致），计算图也相同。
#
# **下一讲：**[01 · 初识梯度](01_first_gradients.ipynb)：在能说明一切的最小例子$Q = 3a^3 - b^2$上调用`backward()`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：前向传播、损失、反向传播、参数更新，在两个引擎里各做一遍，结果一致。下一讲：反向传播最小的例子Q = 3a^3 - b^2。
