"""autograd_from_scratch: torch.autograd rebuilt on numpy, with torch's names and graphs.

    import autograd_from_scratch as afs
    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    Q = 3 * a**3 - b**2
    Q.backward(gradient=afs.tensor([1., 1.]))
    a.grad, b.grad          # 9a², -2b
"""
from . import autograd, models, nn, optim
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import arange, manual_seed, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .dtypes import bool_ as bool
from .dtypes import dtype, float16, float32, float64, int32, int64
from .ops import (
    abs,
    add,
    addmm,
    all,
    any,
    argmax,
    cat,
    clamp,
    clone,
    div,
    eq,
    exp,
    flatten,
    full_like,
    ge,
    gt,
    le,
    log,
    lt,
    matmul,
    max,
    mean,
    mul,
    ne,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    t,
    tanh,
    transpose,
    unsqueeze,
    where,
)
from .tensor import Tensor

__all__ = [
    "Tensor", "abs", "add", "addmm", "all", "any", "arange", "argmax", "autograd", "bool", "cat",
    "clamp", "clone", "div", "dtype", "enable_grad", "eq", "exp", "flatten", "float16", "float32",
    "float64", "full_like", "ge", "gt", "int32", "int64", "is_grad_enabled", "le", "log", "lt",
    "manual_seed", "matmul", "max", "mean", "models", "mul", "ne", "neg", "nn", "no_grad", "ones",
    "ones_like", "optim", "permute", "pow", "rand", "randn", "relu", "reshape", "set_grad_enabled",
    "sigmoid", "sqrt", "squeeze", "stack", "sub", "sum", "t", "tanh", "tensor", "transpose",
    "unsqueeze", "where", "zeros", "zeros_like",
]


def __getattr__(name: str):
    """`afs.viz`, `afs.frames` and `afs.compare` load on first use (viz needs graphviz)."""
    if name in ("viz", "frames", "compare"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
