# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 10 · The training loop
#
# **You will learn**
# - that a training loop is the step of notebook 08 repeated over batches and epochs (`zero_grad`,
#   forward, loss, `backward`, `step`), written once and run unchanged on torch and on our engine;
# - how to check that two engines *train* alike: same initial weights, same batches, the same loss
#   curve step by step, the same test predictions.
#
# **Builds on:** [09 · Beyond the basics](09_beyond_the_basics.ipynb), and on all of the series:
# the graph of [02](02_computational_graph.ipynb), the engine of [04](04_inside_the_engine.ipynb),
# the layers of [06](06_layers.ipynb), `no_grad` from [07](07_exclusion_from_the_dag.ipynb) and the
# update rule of [08](08_resnet18_sgd_step.ipynb).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The last notebook, and the payoff: a real classifier, trained from scratch for a few epochs in
# both engines, reaching about 97% test accuracy on handwritten digits. Nothing new in the engine:
# the point is that the same 10 lines of training code run on `torch` and on `afs`, and that the
# two runs stay together for hundreds of steps. The whole notebook runs in about half a minute
# (most of it our engine training, and torch importing its compiler on the first optimizer).
# The last section is a recap of the series and pointers for going further.

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
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

# Both engines on one thread: the matrices here are small, and waking threads up for each product
# costs more than it saves (on a busy 2-core machine, our engine trained ten times slower).
threadpool_limits(1)     # numpy's BLAS, which does our engine's matrix products
torch.set_num_threads(1)
torch.manual_seed(0)
afs.manual_seed(0)

print("torch", torch.__version__.split("+")[0], "| float64 throughout, except in section 7")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The data: 1,797 handwritten digits
#
# scikit-learn ships a small data set of handwritten digits with the library (no download): 8 × 8
# grey-level images, pixel values 0 to 16, labels 0 to 9. We scale the pixels to $[0, 1]$, add a
# channel dimension (a CNN takes `(batch, channels, height, width)`), and keep everything in
# float64: the point of this notebook is exact agreement.

