# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Vector calculus: Jacobians and vector-Jacobian products
#
# **You will learn**
# - what the Jacobian is, and that `backward(gradient=v)` computes the vector-Jacobian product $J^T v$, never $J$ itself;
# - why broadcasting's gradient is summed back to the input's shape, and why reverse mode suits one loss and many parameters.
#
# **Builds on:** [04 · Inside the engine](04_inside_the_engine.ipynb): `backward` visits the nodes in topological
# order and applies the chain rule at each.

# %% slideshow={"slide_type": "skip"}
import inspect
import time

import numpy as np
import torch

import autograd_from_scratch as afs
import autograd_from_scratch.frames  # noqa: F401  (afs.frames: the backward pass step by step)
from autograd_from_scratch.autograd.function import Function
from autograd_from_scratch.ops.reduce import sum_to_size
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
rng = np.random.default_rng(0)


def rounded(t, digits=4):
    """A tensor of either engine as nested lists of rounded floats (deterministic to print)."""
    return (np.round(afs.compare.to_numpy(t), digits) + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0


print("torch", torch.__version__.split("+")[0], "| float64 from here on")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The Jacobian
#
# For a vector-valued function $\vec{y} = f(\vec{x})$ with $\vec{x} \in \mathbb{R}^n$ and $\vec{y} \in \mathbb{R}^m$,
# the derivative of $\vec{y}$ with respect to $\vec{x}$ is the $m \times n$ **Jacobian** matrix:
#
# $$J = \left(\frac{\partial \vec{y}}{\partial x_1} \; \cdots \; \frac{\partial \vec{y}}{\partial x_n}\right) =
# \begin{pmatrix}
# \frac{\partial y_1}{\partial x_1} & \cdots & \frac{\partial y_1}{\partial x_n} \\
# \vdots & \ddots & \vdots \\
# \frac{\partial y_m}{\partial x_1} & \cdots & \frac{\partial y_m}{\partial x_n}
# \end{pmatrix}$$
#
# Row $i$ is the gradient of the output $y_i$; column $j$ says how every output moves with the input $x_j$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Draw the m x n grid: row i is the gradient of y_i, column j is what x_j does to
# every output. Ask: what is the Jacobian's shape for 1000 inputs and one loss? (1 x 1000.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The tutorial's $Q = 3a^3 - b^2$ maps two vectors to a vector. Each $Q_i$ depends only on $a_i$ and $b_i$,
# so both Jacobians are diagonal: $\frac{\partial Q}{\partial a} = \operatorname{diag}(9a^2)$,
# $\frac{\partial Q}{\partial b} = \operatorname{diag}(-2b)$. One Python function serves both engines:

# %% slideshow={"slide_type": "fragment"}
def Q_of(a, b):
    return 3 * a**3 - b**2


a_t = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
b_t = torch.tensor([6.0, 4.0], dtype=torch.float64, requires_grad=True)
J_a_t, J_b_t = torch.autograd.functional.jacobian(Q_of, (a_t, b_t))
print("torch  dQ/da =", rounded(J_a_t), " dQ/db =", rounded(J_b_t))

# %% slideshow={"slide_type": "fragment"}
a = afs.tensor([2.0, 3.0], dtype=afs.float64, requires_grad=True)
b = afs.tensor([6.0, 4.0], dtype=afs.float64, requires_grad=True)
J_a, J_b = afs.autograd.functional.jacobian(Q_of, (a, b))
print("afs    dQ/da =", rounded(J_a), " dQ/db =", rounded(J_b))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: For Q the Jacobians are diagonal because Q_i depends only on a_i and b_i:
# diag(9a^2) and diag(-2b). Students should predict both before the cell.

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("dQ/da", J_a, J_a_t, tol=1e-12)
afs.compare.report("dQ/db", J_b, J_b_t, tol=1e-12)
print("dQ/da == diag(9a²):", np.array_equal(J_a.numpy(), np.diag(9 * a.detach().numpy() ** 2)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: functional.jacobian gives the same matrices in both engines, to 1e-12 in float64.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. `backward` computes a vector-Jacobian product
#
# `torch.autograd` is an engine for computing **vector-Jacobian products**: given any vector $\vec{v}$, it computes
# $J^T \cdot \vec{v}$ (equivalently the row vector $\vec{v}^T J$). If $\vec{v}$ is the gradient of a scalar
# $l = g(\vec{y})$, that is $\vec{v} = \left(\frac{\partial l}{\partial y_1} \cdots \frac{\partial l}{\partial y_m}\right)^T$,
# then by the chain rule the vector-Jacobian product is the gradient of $l$ with respect to $\vec{x}$:
#
# $$J^T \cdot \vec{v} =
# \begin{pmatrix}
# \frac{\partial y_1}{\partial x_1} & \cdots & \frac{\partial y_m}{\partial x_1} \\
# \vdots & \ddots & \vdots \\
# \frac{\partial y_1}{\partial x_n} & \cdots & \frac{\partial y_m}{\partial x_n}
# \end{pmatrix}
# \begin{pmatrix} \frac{\partial l}{\partial y_1} \\ \vdots \\ \frac{\partial l}{\partial y_m} \end{pmatrix} =
# \begin{pmatrix} \frac{\partial l}{\partial x_1} \\ \vdots \\ \frac{\partial l}{\partial x_n} \end{pmatrix}$$
#
# That is what `Q.backward(gradient=external_grad)` did in the tutorial: `external_grad` is $\vec{v}$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The central sentence of the lecture: autograd never builds J; it computes v^T J.
# Say it twice.

# %% [markdown] slideshow={"slide_type": "subslide"}
# With $\vec{v} = [1, 1]$ the product with a diagonal Jacobian just reads off its diagonal, $9a^2$ and $-2b$.
# With any other $\vec{v}$, it weights the outputs:

# %% slideshow={"slide_type": "fragment"}
v_t = torch.tensor([1.0, 0.5], dtype=torch.float64)
Q_t = Q_of(a_t, b_t)
Q_t.backward(gradient=v_t)
print("torch  a.grad =", rounded(a_t.grad), " b.grad =", rounded(b_t.grad))

# %% slideshow={"slide_type": "fragment"}
v = afs.tensor([1.0, 0.5], dtype=afs.float64)
Q = Q_of(a, b)
Q.backward(gradient=v)
print("afs    a.grad =", rounded(a.grad), " b.grad =", rounded(b.grad))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: With v = [1, 1] and a diagonal J the product reads off the diagonal: the
# tutorial's 9a^2 and -2b. Ask what v = [1, 0] gives.

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("a.grad", a.grad, a_t.grad, tol=1e-12)
afs.compare.report("b.grad", b.grad, b_t.grad, tol=1e-12)
print("a.grad == J_aᵀ v:", np.allclose(a.grad.numpy(), J_a.numpy().T @ v.numpy()),
      "| b.grad == J_bᵀ v:", np.allclose(b.grad.numpy(), J_b.numpy().T @ v.numpy()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The check: backward with gradient=v equals v^T J computed from the explicit
# Jacobian, in both engines.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A Jacobian that is not diagonal
# $\vec{y} = \tanh(W\vec{x})$ with $W \in \mathbb{R}^{3 \times 4}$: every output depends on every input, so
# $J$ is a full $3 \times 4$ matrix. `functional.jacobian` builds it; `functional.vjp` returns $J^T\vec{v}$.

# %% slideshow={"slide_type": "fragment"}
W_t = torch.randn(3, 4, dtype=torch.float64)
x_t = torch.randn(4, dtype=torch.float64, requires_grad=True)
u_t = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)  # the vector v of the product


def f_t(x):
    return (W_t @ x).tanh()


J_t = torch.autograd.functional.jacobian(f_t, x_t)
_, vjp_t = torch.autograd.functional.vjp(f_t, x_t, u_t)
print("torch: J", tuple(J_t.shape), "| vjp =", rounded(vjp_t))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A full Jacobian now: every output depends on every input. Predict the shape of J
# (3 x 4) before running.

# %% slideshow={"slide_type": "fragment"}
W, u = afs.tensor(W_t), afs.tensor(u_t)  # the same values, float64
x = afs.tensor(x_t.detach(), requires_grad=True)


def f(x):
    return (W @ x).tanh()


J = afs.autograd.functional.jacobian(f, x)
_, vjp = afs.autograd.functional.vjp(f, x, u)
print("afs:   J", tuple(J.shape), "| vjp =", rounded(vjp))

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("jacobian", J, J_t, tol=1e-12)
afs.compare.report("vjp", vjp, vjp_t, tol=1e-12)
y = f(x)
y.backward(gradient=u)
print("backward(gradient=v) == vjp == Jᵀv:", afs.compare.agree(x.grad, vjp, 1e-12),
      afs.compare.agree(J.numpy().T @ u.numpy(), vjp, 1e-12))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The key sentence for the class: `backward` never builds $J$. Building $J$ takes one backward pass per row
# (that is literally how `functional.jacobian` works, section 4). `vjp` is *one* pass. The name `gradient=` in
# `backward(gradient=v)` is torch's; mathematically it is the vector $v$ of $J^T v$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The chain rule is a product of Jacobians
# $\vec{y} = \tanh(\vec{z})$ with $\vec{z} = W\vec{x}$, so $J = \operatorname{diag}(1 - \vec{y}^2)\, W$ and
# $$\vec{v}^T J = \big(\vec{v}^T \operatorname{diag}(1 - \vec{y}^2)\big)\, W .$$
# Backward evaluates it **left to right**, one node at a time, and never forms a matrix product of
# Jacobians: `TanhBackward0` multiplies by $1 - y^2$ elementwise, then `MvBackward0` multiplies by $W^T$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: J = diag(1 - tanh^2 z) W: a product of two Jacobians, one per node. Backward
# applies them to v from the left, the output's end: first TanhBackward0's diagonal, then MvBackward0's W.

# %% slideshow={"slide_type": "fragment"}
steps = afs.frames.backward_steps(f(x), gradient=u)
for s in steps[1:]:
    print(f"{s.name:<15} receives {afs.frames.fmt_grad(s.received)}")
y_np = f(x).detach().numpy()
print("TanhBackward0 sends v·(1 - y²):", np.allclose(steps[2].received.numpy(), u.numpy() * (1 - y_np**2)))
print("MvBackward0 sends Wᵀ(that):   ", np.allclose(steps[3].received.numpy(), W.numpy().T @ steps[2].received.numpy()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The frames' table for this graph: each node receives a vector and sends a vector;
# no matrix ever appears. Point at the sizes (3, then 3, then 4).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Broadcasting, and why its gradient is summed
#
# `x` of shape (3, 1) plus `y` of shape (4,) gives shape (3, 4): `x` is copied along the columns, `y`
# along the rows. Each copy is a separate use of the same numbers, and (notebook 04) the gradients of
# several uses **add up**. So the gradient of `y` is the gradient of `z` summed over rows, and `x`'s is summed
# over columns: every `.grad` has its tensor's shape.

# %% slideshow={"slide_type": "fragment"}
g_np = rng.standard_normal((3, 4))  # the vector v of the backward pass, of z's shape
x_t = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64, requires_grad=True)
y_t = torch.tensor([10.0, 20.0, 30.0, 40.0], dtype=torch.float64, requires_grad=True)
z_t = x_t + y_t
z_t.backward(gradient=torch.tensor(g_np))
print("torch: z", tuple(z_t.shape), "| x.grad", tuple(x_t.grad.shape), "| y.grad", tuple(y_t.grad.shape))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Broadcasting copies x along a dimension; the gradient of a copy is the sum of the
# copies' gradients. Ask the room for the shape of x.grad (3, 1), before running.

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor([[1.0], [2.0], [3.0]], dtype=afs.float64, requires_grad=True)
y = afs.tensor([10.0, 20.0, 30.0, 40.0], dtype=afs.float64, requires_grad=True)
z = x + y
z.backward(gradient=afs.tensor(g_np))
print("afs:   z", tuple(z.shape), "| x.grad", tuple(x.grad.shape), "| y.grad", tuple(y.grad.shape))

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("x.grad", x.grad, x_t.grad, tol=1e-12)
afs.compare.report("y.grad", y.grad, y_t.grad, tol=1e-12)
print("x.grad == v summed over columns:", np.allclose(x.grad.numpy(), g_np.sum(axis=1, keepdims=True)),
      "| y.grad == v summed over rows:", np.allclose(y.grad.numpy(), g_np.sum(axis=0)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: x.grad is the row sums of the upstream gradient, y.grad the column sums, in both
# engines.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The graphs show no broadcasting node: `AddBackward0` receives the (3, 4) gradient, and what reaches each
# leaf has already been summed to the leaf's shape.

# %% slideshow={"slide_type": "fragment"}
labels = {(z.grad_fn, x): "sum over columns", (z.grad_fn, y): "sum over rows",
          (z_t.grad_fn, x_t): "sum over columns", (z_t.grad_fn, y_t): "sum over rows"}
print("same graph:", afs.viz.graph_edges(z) == afs.viz.graph_edges(z_t))
afs.viz.side_by_side(z, z_t, params=[("x", x), ("y", y), ("z", z), ("x", x_t), ("y", y_t), ("z", z_t)],
                     edge_labels=labels, arrows="backward")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: No broadcasting node appears in the graphs: AddBackward0 receives the (3, 4)
# gradient and the sum happens on the way to each leaf.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One place undoes broadcasting
# No op's `backward` deals with broadcasting (`Add.backward` returns `grad, grad`). After every node, the
# engine fits each gradient to its input's shape and dtype, in `Function._fit_to_input`:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(Function._fit_to_input))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One place undoes broadcasting for every op: the engine, not each backward. This
# is the design choice minitorch teaches too.

# %% [markdown] slideshow={"slide_type": "subslide"}
# It calls `Tensor.sum_to_size`, the inverse of broadcasting: sum over the leading dimensions that
# broadcasting added, and over the dimensions where the input had size 1. torch has the same method:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(sum_to_size))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: sum_to_size is the inverse of broadcasting: sum over leading dimensions, then
# over dimensions of size 1 with keepdim.

# %% slideshow={"slide_type": "fragment"}
g_t, g = torch.tensor(g_np), afs.tensor(g_np)
print("torch:", tuple(g_t.sum_to_size(3, 1).shape), tuple(g_t.sum_to_size(1, 4).shape),
      "| afs:", tuple(g.sum_to_size(3, 1).shape), tuple(g.sum_to_size(1, 4).shape))
afs.compare.report("sum_to_size(3, 1)", g.sum_to_size(3, 1), g_t.sum_to_size(3, 1), tol=1e-12)
afs.compare.report("sum_to_size(1, 4)", g.sum_to_size(1, 4), g_t.sum_to_size(1, 4), tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch's sum_to_size and ours give the same shapes and values.

# %% [markdown] slideshow={"slide_type": "subslide"}
# torch's engine does the same, centrally (`validate_outputs` in its C++ engine). A custom op whose
# backward returns the broadcast-shaped gradient gets it summed in **both** engines, and a gradient of an
# impossible shape is refused with the same message:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch does the same centrally (validate_outputs in its C++ engine); a custom op
# that returns a gradient of the wrong shape is fixed or refused in the same way by both.

# %% slideshow={"slide_type": "fragment"}
def lazy_add_for(Function):
    class LazyAdd(Function):
        @staticmethod
        def forward(ctx, p, q):
            return p + q

        @staticmethod
        def backward(ctx, grad):
            return grad, grad  # shape (3, 4) for both: the engine sums them down

    return LazyAdd


def bad_for(Function):
    class Bad(Function):
        @staticmethod
        def forward(ctx, p):
            return p * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum().reshape(1).expand(5)  # 5 numbers for a 3-element input

    return Bad


for engine, T in (("torch", torch), ("afs", afs)):
    p = T.ones(3, 1, dtype=T.float64, requires_grad=True)
    q = T.ones(4, dtype=T.float64, requires_grad=True)
    lazy_add_for(T.autograd.Function).apply(p, q).sum().backward()
    print(f"{engine:<5} LazyAdd grads: {tuple(p.grad.shape)} {tuple(q.grad.shape)}, q.grad = {rounded(q.grad)}")
    try:
        bad_for(T.autograd.Function).apply(T.ones(3, dtype=T.float64, requires_grad=True)).sum().backward()
    except RuntimeError as e:
        print(f"{engine:<5} {type(e).__name__}: {e}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A deliberately lazy custom Add that returns the broadcast gradient as is: both
# engines reduce it to the input's shape.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Why reverse mode: one loss, many parameters
#
# A backward pass gives one **row** combination $\vec{v}^T J$. To build the whole Jacobian of
# $f: \mathbb{R}^n \to \mathbb{R}^m$, reverse mode needs $m$ passes, one per output
# ($\vec{v} = e_1, \dots, e_m$). **Forward mode** (which carries a tangent forward with the values) gives one
# **column** $J\vec{u}$ per pass, so it needs $n$ passes.
#
# Training has $m = 1$ (the loss) and $n$ = millions of parameters: reverse mode gets the whole gradient in
# **one** backward pass.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why reverse mode: one backward pass gives one row combination of J, so one loss
# and a million parameters cost one pass. Forward mode would need a million.

# %% [markdown] slideshow={"slide_type": "subslide"}
# We count the backward passes `functional.jacobian` makes, with a hook on the output's node, for
# $n = 1000, m = 1$ ($\sum_j x_j^2$) and $n = 1, m = 1000$ ($x \cdot [0, 1, \dots, 999]$), in both engines:

# %% slideshow={"slide_type": "fragment"}
def counted(T, m, passes):
    """f: R^n -> R^m, with a hook that counts how often backward runs through its output node."""
    c = T.arange(m, dtype=T.float64)

    def f(x):
        out = (x**2).sum() if m == 1 else x * c
        out.grad_fn.register_hook(lambda grad_inputs, grad_outputs: passes.append(1))
        return out

    return f


shapes = [(1000, 1), (1, 1000)]
timings = {}
print(f"{'engine':<7}{'n':>6}{'m':>6}   Jacobian shape   backward passes   forward mode would need")
for engine, T in (("afs", afs), ("torch", torch)):
    for n, m in shapes:
        passes = []
        x = T.ones(n, dtype=T.float64)
        start = time.perf_counter()
        J = T.autograd.functional.jacobian(counted(T, m, passes), x)
        timings[(engine, n, m)] = time.perf_counter() - start
        print(f"{engine:<7}{n:>6}{m:>6}   {str(tuple(J.shape)):<16} {len(passes):>15} {n:>25}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Count the passes with a hook: a 1 x 1000 Jacobian needs 1 backward pass, a 1000 x
# 1 needs 1000. The timings are machine-dependent; read only the counts.

# %% [markdown] slideshow={"slide_type": "subslide"}
# And the time those passes take (this output depends on the machine, so nbval does not compare it):

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
# Timings vary from machine to machine: tagged nbval-ignore-output.
for (engine, n, m), seconds in timings.items():
    print(f"{engine:<6} n={n:<5} m={m:<5} {1000 * seconds:8.1f} ms")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch has forward mode too (`torch.autograd.forward_ad`, `torch.func.jvp`, `jacfwd`); our engine implements
# reverse mode only. `torch.func.jacrev` and `jacobian(..., vectorize=True)` batch the $m$ passes into one
# vectorized pass with `vmap`: the arithmetic is the same, the Python overhead is gone.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("vector_calculus", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/05_vector_calculus.py`).
# ### Exercise 1 · A Jacobian, one row per pass
# Write `jacobian_by_rows(f, x)` for our engine: for each output $i$, call
# `afs.autograd.grad(out, x, grad_outputs=e_i, retain_graph=True)` with $e_i$ the $i$-th unit vector, and
# stack the rows into $J$ (shape $(m, n)$, as a numpy array). The check compares with torch's Jacobian of
# $\tanh(Wx)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes: one autograd.grad call per output row with v = e_i. The common
# mistake: forgetting retain_graph=True between the rows.

# %% slideshow={"slide_type": "fragment"}
def jacobian_by_rows(f, x):
    x = x.detach().requires_grad_()
    out = f(x)
    rows = []
    ...  # your code: one afs.autograd.grad call per output element
    return np.array(rows)


print("jacobian_by_rows defined")

# %% slideshow={"slide_type": "fragment"}
def check_rows():
    with _course.exercise(1) as check:
        x0 = torch.randn(4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        ours = check.returned(jacobian_by_rows(f, afs.tensor(x0)), "jacobian_by_rows(f, x)")
        check.same(ours, torch.autograd.functional.jacobian(f_t, x0), "jacobian_by_rows(f, x), against "
                   "torch's Jacobian", rtol=1e-12)


check_rows()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 · Broadcast gradients by hand
# `x` has shape (3, 1), `y` has shape (4,), and $L = \sum (x + y)$. Without running backward, write
# `x.grad` and `y.grad` as nested lists. (How many times is each number used?)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: By hand first: x.grad is 4 for every element (each x_i meets four y's), y.grad is
# 3. Then check.

# %% slideshow={"slide_type": "fragment"}
x_grad_guess = None  # e.g. [[...], [...], [...]]
y_grad_guess = None  # e.g. [...]

print("guesses:", x_grad_guess, y_grad_guess)

# %% slideshow={"slide_type": "fragment"}
def check_broadcast():
    with _course.exercise(2) as check:
        check.answered(x_grad_guess, "x_grad_guess")
        check.answered(y_grad_guess, "y_grad_guess")
        for engine in (torch, afs):
            x = engine.zeros(3, 1, dtype=engine.float64, requires_grad=True)
            y = engine.zeros(4, dtype=engine.float64, requires_grad=True)
            (x + y).sum().backward()
            check.same(x_grad_guess, x.grad, f"x_grad_guess, against {_course.engine_name(engine)}'s x.grad")
            check.same(y_grad_guess, y.grad, f"y_grad_guess, against {_course.engine_name(engine)}'s y.grad")


check_broadcast()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 · The chain rule through `gradient=`
# Let $\vec{y} = \tanh(W\vec{x})$ and $l = \sum_i y_i^2$. Choose the vector `v_for_l` (a tensor shaped like $\vec{y}$)
# so that `y.backward(gradient=v_for_l)` puts $\frac{\partial l}{\partial \vec{x}}$ into `x.grad`, without ever
# building $l$. Hint: $\vec{v} = \frac{\partial l}{\partial \vec{y}}$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: v_for_l = 2y, because dl/dy = 2y: the chain rule passes through gradient=. Ask
# why v must be detached (it is a constant for this backward).

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor(np.linspace(-1, 1, 4), requires_grad=True)
y = f(x)
print("y has shape", tuple(y.shape))

# %% slideshow={"slide_type": "fragment"}
v_for_l = None  # your code: an afs tensor of y's shape
print("v_for_l set:", v_for_l is not None)

# %% slideshow={"slide_type": "fragment"}
def check_chain():
    with _course.exercise(3) as check:
        check.answered(v_for_l, "v_for_l")
        x_ref = torch.tensor(np.linspace(-1, 1, 4), requires_grad=True)
        (f_t(x_ref) ** 2).sum().backward()
        x.grad = None
        y.backward(gradient=v_for_l, retain_graph=True)
        check.same(x.grad, x_ref.grad, "x.grad after y.backward(gradient=v_for_l), against dl/dx", rtol=1e-12)


check_chain()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
# - The Jacobian $J$ of $f: \mathbb{R}^n \to \mathbb{R}^m$ is $m \times n$; `functional.jacobian` gives the same
#   matrices in both engines ($\operatorname{diag}(9a^2)$ and $\operatorname{diag}(-2b)$ for $Q$).
# - `backward(gradient=v)` and `functional.vjp` compute $J^T v$ in one pass, evaluating the chain rule's product
#   of Jacobians left to right, one node at a time, without forming $J$.
# - Broadcasting uses a number several times, so its gradient is summed back to the input's shape: in one place,
#   `Function._fit_to_input` with `sum_to_size` (torch: `validate_outputs`).
# - A full Jacobian costs $m$ backward passes (forward mode: $n$). One loss, many parameters: one pass.
#
# **Next:** [06 · Layers](06_layers.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap: J, v^T J, broadcasting summed in one place, reverse mode for one loss.
# Next lecture: the layers of a CNN, each a small Jacobian.
