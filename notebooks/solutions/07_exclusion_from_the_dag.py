# Reference solutions of notebook 07 · Exclusion from the DAG.
#
# Each cell replaces the answer cell of its exercise. In the notebook,
# `_course.load_solution("exclusion_from_the_dag", N)` puts solution N into a cell; the checks say what is wrong before that.

# %% Exercise 1
# Solution: a result requires gradients if an input does and grad mode is on. requires_grad_()
# turns x itself into a leaf that requires gradients.
predictions = {
    "x * 2": False,
    "z * 2": True,
    "x + z.detach()": False,
    "(x * z).sum()": True,
    "z * 2, inside no_grad": False,
    "x.requires_grad_() * 2": True,
}
print(len(predictions), "predictions to make")

# %% Exercise 2
# Solution: freeze everything, then unfreeze the last module (model[-1]).
def freeze_all_but_last(model):
    for param in model.parameters():
        param.requires_grad = False
    for param in model[-1].parameters():
        param.requires_grad = True


print("freeze_all_but_last defined")

# %% Exercise 3
# Solution: eval() for the layers, no_grad() for autograd.
def predict(model, inputs, engine):
    model.eval()
    with engine.no_grad():
        return model(inputs)


print("predict defined")
