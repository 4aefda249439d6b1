# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · Exclusion from the DAG
#
# **You will learn**
# - which tensors autograd records (an operation's result requires gradients as soon as one input
#   does), and three ways to leave the graph out: `torch.no_grad()`, `detach()`, frozen parameters;
# - how to finetune a ResNet18 by freezing everything but a new classifier, and why `model.eval()`
#   is not one of those ways.
#
# **Builds on:** [06 · Layers](06_layers.ipynb), where the ResNet's layers got their backward. Here
# we look at what autograd does *not* record, and what that buys.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: This is the section "Exclusion from the DAG" of the tutorial "A Gentle Introduction to
# torch.autograd", with two additions: `detach()`, and the frequent confusion between `model.eval()`
# and `torch.no_grad()`. Every cell runs in torch and in `autograd_from_scratch` (`afs`); a check
# cell says whether they agree. The ResNet part takes a few seconds per engine.

# %% tags=["slide-skip"] slideshow={"slide_type": "subslide"}
import inspect

import numpy as np
import torch
import torchvision
from torch import nn, optim

import autograd_from_scratch as afs
from autograd_from_scratch.compare import report, to_numpy
from autograd_from_scratch.viz import graph_edges, node_name, side_by_side
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()


def rounded(t, decimals=4):
    """A tensor of either engine as a numpy array rounded for printing (-0.0 shown as 0.0)."""
    return np.round(to_numpy(t), decimals) + 0.0


def name_of(node):
    """A node's name (torch's 'torch::autograd::AccumulateGrad' shortened), or None."""
    return None if node is None else node_name(node)


