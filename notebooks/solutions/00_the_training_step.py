# Reference solutions of notebook 00 · The training step.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("the_training_step", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
# Solution: on the first step the momentum buffer is the gradient itself, so θ ← θ - lr·g.
def first_update(param, grad, lr):
    return param - lr * grad


print("first_update defined")

# %% Exercise 2
# Solution: each term ŷᵢ - yᵢ has derivative 1 with respect to ŷᵢ, so the gradient is all ones.
dloss_dprediction = torch.ones(1, 1000)
print("dloss_dprediction set:", dloss_dprediction is not None)

# %% Exercise 3
# Solution: each .grad has its parameter's shape, so the count is the number of parameters' values.
n_gradient_numbers = sum(p.grad.numel() for p in ours.parameters())
print("n_gradient_numbers =", n_gradient_numbers)
