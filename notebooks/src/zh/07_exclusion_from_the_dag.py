# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · 从有向无环图中排除
#
# **你将学到**
# - 自动求导（autograd）会记录哪些张量（tensor）：只要有一个输入需要梯度（gradient），运算的结果就需要梯度；以及把东西排除在计算图（computational graph）之外的三种办法：`torch.no_grad()`、`detach()`、冻结参数（frozen parameters）；
# - 怎样微调（finetuning）一个ResNet18：除了新的分类器，其余全部冻结；以及为什么`model.eval()`不属于这些办法。
#
# **前置知识：**[06 · 层](06_layers.ipynb)，在那里ResNet的各个层有了自己的反向传播（backward pass）。这一讲我们看自动求导*不*记录什么，以及这样做能换来什么。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这就是教程“A Gentle Introduction to `torch.autograd`”里“从有向无环图中排除（Exclusion from the DAG）”一节，另外加了两部分：`detach()`，以及常被混淆的`model.eval()`和`torch.no_grad()`。每个单元格都在torch和`autograd_from_scratch`（`afs`）里各运行一次；检查单元格会说明两者是否一致。ResNet那部分每个引擎要几秒钟。

# %% tags=["slide-skip"] slideshow={"slide_type": "subslide"}
import inspect

import numpy as np
import torch
import torchvision
from torch import nn, optim

import autograd_from_scratch as afs
from autograd_from_scratch.compare import report, to_numpy
from autograd_from_scratch.viz import graph_edges, node_name, side_by_side
import _course  # notebooks/_course：未运行的笔记本里显示的图片、练习的检查

_course.show_pictures()


def rounded(t, decimals=4):
    """把任一引擎的张量变成为打印而舍入的numpy数组（-0.0显示为0.0）。"""
    return np.round(to_numpy(t), decimals) + 0.0


def name_of(node):
    """节点的名字（torch的'torch::autograd::AccumulateGrad'会被缩短），或None。"""
    return None if node is None else node_name(node)


print("已导入torch和autograd_from_scratch；辅助函数：rounded, name_of")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 自动求导跟踪哪些张量？
#
# 自动求导会记录对`requires_grad=True`的张量所做的每一个运算。不需要梯度的张量被排除在计算图之外，也就是不进入02号笔记本讲过的有向无环图（DAG，directed acyclic graph）。运算结果的规则是一个*或*：只要**至少有一个**输入需要梯度，结果就需要梯度。

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"`a`需要梯度吗？{a.requires_grad}")
b = x + z
print(f"`b`需要梯度吗？{b.requires_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一句话概括规则：只要至少有一个输入需要梯度（并且梯度模式是开启的），结果就需要梯度。运行单元格之前，让全班先预测`x + y`和`x + z`的结果。

# %% slideshow={"slide_type": "fragment"}
afs.manual_seed(0)
x_ours = afs.rand(5, 5)
y_ours = afs.rand(5, 5)
z_ours = afs.rand((5, 5), requires_grad=True)

a_ours = x_ours + y_ours
print(f"`a`需要梯度吗？{a_ours.requires_grad}")
b_ours = x_ours + z_ours
print(f"`b`需要梯度吗？{b_ours.requires_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎给出同样的标志。指出普通张量加上被跟踪的张量，结果也被跟踪：`requires_grad`像“或”一样向前传播。

# %% [markdown] slideshow={"slide_type": "subslide"}
# `a`完全没有历史（`grad_fn`是None：一个普通张量）；`b`来自一次加法，自动求导记录下了这次加法。在`b`的节点（node）里，通向`x`的边（edge）是`None`：永远不会有梯度送到那里。

# %% slideshow={"slide_type": "fragment"}
for label, t in (("torch", b), ("我们的", b_ours)):
    print(f"{label:>5}: a.grad_fn = {name_of((a if label == 'torch' else a_ours).grad_fn)},",
          f"b.grad_fn = {name_of(t.grad_fn)},",
          "next_functions =", [(name_of(n), i) for n, i in t.grad_fn.next_functions])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`a`没有历史，`b`有一个`AddBackward0`节点。可能的误解：`requires_grad=False`的意思不是“梯度在数值上为零”，而是根本不被记录。

# %% slideshow={"slide_type": "fragment"}
side_by_side(b_ours, b, params=[("z", z), ("z", z_ours), ("b", b), ("b", b_ours)])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：图里没有`x`的方框：只有需要梯度的张量才会有`AccumulateGrad`方框。两个引擎里x、y、z的值不同（各有各的随机数生成器）；这里要看的只是标志和计算图。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在我们的引擎里，整条规则就是`Function.apply`里的一行，每个运算都要经过这个方法：只有在梯度模式开启*并且*有某个输入需要梯度时，才记录节点（`ctx._record`）。

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.Function.apply))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：整条规则就是`Function.apply`里的一行：只有梯度模式开启、且有输入需要梯度时才记录。展示这一行：它就是03号笔记本里的那一行，只多了“梯度模式开启”这个条件。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `torch.no_grad()`：把一段代码排除在计算图之外
#
# *梯度模式*是那一行的另一半。在`with torch.no_grad():`里面，什么都不记录，即使是对需要梯度的张量所做的运算也不记录。这正是**推理**时想要的：没有计算图，就不用为一次永远不会到来的反向传播保存任何中间值。