print("torch and autograd_from_scratch imported; helpers: rounded, name_of")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which tensors does autograd track?
#
# Autograd records every operation on tensors that have `requires_grad=True`. A tensor that does not
# require gradients is left out of the graph (the *DAG*, directed acyclic graph, of notebook 02). The
# rule for an operation's result is an *or*: it requires gradients if **at least one** input does.

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients? {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients? {b.requires_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The rule in one sentence: a result requires grad if at least one input does (and
# grad mode is on). Ask the class to predict for x + y and x + z before the cell runs.

# %% slideshow={"slide_type": "fragment"}
afs.manual_seed(0)
x_ours = afs.rand(5, 5)
y_ours = afs.rand(5, 5)
z_ours = afs.rand((5, 5), requires_grad=True)

a_ours = x_ours + y_ours
print(f"Does `a` require gradients? {a_ours.requires_grad}")
b_ours = x_ours + z_ours
print(f"Does `b` require gradients? {b_ours.requires_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both engines give the same flags. Point out that a plain tensor plus a tracked
# one is tracked: requires_grad spreads forward like an OR.

# %% [markdown] slideshow={"slide_type": "subslide"}
# `a` has no history at all (`grad_fn` is None: a plain tensor); `b` was made by an addition that
# autograd recorded. In `b`'s node, the edge towards `x` is `None`: no gradient will ever be sent
# there.

# %% slideshow={"slide_type": "fragment"}
for label, t in (("torch", b), ("ours", b_ours)):
    print(f"{label:>5}: a.grad_fn = {name_of((a if label == 'torch' else a_ours).grad_fn)},",
          f"b.grad_fn = {name_of(t.grad_fn)},",
          "next_functions =", [(name_of(n), i) for n, i in t.grad_fn.next_functions])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: a has no history, b has an AddBackward0 node. Likely confusion:
# requires_grad=False does not mean 'no gradient numerically zero'; it means not recorded at all.

# %% slideshow={"slide_type": "fragment"}
side_by_side(b_ours, b, params=[("z", z), ("z", z_ours), ("b", b), ("b", b_ours)])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The drawing has no box for `x`: only tensors that require gradients get an `AccumulateGrad` box.
# The values of x, y, z differ between the engines (each has its own random generator); here only
# the flags and the graph matter.

# %% [markdown] slideshow={"slide_type": "subslide"}
# In our engine the whole rule is one line of `Function.apply`, the method every operation goes
# through: a node is recorded (`ctx._record`) only if grad mode is on *and* some input requires
# gradients.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.Function.apply))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The whole rule is one line of Function.apply: record only if grad mode is on and
# some input needs a gradient. Show the line; 03's apply is the same
# line without the grad-mode condition.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `torch.no_grad()`: a block of code outside the graph
#
# *Grad mode* is the other half of that line. Inside `with torch.no_grad():`, nothing is recorded,
# not even operations on tensors that require gradients. This is what we want for **inference**:
# with no graph, no intermediate values are kept for a backward pass that will never come.

# %% slideshow={"slide_type": "fragment"}
with torch.no_grad():
    c = x + z
print("inside no_grad:", "c.requires_grad =", c.requires_grad, "| c.grad_fn =", name_of(c.grad_fn))
print("after the block, grad mode is back on:", torch.is_grad_enabled())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: no_grad is a mode, not a tensor property: everything computed inside is
# untracked. Ask where this matters most (evaluation, and the optimizer's update itself).

# %% slideshow={"slide_type": "fragment"}
with afs.no_grad():
    c_ours = x_ours + z_ours
print("inside no_grad:", "c.requires_grad =", c_ours.requires_grad, "| c.grad_fn =",
      name_of(c_ours.grad_fn))
print("after the block, grad mode is back on:", afs.is_grad_enabled())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: `afs.no_grad` is a small context manager in `autograd/grad_mode.py`: it sets a global flag on
# entry and restores the previous value on exit (also when an exception leaves the block), and it
# works as a decorator too. The optimizers' `step()` runs under it: updating a parameter must not be
# recorded.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `detach()`: one tensor out of the graph
#
# `b.detach()` has the same values as `b` but no history: a new leaf that does not require
# gradients. Gradients stop there, so the detached value acts as a constant. With $b = x + z$:
#
# $$\frac{\partial}{\partial z} \sum b \cdot z = x + 2z, \qquad
# \frac{\partial}{\partial z} \sum \mathrm{detach}(b) \cdot z = b = x + z .$$

# %% slideshow={"slide_type": "fragment"}
b_const = b.detach()
print("requires_grad:", b_const.requires_grad, "| grad_fn:", name_of(b_const.grad_fn),
      "| same values as b:", torch.equal(b_const, b))
(b_const * z).sum().backward()
print("z.grad == x + z:", torch.allclose(z.grad, x + z), "| == x + 2z:", torch.allclose(z.grad, x + 2 * z))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: detach gives a new leaf with the same values and no history; it shares memory
# with the original. Use: treating a value as a constant (the target in a loss).

# %% slideshow={"slide_type": "fragment"}
b_const_ours = b_ours.detach()
print("requires_grad:", b_const_ours.requires_grad, "| grad_fn:", name_of(b_const_ours.grad_fn),
      "| same values as b:", bool((b_const_ours == b_ours).all()))
(b_const_ours * z_ours).sum().backward()
print("z.grad == x + z:", afs.compare.agree(z_ours.grad, x_ours + z_ours),
      "| == x + 2z:", afs.compare.agree(z_ours.grad, x_ours + 2 * z_ours))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Same in both engines: requires_grad False, grad_fn None, and the values agree.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `model.eval()` is not a grad mode
#
# A switch that sounds related: `model.eval()` (and back, `model.train()`) sets `module.training`,
# which changes what some layers **compute**. Batch norm normalises with the batch's own statistics
# in training mode, and with the running averages it collected in evaluation mode. But autograd
# records exactly as before. A batch norm layer over 3 channels, on a batch of 4 small images:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A classic confusion, worth a full minute: model.eval() changes how layers behave
# (batch norm, dropout); it does not stop autograd. Ask the room which of the two saves memory at
# inference (no_grad).

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
bn = nn.BatchNorm2d(3)
images = 2 * torch.rand(4, 3, 2, 2) + 1
out_train = bn(images)
bn.eval()
out_eval = bn(images)
for mode, out in (("train", out_train), ("eval", out_eval)):
    print(f"{mode:>5}: mean per channel {rounded(out.mean(dim=(0, 2, 3)), 3)},",
          f"requires_grad {out.requires_grad}, grad_fn {name_of(out.grad_fn)}")
out_eval.sum().backward()
print("after backward in eval mode, bn.weight.grad is set:", bn.weight.grad is not None)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: In training mode batch norm uses the batch's statistics, in eval mode its running
# ones: different outputs from the same input, in both engines.

# %% slideshow={"slide_type": "fragment"}
bn_ours = afs.nn.BatchNorm2d(3)
images_ours = afs.tensor(images)
out_train_ours = bn_ours(images_ours)
bn_ours.eval()
out_eval_ours = bn_ours(images_ours)
for mode, out in (("train", out_train_ours), ("eval", out_eval_ours)):
    print(f"{mode:>5}: mean per channel {rounded(out.mean(dim=(0, 2, 3)), 3)},",
          f"requires_grad {out.requires_grad}, grad_fn {name_of(out.grad_fn)}")
out_eval_ours.sum().backward()
print("after backward in eval mode, bn.weight.grad is set:", bn_ours.weight.grad is not None)

# %% slideshow={"slide_type": "fragment"}
report("train-mode output", out_train_ours, out_train, 1e-5)
report("eval-mode output", out_eval_ours, out_eval, 1e-5)
report("bn.weight.grad", bn_ours.weight.grad, bn.weight.grad, 1e-5)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Our BatchNorm2d shows the same two behaviours, and the outputs agree with torch's
# in both modes.

# %% [markdown] slideshow={"slide_type": "subslide"}
# In our engine's `BatchNorm2d.forward`, `self.training` only picks which statistics to use and
# whether to update the running ones; nothing about the graph:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.nn.BatchNorm2d.forward))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: self.training only picks which statistics to use and whether to update them; no
# autograd switch anywhere in the code.

# %% [markdown] slideshow={"slide_type": "fragment"}
# So for inference, use both: `model.eval()` for the layers, `torch.no_grad()` for autograd.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Rule of thumb to leave on the board: eval() for the layers, no_grad() for
# autograd, both for inference.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Frozen parameters
#
# In a neural network, parameters that don't compute gradients are called **frozen**. Freezing part
# of a model is useful when we know in advance that we won't need those gradients: it saves the
# work (and memory) of the backward pass through that part.
#
# The classic case is **finetuning**: we take a pretrained model, freeze most of it, and train only
# the classifier layers, to make predictions on new labels. The tutorial's example: a ResNet18 (here
# with seeded random weights instead of the pretrained ones, which need a download), all its
# parameters frozen.

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)

# Freeze all the parameters in the network
for param in model.parameters():
    param.requires_grad = False
n_frozen = sum(not p.requires_grad for p in model.parameters())
print(f"frozen: {n_frozen} of {len(list(model.parameters()))} parameter tensors")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Freezing is just requires_grad=False on parameters; the graph then has nothing to
# record for them. Ask what happens to memory and time (both drop).

# %% slideshow={"slide_type": "fragment"}
ours = afs.models.resnet18()
ours.load_state_dict(model.state_dict())

for param in ours.parameters():
    param.requires_grad = False
n_frozen_ours = sum(not p.requires_grad for p in ours.parameters())
print(f"frozen: {n_frozen_ours} of {len(list(ours.parameters()))} parameter tensors")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same loop freezes every parameter of our ResNet18, loaded with torch's
# weights.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## A new classifier
#
# Say we finetune on a new dataset with 10 labels. In a ResNet the classifier is the last linear
# layer, `model.fc`. We replace it with a new linear layer, whose parameters are not frozen (a new
# layer's parameters require gradients by default). Our engine gets the same new weights, copied
# from torch's.

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(1)
model.fc = nn.Linear(512, 10)
ours.fc = afs.nn.Linear(512, 10)
ours.fc.load_state_dict(model.fc.state_dict())

trainable = [n for n, p in model.named_parameters() if p.requires_grad]
trainable_ours = [n for n, p in ours.named_parameters() if p.requires_grad]
print("require gradients, torch:", trainable)
print("require gradients, ours: ", trainable_ours)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The new fc layer is created after freezing, so its parameters require grad: only
# the head will learn.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Before the step, a copy of every entry of both `state_dict`s, to see later what changed:

# %% slideshow={"slide_type": "fragment"}
before = {k: v.clone() for k, v in model.state_dict().items()}
before_ours = {k: v.clone() for k, v in ours.state_dict().items()}
print(len(before), "entries in torch's copy,", len(before_ours), "in ours")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The copy lets the class see afterwards exactly which entries of the state_dict
# changed.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Forward and backward with a frozen backbone
#
# The same training step as in notebook 00, on one random 64×64 image with 10 random labels:

# %% slideshow={"slide_type": "fragment"}
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 10)

prediction = model(data)
loss = (prediction - labels).sum()
loss.backward()
print("torch: .grad set for", [n for n, p in model.named_parameters() if p.grad is not None])

# %% slideshow={"slide_type": "fragment"}
prediction_ours = ours(afs.tensor(data))
loss_ours = (prediction_ours - afs.tensor(labels)).sum()
loss_ours.backward()
print("ours:  .grad set for", [n for n, p in ours.named_parameters() if p.grad is not None])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same step as in 00, with a frozen backbone. Predictions and the head's
# gradients agree in both engines.

# %% slideshow={"slide_type": "fragment"}
report("prediction", prediction_ours, prediction, 1e-4)
report("fc.weight.grad", ours.fc.weight.grad, model.fc.weight.grad, 1e-4)
report("fc.bias.grad", ours.fc.bias.grad, model.fc.bias.grad, 1e-4)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Point at the gradients: only fc.weight and fc.bias have one; every backbone .grad
# is None.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The frozen part is gone from the graph
#
# The whole backbone ran forward, but none of its operations was recorded: their inputs (the image,
# the frozen parameters) don't require gradients. The graph starts at the new classifier. Compare
# with the 134 nodes of the full step in notebook 00:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The frozen part is gone from the graph: only the head's nodes remain. Ask why the
# convolution's forward still ran (the head needs its output), yet nothing was recorded.

# %% slideshow={"slide_type": "fragment"}
side_by_side(loss_ours, loss,
             params=({**dict(ours.named_parameters()), "loss": loss_ours},
                     {**dict(model.named_parameters()), "loss": loss}))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Two small graphs instead of the ResNet's hundreds of nodes: this is where
# finetuning saves its memory.

# %% slideshow={"slide_type": "fragment"}
print(len(graph_edges(loss_ours)), "nodes in ours,", len(graph_edges(loss)), "in torch's;",
      "same names and wiring:", graph_edges(loss_ours) == graph_edges(loss))
print("the classifier's node:", prediction.grad_fn.name(), "| its next_functions:",
      [(name_of(n), i) for n, i in prediction.grad_fn.next_functions])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: `AddmmBackward0` computes bias + input @ weightᵀ. Its three edges are the bias's AccumulateGrad,
# `None` for the input (the backbone's features, which don't require gradients) and `TBackward0`,
# the transpose of the weight. That `None` is where the frozen backbone was cut off.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The optimizer step touches only the classifier
#
# We give the optimizer **all** the parameters, as before. But `step()` updates only those that have
# a `.grad`, and only the classifier's do:

# %% slideshow={"slide_type": "fragment"}
# Optimize only the classifier
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optimizer.step()

optimizer_ours = afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)
optimizer_ours.step()
print("the optimizers hold", len(optimizer.param_groups[0]["params"]), "and",
      len(optimizer_ours.param_groups[0]["params"]), "parameter tensors")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: We give SGD all the parameters, but those without .grad are skipped: only the
# head moves. The state_dict comparison shows which entries changed.

# %% slideshow={"slide_type": "fragment"}
def changed(module, copy):
    """The names of the parameters whose values differ from the copy."""
    return [n for n, p in module.named_parameters() if not np.array_equal(to_numpy(p), to_numpy(copy[n]))]


print("changed by the step, torch:", changed(model, before))
print("changed by the step, ours: ", changed(ours, before_ours))
report("fc.weight after the step", ours.fc.weight, model.fc.weight, 1e-4)
report("fc.bias after the step", ours.fc.bias, model.fc.bias, 1e-4)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The tutorial's remark: although we register all the parameters in the optimizer, the only
# parameters that compute gradients (and so are updated by gradient descent) are the classifier's
# weight and bias. Passing only `model.fc.parameters()` to the optimizer would do the same step.

# %% [markdown] slideshow={"slide_type": "subslide"}
# One thing freezing does not freeze: batch norm's **running statistics** are buffers, not
# parameters. In training mode, the forward pass updated them, frozen or not:

# %% slideshow={"slide_type": "fragment"}
for label, module, copy in (("torch", model, before), ("ours", ours, before_ours)):
    stats = [n for n, _ in module.named_buffers() if "running" in n]
    moved = [n for n in stats if not np.array_equal(to_numpy(module.state_dict()[n]), to_numpy(copy[n]))]
    print(f"{label:>5}: {len(moved)} of {len(stats)} running statistics changed by the forward pass")

# %% [markdown] slideshow={"slide_type": "fragment"}
# A finetuning recipe that wants a truly fixed backbone also puts it in evaluation mode, where batch
# norm uses its running statistics and leaves them alone: `model.eval()`, then `model.fc.train()`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The exception worth knowing: batch norm's running statistics are buffers, updated
# in train mode even in a frozen network. Freeze them with eval() if needed.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same exclusion, for inference: `torch.no_grad()`
#
# As the tutorial notes, the same exclusion from the DAG is available for a whole block as a
# context manager, `torch.no_grad()`. To use the finetuned model, both switches from above:
# evaluation mode for batch norm, no grad mode for autograd.

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
print("ours: ", tuple(scores_ours.shape), "| requires_grad", scores_ours.requires_grad, "| grad_fn",
      name_of(scores_ours.grad_fn))
report("inference scores", scores_ours, scores, 1e-4)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: no_grad for inference: same exclusion, for a whole block. The outputs have no
# grad_fn in both engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("exclusion_from_the_dag", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/07_exclusion_from_the_dag.py`).
#
# **1. Predict the flag.** With `x` plain and `z` requiring gradients (as above), which of these
# results require gradients? Replace each `None` with `True` or `False`, then run the check, which
# evaluates them in both engines.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes. Predict each flag on paper, then run the check. The trick case: a
# result of z under no_grad (False).

# %% slideshow={"slide_type": "fragment"}
predictions = {
    "x * 2": None,
    "z * 2": None,
    "x + z.detach()": None,
    "(x * z).sum()": None,
    "z * 2, inside no_grad": None,
    "x.requires_grad_() * 2": None,
}
print(len(predictions), "predictions to make")


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
                            f"({expression}).requires_grad in {_course.engine_name(engine)}")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. Train only the last layer.** Write `freeze_all_but_last(model)` for a `Sequential` of either
