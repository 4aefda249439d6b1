# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · The training step
#
# **You will learn**
# - what one training step of a neural network does (forward pass, loss, backward pass, parameter
#   update), in the five lines of PyTorch that train a ResNet18 for one step;
# - that our own engine, `autograd_from_scratch`, runs the same five lines to the same numbers, and
#   which notebook of the series explains each of them.
#
# **Builds on:** Python and a little numpy. Nothing about autograd yet: this notebook is the tour,
# the rest of the series opens up each line.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: This is the first section of the tutorial "A Gentle Introduction to torch.autograd", run as it is
# (with random instead of pretrained weights: no downloads in class or in CI). Go fast: the goal is
# that students see the whole step once and have a picture to come back to. Every term used here
# (graph, gradient, backward, `grad_fn`) is explained properly later; the map at the end says where.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Background: what `torch.autograd` is for
#
# `torch.autograd` is PyTorch's automatic differentiation engine, the part that powers neural
# network training.
#
# A neural network is a collection of **nested functions** run on some input data. The functions
# are defined by **parameters** (weights and biases), which PyTorch stores in tensors. With layers
# $f_1, \dots, f_L$ and their parameters $\theta_1, \dots, \theta_L$, the prediction for an input
# $x$ is
#
# $$\hat y = f_L\big(\cdots f_2\big(f_1(x;\,\theta_1);\,\theta_2\big)\cdots;\,\theta_L\big).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Keep it concrete: a network is nested functions of parameters, and training needs
# the derivative of the loss with respect to every parameter. Autograd computes all of them from one
# call.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Training a network repeats two steps:
#
# 1. **Forward pass**: the network makes its best guess of the correct output, by running the input
#    through each of its functions in turn. Comparing the guess with the label gives the error, the
#    **loss** $L(\theta)$.
# 2. **Backward pass**: the network adjusts its parameters in proportion to the error of its guess.
#    It goes backwards from the output, collects the derivatives of the error with respect to the
#    parameters of each function (the **gradients** $\nabla_\theta L$), and then moves the
#    parameters against them, by **gradient descent**:
#
# $$\theta \leftarrow \theta - \eta\, \nabla_\theta L \qquad (\eta\text{: the learning rate}).$$
#
# Autograd's job is the middle of step 2: the gradients, for every parameter, from one call.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Ask the room to name the two steps before the slide reveals them. Then say where
# this series sits: entirely inside step 2, the backward pass.

# %% slideshow={"slide_type": "subslide"}
import numpy as np
import torch
import torchvision
from torchvision.models import ResNet18_Weights

import autograd_from_scratch as afs
from autograd_from_scratch.compare import to_numpy
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

print("torch, torchvision and autograd_from_scratch imported")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The model: a ResNet18
#
# The tutorial starts from a ResNet18 trained on ImageNet, loaded from torchvision:
#
# ```python
# model = torchvision.models.resnet18(weights=ResNet18_Weights.DEFAULT)
# ```
#
# (older code writes `pretrained=True`, the same thing before torchvision 0.13). That call
# **downloads** the trained weights, a 45 MB file, the first time it runs. These notebooks never
# download anything (they run offline, in class and in CI), so here the weights are random but
# *seeded*: the same on every machine. The enum still tells us what we would have downloaded:

# %% slideshow={"slide_type": "fragment"}
weights = ResNet18_Weights.DEFAULT
print(f"{weights}: {weights.meta['num_params']:,} parameters,",
      f"ImageNet top-1 accuracy {weights.meta['_metrics']['ImageNet-1K']['acc@1']}%")
print("would be downloaded from", weights.url, f"({weights.meta['_file_size']:.1f} MB)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: No download happens in class: the weights enum is shown, the model itself starts
# from seeded random weights, and the printed agreement is the same either way. Mention the 45 MB if
# someone asks why.

# %% slideshow={"slide_type": "subslide"}
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)  # random weights, seeded: no download
n_values = sum(p.numel() for p in model.parameters())
print(f"ResNet18 with random weights: {len(list(model.parameters()))} parameter tensors,"
      f" {n_values:,} numbers")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: With internet access, students can swap in `weights=ResNet18_Weights.DEFAULT`: every printed line
# of this notebook stays the same, because the checks print agreement (True/False) and shapes,
# never raw logits. The architecture is identical either way: same 62 tensors, same 11,689,512
# numbers as the `num_params` of the pretrained weights.

# %% [markdown] slideshow={"slide_type": "subslide"}
# We keep a copy of these starting weights: later we run the same step in our engine, from exactly
# the same point. (`state_dict()` holds every parameter and batch-norm statistic by name.)