# %% slideshow={"slide_type": "fragment"}
with torch.no_grad():
    c = x + z
print("在no_grad内：", "c.requires_grad =", c.requires_grad, "| c.grad_fn =", name_of(c.grad_fn))
print("离开代码块后，梯度模式恢复开启：", torch.is_grad_enabled())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`no_grad`是一种模式，而不是张量的属性：在里面算出的一切都不被跟踪。问大家这在哪里最重要（评估，以及优化器（optimizer）的更新本身）。

# %% slideshow={"slide_type": "fragment"}
with afs.no_grad():
    c_ours = x_ours + z_ours
print("在no_grad内：", "c.requires_grad =", c_ours.requires_grad, "| c.grad_fn =",
      name_of(c_ours.grad_fn))
print("离开代码块后，梯度模式恢复开启：", afs.is_grad_enabled())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`afs.no_grad`是`autograd/grad_mode.py`里的一个小小的上下文管理器：进入时设置一个全局标志，退出时恢复原来的值（异常离开代码块时也一样），它也可以当装饰器用。优化器的`step()`就在`no_grad`下运行：更新参数这件事不能被记录。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `detach()`：把一个张量移出计算图
#
# `b.detach()`和`b`的值相同，但没有历史：它是一个新的叶子节点（leaf node），不需要梯度。梯度到此为止，所以分离出来的值就相当于一个常数。设$b = x + z$：
#
# $$\frac{\partial}{\partial z} \sum b \cdot z = x + 2z, \qquad
# \frac{\partial}{\partial z} \sum \mathrm{detach}(b) \cdot z = b = x + z .$$

# %% slideshow={"slide_type": "fragment"}
b_const = b.detach()
print("requires_grad:", b_const.requires_grad, "| grad_fn:", name_of(b_const.grad_fn),
      "| 与b的值相同：", torch.equal(b_const, b))
(b_const * z).sum().backward()
print("z.grad == x + z:", torch.allclose(z.grad, x + z), "| == x + 2z:", torch.allclose(z.grad, x + 2 * z))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`detach`给出一个值相同、没有历史的新叶子节点；它和原张量共享内存。用途：把一个值当作常数（比如损失函数（loss function）里的目标）。

# %% slideshow={"slide_type": "fragment"}
b_const_ours = b_ours.detach()
print("requires_grad:", b_const_ours.requires_grad, "| grad_fn:", name_of(b_const_ours.grad_fn),
      "| 与b的值相同：", bool((b_const_ours == b_ours).all()))
(b_const_ours * z_ours).sum().backward()
print("z.grad == x + z:", afs.compare.agree(z_ours.grad, x_ours + z_ours),
      "| == x + 2z:", afs.compare.agree(z_ours.grad, x_ours + 2 * z_ours))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎一样：`requires_grad`为False，`grad_fn`为None，值也一致。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `model.eval()`不是梯度模式
#
# 有一个听起来相关的开关：`model.eval()`（以及切换回来的`model.train()`）设置`module.training`，它改变的是某些层**计算什么**。批量规范化（batch normalization）在训练模式下用这个批量（batch）自己的统计量做规范化，在评估模式下用它积累下来的移动平均（running statistics）。但自动求导的记录和之前完全一样。下面是一个作用于3个通道的批量规范化层，输入是4张小图像组成的批量：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个经典的混淆，值得花整整一分钟：`model.eval()`改变层的行为（批量规范化、dropout），并不会让自动求导停下来。问大家两者之中哪一个能在推理时节省内存（`no_grad`）。

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
bn = nn.BatchNorm2d(3)
images = 2 * torch.rand(4, 3, 2, 2) + 1
out_train = bn(images)
bn.eval()
out_eval = bn(images)
for mode, out in (("train", out_train), ("eval", out_eval)):
    print(f"{mode:>5}: 每个通道的均值 {rounded(out.mean(dim=(0, 2, 3)), 3)},",
          f"requires_grad {out.requires_grad}, grad_fn {name_of(out.grad_fn)}")
