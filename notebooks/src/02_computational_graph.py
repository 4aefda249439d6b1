# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: rise
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {display_name: Python 3, language: python, name: python3}
#   rise: {width: 1280, height: 720, scroll: true, theme: white, slideNumber: c/t, transition: none, center: false, enable_chalkboard: false}
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · The computational graph
#
# **You will learn**
# - what autograd records during the forward pass: `grad_fn` nodes linked by `next_functions`, and leaves reached through `AccumulateGrad`;
# - how long that graph lives: rebuilt at every forward, gradients that accumulate, saved tensors freed by backward.
#
# **Builds on:** [01 · First gradients](01_first_gradients.ipynb), where `Q.backward()` gave
# $\partial Q / \partial a = 9a^2$ and $\partial Q / \partial b = -2b$ in both engines.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: This notebook covers the tutorial's section *Computational Graph*. The graph is an object
# students can poke at: every cell prints a piece of it. Notebook 04 then opens the engine that
# walks it.

# %% slideshow={"slide_type": "subslide"}
import inspect
import textwrap
import warnings

import torch

import autograd_from_scratch as afs
import _course  # notebooks/_course: the pictures of an unrun notebook, the exercise checks

_course.show_pictures()

torch.manual_seed(0)
afs.manual_seed(0)
print("torch and autograd_from_scratch imported")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A record of every operation
#
# Autograd keeps a record of the data and of every operation done on it, as a directed acyclic
# graph (DAG) of *function objects*. The **leaves** are the input tensors, the **root** is the
# output. During a forward pass, autograd does two things at once:
#
# - it runs the operation and computes the result;
# - it records the operation's *gradient function* in the graph (the result's `grad_fn`).
#
# Calling `.backward()` on the root then, for each node from the root down, computes the gradients
# of the node's inputs with its `grad_fn`, accumulates them in each leaf's `.grad` and, by the
# chain rule, passes them on all the way to the leaves.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Ask: does autograd decide what to record before the forward pass, or while it
# runs? (While: nothing is declared in advance.) Stress the two things every operation does at once:
# compute its result, and record its grad_fn. Likely confusion: the graph holds the functions of the
# *backward* pass, not the forward operations.

# %% [markdown] slideshow={"slide_type": "subslide"}
# For $Q = 3a^3 - b^2$, with $t = a^3$ and $u = 3t$, the chain rule that backward applies along the
# left branch is
#
# $$\frac{\partial Q}{\partial a} = \frac{\partial Q}{\partial u}\,\frac{\partial u}{\partial t}\,\frac{\partial t}{\partial a} = 1 \cdot 3 \cdot 3a^2 = 9a^2 ,$$
#
# one factor per node of the graph. Let us build `Q` again in both engines and look at the graph.

# %% slideshow={"slide_type": "fragment"}
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a**3 - b**2

a_ours = afs.tensor([2., 3.], requires_grad=True)
b_ours = afs.tensor([6., 4.], requires_grad=True)
Q_ours = 3 * a_ours**3 - b_ours**2
afs.compare.report("Q", Q_ours, Q)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Write the three factors next to the left branch of the graph: one factor per
# node. Ask which node contributes the 3 (u = 3t, so du/dt = 3). Run the cell: the values agree in
# both engines before any gradient is shown.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `grad_fn`: the node that made a tensor
#
# The root of the graph is the node of the last operation, here the subtraction. Its `name()` is
# the same in both engines.

