# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · First gradients
#
# **You will learn**
# - how `torch.autograd` computes the gradients of $Q = 3a^3 - b^2$, and three ways to check them: by hand, by a second engine, by finite differences;
# - what the `gradient=` argument of `backward` means when the output is a vector, not a number.
#
# **Builds on:** [00 · The training step](00_the_training_step.ipynb), which ran one whole training
# step, and derivatives from calculus. As in every notebook of the series, each step runs in
# PyTorch and in `autograd_from_scratch` (`afs`), our own engine written on numpy.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The example is the one of the official tutorial "A Gentle Introduction to torch.autograd"
# (section *Differentiation in Autograd*). Keep the first notebook light: the machinery (graphs,
# nodes, the engine) comes in notebooks 02 to 04. Here the message is "autograd gives the numbers
# you would get by hand, and here are three independent ways to be sure".

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Why gradients?
#
# A neural network is a chain of nested functions whose *parameters* (weights and biases) are
# stored in tensors. Training repeats two steps:
#
# 1. **forward pass**: run the input through the functions to make a prediction, and measure the
#    error (the *loss*);
# 2. **backward pass**: compute the derivative of the loss with respect to every parameter (the
#    *gradient*), then move each parameter a little against its gradient (gradient descent).
#
# `torch.autograd` is the engine behind step 2. Notebook 00 ran such a step on a whole ResNet18; now
# we open it up, starting with the smallest example that shows everything.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Start from the question the whole series answers: which way should each parameter
# move to lower the loss? The gradient says, for every parameter at once. Ask how many parameters a
# ResNet18 has (11.7 million: seen in 00).

# %% slideshow={"slide_type": "subslide"}
import inspect
import textwrap

import numpy as np
import torch

import autograd_from_scratch as afs
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("torch and autograd_from_scratch imported")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two tensors that require gradients
#
# `requires_grad=True` tells autograd to record every operation done with these tensors, so that
# it can later differentiate through them. In torch:

# %% slideshow={"slide_type": "fragment"}
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
print(a)
print(b)

# %% [markdown] slideshow={"slide_type": "fragment"}
# And the same two lines in our engine: the names are torch's, only the module differs.

# %% slideshow={"slide_type": "fragment"}
a_ours = afs.tensor([2., 3.], requires_grad=True)
b_ours = afs.tensor([6., 4.], requires_grad=True)
print(a_ours)
print(b_ours)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: requires_grad=True is the only switch. Ask: what would Q.grad_fn be if a and b
# did not require grad? (None: nothing recorded.) Point at the dtype: float32 by default in both
# engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The function $Q = 3a^3 - b^2$
#
# Think of `a` and `b` as the parameters of a model and of `Q` as its error. The operations act
# element by element, so `Q` is a vector of two numbers, $Q_i = 3a_i^3 - b_i^2$.

# %% slideshow={"slide_type": "fragment"}
Q = 3 * a**3 - b**2
print(Q)

# %% slideshow={"slide_type": "fragment"}
Q_ours = 3 * a_ours**3 - b_ours**2
print(Q_ours)

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("Q", Q_ours, Q)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Point at `grad_fn=<SubBackward0>` in both printouts: the last operation was a subtraction, and
# the result remembers how it was made. That remembered history is the subject of notebook 02.
# `afs.compare.report` prints the shape and whether the values agree within a tolerance; it never
# prints raw differences, so the output is the same on every machine.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The derivatives, by hand
#
# Each $Q_i$ depends only on $a_i$ and $b_i$, so the power rule gives everything:
#
# $$\frac{\partial Q}{\partial a} = 9a^2, \qquad \frac{\partial Q}{\partial b} = -2b .$$
#
# At $a = (2, 3)$ and $b = (6, 4)$:
#
# $$9a^2 = (36,\ 81), \qquad -2b = (-12,\ -8).$$
#
# These are the numbers autograd must find in `a.grad` and `b.grad`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Let the class do the power rule before the slide shows it: dQ/da = 9a^2, dQ/db =
# -2b. Write the four numbers (36, 81, -12, -8) on the board; every later slide must reproduce them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `backward` in torch
#
# Calling `.backward()` on `Q` runs the backward pass: autograd computes the gradients and stores
# them in each leaf's `.grad`. Because `Q` is a vector, we must also say how to weigh its elements:
# `gradient=` is a tensor of `Q`'s shape; `[1., 1.]` means $\frac{\partial Q}{\partial Q} = 1$ for
# each element (more on this below).

