"""The checks of notebook 03 (build it yourself): the learner's tiny engine against torch.

Each function takes the check of the step (`_course.exercise(n)`) and the learner's classes or
functions, builds the same computation in the learner's engine and in torch (float64), and raises
`Wrong` at the first value, gradient, node name or order that differs, saying which (in English, or
in Chinese in the Chinese edition: language.py).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .checks import Exercise, Wrong, reported
from .language import say


def _rng() -> np.random.Generator:
    return np.random.default_rng(3)


def _op_cases() -> list[tuple[str, list[Any], Callable]]:
    """(op, its inputs: arrays, or a number for an exponent, torch's version of the op)."""
    rng = _rng()
    a, b, bias = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    return [
        ("Add", [a, bias], lambda x, y: x + y),
        ("Mul", [a, b], lambda x, y: x * y),
        ("Pow", [a, 3], lambda x, n: x ** n),
        ("Sum", [a], lambda x: x.sum()),
        ("Relu", [a], lambda x: x.relu()),
        ("Mm", [a, rng.standard_normal((4, 2))], lambda x, y: x @ y),
    ]


def ops_against_torch(check: Exercise, Tensor: type, ops: dict[str, type]) -> None:
    """Each op's forward value, node name and backward (under a random upstream gradient)."""
    for name, inputs, torch_op in _op_cases():
        try:
            _one_op(check, Tensor, name, ops[name], inputs, torch_op)
        except Wrong:
            raise
        except Exception as error:  # noqa: BLE001  (the learner's code raised: say in which op)
            raise reported(name, error) from None


def _one_op(check: Exercise, Tensor: type, name: str, op: type, inputs: list, torch_op: Callable) -> None:
    ours = [Tensor(x, requires_grad=True) if isinstance(x, np.ndarray) else x for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) if isinstance(x, np.ndarray) else x for x in inputs]
    out, out_t = op.apply(*ours), torch_op(*theirs)
    check.true(isinstance(out, Tensor), say(f"{name}.apply(...) returned {type(out).__name__}, not a Tensor",
                                            f"{name}.apply(...)返回的是{type(out).__name__}，不是Tensor"))
    check.same(out.data, out_t, say(f"{name}: the forward value", f"{name}：前向传播的值"))
    check.true(out.grad_fn is not None, say(f"{name}: the output of inputs that require grad has no grad_fn",
                                            f"{name}：输入需要梯度，输出却没有grad_fn"))
    check.equal(out.grad_fn.name(), out_t.grad_fn.name(), say(f"{name}: the node's name()", f"{name}：节点的name()"))
    upstream = _rng().standard_normal(tuple(out_t.shape))
    grads = type(out.grad_fn).backward(out.grad_fn, upstream)
    check.true(isinstance(grads, (tuple, list)) and len(grads) == len(inputs),
               say(f"{name}.backward returned {grads!r:.80}: it should return a tuple, one gradient per input "
                   f"({len(inputs)}; None for a number)",
                   f"{name}.backward返回了{grads!r:.80}：应返回一个元组，每个输入一个梯度"
                   f"（共{len(inputs)}个；数字输入对应None）"))
    tensors = [t for t in theirs if isinstance(t, torch.Tensor)]
    expected = iter(torch.autograd.grad(out_t, tensors, grad_outputs=torch.tensor(upstream)))
    for k, (x, got) in enumerate(zip(inputs, grads)):
        if isinstance(x, np.ndarray):
            check.same(got, next(expected), say(f"{name}.backward: the gradient for input {k}",
                                                f"{name}.backward：输入{k}的梯度"))
        else:
            check.true(got is None, say(f"{name}.backward: the gradient for input {k}, the number {x}, should be None",
                                        f"{name}.backward：输入{k}是数字{x}，它的梯度应为None"))


def _diamond(lib: Any, Tensor: Any = None) -> tuple:
    """f = sum((a*b + a)**2 * (a*b)): a*b is used twice, a three times: a graph with a diamond."""
    rng = _rng()
    a0, b0 = rng.standard_normal(5), rng.standard_normal(5)
    if lib is torch:
        a, b = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    else:
        a, b = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    c = a * b
    f = (((c + a) ** 2) * c).sum()
    return f, a, b


def _torch_nodes(root: torch.Tensor) -> list:
    """torch's nodes of the graph, without the AccumulateGrad of the leaves."""
    nodes, seen = [root.grad_fn], {root.grad_fn}
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None and child not in seen and "AccumulateGrad" not in child.name():
                seen.add(child)
                nodes.append(child)
    return nodes