# %% slideshow={"slide_type": "fragment"}
digits = load_digits()
images = (digits.images / 16.0)[:, None, :, :]  # (N, 1, 8, 8), float64
labels = digits.target.astype(np.int64)          # class indices, as cross_entropy expects
print(f"images {images.shape} {images.dtype} | labels {labels.shape} {labels.dtype}")
print(f"pixel range [{images.min()}, {images.max()}] | images per class: {np.bincount(labels).tolist()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Real data at last, and small enough for CPU: 8x8 grey images, 10 classes. Show
# the row of sample digits and ask the room to read them.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A fixed split: 1,437 to train on, 360 to test on
#
# A seeded numpy permutation picks the 360 test images once; the model never trains on them, so
# the test accuracy tells how well it does on digits it has not seen.

# %% slideshow={"slide_type": "fragment"}
split = np.random.default_rng(0).permutation(len(images))
test_idx, train_idx = split[:360], split[360:]
x_train, y_train = images[train_idx], labels[train_idx]
x_test, y_test = images[test_idx], labels[test_idx]
print(f"train {x_train.shape} | test {x_test.shape}")
print(f"first training labels: {y_train[:12].tolist()}")

# %% slideshow={"slide_type": "fragment"}
fig, axes = plt.subplots(1, 12, figsize=(12, 1.4))
for ax, img, lab in zip(axes, x_train[:12], y_train[:12]):
    ax.imshow(img[0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(str(lab))
    ax.axis("off")
fig.suptitle("the first 12 training images and their labels", y=1.15)
plt.show()
print(f"shown: 12 images of 8 × 8 pixels, labels {y_train[:12].tolist()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One seeded permutation, computed once: both engines train and test on exactly the
# same images.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · The model, written once for both libraries
#
# A small CNN: two convolutions with ReLU and max pooling, then a linear classifier on the
# $16 \cdot 2 \cdot 2 = 64$ features that are left:
#
# $$8{\times}8 \xrightarrow{\text{conv } 3{\times}3,\ 8} 8{\times}8 \xrightarrow{\text{pool}} 4{\times}4
# \xrightarrow{\text{conv } 3{\times}3,\ 16} 4{\times}4 \xrightarrow{\text{pool}} 2{\times}2
# \xrightarrow{\text{flatten}} 64 \xrightarrow{\text{linear}} 10 \text{ scores (logits)}$$
#
# `afs.nn` has torch's names, so one function builds the model from either `torch.nn` or `afs.nn`:

# %% slideshow={"slide_type": "fragment"}
def make_cnn(nn):
    """The CNN, from `torch.nn` or `afs.nn`: the same code for both."""
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
print(f"same printout as torch's: {repr(our_model) == repr(torch_model)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The model code takes the nn module as an argument: the same function builds the
# torch and the afs model. This only works because afs.nn uses torch's names.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same initial weights
#
# Each engine drew its own random initial weights. We copy torch's into ours with
# `load_state_dict`, by name, and keep a copy of them to start every training run from.

# %% slideshow={"slide_type": "fragment"}
initial_state = {name: value.clone() for name, value in torch_model.state_dict().items()}
our_model.load_state_dict(initial_state)
for name, p in our_model.named_parameters():
    print(f"{name:<13} {str(tuple(p.shape)):<14} {p.dtype}")
n_params = sum(p.numel() for p in our_model.parameters())
print(f"{n_params} parameters | equal to torch's:",
      all(agree(p, q, tol=0) for p, q in zip(our_model.parameters(), torch_model.parameters())))


# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Each engine drew its own random weights; load_state_dict copies torch's into ours
# so both start from the same point.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · The batches, the same for both engines
#
# Each epoch goes through the 1,437 training images once, in a new random order, 32 at a time.
# The order comes from a numpy generator seeded with the epoch number, so both engines see exactly
# the same batches, in the same order.

# %% slideshow={"slide_type": "fragment"}
BATCH_SIZE = 32


def batches(x, y, epoch):
    """(images, labels) numpy batches of x and y, in the order of this epoch."""
    order = np.random.default_rng([1, epoch]).permutation(len(x))
    for start in range(0, len(order), BATCH_SIZE):
        idx = order[start:start + BATCH_SIZE]
        yield x[idx], y[idx]


sizes = [len(yb) for _, yb in batches(x_train, y_train, 0)]
print(f"{len(sizes)} batches per epoch: {sizes.count(BATCH_SIZE)} of {BATCH_SIZE}, last of {sizes[-1]}")
for epoch in (0, 1):
    first_labels = next(batches(x_train, y_train, epoch))[1]
    print(f"epoch {epoch}, first batch labels: {first_labels[:10].tolist()} ...")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The batch order is seeded per epoch and shared, so both engines see the same
# batches in the same order; otherwise their losses could not be compared step by step.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · One step, slowly
#
# Before the loop, one step on the first batch, in both engines, with a look at each part. The
# loss is the cross entropy of the 10 scores $z$ against the true class $k$,
# $\ \ell = -\log \operatorname{softmax}(z)_k$, averaged over the batch. First torch:

# %% slideshow={"slide_type": "fragment"}
LR, MOMENTUM = 0.1, 0.9
xb, yb = next(batches(x_train, y_train, 0))

optimizer_torch = torch.optim.SGD(torch_model.parameters(), lr=LR, momentum=MOMENTUM)
optimizer_torch.zero_grad()
logits_torch = torch_model(torch.tensor(xb))
loss_torch = torch.nn.functional.cross_entropy(logits_torch, torch.tensor(yb))
loss_torch.backward()
print(f"torch: logits {tuple(logits_torch.shape)} | loss {loss_torch.item():.4f}"
      f" | grad_fn {loss_torch.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Then our engine: the same lines, with `afs` where torch was.

# %% slideshow={"slide_type": "fragment"}
optimizer_ours = afs.optim.SGD(our_model.parameters(), lr=LR, momentum=MOMENTUM)
optimizer_ours.zero_grad()
logits_ours = our_model(afs.tensor(xb))
loss_ours = afs.nn.functional.cross_entropy(logits_ours, afs.tensor(yb))
loss_ours.backward()
print(f"afs:   logits {tuple(logits_ours.shape)} | loss {loss_ours.item():.4f}"
      f" | grad_fn {loss_ours.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One step, slowly: zero_grad, forward, cross-entropy loss, backward, then a look
# before step(). Ask why zero_grad comes first (02: gradients accumulate).

# %% slideshow={"slide_type": "fragment"}
report("logits", logits_ours, logits_torch, tol=1e-12)
report("loss", loss_ours, loss_torch, tol=1e-12)
all_agree = report_grads([(f"{name}.grad", p.grad, q.grad) for (name, p), q
                          in zip(our_model.named_parameters(), torch_model.parameters())], tol=1e-12)
print(f"all {n_params} gradients agree: {all_agree}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Logits, loss and all gradients agree to 1e-12 in float64: the two engines are
# doing the same arithmetic.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The graph that `backward()` walked
#
# Framed by layer: each convolution is one `ConvolutionBackward0` node, the linear layer an
# `AddmmBackward0`, and the cross entropy is two nodes, `LogSoftmaxBackward0` then
# `NllLossBackward0`, in both engines.

# %% slideshow={"slide_type": "fragment"}
graphs = side_by_side(loss_ours, loss_torch,
                      params=(dict(our_model.named_parameters()), dict(torch_model.named_parameters())),
                      cluster_by=1)
graphs.attr(size="10,10")  # graphviz: scale down to at most 10 × 10 inches, to fit a slide
graphs

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The graph of one training step, framed by layer: each convolution is one
# ConvolutionBackward0 node, the loss at the bottom. The sub-slides show it at a readable size.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The step
#
# `step()` applies the update rule of notebook 08 to every parameter, in place and outside the
# graph. With $\eta$ = `lr` and $\mu$ = `momentum`, and a momentum buffer $b$ per parameter:
#
# $$b_t = \mu\, b_{t-1} + g_t \ \ (b_1 = g_1), \qquad \theta_t = \theta_{t-1} - \eta\, b_t .$$

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.optim.SGD._update_block))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: step() is the update of notebook 08, in place and outside the graph (no_grad).

# %% slideshow={"slide_type": "fragment"}
before = to_numpy(our_model.fc.bias).copy()
optimizer_torch.step()
optimizer_ours.step()
print("fc.bias moved by -lr * grad (first step: b = g):",
      agree(to_numpy(our_model.fc.bias) - before, -LR * to_numpy(our_model.fc.bias.grad), tol=1e-12))
print("after the step, all weights agree with torch's:",
      all(agree(p, q, tol=1e-12) for p, q in zip(our_model.parameters(), torch_model.parameters())))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: fc.bias moved by the same amount in both engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · The training loop, written once
#
# The loop repeats that step for every batch of every epoch. It takes the library as an argument,
# `torch` or `afs`: the same lines run on both engines.

# %% slideshow={"slide_type": "fragment"}
def train(lib, model, x, y, epochs, lr=LR, momentum=MOMENTUM):
    """Train `model` on images x, labels y with SGD and cross entropy; return every step's loss."""
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for epoch in range(epochs):
        for xb, yb in batches(x, y, epoch):
            xb, yb = lib.tensor(xb), lib.tensor(yb)
            optimizer.zero_grad()  # clear .grad: backward adds into it (02, 04: accumulate)
            logits = model(xb)     # forward pass: runs the layers and records the graph (02, 06)
            loss = lib.nn.functional.cross_entropy(logits, yb)  # one number to differentiate
            loss.backward()        # backward pass: the engine of 04 walks the graph, fills .grad
            optimizer.step()       # the update rule of 08, in place, under no_grad (07)
            losses.append(loss.item())
    return np.array(losses)


print("train(lib, model, x, y, epochs) defined")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The loop is the step repeated for every batch of every epoch, written once for
# both libraries. Point at the four lines inside: zero_grad, forward and loss, backward, step.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Five epochs in each engine
#
# Both models start again from `initial_state` (the step above moved them). Five epochs of 45
# batches: 225 steps each.

# %% slideshow={"slide_type": "fragment"}
EPOCHS = 5
torch_model.load_state_dict(initial_state)
start = time.perf_counter()
losses_torch = train(torch, torch_model, x_train, y_train, EPOCHS)
seconds_torch = time.perf_counter() - start
print(f"torch: {len(losses_torch)} steps | loss {losses_torch[0]:.4f} -> {losses_torch[-1]:.4f}")

# %% slideshow={"slide_type": "fragment"}
our_model.load_state_dict(initial_state)
start = time.perf_counter()
losses_ours = train(afs, our_model, x_train, y_train, EPOCHS)
seconds_ours = time.perf_counter() - start
print(f"afs:   {len(losses_ours)} steps | loss {losses_ours[0]:.4f} -> {losses_ours[-1]:.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both models restart from the same initial state; five epochs each. Ask what the
# class expects of the two loss curves (identical, in float64).

# %% slideshow={"slide_type": "fragment"}
print(f"max |loss difference| over {len(losses_ours)} steps < 1e-10: "
      f"{max_abs_diff(losses_ours, losses_torch) < 1e-10}")
print("trained weights agree (tol 1e-10):",
      all(agree(p, q, tol=1e-10) for p, q in zip(our_model.parameters(), torch_model.parameters())))

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
# Timings depend on the machine and its load: tagged nbval-ignore-output.
print(f"5 epochs, torch: {seconds_torch:.2f} s | afs: {seconds_ours:.2f} s "
      f"({seconds_ours / seconds_torch:.1f} times torch's time)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The largest loss difference over all steps is below 1e-10: the curves coincide.
# Likely question: why not exactly zero? Different summation orders in numpy and torch.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The two loss curves
#
# Each step's loss is noisy (a batch of 32 is a small sample), so we also mark the mean over each
# epoch, in its middle. torch's curve is drawn wide and light, ours thin and dashed on top of it:
# they coincide.

# %% slideshow={"slide_type": "fragment"}
steps_per_epoch = len(losses_torch) // EPOCHS
means_torch = losses_torch.reshape(EPOCHS, -1).mean(axis=1)
means_ours = losses_ours.reshape(EPOCHS, -1).mean(axis=1)
epoch_ends = np.arange(1, EPOCHS + 1) * steps_per_epoch
epoch_middles = epoch_ends - steps_per_epoch / 2

fig, ax = plt.subplots(figsize=(9, 3.6))
ax.plot(losses_torch, color="tab:orange", lw=4, alpha=0.5, label="torch, per step")
ax.plot(losses_ours, color="tab:blue", lw=1, ls="--", label="afs, per step")
ax.plot(epoch_middles, means_torch, "o", color="tab:orange", ms=10, alpha=0.5, label="torch, epoch mean")
ax.plot(epoch_middles, means_ours, "x", color="tab:blue", ms=8, label="afs, epoch mean")
for end in epoch_ends[:-1]:
    ax.axvline(end, color="gray", lw=0.5)
ax.set(xlabel="step", ylabel="cross-entropy loss", title="training loss, both engines")
ax.legend()
plt.show()
print("mean loss per epoch, torch:", np.round(means_torch, 4).tolist())
print("mean loss per epoch, afs:  ", np.round(means_ours, 4).tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: If a student asks why the curves coincide rather than merely look alike: same initial weights,
# same batches in the same order, the same update rule, float64. The only differences are the
# rounding errors of two implementations (e.g. a different summation order inside a matrix
# product), around $10^{-16}$ per operation; section 7 shows how they grow, and why float64.

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "slide"}
# ## 6 · Test accuracy, in `no_grad` mode
#
# To evaluate, we only need the forward pass: no graph, no gradients. As in notebook 07, `no_grad()`
# tells the engine not to record anything, in both libraries. The prediction is the class with
# the highest score.

# %% slideshow={"slide_type": "fragment"}
def predict(lib, model, x):
    """The predicted class of every image in x, computed without recording a graph."""
    with lib.no_grad():  # 07: nothing is recorded, no memory is kept for backward
        logits = model(lib.tensor(x))
    return logits.argmax(dim=1).numpy(), logits


pred_torch, logits_torch = predict(torch, torch_model, x_test)
pred_ours, logits_ours = predict(afs, our_model, x_test)
print(f"graph recorded: torch {logits_torch.grad_fn is not None}, afs {logits_ours.grad_fn is not None}"
      f" | requires_grad: torch {logits_torch.requires_grad}, afs {logits_ours.requires_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Part 2: recap that the two trained models coincide, then evaluate: no graph, no
# gradients, so no_grad (the model has no batch norm or dropout, so eval() changes nothing here).

# %% slideshow={"slide_type": "fragment"}
accuracy_torch = (pred_torch == y_test).mean()
accuracy_ours = (pred_ours == y_test).mean()
print(f"test accuracy, torch: {accuracy_torch:.4f} ({(pred_torch == y_test).sum()} of {len(y_test)})")
print(f"test accuracy, afs:   {accuracy_ours:.4f} ({(pred_ours == y_test).sum()} of {len(y_test)})")
print(f"equal: {accuracy_torch == accuracy_ours} | the same prediction for every test image: "
      f"{bool(np.all(pred_ours == pred_torch))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Test accuracy is the same in both engines, and the same images are misclassified.
# Ask which digits get confused (the plot on the next slides).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A look at the predictions
#
# Top row: the first eight test images. Bottom row: the test images the model got wrong. Each is
# titled with our engine's prediction and the true label (green when right, red when wrong).

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
            ax.set_title(f"pred {pred_ours[i]} (true {y_test[i]})", fontsize=9,
                         color="tab:green" if right else "tab:red")
    ax_row[0].text(-0.4, 0.5, row_name, transform=ax_row[0].transAxes, ha="right", va="center")
plt.show()
for row_name, idx in rows.items():
    print(f"{row_name:<19}: predicted {pred_ours[idx].tolist()}, true {y_test[idx].tolist()}")
print(f"{len(wrong)} mistakes in {len(y_test)} test images")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The mistakes are worth showing to a class: at 8 × 8 pixels, several are hard for people too.
# A useful question: the model's scores are `logits_ours[i]`; how confident was it on a mistake?
# (`afs.nn.functional.log_softmax(logits, 1).exp()` gives the probabilities.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Why float64: how rounding differences grow
#
# Both engines compute the same formulas, but not in the same order (a sum of 72 products inside a
# convolution, for instance), so they round differently: by about $10^{-7}$ (relative) in float32,
# $10^{-16}$ in float64. Training feeds each step's result into the next, so the differences are
# carried along, and can grow. The same five epochs again, in float32, the default of both
# libraries:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why float64 in this notebook: in float32 the engines start a rounding error apart
# and training amplifies it. This is not a bug in either engine.

# %% slideshow={"slide_type": "fragment"}
torch_model32 = make_cnn(torch.nn)
our_model32 = make_cnn(afs.nn)
torch_model32.load_state_dict(initial_state)  # the same weights, rounded to float32
our_model32.load_state_dict(initial_state)
x_train32, x_test32 = x_train.astype(np.float32), x_test.astype(np.float32)
losses_torch32 = train(torch, torch_model32, x_train32, y_train, EPOCHS)
losses_ours32 = train(afs, our_model32, x_train32, y_train, EPOCHS)

gap32 = np.abs(losses_ours32 - losses_torch32).reshape(EPOCHS, -1)  # one row per epoch
gap64 = np.abs(losses_ours - losses_torch).reshape(EPOCHS, -1)
print(f"float32, epoch 1: max |loss difference| < 1e-4: {gap32[0].max() < 1e-4}")
print(f"float32, epoch {EPOCHS}: over 10 times larger than in epoch 1: {gap32[-1].max() > 10 * gap32[0].max()}")
print(f"float64, all {EPOCHS} epochs: max |loss difference| < 1e-10: {gap64.max() < 1e-10}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same training in float32 in both engines, from the same start.

# %% slideshow={"slide_type": "subslide"}
fig, (ax_loss, ax_gap) = plt.subplots(1, 2, figsize=(12, 3.6))
last_epoch = np.arange(len(losses_ours32) - steps_per_epoch, len(losses_ours32))
ax_loss.plot(last_epoch, losses_torch32[last_epoch], "o-", color="tab:orange", lw=3, alpha=0.5,
             label="torch, float32")
ax_loss.plot(last_epoch, losses_ours32[last_epoch], "x--", color="tab:blue", lw=1,
             label="afs, float32")
ax_loss.set(xlabel="step", ylabel="cross-entropy loss", title="float32: the last epoch's losses")
ax_loss.legend()
floor = 1e-17  # where an exact 0 is drawn: the two losses were equal to the last bit
ax_gap.semilogy(np.maximum(gap32.ravel(), floor), ".", ms=4, color="tab:red", label="float32")
ax_gap.semilogy(np.maximum(gap64.ravel(), floor), ".", ms=4, color="tab:green", label="float64")
for end in epoch_ends[:-1]:
    ax_gap.axvline(end, color="gray", lw=0.5)
ax_gap.set(xlabel="step", ylabel="|loss afs − loss torch|", ylim=(floor / 2, 1),
           title="the gap between the engines (0 drawn at 1e-17)")
ax_gap.legend()
plt.show()
for lib, model in ((torch, torch_model32), (afs, our_model32)):
    correct = (predict(lib, model, x_test32)[0] == y_test).mean()
    print(f"{lib.__name__:<22} float32 model, test accuracy above 90%: {correct > 0.9}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Left, the loss curves still overlap by eye; right, their gap on a log scale grows
# from float32 rounding (1e-7) by several orders of magnitude. Read only the trend: the exact
# numbers depend on the machine.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the plots say
#
# - **float32**: the gap starts at the size of float32's rounding, around $10^{-7}$, and grows as
#   the steps go on: each step starts from weights that differ a little more. By the last epoch it
#   is a hundred times larger (right). At the scale of the loss itself the two float32 curves still
#   look the same (left), but they are no longer the same computation: in a longer run the gap can keep
#   growing, and once two values are within rounding of each other a max pooling or ReLU decision
#   can flip and send the gradient another way. Both models still learn; they just learn
#   *differently*. (Your machine may round differently: the details of the plots can change, the
#   growth will not.)
# - **float64**: the gap stays near $10^{-15}$ for all 225 steps, and the curves of section 5
#   coincide. A difference above $10^{-10}$ there would mean a bug, not rounding.
#
# That is why the comparisons of this series, and the training run above, are in float64.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The summary of the plots: float32 differences grow, float64 ones stay at rounding
# level. The models still learn equally well.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("training_loop", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/10_training_loop.py`).
#
# 1. **The step by hand.** Replace `optimizer.step()` by your own update, plain gradient descent
#    $\theta \leftarrow \theta - \eta\, g$, written once for both libraries.
# 2. **A learning-rate schedule.** Halve the learning rate at the start of every epoch, through the
#    optimizer's `param_groups`.
# 3. **Gradient clipping.** Rescale all gradients together so that their joint norm is at most
#    `max_norm`, between `backward()` and `step()`, and match `torch.nn.utils.clip_grad_norm_`.
#
# Each check trains for a few steps in both engines from `initial_state` and says whether your
# code is right.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Three exercises; give six minutes each, or assign two for home.

# %% slideshow={"slide_type": "skip"}
def fresh_model(lib):
    """A new CNN of either library, with the initial weights of section 2."""
    model = make_cnn(lib.nn).double()
    model.load_state_dict(initial_state)
    return model


def few_steps(lib, model, step_fn, epochs=1, steps=8, at_epoch_start=None):
    """A short training run where `step_fn(lib, model, loss)` does backward-and-update."""
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


print("helpers for the checks: fresh_model, few_steps")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1 · The step by hand
#
# Fill in `manual_step(lib, model, lr)`: for every parameter `p`, $p \leftarrow p - \eta\,$`p.grad`,
# in place and outside the graph (what does notebook 07 say to use?). The check trains 8 steps
# with it, in both engines, and compares with `torch.optim.SGD(lr=0.1)` without momentum.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Plain gradient descent in place, under no_grad, for either engine. The common
# slip: p = p - lr * p.grad makes a new tensor instead of updating the parameter.

# %% slideshow={"slide_type": "fragment"}
def manual_step(lib, model, lr):
    pass  # TODO: update every parameter of model in place: p <- p - lr * p.grad


print("manual_step defined")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_1():
    def torch_sgd(lib, model, loss):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # no momentum: no state to keep
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def by_hand(lib, model, loss):
        model.zero_grad()
        loss.backward()
        manual_step(lib, model, 0.1)

    with _course.exercise(1) as check:
        expected = few_steps(torch, fresh_model(torch), torch_sgd)
        for lib in (afs, torch):  # the same code on both libraries
            check.same(few_steps(lib, fresh_model(lib), by_hand), expected,
                       f"the losses of 8 steps with manual_step ({_course.engine_name(lib)}), against torch.optim.SGD's",
                       rtol=1e-10)


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 · A learning-rate schedule
#
# An optimizer reads its learning rate from `optimizer.param_groups[0]["lr"]` at every step.
# Fill in `set_learning_rate(optimizer, epoch)` so that epoch 0 uses 0.1, epoch 1 uses 0.05,
# epoch 2 uses 0.025, ... The check trains 3 epochs of 8 steps with momentum in both engines.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The learning rate lives in optimizer.param_groups[0]['lr']; a schedule just
# writes it before each step. The check reads the rate of each epoch (0.1 halved every epoch) and
# compares the losses of both engines.

# %% slideshow={"slide_type": "fragment"}
def set_learning_rate(optimizer, epoch):
    pass  # TODO: set the learning rate of every param group to 0.1 * 0.5 ** epoch


print("set_learning_rate defined")

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
                check.same(lr, 0.1 * 0.5 ** epoch, f"the learning rate of epoch {epoch} ({_course.engine_name(lib)})")
        check.same(losses[afs], losses[torch], "the losses of 3 epochs, ours against torch's", rtol=1e-10)


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 · Gradient clipping
#
# Treat all gradients as one long vector $g$; if its norm $\lVert g \rVert$ is above `max_norm`,
# scale every gradient by `max_norm` $/ \lVert g \rVert$. Fill in `clip_gradients(lib, model,
# max_norm)` (in place, under `no_grad`; `(p.grad ** 2).sum()`, `.item()` and `p.grad.mul_(c)`
# exist in both libraries). The check uses `max_norm=0.25` (the first gradients have norms
# between 0.2 and 0.35) and compares with torch's `clip_grad_norm_` (which divides by
# $\lVert g \rVert + 10^{-6}$: the check's tolerance accepts either).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Clip by the global norm of all gradients at once, not per tensor. The check
# compares with torch.nn.utils.clip_grad_norm_.

# %% slideshow={"slide_type": "fragment"}
def clip_gradients(lib, model, max_norm):
    pass  # TODO: scale all gradients by min(1, max_norm / total norm)


print("clip_gradients defined")

# %% slideshow={"slide_type": "fragment"}
# torch's clip_grad_norm_ divides by the norm + 1e-6; the exercise's formula, without it, moves the 8
# losses by less than CLIP_RTOL, and a wrong clip (per parameter, or none) by far more.
CLIP_RTOL = 1e-6


def check_exercise_3():
    def run_with(lib, clip):
        """8 steps of SGD with momentum, with clip(lib, model) between backward and step."""
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
                       f"the losses of 8 clipped steps ({_course.engine_name(lib)}), against torch's clip_grad_norm_",
                       rtol=CLIP_RTOL)


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - A **training loop** is the step of notebook 08 in a loop: `zero_grad`, forward, loss,
#   `backward`, `step`, for every batch of every epoch. Written against the shared API, the same
#   function trains a torch model and one of our engine.
# - With the **same initial weights** (`load_state_dict`), the **same batches** (a seeded
#   permutation) and **float64**, the two engines produce the same loss at every one of 225 steps
#   (to $10^{-10}$), the same trained weights and the same test predictions.
# - In **float32** the engines round differently and the difference grows step after step (a
#   hundredfold in five epochs here): exact agreement over a whole run is a float64 property, and a
#   strict test of an engine.
# - **Evaluation** needs only the forward pass: under `no_grad()` nothing is recorded.
# - A CNN of 1,898 parameters, trained for five epochs, gets about 97% of unseen digits right, in
#   an engine of numpy code you have read.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: a training loop is the step of 08 in a loop, and the two engines coincide
# on real data. Then the whole series in one page.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The series in one page
#
# | | notebook | what it built |
# |---|---|---|
# | 00 | [The training step](00_the_training_step.ipynb) | the tutorial's step, in torch and in `afs` |
# | 01 | [First gradients](01_first_gradients.ipynb) | $Q = 3a^3 - b^2$: `backward`, `.grad`, `gradient=` |
# | 02 | [The computational graph](02_computational_graph.ipynb) | `grad_fn`, `next_functions`, leaves, accumulation |
# | 03 | [Build it yourself](03_build_it_yourself.ipynb) | your own tensor autograd, 100 lines, trains an MLP |
# | 04 | [Inside the engine](04_inside_the_engine.ipynb) | `Function`, topological order, the chain rule |
# | 05 | [Vector calculus](05_vector_calculus.ipynb) | Jacobians, $J^T v$, broadcasting, reverse mode |
# | 06 | [Layers](06_layers.ipynb) | Linear, Conv2d (im2col), BatchNorm2d, ReLU, pooling |
# | 07 | [Exclusion from the DAG](07_exclusion_from_the_dag.ipynb) | `no_grad`, `detach`, frozen parameters |
# | 08 | [One SGD step of a ResNet18](08_resnet18_sgd_step.ipynb) | the update rule, 62 gradients checked |
# | 09 | [Beyond the basics](09_beyond_the_basics.ipynb) | hooks, higher order, in place, `gradcheck` |
# | 10 | The training loop (this one) | a CNN trained in both engines, step for step |

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The series in one table: each notebook's row names what it built. A good moment
# to ask which notebook the class found hardest.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where to go next
#
# - **[micrograd](https://github.com/karpathy/micrograd)** (Andrej Karpathy): a scalar autograd
#   engine in about 100 lines, with a video lecture that builds it live. The shortest path to
#   re-deriving notebook 04 on your own.
# - **[MiniTorch](https://minitorch.github.io/)** (Sasha Rush): a course that has you build a
#   tensor library with autodiff, broadcasting, fast operators and convolutions, module by module,
#   with tests.
# - **[Dive into Deep Learning](https://d2l.ai)**: the models after this one (deeper CNNs,
#   recurrent networks, attention), each chapter runnable in PyTorch.
# - **[PyTorch: Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html)**: the
#   official notes on what this series rebuilt: saved tensors, in-place checks, grad modes,
#   multithreading, complex gradients.
# - **[tinygrad](https://github.com/tinygrad/tinygrad)**: started as a teaching-size autograd and
#   grew into a real framework with lazy evaluation and its own GPU code generation; read its
#   early history for how a small engine grows.
# - **[Autodidax: JAX core from scratch](https://docs.jax.dev/en/latest/autodidax.html)**: the same
#   idea from the functional side: tracing, `jvp` (forward mode), `vjp` by transposition, `jit`.
#
# And the text this series started from: [A Gentle Introduction to
# `torch.autograd`](https://pytorch.org/tutorials/beginner/blitz/autograd_tutorial.html).
#
# **Back to the start:** [00 · The training step](00_the_training_step.ipynb).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Where to go next: micrograd for the smallest engine, minitorch to build one with
# tensors, then torch's own autograd source. Back to notebook 00: every line is now explained.