out_eval.sum().backward()
print("评估模式下反向传播之后，bn.weight.grad已被设置：", bn.weight.grad is not None)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：训练模式下批量规范化用这个批量的统计量，评估模式下用它的移动平均：同样的输入得到不同的输出，两个引擎都是如此。

# %% slideshow={"slide_type": "fragment"}
bn_ours = afs.nn.BatchNorm2d(3)
images_ours = afs.tensor(images)
out_train_ours = bn_ours(images_ours)
bn_ours.eval()
out_eval_ours = bn_ours(images_ours)
for mode, out in (("train", out_train_ours), ("eval", out_eval_ours)):
    print(f"{mode:>5}: 每个通道的均值 {rounded(out.mean(dim=(0, 2, 3)), 3)},",
          f"requires_grad {out.requires_grad}, grad_fn {name_of(out.grad_fn)}")
out_eval_ours.sum().backward()
print("评估模式下反向传播之后，bn.weight.grad已被设置：", bn_ours.weight.grad is not None)

# %% slideshow={"slide_type": "fragment"}
report("训练模式的输出", out_train_ours, out_train, 1e-5)
report("评估模式的输出", out_eval_ours, out_eval, 1e-5)
report("bn.weight.grad", bn_ours.weight.grad, bn.weight.grad, 1e-5)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们的`BatchNorm2d`表现出同样的两种行为，两种模式下的输出都和torch的一致。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在我们引擎的`BatchNorm2d.forward`里，`self.training`只决定用哪种统计量、要不要更新移动平均；和计算图毫无关系：

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.nn.BatchNorm2d.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`self.training`只决定用哪种统计量、要不要更新它们；代码里没有任何一处是自动求导的开关。

# %% [markdown] slideshow={"slide_type": "fragment"}
# 所以推理时两者都要用：`model.eval()`管层，`torch.no_grad()`管自动求导。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：留在黑板上的经验法则：`eval()`管层，`no_grad()`管自动求导，推理时两者都用。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 冻结参数
#
# 在神经网络里，不计算梯度的参数（parameter）称为**冻结的**参数。如果事先知道不需要某一部分的梯度，就可以把模型的这一部分冻结起来：这样就省掉了反向传播经过这部分时的计算（和内存）。
#
# 典型的例子是**微调**：拿一个预训练好的模型，冻结它的大部分，只训练分类器那几层，让它对新的标签（label）做预测。教程里的例子：一个ResNet18（这里用固定随机种子的随机权重（weight）代替需要下载的预训练权重），冻结它的全部参数。

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)

# 冻结网络中的所有参数
for param in model.parameters():
    param.requires_grad = False
n_frozen = sum(not p.requires_grad for p in model.parameters())
print(f"已冻结：{len(list(model.parameters()))}个参数张量中的{n_frozen}个")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：冻结就是把参数的`requires_grad`设为False；这样计算图就没有什么可为它们记录的了。问大家内存和时间会怎样（都会下降）。

# %% slideshow={"slide_type": "fragment"}
ours = afs.models.resnet18()
ours.load_state_dict(model.state_dict())

for param in ours.parameters():
    param.requires_grad = False
n_frozen_ours = sum(not p.requires_grad for p in ours.parameters())
print(f"已冻结：{len(list(ours.parameters()))}个参数张量中的{n_frozen_ours}个")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：同样的循环把我们的ResNet18（已载入torch的权重）的参数全部冻结。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 新的分类器
#
# 假设我们要在一个有10个标签的新数据集上微调。在ResNet里，分类器就是最后的线性层（linear layer）`model.fc`。我们把它换成一个新的线性层，它的参数没有被冻结（新层的参数默认需要梯度）。我们的引擎也换上同样的新权重，从torch那里复制过来。

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(1)
model.fc = nn.Linear(512, 10)
ours.fc = afs.nn.Linear(512, 10)
ours.fc.load_state_dict(model.fc.state_dict())

