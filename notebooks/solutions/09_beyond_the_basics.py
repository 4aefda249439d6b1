# Reference solutions of notebook 09 · Beyond the basics.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("beyond_the_basics", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
def clip_to_unit_norm(grad):
    norm = (grad * grad).sum().sqrt().item()
    return grad * min(1.0, 1.0 / norm)

# %% Exercise 2
y2_ours = x2_ours.tanh()
(d1_ours,) = afs.autograd.grad(y2_ours, x2_ours, create_graph=True)
(d2_ours,) = afs.autograd.grad(d1_ours, x2_ours, create_graph=True)
(third,) = afs.autograd.grad(d2_ours, x2_ours)
print(f"third = {third.item():.4f}")

# %% Exercise 3
class Softsign(afs.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + x.abs()) ** 2
