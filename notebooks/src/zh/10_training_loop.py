# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 10 · 训练循环
#
# **你将学到**
# - 训练循环就是08号笔记本的那一步在各个批量（batch）和各轮（epoch）上的重复（`zero_grad`、前向传播（forward）、损失（loss）、`backward`、`step`），只写一次，不加修改地在torch和我们的引擎上运行；
# - 怎样检验两个引擎*训练*得一样：同样的初始权重（weight）、同样的批量、每一步都相同的损失曲线、同样的测试预测。
#
# **前置知识：**[09 · 进阶](09_beyond_the_basics.ipynb)，以及整个系列：[02](02_computational_graph.ipynb)的计算图（computational graph）、[04](04_inside_the_engine.ipynb)的引擎、[06](06_layers.ipynb)的各种层、[07](07_exclusion_from_the_dag.ipynb)的`no_grad`和[08](08_resnet18_sgd_step.ipynb)的更新规则。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：最后一个笔记本，也是整个系列的回报：一个真正的分类器，在两个引擎里从零开始训练几轮，在手写数字上达到约97%的测试准确率。引擎里没有新东西：要点在于同样10行训练代码既能在`torch`上运行，也能在`afs`上运行，而且两次训练在几百步里始终保持一致。整个笔记本大约运行半分钟，大部分时间花在我们引擎的训练上，以及torch在创建第一个优化器（optimizer）时导入它的编译器。最后一节回顾整个系列，并给出进一步学习的方向。

# %% slideshow={"slide_type": "skip"}
import inspect
import time
from collections import OrderedDict

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

import autograd_from_scratch as afs
from autograd_from_scratch.compare import agree, max_abs_diff, report, report_grads, to_numpy
from autograd_from_scratch.viz import side_by_side
import _course  # notebooks/_course：未运行的笔记本里的图片、练习的检查

_course.show_pictures()

# 两个引擎都只用一个线程：这里的矩阵很小，为每次乘法唤醒线程的开销比省下的还多
# （在一台繁忙的2核机器上，我们的引擎训练慢了十倍）。
threadpool_limits(1)     # numpy的BLAS，负责我们引擎里的矩阵乘法
torch.set_num_threads(1)
torch.manual_seed(0)
afs.manual_seed(0)

print("torch", torch.__version__.split("+")[0], "| 除第7节外全部使用float64")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · 数据：1,797个手写数字
#
# scikit-learn自带一个小型手写数字数据集（无需下载）：8 × 8的灰度图像，像素值为0到16，标签（label）为0到9。我们把像素缩放到$[0, 1]$，加上一个通道维（CNN的输入是`(batch, channels, height, width)`），并且全部使用float64：这个笔记本要的是完全一致。

# %% slideshow={"slide_type": "fragment"}
digits = load_digits()
images = (digits.images / 16.0)[:, None, :, :]  # (N, 1, 8, 8)，float64
labels = digits.target.astype(np.int64)          # 类别索引，这是cross_entropy要求的格式
print(f"图像{images.shape} {images.dtype} | 标签{labels.shape} {labels.dtype}")
print(f"像素范围[{images.min()}, {images.max()}] | 每类图像数：{np.bincount(labels).tolist()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：终于有真实数据了，而且小到CPU就能处理：8x8的灰度图像，10个类别。展示那一排样例数字，请大家读出来。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 固定的划分：1,437张用于训练，360张用于测试
#
# 用一个设定了种子的numpy随机排列一次性选出360张测试图像；模型从不在它们上训练，所以测试准确率反映它在没见过的数字上表现如何。

# %% slideshow={"slide_type": "fragment"}
split = np.random.default_rng(0).permutation(len(images))
test_idx, train_idx = split[:360], split[360:]
x_train, y_train = images[train_idx], labels[train_idx]
x_test, y_test = images[test_idx], labels[test_idx]
print(f"训练集{x_train.shape} | 测试集{x_test.shape}")
print(f"前几个训练标签：{y_train[:12].tolist()}")

# %% slideshow={"slide_type": "fragment"}
fig, axes = plt.subplots(1, 12, figsize=(12, 1.4))
for ax, img, lab in zip(axes, x_train[:12], y_train[:12]):
    ax.imshow(img[0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(str(lab))
    ax.axis("off")
fig.suptitle("前12张训练图像及其标签", y=1.15)
plt.show()
print(f"显示了12张8 × 8像素的图像，标签为{y_train[:12].tolist()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个设定了种子的随机排列，只算一次：两个引擎在完全相同的图像上训练和测试。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · 模型：为两个库只写一次
#
# 一个小型CNN：两个卷积（convolution），各接ReLU和最大池化（max pooling），然后在剩下的$16 \cdot 2 \cdot 2 = 64$个特征上接一个线性分类器：
#
# $$8{\times}8 \xrightarrow{\text{conv } 3{\times}3,\ 8} 8{\times}8 \xrightarrow{\text{pool}} 4{\times}4
# \xrightarrow{\text{conv } 3{\times}3,\ 16} 4{\times}4 \xrightarrow{\text{pool}} 2{\times}2
# \xrightarrow{\text{flatten}} 64 \xrightarrow{\text{linear}} 10 \text{ scores (logits)}$$
#
# `afs.nn`用的是torch的名字，所以一个函数就能用`torch.nn`或`afs.nn`搭出模型：

# %% slideshow={"slide_type": "fragment"}
def make_cnn(nn):
    """用`torch.nn`或`afs.nn`搭建这个CNN：两者用同一段代码。"""
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 8, kernel_size=3, padding=1)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(8, 16, kernel_size=3, padding=1)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(16 * 2 * 2, 10)),
    ]))