# %% slideshow={"slide_type": "fragment"}
start = {name: value.clone() for name, value in model.state_dict().items()}
print(len(start), "entries, e.g.", list(start)[:3])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: We copy the starting weights because the same step will run again in our engine
# from exactly this point; without the copy the comparison would be meaningless.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data
#
# One random image, 3 colour channels of 64×64 pixels (a batch of one: shape $(1, 3, 64, 64)$), and
# a random label for it: one number for each of ImageNet's 1000 classes.

# %% slideshow={"slide_type": "fragment"}
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)
print("data:", tuple(data.shape), "| labels:", tuple(labels.shape))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A batch of one random image and a random label vector: the numbers do not matter,
# only that both engines get the same ones. Point at the shapes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Line 1: the forward pass
#
# The input runs through the model, layer after layer, to a prediction: 1000 scores.

# %% slideshow={"slide_type": "fragment"}
prediction = model(data)  # forward pass
print("prediction:", tuple(prediction.shape), "| made by", prediction.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "fragment"}
# `grad_fn` says which operation produced the tensor: the last layer's matrix product plus bias
# (`addmm`). While the forward pass ran, autograd **recorded** every operation that touched a
# parameter, in a graph whose last node is this `AddmmBackward0`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Line 1. The prediction's grad_fn is AddmmBackward0: the last layer is a matrix
# product plus bias. Ask: why does the prediction have a grad_fn at all? (The parameters require
# grad.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Line 2: the loss
#
# The error of the prediction, reduced to one number:
#
# $$L = \sum_{i=1}^{1000} (\hat y_i - y_i).$$
#
# It is not a sensible loss for training (it decreases without bound), but the tutorial uses it to
# keep the step simple, and for autograd any function of the parameters will do. Notebook 10 uses
# real losses.

