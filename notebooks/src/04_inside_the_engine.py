# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · Inside the engine
#
# **You will learn**
# - what a `Function` records when it runs, and how `backward` walks the graph in topological order applying the chain rule;
# - why gradients must be *accumulated*, never assigned, and how to write your own op for both engines.
#
# **Builds on:** [02 · The computational graph](02_computational_graph.ipynb): the graph of `grad_fn` nodes
# linked by `next_functions` that autograd records for $Q = 3a^3 - b^2$, and [03 · Build it
# yourself](03_build_it_yourself.ipynb), where you wrote a small engine that walks it. Here we open afs's.

# %% slideshow={"slide_type": "skip"}
import inspect
import tempfile
from pathlib import Path

import numpy as np
import torch

import autograd_from_scratch as afs
import autograd_from_scratch.frames  # noqa: F401  (afs.frames: the backward pass frame by frame)
from autograd_from_scratch.autograd.engine import (GraphTask, InputBuffer, call_function, run_backward,
                                                   topological_order)
from autograd_from_scratch.ops.elementwise import Exp, Mul
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("torch", torch.__version__.split("+")[0], "| afs ready:", hasattr(afs, "frames"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. An operation is a `Function`
#
# Every operation in our engine is a subclass of `Function` with a `forward` and a `backward`.
# `Function.apply` runs `forward` and, if any input requires grad, turns the `Function` instance into a
# **graph node**: it remembers where each input's gradient must go (`next_functions`) and the inputs'
# shapes. The same object is the `ctx` that `forward` saved its values on. This is the whole of it:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The one idea of this section: the op object is also the graph node and the ctx.
# Ask: what must a node remember to run backward later? (Where each input's gradient goes, and the
# values its formula needs.)

# %% slideshow={"slide_type": "subslide"}
print(inspect.getsource(afs.autograd.Function.apply))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Key lines only: forward runs under no_grad, then the node records next_functions
# and the inputs' shapes if any input requires grad. The whole method is on the sub-slides below;
# skip them unless asked.

# %% [markdown] slideshow={"slide_type": "subslide"}
# An op reads as its math. Multiplication saves both inputs, because $\frac{\partial (ab)}{\partial a} = b$ and
# $\frac{\partial (ab)}{\partial b} = a$; the exponential saves its *output*, because $\frac{d}{dx}e^x = e^x$:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(Mul))
print(inspect.getsource(Exp))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read Mul and Exp as their math: Mul saves both inputs, Exp saves its output. Ask
# why Exp saves the output and not the input (d/dx e^x = e^x: the output is exactly what backward
# needs).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What a node holds, in both engines
# torch keeps the same things on its C++ nodes and shows them as `_saved_self`, `_saved_other`,
# `_saved_result`. We run $y = a \cdot b$ and $e = \exp(a)$ in both engines and look inside the nodes.

# %% slideshow={"slide_type": "fragment"}
a_t = torch.tensor([2.0, 3.0], requires_grad=True)
b_t = torch.tensor([6.0, 4.0], requires_grad=True)
y_t, e_t = a_t * b_t, a_t.exp()
print(y_t.grad_fn.name(), "saved:", y_t.grad_fn._saved_self.tolist(), y_t.grad_fn._saved_other.tolist())
print(e_t.grad_fn.name(), "saved result:", [round(v, 4) for v in e_t.grad_fn._saved_result.tolist()])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch's C++ nodes expose the same saved values as _saved_self, _saved_other,
# _saved_result. Ask the room to predict what Exp's node saved before running.

# %% slideshow={"slide_type": "fragment"}
a = afs.tensor([2.0, 3.0], requires_grad=True)
b = afs.tensor([6.0, 4.0], requires_grad=True)
y, e = a * b, a.exp()
print(y.grad_fn.name(), "saved:", *[t.tolist() for t in y.grad_fn.saved_tensors])
print(e.grad_fn.name(), "saved result:", [round(v, 4) for v in e.grad_fn.saved_tensors[0].tolist()])

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("y = a*b", y, y_t)
afs.compare.report("saved a (MulBackward0)", y.grad_fn.saved_tensors[0], y_t.grad_fn._saved_self)
afs.compare.report("saved e^a (ExpBackward0)", e.grad_fn.saved_tensors[0], e_t.grad_fn._saved_result)
print("edges:", [(n.name(), i) for n, i in y.grad_fn.next_functions],
      "| torch:", [(n.name().split("::")[-1], i) for n, i in y_t.grad_fn.next_functions])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The `_saved_*` attributes are torch's introspection of the values its generated backward code keeps;
# they exist for every built-in node (their names come from `derivatives.yaml`). Our engine keeps the same
# values in `ctx.saved_tensors`, version-checked so an in-place change after saving is caught (notebook 09,
# in-place operations). Point out that `next_functions` of `y` lead to two `AccumulateGrad` nodes: the leaves.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The backward pass: a topological order and the chain rule
#
# `backward` must visit a node only when *every* path into it has delivered its gradient. A
# depth-first search from the output, reversed, gives such an order (a **topological order**):

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why an order at all: a node may run only once every gradient flowing into it has
# arrived. Draw Q's graph and ask in which order the nodes can run.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(topological_order))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A depth-first walk that appends a node after its inputs, reversed: about fifteen
# lines. Compare with the tree walk of 02.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Then the engine visits the nodes in that order. Each node's `backward` turns the gradient of its output
# into gradients of its inputs (the **chain rule**: $\frac{\partial Q}{\partial x} = \frac{\partial Q}{\partial y}\,\frac{\partial y}{\partial x}$),
# and `task.send` adds them into the `InputBuffer` of the next node. Here is that loop,
# `run_backward`, whole (the pre-hooks and the capture are for notebook 09's hooks and
# `autograd.grad`; torch's engine has the same steps):

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The chain rule, node by node: each backward turns the gradient of its output into
# gradients of its inputs, and send() adds them up at the next node.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(run_backward))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Its helpers, each named as in torch's engine. A `GraphTask` is one run of backward; it keeps an
# `InputBuffer` per node, where the gradients arriving on different paths are added:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(InputBuffer))
print(inspect.getsource(GraphTask.send))

# %% [markdown] slideshow={"slide_type": "subslide"}
# `call_function` runs one node: its backward (`node(*grads)`, as `grad_fn(*grads)` in torch), the
# node's post-hooks, then it frees what the node saved; the result is what to send along each edge:

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(call_function))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The loop of run_backward, key lines first; the whole function follows on the sub-
# slides. Point at three things: buffers (gradients waiting per node), the call to the node's
# backward, and send().

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The order, in both engines
# torch does not expose its order, but every torch node accepts a hook that runs when the node runs, so
# we can record it. `afs.frames.backward_steps` does exactly that (for a tensor of either engine), and
# also records the gradient each node receives and sends.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch hides its order, but a hook on every node records it: same order as ours on
# Q. Hooks come back in 09.

# %% slideshow={"slide_type": "fragment"}
a_t = torch.tensor([2.0, 3.0], requires_grad=True)
b_t = torch.tensor([6.0, 4.0], requires_grad=True)
Q_t = 3 * a_t**3 - b_t**2
a = afs.tensor([2.0, 3.0], requires_grad=True)
b = afs.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a**3 - b**2

steps = afs.frames.backward_steps(Q, gradient=afs.tensor([1.0, 1.0]))
steps_t = afs.frames.backward_steps(Q_t, gradient=torch.tensor([1.0, 1.0]))
order = [s.name for s in steps[1:]]
print("ours: ", order)
print("torch:", [s.name for s in steps_t[1:]])
print("our topological_order:", [n.name() for n in topological_order([Q.grad_fn])])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each step, as a table: what the node receives and what it sends along each edge.
# Follow the $a$ branch: $1 \to 3$ (the `3 *`) $\to 3 \cdot 3a^2 = 9a^2 = [36, 81]$.

# %% slideshow={"slide_type": "fragment"}
fmt = afs.frames.fmt_grad
for k, s in enumerate(steps):
    sends = ", ".join(f"{fmt(g)} -> {n.name()}" for n, g in s.sent) or "(adds into .grad)"
    print(f"{k}  {s.name:<15} receives {fmt(s.received):<10} sends {sends}")
same = [(s.name, fmt(s.received)) for s in steps] == [(t.name, fmt(t.received)) for t in steps_t]
print("torch's steps are the same:", same)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Follow the a branch on the table: 1, then 3 (from u = 3t), then 3 * 3a^2 = [36,
# 81]. Ask what the b branch receives (-1, then -2b).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The two graphs those steps walk, box for box the same:

# %% slideshow={"slide_type": "fragment"}
print("same graph:", afs.viz.graph_edges(Q) == afs.viz.graph_edges(Q_t))
afs.viz.side_by_side(Q, Q_t, params=[("a", a), ("b", b), ("Q", Q), ("a", a_t), ("b", b_t), ("Q", Q_t)])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both engines walk the same graph, box for box: the structure check prints True.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The backward pass, frame by frame
# `afs.frames.backward_frames` draws one picture per step: the node that runs is orange, every gradient
# sent so far is written on its edge, and the arrowheads point the way gradients flow (towards the leaves).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The key visual: press the right arrow once per frame. At each frame ask what the
# orange node receives and what it sends, before showing the next one. Seven frames, about five
# minutes.

# %% slideshow={"slide_type": "skip"}
pictures = afs.frames.backward_frames(Q, gradient=afs.tensor([1.0, 1.0]), params={"a": a, "b": b, "Q": Q})
print(len(pictures), "frames, one per step:", len(pictures) == len(steps))

# %% [markdown] slideshow={"slide_type": "skip"}
# Drag the slider or press play (needs a running kernel; the same frames follow as a static strip).

# %% slideshow={"slide_type": "skip"}
import ipywidgets as widgets
from IPython.display import display

svgs = [p.pipe(format="svg", encoding="utf-8") for p in pictures]
svgs = [svg[svg.index("<svg"):] for svg in svgs]  # inline SVG, without the XML prologue
step_slider = widgets.IntSlider(value=0, min=0, max=len(pictures) - 1, description="step")
player = widgets.Play(value=0, min=0, max=len(pictures) - 1, interval=1500)
widgets.jslink((player, "value"), (step_slider, "value"))
view = widgets.HTML(value=svgs[0])
step_slider.observe(lambda change: setattr(view, "value", svgs[change["new"]]), names="value")
display(_course.interactive(widgets.VBox([widgets.HBox([player, step_slider]), view]), first_state=pictures[0]))
print("stepper over", len(pictures), "frames")

# %% slideshow={"slide_type": "subslide"}
afs.frames.strip(pictures, columns=4)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Walk the frames left to right, top to bottom. Step 0 seeds the output with $v = [1, 1]$ (the tutorial's
# `external_grad`). `SubBackward0` sends $v$ to the left and $-v$ to the right. The `b` branch finishes first
# (steps 2–3) because of the depth-first order, then the `a` branch. The edge into `a` carries
# $[36, 81] = 9a^2$ and the one into `b` carries $[-12, -8] = -2b$: the tutorial's check.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same frames are committed as images in `figures/backward_frames/`, drawn with this same
# `backward_frames` by `scripts/make_figures.py` (`make figures`). To save your own,
# `afs.frames.save_frames(frames, folder)` writes an SVG and a PNG per frame:

# %% slideshow={"slide_type": "fragment"}
FIGURES_DIR = Path(afs.__file__).resolve().parent.parent / "figures" / "backward_frames"
print("figures/backward_frames:", ", ".join(sorted(p.name for p in FIGURES_DIR.glob("*.svg"))))
with tempfile.TemporaryDirectory() as folder:
    written = afs.frames.save_frames(pictures, Path(folder) / "my_frames")
    print(len(written), "files written:", ", ".join(p.name for p in written[:4]), "...")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The same frames are committed as figures; students can save their own with
# save_frames. Skip if short of time.

# %% [markdown] slideshow={"slide_type": "subslide"}
# After all that, `Q.backward` writes exactly those leaf gradients into `.grad`, in both engines:

# %% slideshow={"slide_type": "fragment"}
Q_t.backward(gradient=torch.tensor([1.0, 1.0]))
Q.backward(gradient=afs.tensor([1.0, 1.0]))
afs.compare.report("a.grad", a.grad, a_t.grad)
afs.compare.report("b.grad", b.grad, b_t.grad)
print("a.grad == 9a²:", bool((a.grad == 9 * a**2).all()), "| b.grad == -2b:", bool((b.grad == -2 * b).all()))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The leaf gradients in .grad are the numbers of the last frame: 9a^2 and -2b in
# both engines.

# %% [markdown] tags=["lecture-break"] slideshow={"slide_type": "slide"}
# ## 4. Accumulate, never assign
#
# When a tensor is used twice, two edges carry gradient into it, and the chain rule says the
# contributions **add**: for $y = x \cdot x$, $\frac{dy}{dx} = x + x = 2x$.
# Early tinygrad wrote `grad = g` instead of `grad += g` and got reused tensors wrong; the lecture
# that builds micrograd walks into the same bug on purpose before fixing it with `+=`. Below is a tiny scalar engine with exactly that bug.
#
# ⚠️ **The WRONG version** — a counter-example, not our engine:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Set up the bug before showing it: x * x uses x twice, so two edges carry gradient
# into x and they must be added. Ask: what goes wrong if backward assigns instead of adds?

# %% slideshow={"slide_type": "subslide"}
class WrongScalar:
    """WRONG ON PURPOSE: a scalar autograd whose backward ASSIGNS gradients instead of adding them."""

    def __init__(self, value, parents=()):
        self.value, self.parents, self.grad = value, parents, 0.0
        self.backward_rule = lambda: None

    def __mul__(self, other):
        out = WrongScalar(self.value * other.value, (self, other))

        def rule():
            self.grad = other.value * out.grad   # BUG: should be +=
            other.grad = self.value * out.grad   # BUG: when other is self, this overwrites the line above

        out.backward_rule = rule
        return out

    def backward(self):  # the topological order is right; only the rules above are wrong
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                [visit(p) for p in v.parents]
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v.backward_rule()


x_wrong = WrongScalar(3.0)
(x_wrong * x_wrong).backward()
print("wrong engine: d(x*x)/dx at x=3 =", x_wrong.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The wrong engine on purpose (from micrograd's and tinygrad's history). Point at
# the two BUG comments; the topological order is right, only the assignment is wrong.

# %% slideshow={"slide_type": "fragment"}
x_t = torch.tensor(3.0, requires_grad=True)
(x_t * x_t).backward()
x = afs.tensor(3.0, requires_grad=True)
(x * x).backward()
print(f"assigning engine: {x_wrong.grad}   torch: {x_t.grad.item()}   afs: {x.grad.item()}   (2x = {2 * 3.0})")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: torch and afs give 2x = 6; the assigning engine gives 3, one use of x lost.
# Likely question: why not just use += everywhere? (That is exactly the fix.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# In our engine the sum happens in two places. `InputBuffer.add` (above) adds the gradients arriving at a node
# before the node runs; `AccumulateGrad.accumulate` adds what reaches a leaf into `.grad`. That same `+=`
# is why `.grad` keeps growing across backward calls until it is cleared (notebook 02, `zero_grad`):

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Part 2 starts here: recap the bug in one sentence, then the two places our engine
# adds, send() between nodes and AccumulateGrad at the leaves.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.AccumulateGrad.accumulate))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: accumulate: the first gradient is stored, later ones added; with create_graph the
# sum is itself recorded (for 09's higher derivatives).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The two edges from `MulBackward0` to `x` each carry $3$; they meet in one arrow labelled `3 + 3`:

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor(3.0, requires_grad=True)
y = x * x
last = afs.frames.backward_steps(y)[-1]
print(last.name, "adds", fmt(last.received), "into x.grad")
afs.frames.backward_frames(y, params={"x": x, "y": y})[-1]

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The arrow labelled 3 + 3 is the whole lesson of the section. Ask what it would
# say for x * x * x (3x^2 = 27 at x = 3, three edges).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Your own op: one class body, two engines
#
# A new op is a `Function` with `forward(ctx, ...)` and `backward(ctx, grad)`; `ctx.save_for_backward`
# keeps what backward needs. Our API mirrors torch's, so **the same class body** works for
# `torch.autograd.Function` and `afs.autograd.Function`. Example: a numerically stable log-sigmoid, the
# building block of the logistic loss,
# $$\log\sigma(x) = -\log\left(1 + e^{-x}\right) = \min(x, 0) - \log\left(1 + e^{-|x|}\right), \qquad
# \frac{d}{dx}\log\sigma(x) = 1 - \sigma(x) = \sigma(-x).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A custom op needs forward, backward and ctx.save_for_backward; the same class
# body works on torch.autograd.Function and on ours because the API is the same.

# %% slideshow={"slide_type": "subslide"}
def logsigmoid_for(Function):
    """The same LogSigmoid class, built on the Function base class of either engine."""

    class LogSigmoid(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(max=0) - (1 + (-x.abs()).exp()).log()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (-x).sigmoid()

    return LogSigmoid


TorchLogSigmoid = logsigmoid_for(torch.autograd.Function)
AfsLogSigmoid = logsigmoid_for(afs.autograd.Function)
print(TorchLogSigmoid.__name__, "on", TorchLogSigmoid.__mro__[1].__module__, "|",
      AfsLogSigmoid.__name__, "on", AfsLogSigmoid.__mro__[1].__module__)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read forward and backward against the math on the previous slide: backward
# returns grad times (1 - sigmoid(x)).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The pairing: torch, afs, check (against torch's own `F.logsigmoid` too).

# %% slideshow={"slide_type": "fragment"}
x_t = torch.randn(5, dtype=torch.float64, requires_grad=True)
s_t = TorchLogSigmoid.apply(x_t)
s_t.sum().backward()
print(s_t.grad_fn.name(), [round(v, 4) for v in s_t.tolist()])

# %% slideshow={"slide_type": "fragment"}
x = afs.tensor(x_t.detach(), requires_grad=True)  # the same values, float64
s = AfsLogSigmoid.apply(x)
s.sum().backward()
print(s.grad_fn.name(), [round(v, 4) for v in s.tolist()])

# %% slideshow={"slide_type": "fragment"}
afs.compare.report("logsigmoid(x)", s, s_t, tol=1e-12)
afs.compare.report("x.grad = sigmoid(-x)", x.grad, x_t.grad, tol=1e-12)
afs.compare.report("vs F.logsigmoid", s, torch.nn.functional.logsigmoid(x_t), tol=1e-12)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The pairing again: torch, afs, and a check against torch's own F.logsigmoid.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Why write it by hand: the textbook `x.sigmoid().log()` breaks for large negative $x$. $\sigma(-1000)$
# rounds to $0$, so the value is $-\infty$, and autograd's chain rule through it multiplies $\infty$ by $0$:
# the gradient is `nan`. The rewritten op gives $-1000$ with gradient $1$:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Why not x.sigmoid().log()? Ask the room what sigmoid(-1000) is in float64 (0, so
# log gives -inf). The stable form never takes the log of a rounded zero.

# %% slideshow={"slide_type": "fragment"}
values = [-1000.0, 1000.0, 0.0]
naive_t = torch.tensor(values, requires_grad=True)
naive = afs.tensor(values, requires_grad=True)
naive_out_t = naive_t.sigmoid().log()
naive_out_t.sum().backward()
with np.errstate(divide="ignore", invalid="ignore"):  # numpy warns where torch silently returns inf, nan
    naive_out = naive.sigmoid().log()
    naive_out.sum().backward()
print("naive  values, torch:", [round(v, 4) for v in naive_out_t.tolist()], "| afs:", [round(v, 4) for v in naive_out.tolist()])
print("naive  grads,  torch:", naive_t.grad.tolist(), "| afs:", naive.grad.tolist())

stable_t = torch.tensor(values, requires_grad=True)
stable = afs.tensor(values, requires_grad=True)
out_t, out = TorchLogSigmoid.apply(stable_t), AfsLogSigmoid.apply(stable)
out_t.sum().backward()
out.sum().backward()
print("stable values, torch:", [round(v, 4) for v in out_t.tolist()], "| afs:", [round(v, 4) for v in out.tolist()])
print("stable grads,  torch:", stable_t.grad.tolist(), "| afs:", stable.grad.tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The naive version gives -inf and nan gradients in both engines; ours gives finite
# values. Point out that both engines fail identically, which is the twin's promise.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `gradcheck`: is the backward right?
# `gradcheck` compares `backward` with central differences,
# $\frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}$, for every input element. Use
# float64: in float32 the difference quotient loses most of its digits.

# %% slideshow={"slide_type": "fragment"}
x_t = torch.randn(6, dtype=torch.float64, requires_grad=True)
x = afs.tensor(x_t.detach(), requires_grad=True)
ok_t = torch.autograd.gradcheck(TorchLogSigmoid.apply, (x_t,))
ok_afs = afs.autograd.gradcheck(AfsLogSigmoid.apply, (x,))
print("torch.autograd.gradcheck:", ok_t, "| afs.autograd.gradcheck:", ok_afs)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: gradcheck: central differences in float64 against backward, for every input
# element. Tell the class: write a custom op, gradcheck it, always.

# %% [markdown] slideshow={"slide_type": "subslide"}
# And a wrong backward is caught by both. Here the backward forgets to multiply by the incoming gradient,
# a slip that goes unnoticed as long as the op is the last one (its incoming gradient is then 1):

# %% slideshow={"slide_type": "fragment"}
def broken_logsigmoid_for(Function):
    class BrokenLogSigmoid(logsigmoid_for(Function)):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return (-x).sigmoid()  # BUG: the chain rule needs grad * sigmoid(-x)

    return BrokenLogSigmoid


BrokenT, BrokenA = broken_logsigmoid_for(torch.autograd.Function), broken_logsigmoid_for(afs.autograd.Function)
ok_t = torch.autograd.gradcheck(lambda v: 2 * BrokenT.apply(v), (x_t,), raise_exception=False)
ok_afs = afs.autograd.gradcheck(lambda v: 2 * BrokenA.apply(v), (x,), raise_exception=False)
print("torch.autograd.gradcheck:", ok_t, "| afs.autograd.gradcheck:", ok_afs)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A backward that forgets the incoming gradient passes for grad = 1 but fails
# gradcheck, which backpropagates one unit vector at a time, not all ones. Both engines catch it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("inside_the_engine", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/04_inside_the_engine.py`).
# ### Exercise 1 · A cube op
# Write `Cube`, $y = x^3$ with $\frac{dy}{dx} = 3x^2$, as one class body for both engines. The check
# compares its values and its gradients (under an upstream gradient that is not all ones) with torch's
# `x ** 3`, in both engines.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes: Cube in one class body for both engines; the check compares values and
# gradients with torch's x ** 3, under an upstream gradient that is not all ones. The common slip: returning 3 * x**2 without multiplying by grad.

# %% slideshow={"slide_type": "fragment"}
def cube_for(Function):
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ...  # your code: save what backward needs, return x cubed

        @staticmethod
        def backward(ctx, grad):
            ...  # your code: return grad times dy/dx

    return Cube


print("Cube defined:", cube_for(afs.autograd.Function).__name__)

# %% slideshow={"slide_type": "fragment"}
def check_cube():
    with _course.exercise(1) as check:
        x_t = torch.linspace(-2, 2, 5, dtype=torch.float64, requires_grad=True)
        upstream = torch.tensor([1.0, -2.0, 3.0, 0.5, 4.0], dtype=torch.float64)
        (expected,) = torch.autograd.grad((x_t**3 * upstream).sum(), x_t)
        for engine in (torch, afs):
            Cube = cube_for(engine.autograd.Function)
            x = engine.tensor(x_t.detach().numpy(), requires_grad=True)
            y = Cube.apply(x)
            check.same(y, x_t.detach()**3, f"Cube.apply(x) in {_course.engine_name(engine)}")
            (grad,) = engine.autograd.grad((y * engine.tensor(upstream.numpy())).sum(), x)
            check.same(grad, expected, f"the gradient of Cube in {_course.engine_name(engine)} (upstream gradient "
                       f"{upstream.tolist()})")


check_cube()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2 · Predict the bug
# What does the **wrong**, assigning engine give for $\frac{d}{dx}(x \cdot x \cdot x)$ at $x = 3$ (computed as
# `(x * x) * x`)? The right answer is $3x^2 = 27$. Work it out on paper, following the reversed order
# `(x*x)*x`, then `x*x`; then write your number.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Predict on paper first: x * x * x through the assigning engine. Let two students
# explain their answer before anyone runs it.

# %% slideshow={"slide_type": "fragment"}
predicted_wrong_grad = None  # your number

print("your prediction:", predicted_wrong_grad)

# %% slideshow={"slide_type": "fragment"}
def check_prediction():
    with _course.exercise(2) as check:
        check.answered(predicted_wrong_grad, "predicted_wrong_grad")
        x_wrong = WrongScalar(3.0)
        ((x_wrong * x_wrong) * x_wrong).backward()
        check.true(predicted_wrong_grad != 27, "27 is the right gradient, 3x², which an engine that adds "
                   "gets; the assigning engine overwrites: follow its two rules again")
        check.equal(predicted_wrong_grad, x_wrong.grad, "the assigning engine's x.grad")


check_prediction()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3 · Two inputs
# Write `Hypot`, $z = \sqrt{a^2 + b^2}$, with $\frac{\partial z}{\partial a} = \frac{a}{z}$ and
# $\frac{\partial z}{\partial b} = \frac{b}{z}$: `backward` returns **one gradient per input**.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Two inputs, so backward returns two gradients, in the order of forward's
# arguments. Hint: save z in ctx, since both gradients divide by it.

# %% slideshow={"slide_type": "fragment"}
def hypot_for(Function):
    class Hypot(Function):
        @staticmethod
        def forward(ctx, a, b):
            ...  # your code

        @staticmethod
        def backward(ctx, grad):
            ...  # your code: return (grad for a, grad for b)

    return Hypot


print("Hypot defined:", hypot_for(afs.autograd.Function).__name__)

# %% slideshow={"slide_type": "fragment"}
def check_hypot():
    with _course.exercise(3) as check:
        a_t = torch.tensor([3.0, 1.0, -2.0], dtype=torch.float64, requires_grad=True)
        b_t = torch.tensor([4.0, 1.0, 0.5], dtype=torch.float64, requires_grad=True)
        upstream = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
        expected = torch.autograd.grad((torch.hypot(a_t, b_t) * upstream).sum(), (a_t, b_t))
        for engine in (torch, afs):
            Hypot = hypot_for(engine.autograd.Function)
            a, b = (engine.tensor(t.detach().numpy(), requires_grad=True) for t in (a_t, b_t))
            z = Hypot.apply(a, b)
            check.same(z, torch.hypot(a_t, b_t), f"Hypot.apply(a, b) in {_course.engine_name(engine)}")
            grads = engine.autograd.grad((z * engine.tensor(upstream.numpy())).sum(), (a, b))
            for name, got, want in zip("ab", grads, expected):
                check.same(got, want, f"the gradient of Hypot for {name} in {_course.engine_name(engine)}")


check_hypot()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
# - A `Function` is both the op and the graph node: `apply` records `next_functions`, and `forward` saves
#   what `backward` needs (`ctx.save_for_backward`), as torch's nodes do (`_saved_self`, `_saved_result`).
# - `backward` visits the nodes in a topological order (the same order as torch on $Q$) and applies the
#   chain rule at each; the frames show the gradient on every edge, ending in $9a^2$ and $-2b$.
# - Gradients are **added**, never assigned: `x * x` gives $2x$ in both engines, the assigning engine
#   gives $x$.
# - A custom op is one class body for `torch.autograd.Function` and `afs.autograd.Function`;
#   `gradcheck` (float64) verifies its backward in both.
#
# **Next:** [05 · Vector calculus](05_vector_calculus.ipynb) — the Jacobian, and why `backward` computes a
# vector-Jacobian product.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap with the frames in mind: order, chain rule at each node, gradients added.
# Next lecture: why backward is a vector-Jacobian product.
