# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 09 · Beyond the basics
#
# **You will learn**
# - to watch and change gradients while backward runs (*hooks*), to get gradients without touching
#   `.grad` (`autograd.grad`), and to differentiate a derivative (`create_graph=True`);
# - why some in-place operations break backward (the *version counter*), and how to test a
#   hand-written backward with `gradcheck`.
#
# **Builds on:** [08 · One SGD step of a ResNet18](08_resnet18_sgd_step.ipynb), where one call of
# `backward()` filled the `.grad` of every parameter. Here we open up that call: what can be done
# *during* it, *instead of* it, and *on top of* it.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Four independent topics, each short: hooks, `autograd.grad` and higher-order gradients, in-place
# operations, custom Functions with gradcheck. Each can be taught on its own; the exercises at the
# end use one topic each. As everywhere in the series, every computation runs in torch and in
# `autograd_from_scratch` (`afs`), and a check cell says whether they agree. All tensors are
# float64 here: the point of every comparison is exact agreement.

# %% tags=["slide-skip"] slideshow={"slide_type": "subslide"}
import inspect
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import autograd_from_scratch as afs
from autograd_from_scratch.compare import agree, report, to_numpy
from autograd_from_scratch.viz import graph_edges, side_by_side
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)


def rounded(t):
    """A tensor of either engine as a numpy array rounded to 4 decimals, for printing."""
    return np.round(to_numpy(t), 4) + 0.0  # + 0.0 turns -0.0 into 0.0


