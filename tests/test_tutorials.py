"""Code in the style of PyTorch's beginner tutorials ("Learning PyTorch with Examples", the Basics
tensors and autograd pages, the 60-minute blitz's neural-network page), run once with torch and
once with afs imported as `torch`, from the same random numbers (see tutorial_harness.py); every
number it prints must agree, and the rest of the printed text must be the same.

The scripts are this project's own, written like the tutorials' (fewer iterations, to keep CI
short); `python tests/tutorial_harness.py SCRIPT...` runs PyTorch's originals the same way.
"""
from __future__ import annotations

import textwrap

import pytest
from tutorial_harness import run_both

POLYNOMIAL_DATA = """
import math
import torch

x = torch.linspace(-math.pi, math.pi, 2000, device=torch.device("cpu"), dtype=DTYPE)
y = torch.sin(x)
"""

TUTORIALS = {
    "tensors_manual_gradients": """
        a, b, c, d = (torch.randn((), device="cpu", dtype=DTYPE) for _ in range(4))
        learning_rate = 1e-6
        for t in range(300):
            y_pred = a + b * x + c * x.pow(2) + d * x.pow(3)
            loss = (y_pred - y).pow(2).sum().item()
            if t % 50 == 49:
                print(t, loss)
            grad_y_pred = 2.0 * (y_pred - y)
            grad_a = grad_y_pred.sum()
            grad_b = torch.matmul(input=grad_y_pred, other=x).sum()
            grad_c = torch.mul(grad_y_pred, x.square()).sum()
            grad_d = (grad_y_pred * x ** 3).sum()
            a -= learning_rate * grad_a
            b -= learning_rate * grad_b
            c -= learning_rate * grad_c
            d -= learning_rate * grad_d
        print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
    """,
    "autograd": """
        device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
        device = "cuda" if torch.cuda.is_available() else device
        print(f"Using {device} device")
        torch.set_default_device(device)
        a, b, c, d = (torch.randn((), dtype=DTYPE, requires_grad=True) for _ in range(4))
        for t in range(300):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            if t % 50 == 49:
                print(t, loss.item(), loss)
            loss.backward()
            with torch.no_grad():
                for p in (a, b, c, d):
                    p -= 1e-6 * p.grad
                    p.grad = None
        print(a, b.grad, c.requires_grad, d.grad_fn)
    """,
    "custom_function": """
        class LegendrePolynomial3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        a = torch.full((), 0.0, dtype=DTYPE, requires_grad=True)
        b = torch.full((), -1.0, dtype=DTYPE, requires_grad=True)
        c = torch.full((), 0.0, dtype=DTYPE, requires_grad=True)
        d = torch.full((), 0.3, dtype=DTYPE, requires_grad=True)
        P3 = LegendrePolynomial3.apply
        for t in range(300):
            y_pred = a + b * P3(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            if t % 50 == 49:
                print(t, loss.item())
            loss.backward()
            with torch.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
        print(y_pred.grad_fn.next_functions[1][0].next_functions[1][0].name())
    """,
    "nn_sequential_manual_update": """
        p = torch.tensor([1, 2, 3])  # integer powers of a float tensor stay in its dtype
        xx = x.unsqueeze(-1).pow(p)
        print(xx.shape, xx.dtype, xx.size(), xx.size(1))
        model = torch.nn.Sequential(torch.nn.Linear(3, 1, dtype=DTYPE), torch.nn.Flatten(0, 1))
        print(model)
        loss_fn = torch.nn.MSELoss(reduction="sum")
        for t in range(300):
            loss = loss_fn(model(xx), y)
            if t % 50 == 49:
                print(t, loss.item())
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= 1e-6 * param.grad
        linear_layer = model[0]
        print(f"Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + "
              f"{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3")
    """,
    "optimizers_and_steplr": """
        xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
        for make, lr in [(lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9), 1e-6),
                         (lambda ps, lr: torch.optim.RMSprop(ps, lr=lr), 1e-3),
                         (lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, momentum=0.5, centered=True), 1e-3),
                         (lambda ps, lr: torch.optim.Adam(ps, lr=lr), 1e-2),
                         (lambda ps, lr: torch.optim.Adam(ps, lr=lr, amsgrad=True, weight_decay=1e-3), 1e-2),
                         (lambda ps, lr: torch.optim.AdamW(ps, lr=lr), 1e-2),
                         (lambda ps, lr: torch.optim.Adagrad(ps, lr=lr, lr_decay=1e-3), 1e-1)]:
            model = torch.nn.Sequential(torch.nn.Linear(3, 1, dtype=DTYPE), torch.nn.Flatten(0, 1))
            loss_fn = torch.nn.MSELoss(reduction="sum")
            optimizer = make(model.parameters(), lr)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=40, gamma=0.5)
            for t in range(120):
                loss = loss_fn(model(xx), y)
                if t % 30 == 29:
                    print(type(optimizer).__name__, t, loss.item(), scheduler.get_last_lr())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
            print([param.tolist() for param in model.parameters()])
    """,
    "custom_module": """
        class Polynomial3(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.randn((), dtype=DTYPE))
                self.b = torch.nn.Parameter(torch.randn((), dtype=DTYPE))
                self.c = torch.nn.Parameter(torch.randn((), dtype=DTYPE))
                self.d = torch.nn.Parameter(torch.randn((), dtype=DTYPE))

            def forward(self, x):
                return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

            def string(self):
                return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3"

        model = Polynomial3()
        criterion = torch.nn.MSELoss(reduction="sum")
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
        for t in range(300):
            loss = criterion(model(x), y)
            if t % 50 == 49:
                print(t, loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"Result: {model.string()}")
        print(dict(model.named_parameters()))
    """,
    "dynamic_net": """
        import random

        class DynamicNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                for name in "abcde":
                    setattr(self, name, torch.nn.Parameter(torch.randn((), dtype=DTYPE)))

            def forward(self, x):
                y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
                for exp in range(4, random.randint(4, 6)):
                    y = y + self.e * x ** exp
                return y

        model = DynamicNet()
        criterion = torch.nn.MSELoss(reduction="sum")
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
        for t in range(400):
            loss = criterion(model(x), y)
            if t % 50 == 49:
                print(t, loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print([p.item() for p in model.parameters()])
    """,
}

