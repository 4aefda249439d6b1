# Reference solutions of notebook 01 · First gradients.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("first_gradients", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
# Solution: 9a² = 9·(1, 0.25) and -2b = (0, -4).
my_a_grad = [9.0, 2.25]
my_b_grad = [0.0, -4.0]
print(f"my answer: {my_a_grad} {my_b_grad}")

# %% Exercise 2
# Solution: the product rule for a²b, the power rule for the rest.
def dR_da(a, b):
    return 2 * a * b + 2


def dR_db(a, b):
    return a**2 - 3 * b**2


print("dR_da and dR_db defined")

# %% Exercise 3
# Solution: the weights of L are v = (2, -1), since L = 2·Q₁ + (-1)·Q₂.
v = afs.tensor([2., -1.])
print(f"v = {v}")