def error_of(fn, first_line=False):
    """Run fn(); return the error it raises as 'Type: message' (wrapped), or 'no error'."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (we want to show whatever it is)
        message = str(e).splitlines()[0] if first_line else str(e)
        return textwrap.fill(f"{type(e).__name__}: {message}", width=100)
    return "no error"


print("torch and autograd_from_scratch imported; helpers: rounded, error_of")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Hooks: a look at the gradient in flight
#
# After `backward()`, only leaves keep their gradient in `.grad`. The gradient with respect to an
# intermediate tensor is computed too, used, and dropped. A **hook** lets us see it:
# `t.register_hook(fn)` asks the engine to call `fn(grad)` the moment the gradient of `t` is known.
#
# Our example: $h = 3\tanh(x)$ and $\text{loss} = \sum_i h_i^2$, so
# $\frac{\partial\,\text{loss}}{\partial h} = 2h$ and
# $\frac{\partial\,\text{loss}}{\partial x} = 2h \cdot 3\,(1 - \tanh^2 x)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Motivation: after backward only leaves keep .grad (02). A hook lets us look at a
# non-leaf's gradient as it passes. Ask for a use (debugging exploding gradients).

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
h = 3 * x.tanh()
seen = []
handle = h.register_hook(lambda grad: seen.append(grad.clone()))  # returns None: grad unchanged
loss = (h ** 2).sum()
loss.backward()
print(f"dloss/dh seen by the hook: {rounded(seen[0])}")
print(f"x.grad                   : {rounded(x.grad)}")
print(f"h is a leaf: {h.is_leaf} | h keeps its .grad: {h.retains_grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch: register_hook on h records the gradient arriving at h; the handle removes
# it later.

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
h_ours = 3 * x_ours.tanh()
seen_ours = []
handle_ours = h_ours.register_hook(lambda grad: seen_ours.append(grad.clone()))
loss_ours = (h_ours ** 2).sum()
loss_ours.backward()
print(f"dloss/dh seen by the hook: {rounded(seen_ours[0])}")
print(f"x.grad                   : {rounded(x_ours.grad)}")
print(f"h is a leaf: {h_ours.is_leaf} | h keeps its .grad: {h_ours.retains_grad}")

# %% slideshow={"slide_type": "fragment"}
report("dloss/dh (seen by hook)", seen_ours[0], seen[0])
report("x.grad", x_ours.grad, x.grad)
print(f"the hook saw 2h, as computed by hand: {agree(seen_ours[0], 2 * h_ours.detach())}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same in our engine, with the same values seen by the hook.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where the hook sits
#
# The hook belongs to $h$, drawn in orange as the node that made it. The gradient of $h$ arrives
# there from below (from `PowBackward0`), the hook runs, and only then does the node's backward
# send the gradient on towards $x$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The hook belongs to h, drawn in orange as the node that made it; it runs when h's
# gradient is complete, before it flows on to x.

# %% slideshow={"slide_type": "fragment"}
side_by_side(loss_ours, loss, params=[("x", x_ours), ("x", x)], highlight=[h_ours, h])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Point at the orange node in both drawings: same place in both graphs.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### How our engine runs tensor hooks
#
# `register_hook` files the hook under the node that made the tensor (and which of its outputs the
# tensor is). When the engine is about to run that node, it passes the arriving gradient through
# the hooks first; a hook that returns a tensor *replaces* the gradient.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Our engine files the hook under the node that made the tensor and runs it in the
# backward loop, before send(). Short: the code is on the slide.

# %% slideshow={"slide_type": "fragment"}
print(textwrap.dedent(inspect.getsource(afs.Tensor.register_hook)))
print(inspect.getsource(afs.autograd.engine.call_tensor_hooks))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch does the same: a tensor hook is a "pre-hook" of the tensor's `grad_fn`, run on the
# gradient of that particular output before the node's backward. `retain_grad()` is itself
# implemented as such a hook (one that stores the gradient in `.grad`), which is why our engine
# handles `retain_grad` in the same function. `handle.remove()` takes a hook off again; the handles
# are `RemovableHandle` objects in both engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Changing the gradient: clipping with a hook
#
# A hook that *returns* a tensor replaces the gradient, for everything upstream of that tensor.
# Here the gradient of $h$ is clipped to $[-1, 1]$ before it flows back to $x$:
#
# $$\frac{\partial\,\text{loss}}{\partial x} = \operatorname{clip}(2h, -1, 1) \cdot 3\,(1 - \tanh^2 x).$$

# %% slideshow={"slide_type": "fragment"}
x.grad = None
h = 3 * x.tanh()
h.register_hook(lambda grad: grad.clamp(-1.0, 1.0))
(h ** 2).sum().backward()
print(f"x.grad, dloss/dh clipped: {rounded(x.grad)}")

# %% slideshow={"slide_type": "fragment"}
x_ours.grad = None
h_ours = 3 * x_ours.tanh()
h_ours.register_hook(lambda grad: grad.clamp(-1.0, 1.0))
(h_ours ** 2).sum().backward()
print(f"x.grad, dloss/dh clipped: {rounded(x_ours.grad)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A hook that returns a tensor replaces the gradient for everything upstream.
# Clipping is the classic use; ask what x.grad becomes if the hook halves the gradient (halved).

# %% slideshow={"slide_type": "fragment"}
t = np.tanh(to_numpy(x))
by_hand = np.clip(2 * 3 * t, -1, 1) * 3 * (1 - t ** 2)
report("x.grad (clipped)", x_ours.grad, x.grad)
print(f"equal to the formula by hand: {agree(x_ours.grad, by_hand)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Clipping per tensor with a hook is how some training tricks are written (gradient clipping,
# gradient reversal layers for domain adaptation, scaling the gradient of one branch). The usual
# "clip the global norm" of training loops (`torch.nn.utils.clip_grad_norm_`) works on `.grad`
# after backward instead; exercise 1 writes a norm clip as a hook.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Hooks on a leaf, and taking a hook off
#
# A hook on a leaf runs just before the gradient is added into `.grad`, so `.grad` receives what
# the hook returns. `register_hook` returns a handle; `handle.remove()` takes the hook off.

# %% slideshow={"slide_type": "fragment"}
w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
handle = w.register_hook(lambda grad: 0.1 * grad)
(w ** 2).sum().backward()
print(f"with the hook : {rounded(w.grad)}   (0.1 · 2w)")
handle.remove()
w.grad = None
(w ** 2).sum().backward()
print(f"hook removed  : {rounded(w.grad)}   (2w)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: On a leaf, the hook runs just before AccumulateGrad adds into .grad;
# handle.remove() takes it off. Demo: call backward twice, once with and once without.

# %% slideshow={"slide_type": "fragment"}
w_ours = afs.tensor([1.0, 2.0], dtype=afs.float64, requires_grad=True)
handle_ours = w_ours.register_hook(lambda grad: 0.1 * grad)
(w_ours ** 2).sum().backward()
print(f"with the hook : {rounded(w_ours.grad)}   (0.1 · 2w)")
handle_ours.remove()
w_ours.grad = None
(w_ours ** 2).sum().backward()
print(f"hook removed  : {rounded(w_ours.grad)}   (2w)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Our engine gives the same .grad with and without the hook as torch.

# %% [markdown] slideshow={"slide_type": "subslide"}
# In our engine the leaf's hooks run inside `AccumulateGrad`, the node in front of every leaf:

# %% slideshow={"slide_type": "fragment"}
print(textwrap.dedent(inspect.getsource(afs.autograd.AccumulateGrad.accumulate)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: In our engine leaf hooks live in AccumulateGrad, the node in front of every leaf
# (02).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · `autograd.grad`: gradients returned, `.grad` untouched
#
# `backward()` *adds* into the `.grad` of every leaf. `autograd.grad(outputs, inputs)` instead
# *returns* the gradients of the tensors you name, as a tuple, and writes no `.grad` at all. The
# inputs need not be leaves: asking for $\partial\,\text{loss}/\partial h$ needs no hook.

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
h = 3 * x.tanh()
loss = (h ** 2).sum()
dx, dh = torch.autograd.grad(loss, [x, h])
print(f"dloss/dx: {rounded(dx)} | dloss/dh: {rounded(dh)}")
print(f"x.grad after autograd.grad: {x.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: autograd.grad returns gradients instead of adding them into .grad: nothing
# accumulates, nothing to reset. Ask when that is the better tool (a gradient used as a value, as in
# the next section).

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
h_ours = 3 * x_ours.tanh()
loss_ours = (h_ours ** 2).sum()
dx_ours, dh_ours = afs.autograd.grad(loss_ours, [x_ours, h_ours])
print(f"dloss/dx: {rounded(dx_ours)} | dloss/dh: {rounded(dh_ours)}")
print(f"x.grad after autograd.grad: {x_ours.grad}")

# %% slideshow={"slide_type": "fragment"}
report("dloss/dx", dx_ours, dx)
report("dloss/dh", dh_ours, dh)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Same result in our engine; x.grad stays None in both.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our `autograd.grad` is the same engine loop as `backward()`; the only difference is the
# `inputs=` argument, which makes the engine capture the gradients arriving at those tensors
# instead of accumulating into leaves:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.grad))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why it matters: libraries that compute gradients for their own purposes (a gradient penalty, a
# meta-learning inner step, the higher-order derivatives of the next section) must not disturb
# the `.grad` that the optimizer will read. Also worth saying: `autograd.grad` frees the graph
# like `backward()` does, unless `retain_graph=True` (or `create_graph=True`) is passed, and it
# raises if an input was not used unless `allow_unused=True`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Higher-order gradients: differentiate the derivative
#
# Normally the backward pass runs with recording switched off: its results are plain numbers.
# With `create_graph=True` the engine *records the backward pass too*, so the gradient is itself
# a tensor with a `grad_fn`, and we can differentiate it again. By hand, for
# $f(x) = x^3 - 2x^2$ at $x = 3$:
#
# $$f'(x) = 3x^2 - 4x = 15, \qquad f''(x) = 6x - 4 = 14.$$

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
f = x ** 3 - 2 * x ** 2
(df,) = torch.autograd.grad(f, x, create_graph=True)
(d2f,) = torch.autograd.grad(df, x)
print(f"f(3) = {f.item():.4f}   f'(3) = {df.item():.4f}   f''(3) = {d2f.item():.4f}")
print(f"f' has a grad_fn: {df.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: create_graph=True records the backward pass itself, so the derivative has a
# grad_fn and can be differentiated again.

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor(3.0, dtype=afs.float64, requires_grad=True)
f_ours = x_ours ** 3 - 2 * x_ours ** 2
(df_ours,) = afs.autograd.grad(f_ours, x_ours, create_graph=True)
(d2f_ours,) = afs.autograd.grad(df_ours, x_ours)
print(f"f(3) = {f_ours.item():.4f}   f'(3) = {df_ours.item():.4f}   f''(3) = {d2f_ours.item():.4f}")
print(f"f' has a grad_fn: {df_ours.grad_fn.name()}")

# %% slideshow={"slide_type": "fragment"}
report("f'(3)", df_ours, df)
report("f''(3)", d2f_ours, d2f)
print(f"by hand: f'(3) == 15: {df_ours.item() == 15.0} | f''(3) == 14: {d2f_ours.item() == 14.0}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: f(x) = x^3 - 2x^2 at x = 3: f' = 15, f'' = 14, in both engines. Let the class
# compute them first.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Without `create_graph=True`
#
# The first derivative is then a constant with no history: there is nothing to differentiate,
# and both engines say so.

# %% slideshow={"slide_type": "fragment"}
def second_derivative_without_create_graph(lib):
    x = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    (df,) = lib.autograd.grad(x ** 3 - 2 * x ** 2, x)  # backward not recorded
    lib.autograd.grad(df, x)


for name, lib in (("torch", torch), ("afs  ", afs)):
    print(f"{name} -> {error_of(lambda: second_derivative_without_create_graph(lib))}\n")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Without create_graph the first derivative is a constant with no history; asking
# for its gradient raises, with the same message in both engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The backward pass, recorded as a graph
#
# Here is the graph *of $f'(x)$*: the operations that the backward pass of
# $f = x^3 - 2x^2$ performed, recorded because of `create_graph=True`. Its only leaf is $x$,
# which is why it can be differentiated with respect to $x$ again.

# %% slideshow={"slide_type": "fragment"}
side_by_side(df_ours, df, params=[("x", x_ours), ("x", x)], title="the graph of f'(x) = 3x² − 4x")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The graph of f'(x) = 3x^2 - 4x: these are the backward pass's own operations,
# recorded. Ask the class to find 3x^2 in it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Same numbers, slightly different graphs
#
# Read it from the top. The two `PowBackward0` are $x^2$ and $x^1$, which the derivatives of
# $x^3$ and $x^2$ need; each `MulBackward0` multiplies by a constant made of the exponent and the
# incoming gradient, giving $3x^2$ and $-4x$; `AddBackward0` at the bottom is the engine *adding
# the gradients of the two paths that reach $x$*: even that bookkeeping is recorded. torch writes the derivative of $x^p$ as `grad * (p * x.pow(p - 1))`,
# two multiplications, while ours writes `grad * p * x ** (p - 1)`, where `grad * p` involves no
# tensor that requires grad and so leaves no node: torch's graph has one `MulBackward1` more on
# each branch. Different graphs, the same function $f'$.

# %% slideshow={"slide_type": "fragment"}
print(f"ours : {[e.name for e in graph_edges(df_ours)]}")
print(f"torch: {[e.name for e in graph_edges(df)]}")
print("\nthe backward rule of x ** p in our engine:")
print(textwrap.dedent(inspect.getsource(afs.ops.elementwise.PowTensorScalar.backward)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Same numbers, slightly different graphs: torch writes out one more step than our
# engine (a MulBackward1 per branch). The values agree; the node lists differ in a few places.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## As many derivatives as you like: $\tanh$
#
# Each `create_graph=True` records one more level, so derivatives nest. For an elementwise
# function, $y_i$ depends on $x_i$ only, so the gradient of $\sum_i y_i$ is the vector of the
# derivatives $y'(x_i)$: one call gives the derivative on a whole grid of points.

# %% slideshow={"slide_type": "fragment"}
grid = np.linspace(-3, 3, 61)


def tanh_and_derivatives(lib):
    """tanh and its first three derivatives on the grid, each by differentiating the previous one."""
    x = lib.tensor(grid, dtype=lib.float64, requires_grad=True)
    ys = [x.tanh()]
    for k in range(3):
        (d,) = lib.autograd.grad(ys[-1].sum(), x, create_graph=k < 2)
        ys.append(d)
    return ys


curves = tanh_and_derivatives(torch)
curves_ours = tanh_and_derivatives(afs)
for k, (ours, theirs) in enumerate(zip(curves_ours, curves)):
    report(f"tanh, derivative {k}", ours, theirs)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Each create_graph level records one more derivative of tanh; the plot shows tanh
# and its first three derivatives from our engine; the printed lines above compare each with torch's.

# %% slideshow={"slide_type": "subslide"}
fig, ax = plt.subplots(figsize=(8, 3.2))
labels = [r"$\tanh x$", r"$\tanh' x$", r"$\tanh'' x$", r"$\tanh''' x$"]
for curve, label in zip(curves_ours, labels):
    ax.plot(grid, to_numpy(curve), label=label)
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("x")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=10)
ax.set_title("tanh and three derivatives, each from autograd (afs)")
plt.show()
for i in (20, 30, 40):  # x = -1, 0, 1
    values = "  ".join(f"{v:+.4f}" for v in rounded([c[i] for c in curves_ours]))
    print(f"x = {grid[i]:+.1f}: {values}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A check by hand at x = 0: tanh' = 1 - tanh² = 1, tanh'' = -2 tanh (1 - tanh²) = 0,
# tanh''' = -2 (1 - tanh²)(1 - 3 tanh²) = -2. The printed row for x = 0 shows 0, 1, 0, -2.
# In torch, the node for the derivative of tanh is a fused `TanhBackwardBackward0`; ours builds
# the same derivative from multiplications and a subtraction.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Hessian-vector products
#
# For $f:\mathbb{R}^n \to \mathbb{R}$ the second derivative is the $n\times n$ Hessian $H$. Many
# methods (Newton-CG, curvature estimates) need only $Hv$ for a vector $v$, and that costs just one
# more backward pass: $Hv = \nabla_x\,(\nabla f(x)\cdot v)$, which is what `grad_outputs=v` asks
# for when differentiating $\nabla f$. Our function, for $x \in \mathbb{R}^3$:
#
# $$f(x) = (x\cdot x)^2 + \sum_i \tanh x_i,$$
#
# $$H = 4(x\cdot x)\,I + 8\,x x^\top - \operatorname{diag}\big(2\tanh x_i\,(1 - \tanh^2 x_i)\big).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A Hessian-vector product costs two backward passes and never builds the n x n
# matrix. Ask why that matters for a network with a million parameters.

# %% slideshow={"slide_type": "fragment"}
def f(x):
    """The same code runs on a torch tensor and on an afs tensor."""
    return (x @ x) ** 2 + x.tanh().sum()


x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
v = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
(g,) = torch.autograd.grad(f(x), x, create_graph=True)  # ∇f(x), itself recorded
(hv,) = torch.autograd.grad(g, x, grad_outputs=v)       # vᵀ (d∇f/dx) = H v (H is symmetric)
print(f"∇f(x) = {rounded(g)}")
print(f"H v   = {rounded(hv)}")

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
v_ours = afs.tensor([1.0, 0.0, -1.0], dtype=afs.float64)
(g_ours,) = afs.autograd.grad(f(x_ours), x_ours, create_graph=True)
(hv_ours,) = afs.autograd.grad(g_ours, x_ours, grad_outputs=v_ours)
print(f"∇f(x) = {rounded(g_ours)}")
print(f"H v   = {rounded(hv_ours)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same code runs on both engines' tensors; two autograd.grad calls give Hv.

# %% slideshow={"slide_type": "fragment"}
xn, vn = to_numpy(x), to_numpy(v)
tn = np.tanh(xn)
H_by_hand = 4 * (xn @ xn) * np.eye(3) + 8 * np.outer(xn, xn) - np.diag(2 * tn * (1 - tn ** 2))
report("H v", hv_ours, hv)
report("H v (torch's hvp)", hv_ours, torch.autograd.functional.hvp(f, x.detach(), v)[1])
print(f"H v equals H_by_hand @ v: {agree(hv_ours, H_by_hand @ vn)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Checked against the Hessian written by hand for this f: the same vector, to
# 1e-12.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The whole Hessian, as the Jacobian of the gradient
#
# The gradient $\nabla f$ is a function $\mathbb{R}^3 \to \mathbb{R}^3$; its Jacobian is $H$.
# `functional.jacobian` builds it row by row, one backward pass per row: $n$ passes where $Hv$
# needed one.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The whole Hessian is the Jacobian of the gradient: functional.jacobian of a
# create_graph gradient, n backward passes.

# %% slideshow={"slide_type": "fragment"}
def grad_f(x):
    return torch.autograd.grad(f(x), x, create_graph=True)[0]


def grad_f_ours(x):
    return afs.autograd.grad(f(x), x, create_graph=True)[0]


H = torch.autograd.functional.jacobian(grad_f, x.detach())
H_ours = afs.autograd.functional.jacobian(grad_f_ours, x_ours.detach())
print(rounded(H_ours))
report("Hessian", H_ours, H)
print(f"equals the formula: {agree(H_ours, H_by_hand)} | symmetric: {agree(H_ours, H_ours.T)}")
print(f"H @ v equals the H v product: {agree(H_ours @ v_ours, hv_ours)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Costs, to say aloud: one HVP costs about two gradient evaluations whatever n is; the full
# Hessian costs n of them and n² memory. For a network with millions of parameters only the HVP
# is affordable. torch has `torch.autograd.functional.hessian` and `hvp`; ours has `jacobian`
# and `vjp`, and the cell shows that `jacobian` of the gradient is all a Hessian is.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · In-place operations and the version counter
#
# An in-place operation (`add_`, `mul_`, `x += 1`, `x[0] = 5`) overwrites a tensor's values.
# Autograd allows it, and records it as a new node: the tensor then points to the new `grad_fn`.
# Every tensor carries a **version counter**, `t._version`, which each in-place change bumps.

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
y = x * 2
print(f"version after y = x * 2: {y._version}")
y.mul_(3)
y.add_(1)
print(f"version after mul_, add_: {y._version} | y.grad_fn: {y.grad_fn.name()}")
y.sum().backward()
print(f"x.grad: {rounded(x.grad)}   (d(6x + 1)/dx = 6)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: An in-place op bumps a version counter on the tensor. Ask what could go wrong if
# backward needs a value that was overwritten (next slide).

# %% slideshow={"slide_type": "fragment"}
x_ours = afs.tensor([0.0, 1.0, 2.0], dtype=afs.float64, requires_grad=True)
y_ours = x_ours * 2
print(f"version after y = x * 2: {y_ours._version}")
y_ours.mul_(3)
y_ours.add_(1)
print(f"version after mul_, add_: {y_ours._version} | y.grad_fn: {y_ours.grad_fn.name()}")
y_ours.sum().backward()
print(f"x.grad: {rounded(x_ours.grad)}   (d(6x + 1)/dx = 6)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The counter goes 0, 1, 2 with each in-place change, in both engines.

# %% slideshow={"slide_type": "fragment"}
report("x.grad", x_ours.grad, x.grad)
print(f"same graph in both engines: {graph_edges(y_ours) == graph_edges(y)}")
side_by_side(y_ours, y, params=[("x", x_ours), ("x", x)], title="y = x * 2;  y.mul_(3);  y.add_(1)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why these in-place ops are harmless: the backward of `mul` by a constant needs only the constant,
# and the backward of `add` needs nothing, so no node has saved the values that were overwritten.
# The next slide is the case where a node did save them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When backward needs the old values
#
# $y = e^x$ saves its *output* for backward, since $\frac{d}{dx}e^x = e^x = y$. If `y.add_(1)`
# then overwrites $y$, backward would compute $e^x + 1$ instead of $e^x$: a silently wrong gradient.
# The saved tensor remembers the version it had when it was saved (0); at backward time it is at
# version 1, and both engines refuse.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: exp saves its output, so changing y in place after y = x.exp() would
# corrupt the gradient. Both engines refuse with the same error instead of a wrong number.

# %% slideshow={"slide_type": "fragment"}
def exp_then_add_(lib):
    x = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = x.exp()       # ExpBackward0 saves y
    y.add_(1)         # y: version 0 -> 1
    y.sum().backward()


print(f"torch -> {error_of(lambda: exp_then_add_(torch))}\n")
print(f"afs   -> {error_of(lambda: exp_then_add_(afs))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read the error's last line: it names the tensor's version then and now.

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "subslide"}
# ### How the check works
#
# `ctx.save_for_backward` wraps each tensor with the version it has now; reading
# `ctx.saved_tensors` in backward compares it with the current version:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: save_for_backward records each tensor's version; reading saved_tensors compares
# it. Simple and exactly torch's mechanism.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.graph.SavedTensor))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: SavedTensor is the whole check: short enough to read on the slide.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The fix, and the in-place change every optimizer makes
#
# Work on a copy (`y = x.exp().clone()`, then `y.add_(1)`), or use the out-of-place `y + 1`.
# In-place changes of a *leaf* that requires grad are refused outright (its `.grad` would describe
# values it no longer holds), except under `no_grad()`: that is how an SGD step updates the
# parameters (notebook 08), and the version still goes up.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The fix is a copy (clone) before the in-place change. And the in-place change
# every optimizer makes is safe because it runs under no_grad, after backward.

# %% slideshow={"slide_type": "fragment"}
def exp_clone_add_(lib):
    x = lib.tensor([0.0, 1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x.exp().clone()   # ExpBackward0 saved exp(x); the clone is a different tensor
    y.add_(1)
    y.sum().backward()
    return x


def sgd_like_update(lib):
    x = exp_clone_add_(lib)
    refused = error_of(lambda: x.sub_(0.1 * x.grad), first_line=True)
    with lib.no_grad():
        x.sub_(0.1 * x.grad)
    return x, refused


for name, lib in (("torch", torch), ("afs  ", afs)):
    x_after, refused = sgd_like_update(lib)
    print(f"{name} x.grad = e^x: {agree(x_after.grad, np.exp([0.0, 1.0, 2.0]))}"
          f" | under no_grad: x = {rounded(x_after)}, version {x_after._version}\n"
          f"      without no_grad -> {refused}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The clone version gives x.grad = e^x in both engines; the optimizer-style update
# under no_grad bumps the version without any error.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In-place through a view: the history is rewritten
#
# A view shares its base's memory: after `b.mul_(3)`, the view `v = b[:2]` holds three times its
# old values too, so its gradient must carry the 3. torch does not copy anything to get this
# right; it **rewrites the history**. The base takes the in-place op's node, and every live view
# gets an `AsStridedBackward0` node that reads its values out of the new base. The other way
# round, an in-place op *through* a view (`b[0].mul_(...)`) gives the base a `CopySlices` node:
# the base's gradient goes through the op for the elements the view covers, and straight through
# everywhere else. afs does the same, node for node:

# %% slideshow={"slide_type": "fragment"}
def rebased(lib):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([5.0, 6.0], dtype=lib.float64)
    b = x.clone()
    v = b[:2]        # v shares b's memory
    b.mul_(3)        # so v's values changed too
    (v * w).sum().backward()
    c = x.clone()
    c[0].mul_(x[1])  # in place through a view of c
    return rounded(x.grad), v.grad_fn.name(), b.grad_fn.name(), c.grad_fn.name().split("::")[-1]


for name, lib in (("torch", torch), ("afs  ", afs)):
    grad, v_node, b_node, c_node = rebased(lib)
    print(f"{name} x.grad = {grad} (3w, then 0) | v: {v_node}, b: {b_node}, c: {c_node}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: This is where students get confused: a view looks like a copy and is not. Ask
# what x.grad would be if the engine ignored the in-place change (w instead of 3w). The node names
# show torch's trick: nothing is copied, the graph is rewritten. The source of CopySlices is below.

# %% slideshow={"slide_type": "subslide"}
from autograd_from_scratch.ops.inplace import CopySlices

print(inspect.getsource(CopySlices))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Your own operation: a custom `Function`
#
# When an operation is not built in, or its backward can be written better than autograd would
# derive it, subclass `Function`: a `forward` and a `backward`, static methods, with a `ctx` to
# save what backward needs. Our example is softplus, $s(x) = \log(1 + e^x)$, with
# $s'(x) = \sigma(x) = 1/(1 + e^{-x})$. The two classes differ only in their base class.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A custom Function when an op is not built in or its backward can be written
# better. Softplus as the example: forward log(1 + e^x), backward sigmoid(x).

# %% slideshow={"slide_type": "fragment"}
class Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid()


softplus = Softplus.apply
print("torch's Softplus defined")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch's class and ours have the same body; only the base class differs.

# %% slideshow={"slide_type": "fragment"}
class Softplus(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid()


softplus_ours = Softplus.apply
print("our Softplus defined")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The class name `Softplus` is reused on purpose: each cell binds its own `.apply` to a different
# name right away, and both graphs then show the same node name, `SoftplusBackward`. torch names a
# custom node after the class plus "Backward", and so do we.

# %% slideshow={"slide_type": "subslide"}
x = torch.tensor([0.5, -1.0, 2.0, -3.0], dtype=torch.float64, requires_grad=True)
loss = softplus(x).sum()
loss.backward()

x_ours = afs.tensor([0.5, -1.0, 2.0, -3.0], dtype=afs.float64, requires_grad=True)
loss_ours = softplus_ours(x_ours).sum()
loss_ours.backward()

report("softplus(x).sum()", loss_ours, loss)
report("x.grad", x_ours.grad, x.grad)
report("x.grad vs torch's F.softplus", x_ours.grad,
       torch.autograd.grad(torch.nn.functional.softplus(x).sum(), x)[0])
print(f"same graph in both engines: {graph_edges(loss_ours) == graph_edges(loss)}")
side_by_side(loss_ours, loss, params=[("x", x_ours), ("x", x)])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Values, gradients and the graph (one SoftplusBackward node) agree in both
# engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `gradcheck`: is my backward right?
#
# A hand-written backward can be wrong, and nothing would complain: training would just go badly.
# `gradcheck` compares the Jacobian that backward produces with one from central differences,
# column by column:
#
# $$\frac{\partial f}{\partial x_j} \approx \frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}.$$
#
# Use float64: in float32 the difference quotient loses most of its digits.

# %% slideshow={"slide_type": "fragment"}
print(f"torch: {torch.autograd.gradcheck(softplus, (x,))}")
print(f"afs  : {afs.autograd.gradcheck(softplus_ours, (x_ours,))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Nothing complains about a wrong backward: training just goes worse. gradcheck is
# the test to write for every custom op.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our `gradcheck` builds the analytical Jacobian with `functional.jacobian` (one backward pass per
# output element) and the numerical one like this, one input element at a time:

# %% slideshow={"slide_type": "fragment"}
gradcheck_module = inspect.getmodule(afs.autograd.gradcheck)  # autograd/gradcheck.py
print(inspect.getsource(gradcheck_module.numerical_jacobian))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Our gradcheck in full: the analytical Jacobian from functional.jacobian, the
# numerical one from central differences, compared with atol and rtol.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## gradcheck catches a wrong backward
#
# A plausible slip: writing the derivative of the *inner* function, $e^x$, instead of
# $\sigma(x) = e^x / (1 + e^x)$. Forward is still right, so the loss looks fine; only the
# gradient is wrong. Both gradchecks raise (torch's error is a `GradcheckError`, a subclass of
# `RuntimeError`); with `raise_exception=False` they return `False` instead.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The plausible slip: the inner function's derivative e^x instead of sigmoid(x).
# Both engines' gradcheck catch it.

# %% slideshow={"slide_type": "fragment"}
class WrongSoftplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.exp()  # wrong: should be x.sigmoid()


wrong_softplus = WrongSoftplus.apply
print(f"torch -> {error_of(lambda: torch.autograd.gradcheck(wrong_softplus, (x,)), first_line=True)}")
print(f"torch, raise_exception=False -> {torch.autograd.gradcheck(wrong_softplus, (x,), raise_exception=False)}")

# %% slideshow={"slide_type": "fragment"}
class WrongSoftplus(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.exp()  # wrong: should be x.sigmoid()


wrong_softplus_ours = WrongSoftplus.apply
print(f"afs   -> {error_of(lambda: afs.autograd.gradcheck(wrong_softplus_ours, (x_ours,)), first_line=True)}")
print(f"afs, raise_exception=False -> {afs.autograd.gradcheck(wrong_softplus_ours, (x_ours,), raise_exception=False)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same wrong class in our engine fails gradcheck the same way.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The Jacobian of an elementwise function is diagonal; its diagonal tells the story:

# %% slideshow={"slide_type": "fragment"}
numerical = (softplus_ours(x_ours + 1e-6) - softplus_ours(x_ours - 1e-6)) / 2e-6
analytical = afs.autograd.grad(wrong_softplus_ours(x_ours).sum(), x_ours)[0]
print("   x     numerical   wrong backward")
for xi, ni, ai in zip(rounded(x_ours), rounded(numerical), rounded(analytical)):
    print(f"{xi:+5.1f}   {ni:9.4f}   {ai:9.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The diagonal of the Jacobian tells the story: analytical e^x against numerical
# sigmoid(x).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why float64
#
# The same, *correct* Softplus fails gradcheck in float32 in both engines: with $\varepsilon = 10^{-6}$,
# $f(x \pm \varepsilon)$ differ only in the last digits that float32 keeps.

# %% slideshow={"slide_type": "fragment"}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # both engines warn that the input is not float64: that is the point
    ok32 = torch.autograd.gradcheck(softplus, (x.detach().float().requires_grad_(),), raise_exception=False)
    ok32_ours = afs.autograd.gradcheck(softplus_ours, (x_ours.detach().float().requires_grad_(),),
                                       raise_exception=False)
print(f"correct backward, float32 -> torch: {ok32} | afs: {ok32_ours}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: In float32 even the correct Softplus fails: eps = 1e-6 is close to float32's
# resolution (about 1e-7). Always gradcheck in float64.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A custom backward can itself be differentiated
#
# Our `backward` is written with tensor operations (`grad * x.sigmoid()`), so with
# `create_graph=True` it is recorded like any other computation, and a second derivative through
# `Softplus` works: $s''(x) = \sigma(x)(1 - \sigma(x))$. torch's `gradgradcheck` checks it; we
# get the same by running `gradcheck` on the gradient function.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Our backward is written with tensor operations, so with create_graph it is itself
# recorded and can be differentiated again.

# %% slideshow={"slide_type": "fragment"}
def softplus_grad_ours(x):
    """s'(x), recorded (create_graph=True) so that it can be differentiated again."""
    return afs.autograd.grad(softplus_ours(x).sum(), x, create_graph=True)[0]


