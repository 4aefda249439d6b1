# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · One SGD step of a ResNet18, every line understood
#
# **You will learn**
# - to run the tutorial's training step (forward, loss, backward, SGD with momentum) in both engines and read
#   every part of it: the model's code, its graph module by module, the gradients, the update rule;
# - how closely two independent engines agree on 62 gradients (float32 and float64), and what the update
#   rule $b_t = \mu b_{t-1} + g_t$, $\theta_t = \theta_{t-1} - \eta b_t$ does, checked by hand.
#
# **Builds on:** [07 · Exclusion from the DAG](07_exclusion_from_the_dag.ipynb) and everything before it. This is
# the step of [00 · The training step](00_the_training_step.ipynb) again, now that we know what each line does.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The payoff notebook. Nothing new in the engine: every piece (graph, engine, Jacobian products, layers,
# frozen parameters) was built in 01–07. New here are only the optimizer's update rule (section 6) and the
# look at numerical agreement (section 7). Execution takes about half a minute: a ResNet18 runs forward and
# backward a few times in both engines.

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
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("torch", torch.__version__.split("+")[0], "| torchvision", torchvision.__version__.split("+")[0])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The step, and where each line was explained
#
# ```python
# model = torchvision.models.resnet18(weights=None)      # 06 · the layers it is made of
# prediction = model(data)                               # 02 · the forward pass records a graph
# loss = (prediction - labels).sum()                     # 01 · a scalar to differentiate
# loss.backward()                                        # 04, 05 · the engine walks the graph: J^T v at every node
# optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
# optim.step()                                           # 08 · this notebook: the update rule
# ```
#
# The optimizer changes the parameters in place, outside the graph: the `no_grad` of notebook 07.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The five lines of notebook 00 again, each now annotated with the notebook that
# explained it. Ask the class to name, line by line, what happens inside before showing the next
# slide.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The model
#
# A ResNet18 is a **stem** (7×7 convolution, batch norm, ReLU, max pooling), four **stages** `layer1` … `layer4`
# of two residual blocks each (64, 128, 256, 512 channels), and a **head** (global average pooling and one
# linear layer). A `BasicBlock` learns a correction $F(x)$ to its input:
#
# $$\text{out} = \operatorname{relu}\big(F(x) + \text{shortcut}(x)\big), \qquad
# F(x) = \operatorname{bn}_2(\operatorname{conv}_2(\operatorname{relu}(\operatorname{bn}_1(\operatorname{conv}_1 x)))).$$
#
# Our package's block, as written in `autograd_from_scratch/models/resnet.py`:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.models.BasicBlock.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Draw the block on the board: two 3x3 convolutions with batch norm, a ReLU
# between, the shortcut added before the last ReLU. Everything else in the ResNet is this block
# repeated.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The shortcut is the identity, except in the first block of `layer2`–`layer4`, which halves the resolution and
# doubles the channels: there `downsample` is a strided 1×1 convolution with batch norm. The whole network:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.models.ResNet.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The shortcut is the identity except where the resolution halves (first block of
# layer2 to layer4): then a 1x1 convolution with stride 2 matches the shapes.

# %% [markdown] slideshow={"slide_type": "subslide"}
# torchvision's model, seeded (random weights: nothing downloads here, see notebook 00), and ours. The
# attribute names are torchvision's, so `load_state_dict` copies every weight and batch-norm statistic by name:

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)
start = {name: value.clone() for name, value in model.state_dict().items()}  # the weights before any step
print("torch:", type(model).__name__, "with", len(start), "state_dict entries")

# %% slideshow={"slide_type": "fragment"}
ours = afs.models.resnet18()
ours.load_state_dict(model.state_dict())
print("afs:  ", type(ours).__name__, "with", len(ours.state_dict()), "state_dict entries")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: No download: seeded random weights in torchvision's model, then load_state_dict
# into ours. The same attribute names on both sides make it one line.

# %% slideshow={"slide_type": "fragment"}
params_t, params = dict(model.named_parameters()), dict(ours.named_parameters())
print("same keys, in the same order:", list(ours.state_dict()) == list(model.state_dict()))
print("same children:", [(n, type(m).__name__) for n, m in ours.named_children()]
      == [(n, type(m).__name__) for n, m in model.named_children()])
print(f"parameters: {len(params)} tensors, {sum(p.numel() for p in params.values()):,} values (ours) |",
      f"{len(params_t)} tensors, {sum(p.numel() for p in params_t.values()):,} values (torch)")
