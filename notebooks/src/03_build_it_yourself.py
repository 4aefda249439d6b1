# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · Build it yourself: a tensor autograd in 100 lines
#
# **You will learn**
# - to write, cell by cell, a tensor autograd of your own: a `Tensor`, a `Function` that records the graph, six ops, the topological sort, the backward loop;
# - that it trains a small network to the same numbers as torch, and that afs's engine is the same loop, grown up.
#
# **Builds on:** [02 · The computational graph](02_computational_graph.ipynb): `grad_fn` nodes,
# their inputs, leaves whose `.grad` accumulates. Here you build all of it, on numpy.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: This is the lab of the series (60–75 minutes). Students write about 100 lines in
# seven steps; each check compares with torch and says what is wrong. Let them struggle a little on
# steps 4 and 6 (the order and the loop): that is where the understanding is. Notebook 04 then reads
# afs's engine, which they will recognise.

# %% slideshow={"slide_type": "subslide"}
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import autograd_from_scratch as afs
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks
from _course import build_it

_course.show_pictures()
torch.manual_seed(0)
print("numpy, torch and the course helpers imported")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## How this notebook works
#
# Each step is a cell you complete (its stub says what to write), then a check cell that runs your
# code next to torch, in float64, and says what is wrong: the error your code raised, the value,
# gradient or node name that differs, expected against got. Run the check after every change.
# Stuck? `_course.load_solution("build_it_yourself", N)` in a new cell brings in the reference
# solution of step N (from `solutions/03_build_it_yourself.py`).
#
# The engine has no broadcasting except in `Add` (a bias added to every row), works in float64
# only, and every gradient flows to the tensors that `requires_grad`. That is enough to train a
# network.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Show one check failing on purpose first (run a check before writing anything)
# so the class sees what a message looks like: the missing piece, then expected against got. Tell
# them the solutions exist and how to load one, and ask them not to before trying for five
# minutes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 1 · The tensor
#
# A `Tensor` holds `data` (a float64 numpy array), `requires_grad`, `grad` (None until backward
# fills it) and `grad_fn` (the node that made it; None for a leaf you created). `shape` is the
# data's shape. The operators are written for you: they call the ops of step 3 and the backward
# pass of step 6 (Python looks those names up when an operator runs, so they can come later).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 5 minutes. Four attributes and a property; the point is that a tensor is just
# data plus bookkeeping. Ask: why does a leaf have grad_fn None? (Nothing made it: it is where the
# graph starts.)

# %% slideshow={"slide_type": "fragment"}
class Tensor:
    def __init__(self, data, requires_grad=False):
        ...  # your code: data (np.asarray, float64), requires_grad, grad = None, grad_fn = None

    @property
    def shape(self):
        return None  # your code

    def __repr__(self):
        return f"Tensor({self.data}, grad_fn={self.grad_fn and self.grad_fn.name()})"

    # Given: the operators, and backward.
    def __add__(self, other):
        return Add.apply(self, other)

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __pow__(self, n):
        return Pow.apply(self, n)

    def __matmul__(self, other):
        return Mm.apply(self, other)

    def sum(self):
        return Sum.apply(self)

    def relu(self):
        return Relu.apply(self)

    def backward(self):
        run_backward(self)


print("Tensor defined")

# %% slideshow={"slide_type": "skip"}
def check_step_1():
    with _course.exercise(1) as check:
        for requires_grad in (False, True):
            ours, theirs = Tensor([[1, 2, 3]], requires_grad), torch.tensor([[1., 2, 3]], requires_grad=requires_grad)
            check.true(isinstance(getattr(ours, "data", None), np.ndarray),
                       f"Tensor(...).data is {type(getattr(ours, 'data', None)).__name__}, not a numpy array")
            check.equal(ours.data.dtype, np.dtype(np.float64), "Tensor([[1, 2, 3]]).data.dtype (ints become float64)")
            check.same(ours.data, theirs, "Tensor([[1, 2, 3]]).data")
            check.equal(ours.shape, tuple(theirs.shape), "Tensor([[1, 2, 3]]).shape")
            check.equal(ours.requires_grad, theirs.requires_grad, f"requires_grad of Tensor(..., {requires_grad})")
            check.equal((ours.grad, ours.grad_fn), (theirs.grad, theirs.grad_fn), "(grad, grad_fn) of a new tensor")