(d1,) = torch.autograd.grad(softplus(x).sum(), x, create_graph=True)
(d2,) = torch.autograd.grad(d1.sum(), x)
(d2_ours,) = afs.autograd.grad(softplus_grad_ours(x_ours).sum(), x_ours)
sig = 1 / (1 + np.exp(-to_numpy(x_ours)))
report("s''(x)", d2_ours, d2)
print(f"equals σ(1 - σ): {agree(d2_ours, sig * (1 - sig))}")
print(f"torch gradgradcheck: {torch.autograd.gradgradcheck(softplus, (x,))}")
print(f"afs gradcheck of the gradient: {afs.autograd.gradcheck(softplus_grad_ours, (x_ours,))}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The second derivative of softplus through our custom backward agrees with
# torch's.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Through the layers too: a gradient penalty
#
# The heavy layers of a ResNet (convolution in `ops/conv.py`, batch norm in `ops/norm.py`, pooling
# in `ops/pool.py`) compute their backward with a few numpy calls, for speed. Each such backward is
# itself an op with a backward of its own, as in torch (`ConvolutionBackwardBackward0`, ...), so
# `create_graph=True` goes through a whole CNN: here the gradient of a gradient penalty
# $\lVert \partial L / \partial x \rVert^2$ with respect to every weight.

# %% slideshow={"slide_type": "fragment"}
def penalty_grads(lib, x_values, net):
    """d/dθ ‖∂L/∂x‖²: a second derivative through every layer of `net`."""
    x = lib.tensor(x_values, requires_grad=True)
    (g,) = lib.autograd.grad(net(x).sum(), x, create_graph=True)
    (g * g).sum().backward()
    return [p.grad for p in net.parameters()]


def small_cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Tanh(), nn.MaxPool2d(2)).double()