print("every value copied exactly:", all(np.array_equal(to_numpy(v), to_numpy(start[k]))
                                         for k, v in ours.state_dict().items()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Same 62 parameter names in the same order, same shapes. Ask why the order matters
# (the optimizer walks them in order; comparing lists relies on it).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Forward and loss
#
# One random 64×64 image and a random label vector, the tutorial's data. Both models are in training mode, so
# batch norm normalises with the statistics of this batch and updates its running statistics (notebook 06).

# %% slideshow={"slide_type": "fragment"}
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)
prediction_t = model(data)
loss_t = (prediction_t - labels).sum()
print("torch: prediction", tuple(prediction_t.shape), "made by", prediction_t.grad_fn.name(),
      "| loss made by", loss_t.grad_fn.name())

# %% slideshow={"slide_type": "fragment"}
x, y = afs.tensor(data), afs.tensor(labels)
prediction = ours(x)
loss = (prediction - y).sum()
print("afs:   prediction", tuple(prediction.shape), "made by", prediction.grad_fn.name(),
      "| loss made by", loss.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Forward and loss in both engines from the same weights and data; the printed
# agreement is the float32 kind (relative, about 1e-6).

# %% slideshow={"slide_type": "fragment"}
report("prediction", prediction, prediction_t, tol=1e-3)
report("loss", loss, loss_t, tol=1e-3)
buffers_t = dict(model.named_buffers())
print(f"{len(buffers_t)} batch-norm buffers (running mean, var, count) updated alike:",
      all(agree(b, buffers_t[k], 1e-3) for k, b in ours.named_buffers()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The float32 tolerance is 1e-3 relative, as in notebook 00: the engines sum in different orders, and the
# last stage's batch norms normalise over only 2×2 = 4 values per channel. Section 7 shows that in float64 the
# differences drop to about 1e-13: rounding, not a different formula.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The graph that backward will walk
#
# Every operation of the forward pass is a node; every parameter is reached through its `AccumulateGrad`.
# Both engines recorded the same graph, node for node (`graph_edges` lists the names and the wiring):

# %% slideshow={"slide_type": "fragment"}
edges, edges_t = afs.viz.graph_edges(loss), afs.viz.graph_edges(loss_t)
n_leaves = sum(e.name == "AccumulateGrad" for e in edges)
print(f"nodes: {len(edges)} (ours), {len(edges_t)} (torch); same names and wiring: {edges == edges_t}")
print(f"  = {len(edges) - n_leaves} operations + {n_leaves} AccumulateGrad,",
      f"one per parameter: {n_leaves == len(params)}")
kinds = sorted({e.name for e in edges} - {"AccumulateGrad"})
print(textwrap.fill("kinds of operation: " + ", ".join(kinds), width=100, subsequent_indent="  "))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 134 nodes for one ResNet18 step. Ask: how many AccumulateGrad nodes? (62, one per
# parameter.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 134 boxes are too many to read, so we draw one box per part of the network: the stem, the four stages and the
# head. `cluster_by` maps each parameter's name to its part, and an operation without parameters (a ReLU, the
# residual addition) joins the nearest part on its input side. So the global average pooling and the flatten
# land in `layer4` (18 operations, where `layer2` and `layer3` have 16), and the head's 4 are the linear layer's
# transpose and `addmm` and the loss's subtraction and sum. Ours on the left, torch's on the right:

# %% slideshow={"slide_type": "fragment"}
STEM_AND_HEAD = {"conv1": "stem", "bn1": "stem", "fc": "head"}


def part(name):
    """'conv1.weight' -> 'stem', 'layer2.0.bn1.bias' -> 'layer2', 'fc.bias' -> 'head'."""
    top = name.split(".")[0]
    return STEM_AND_HEAD.get(top, top)


named = ({**params, "loss": loss}, {**params_t, "loss": loss_t})
afs.viz.side_by_side(loss, loss_t, params=named, cluster_by=part, collapse=True)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One box per module: the graph reads top to bottom from the input to the loss. The
# two sub-slides show it large enough to read; walk from stem to head.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Opening one block
#
# The same network with one block opened into its modules. The shortcut is visible as the arrow that skips
# from the previous part to the block's last batch norm, the box that also holds the addition and the last
# ReLU. In `layer2.0` the shortcut goes through `downsample`:


# %% slideshow={"slide_type": "fragment"}
def opened(block):
    """Group by part, except the parameters of `block` (e.g. 'layer2.0'), grouped by their own module."""
    def group(name):
        return ".".join(name.split(".")[:3]) if name.startswith(block + ".") else part(name)

    return group


opened_view = afs.viz.side_by_side(loss, loss_t, params=named, cluster_by=opened("layer2.0"), collapse=True)
opened_view.attr(size="11,11")  # graphviz scales a larger drawing down to 11 x 11 inches: fits the page
opened_view

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One block opened: the shortcut is the edge that skips the two convolutions. Point
# at the AddBackward0 where the two paths meet: its gradient goes to both.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One block, every operation
#
# And one `BasicBlock` on its own, every node drawn: a fresh block of each engine with `layer1.0`'s weights,
# applied to an input `x` of `layer1`'s shape. Its 14 nodes are the block's 7 operations, its 6 parameters and
# the input (the collapsed drawing counted 14 operations and 12 parameters for the two blocks of `layer1`).

# %% slideshow={"slide_type": "fragment"}
block_t = torchvision.models.resnet.BasicBlock(64, 64)
block_t.load_state_dict(model.layer1[0].state_dict())
block = afs.models.BasicBlock(64, 64)
block.load_state_dict(model.layer1[0].state_dict())
x_block_t = torch.rand(1, 64, 16, 16, requires_grad=True)
x_block = afs.tensor(x_block_t.detach(), requires_grad=True)
out_block_t, out_block = block_t(x_block_t), block(x_block)
block_names = [("x", x_block), ("x", x_block_t)] + [(n, p) for m in (block, block_t) for n, p in m.named_parameters()]
print("block output", tuple(out_block.shape), "| same graph:",
      afs.viz.graph_edges(out_block) == afs.viz.graph_edges(out_block_t),
      "|", len(afs.viz.graph_edges(out_block)), "nodes")
block_view = afs.viz.side_by_side(out_block, out_block_t, params=block_names, title="the block layer1.0")
block_view.attr(size="11,11")
block_view

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Every operation of one BasicBlock: this is what backward walks 8 times over in
# the full network. Same nodes in both engines.

# %% [markdown] slideshow={"slide_type": "skip"}
# With a running kernel, choose the block to open (the static drawings above show `layer2.0` and `layer1.0`):

# %% slideshow={"slide_type": "skip"}
import ipywidgets as widgets

BLOCKS = [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
chooser = widgets.Dropdown(options=["none"] + BLOCKS, value="layer1.0", description="open block")
graph_view = widgets.HTML()


def block_drawing(block):
    """Both graphs with `block` opened into its modules ("none": every block collapsed)."""
    grouping = part if block == "none" else opened(block)
    drawing = afs.viz.side_by_side(loss, loss_t, params=named, cluster_by=grouping, collapse=True)
    drawing.attr(size="11,11")
    return drawing


def show_block(change=None):
    """Redraw both graphs for the block the dropdown chose."""
    graph_view.value = block_drawing(chooser.value).pipe(format="svg", encoding="utf-8")


chooser.observe(show_block, names="value")
show_block()
_course.interactive(widgets.VBox([chooser, graph_view]), first_state=block_drawing(chooser.value))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Backward
#
# One call in each engine fills the `.grad` of all 62 parameters.

# %% slideshow={"slide_type": "fragment"}
loss_t.backward()
print("torch: every parameter has a .grad:", all(p.grad is not None for p in params_t.values()))

# %% slideshow={"slide_type": "fragment"}
loss.backward()
print("afs:   every parameter has a .grad:", all(p.grad is not None for p in params.values()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One backward call fills all 62 .grad tensors in each engine.

# %% slideshow={"slide_type": "fragment"}
all_agree = report_grads([(k, params[k].grad, params_t[k].grad) for k in params], tol=1e-3, show=4)
grads32 = {k: (to_numpy(params[k].grad), to_numpy(params_t[k].grad)) for k in params}  # kept for section 7
print("all 62 gradients agree:", all_agree)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: All 62 gradients agree to float32 precision; the four shown are from different
# depths. Section 7 looks at the errors in detail.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. SGD with momentum
#
# With learning rate $\eta$ and momentum $\mu$, SGD keeps a **momentum buffer** $b$ per parameter, a running
# sum of past gradients that decays by $\mu$ each step, and moves the parameter along it:
#
# $$b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t, \qquad\text{with } b_1 = g_1 .$$
#
# torch's convention for the first step: the buffer starts as the gradient itself. So step 1 is plain gradient
# descent, $\theta_1 = \theta_0 - \eta g_1$, and step 2 is $\theta_2 = \theta_1 - \eta(\mu g_1 + g_2)$. Here
# $\eta = 0.01$ and $\mu = 0.9$: a gradient keeps acting, with weights $1, 0.9, 0.81, \dots$, for about
# $1/(1-\mu) = 10$ steps.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Momentum as the class should remember it: b = mu b + g, theta = theta - eta b.
# Ask what the buffer is at the first step (g itself).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The full rule** (`torch.optim.SGD`'s documentation), with weight decay $\lambda$, dampening $\tau$, and
# the `nesterov` and `maximize` switches:
#
# $$g_t \leftarrow -g_t \ \ (\text{maximize}), \qquad g_t \leftarrow g_t + \lambda\, \theta_{t-1}, \qquad
# b_t = \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases}$$
#
# $$\theta_t = \theta_{t-1} - \eta \cdot \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise.} \end{cases}$$
#
# Note that the first buffer is **not** dampened: with $\tau \ne 0$, torch's $b_1 = g_1$ differs from the
# textbook's $b_0 = 0$. Other texts put $\eta$ inside the buffer ($v_t = \mu v_{t-1} + \eta g_t$): the same
# steps for a constant $\eta$, different ones when $\eta$ changes (exercise 1 tries the options).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The full rule with weight decay, dampening and Nesterov: torch's documented
# algorithm, which ours follows line by line. Spend one minute: the exercises use it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our optimizer's update, that rule line by line (in place, on the numpy arrays, under `no_grad`). `step()`
# applies it to each parameter in blocks of 65,536 numbers, so that a block stays in the CPU's cache
# through the rule's few passes:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.optim.SGD._update_block))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Our update, in place on numpy arrays under no_grad, in cache-sized blocks. Ask
# why under no_grad (the update must not be recorded in any graph).

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "subslide"}
# ### Step 1
# We watch four parameters from different depths and keep their values and gradients, in float64 numpy
# arrays, to redo the update by hand.

# %% slideshow={"slide_type": "fragment"}
WATCHED = ["conv1.weight", "layer1.0.bn1.bias", "layer3.1.conv2.weight", "fc.bias"]
ETA, MU = 1e-2, 0.9


def snapshot(named_params):
    """(value, gradient) of each watched parameter, as float64 numpy arrays."""
    return {k: (to_numpy(named_params[k]), to_numpy(named_params[k].grad)) for k in WATCHED}


before = {"torch": snapshot(params_t), "afs": snapshot(params)}
optim_t = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim_t.step()
print("torch: stepped;", len(optim_t.state), "momentum buffers")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Part 2: recap where we are (gradients agree, the rule is known), then watch four
# parameters through two steps.

# %% slideshow={"slide_type": "fragment"}
optim = afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)
optim.step()
print("afs:   stepped;", len(optim.state), "momentum buffers")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both optimizers step; each keeps one momentum buffer per parameter.

# %% [markdown] slideshow={"slide_type": "subslide"}
# By hand, with each engine's own $\theta_0$ and $g_1$: $b_1 = g_1$, $\theta_1 = \theta_0 - \eta b_1$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: By hand: b1 = g1, theta1 = theta0 - eta b1. The hand values and each optimizer's
# agree.

# %% slideshow={"slide_type": "fragment"}
engines = {"torch": (params_t, optim_t), "afs": (params, optim)}
buffers = {}  # engine -> {name: b}, our hand-computed momentum buffers
print(f"{'parameter':<24}{'engine':<7}θ₁ by hand == optimizer   b₁ == its momentum_buffer")
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
print("all 62 updated parameters agree between the engines:", updated_agree)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: All 62 updated parameters agree between engines after one step.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Step 2
# A second forward and backward from $\theta_1$ (after `zero_grad`, notebook 02: gradients accumulate), then
# the second step, where the momentum buffer comes into play.

# %% slideshow={"slide_type": "fragment"}
optim_t.zero_grad()
loss2_t = (model(data) - labels).sum()
loss2_t.backward()
before_t = snapshot(params_t)
grads2_t = {k: to_numpy(p.grad) for k, p in params_t.items()}  # kept for section 7
optim_t.step()
print("torch: loss went down:", loss2_t.item() < loss_t.item())

# %% slideshow={"slide_type": "fragment"}
optim.zero_grad()
loss2 = (ours(x) - y).sum()
loss2.backward()
before_afs = snapshot(params)
grads2 = {k: to_numpy(p.grad) for k, p in params.items()}
optim.step()
print("afs:   loss went down:", loss2.item() < loss.item())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Step 2: zero_grad first (gradients accumulate, 02 and 03), then a second forward
# and backward from theta1. Now b2 = mu b1 + g2.

# %% [markdown] slideshow={"slide_type": "subslide"}
# By hand: $b_2 = \mu b_1 + g_2$, $\theta_2 = \theta_1 - \eta b_2$.

# %% slideshow={"slide_type": "fragment"}
before = {"torch": before_t, "afs": before_afs}
print(f"{'parameter':<24}{'engine':<7}θ₂ by hand == optimizer   b₂ == its momentum_buffer")
for engine, (named_params, optimizer) in engines.items():
    for k in WATCHED:
        theta1, g2 = before[engine][k]
        b2 = MU * buffers[engine][k] + g2
        theta2 = theta1 - ETA * b2
        state = optimizer.state[named_params[k]]["momentum_buffer"]
        print(f"{k:<24}{engine:<7}{agree(theta2, named_params[k], 1e-6)!s:<26}{agree(b2, state, 1e-6)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: "The loss went down" is the tutorial's toy loss $\sum(\hat y - y)$, which has no minimum: SGD simply makes
# the predictions smaller. Notebook 10 uses a real loss. The hand computation runs in float64 on each
# engine's own float32 values, hence agreement to 1e-6 rather than exact equality.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each optimizer does exactly what the formula says. But do the two engines still agree with **each other**
# after the second step?

# %% slideshow={"slide_type": "fragment"}
after_step2 = all(agree(params[k], params_t[k], 1e-3) for k in params)
buffers_agree = all(agree(optim.state[params[k]]["momentum_buffer"], optim_t.state[params_t[k]]["momentum_buffer"],
                          1e-3) for k in params)
print("parameters agree to 1e-3 after step 1:", updated_agree, "| after step 2:", after_step2)
print("momentum buffers agree to 1e-3 after step 2:", buffers_agree)

# %% [markdown] slideshow={"slide_type": "fragment"}
# No: after step 2 some parameters differ by up to a few percent. Not a different formula, but float32 rounding,
# amplified. This toy loss has no minimum, so the steps are huge ($\eta \lVert g \rVert \approx 36$ on step 1), and
# at the new parameters the network is so sensitive that the step-1 differences of about $10^{-4}$ grow a hundred
# times. Section 7 shows how to tell this from a bug.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Each optimizer follows the formula exactly, yet after two steps the engines no
# longer agree to 1e-3: ask why before the next slide shows it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. How close are the 62 gradients?
#
# For every parameter, the relative error of our gradient against torch's,
# $\lVert g_{\text{ours}} - g_{\text{torch}} \rVert / \lVert g_{\text{torch}} \rVert$, at step 1 and step 2, in
# float32 (the steps above) and in float64 (a fresh pair of models from the same starting weights, cast with
# `.double()`, taking the same two steps). float64 carries 16 digits instead of 7: if the formulas are the
# same, the two engines must agree far more closely there.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Relative error per parameter, ours against torch: float32 errors are the size of
# torch's own float32 error; float64 agrees to about 1e-13.

# %% slideshow={"slide_type": "fragment"}
model64 = torchvision.models.resnet18(weights=None).double()
model64.load_state_dict(start)
ours64 = afs.models.resnet18().double()
ours64.load_state_dict(start)
pairs64 = {"torch": (model64, data.double(), labels.double(),
                     torch.optim.SGD(model64.parameters(), lr=1e-2, momentum=0.9)),
           "afs": (ours64, afs.tensor(data.double()), afs.tensor(labels.double()),
                   afs.optim.SGD(ours64.parameters(), lr=1e-2, momentum=0.9))}
grads64 = {"torch": [], "afs": []}  # per engine: the gradients of step 1 and step 2
for engine, (m, d, lab, opt) in pairs64.items():
    for step in (1, 2):
        opt.zero_grad()
        (m(d) - lab).sum().backward()
        grads64[engine].append({k: to_numpy(p.grad) for k, p in m.named_parameters()})
        opt.step()
print("float64, two steps in each engine:", ours64.conv1.weight.dtype, model64.conv1.weight.dtype)


# %% slideshow={"slide_type": "subslide"}
def rel_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


names = list(params)
errors = {  # (step, what) -> relative error per parameter, in order of depth
    (1, "float32: ours vs torch"): [rel_error(*grads32[k]) for k in names],
    (1, "float64: ours vs torch"): [rel_error(grads64["afs"][0][k], grads64["torch"][0][k]) for k in names],
    (1, "torch float32 vs torch float64"): [rel_error(grads32[k][1], grads64["torch"][0][k]) for k in names],
    (2, "float32: ours vs torch"): [rel_error(grads2[k], grads2_t[k]) for k in names],
    (2, "float64: ours vs torch"): [rel_error(grads64["afs"][1][k], grads64["torch"][1][k]) for k in names],
    (2, "torch float32 vs torch float64"): [rel_error(grads2_t[k], grads64["torch"][1][k]) for k in names],
}
errors = {key: np.array(v) for key, v in errors.items()}
FLOOR = 1e-17  # identical gradients (error 0) are drawn here: a log scale has no 0
STYLE = {"float32: ours vs torch": dict(marker="o", ms=3.5), "float64: ours vs torch": dict(marker="s", ms=3.5),
         "torch float32 vs torch float64": dict(color="0.4", ls="--", zorder=3)}

fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
starts = [i for i, k in enumerate(names) if i == 0 or part(k) != part(names[i - 1])]
middles = [(a + b - 1) / 2 for a, b in zip(starts, starts[1:] + [len(names)])]  # a label under each part
for ax, step in zip(axes, (1, 2)):
    for what, style in STYLE.items():
        ax.semilogy(np.maximum(errors[step, what], FLOOR), lw=1, label=what, **style)
    ax.set_xticks(middles, [part(names[i]) for i in starts], fontsize=8)
    for i in starts[1:]:
        ax.axvline(i - 0.5, color="0.88", lw=0.8)
    ax.set_title(f"step {step}: gradients at $\\theta_{step - 1}$")
    ax.set_xlabel("parameter, in order of depth (62 tensors)")
axes[0].set_ylabel("relative error of the gradient")
axes[0].set_ylim(FLOOR / 3, 1)
axes[0].legend(loc="center left", fontsize=8)
fig.suptitle(f"Gradient agreement per parameter (identical gradients drawn at {FLOOR:.0e})", fontsize=10)
fig.tight_layout()
plt.show()
for step in (1, 2):
    e32, e64 = errors[step, "float32: ours vs torch"], errors[step, "float64: ours vs torch"]
    print(f"step {step}:  float32: all < 1e-3: {bool(e32.max() < 1e-3)!s:<6} |",
          f" float64: all < 1e-10: {bool(e64.max() < 1e-10)}")
print("step 2:  torch's own float32 vs float64, worst > 1e-3:",
      bool(errors[2, "torch float32 vs torch float64"].max() > 1e-3))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read the plot left to right, input to output: no parameter stands out. The dashed
# line is float32's rounding level.

# %% [markdown] slideshow={"slide_type": "fragment"}
# - **Step 1.** In float32 the engines differ by about $10^{-4}$, as much as torch's float32 differs from its
#   own float64 (grey): the rounding of float32 itself. In float64 they agree to about $10^{-13}$, a few hundred
#   units of float64's last digit after some 70 operations. Near the output fewer operations separate a
#   gradient from the loss and the errors drop; `fc.bias`'s gradient (all ones) is identical.
# - **Step 2.** In float32 the differences have grown to percents, and torch's own float32 is off its float64 by
#   up to a few percent too (grey): float32 cannot compute these gradients more precisely. In float64 the engines
#   still agree to about $10^{-12}$. Same formulas, different rounding: that is how to tell rounding from a bug.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A further check an instructor can show live: load torch's float32 parameters after step 1 into a fresh
# `afs.models.resnet18()` and compute its step-2 gradients. At the *same* parameters the two engines agree
# to about 1e-5 again; the percent-level gap comes entirely from the slightly different $\theta_1$ that each
# engine reached. (Perturbing torch's own $\theta_1$ by a relative 1e-7 moves its step-2 gradients by about
# 1e-5: this step is that sensitive.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. How fast?
#
# Same step, same weights, both engines taking turns (forward, backward and the optimizer step timed
# separately; median of a few rounds). The numbers come from the benchmark in `benchmarks/resnet18_step.py`
# (`make bench` runs it in full, also on a batch of eight 224×224 images, with peak memory).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Speed: the matrix products run at the same speed in both engines; the rest of our
# time is numpy's single-threaded elementwise passes and the im2col copies. Timings vary with the
# machine: read the ratios.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
# Timings depend on the machine and its load: tagged nbval-ignore-output, nbval does not compare them.
PHASES = ("forward", "backward", "step", "total")


BENCH = Path(afs.__file__).resolve().parents[1] / "benchmarks" / "resnet18_step.py"
spec = importlib.util.spec_from_file_location("resnet18_step", BENCH)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
timing = bench.time_size((1, 3, 64, 64), rounds=3, warmup=1)
print("ResNet18 step, input 1x3x64x64, float32, median of 3 rounds (benchmarks/resnet18_step.py)")
print(f"{'':<12}" + "".join(f"{p:>12}" for p in PHASES))
for name in ("torch", "ours"):
    print(f"{name:<12}" + "".join(f"{1e3 * timing[name][p]:>10.1f}ms" for p in PHASES))
print(f"{'ours/torch':<12}" + "".join(f"{timing['ours'][p] / timing['torch'][p]:>11.1f}x" for p in PHASES))
STORED = BENCH.parents[1] / "figures" / "benchmark.json"  # written by `make bench`
if STORED.exists():
    stored = json.loads(STORED.read_text())
    print(f"\nstored by `make bench` ({stored['machine']['cpu_count']} cores), total time ours/torch:",
          " | ".join(f"{'x'.join(map(str, r['shape']))}: {r['ratio']['total']:.2f}x" for r in stored["results"]))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both engines do the same arithmetic, and the biggest part of it, the matrix products of the convolutions,
# runs at the same speed in both: numpy hands them to a BLAS library, torch to its own optimised kernels. The
# difference is what lies around them. numpy computes an elementwise operation on one core where torch uses
# all of them (plainest in the optimizer step: the same few passes over 11.7 million numbers, slower than
# torch's even when done block by block in the cache); and each of our convolutions copies its input into
# im2col's columns and, in backward, adds them back with col2im (notebook 06). On the benchmark's batch of
# eight 224×224 images (the last line, from `make bench`) those copies grow with the images. Like torch, our
# `AccumulateGrad` takes over a new gradient as `.grad` instead of copying it, when nothing else holds it (a
# copy of all 11.7M gradients would cost several milliseconds a step). On a busy machine (other programs on the
# same cores) torch's worker threads wait for each other and its times can balloon: compare timings only on an
# idle machine.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("resnet18_sgd_step", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/08_resnet18_sgd_step.py`).
# ### Exercise 1 · SGD, all options, by hand
# Write `sgd_by_hand(theta0, grads, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False,
# maximize=False)` in numpy: the parameter after one step per gradient in `grads`, by the full rule of
# section 6. The check runs both optimizers on a small tensor for five settings (momentum, dampening,
# nesterov, weight decay, maximize), feeding them the same gradients.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes: all SGD options by hand. Hint: apply weight decay to the gradient
# first, then the buffer, then Nesterov if asked.

# %% slideshow={"slide_type": "fragment"}
def sgd_by_hand(theta0, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    theta = np.array(theta0, dtype=np.float64)
    ...  # your code: one update per gradient in grads
    return theta


print("sgd_by_hand defined")

# %% slideshow={"slide_type": "fragment"}
SETTINGS = [dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.5),
            dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.1, momentum=0.5, weight_decay=0.1),
            dict(lr=0.05, momentum=0.8, maximize=True)]


def run_optimizer(T, theta0, grads, settings):
    """Feed `grads` to T.optim.SGD (T: torch or afs), one step each; the final parameter as numpy."""
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
                           f"sgd_by_hand(..., {', '.join(f'{k}={v}' for k, v in settings.items())}), against "
                           f"{_course.engine_name(T)}.optim.SGD after 3 steps", rtol=1e-12)


check_sgd()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 · Finetuning: freeze the network, train a new head
# The tutorial's last step: freeze every parameter, then replace the classifier by a new `Linear(512, 10)`
# (which requires grad, like every new layer). Write `finetune(model, nn)` doing both to `model`, for either
# engine (`nn` is `torch.nn` or `afs.nn`), and return it. The check applies it to the float64 models of
# section 7, runs forward and backward, and asks which parameters got a gradient.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Freeze, replace fc, forward and backward: only fc gets gradients. The check compares which parameters
# got a .grad, and the fc gradients, in both engines.

# %% slideshow={"slide_type": "fragment"}
def finetune(model, nn):
    ...  # your code: freeze all parameters, then model.fc = a new Linear(512, 10)
    return model


print("finetune defined")


# %% slideshow={"slide_type": "fragment"}
def check_finetune():
    with _course.exercise(2) as check:
        m_t, m = finetune(model64, torch.nn), finetune(ours64, afs.nn)
        for engine, model in ((afs, m), (torch, m_t)):
            check.returned(model, f"finetune(model, {_course.engine_name(engine)}.nn)")
            trainable = [k for k, p in model.named_parameters() if p.requires_grad]
            check.equal(trainable, ["fc.weight", "fc.bias"], f"the parameters that require grad ({_course.engine_name(engine)})")
            check.equal(model.fc.out_features, 10, f"model.fc.out_features ({_course.engine_name(engine)})")
        m_t, m = m_t.double(), m.double()
        m.fc.load_state_dict(m_t.fc.state_dict())  # the same new head in both engines
        m_t.zero_grad()
        m.zero_grad()
        labels10 = torch.rand(1, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        out_t = (m_t(data.double()) - labels10).sum()
        out = (m(afs.tensor(data.double())) - afs.tensor(labels10)).sum()
        out_t.backward()
        out.backward()
        with_grad = [[k for k, p in mm.named_parameters() if p.grad is not None] for mm in (m, m_t)]
        print("parameters with a .grad (ours, torch):", with_grad)
        print("graph nodes (ours, torch):", len(afs.viz.graph_edges(out)), len(afs.viz.graph_edges(out_t)),
              "| same graph:", afs.viz.graph_edges(out) == afs.viz.graph_edges(out_t))
        check.equal(with_grad[0], ["fc.weight", "fc.bias"], "the parameters backward gave a .grad (afs)")
        check.same(m.fc.weight.grad, m_t.fc.weight.grad, "fc.weight.grad, ours against torch's", rtol=1e-10)
        check.same(m.fc.bias.grad, m_t.fc.bias.grad, "fc.bias.grad, ours against torch's", rtol=1e-10)


check_finetune()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 · What momentum costs
# Each momentum buffer has its parameter's shape and dtype. Write `momentum_bytes(optimizer)`: the bytes held
# by all the momentum buffers in `optimizer.state` (hint: `buffer.numpy().nbytes` works in both engines). The
# check asks it of both optimizers of section 6.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Each buffer has its parameter's shape and dtype: the answer is the parameters'
# bytes again (momentum doubles the optimizer's memory).

# %% slideshow={"slide_type": "fragment"}
def momentum_bytes(optimizer):
    return None  # your code


print("momentum_bytes defined")


# %% slideshow={"slide_type": "fragment"}
def check_bytes():
    with _course.exercise(3) as check:
        expected = 4 * sum(p.numel() for p in params_t.values())  # float32: 4 bytes per number
        for name, optimizer in (("our", optim), ("torch's", optim_t)):
            got = check.returned(momentum_bytes(optimizer), f"momentum_bytes({name} optimizer)")
            check.true(got != expected // 4, f"momentum_bytes({name} optimizer) is {got:,}: the number of "
                       "numbers in the buffers; each float32 number takes 4 bytes")
            check.equal(got, expected, f"momentum_bytes({name} optimizer)")


check_bytes()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
# - The tutorial's step is now code we have read: a ResNet18 of `BasicBlock`s ($\operatorname{relu}(F(x) + x)$),
#   whose forward pass records a 134-node graph, the same in both engines, node for node; drawn by module it is
#   stem → `layer1` … `layer4` → head, and any block can be opened.
# - One `backward()` fills 62 gradients. Ours agree with torch's to float32's own rounding (about $10^{-4}$)
#   in float32, and to about $10^{-13}$ in float64. After a second, huge step the float32 differences grow to
#   percents in both engines alike; float64 shows the formulas are the same.
# - SGD with momentum: $b_t = \mu b_{t-1} + g_t$ (with $b_1 = g_1$), $\theta_t = \theta_{t-1} - \eta b_t$;
#   computed by hand over two steps, it matches both optimizers. Weight decay, dampening, nesterov and maximize
#   modify $g_t$, $b_t$ and the step.
# - Speed: our numpy engine takes about twice torch's time (`make bench`): the matrix products run at the
#   same speed, the copies and single-core elementwise passes around them do not. It is the same algorithm.
#
# **Next:** [09 · Beyond the basics](09_beyond_the_basics.ipynb): hooks, higher-order gradients, in-place
# operations and `gradcheck`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: the tutorial's step is now code we have read end to end. Next lecture:
# hooks, higher-order gradients and in-place operations.