torch_model = make_cnn(torch.nn).double()
our_model = make_cnn(afs.nn).double()
print(our_model)
print(f"打印结果与torch的相同：{repr(our_model) == repr(torch_model)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：模型代码把nn模块（module）作为参数：同一个函数既能搭出torch模型，也能搭出afs模型。这之所以可行，只是因为afs.nn用的是torch的名字。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 同样的初始权重
#
# 每个引擎各自随机生成了初始权重。我们用`load_state_dict`按名字把torch的权重复制到我们的模型里，并保留一份副本，之后每次训练都从它开始。

# %% slideshow={"slide_type": "fragment"}
initial_state = {name: value.clone() for name, value in torch_model.state_dict().items()}
our_model.load_state_dict(initial_state)
for name, p in our_model.named_parameters():
    print(f"{name:<13} {str(tuple(p.shape)):<14} {p.dtype}")
n_params = sum(p.numel() for p in our_model.parameters())
print(f"{n_params}个参数 | 与torch的相等：",
      all(agree(p, q, tol=0) for p, q in zip(our_model.parameters(), torch_model.parameters())))


# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：每个引擎各自随机生成了权重；load_state_dict把torch的权重复制到我们的模型里，这样两者从同一个起点出发。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · 批量：两个引擎完全相同
#
# 每一轮按新的随机顺序把1,437张训练图像过一遍，每次32张。这个顺序来自一个以轮数为种子的numpy生成器，所以两个引擎看到的批量完全相同，顺序也相同。

# %% slideshow={"slide_type": "fragment"}
BATCH_SIZE = 32


def batches(x, y, epoch):
    """按这一轮的顺序，逐个给出x和y的numpy批量（图像，标签）。"""
    order = np.random.default_rng([1, epoch]).permutation(len(x))
    for start in range(0, len(order), BATCH_SIZE):
        idx = order[start:start + BATCH_SIZE]
        yield x[idx], y[idx]


sizes = [len(yb) for _, yb in batches(x_train, y_train, 0)]
print(f"每轮{len(sizes)}个批量：{sizes.count(BATCH_SIZE)}个大小为{BATCH_SIZE}，最后一个大小为{sizes[-1]}")
for epoch in (0, 1):
    first_labels = next(batches(x_train, y_train, epoch))[1]
    print(f"第{epoch}轮，第一个批量的标签：{first_labels[:10].tolist()} ...")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：批量的顺序按轮设定种子，并由两个引擎共用，所以它们以相同的顺序看到相同的批量；否则它们的损失就无法逐步比较。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · 慢动作走一步
#
# 进入循环之前，先在两个引擎里用第一个批量走一步，逐个部分看一看。损失是10个分数$z$相对于真实类别$k$的交叉熵（cross entropy），$\ \ell = -\log \operatorname{softmax}(z)_k$，再对批量取平均。先看torch：

# %% slideshow={"slide_type": "fragment"}
LR, MOMENTUM = 0.1, 0.9
xb, yb = next(batches(x_train, y_train, 0))

optimizer_torch = torch.optim.SGD(torch_model.parameters(), lr=LR, momentum=MOMENTUM)
optimizer_torch.zero_grad()
logits_torch = torch_model(torch.tensor(xb))
loss_torch = torch.nn.functional.cross_entropy(logits_torch, torch.tensor(yb))
loss_torch.backward()
print(f"torch: logits {tuple(logits_torch.shape)} | 损失{loss_torch.item():.4f}"
      f" | grad_fn {loss_torch.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# 然后是我们的引擎：同样的几行，只是把torch换成`afs`。

# %% slideshow={"slide_type": "fragment"}
optimizer_ours = afs.optim.SGD(our_model.parameters(), lr=LR, momentum=MOMENTUM)
optimizer_ours.zero_grad()
logits_ours = our_model(afs.tensor(xb))
loss_ours = afs.nn.functional.cross_entropy(logits_ours, afs.tensor(yb))
loss_ours.backward()
print(f"afs:   logits {tuple(logits_ours.shape)} | 损失{loss_ours.item():.4f}"
      f" | grad_fn {loss_ours.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：慢动作走一步：zero_grad、前向传播、交叉熵损失、反向传播（backward），然后在step()之前看一看。提问：为什么zero_grad要放在最前面？（02：梯度会累加（accumulate）。）

# %% slideshow={"slide_type": "fragment"}
report("logits", logits_ours, logits_torch, tol=1e-12)
report("loss", loss_ours, loss_torch, tol=1e-12)
all_agree = report_grads([(f"{name}.grad", p.grad, q.grad) for (name, p), q
                          in zip(our_model.named_parameters(), torch_model.parameters())], tol=1e-12)
print(f"全部{n_params}个梯度都一致：{all_agree}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在float64下，未规范化的预测（logits）、损失和全部梯度（gradient）都一致到1e-12：两个引擎做的是同样的算术。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `backward()`遍历过的计算图
#
# 按层加框：在两个引擎里，每个卷积都是一个`ConvolutionBackward0`节点（node），线性层（linear layer）是一个`AddmmBackward0`，交叉熵则是两个节点：先`LogSoftmaxBackward0`，再`NllLossBackward0`。

# %% slideshow={"slide_type": "fragment"}
graphs = side_by_side(loss_ours, loss_torch,
                      params=(dict(our_model.named_parameters()), dict(torch_model.named_parameters())),
                      cluster_by=1)
graphs.attr(size="10,10")  # graphviz：缩小到最多10 × 10英寸，以放进一张幻灯片
graphs

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一个训练步（training step）的计算图，按层加框：每个卷积是一个ConvolutionBackward0节点，损失在最底下。子页把它放大到能看清。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 更新一步
#
# `step()`对每个参数（parameter）应用08号笔记本中的更新规则，原地（in-place）进行，且在计算图之外。记$\eta$ = `lr`、$\mu$ = `momentum`，每个参数有一个动量缓冲区（momentum buffer）$b$：
#
# $$b_t = \mu\, b_{t-1} + g_t \ \ (b_1 = g_1), \qquad \theta_t = \theta_{t-1} - \eta\, b_t .$$

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.optim.SGD._update_block))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：step()就是08号笔记本里的更新，原地进行，且在计算图之外（no_grad）。

# %% slideshow={"slide_type": "fragment"}
before = to_numpy(our_model.fc.bias).copy()
optimizer_torch.step()
optimizer_ours.step()
print("fc.bias移动了-lr * grad（第一步：b = g）：",
      agree(to_numpy(our_model.fc.bias) - before, -LR * to_numpy(our_model.fc.bias.grad), tol=1e-12))
print("更新之后，所有权重都与torch的一致：",
      all(agree(p, q, tol=1e-12) for p, q in zip(our_model.parameters(), torch_model.parameters())))

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在两个引擎里，`fc.bias`移动的量相同。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · 训练循环，只写一次
#
# 循环对每一轮的每个批量重复这一步。它把库作为参数，`torch`或`afs`：同样的几行代码在两个引擎上运行。

# %% slideshow={"slide_type": "fragment"}
def train(lib, model, x, y, epochs, lr=LR, momentum=MOMENTUM):
    """用SGD和交叉熵在图像x、标签y上训练`model`；返回每一步的损失。"""
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for epoch in range(epochs):
        for xb, yb in batches(x, y, epoch):
            xb, yb = lib.tensor(xb), lib.tensor(yb)
            optimizer.zero_grad()  # 清空.grad：backward会往里累加（02、04：累加）
            logits = model(xb)     # 前向传播：运行各层并记录计算图（02、06）
            loss = lib.nn.functional.cross_entropy(logits, yb)  # 一个用来求导的数
            loss.backward()        # 反向传播：04的引擎遍历计算图，填好.grad
            optimizer.step()       # 08的更新规则，原地进行，在no_grad下（07）
            losses.append(loss.item())
    return np.array(losses)


print("train(lib, model, x, y, epochs)已定义")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：循环就是对每一轮的每个批量重复那一步，为两个库只写一次。指出里面的四行：zero_grad、前向传播和损失、反向传播、step。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 每个引擎训练5轮
#
# 两个模型都重新从`initial_state`开始（上面那一步已经改变了它们）。5轮，每轮45个批量：每个引擎各225步。

# %% slideshow={"slide_type": "fragment"}
EPOCHS = 5
torch_model.load_state_dict(initial_state)
start = time.perf_counter()
losses_torch = train(torch, torch_model, x_train, y_train, EPOCHS)
seconds_torch = time.perf_counter() - start
print(f"torch: {len(losses_torch)}步 | 损失{losses_torch[0]:.4f} -> {losses_torch[-1]:.4f}")

# %% slideshow={"slide_type": "fragment"}
our_model.load_state_dict(initial_state)
start = time.perf_counter()
losses_ours = train(afs, our_model, x_train, y_train, EPOCHS)
seconds_ours = time.perf_counter() - start
print(f"afs:   {len(losses_ours)}步 | 损失{losses_ours[0]:.4f} -> {losses_ours[-1]:.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个模型都从同一个初始状态重新开始；各训练5轮。提问：大家预期两条损失曲线会是什么样？（在float64下完全相同。）

# %% slideshow={"slide_type": "fragment"}
print(f"{len(losses_ours)}步中损失之差的最大绝对值 < 1e-10："
      f"{max_abs_diff(losses_ours, losses_torch) < 1e-10}")
print("训练后的权重一致（容差1e-10）：",
      all(agree(p, q, tol=1e-10) for p, q in zip(our_model.parameters(), torch_model.parameters())))

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
# 计时取决于机器和它的负载：标记为nbval-ignore-output。
print(f"5轮，torch：{seconds_torch:.2f} s | afs：{seconds_ours:.2f} s "
      f"（是torch用时的{seconds_ours / seconds_torch:.1f}倍）")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：所有步中最大的损失差异小于1e-10：两条曲线重合。可能会有人问：为什么不是恰好为零？因为numpy和torch的求和顺序不同。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 两条损失曲线
#
# 每一步的损失都有噪声（32张图像的批量是个小样本），所以我们还在每一轮的中点标出这一轮的平均损失。torch的曲线画得又宽又浅，我们的画成细虚线叠在上面：两者重合。

# %% slideshow={"slide_type": "fragment"}
steps_per_epoch = len(losses_torch) // EPOCHS
means_torch = losses_torch.reshape(EPOCHS, -1).mean(axis=1)
means_ours = losses_ours.reshape(EPOCHS, -1).mean(axis=1)
epoch_ends = np.arange(1, EPOCHS + 1) * steps_per_epoch
epoch_middles = epoch_ends - steps_per_epoch / 2

fig, ax = plt.subplots(figsize=(9, 3.6))
ax.plot(losses_torch, color="tab:orange", lw=4, alpha=0.5, label="torch，每步")
ax.plot(losses_ours, color="tab:blue", lw=1, ls="--", label="afs，每步")
ax.plot(epoch_middles, means_torch, "o", color="tab:orange", ms=10, alpha=0.5, label="torch，每轮平均")
ax.plot(epoch_middles, means_ours, "x", color="tab:blue", ms=8, label="afs，每轮平均")
for end in epoch_ends[:-1]:
    ax.axvline(end, color="gray", lw=0.5)
ax.set(xlabel="步", ylabel="交叉熵损失", title="两个引擎的训练损失")
ax.legend()
plt.show()
print("每轮平均损失，torch：", np.round(means_torch, 4).tolist())
print("每轮平均损失，afs：  ", np.round(means_ours, 4).tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：如果学生问，为什么两条曲线是重合，而不只是看起来相像：初始权重相同，批量相同且顺序相同，更新规则相同，而且用的是float64。唯一的差别是两种实现的舍入误差（例如矩阵乘法（matrix product）内部的求和顺序不同），每个运算约$10^{-16}$；第7节展示这些误差怎样增长，以及为什么用float64。

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "slide"}
# ## 6 · 在`no_grad`模式下测试准确率
#
# 评估只需要前向传播：不需要计算图，也不需要梯度。和07号笔记本一样，在两个库里，`no_grad()`都告诉引擎什么都不要记录。预测结果是得分最高的那个类别。

# %% slideshow={"slide_type": "fragment"}
def predict(lib, model, x):
    """x中每张图像的预测类别，计算时不记录计算图。"""
    with lib.no_grad():  # 07：什么都不记录，也不为反向传播保留内存
        logits = model(lib.tensor(x))
    return logits.argmax(dim=1).numpy(), logits


pred_torch, logits_torch = predict(torch, torch_model, x_test)
pred_ours, logits_ours = predict(afs, our_model, x_test)
print(f"记录了计算图：torch {logits_torch.grad_fn is not None}，afs {logits_ours.grad_fn is not None}"
      f" | requires_grad：torch {logits_torch.requires_grad}，afs {logits_ours.requires_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：第二部分：先回顾两个训练好的模型完全一致，然后评估：不要计算图，不要梯度，所以用`no_grad`。

# %% slideshow={"slide_type": "fragment"}
accuracy_torch = (pred_torch == y_test).mean()
accuracy_ours = (pred_ours == y_test).mean()
print(f"测试准确率，torch：{accuracy_torch:.4f}（{(pred_torch == y_test).sum()}/{len(y_test)}）")
print(f"测试准确率，afs：  {accuracy_ours:.4f}（{(pred_ours == y_test).sum()}/{len(y_test)}）")
print(f"相等：{accuracy_torch == accuracy_ours} | 每张测试图像的预测都相同："
      f"{bool(np.all(pred_ours == pred_torch))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎的测试准确率相同，分错的也是同样的图像。提问：哪些数字容易混淆？（见后面幻灯片上的图。）

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 看看预测结果
#
# 上面一行：前8张测试图像。下面一行：模型分错的测试图像。每张图的标题是我们的引擎的预测和真实标签（对的为绿色，错的为红色）。

# %% slideshow={"slide_type": "fragment"}
wrong = np.flatnonzero(pred_ours != y_test)
rows = {"first 8 test images": np.arange(8), "mistakes": wrong[:8]}
fig, axes = plt.subplots(2, 8, figsize=(12, 3.6))
for ax_row, (row_name, idx) in zip(axes, rows.items()):
    for k, ax in enumerate(ax_row):
        ax.axis("off")
        if k < len(idx):
            i = idx[k]
            ax.imshow(x_test[i, 0], cmap="gray_r", vmin=0, vmax=1)
            right = pred_ours[i] == y_test[i]
            ax.set_title(f"预测{pred_ours[i]}（真实{y_test[i]}）", fontsize=9,
                         color="tab:green" if right else "tab:red")
    ax_row[0].text(-0.4, 0.5, row_name, transform=ax_row[0].transAxes, ha="right", va="center")
plt.show()
for row_name, idx in rows.items():
    print(f"{row_name:<19}：预测{pred_ours[idx].tolist()}，真实{y_test[idx].tolist()}")
print(f"{len(wrong)}处错误，共{len(y_test)}张测试图像")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这些错误值得给全班看看：在8 × 8像素下，有几张人也很难认。一个有用的问题：模型的分数是`logits_ours[i]`；它在分错的图像上有多大把握？（`afs.nn.functional.log_softmax(logits, 1).exp()`给出概率。）

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · 为什么用float64：舍入差异怎样增长
#
# 两个引擎计算的公式相同，但顺序不同（例如卷积内部72个乘积的求和），所以舍入结果不同：float32下相对差异约$10^{-7}$，float64下约$10^{-16}$。训练把每一步的结果带进下一步，所以这些差异会一路传下去，还可能增长。下面用float32（两个库的默认类型）把同样的5轮再训练一遍：

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：这个笔记本为什么用float64：在float32下，两个引擎一开始就相差一个舍入误差，而训练会把它放大。这不是哪个引擎的程序错误。

# %% slideshow={"slide_type": "fragment"}
torch_model32 = make_cnn(torch.nn)
our_model32 = make_cnn(afs.nn)
torch_model32.load_state_dict(initial_state)  # 同样的权重，舍入到float32
our_model32.load_state_dict(initial_state)
x_train32, x_test32 = x_train.astype(np.float32), x_test.astype(np.float32)
losses_torch32 = train(torch, torch_model32, x_train32, y_train, EPOCHS)
losses_ours32 = train(afs, our_model32, x_train32, y_train, EPOCHS)

gap32 = np.abs(losses_ours32 - losses_torch32).reshape(EPOCHS, -1)  # 每轮一行
gap64 = np.abs(losses_ours - losses_torch).reshape(EPOCHS, -1)
print(f"float32，第1轮：损失之差的最大绝对值 < 1e-4：{gap32[0].max() < 1e-4}")
print(f"float32，第{EPOCHS}轮：比第1轮大10倍以上：{gap32[-1].max() > 10 * gap32[0].max()}")
print(f"float64，全部{EPOCHS}轮：损失之差的最大绝对值 < 1e-10：{gap64.max() < 1e-10}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两个引擎在float32下从同一起点做同样的训练。

# %% slideshow={"slide_type": "subslide"}
fig, (ax_loss, ax_gap) = plt.subplots(1, 2, figsize=(12, 3.6))
last_epoch = np.arange(len(losses_ours32) - steps_per_epoch, len(losses_ours32))
ax_loss.plot(last_epoch, losses_torch32[last_epoch], "o-", color="tab:orange", lw=3, alpha=0.5,
             label="torch，float32")
ax_loss.plot(last_epoch, losses_ours32[last_epoch], "x--", color="tab:blue", lw=1,
             label="afs，float32")
ax_loss.set(xlabel="步", ylabel="交叉熵损失", title="float32：最后一轮的损失")
ax_loss.legend()
floor = 1e-17  # 恰好为0的差值画在这里：两个损失连最后一位都相同
ax_gap.semilogy(np.maximum(gap32.ravel(), floor), ".", ms=4, color="tab:red", label="float32")
ax_gap.semilogy(np.maximum(gap64.ravel(), floor), ".", ms=4, color="tab:green", label="float64")
for end in epoch_ends[:-1]:
    ax_gap.axvline(end, color="gray", lw=0.5)
ax_gap.set(xlabel="步", ylabel="|afs的损失 − torch的损失|", ylim=(floor / 2, 1),
           title="两个引擎之间的差距（0画在1e-17处）")
ax_gap.legend()
plt.show()
for lib, model in ((torch, torch_model32), (afs, our_model32)):
    correct = (predict(lib, model, x_test32)[0] == y_test).mean()
    print(f"{lib.__name__:<22} float32模型，测试准确率高于90%：{correct > 0.9}")

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：左图中，两条损失曲线用肉眼看仍然重合；右图中，它们在对数坐标下的差距从float32的舍入水平（1e-7）增长了好几个数量级。只看趋势：具体数字取决于机器。

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 这两张图说明了什么
#
# - **float32**：差距一开始是float32舍入误差的大小，约$10^{-7}$，随着步数增加而增长：每一步都从差得更多一点的权重出发。到最后一轮，差距已大了一百倍（右图）。在损失本身的尺度上，两条float32曲线看起来仍然一样（左图），但它们已不再是同一个计算：训练得更久，差距还可能继续增长；而一旦两个值相差在舍入误差以内，最大池化或ReLU的判断就可能翻转，把梯度送往另一条路。两个模型都仍在学习，只是学得*不一样*。（你的机器的舍入可能不同：图的细节会变，增长的趋势不会变。）
# - **float64**：在全部225步中差距都保持在$10^{-15}$附近，第5节的曲线完全重合。如果那里的差异超过$10^{-10}$，那就说明有程序错误，而不是舍入。
#
# 这就是为什么本系列的比较，以及上面那次训练，都用float64。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：两张图的总结：float32的差异会增长，float64的差异停留在舍入水平。两个模型学得一样好。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习
#
# 把每道题的答案写在对应的单元格里，然后运行下面的检查单元格：它会指出还有哪里不对（缺少答案、你的代码抛出的错误、不一致的元素或设置）。卡住了？在新单元格里运行`_course.load_solution("training_loop", N)`，就能载入第N题的参考答案（来自`solutions/10_training_loop.py`）。
#
# 1. **手写更新步**：用你自己的更新代替`optimizer.step()`，即普通的梯度下降$\theta \leftarrow \theta - \eta\, g$，为两个库只写一次。
# 2. **学习率调度**（learning-rate schedule）：通过优化器的`param_groups`，在每一轮开始时把学习率（learning rate）减半。
# 3. **梯度裁剪**（gradient clipping）：在`backward()`和`step()`之间，把所有梯度一起缩放，使它们合在一起的范数不超过`max_norm`，结果要与`torch.nn.utils.clip_grad_norm_`一致。
#
# 每个检查都从`initial_state`出发，在两个引擎里训练几步，然后告诉你代码是否正确。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：三道练习；每道给六分钟，或者布置两道回家做。

# %% slideshow={"slide_type": "skip"}
def fresh_model(lib):
    """任一个库的新CNN，载入第2节的初始权重。"""
    model = make_cnn(lib.nn).double()
    model.load_state_dict(initial_state)
    return model


def few_steps(lib, model, step_fn, epochs=1, steps=8, at_epoch_start=None):
    """一次简短的训练，其中由`step_fn(lib, model, loss)`完成反向传播和更新。"""
    losses = []
    for epoch in range(epochs):
        if at_epoch_start is not None:
            at_epoch_start(epoch)
        for k, (xb, yb) in enumerate(batches(x_train, y_train, epoch)):
            if k == steps:
                break
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(xb)), lib.tensor(yb))
            step_fn(lib, model, loss)
            losses.append(loss.item())
    return np.array(losses)


print("检查用的辅助函数：fresh_model、few_steps")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习1 · 手写更新步
#
# 填写`manual_step(lib, model, lr)`：对每个参数`p`，$p \leftarrow p - \eta\,$`p.grad`，原地进行，并且在计算图之外（07号笔记本说该用什么？）。检查在两个引擎里各用它训练8步，并与不带动量的`torch.optim.SGD(lr=0.1)`比较。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：在no_grad下原地做普通的梯度下降，两个引擎都适用。常见错误：`p = p - lr * p.grad`会创建一个新张量（tensor），而不是更新参数。

# %% slideshow={"slide_type": "fragment"}
def manual_step(lib, model, lr):
    pass  # TODO：原地更新model的每个参数：p <- p - lr * p.grad


print("manual_step已定义")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_1():
    def torch_sgd(lib, model, loss):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # 没有动量：不需要保存状态
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def by_hand(lib, model, loss):
        model.zero_grad()
        loss.backward()
        manual_step(lib, model, 0.1)

    with _course.exercise(1) as check:
        expected = few_steps(torch, fresh_model(torch), torch_sgd)
        for lib in (afs, torch):  # 两个库用同一段代码
            check.same(few_steps(lib, fresh_model(lib), by_hand), expected,
                       f"用manual_step训练8步的损失（{_course.engine_name(lib)}）与torch.optim.SGD的对照",
                       rtol=1e-10)


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习2 · 学习率调度
#
# 优化器每一步都从`optimizer.param_groups[0]["lr"]`读取学习率。填写`set_learning_rate(optimizer, epoch)`，使第0轮用0.1，第1轮用0.05，第2轮用0.025，以此类推。检查在两个引擎里用带动量的SGD训练3轮，每轮8步。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：学习率存放在`optimizer.param_groups[0]['lr']`里；调度就是在更新之前改写它。检查核对每一轮读到的学习率（0.1，每轮减半），并比较两个引擎的损失。

# %% slideshow={"slide_type": "fragment"}
def set_learning_rate(optimizer, epoch):
    pass  # TODO：把每个参数组的学习率设为0.1 * 0.5 ** epoch


print("set_learning_rate已定义")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_2():
    with _course.exercise(2) as check:
        losses = {}
        for lib in (torch, afs):
            model = fresh_model(lib)
            optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            seen = []

            def sgd_step(lib, model, loss):
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

            def at_epoch_start(epoch):
                set_learning_rate(optimizer, epoch)
                seen.append(optimizer.param_groups[0]["lr"])

            losses[lib] = few_steps(lib, model, sgd_step, epochs=3, at_epoch_start=at_epoch_start)
            for epoch, lr in enumerate(seen):
                check.same(lr, 0.1 * 0.5 ** epoch, f"第{epoch}轮的学习率（{_course.engine_name(lib)}）")
        check.same(losses[afs], losses[torch], "3轮的损失，我们的与torch的对照", rtol=1e-10)


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习3 · 梯度裁剪
#
# 把所有梯度看成一个长向量$g$；如果它的范数$\lVert g \rVert$大于`max_norm`，就把每个梯度乘以`max_norm` $/ \lVert g \rVert$。填写`clip_gradients(lib, model, max_norm)`（原地进行，在`no_grad`下；两个库里都有`(p.grad ** 2).sum()`、`.item()`和`p.grad.mul_(c)`）。检查使用`max_norm=0.25`（最初几个梯度的范数在0.2到0.35之间），并与torch的`clip_grad_norm_`比较（它除以的是$\lVert g \rVert + 10^{-6}$：检查的容差两种都接受）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：按所有梯度合在一起的全局范数裁剪，而不是逐个张量裁剪。检查与`torch.nn.utils.clip_grad_norm_`比较。

# %% slideshow={"slide_type": "fragment"}
def clip_gradients(lib, model, max_norm):
    pass  # TODO：把所有梯度乘以min(1, max_norm / 总范数)


print("clip_gradients已定义")

# %% slideshow={"slide_type": "fragment"}
# torch的clip_grad_norm_除以范数 + 1e-6；练习中的公式不加这一项，8个损失因此产生的变化
# 小于CLIP_RTOL，而错误的裁剪（逐个参数裁剪，或根本不裁剪）造成的变化要大得多。
CLIP_RTOL = 1e-6


def check_exercise_3():
    def run_with(lib, clip):
        """带动量的SGD训练8步，在backward和step之间调用clip(lib, model)。"""
        model = fresh_model(lib)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(lib, model, loss):
            optimizer.zero_grad()
            loss.backward()
            clip(lib, model)
            optimizer.step()
        return few_steps(lib, model, step)

    with _course.exercise(3) as check:
        expected = run_with(torch, lambda lib, m: torch.nn.utils.clip_grad_norm_(m.parameters(), 0.25))
        for lib in (afs, torch):
            check.same(run_with(lib, lambda lib, m: clip_gradients(lib, m, 0.25)), expected,
                       f"裁剪后训练8步的损失（{_course.engine_name(lib)}）与torch的clip_grad_norm_对照",
                       rtol=CLIP_RTOL)


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# - **训练循环**就是把08号笔记本的那一步放进循环：对每一轮的每个批量执行`zero_grad`、前向传播、损失、`backward`、`step`。只要针对两者共有的API来写，同一个函数既能训练torch模型，也能训练我们引擎里的模型。
# - 用**同样的初始权重**（`load_state_dict`）、**同样的批量**（设定了种子的随机排列）和**float64**，两个引擎在225步中的每一步都得到相同的损失（误差在$10^{-10}$以内），训练出相同的权重，给出相同的测试预测。
# - 在**float32**下，两个引擎的舍入不同，差异一步步增长（这里5轮增长了一百倍）：整个训练过程的完全一致是float64才有的性质，也是对引擎的一项严格检验。
# - **评估**只需要前向传播：在`no_grad()`下什么都不记录。
# - 一个有1,898个参数的CNN，训练5轮之后，在没见过的数字上能认对约97%，而运行它的引擎全是你读过的numpy代码。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：回顾：训练循环就是把08号笔记本的那一步放进循环，两个引擎在真实数据上完全一致。接着用一页回顾整个系列。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 一页看完整个系列
#
# | | 笔记本 | 构建了什么 |
# |---|---|---|
# | 00 | [训练步](00_the_training_step.ipynb) | 教程里的那一步，分别用torch和`afs`实现 |
# | 01 | [初识梯度](01_first_gradients.ipynb) | $Q = 3a^3 - b^2$：`backward`、`.grad`、`gradient=` |
# | 02 | [计算图](02_computational_graph.ipynb) | `grad_fn`、`next_functions`、叶子节点（leaves）、梯度累加（accumulation） |
# | 03 | [亲手实现](03_build_it_yourself.ipynb) | 你自己的张量自动求导（autograd），100行，能训练一个MLP |
# | 04 | [引擎内部](04_inside_the_engine.ipynb) | `Function`、拓扑序（topological order）、链式法则（chain rule） |
# | 05 | [向量微积分](05_vector_calculus.ipynb) | 雅可比矩阵（Jacobians）、$J^T v$、广播（broadcasting）、反向模式（reverse mode） |
# | 06 | [层](06_layers.ipynb) | Linear、Conv2d（im2col）、BatchNorm2d、ReLU、池化（pooling） |
# | 07 | [从有向无环图中排除](07_exclusion_from_the_dag.ipynb) | `no_grad`、`detach`、冻结参数（frozen parameters） |
# | 08 | [ResNet18的一步SGD](08_resnet18_sgd_step.ipynb) | 更新规则，检验62个梯度 |
# | 09 | [进阶](09_beyond_the_basics.ipynb) | 钩子（hooks）、高阶梯度（higher order）、原地操作（in place）、`gradcheck` |
# | 10 | 训练循环（本笔记本） | 一个在两个引擎里逐步一致地训练出来的CNN |

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：一张表看完整个系列：每一行写着那个笔记本构建了什么。这时适合问问大家，哪个笔记本最难。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 接下来去哪里
#
# - **[micrograd](https://github.com/karpathy/micrograd)**（Andrej Karpathy）：一个约100行的标量（scalar）自动求导引擎，配有一段现场把它写出来的视频讲座。想自己重新推出04号笔记本的内容，这是最短的路。
# - **[MiniTorch](https://minitorch.github.io/)**（Sasha Rush）：一门课程，带你一个模块一个模块地构建一个张量库，包括自动微分（autodiff）、广播、快速算子和卷积，每一步都有测试。
# - **[动手学深度学习](https://zh.d2l.ai)**：本系列之后的模型（更深的CNN、循环神经网络、注意力机制），每一章都可以用PyTorch运行。
# - **[PyTorch：自动求导机制](https://pytorch.org/docs/stable/notes/autograd.html)**：官方文档对本系列所重建内容的说明：保存的张量（saved tensors）、原地操作的检查、梯度模式、多线程、复数梯度。
# - **[tinygrad](https://github.com/tinygrad/tinygrad)**：最初是一个教学规模的自动求导引擎，后来成长为一个真正的框架，有惰性求值和自己的GPU代码生成；读读它早期的历史，看一个小引擎是怎样长大的。
# - **[Autodidax：从零实现JAX核心](https://docs.jax.dev/en/latest/autodidax.html)**：从函数式的角度讲同一个思想：追踪（tracing）、`jvp`（前向模式）、通过转置得到的`vjp`、`jit`。
#
# 还有本系列的出发点：PyTorch教程《[A Gentle Introduction to `torch.autograd`](https://pytorch.org/tutorials/beginner/blitz/autograd_tutorial.html)》。
#
# **回到起点：**[00 · 训练步](00_the_training_step.ipynb)。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲者备注：接下来去哪里：想看最小的引擎，读micrograd；想用张量亲手构建一个，做MiniTorch；然后读torch自己的自动求导源码。回到00号笔记本：现在每一行都讲清楚了。
