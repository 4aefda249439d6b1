"""`gradcheck`: compare the engine's gradients with central finite differences.

For each input element x_j, (f(x + ε e_j) - f(x - ε e_j)) / 2ε approximates column j of the
Jacobian; backward with each output unit vector gives the rows. Use float64: in float32 the
difference quotient loses most of its digits.
"""
from __future__ import annotations

import warnings
from typing import Callable, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor
from .engine import run_backward
from .functional import jacobian

Inputs = Union[Tensor, Sequence[Tensor]]


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians differ (torch.autograd.gradcheck.GradcheckError)."""


def numerical_jacobian(func: Callable, inputs: Sequence[Tensor], eps: float = 1e-6) -> list[np.ndarray]:
    """d outputs / d input_k by central differences, for each input k: shape (out.numel, in.numel)."""
    # Grad mode stays on, as in torch: `func` may itself call autograd.grad.
    jacobians = []
    out_size = func(*inputs).numel()
    for x in inputs:
        jac = np.zeros((out_size, x.numel()))
        flat = x.array.reshape(-1)  # a view: writing it perturbs x
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = func(*inputs).array.astype(np.float64).reshape(-1)
            flat[j] = orig - eps
            minus = func(*inputs).array.astype(np.float64).reshape(-1)
            flat[j] = orig
            jac[:, j] = (plus - minus) / (2 * eps)
        jacobians.append(jac)
    return jacobians


def gradcheck(func: Callable, inputs: Inputs, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if the analytical and numerical Jacobians of `func` agree for every input that requires grad."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [x for x in inputs if x.requires_grad]
    for x in checked:
        if x.dtype.name != "float64":
            warnings.warn(f"gradcheck: an input of dtype {x.dtype} is not float64; finite "
                          "differences in single precision are too imprecise to compare.", stacklevel=2)

    def only_checked(*xs: Tensor) -> Tensor:
        it = iter(xs)
        return func(*[next(it) if x.requires_grad else x for x in inputs])

    analytical = jacobian(only_checked, tuple(checked))
    analytical = analytical if isinstance(analytical, tuple) else (analytical,)
    numerical = numerical_jacobian(only_checked, checked, eps)
    for k, (a, n) in enumerate(zip(analytical, numerical)):
        a = a.array.reshape(n.shape).astype(np.float64)
        if not np.allclose(a, n, atol=atol, rtol=rtol):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {k},\n"
                    f"numerical:{n}\nanalytical:{a}\n"
                )
            return False
    return True


def gradgradcheck(func: Callable, inputs: Inputs, grad_outputs: Optional[Tensor] = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """gradcheck of the backward pass itself: the first derivatives vᵀJ, recorded with
    `create_graph=True`, differentiated again and compared with their finite differences.

    v is `grad_outputs`, or a fixed random vector: a second derivative is checked in the
    directions of both the inputs and v, as torch's gradgradcheck does."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    out = func(*inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = Tensor(rng.standard_normal(out.shape).astype(out.array.dtype))
    v = grad_outputs.detach().requires_grad_()
    n = len(inputs)

    def first_derivatives(*args: Tensor) -> Tensor:
        from ..ops import cat  # ops/ is built on autograd/: reached at call time

        xs, vs = args[:n], args[n]
        wrt = [x for x in xs if x.requires_grad]
        grads = run_backward([func(*xs)], [vs], create_graph=True, inputs=wrt, allow_unused=True,
                             accumulate_grad=False)
        flat = [(x * 0 if g is None else g).reshape(-1) for x, g in zip(wrt, grads or ())]
        # `+ 0 * vs.sum()`: the result depends on v even where vᵀJ is constant in x.
        return cat(flat) + 0 * vs.sum()

    return gradcheck(first_derivatives, (*inputs, v), eps, atol, rtol, raise_exception)