trainable = [n for n, p in model.named_parameters() if p.requires_grad]
trainable_ours = [n for n, p in ours.named_parameters() if p.requires_grad]
print("需要梯度的，torch：", trainable)
print("需要梯度的，我们的：", trainable_ours)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：新的`fc`层是在冻结之后才创建的，所以它的参数需要梯度：只有这个分类头（head）会学习。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在这一步之前，把两个`state_dict`的每一项都复制一份，之后好看看哪些变了：

# %% slideshow={"slide_type": "fragment"}
before = {k: v.clone() for k, v in model.state_dict().items()}
before_ours = {k: v.clone() for k, v in ours.state_dict().items()}
print(len(before), "项在torch的副本里，", len(before_ours), "项在我们的副本里")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：有了这份副本，全班之后就能准确地看到`state_dict`的哪些项变了。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 冻结主干网络后的前向传播和反向传播
#
# 和00号笔记本里一样的训练步（training step），输入是一张随机的64×64图像和10个随机标签：

# %% slideshow={"slide_type": "fragment"}
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 10)

prediction = model(data)
loss = (prediction - labels).sum()
loss.backward()
print("torch：设置了.grad的有", [n for n, p in model.named_parameters() if p.grad is not None])

# %% slideshow={"slide_type": "fragment"}
prediction_ours = ours(afs.tensor(data))
loss_ours = (prediction_ours - afs.tensor(labels)).sum()
loss_ours.backward()
print("我们的：设置了.grad的有", [n for n, p in ours.named_parameters() if p.grad is not None])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：和00号笔记本里一样的一步，只是主干网络（backbone）冻结了。两个引擎里的预测和分类头的梯度都一致。

# %% slideshow={"slide_type": "fragment"}
report("预测", prediction_ours, prediction, 1e-4)
report("fc.weight.grad", ours.fc.weight.grad, model.fc.weight.grad, 1e-4)
report("fc.bias.grad", ours.fc.bias.grad, model.fc.bias.grad, 1e-4)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：指出这些梯度：只有`fc.weight`和`fc.bias`有梯度；主干网络里每个`.grad`都是None。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 冻结的部分从计算图里消失了
#
# 整个主干网络都做了前向传播（forward pass），但它的运算一个都没有记录下来：这些运算的输入（图像和被冻结的参数）都不需要梯度。计算图从新的分类器开始。对比一下00号笔记本里完整一步的134个节点：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：冻结的部分从计算图里消失了：只剩下分类头的节点。问大家：卷积（convolution）的前向传播为什么照样运行了（分类头需要它的输出），却什么也没有记录？

# %% slideshow={"slide_type": "fragment"}
side_by_side(loss_ours, loss,
             params=({**dict(ours.named_parameters()), "loss": loss_ours},
                     {**dict(model.named_parameters()), "loss": loss}))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两张小小的计算图，而不是ResNet那几百个节点：微调省下的内存就在这里。

# %% slideshow={"slide_type": "fragment"}
print(len(graph_edges(loss_ours)), "个节点（我们的），", len(graph_edges(loss)), "个（torch的）；",
      "名字和连接都相同：", graph_edges(loss_ours) == graph_edges(loss))
print("分类器的节点：", prediction.grad_fn.name(), "| 它的next_functions：",
      [(name_of(n), i) for n, i in prediction.grad_fn.next_functions])

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`AddmmBackward0`计算`bias + input @ weightᵀ`。它的三条边是：偏置（bias）的`AccumulateGrad`；输入对应的`None`（主干网络输出的特征，不需要梯度）；以及`TBackward0`，即权重的转置。计算图正是在这个`None`处和冻结的主干网络断开的。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 优化器的一步只动分类器
#
# 和之前一样，我们把**全部**参数交给优化器。但`step()`只更新那些有`.grad`的参数，而只有分类器的参数有：

# %% slideshow={"slide_type": "fragment"}
# 只优化分类器
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optimizer.step()

optimizer_ours = afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)
optimizer_ours.step()
print("两个优化器分别持有", len(optimizer.param_groups[0]["params"]), "和",
      len(optimizer_ours.param_groups[0]["params"]), "个参数张量")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：我们把所有参数都交给SGD，但没有`.grad`的参数会被跳过：只有分类头会动。`state_dict`的比较显示哪些项变了。