# %% slideshow={"slide_type": "fragment"}
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(f"a.grad = {a.grad}")
print(f"b.grad = {b.grad}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The gradients are exactly the derivatives we found by hand:

# %% slideshow={"slide_type": "fragment"}
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Run it: the gradients land in a.grad and b.grad, the leaves, not in Q. Likely
# confusion: backward returns nothing; it writes into .grad.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The same in our engine

# %% slideshow={"slide_type": "fragment"}
external_grad_ours = afs.tensor([1., 1.])
Q_ours.backward(gradient=external_grad_ours)
print(f"a.grad = {a_ours.grad}")
print(f"b.grad = {b_ours.grad}")
print(9 * a_ours**2 == a_ours.grad)
print(-2 * b_ours == b_ours.grad)

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad", a_ours.grad, a.grad)
afs.compare.report("b.grad", b_ours.grad, b.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Same four numbers from our engine, and the check cell says so. Emphasise the
# pairing that repeats in every notebook: torch cell, afs cell, check cell.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A third opinion: finite differences
#
# A derivative is a limit of difference quotients. The *central difference*
#
# $$\frac{\partial f}{\partial x_j} \approx \frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}$$
#
# needs nothing but the function itself, so it checks autograd without trusting any of its
# machinery. We use plain numpy in float64 (in float32 the quotient loses most of its digits), and
# differentiate $L = Q_1 + Q_2$, the sum that `gradient=[1., 1.]` stands for.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A third, independent opinion that uses no calculus at all. Ask why central
# differences and not (f(x+h) - f(x))/h: the error is O(h^2) instead of O(h).

# %% slideshow={"slide_type": "subslide"}
def L_numpy(a, b):
    """The sum of Q's elements, on plain numpy arrays."""
    return np.sum(3 * a**3 - b**2)


def central_differences(f, x, eps=1e-6):
    """d f / d x_j for every j, from f alone."""
    grad = np.zeros_like(x)
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = eps
        grad[j] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


print("L_numpy and central_differences defined")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Plain numpy, no autograd: this is the function whose derivative we estimate. Note
# it sums Q, which is the same as gradient=[1, 1] on the next slides.

# %% [markdown] slideshow={"slide_type": "subslide"}
# At $a = (2, 3)$, $b = (6, 4)$, one input at a time:

# %% slideshow={"slide_type": "fragment"}
a_np, b_np = np.array([2., 3.]), np.array([6., 4.])
fd_a = central_differences(lambda x: L_numpy(x, b_np), a_np)
fd_b = central_differences(lambda x: L_numpy(a_np, x), b_np)
print(f"finite differences, dL/da: {fd_a.round(4)}")
print(f"finite differences, dL/db: {fd_b.round(4)}")

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad vs differences", a_ours.grad, fd_a, tol=1e-5)
afs.compare.report("b.grad vs differences", b_ours.grad, fd_b, tol=1e-5)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The differences agree to about 1e-6 in float64, not exactly: they are an
# approximation. Ask what happens with h = 1e-12 (rounding error dominates).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The package does the same check for any function: `afs.autograd.gradcheck` compares the whole
# Jacobian from backward passes with the one from central differences, like
# `torch.autograd.gradcheck` (both want float64 inputs).

# %% slideshow={"slide_type": "fragment"}
a64 = afs.tensor([2., 3.], dtype=afs.float64, requires_grad=True)
b64 = afs.tensor([6., 4.], dtype=afs.float64, requires_grad=True)
ok_ours = afs.autograd.gradcheck(lambda a, b: 3 * a**3 - b**2, (a64, b64))
print(f"afs  : {ok_ours}")

a64_t = torch.tensor([2., 3.], dtype=torch.float64, requires_grad=True)
b64_t = torch.tensor([6., 4.], dtype=torch.float64, requires_grad=True)
ok_torch = torch.autograd.gradcheck(lambda a, b: 3 * a**3 - b**2, (a64_t, b64_t))
print(f"torch: {ok_torch}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: gradcheck is the same idea applied to every input element; we use it in 04 to
# test custom ops. One sentence is enough here.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why `gradient=`?
#
# Without it, both engines refuse: there is no single number to differentiate.

# %% slideshow={"slide_type": "fragment"}
def show_error(engine, call):
    """Run `call()`, which should fail, and print the error it raises."""
    try:
        call()
        print(f"{engine}: no error")
    except RuntimeError as e:
        print(textwrap.fill(f"{engine}: {type(e).__name__}: {e}", width=96, subsequent_indent="    "))


Q = 3 * a**3 - b**2
Q_ours = 3 * a_ours**3 - b_ours**2
show_error("torch", lambda: Q.backward())
show_error("afs  ", lambda: Q_ours.backward())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The error is the lesson: backward on a non-scalar needs a vector to weigh the
# outputs. Both engines refuse with the same message.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `gradient=v` is a weighting of the outputs
#
# Backward never builds the Jacobian $J = \partial Q / \partial a$. It computes one
# *vector-Jacobian product*: given $v$ (the shape of $Q$), the leaves receive
#
# $$v^\top J = \frac{\partial}{\partial a} \left( \sum_i v_i Q_i \right).$$
#
# With $v = (1, 1)$ that is the gradient of $\sum_i Q_i$: the same as `Q.sum().backward()`.

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad = None, None  # start from empty .grad (notebook 02 says why this matters)
Q.sum().backward()
print(f"torch, Q.sum().backward(): {a.grad} {b.grad}")

a_ours.grad, b_ours.grad = None, None
Q_ours.sum().backward()
print(f"afs,   Q.sum().backward(): {a_ours.grad} {b_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The key idea of 05 in one line: backward computes v^T J without building J. With
# v = (1, 1) it is the gradient of Q.sum().

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad, via Q.sum()", a_ours.grad, a.grad)
same = bool((a.grad == 9 * a**2).all()) and bool((b.grad == -2 * b).all())
print(f"same as with gradient=[1., 1.] (9a² and -2b): {same}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Q.backward(gradient=ones) and Q.sum().backward() give the same .grad in both
# engines: the check prints True.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Another $v$ weighs the outputs differently. $v = (1, 0)$ keeps only $Q_1$: the second elements
# of the gradients become 0.

# %% slideshow={"slide_type": "fragment"}
a.grad = None
(3 * a**3 - b**2).backward(gradient=torch.tensor([1., 0.]))
a_ours.grad = None
(3 * a_ours**3 - b_ours**2).backward(gradient=afs.tensor([1., 0.]))
print(f"torch a.grad: {a.grad}")
print(f"afs   a.grad: {a_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: v = (1, 0) keeps only Q_1, so the second element of each gradient is 0. Ask the
# class to predict a.grad for v = (0, 2) before the next cell.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Where our engine checks this: the seed gradient of the backward pass is made by
# `root_gradient` (in `autograd_from_scratch/autograd/engine.py`). A missing `gradient=` is
# allowed for one element only:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.engine.root_gradient))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: For a scalar output the seed is simply 1 (`np.ones(root.shape)`), which is why `loss.backward()`
# needs no argument in a training loop. The second error in this function (shape mismatch) is also
# torch's. Ask the class: what would `gradient=[2., 2.]` give? (Twice the gradients.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The graphs behind it
#
# To run backward, each engine recorded how `Q` was computed: a graph of operations, from the
# leaves `a` and `b` (blue) to the output `Q` (green). Drawn with the same function for both
# engines, they are the same box for box.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Point at the leaves (blue), the root (green) and the operations between; notebook
# 02 is entirely about this picture. Both engines draw the same graph.

# %% slideshow={"slide_type": "fragment"}
print(f"same nodes, same edges: {afs.viz.graph_edges(Q_ours) == afs.viz.graph_edges(Q)}")
leaf_names = [("a", a), ("b", b), ("Q", Q), ("a", a_ours), ("b", b_ours), ("Q", Q_ours)]
afs.viz.side_by_side(Q_ours, Q, params=leaf_names)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read the graph bottom-up for the backward pass: SubBackward0 sends +1 times the incoming
# gradient to the left branch and -1 times to the right; MulBackward0 multiplies by 3;
# each PowBackward0 applies the power rule. Notebook 02 walks this graph node by node.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it: move `a` and `b`
#
# With one number each, $Q = 3a^3 - b^2$ is a scalar and `backward()` needs no `gradient=`. The
# sliders recompute both engines' gradients live (they need a running kernel); the printed table
# below shows the same for a few values, so the notebook also reads without one.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A scalar Q needs no gradient= argument. Ask: at which a is dQ/da zero? (a = 0.)
# At which b is dQ/db zero? (b = 0.)

# %% slideshow={"slide_type": "subslide"}
def gradients_at(a_value, b_value):
    """(dQ/da, dQ/db) from torch and from afs, in float64, for scalar a and b."""
    a_t = torch.tensor(a_value, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(b_value, dtype=torch.float64, requires_grad=True)
    (3 * a_t**3 - b_t**2).backward()
    a_o = afs.tensor(a_value, dtype=afs.float64, requires_grad=True)
    b_o = afs.tensor(b_value, dtype=afs.float64, requires_grad=True)
    (3 * a_o**3 - b_o**2).backward()
    return a_t.grad.item(), a_o.grad.item(), b_t.grad.item(), b_o.grad.item()


HEADER = (f"{'a':>6} {'b':>6} | {'torch dQ/da':>11} {'afs dQ/da':>10} {'9a²':>8} | "
          f"{'torch dQ/db':>11} {'afs dQ/db':>10} {'-2b':>7}")


def table_row(a_value, b_value):
    ga_t, ga_o, gb_t, gb_o = gradients_at(a_value, b_value)
    return (f"{a_value:6.2f} {b_value:6.2f} | {ga_t:11.4f} {ga_o:10.4f} {9 * a_value**2:8.4f} | "
            f"{gb_t:11.4f} {gb_o:10.4f} {-2 * b_value:7.2f}")


print(table_row(2.0, 6.0))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The table recomputes both derivatives in both engines for one point. Live, drag
# the sliders in JupyterLab (RISE) to show the table following; the static deck shows the table for
# a few values.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The static table, for a few values:

# %% slideshow={"slide_type": "fragment"}
print(HEADER)
for a_value, b_value in [(2.0, 6.0), (3.0, 4.0), (-1.0, 0.5), (0.0, -2.0), (0.5, 1.5)]:
    print(table_row(a_value, b_value))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read one row aloud and check it against 9a^2 and -2b mentally.

# %% slideshow={"slide_type": "subslide"}
import ipywidgets as widgets

a_slider = widgets.FloatSlider(value=2.0, min=-3.0, max=3.0, step=0.25, description="a")
b_slider = widgets.FloatSlider(value=6.0, min=-6.0, max=6.0, step=0.5, description="b")
live_table = widgets.HTML()


def update(change=None):
    """Recompute both engines' gradients for the sliders' values."""
    live_table.value = f"<pre>{HEADER}\n{table_row(a_slider.value, b_slider.value)}</pre>"


a_slider.observe(update, names="value")
b_slider.observe(update, names="value")
update()
_course.interactive(widgets.VBox([a_slider, b_slider, live_table]),
                   first_state=f"a = {a_slider.value}   b = {b_slider.value}\n\n{HEADER}\n{table_row(a_slider.value, b_slider.value)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Live demo: drag `a` through 0 and show dQ/da touching 0 (a flat point of 3a³); drag `b` and
# show dQ/db changing sign with b. Both engines' columns move together. Without a kernel (slides,
# static HTML) the table above carries the same content.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("first_gradients", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/01_first_gradients.py`).
#
# **1. Predict.** Take $a = (-1, 0.5)$ and $b = (0, 2)$. Without running anything, write the
# gradients that `Q.backward(gradient=[1., 1.])` will store, then run the check.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes, on paper first: 9a^2 = (9, 2.25) and -2b = (0, -4). Then run the
# check cell in the notebook; it says which element is wrong.

# %% slideshow={"slide_type": "fragment"}
my_a_grad = None  # a list of two numbers, e.g. [1.0, 2.0]
my_b_grad = None
print(f"my answer: {my_a_grad} {my_b_grad}")


# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        check.answered(my_a_grad, "my_a_grad")
        check.answered(my_b_grad, "my_b_grad")
        a = torch.tensor([-1., 0.5], requires_grad=True)
        b = torch.tensor([0., 2.], requires_grad=True)
        (3 * a**3 - b**2).backward(gradient=torch.tensor([1., 1.]))
        check.same(my_a_grad, a.grad, "my_a_grad")
        check.same(my_b_grad, b.grad, "my_b_grad")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. A new function.** For $R = a^2 b + 2a - b^3$ (element by element), write
# $\partial R / \partial a$ and $\partial R / \partial b$ as functions of `a` and `b` (tensor
# operations, so they work on torch and afs tensors alike). The check compares them with both
# engines' `backward`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The product rule for a^2 b: dR/da = 2ab + 2, dR/db = a^2 - 3b^2. Students often
# forget the 2 from 2a.

# %% slideshow={"slide_type": "fragment"}
def dR_da(a, b):
    return None  # your formula


def dR_db(a, b):
    return None  # your formula


print("dR_da and dR_db defined")


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        for engine in (torch, afs):
            for a_values, b_values in [([2., 3.], [6., 4.]), ([-1., 0.5], [0., 2.])]:
                a = engine.tensor(a_values, dtype=engine.float64, requires_grad=True)
                b = engine.tensor(b_values, dtype=engine.float64, requires_grad=True)
                (a**2 * b + 2 * a - b**3).sum().backward()
                at = f"for {_course.engine_name(engine)} tensors a = {a_values}, b = {b_values}"
                with engine.no_grad():
                    check.same(dR_da(a, b), a.grad, f"dR_da(a, b) {at}")
                    check.same(dR_db(a, b), b.grad, f"dR_db(a, b) {at}")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. One backward, a weighted sum.** In our engine, find the `gradient=` vector `v` such that a
# *single* `Q.backward(gradient=v)` stores the gradients of $L = 2Q_1 - Q_2$ in `a.grad` and
# `b.grad`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Hint if stuck: backward with gradient=v computes sum_i v_i dQ_i/da; choose v to
# weigh Q_1 and Q_2 as the task asks.

# %% slideshow={"slide_type": "fragment"}
v = None  # an afs tensor of Q's shape
print(f"v = {v}")


# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        check.answered(v, "v")
        check.true(isinstance(v, afs.Tensor), f"v is a {type(v).__module__}.{type(v).__name__}: make it an afs "
                   "tensor (afs.tensor([...])), the gradient= of our engine's backward")
        a = afs.tensor([2., 3.], requires_grad=True)
        b = afs.tensor([6., 4.], requires_grad=True)
        (3 * a**3 - b**2).backward(gradient=v)
        a_t = torch.tensor([2., 3.], requires_grad=True)
        b_t = torch.tensor([6., 4.], requires_grad=True)
        Q_t = 3 * a_t**3 - b_t**2
        (2 * Q_t[0] - Q_t[1]).backward()
        check.same(a.grad, a_t.grad, "a.grad after Q.backward(gradient=v), against dL/da")
        check.same(b.grad, b_t.grad, "b.grad after Q.backward(gradient=v), against dL/db")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - `requires_grad=True` makes autograd record the operations; `backward()` fills each leaf's
#   `.grad` with the derivative, here $9a^2$ and $-2b$, in torch and in our engine alike.
# - Three independent checks agree: the derivative by hand, the other engine, central finite
#   differences (and `gradcheck`, which automates the last one).
# - For a vector output, backward computes a vector-Jacobian product $v^\top J$: `gradient=v`
#   weighs the outputs, and `gradient=ones` is the same as `.sum().backward()`. Without it, both
#   engines raise an error.
# - Behind `backward` there is a graph of the operations, the same in both engines.
#
# **Next:** [02 · The computational graph](02_computational_graph.ipynb): what that graph is made
# of, and how long it lives.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: three ways to the same numbers (by hand, by a second engine, by finite
# differences). Next time: the graph that made backward possible.