BASICS_TENSORS = """
import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
x_np = torch.from_numpy(np.array(data))
print(x_data, x_np, x_data.dtype, x_np.dtype)
print(f"Ones Tensor: \\n {torch.ones_like(x_data)} \\n")
print(f"Random Tensor: \\n {torch.rand_like(x_data, dtype=torch.float)} \\n")
shape = (2, 3,)
print(torch.rand(shape), torch.ones(shape), torch.zeros(shape), torch.randn(shape, dtype=torch.double))
tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.cuda.is_available() & (torch.device('cuda').index is not None):
    tensor = tensor.to('cuda')
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
tensor = tensor.to("cpu").to(torch.device("cpu"))
tensor = torch.ones(4, 4)
print('First row: ', tensor[0])
print('First column: ', tensor[:, 0])
print('Last column:', tensor[..., -1])
tensor[:, 1] = 0
print(tensor)
print(torch.cat([tensor, tensor, tensor], dim=1))
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(tensor)
torch.matmul(tensor, tensor.T, out=y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(y1, y2, y3, z1, z2, z3)
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(tensor, "\\n")
tensor.add_(5)
print(tensor)
t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print(torch.eye(3), torch.full((2, 2), 7), torch.linspace(0, 1, 5), torch.logspace(0, 2, 3))
print(torch.arange(6).reshape(2, 3).T.shape, torch.zeros(2, 3).size()[1:], torch.float, torch.long)
m = torch.randn(3, 5)
print(m.sin(), m.cos(), torch.tan(m), m.exp2(), m.abs().log1p(), m.expm1(), m.sign())
print(m.square(), torch.reciprocal(m), torch.minimum(m, m.T.T * 0.5), torch.maximum(m, torch.zeros(5)))
print(m.min(), m.min(dim=1).values, m.prod(1), m.cumsum(dim=1), m.norm(), m.norm(dim=0))
print(m.softmax(dim=1), m.log_softmax(1), m.argmax(), m.argmin(dim=1), m.topk(2).values)
"""

