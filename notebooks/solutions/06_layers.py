# Reference solutions of notebook 06 · Layers: Linear, Conv2d, BatchNorm2d, ReLU and pooling.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("layers", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
def conv_by_im2col(x, w):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    cols = im2col(x, (k, k), (1, 1), (0, 0), (1, 1))  # (C, k, k, N, Ho, Wo)
    ho, wo = cols.shape[-2:]
    y = w.reshape(o, -1) @ cols.reshape(c * k * k, n * ho * wo)  # (O, N·Ho·Wo)
    return y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)


print("solution: conv_by_im2col defined")

# %% Exercise 2
running_var_guess = 1.0
for b in batches:
    running_var_guess = 0.9 * running_var_guess + 0.1 * b.var(ddof=1)  # unbiased: M/(M-1), M = 18
print("solution: running_var =", round(running_var_guess, 4))

# %% Exercise 3
# Windows (rows, cols): (0,0) -> rows 0-2, cols 0-2: max 15 at (0,1); (0,1) -> rows 0-2, cols 1-3: 15 again;
# (1,0) -> rows 1-3, cols 0-2: 13 at (2,0); (1,1) -> rows 1-3, cols 1-3: 14 at (3,3). 15 won two windows: 1 + 10.
grad_guess = [[0.0, 11.0, 0.0, 0.0],
              [0.0, 0.0, 0.0, 0.0],
              [100.0, 0.0, 0.0, 0.0],
              [0.0, 0.0, 0.0, 1000.0]]
print("solution: gradient reaches", int(np.count_nonzero(grad_guess)), "pixels")