# %% slideshow={"slide_type": "fragment"}
def changed(module, copy):
    """值与副本不同的那些参数的名字。"""
    return [n for n, p in module.named_parameters() if not np.array_equal(to_numpy(p), to_numpy(copy[n]))]


print("这一步改变了的，torch：", changed(model, before))
print("这一步改变了的，我们的：", changed(ours, before_ours))
report("这一步之后的fc.weight", ours.fc.weight, model.fc.weight, 1e-4)
report("这一步之后的fc.bias", ours.fc.bias, model.fc.bias, 1e-4)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：教程里的说明：虽然我们把所有参数都注册到了优化器里，但计算梯度（因而被梯度下降更新）的参数只有分类器的权重和偏置。只把`model.fc.parameters()`交给优化器，这一步的效果也一样。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 有一样东西冻结不了：批量规范化的**移动平均**是缓冲区（buffer），不是参数。在训练模式下，无论冻结与否，前向传播都会更新它们：

# %% slideshow={"slide_type": "fragment"}
for label, module, copy in (("torch", model, before), ("我们的", ours, before_ours)):
    stats = [n for n, _ in module.named_buffers() if "running" in n]
    moved = [n for n in stats if not np.array_equal(to_numpy(module.state_dict()[n]), to_numpy(copy[n]))]
    print(f"{label:>5}：{len(stats)}个移动平均中有{len(moved)}个在前向传播中变了")

# %% [markdown] slideshow={"slide_type": "fragment"}
# 如果微调时想让主干网络真正固定不变，还要把它置于评估模式，这时批量规范化使用移动平均而不去改动它们：先`model.eval()`，再`model.fc.train()`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：值得知道的例外：批量规范化的移动平均是缓冲区，即使网络被冻结，在训练模式下也会更新。需要时用`eval()`把它们固定住。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 推理时的同一种排除：`torch.no_grad()`
#
# 正如教程所说，同样的“从有向无环图中排除”也可以作用于整个代码块，用的是上下文管理器`torch.no_grad()`。要使用微调好的模型，上面的两个开关都要用：批量规范化用评估模式，自动求导用`no_grad`模式。

# %% slideshow={"slide_type": "fragment"}
model.eval()
with torch.no_grad():
    scores = model(data)
print("torch:", tuple(scores.shape), "| requires_grad", scores.requires_grad, "| grad_fn",
      name_of(scores.grad_fn))

# %% slideshow={"slide_type": "fragment"}
ours.eval()
with afs.no_grad():
    scores_ours = ours(afs.tensor(data))
print("我们的：", tuple(scores_ours.shape), "| requires_grad", scores_ours.requires_grad, "| grad_fn",
      name_of(scores_ours.grad_fn))
