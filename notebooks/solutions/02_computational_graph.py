# Reference solutions of notebook 02 · The computational graph.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("computational_graph", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
# Solution: the addition's inputs are a * b (made by MulBackward0) and the leaf a itself,
# reached through its AccumulateGrad node.
my_names = ["MulBackward0", "AccumulateGrad"]
print(f"my answer: {my_names}")

# %% Exercise 2
# Solution: clear the gradient before each backward (x.grad.zero_() works too, once x.grad exists).
def per_step_grads(x, steps=3):
    grads = []
    for k in range(1, steps + 1):
        x.grad = None
        (k * x**2).sum().backward()
        grads.append(x.grad.clone())
    return grads


print("per_step_grads defined")

# %% Exercise 3
# Keep the graph for the second pass; autograd.grad returns the gradient without touching a.grad
# (with backward: take a.grad out, clear it, then backward the second loss).
def two_grads(a, b, autograd):
    Q = 3 * a**3 - b**2
    (g1,) = autograd.grad(Q.sum(), a, retain_graph=True)
    (g2,) = autograd.grad((Q * Q).sum(), a)
    return g1, g2


print("two_grads defined")