# %% slideshow={"slide_type": "fragment"}
loss = (prediction - labels).sum()
print("loss:", tuple(loss.shape), "(a single number) | made by", loss.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Line 2. This loss is not a sensible training loss (it can go to minus infinity);
# the tutorial uses it to keep things simple. Notebook 10 uses a real one.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Line 3: the backward pass
#
# `loss.backward()` walks the recorded graph from the loss back to the parameters and computes the
# derivative of the loss with respect to each parameter, $\partial L / \partial \theta$. Autograd
# stores it in the parameter's `.grad` attribute, a tensor of the parameter's shape.

# %% slideshow={"slide_type": "fragment"}
print("before: conv1.weight.grad is None:", model.conv1.weight.grad is None)
loss.backward()  # backward pass
params = dict(model.named_parameters())
print("after:  conv1.weight.grad shape:", tuple(model.conv1.weight.grad.shape))
print("every parameter has a .grad of its own shape:",
      all(p.grad is not None and p.grad.shape == p.shape for p in params.values()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One call filled 62 gradient tensors, 11.7 million numbers, and nothing in our code said how to
# differentiate a convolution or a batch norm. How that works is the whole series: the graph (02),
# the engine that walks it (04), the calculus it applies (05), and the layers (06).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Lines 4–5: the parameter update
#
# An optimizer holds the parameters and the update rule. Here: stochastic gradient descent (SGD)
# with a learning rate $\eta = 0.01$ and momentum $\mu = 0.9$. Momentum keeps a running direction
# $b$ per parameter, $b \leftarrow \mu b + g$, and steps along it: $\theta \leftarrow \theta - \eta
# b$. On the first step $b = g$, so the step is plain gradient descent, $\theta - \eta g$.

# %% slideshow={"slide_type": "fragment"}
optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim.step()  # gradient descent
print("the optimizer holds", len(optim.param_groups[0]["params"]), "parameter tensors")

# %% [markdown] slideshow={"slide_type": "fragment"}
# `step()` moved every parameter by $-\eta\, g$, in place. Checked on the first convolution's
# weights, against the copy we kept:

# %% slideshow={"slide_type": "fragment"}
expected = start["conv1.weight"] - 1e-2 * model.conv1.weight.grad
print("conv1.weight == start - lr * grad:", torch.allclose(model.conv1.weight, expected))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Lines 4 and 5. Write the update on the board: b = mu b + g, theta = theta - eta
# b. Ask what the first step reduces to (plain gradient descent, b = g).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same step in our engine
#
# `autograd_from_scratch` (`afs`) is the engine this series builds: autograd on numpy, with torch's
# names. Its ResNet18 has torchvision's parameter names, so `load_state_dict` copies the starting
# weights we kept; the data are the same tensors. Then the same five lines:

# %% slideshow={"slide_type": "fragment"}
ours = afs.models.resnet18()
ours.load_state_dict(start)
data_ours, labels_ours = afs.tensor(data), afs.tensor(labels)

prediction_ours = ours(data_ours)  # forward pass
loss_ours = (prediction_ours - labels_ours).sum()
loss_ours.backward()  # backward pass
optim_ours = afs.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.9)
optim_ours.step()  # gradient descent

print("prediction:", tuple(prediction_ours.shape), "made by", prediction_ours.grad_fn.name(),
      "| loss made by", loss_ours.grad_fn.name())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same five lines with afs in place of torch, same weights (load_state_dict),
# same data. This is the promise of the whole series: the same names, the same numbers.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Do the two engines agree?
#
# Both compute in float32 (about 7 significant digits), with different summation orders, so we
# compare with a relative tolerance: for each tensor, the largest difference divided by the largest
# value, $\max|{\rm ours} - {\rm torch}| / \max|{\rm torch}|$, and the worst over all tensors.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: float32 agreement: the worst relative difference is below 1e-3 in all 62
# gradients and updates. Likely question: why not exact? Different summation orders round
# differently.

# %% slideshow={"slide_type": "fragment"}
def max_rel_error(pairs):
    """The worst over (ours, torch) pairs of max |ours - torch| / max |torch|."""
    return max(np.abs(to_numpy(o) - to_numpy(t)).max() / np.abs(to_numpy(t)).max() for o, t in pairs)


params_ours = dict(ours.named_parameters())
checks = {
    "prediction": [(prediction_ours, prediction)],
    f"{len(params)} gradients": [(params_ours[k].grad, params[k].grad) for k in params],
    f"{len(params)} updated parameters": [(params_ours[k], params[k]) for k in params],
}
agreement = {name: max_rel_error(pairs) < 1e-3 for name, pairs in checks.items()}
print(f"the two engines agree on the whole step: {all(agreement.values())}")
for name, ok in agreement.items():
    print(f"  {name:<24} max relative error < 1e-3: {ok}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why 1e-3 and not 1e-6? With a batch of one 64×64 image, the last stage's batch norms normalise
# over 2×2 = 4 values per channel, and their backward subtracts nearly equal float32 sums: the two
# engines' gradients typically differ by about 1e-4 relative. In float64 (`.double()` on both
# models and the data) the gradients agree to about 1e-12: the difference is rounding, not a
# different formula.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The graph of the step
#
# The forward pass recorded a graph of operations; backward walked it. For a ResNet18 it has over a
# hundred nodes, so here each module is collapsed into one box (arrows go the forward way, the
# gradients flow against them). Ours on the left, torch's on the right:

# %% slideshow={"slide_type": "fragment"}
afs.viz.side_by_side(
    loss_ours, loss,
    params=({**params_ours, "loss": loss_ours}, {**params, "loss": loss}),
    cluster_by=1, collapse=True,
)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The whole ResNet18 step as one graph, collapsed by module. The two sub-slides
# below show it at a readable size; point at stem, the four layers, the head, and the loss at the
# bottom.

# %% [markdown] slideshow={"slide_type": "fragment"}
# Not only the drawings: node by node, the two graphs have the same operations, wired the same way.

# %% slideshow={"slide_type": "fragment"}
edges_ours, edges_torch = afs.viz.graph_edges(loss_ours), afs.viz.graph_edges(loss)
print(len(edges_ours), "nodes in ours,", len(edges_torch), "in torch's; same names and wiring:",
      edges_ours == edges_torch)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Node by node, same operations, same wiring: the structure check is stronger than
# the picture.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The map of the series
#
# Each notebook explains a part of the step we just ran, in both engines side by side.
#
# | notebook | what it explains of the step |
# |---|---|
# | [01 · First gradients](01_first_gradients.ipynb) | what `backward()` computes, on $Q = 3a^3 - b^2$: the `.grad` of a leaf, and `gradient=` for a vector output |
# | [02 · The computational graph](02_computational_graph.ipynb) | the graph the forward pass records: `grad_fn`, `next_functions`, leaves and `AccumulateGrad` |
# | [03 · Build it yourself](03_build_it_yourself.ipynb) | your own tensor autograd in 100 lines, checked against torch, training a small network |
# | [04 · Inside the engine](04_inside_the_engine.ipynb) | how `backward()` walks that graph: topological order, accumulation, freeing the graph |
# | [05 · Vector calculus](05_vector_calculus.ipynb) | the math each node applies: Jacobians and vector-Jacobian products |
# | [06 · Layers](06_layers.ipynb) | the ResNet's building blocks (convolution, batch norm, pooling, linear) and their backward |
# | [07 · Exclusion from the DAG](07_exclusion_from_the_dag.ipynb) | what is *not* recorded: `requires_grad`, `no_grad`, `detach`, frozen parameters and finetuning |
# | [08 · One SGD step of a ResNet18](08_resnet18_sgd_step.ipynb) | this notebook's step again, line by line, and the optimizer's update |
# | [09 · Beyond the basics](09_beyond_the_basics.ipynb) | hooks, higher-order gradients, in-place operations, `gradcheck` |
# | [10 · A training loop](10_training_loop.ipynb) | many steps: `zero_grad`, a real loss, and a network that learns |

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The map: read only the row for the next lecture and say each notebook explains
# one part of the step just run. The table continues on the next two sub-slides.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("the_training_step", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/00_the_training_step.py`).
#
# **1. The first update.** Write `first_update(param, grad, lr)`, the value of a parameter after the
# first `SGD(..., momentum=0.9).step()`, from its value before the step and its gradient. The check
# compares it with what torch's optimizer did to all 62 parameters.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes: the first update with momentum 0.9 is theta - lr * grad, since the
# buffer starts at the gradient. The check cell compares with torch's optimizer.

# %% slideshow={"slide_type": "fragment"}
def first_update(param, grad, lr):
    return None  # your formula


print("first_update defined")

# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        for name, p in params.items():
            param = start[name].clone()  # first_update gets a copy of the saved start weights
            new = first_update(param, p.grad, 1e-2)
            check.returned(new, "first_update(param, grad, lr)")
            check.true(torch.equal(param, start[name]), f"first_update changed its argument `param` in place "
                       f"({name}'s saved start weights): return a new tensor, e.g. `param - ...`")
            check.same(new, p.detach(), f"first_update for {name}, against torch's SGD", rtol=1e-5)


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. Where backward starts.** The backward pass starts at the loss and first computes
# $\partial L / \partial \hat y$, the gradient with respect to the prediction. For
# $L = \sum_i (\hat y_i - y_i)$, what is it? Give it as `dloss_dprediction`, a tensor of the
# prediction's shape (torch or afs).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Ask students to derive it before running anything: in how many terms of the sum
# does one prediction appear, and with what slope? The check computes it in each engine by
# backpropagating from a fresh leaf.

# %% slideshow={"slide_type": "fragment"}
dloss_dprediction = None  # a tensor of shape (1, 1000)
print("dloss_dprediction set:", dloss_dprediction is not None)


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        check.answered(dloss_dprediction, "dloss_dprediction")
        for engine in (torch, afs):
            y_hat = engine.tensor(to_numpy(prediction), requires_grad=True)
            (y_hat - engine.tensor(to_numpy(labels))).sum().backward()
            check.same(dloss_dprediction, y_hat.grad, f"dloss_dprediction, against {_course.engine_name(engine)}'s backward")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. How much did backward compute?** Compute `n_gradient_numbers`, the total count of numbers
# that `loss.backward()` stored in the `.grad` attributes of our engine's model (`ours`).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One gradient number per parameter value: the sum of numel over the parameters
# (about 11.7 million). Students often count tensors (62) instead of numbers.

# %% slideshow={"slide_type": "fragment"}
n_gradient_numbers = None  # an int
print("n_gradient_numbers =", n_gradient_numbers)


# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        check.answered(n_gradient_numbers, "n_gradient_numbers")
        n_tensors = len(list(model.parameters()))
        check.true(n_gradient_numbers != n_tensors, f"n_gradient_numbers is {n_tensors}, the number of parameter "
                   "tensors: count the numbers they hold (numel)")
        check.equal(n_gradient_numbers, sum(p.numel() for p in model.parameters()), "n_gradient_numbers")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - A network is nested functions of parameters. One training step is a **forward pass** (the
#   prediction, then the loss), a **backward pass** (`loss.backward()` fills every parameter's
#   `.grad` with $\partial L / \partial \theta$), and an **update** (`optim.step()`, here
#   $\theta \leftarrow \theta - \eta\, g$ on the first step).
# - The forward pass records a graph of the operations; backward walks it from the loss to the
#   parameters.
# - Our engine runs the same lines on the same weights to the same predictions, gradients and
#   updated parameters (float32 agreement), with the same graph.
#
# **Next:** [01 · First gradients](01_first_gradients.ipynb): `backward()` on the smallest example
# that shows everything, $Q = 3a^3 - b^2$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: forward, loss, backward, step, in both engines, agreeing. Next: the
# smallest possible example of backward, Q = 3a^3 - b^2.