torch.manual_seed(0)
net_t, net_ours = small_cnn(torch.nn), small_cnn(afs.nn)
net_ours.load_state_dict(net_t.state_dict())
x_values = np.random.default_rng(0).standard_normal((2, 1, 6, 6))
ours, theirs = penalty_grads(afs, x_values, net_ours), penalty_grads(torch, x_values, net_t)
print("second derivatives through conv, batch norm and max pool agree with torch's:",
      all(agree(a, b, 1e-10) for a, b in zip(ours, theirs)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A gradient penalty (as in WGAN-GP) needs a second derivative through every layer.
# torch writes a backward for each layer's backward; so does afs, and `gradgradcheck` in its tests
# checks each against finite differences. A backward written on plain arrays without such an op would
# be `@once_differentiable`: usable under create_graph, but raising when differentiated again.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("beyond_the_basics", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/09_beyond_the_basics.py`).
#
# 1. **A norm clip as a hook.** Rescale the gradient arriving at $h$ so that its Euclidean norm is
#    at most 1: $g \mapsto g \cdot \min(1, 1/\lVert g\rVert)$.
# 2. **A third derivative.** Compute $\frac{d^3}{dx^3}\tanh x$ at $x = 0.5$ in `afs` by nesting
#    `afs.autograd.grad` (by hand: $-2(1 - t^2)(1 - 3t^2)$ with $t = \tanh x$).
# 3. **Softsign's backward.** $\operatorname{softsign}(x) = \frac{x}{1 + |x|}$, with derivative
#    $\frac{1}{(1 + |x|)^2}$. Write the backward and let `gradcheck` judge it.
#
# Each exercise has a stub to fill in, and a check that says whether it is solved.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Three exercises: give six minutes each, or take one in class and two as homework.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1 · A norm clip as a hook
#
# Fill in `clip_to_unit_norm(grad)`. The norm of a tensor `g` of our engine is
# `(g * g).sum().sqrt()`. The check runs it on a gradient of norm above 1 (to be scaled down) and on one
# of norm below 1 (to be left as it is).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Ask first: what is the norm of g, as tensor operations, and when should g stay
# as it is? The check clips torch's gradient by hand, with the same formula, and compares.

# %% slideshow={"slide_type": "fragment"}
def clip_to_unit_norm(grad):
    return grad  # TODO: return grad scaled by min(1, 1 / ||grad||)


print("clip_to_unit_norm defined")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_1():
    with _course.exercise(1) as check:
        for scale in (1.0, 0.01):  # the gradient at h has norm about 9.6, then about 0.096
            x_ours = afs.tensor([0.5, -1.0, 2.0], dtype=afs.float64, requires_grad=True)
            h_ours = 3 * x_ours.tanh()
            h_ours.register_hook(clip_to_unit_norm)
            (scale * (h_ours ** 2).sum()).backward()
            # The reference: torch's gradient of h, clipped by hand, pushed back through h = 3 tanh(x).
            x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
            h = 3 * x.tanh()
            (g,) = torch.autograd.grad((scale * (h ** 2).sum()), h, retain_graph=True)
            norm = g.norm().item()
            (expected,) = torch.autograd.grad(h, x, grad_outputs=g * min(1.0, 1.0 / norm))
            check.same(x_ours.grad, expected, f"x.grad when the gradient at h has norm {norm:.3g} "
                       f"({'to scale down to 1' if norm > 1 else 'below 1: to leave as it is'})")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 · A third derivative
#
# Set `third` to $\frac{d^3}{dx^3}\tanh x$ at $x = 0.5$, computed with `afs.autograd.grad`
# (remember `create_graph=True` on every derivative but the last).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Three nested autograd.grad calls, every one but the last with create_graph=True. The common slip:
# forgetting create_graph on the second call.

# %% slideshow={"slide_type": "fragment"}
x2_ours = afs.tensor(0.5, dtype=afs.float64, requires_grad=True)
print("x2_ours =", x2_ours)

# %% slideshow={"slide_type": "fragment"}
third = None  # TODO: nest afs.autograd.grad three times, starting from x2_ours.tanh()
print(f"third = {third}")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_2():
    with _course.exercise(2) as check:
        check.answered(third, "third")
        x2 = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        (d1,) = torch.autograd.grad(x2.tanh(), x2, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x2, create_graph=True)
        (d3,) = torch.autograd.grad(d2, x2)
        check.true(not np.isclose(to_numpy(third), to_numpy(d1.detach())), "third is the first derivative, "
                   "1 - tanh²(x): differentiate twice more")
        check.true(not np.isclose(to_numpy(third), to_numpy(d2.detach())), "third is the second derivative: "
                   "differentiate once more")
        check.same(third, d3, "third, against torch's third derivative", rtol=1e-12)


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 · Softsign's backward
#
# The forward is written; fill in `backward`. `x.abs()` exists in our engine.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: d/dx x / (1 + |x|) = 1 / (1 + |x|)^2. Save x in forward; gradcheck runs in the
# check cell.

# %% slideshow={"slide_type": "fragment"}
class Softsign(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return None  # TODO: grad times the derivative of softsign


print("Softsign defined")

# %% slideshow={"slide_type": "fragment"}
def check_exercise_3():
    with _course.exercise(3) as check:
        x3 = torch.tensor([0.5, -1.0, 2.0, -3.0], dtype=torch.float64, requires_grad=True)
        x3_ours = afs.tensor([0.5, -1.0, 2.0, -3.0], dtype=afs.float64, requires_grad=True)
        upstream = [1.0, -2.0, 3.0, 0.5]  # not all ones: backward must multiply by grad
        (expected,) = torch.autograd.grad((torch.nn.functional.softsign(x3) * torch.tensor(upstream)).sum(), x3)
        (got,) = afs.autograd.grad((Softsign.apply(x3_ours) * afs.tensor(upstream, dtype=afs.float64)).sum(), x3_ours)
        check.same(got, expected, f"Softsign's gradient under the upstream gradient {upstream}, against "
                   "torch's F.softsign", rtol=1e-12)
        check.true(afs.autograd.gradcheck(Softsign.apply, (x3_ours,), raise_exception=False),
                   "gradcheck (finite differences) disagrees with Softsign.backward")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - A **hook** on a tensor sees its gradient during backward, and replaces it if it returns a
#   tensor (clipping, scaling); a hook on a leaf acts before `.grad` is written; the handle's
#   `remove()` takes it off.
# - **`autograd.grad`** returns gradients, even of non-leaf tensors, and leaves `.grad` alone.
# - **`create_graph=True`** records the backward pass as a graph, so derivatives can be
#   differentiated again: second derivatives, Hessian-vector products for the price of one more
#   backward, whole Hessians as the Jacobian of the gradient.
# - Every tensor has a **version counter**; a saved tensor changed in place afterwards makes
#   backward fail loudly instead of returning a wrong gradient.
# - A custom **`Function`** is a forward and a backward; **`gradcheck`** (in float64) compares its
#   backward with finite differences and catches a wrong one.
#
# **Next:** [10 · The training loop](10_training_loop.ipynb), where `backward()`, `no_grad()` and
# in-place parameter updates are repeated until a model learns.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: hooks see and change gradients, autograd.grad returns them, create_graph
# gives higher derivatives, the version counter guards saved values, gradcheck tests custom ops.
# Next: a real training loop.