BASICS_AUTOGRAD = """
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
loss.backward()
print(w.grad)
print(b.grad)
z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z_det = (torch.matmul(x, w) + b).detach()
print(z_det.requires_grad)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
p = torch.sigmoid(torch.randn(4, requires_grad=True))
print(torch.nn.functional.binary_cross_entropy(p, torch.tensor([0., 1., 1., 0.])))
print(torch.nn.BCEWithLogitsLoss(pos_weight=torch.full((4,), 2.0))(torch.randn(4), torch.ones(4)))
"""

BLITZ_NETWORK = """
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)


net = Net()
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())
input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)
net.zero_grad()
out.backward(torch.randn(1, 10))
output = net(input)
target = torch.randn(10).view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)
print(loss.grad_fn)
print(loss.grad_fn.next_functions[0][0])
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])
net.zero_grad()
print('conv1.bias.grad before backward')
print(net.conv1.bias.grad)
loss.backward()
print('conv1.bias.grad after backward')
print(net.conv1.bias.grad)
optimizer = optim.SGD(net.parameters(), lr=0.01)
for step in range(3):
    optimizer.zero_grad()
    loss = criterion(net(input), target)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
print(net.fc3.bias)
"""

SMALL_CNN_CLASSIFIER = """
import torch
from torch import nn

images = torch.randn(8, 1, 12, 12)
labels = torch.randint(0, 3, (8,))
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3),
                      nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 3))
model.eval()  # dropout off: its random mask is afs's own, not torch's
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(15):
    logits = model(images)
    loss = loss_fn(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 5 == 4:
        probs = nn.Softmax(dim=1)(logits)
        print(epoch, loss.item(), probs.max(dim=1).values, logits.argmax(1), (logits.argmax(1) == labels).sum().item())
print(torch.nn.functional.log_softmax(logits, dim=1).topk(2, dim=1))
head = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
bce = nn.BCELoss()(head(logits.detach()).flatten(), (labels == 0).float())
print(bce, bce.grad_fn)
"""


def script(name: str, dtype: str) -> str:
    body = textwrap.dedent(TUTORIALS[name])
    return POLYNOMIAL_DATA.replace("DTYPE", dtype) + body.replace("DTYPE", dtype)


def check(source: str, rtol: float, atol: float) -> None:
    theirs, ours, cmp = run_both(source)
    assert theirs.error is None, theirs.error
    assert ours.error is None, ours.error
    assert cmp.same_text, cmp.text_diff
    assert cmp.numbers > 5
    assert cmp.agrees(rtol, atol), cmp.summary()


# float32: sums of 2000 numbers added in another order, over hundreds of steps; float64: the same
# to ~1e-13. atol covers numbers that are rounding noise around 0 (see Comparison.agrees).
TOLERANCES = {"torch.float": dict(rtol=2e-5, atol=1e-6), "torch.double": dict(rtol=1e-10, atol=1e-12)}


@pytest.mark.parametrize("dtype", ["torch.float", "torch.double"])
@pytest.mark.parametrize("name", TUTORIALS)
def test_learning_pytorch_with_examples_style(name, dtype):
    check(script(name, dtype), **TOLERANCES[dtype])


@pytest.mark.parametrize("source", [BASICS_TENSORS, BASICS_AUTOGRAD, BLITZ_NETWORK, SMALL_CNN_CLASSIFIER],
                         ids=["basics_tensors", "basics_autograd", "blitz_neural_network", "small_cnn"])
def test_basics_and_blitz_style(source):
    check(source, **TOLERANCES["torch.float"])


def test_the_comparison_notices_a_different_number_or_text():
    from tutorial_harness import compare

    assert compare("loss 0.12345\n", "loss 0.12346\n").agrees(rtol=0, atol=0)  # the last digit: rounding
    assert not compare("loss 0.12345\n", "loss 0.12347\n").agrees(rtol=1e-6, atol=0)
    assert not compare("tensor([1.5000])\n", "tensor([1.5000, 2.0000])\n").same_text
    assert not compare("dtype=torch.float32\n", "dtype=afs.float64\n").same_text
    assert compare("<AddBackward0 object at 0x7f1>", "<AddBackward0 object at 0x9a2>").same_text
