# Reference solutions of notebook 05 · Vector calculus: Jacobians and vector-Jacobian products.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("vector_calculus", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
def jacobian_by_rows(f, x):
    x = x.detach().requires_grad_()
    out = f(x)
    rows = []
    for i in range(out.numel()):
        e_i = np.zeros(out.numel())
        e_i[i] = 1.0
        (row,) = afs.autograd.grad(out, x, grad_outputs=afs.tensor(e_i.reshape(out.shape)), retain_graph=True)
        rows.append(row.numpy())
    return np.array(rows)


print("solution: jacobian_by_rows defined")

# %% Exercise 2
# Each x[i] is used in 4 columns, each y[j] in 3 rows; every use contributes dL/dz = 1.
x_grad_guess = [[4.0], [4.0], [4.0]]
y_grad_guess = [3.0, 3.0, 3.0, 3.0]
print("solution:", x_grad_guess, y_grad_guess)

# %% Exercise 3
v_for_l = 2 * y.detach()  # dl/dy_i = 2 y_i
print("solution: v_for_l = 2y, shape", tuple(v_for_l.shape))
