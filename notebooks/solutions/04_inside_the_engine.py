# Reference solutions of notebook 04 · Inside the engine.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("inside_the_engine", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
def cube_for(Function):
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    return Cube


print("solution:", cube_for(afs.autograd.Function).__name__, "for both engines")

# %% Exercise 2
# (x*x)*x first: u.grad = x = 3 and x.grad = u = 9 (assigned). Then x*x: x.grad = x * u.grad = 9, twice.
predicted_wrong_grad = 9.0
print("solution:", predicted_wrong_grad)

# %% Exercise 3
def hypot_for(Function):
    class Hypot(Function):
        @staticmethod
        def forward(ctx, a, b):
            z = (a * a + b * b).sqrt()
            ctx.save_for_backward(a, b, z)
            return z

        @staticmethod
        def backward(ctx, grad):
            a, b, z = ctx.saved_tensors
            return grad * a / z, grad * b / z

    return Hypot


print("solution:", hypot_for(afs.autograd.Function).__name__, "for both engines")
