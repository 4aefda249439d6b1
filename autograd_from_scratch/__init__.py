"""autograd_from_scratch: torch.autograd rebuilt on numpy, with torch's names and graphs.

    import autograd_from_scratch as afs
    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    Q = 3 * a**3 - b**2
    Q.backward(gradient=afs.tensor([1., 1.]))
    a.grad, b.grad          # 9a², -2b
"""
from . import autograd, dtypes, models, nn, optim
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    linspace,
    logspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .device import accelerator, cuda, device, get_default_device, set_default_device
from .dtypes import bool_ as bool
from .dtypes import dtype, float16, float32, float64, int32, int64
from .dtypes import float32 as float  # noqa: A004  (torch's other names for the same dtypes)
from .dtypes import float64 as double
from .dtypes import int32 as int  # noqa: A004
from .dtypes import int64 as long
from .ops import (
    abs,
    add,
    addmm,
    all,
    any,
    argmax,
    argmin,
    cat,
    clamp,
    clone,
    cos,
    cumsum,
    div,
    eq,
    exp,
    exp2,
    expm1,
    flatten,
    flip,
    full_like,
    ge,
    gt,
    le,
    log,
    log1p,
    log_softmax,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    ne,
    neg,
    norm,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    square,
    squeeze,
    stack,
    sub,
    sum,
    t,
    tan,
    tanh,
    topk,
    transpose,
    unsqueeze,
    where,
)
from .size import Size
from .tensor import Tensor, is_warn_always_enabled, set_warn_always

__all__ = [
    "is_warn_always_enabled", "set_warn_always",
    "Size", "Tensor", "abs", "accelerator", "add", "addmm", "all", "any", "arange", "argmax",
    "argmin", "as_tensor", "autograd", "bool", "cat", "clamp", "clone", "cos", "cuda", "cumsum",
    "device", "div", "double", "dtype", "empty", "empty_like", "enable_grad", "eq", "exp",
    "exp2", "expm1", "eye", "flatten", "flip", "float", "float16", "float32", "float64",
    "from_numpy", "full", "full_like", "ge", "get_default_device", "gt", "int", "int32",
    "int64", "is_grad_enabled", "le", "linspace", "log", "log1p", "log_softmax", "logspace",
    "long", "lt", "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "models",
    "mul", "ne", "neg", "nn", "no_grad", "norm", "ones", "ones_like", "optim", "permute", "pow",
    "prod", "rand", "rand_like", "randint", "randn", "randn_like", "reciprocal", "relu",
    "reshape", "set_default_device", "set_grad_enabled", "sigmoid", "sign", "sin", "softmax",
    "sqrt", "square", "squeeze", "stack", "sub", "sum", "t", "tan", "tanh", "tensor", "topk",
    "transpose", "unsqueeze", "where", "zeros", "zeros_like",
]


def __getattr__(name: str):
    """`afs.viz`, `afs.frames` and `afs.compare` load on first use (viz needs graphviz)."""
    if name in ("viz", "frames", "compare"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name == "half":
        raise AttributeError(dtypes.HALF_REFUSED)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