# engine: afterwards, only the parameters of its last layer require gradients. The check runs a
# backward pass in both engines and looks at which `.grad`s were set.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Freeze everything, then set requires_grad back on the last layer's parameters;
# the check compares, in both engines, the names that require grad and the names that got a .grad.

# %% slideshow={"slide_type": "fragment"}
def freeze_all_but_last(model):
    pass  # your code


print("freeze_all_but_last defined")


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        for engine in (torch, afs):
            model = engine.nn.Sequential(engine.nn.Linear(4, 8), engine.nn.ReLU(),
                                         engine.nn.Linear(8, 8), engine.nn.ReLU(), engine.nn.Linear(8, 3))
            freeze_all_but_last(model)
            trainable = [n for n, p in model.named_parameters() if p.requires_grad]
            check.equal(trainable, ["4.weight", "4.bias"], f"the parameters that require grad ({_course.engine_name(engine)})")
            model(engine.rand(2, 4)).sum().backward()
            with_grad = [n for n, p in model.named_parameters() if p.grad is not None]
            check.equal(with_grad, ["4.weight", "4.bias"], f"the parameters backward gave a .grad ({_course.engine_name(engine)})")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. An inference function.** Write `predict(model, inputs, engine)` (`engine` is `torch` or
# `afs`) that returns the model's output for inference: batch norm in evaluation mode, and no graph
# recorded.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both eval() and no_grad(), and return plain values. The check fails if the result
# still has a grad_fn.

# %% slideshow={"slide_type": "fragment"}
def predict(model, inputs, engine):
    return model(inputs)  # your code: this records a graph and keeps training mode


print("predict defined")


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
            net(engine.tensor(inputs) if engine is afs else inputs)  # a training step moves the running stats
            out = predict(net, afs.tensor(inputs) if engine is afs else inputs, engine)
            outs[engine] = check.returned(out, f"predict(model, inputs, {_course.engine_name(engine)})")
            check.true(not net.training, f"after predict, the {_course.engine_name(engine)} model is still in training "
                       "mode: batch norm then normalises with the batch's statistics (model.eval())")
            check.true(not out.requires_grad, f"predict's output requires grad in {_course.engine_name(engine)}: a graph "
                       "was recorded (run the model inside engine.no_grad())")
        expected = nets[torch].eval()(inputs)
        check.same(outs[torch], expected, "predict's output in torch, against model.eval()(inputs)", rtol=1e-6)
        check.same(outs[afs], expected, "predict's output in afs, against torch's model.eval()(inputs)", rtol=1e-4, atol=1e-5)


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - An operation's result requires gradients if at least one input does (and grad mode is on);
#   tensors that don't are left out of the DAG: no node, a `None` edge.
# - `torch.no_grad()` leaves out a whole block (inference), `detach()` one tensor (a constant from
#   then on); `model.eval()` changes what batch norm computes, not what autograd records.
# - Finetuning: freeze every parameter (`requires_grad = False`), replace `model.fc`. The graph
#   shrinks to the classifier, only `fc.weight` and `fc.bias` get a `.grad`, and the optimizer's
#   step changes only them, identically in both engines. Batch-norm statistics still move in
#   training mode.
#
# **Next:** [08 · One SGD step of a ResNet18](08_resnet18_sgd_step.ipynb): the full step of
# notebook 00, nothing frozen, line by line.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: requires_grad spreads, no_grad and detach exclude, eval is not a grad
# mode, freezing is requires_grad=False. Next: the full ResNet18 step, every line.
