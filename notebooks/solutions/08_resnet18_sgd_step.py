# Reference solutions of notebook 08 · One SGD step of a ResNet18, every line understood.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("resnet18_sgd_step", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
def sgd_by_hand(theta0, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    theta = np.array(theta0, dtype=np.float64)
    b = None
    for g in grads:
        g = -np.asarray(g) if maximize else np.asarray(g)
        g = g + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g  # b_1 = g_1, undamped
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


print("solution: sgd_by_hand defined")

# %% Exercise 2
def finetune(model, nn):
    for p in model.parameters():
        p.requires_grad = False  # frozen: no AccumulateGrad nodes for them in the next graph
    model.fc = nn.Linear(512, 10)  # new parameters require grad by default
    return model


print("solution: finetune defined")

# %% Exercise 3
def momentum_bytes(optimizer):
    return sum(s["momentum_buffer"].numpy().nbytes for s in optimizer.state.values())


print(f"solution: {momentum_bytes(optim):,} bytes (ours), {momentum_bytes(optim_t):,} bytes (torch):",
      "a second copy of the model, as big as the tutorial's 46.8 MB download")