check_step_1()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 2 · A function records the graph
#
# An op is a `Function` subclass with `forward(ctx, *arrays)` and `backward(ctx, grad)`, on numpy
# arrays, as in torch and afs. Here one object plays three parts (as in tinygrad's first version):
# the **ctx** (`save_for_backward` keeps what backward needs, `saved_tensors` gives it back), the
# **graph node** (`inputs`: the tensors it was applied to; `name()`: torch's node name,
# `MulBackward0` for `Mul`), and the op's class.
#
# `apply(*inputs)` makes the node, runs `forward` on the inputs' data (an input that is not a
# Tensor, such as the exponent of `x ** 2`, is passed as it is), wraps the result in a Tensor and,
# **if any input requires grad**, records the node as the result's `grad_fn`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 8 minutes. The key idea of the lab: one object is the ctx, the node and the
# record of the inputs, exactly as in afs and torch. Common mistake: recording the node even when
# no input requires grad; the check names it. Ask what `apply` must do when grad mode is off
# (nothing here: we have no no_grad yet).

# %% slideshow={"slide_type": "fragment"}
class Function:
    def save_for_backward(self, *arrays):
        ...  # your code: keep them as self.saved_tensors

    def name(self):
        return None  # your code: the class name + "Backward0"

    @classmethod
    def apply(cls, *inputs):
        ctx = cls()
        ...  # your code: ctx.inputs, forward on the data, the output Tensor, its grad_fn
        return None


# Given: Exp, the shape of every op to come.
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)  # d exp(x)/dx = exp(x): keep the output
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return (grad * y,)  # a tuple: one gradient per input


print("Function and Exp defined")

# %% slideshow={"slide_type": "skip"}
def check_step_2():
    with _course.exercise(2) as check:
        for requires_grad in (True, False):
            x_t = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=requires_grad)
            x = Tensor([0.5, -1.0], requires_grad)
            y, y_t = Exp.apply(x), x_t.exp()
            check.true(isinstance(y, Tensor), f"Exp.apply(x) returned {type(y).__name__}, not a Tensor")
            check.same(y.data, y_t, "Exp.apply(x).data")
            check.equal(y.requires_grad, y_t.requires_grad, f"requires_grad of exp(x) when x.requires_grad is {requires_grad}")
            if not requires_grad:
                check.equal(y.grad_fn, None, "grad_fn of exp(x) when x does not require grad")
                continue
            check.equal(y.grad_fn.name(), y_t.grad_fn.name(), "exp(x).grad_fn.name()")
            check.true(tuple(y.grad_fn.inputs) == (x,), "exp(x).grad_fn.inputs should be (x,), the tensors apply got")
            check.same(y.grad_fn.saved_tensors[0], y_t, "what Exp saved for backward, exp(x)")


check_step_2()


# %% [markdown] slideshow={"slide_type": "subslide"}
# One helper, given: undoing the broadcasting of a bias, for `Add`.

# %% slideshow={"slide_type": "fragment"}
def sum_to(grad, shape):
    """Undo broadcasting: sum `grad` over the leading axes that broadcasting added to `shape`."""
    return grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad


print("sum_to defined")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 3 · Six ops
#
# Each is a few lines. `backward` returns a tuple, one gradient per input of `forward`. If you change
# `Function` later, run this cell again: a class keeps the `Function` it was defined from.
#
# | op | forward | backward returns |
# |---|---|---|
# | `Add` | $a + b$ ($b$ may be a bias, one row) | $g$, $g$ summed back to $b$'s shape (`sum_to`) |
# | `Mul` | $a \cdot b$ (same shapes) | $g\,b$, $g\,a$ |
# | `Pow` | $x^n$, $n$ a number | $g\, n x^{n-1}$, and None for $n$ |
# | `Sum` | $\sum_i x_i$ (a number) | $g$ copied to $x$'s shape |
# | `Relu` | $\max(x, 0)$ | $g$ where $x > 0$, else 0 |
# | `Mm` | $A B$ (matrices) | $g B^T$, $A^T g$ |

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 15 minutes, the longest step. Have students write Mul first (it saves both
# inputs), then let the table guide the rest. Typical errors the checks catch: returning a bare
# gradient instead of a tuple, Pow's derivative written as a**(p-1) without the factor p, Relu's
# gradient not multiplied by the incoming one, Mm's transposes swapped (check the shapes).

# %% slideshow={"slide_type": "fragment"}
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ...  # your code (remember b's shape for backward)

    @staticmethod
    def backward(ctx, grad):
        ...  # your code


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ...  # your code

    @staticmethod
    def backward(ctx, grad):
        ...  # your code


class Pow(Function):
    @staticmethod
    def forward(ctx, x, n):
        ...  # your code

    @staticmethod
    def backward(ctx, grad):
        ...  # your code


class Sum(Function):
    @staticmethod
    def forward(ctx, x):
        ...  # your code

    @staticmethod
    def backward(ctx, grad):
        ...  # your code


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        ...  # your code

    @staticmethod
    def backward(ctx, grad):
        ...  # your code


class Mm(Function):
    @staticmethod
    def forward(ctx, a, b):
        ...  # your code

    @staticmethod
    def backward(ctx, grad):
        ...  # your code


print("six ops defined")


# %% slideshow={"slide_type": "skip"}
def check_step_3():
    with _course.exercise(3) as check:
        build_it.ops_against_torch(check, Tensor, {"Add": Add, "Mul": Mul, "Pow": Pow, "Sum": Sum, "Relu": Relu, "Mm": Mm})


check_step_3()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 4 · The order of the backward pass
#
# A node may run only when every gradient it receives has arrived, that is after all the nodes
# that use its output. `topological_order(root)` returns the nodes reachable from `root.grad_fn`
# (through `inputs` and their `grad_fn`), **each before the nodes of its inputs**, each once. A
# depth-first walk that appends a node after visiting its inputs' nodes, reversed, does it.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 10 minutes. Draw x * x + x on the board and ask in which order the nodes must
# run; then why a node must not run before all its users. Typical mistake: appending before
# visiting the inputs (a pre-order), which the check reports as the first node out of place.

# %% slideshow={"slide_type": "fragment"}
def topological_order(root):
    order, seen = [], set()
    ...  # your code: visit root.grad_fn and, before appending a node, the grad_fn of its inputs
    return order


print("topological_order defined")


# %% slideshow={"slide_type": "skip"}
def check_step_4():
    with _course.exercise(4) as check:
        build_it.order_against_torch(check, Tensor, topological_order)


check_step_4()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 5 · Accumulation into `.grad`
#
# A leaf can receive gradients from several uses (`x * x`), and from several backward passes:
# torch **adds** them into `.grad` (notebook 02's accumulation; the first tinygrad assigned instead,
# and was wrong for reused tensors). Write `accumulate(leaf, grad)`: `leaf.grad` becomes `grad` if
# it was None, else the sum, as a new array (never changed in place: someone may hold the old one).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 3 minutes. One line, one trap: `leaf.grad += grad` on the first gradient fails
# (None), and an in-place += on an array someone else holds changes their copy. Link back to
# notebook 02's accumulation demo.

# %% slideshow={"slide_type": "fragment"}
def accumulate(leaf, grad):
    ...  # your code


print("accumulate defined")


# %% slideshow={"slide_type": "skip"}
def check_step_5():
    with _course.exercise(5) as check:
        leaf, leaf_t = Tensor([1.0, 2.0], True), torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        first = np.array([0.5, -1.0])
        for k in (1, 2):
            accumulate(leaf, first.copy() * k)
            (leaf_t * torch.tensor(first * k)).sum().backward()
            check.same(leaf.grad, leaf_t.grad, f"leaf.grad after {k} accumulate call(s), against torch's after {k} backward(s)")
        held = leaf.grad
        accumulate(leaf, np.ones(2))
        check.true(held is not leaf.grad and np.array_equal(held, first * 3),
                   "accumulate changed the old .grad array in place: make a new one (leaf.grad + grad)")


check_step_5()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 6 · The backward loop
#
# `run_backward(root)` (what `root.backward()` calls), for a root holding one number: seed the root's node with the gradient 1
# (`np.ones_like(root.data)`), then visit the nodes in topological order. Each node takes the
# gradient summed for it, calls its `backward`, and hands one gradient to each input: a tensor
# with a `grad_fn` adds it to that node's pending sum, a leaf that requires grad `accumulate`s it,
# anything else (a constant, a None) is skipped. About ten lines.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 12 minutes. The heart of the engine, about ten lines. Ask students to say the
# loop aloud before writing it: seed, order, take the summed gradient, call backward, send each
# gradient on. Typical mistakes: assigning instead of adding into the pending sum (a reused tensor
# loses a path), and forgetting leaves that do not require grad.

# %% slideshow={"slide_type": "fragment"}
def run_backward(root):
    pending = {root.grad_fn: np.ones_like(root.data)}  # node -> the gradient summed for it so far
    ...  # your code: the loop over topological_order(root)


print("run_backward defined")


# %% slideshow={"slide_type": "skip"}
def check_step_6():
    with _course.exercise(6) as check:
        build_it.backward_against_torch(check, Tensor)


check_step_6()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step 7 · Train a network with your engine
#
# A two-layer MLP, $\hat y = \mathrm{relu}(X W_1 + b_1)\, W_2 + b_2$, fits $y = \sin(x)$ on 32
# points with the squared error $L = \sum (\hat y - y)^2$ (the target enters negated: one `Add`).
# Write `sgd_step(params, lr)`: for each parameter, $p \leftarrow p - \eta\, g$ on its data, then
# clear its `.grad` (None) for the next step. The check trains 150 steps in your engine and in
# torch from the same weights and compares the losses.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 7 minutes, the reward. The check trains the same MLP in torch and in the
# students' engine from the same weights and compares every loss. If the curves agree to 1e-9,
# everything above is right. Ask: where is the graph rebuilt each step? (Every forward pass:
# graphs are dynamic.)

# %% slideshow={"slide_type": "fragment"}
def sgd_step(params, lr):
    ...  # your code


print("sgd_step defined")

# %% slideshow={"slide_type": "fragment"}
rng = np.random.default_rng(0)
X = np.linspace(-3, 3, 32).reshape(32, 1)
Y = np.sin(X)
start = {"W1": rng.standard_normal((1, 16)) * 0.8, "b1": rng.standard_normal(16) * 0.1,
         "W2": rng.standard_normal((16, 1)) * 0.3, "b2": np.zeros(1)}


def train(steps=150, lr=0.003):
    """Train the MLP in your engine; return the losses."""
    params = {k: Tensor(v.copy(), requires_grad=True) for k, v in start.items()}
    x, minus_y, losses = Tensor(X), Tensor(-Y), []
    for _ in range(steps):
        prediction = (x @ params["W1"] + params["b1"]).relu() @ params["W2"] + params["b2"]
        loss = ((prediction + minus_y) ** 2).sum()
        loss.backward()
        sgd_step(list(params.values()), lr)
        losses.append(float(loss.data))
    return np.array(losses)


def train_torch(steps=150, lr=0.003):
    """The same network, weights and steps in torch."""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    x, y, losses = torch.tensor(X), torch.tensor(Y), []
    optimizer = torch.optim.SGD(params.values(), lr=lr)
    for _ in range(steps):
        loss = (((x @ params["W1"] + params["b1"]).relu() @ params["W2"] + params["b2"] - y) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


losses_torch = train_torch()
print(f"torch: loss {losses_torch[0]:.3f} at the start, {losses_torch[-1]:.3f} after 150 steps")


# %% slideshow={"slide_type": "skip"}
def check_step_7():
    global losses
    losses = None  # stays None if your engine cannot train yet
    with _course.exercise(7) as check:
        losses = train()
        check.same(losses, losses_torch, "the losses of 150 steps in your engine, against torch's", rtol=1e-9)


check_step_7()

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses_torch, label="torch", linewidth=4, alpha=0.4)
if losses is not None:
    ax.plot(losses, "--", label="your engine")
ax.set(xlabel="step", ylabel="loss", yscale="log", title="The same training, in two engines")
ax.legend()
plt.show()
print("your engine's curve drawn:", losses is not None)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The grown-up version
#
# afs's engine is your loop with what a real engine needs besides: gradients for non-scalar roots
# (`gradient=`), `retain_graph` (freeing the saved tensors otherwise), `create_graph` (recording
# backward itself for higher-order gradients), hooks, `AccumulateGrad` nodes for the leaves,
# broadcasting undone in one place, and errors that say what went wrong. Same names: here is its
# backward pass, the function `loss.backward()` calls (notebook 04 reads it piece by piece).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 5 minutes. Put afs's run_backward beside the students' loop and point at the
# same four lines: the order, the buffers, the backward call, the accumulation. Everything else in
# afs is what a real engine needs besides (gradient=, retain_graph, create_graph, hooks); notebook
# 04 reads it.

# %% slideshow={"slide_type": "subslide"}
from autograd_from_scratch.autograd import engine  # noqa: E402

print(inspect.getsource(engine.run_backward))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Yours, side by side:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Leave this slide up while students compare; ask them to name one thing afs does
# that their engine does not (non-scalar roots, freeing saved tensors, hooks...).

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(topological_order))
print(inspect.getsource(run_backward))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - A tensor autograd is small: a `Tensor` (data, grad, grad_fn), a `Function` whose `apply`
#   records the graph and whose instance is the ctx and the node, one class per op with its
#   forward and backward together, a topological order, a loop, and accumulation into `.grad`.
# - Checked against torch, value by value and gradient by gradient, it trains a network to the
#   same losses.
# - afs's engine is the same loop, with what a library needs around it.
#
# **Next:** [04 · Inside the engine](04_inside_the_engine.ipynb): afs's `Function`, saved tensors,
# the topological order and the backward pass, frame by frame.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: 2 minutes. The whole engine fits on a slide; everything in the rest of the
# series is a refinement of these seven steps.