def order_against_torch(check: Exercise, Tensor: type, topological_order: Callable) -> None:
    """The order has torch's nodes, each once, the root's first, each before its inputs' nodes."""
    f, *_ = _diamond(None, Tensor)
    f_t, *_ = _diamond(torch)
    try:
        order = topological_order(f)
    except Exception as error:  # noqa: BLE001  (the learner's code: reported, not raised)
        raise reported("topological_order(f)", error) from None
    check.true(isinstance(order, (list, tuple)) and len(order) > 0,
               say(f"topological_order(f) returned {order!r:.60}: a list of the graph's nodes",
                   f"topological_order(f)返回了{order!r:.60}：应返回计算图节点的列表"))
    counts = Counter(order)
    twice = [node.name() for node, n in counts.items() if n > 1]
    check.true(not twice, say(f"topological_order(f): {', '.join(twice)} appear more than once (a node reached "
                              "along two paths must be visited once: remember the nodes seen)",
                              f"topological_order(f)：{'、'.join(twice)}出现了不止一次（沿两条路径都能到达的节点"
                              "只能访问一次：记下已访问过的节点）"))
    check.equal(sorted(node.name() for node in order), sorted(node.name() for node in _torch_nodes(f_t)),
                say("the names of the nodes in topological_order(f), sorted (torch's graph has the same nodes)",
                    "topological_order(f)中各节点的名字，排序后比较（torch的计算图有同样的节点）"))
    check.true(order[0] is f.grad_fn, say(f"the first node is {order[0].name()}, not f.grad_fn "
                                          f"({f.grad_fn.name()}): backward starts at the root (reverse the "
                                          "depth-first order)",
                                          f"第一个节点是{order[0].name()}，不是f.grad_fn（{f.grad_fn.name()}）："
                                          "反向传播从根节点开始（把深度优先的顺序反过来）"))
    position = {node: k for k, node in enumerate(order)}
    for k, node in enumerate(order):
        for t in node.inputs:
            child = getattr(t, "grad_fn", None)
            if child is not None and position[child] < k:
                raise Wrong(say(f"{node.name()} (position {k}) comes after {child.name()} (position "
                                f"{position[child]}), the node of one of its inputs: a node must come before its "
                                "inputs' nodes",
                                f"{node.name()}（位置{k}）排在{child.name()}（位置{position[child]}）之后，而后者是"
                                "它的一个输入的节点：节点必须排在它的各个输入的节点之前"))


def backward_against_torch(check: Exercise, Tensor: type) -> None:
    """Every leaf's .grad against torch's: a small network, a reused tensor, two backward passes."""
    rng = _rng()
    arrays = {"x": rng.standard_normal((4, 3)), "W": rng.standard_normal((3, 5)), "b": rng.standard_normal(5),
              "V": rng.standard_normal((5, 2))}
    try:
        # A network: x is data (no grad), W, b, V are parameters; h is reused.
        ours = {k: Tensor(v, requires_grad=k != "x") for k, v in arrays.items()}
        theirs = {k: torch.tensor(v, requires_grad=k != "x") for k, v in arrays.items()}
        for lib, t in (("ours", ours), ("torch", theirs)):
            h = (t["x"] @ t["W"] + t["b"]).relu()
            loss = ((h @ t["V"]) ** 2).sum() + (h * h).sum()
            loss.backward()
            if lib == "ours":
                h_ours = h
        for k in ("W", "b", "V"):
            check.same(ours[k].grad, theirs[k].grad,
                       say(f"{k}.grad after loss.backward() (h = relu(x W + b) is used twice)",
                           f"loss.backward()之后的{k}.grad（h = relu(x W + b)用了两次）"))
        check.true(ours["x"].grad is None, say("x.grad is set, but x does not require grad: skip such inputs",
                                               "x.grad有了值，但x不需要梯度：应跳过这样的输入"))
        check.true(h_ours.grad is None, say("h.grad is set, but h is not a leaf: torch keeps gradients for leaves only",
                                            "h.grad有了值，但h不是叶子节点：torch只为叶子节点保留梯度"))
        # A second backward pass adds into .grad.
        f, a, b = _diamond(None, Tensor)
        f_t, a_t, b_t = _diamond(torch)
        for k in (1, 2):
            f.backward()
            f_t.backward(retain_graph=True)
            for name, ours_grad, torch_grad in (("a", a.grad, a_t.grad), ("b", b.grad, b_t.grad)):
                check.same(ours_grad, torch_grad,
                           say(f"{name}.grad of f = sum((a*b + a)**2 * (a*b)) after {k} backward pass(es)",
                               f"{k}次反向传播之后，f = sum((a*b + a)**2 * (a*b))的{name}.grad"))
    except Wrong:
        raise
    except Exception as error:  # noqa: BLE001  (the learner's code: reported, not raised)
        raise reported("loss.backward()", error) from None
