# Reference solutions of notebook 10 · The training loop.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("training_loop", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
def manual_step(lib, model, lr):
    with lib.no_grad():  # the update must not be recorded in the graph (07)
        for p in model.parameters():
            p -= lr * p.grad  # in place: p stays the same leaf, its version counter goes up

# %% Exercise 2
def set_learning_rate(optimizer, epoch):
    for group in optimizer.param_groups:
        group["lr"] = 0.1 * 0.5 ** epoch

# %% Exercise 3
def clip_gradients(lib, model, max_norm):
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    with lib.no_grad():
        total_norm = sum((g ** 2).sum().item() for g in grads) ** 0.5
        scale = min(1.0, max_norm / total_norm)
        for g in grads:
            g.mul_(scale)