# %% slideshow={"slide_type": "fragment"}
print(f"torch: {Q.grad_fn.name()}")
print(f"afs  : {Q_ours.grad_fn.name()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The name is the op's backward, SubBackward0, not Sub; the 0 is torch's version
# number of that formula. afs copies torch's names so that one drawing function serves both engines.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `next_functions`: the edges
#
# A node's `next_functions` holds one pair `(node, output_nr)` per input of the operation, in
# argument order: the node that produced that input, and which of its outputs it was (always 0
# here, since every operation has one output). `None` marks an input that needs no gradient, like
# the constant 3 in `3 * a**3`. (Python runs `3 * t` as `t.__rmul__(3)`, that is `t * 3`, so the
# constant is the *second* input of the multiplication.)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The surprise on this slide: the constant 3 is the *second* input of the
# multiplication (Python runs 3 * t as t.__rmul__(3)). Ask the room to predict
# Q.grad_fn.next_functions before running the next cell.

# %% slideshow={"slide_type": "fragment"}
def edges(node):
    """A node's next_functions as (name, output_nr) pairs: names, not memory addresses."""
    return [(afs.viz.node_name(n) if n is not None else None, nr) for n, nr in node.next_functions]


print(f"torch: {edges(Q.grad_fn)}")
print(f"afs  : {edges(Q_ours.grad_fn)}")
print(f"torch, one level down: {edges(Q.grad_fn.next_functions[0][0])}")
print(f"afs,   one level down: {edges(Q_ours.grad_fn.next_functions[0][0])}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Run it live and read the output as pairs (node, output_nr). None marks the
# constant, which needs no gradient. Expect the confusion: output_nr is which output of the
# producing node, not the input's position.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Following `next_functions` from the root reaches every node. A few lines of Python print the
# whole graph as a tree:

# %% slideshow={"slide_type": "fragment"}
def graph_lines(node, leaf_names, indent=""):
    """The graph below `node`, one line per edge, following next_functions in order."""
    lines = [] if indent else [afs.viz.node_name(node)]
    pairs = node.next_functions
    for k, (child, nr) in enumerate(pairs):
        last = k == len(pairs) - 1
        name = afs.viz.node_name(child) if child is not None else None
        leaf = f"   .variable is {leaf_names[id(child.variable)]}" if hasattr(child, "variable") else ""
        lines.append(f"{indent}{'└─' if last else '├─'} ({name}, {nr}){leaf}")
        if child is not None:
            lines += graph_lines(child, leaf_names, indent + ("   " if last else "│  "))
    return lines


print("graph_lines defined")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: A ten-line recursive walk prints the whole graph; in 03 the class sees the same
# kind of walk give the topological order. If short of time, skip the tree-drawing details (the
# branch characters).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The graph of `Q`, as a tree; each line is one pair of a `next_functions`:

# %% slideshow={"slide_type": "fragment"}
names = {id(a): "a", id(b): "b", id(a_ours): "a", id(b_ours): "b"}
tree_torch = graph_lines(Q.grad_fn, names)
tree_ours = graph_lines(Q_ours.grad_fn, names)
print("\n".join(tree_ours))
print(f"same tree in torch: {tree_ours == tree_torch}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Read the tree from the root down and hold it against the drawing from notebook
# 01. Ask: where are a and b? (Under AccumulateGrad nodes: next slide.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Leaves and `AccumulateGrad`
#
# `a` and `b` were created by us, not by an operation: they are **leaves** (`is_leaf` is True,
# `grad_fn` is None). The graph reaches a leaf that requires grad through an `AccumulateGrad`
# node, whose `.variable` *is* the leaf: that node writes the gradient into `leaf.grad`.

# %% slideshow={"slide_type": "fragment"}
acc_a = Q.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
acc_a_ours = Q_ours.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
print(f"torch: {acc_a.name()} | .variable is a: {acc_a.variable is a}")
print(f"afs  : {acc_a_ours.name()} | .variable is a: {acc_a_ours.variable is a_ours}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# (torch's full name is `torch::autograd::AccumulateGrad`, because that node is written in C++;
# `afs.viz.node_name` shortens it.)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Three words to keep apart: leaf (made by the user, not by an operation),
# requires_grad (tracked), AccumulateGrad (the node that writes leaf.grad). A leaf with
# requires_grad=False has no AccumulateGrad node at all.

# %% slideshow={"slide_type": "fragment"}
for engine, tensors in [("torch", (a, b, Q)), ("afs  ", (a_ours, b_ours, Q_ours))]:
    is_leaf = {name: t.is_leaf for name, t in zip("abQ", tensors)}
    print(f"{engine} is_leaf: {is_leaf} | a.grad_fn is None: {tensors[0].grad_fn is None}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Check question: is torch.tensor([1.], requires_grad=True) * 2 a leaf? (No: it has
# a grad_fn, MulBackward0.) Q is not a leaf; a.grad_fn is None in both engines.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our `AccumulateGrad` in full (from `autograd_from_scratch/autograd/function.py`): the first
# gradient is stored, later ones are *added*.

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.AccumulateGrad))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The whole AccumulateGrad is on the sub-slides below. Skip them (right arrow) unless
# someone asks how the first gradient is stored (a copy) and later ones added (in place).

# %% [markdown] slideshow={"slide_type": "subslide"}
# In the drawings, a leaf's blue box stands for its `AccumulateGrad` node; here they are
# highlighted in orange.

# %% slideshow={"slide_type": "fragment"}
leaf_names = [("a", a), ("b", b), ("Q", Q), ("a", a_ours), ("b", b_ours), ("Q", Q_ours)]
afs.viz.side_by_side(Q_ours, Q, params=leaf_names, highlight=[a, b, a_ours, b_ours])

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Match each orange box to its leaf. In both drawings the leaves are at the top and
# the root Q at the bottom; the same function draws either engine's nodes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Only leaves keep `.grad`
#
# Write `Q` in steps, so the intermediate results have names. After backward, the leaves have
# their gradients, but the intermediate `t = a**3` (a non-leaf) has none: autograd passes its
# gradient on and forgets it, to save memory. Reading it gives None, and both engines warn.

# %% slideshow={"slide_type": "fragment"}
t = a**3
u = 3 * t
Q = u - b**2
Q.backward(gradient=torch.tensor([1., 1.]))

t_ours = a_ours**3
u_ours = 3 * t_ours
Q_ours = u_ours - b_ours**2
Q_ours.backward(gradient=afs.tensor([1., 1.]))

print(f"is_leaf: a {a.is_leaf} | t {t.is_leaf} | both engines agree: {t_ours.is_leaf == t.is_leaf}")
print(f"a.grad: {a.grad} | afs: {a_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Ask before running: after Q.backward(), what is t.grad? Many expect a number. It
# is None: a non-leaf's gradient is passed on and forgotten, to save memory.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Reading `t.grad` gives None in both engines, with the same warning (we catch it to print its
# first sentence).

# %% slideshow={"slide_type": "fragment"}
def read_grad(tensor):
    """tensor.grad, and the first sentence of any warning that reading it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = tensor.grad
    return grad, [str(w.message).split(". ")[0] + "." for w in caught]


for engine, tensor in [("torch", t), ("afs  ", t_ours)]:
    grad, messages = read_grad(tensor)
    print(f"{engine} t.grad = {grad}")
    for message in messages:
        print(textwrap.fill(f"      warning: {message}", width=96, subsequent_indent="        "))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Both engines warn with the same sentence. A common real bug: reading .grad of a
# non-leaf silently gives None, and the warning is the only hint.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `retain_grad()`
#
# To keep a non-leaf's gradient, ask for it before backward. Here
# $\partial Q / \partial t = \partial Q / \partial u \cdot \partial u / \partial t = 3$:

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: retain_grad() must come before backward; calling it afterwards does nothing for
# the pass already done. Here dQ/dt = 3 for each element.

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad, a_ours.grad, b_ours.grad = None, None, None, None  # start again from empty .grad

t = a**3
t.retain_grad()
Q = 3 * t - b**2
Q.backward(gradient=torch.tensor([1., 1.]))

t_ours = a_ours**3
t_ours.retain_grad()
Q_ours = 3 * t_ours - b_ours**2
Q_ours.backward(gradient=afs.tensor([1., 1.]))

print(f"torch: t.retains_grad {t.retains_grad} | t.grad {t.grad}")
print(f"afs  : t.retains_grad {t_ours.retains_grad} | t.grad {t_ours.grad}")
afs.compare.report("t.grad", t_ours.grad, t.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Point at the first line: .grad is reset to None, or the gradients of the previous
# slide would add up (the next section shows why). t.retains_grad is True in both engines.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The graph is rebuilt at every forward pass
#
# Nothing is declared in advance: each operation adds its node as it runs, and the next forward
# pass starts a new graph. So ordinary Python control flow just works: a loop that runs a
# data-dependent number of times, an `if` on a tensor's value. The graph records only what
# actually ran.

# %% slideshow={"slide_type": "fragment"}
def f(x):
    """Double x until it is big enough, then pick a formula by its sign."""
    y = x * 2
    while y.abs().sum() < 2:
        y = y * 2
    if y.sum() > 0:
        return (y * y).sum()
    return y.tanh().sum()


print("f defined")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Ask: could a framework that builds its graph in advance express this while loop?
# Define-by-run means the graph is whatever ran. Keep f on screen for the next slides.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Run it, in both engines, on two inputs:

# %% slideshow={"slide_type": "fragment"}
inputs = {"x1": [0.5, 1.0], "x2": [-0.25, 0.125]}
runs = {}
for key, values in inputs.items():
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    x_ours = afs.tensor(values, dtype=afs.float64, requires_grad=True)
    out, out_ours = f(x), f(x_ours)
    out.backward()
    out_ours.backward()
    runs[key] = (x, x_ours, out, out_ours)
    print(f"{key} = {values}: f = {out.item():.4f}; nodes from the leaf to the output:")
    path = " → ".join(reversed([e.name for e in afs.viz.graph_edges(out)]))
    print(f"    {path}")
    afs.compare.report(f"  {key}.grad", x_ours.grad, x.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Trace f by hand for x2 = [-0.25, 0.125] before running: |y| sums to 0.75, so it
# doubles twice; the sum is negative, so tanh. For x1 the loop never runs.

# %% [markdown] slideshow={"slide_type": "subslide"}
# For `x1` the loop never runs and the `if` takes the first branch; for `x2` the loop runs twice and
# the `if` takes the second. Two inputs, two different graphs, in both engines:

# %% slideshow={"slide_type": "fragment"}
x, x_ours, out, out_ours = runs["x1"]
print(f"same graph in both engines: {afs.viz.graph_edges(out_ours) == afs.viz.graph_edges(out)}")
afs.viz.side_by_side(out_ours, out, params=[("x1", x), ("f", out), ("x1", x_ours), ("f", out_ours)],
                     title="f(x1), x1 = [0.5, 1.0]: no loop, first branch")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: x1: no loop, first branch: two MulBackward0 nodes (x * 2, then y * y) and a
# SumBackward0. Ask the class to count x2's nodes before showing its graph.

# %% slideshow={"slide_type": "subslide"}
x, x_ours, out, out_ours = runs["x2"]
print(f"same graph in both engines: {afs.viz.graph_edges(out_ours) == afs.viz.graph_edges(out)}")
afs.viz.side_by_side(out_ours, out, params=[("x2", x), ("f", out), ("x2", x_ours), ("f", out_ours)],
                     title="f(x2), x2 = [-0.25, 0.125]: two loops, second branch")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The comparisons `y.abs().sum() < 2` and `y.sum() > 0` also ran with tensors that require grad:
# they made small graphs of their own, which nothing connects to the output, so they are not in
# the drawing and are simply thrown away. Point out the `(y * y)` node: `y` enters MulBackward0
# twice, so the drawing has one arrow but `next_functions` has two pairs.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Gradients accumulate
#
# `AccumulateGrad` *adds* into `.grad`. Call backward three times (three fresh forward passes) and
# the gradient of $\sum x^2$, which is $2x$, is summed three times:

# %% slideshow={"slide_type": "fragment"}
x = torch.tensor([1., 2.], requires_grad=True)
x_ours = afs.tensor([1., 2.], requires_grad=True)
for step in range(3):
    (x**2).sum().backward()
    (x_ours**2).sum().backward()
    print(f"after backward {step + 1}: torch {x.grad}   afs {x_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Demo: run the cell, then run it again live: the printed .grad grows by the same
# amount each time. This is the classic training-loop bug; zero_grad() is the fix (notebook 10).

# %% [markdown] slideshow={"slide_type": "subslide"}
# This is on purpose: a tensor used in several places must receive the *sum* of the gradients from
# each use, and summing over several backward calls lets you add up the gradients of several
# mini-batches before one update. But in an ordinary training loop each step wants fresh
# gradients, so the loop clears them first. That is what `optimizer.zero_grad()` is for. Two ways:

# %% slideshow={"slide_type": "fragment"}
x.grad.zero_()            # fill the existing buffer with zeros
x_ours.grad.zero_()
print(f"after zero_():   torch {x.grad}   afs {x_ours.grad}")

x.grad = None             # or drop it: the next backward stores a new one
x_ours.grad = None        # (optimizer.zero_grad() does this by default)
print(f"after = None:    torch {x.grad}   afs {x_ours.grad}")

(x**2).sum().backward()
(x_ours**2).sum().backward()
print(f"one backward:    torch {x.grad}   afs {x_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The why: a tensor used in two places must receive the sum of both gradients, and
# accumulating across backward calls is the same mechanism. Ask for a use (gradient accumulation
# over several small batches).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Backward frees the graph
#
# Some nodes save tensors during the forward pass because their backward needs them:
# `PowBackward0` keeps `a` to compute $3a^2$. Once backward has used them, it frees them, so the
# memory of a large model's activations is returned right away. A first backward works:

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad, a_ours.grad, b_ours.grad = None, None, None, None

Q = 3 * a**3 - b**2
Q_ours = 3 * a_ours**3 - b_ours**2
Q.sum().backward()
Q_ours.sum().backward()
print(f"first backward: torch a.grad {a.grad} | afs a.grad {a_ours.grad}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Memory: the saved tensors (a for a**3, b for b**2) are most of a graph's size.
# They are freed after backward, so a second backward has nothing to work with.

# %% [markdown] slideshow={"slide_type": "subslide"}
# A second backward through the same graph then fails. This error is expected: the traceback is
# part of the lesson (the cell is tagged `raises-exception`).

# %% tags=["raises-exception"] slideshow={"slide_type": "fragment"}
Q.sum().backward()  # a second time through Q's graph, whose saved tensors are gone

# %% [markdown] slideshow={"slide_type": "fragment"}
# Our engine raises the same error, with the same message:

# %% slideshow={"slide_type": "skip"}
def error_of(call):
    """Run `call()`, which should fail, and return the error it raises."""
    try:
        call()
    except RuntimeError as e:
        return e
    return None


print("error_of defined")

# %% slideshow={"slide_type": "fragment"}
e_torch = error_of(lambda: Q.sum().backward())
e_ours = error_of(lambda: Q_ours.sum().backward())
print(f"torch: {type(e_torch).__name__} | afs: {type(e_ours).__name__} | "
      f"same message: {str(e_ours) == str(e_torch)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The error is expected (the cell is tagged raises-exception). Read its message
# aloud: it names the fix, retain_graph=True. Our engine raises the same RuntimeError with the same
# words.

# %% [markdown] slideshow={"slide_type": "subslide"}
# In our engine, a node drops its saved tensors right after its backward has run (unless
# `retain_graph=True`):

# %% slideshow={"slide_type": "fragment"}
print(inspect.getsource(afs.autograd.Function.release_saved))

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Short: the two lines of release_saved. The engine students write in 03 will
# keep everything alive; this is where the memory is given back.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `retain_graph=True`
#
# To go through the same graph twice, keep the saved tensors on the first pass. The gradients of
# the two passes accumulate, so `a.grad` is $2 \cdot 9a^2 = (72, 162)$:

# %% slideshow={"slide_type": "fragment"}
a.grad, b.grad, a_ours.grad, b_ours.grad = None, None, None, None

Q = 3 * a**3 - b**2
Q.sum().backward(retain_graph=True)
Q.sum().backward()

Q_ours = 3 * a_ours**3 - b_ours**2
Q_ours.sum().backward(retain_graph=True)
Q_ours.sum().backward()

print(f"torch a.grad: {a.grad}")
print(f"afs   a.grad: {a_ours.grad}")
afs.compare.report("a.grad after 2 passes", a_ours.grad, a.grad)

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: In practice `retain_graph=True` is rare: two losses that share a graph are usually added and
# backpropagated once. It is needed when a graph really must be traversed twice (e.g. computing
# several vector-Jacobian products, as `functional.jacobian` does row by row).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Leaving tensors out of the graph
#
# Autograd tracks only operations on tensors with `requires_grad=True`. A result requires
# gradients as soon as *one* of its inputs does; when none does, nothing is recorded.

# %% slideshow={"slide_type": "fragment"}
for engine in (torch, afs):
    x, y = engine.rand(5, 5), engine.rand(5, 5)
    z = engine.rand((5, 5), requires_grad=True)
    print(f"{engine.__name__:>21}: (x + y).requires_grad = {(x + y).requires_grad}, "
          f"(x + z).requires_grad = {(x + z).requires_grad}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# This is how the parameters of a pretrained model are *frozen* for fine-tuning, and `no_grad()`
# switches recording off altogether.
# [07 · Exclusion from the DAG](07_exclusion_from_the_dag.ipynb) covers both, and `detach()`, in full.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: One minute, a preview of notebook 07: requires_grad propagates (an OR over the
# inputs); no_grad and detach leave tensors out. Don't go deeper here.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Write each answer in its cell, then run the check below it: it says what is still wrong
# (a missing answer, the error your code raised, the element or setting that differs). Stuck?
# `_course.load_solution("computational_graph", N)` in a new cell brings in the reference solution of exercise N
# (from `solutions/02_computational_graph.py`).
#
# **1. Read a graph before drawing it.** For `z = a * b + a` (with `a`, `b` leaves that require
# grad), what are the names in `z.grad_fn.next_functions`, in order? Write them down, then check.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Six minutes. Students answer on paper first, then run the check cell in their
# notebook. The usual mistake: forgetting that a is reached twice, once through the product and once
# through the sum.

# %% slideshow={"slide_type": "fragment"}
my_names = None  # a list of node names, e.g. ["AddBackward0", "PowBackward0"]
print(f"my answer: {my_names}")


# %% slideshow={"slide_type": "skip"}
def check_exercise_1():
    with _course.exercise(1) as check:
        check.answered(my_names, "my_names")
        for engine in (torch, afs):
            a = engine.tensor([2., 3.], requires_grad=True)
            b = engine.tensor([6., 4.], requires_grad=True)
            z = a * b + a
            check.equal(list(my_names), [name for name, _ in edges(z.grad_fn)],
                        f"the names in z.grad_fn.next_functions ({_course.engine_name(engine)})")


check_exercise_1()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. One gradient per step.** This loop should return, for each step $k = 1, 2, 3$, the gradient
# of $k \sum x^2$, which is $2kx$. It returns something else. Fix it with one line (it must work
# for torch and afs tensors alike).

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The bug to find is accumulation: without resetting x.grad between steps, step k
# returns the sum of steps 1 to k. The check cell says which step differs.

# %% slideshow={"slide_type": "fragment"}
def per_step_grads(x, steps=3):
    grads = []
    for k in range(1, steps + 1):
        (k * x**2).sum().backward()
        grads.append(x.grad.clone())
    return grads


print("per_step_grads defined")


# %% slideshow={"slide_type": "skip"}
def check_exercise_2():
    with _course.exercise(2) as check:
        for engine in (torch, afs):
            x = engine.tensor([1., 2.], requires_grad=True)
            grads = per_step_grads(x)
            check.equal(len(grads), 3, f"the number of gradients per_step_grads returned ({_course.engine_name(engine)})")
            for k, g in enumerate(grads, start=1):
                check.same(g, 2 * k * engine.tensor([1., 2.]), f"the gradient of step {k} ({_course.engine_name(engine)}), 2kx")


check_exercise_2()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. Two losses, one forward.** Write `two_grads(a, b, autograd)` that computes
# `Q = 3 * a**3 - b**2` *once*, and returns the gradient with respect to `a` of $L_1 = \sum Q$ and,
# separately, of $L_2 = \sum Q^2$. You will need `retain_graph` and a way to keep the two gradients
# apart. `autograd` is the module of the tensors' engine, `torch.autograd` or `afs.autograd`: call
# `autograd.grad(...)` (not `torch.autograd.grad`, which knows only torch tensors), or use `backward`.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: The point: retain_graph=True on the first backward, and reading then resetting
# .grad between the two calls. Ask why the second loss needs no second forward pass.

# %% slideshow={"slide_type": "fragment"}
def two_grads(a, b, autograd):
    return None, None  # (dL1/da, dL2/da)


print("two_grads defined")

# %% slideshow={"slide_type": "skip"}
def check_exercise_3():
    with _course.exercise(3) as check:
        for engine in (torch, afs):
            a = engine.tensor([2., 3.], dtype=engine.float64, requires_grad=True)
            b = engine.tensor([6., 4.], dtype=engine.float64, requires_grad=True)
            g1, g2 = two_grads(a, b, engine.autograd)
            Q = 3 * a.detach()**3 - b.detach()**2
            check.same(g1, 9 * a.detach()**2, f"dL1/da, the first gradient ({_course.engine_name(engine)} tensors)")
            check.same(g2, 2 * Q * 9 * a.detach()**2, f"dL2/da, the second gradient ({_course.engine_name(engine)} tensors)")


check_exercise_3()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we saw
#
# - The forward pass records a DAG: each result's `grad_fn` is a node, `next_functions` are its
#   edges as `(node, output_nr)` pairs, and leaves are reached through `AccumulateGrad` nodes whose
#   `.variable` is the leaf. Both engines record the same graph.
# - Only leaves keep `.grad`; `retain_grad()` keeps a non-leaf's gradient too.
# - The graph is rebuilt at every forward pass, so loops and `if`s on tensor values just work.
# - Gradients accumulate in `.grad` across backward calls: clear them (`zero_()` or `None`) between
#   steps, which is what `zero_grad()` does.
# - Backward frees the tensors saved for it; a second backward needs `retain_graph=True`.
#
# **Next:** [03 · Build it yourself](03_build_it_yourself.ipynb): write the engine that walks this graph,
# your own, in about 100 lines.

# %% [markdown] slideshow={"slide_type": "notes"}
# Instructor note: Recap with the drawing of Q's graph in mind: nodes, edges, leaves. Then ask which
# of today's facts explains the zero_grad() in every training loop (accumulation).
