"""autograd_from_scratch: torch.autograd rebuilt on numpy, with torch's names and graphs.

    import autograd_from_scratch as afs
    a = afs.tensor([2., 3.], requires_grad=True)
    b = afs.tensor([6., 4.], requires_grad=True)
    Q = 3 * a**3 - b**2
    Q.backward(gradient=afs.tensor([1., 1.]))
    a.grad, b.grad          # 9a², -2b
"""
from . import autograd
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .dtypes import bool_ as bool  # noqa: A001  (afs.bool, as torch.bool)
from .dtypes import dtype, float16, float32, float64, int32, int64
from .ops import (abs, cat, clamp, exp, log, matmul, max, mean, relu, sigmoid, sqrt, stack, sum,
                  tanh, where)
from .tensor import (Tensor, arange, manual_seed, ones, ones_like, rand, randn, tensor, zeros,
                     zeros_like)

__all__ = [
    "Tensor", "abs", "arange", "autograd", "bool", "cat", "clamp", "dtype", "enable_grad", "exp",
    "float16", "float32", "float64", "int32", "int64", "is_grad_enabled", "log", "manual_seed",
    "matmul", "max", "mean", "no_grad", "ones", "ones_like", "rand", "randn", "relu",
    "set_grad_enabled", "sigmoid", "sqrt", "stack", "sum", "tanh", "tensor", "where", "zeros",
    "zeros_like",
]