report("推理得分", scores_ours, scores, 1e-4)

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：推理用`no_grad`：同样的排除，作用于整个代码块。两个引擎里的输出都没有`grad_fn`。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("exclusion_from_the_dag", N)`，就能载入第N题的参考答案（来自`solutions/07_exclusion_from_the_dag.py`）。
#
# **1. 预测标志**。`x`是普通张量，`z`需要梯度（和上面一样），下面这些结果中哪些需要梯度？把每个`None`换成`True`或`False`，然后运行检查，它会在两个引擎里分别计算这些表达式。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：六分钟。先在纸上预测每个标志，再运行检查。有陷阱的一项：在`no_grad`下由`z`算出的结果（False）。

# %% slideshow={"slide_type": "fragment"}
predictions = {
    "x * 2": None,
    "z * 2": None,
    "x + z.detach()": None,
    "(x * z).sum()": None,
    "z * 2, inside no_grad": None,
    "x.requires_grad_() * 2": None,
}
print(len(predictions), "个预测等你来做")


# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        for engine in (torch, afs):
            x, z = engine.rand(3), engine.rand(3, requires_grad=True)
            with engine.no_grad():
                in_no_grad = z * 2
            actual = {
                "x * 2": x * 2,
                "z * 2": z * 2,
                "x + z.detach()": x + z.detach(),
                "(x * z).sum()": (x * z).sum(),
                "z * 2, inside no_grad": in_no_grad,
                "x.requires_grad_() * 2": x.requires_grad_() * 2,
            }
            for expression, result in actual.items():
                check.answered(predictions.get(expression), f"predictions[{expression!r}]")
                check.equal(predictions[expression], result.requires_grad,
                            f"{_course.engine_name(engine)}中的({expression}).requires_grad")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. 只训练最后一层**。为任一引擎的`Sequential`写`freeze_all_but_last(model)`：调用之后，只有最后一层的参数需要梯度。检查会在两个引擎里各做一次反向传播，看哪些参数得到了`.grad`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：先冻结全部，再把最后一层参数的`requires_grad`设回True；检查在两个引擎里核对哪些参数需要梯度、哪些参数得到了`.grad`。

# %% slideshow={"slide_type": "fragment"}
def freeze_all_but_last(model):
    pass  # 你的代码


print("freeze_all_but_last已定义")


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        for engine in (torch, afs):
            model = engine.nn.Sequential(engine.nn.Linear(4, 8), engine.nn.ReLU(),
                                         engine.nn.Linear(8, 8), engine.nn.ReLU(), engine.nn.Linear(8, 3))
            freeze_all_but_last(model)
            trainable = [n for n, p in model.named_parameters() if p.requires_grad]
            check.equal(trainable, ["4.weight", "4.bias"], f"需要梯度的参数（{_course.engine_name(engine)}）")
            model(engine.rand(2, 4)).sum().backward()
            with_grad = [n for n, p in model.named_parameters() if p.grad is not None]
            check.equal(with_grad, ["4.weight", "4.bias"], f"反向传播给了.grad的参数（{_course.engine_name(engine)}）")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. 一个推理函数**。写`predict(model, inputs, engine)`（`engine`是`torch`或`afs`），返回模型用于推理的输出：批量规范化处于评估模式，并且不记录计算图。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：`eval()`和`no_grad()`都要用，并返回普通的值。如果结果仍然有`grad_fn`，检查就会失败。

# %% slideshow={"slide_type": "fragment"}
def predict(model, inputs, engine):
    return model(inputs)  # 你的代码：这样会记录计算图，而且仍处于训练模式


print("predict已定义")


# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        torch.manual_seed(0)
        nets = {engine: engine.nn.Sequential(engine.nn.Conv2d(3, 4, 3), engine.nn.BatchNorm2d(4),
                                             engine.nn.ReLU(), engine.nn.Flatten(), engine.nn.Linear(16, 2))
                for engine in (torch, afs)}
        nets[afs].load_state_dict(nets[torch].state_dict())
        inputs = torch.rand(2, 3, 4, 4)
        outs = {}
        for engine, net in nets.items():
            net(engine.tensor(inputs) if engine is afs else inputs)  # 训练模式下的一次前向传播会改变移动平均
            out = predict(net, afs.tensor(inputs) if engine is afs else inputs, engine)
            outs[engine] = check.returned(out, f"predict(model, inputs, {_course.engine_name(engine)})")
            check.true(not net.training, f"调用predict之后，{_course.engine_name(engine)}的模型仍处于训练"
                       "模式：这时批量规范化用这个批量的统计量做规范化（model.eval()）")
            check.true(not out.requires_grad, f"在{_course.engine_name(engine)}中，predict的输出需要梯度：记录了"
                       "计算图（请在engine.no_grad()里运行模型）")
        expected = nets[torch].eval()(inputs)
        check.same(outs[torch], expected, "torch中predict的输出与model.eval()(inputs)对照", rtol=1e-6)
        check.same(outs[afs], expected, "afs中predict的输出与torch的model.eval()(inputs)对照", rtol=1e-4, atol=1e-5)


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - 只要至少有一个输入需要梯度（并且梯度模式开启），运算的结果就需要梯度；不需要梯度的张量被排除在有向无环图之外：没有节点，边是`None`。
# - `torch.no_grad()`排除整个代码块（推理），`detach()`排除一个张量（从此它就是常数）；`model.eval()`改变的是批量规范化计算什么，而不是自动求导记录什么。
# - 微调：冻结每个参数（`requires_grad = False`），替换`model.fc`。计算图缩小到只剩分类器，只有`fc.weight`和`fc.bias`得到`.grad`，优化器的一步也只改变它们，两个引擎完全一样。训练模式下，批量规范化的统计量仍然会变。
#
# **下一讲：**[08 · ResNet18的一步SGD](08_resnet18_sgd_step.ipynb)：00号笔记本里的完整一步，什么都不冻结，逐行讲解。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：`requires_grad`会传播，`no_grad`和`detach`负责排除，`eval`不是梯度模式，冻结就是`requires_grad=False`。下一讲：ResNet18的完整一步，每一行都讲。
