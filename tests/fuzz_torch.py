"""A fuzz against torch: random programs run by both engines, every observable thing compared.

A program is a list of Python statements over `lib` (`torch` or `afs`): leaves of random shapes
(0 to 4 dims) and dtypes, elementwise and binary ops with broadcasting and Python numbers,
reductions, views, indexing, matmul, in-place ops (on views and on bases), reuse of any earlier
value. It is generated with torch in the loop, so that each op is given inputs where it is smooth
(log of positives, no ties at max, relu away from its kink). Some generated statements are
misuses; then both engines must raise the same exception class at the same statement.

`run(program, lib)` records a trace: for every statement the new value's type, shape, dtype,
values, requires_grad, grad_fn name and the warnings raised; then, after the program, every
value again (in-place ops through views change other values), the backward graph of a loss that
uses every value with a random upstream gradient, and every leaf's `.grad` (or, in one case in
five, `autograd.grad(..., create_graph=True)` and a second backward through it). Two traces are
compared entry by entry; a disagreement is shrunk (statements dropped while it persists) and
printed as a self-contained reproduction.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
import torch

import autograd_from_scratch as afs
from autograd_from_scratch.viz import graph_edges, node_name

FLOATS = (np.float64, np.float64, np.float64, np.float32)
SINGLE = 1e-4  # the tolerance (relative and absolute) where float32 is involved


@dataclass
class Program:
    seed: int
    data: dict = field(default_factory=dict)  # name -> numpy array used by a leaf
    lines: list = field(default_factory=list)
    create_graph: bool = False

    def source(self) -> str:
        """A reproduction to paste: the data, the statements, what is compared."""
        with np.printoptions(precision=17, threshold=10_000):
            head = [f"{k} = np.{np.asarray(v)!r}" for k, v in self.data.items()]
        body = "\n".join("    " + s for s in self.lines)
        tail = ("    # then: loss = sum((v * G_v).sum()) over every value v that requires grad; "
                + ("grads = autograd.grad(loss, leaves, create_graph=True); (sum g*H).backward()"
                   if self.create_graph else "loss.backward()")
                + f"  (G, H: standard normal, seed {self.seed})")
        return "\n".join(head) + "\ndef program(lib):\n" + body + "\n" + tail


# -- running a program ----------------------------------------------------------------------------
def _builtin_class(exc: BaseException) -> str:
    """The exception's class as a user catches it: the nearest builtin class (torch's
    `torch.OutOfMemoryError`-like subclasses count as their builtin parent)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls.__name__
    return type(exc).__name__


def _dtype_name(d: Any) -> str:
    return str(d).split(".")[-1]


def _node_name(t: Any) -> Optional[str]:
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else node_name(fn)


def _array(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True).copy()  # force: torch's ZeroTensor gradients too
    return np.array(t.detach().array if isinstance(t, afs.Tensor) else t)


def _meta(v: Any) -> tuple:
    if isinstance(v, (torch.Tensor, afs.Tensor)):
        return ("Tensor", tuple(v.shape), _dtype_name(v.dtype), v.requires_grad, _node_name(v), v.is_leaf)
    return (type(v).__name__,)


def _is_tensor(v: Any) -> bool:
    return isinstance(v, (torch.Tensor, afs.Tensor))


def _seeded(seed: int, name: str, shape: tuple) -> np.ndarray:
    rng = np.random.default_rng([seed, sum(map(ord, name)), len(name)])
    return rng.standard_normal(shape)


def run(program: Program, lib: Any) -> list:
    """The trace of `program` under `lib`: a list of (label, value) pairs."""
    env: dict = {"lib": lib, "np": np, **program.data}
    trace: list = []
    for k, line in enumerate(program.lines):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                exec(line, env)
        except Exception as e:
            trace.append((f"statement {k}: {line}", ("raises", _builtin_class(e))))
            return trace
        trace.append((f"warnings of statement {k}: {line}",
                      sorted({w.category.__name__ for w in caught})))
        name = line.split("=")[0].strip()
        if name.isidentifier() and name in env:
            trace.append((f"{name} after statement {k}: {line}", _meta(env[name])))
            if _is_tensor(env[name]):
                trace.append((f"values of {name} after statement {k}: {line}", _array(env[name])))
    values = {n: v for n, v in env.items() if n[0] in "xv" and n[1:].isdigit() and _is_tensor(v)}
    for n, v in values.items():
        trace.append((f"{n} at the end", _meta(v)))
        trace.append((f"values of {n} at the end", _array(v)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _backward(program, lib, values, trace)
        except Exception as e:
            trace.append(("backward", ("raises", _builtin_class(e))))
    return trace


def _backward(program: Program, lib: Any, values: dict, trace: list) -> None:
    used = [(n, v) for n, v in values.items() if v.requires_grad and v.dtype.is_floating_point]
    if not used:
        return
    loss = sum((v * lib.tensor(_seeded(program.seed, n, tuple(v.shape)), dtype=v.dtype)).sum()
               for n, v in used)
    trace.append(("graph of the loss", graph_edges(loss)))
    leaves = [(n, v) for n, v in values.items() if n[0] == "x" and v.requires_grad]
    if not program.create_graph:
        loss.backward()
    else:
        grads = lib.autograd.grad(loss, [v for _, v in leaves], create_graph=True, allow_unused=True)
        second = [(n, g) for (n, _), g in zip(leaves, grads) if g is not None]
        for n, g in second:
            trace.append((f"d loss / d {n} (create_graph)", _meta(g)))
            trace.append((f"values of d loss / d {n}", _array(g)))
        second = [(n, g) for n, g in second if g.requires_grad]
        if not second:
            return
        loss2 = sum((g * lib.tensor(_seeded(program.seed + 1, n, tuple(g.shape)), dtype=g.dtype)).sum()
                    for n, g in second)
        # (not its graph: torch records fused double-backward nodes such as TanhBackwardBackward0)
        loss2.backward()
    for n, v in leaves:
        trace.append((f"{n}.grad", None if v.grad is None else _meta(v.grad)))
        if v.grad is not None:
            trace.append((f"values of {n}.grad", _array(v.grad)))


def _same(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        if a.dtype.kind != "f":
            return bool(np.array_equal(a, b))
        tol = tol if a.dtype == np.float64 and b.dtype == np.float64 else SINGLE
        return bool(np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True))
    return a == b


def _tolerance(program: Program) -> float:
    """float64 programs agree to 1e-9; where any value passes through float32 (float32 or
    integer leaves, `.float()`), to float32's precision (rounding in a different order can leave
    ~1e-5 where terms of size ~100 cancel)."""
    single = any(a.dtype != np.float64 for a in program.data.values()) or any(
        ".float()" in line for line in program.lines)
    return SINGLE if single else 1e-9


def disagreement(program: Program) -> Optional[str]:
    """None if afs does what torch does with `program`; else what differs first."""
    theirs = run(program, torch)
    try:
        ours = run(program, afs)
    except Exception as e:
        return f"afs crashed outside a statement: {type(e).__name__}: {e}"
    tol = _tolerance(program)
    for (label, t), (label2, o) in zip(theirs, ours):
        if label != label2 or not _same(t, o, tol):
            return f"{label}\n  torch: {t}\n  afs:   {o if label == label2 else (label2, o)}"
    if len(theirs) != len(ours):
        extra = (theirs if len(theirs) > len(ours) else ours)[min(len(theirs), len(ours))]
        return f"one trace is longer: {extra}"
    return None


def shrink(program: Program) -> Program:
    """Drop statements (and unused data) while the program still disagrees."""
    changed = True
    while changed:
        changed = False
        for k in reversed(range(len(program.lines))):
            lines = program.lines[:k] + program.lines[k + 1:]
            trial = Program(program.seed, program.data, lines, program.create_graph)
            if _valid(trial) and disagreement(trial) is not None:
                program, changed = trial, True
    used = {k: v for k, v in program.data.items() if any(k in line for line in program.lines)}
    return Program(program.seed, used, program.lines, program.create_graph)


def _valid(program: Program) -> bool:
    """A program whose statements all name what they use (a shrink can orphan a name)."""
    try:
        run(program, torch)
    except Exception:
        return False
    env: dict = {"lib": torch, "np": np, **program.data}
    for line in program.lines:
        try:
            exec(line, env)
        except NameError:
            return False
        except Exception:
            return True
    return True


# -- generating a program -------------------------------------------------------------------------
class Generator:
    """Builds a program statement by statement, running torch to know each value."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.program = Program(seed, create_graph=self.rng.random() < 0.2)
        self.env: dict = {"lib": torch, "np": np}
        self.count = 0
        self.failed = False  # a statement raised: the program ends there

    # helpers
    def choice(self, seq: list) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def tensors(self, pred: Callable[[torch.Tensor], bool] = lambda t: True) -> list[str]:
        return [n for n, v in self.env.items() if n[0] in "xv" and n[1:].isdigit()
                and isinstance(v, torch.Tensor) and pred(v)]

    def emit(self, expr: str, inplace: bool = False) -> bool:
        """Add `name = expr` (or the in-place statement `expr`), run it on torch; False if it raised
        (the statement stays: both engines must then raise the same)."""
        if inplace:
            line = expr
        else:
            line = f"v{self.count} = {expr}"
            self.count += 1
        self.program.lines.append(line)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(line, self.env)
        except Exception:
            self.failed = True
            return False
        return True

    def shape(self, ndim: Optional[int] = None) -> tuple:
        ndim = int(self.rng.integers(0, 5)) if ndim is None else ndim
        # Sometimes zero-size; not under create_graph, where torch's engine shortcuts empty
        # gradients (they do not require grad), a difference we know of and leave.
        zero = 0 if self.program.create_graph else 0.02
        sizes = self.rng.integers(1, 4, ndim) * (self.rng.random(ndim) >= zero)
        return tuple(int(n) for n in sizes)

    def broadcastable(self, shape: tuple) -> tuple:
        """A shape that broadcasts with `shape`: a suffix of it, with some sizes set to 1."""
        tail = shape[len(shape) - int(self.rng.integers(0, len(shape) + 1)):]
        out = tuple(1 if self.rng.random() < 0.3 else n for n in tail)
        if len(out) == len(shape) < 4 and self.rng.random() < 0.2:  # more dims than `shape`
            out = (int(self.rng.integers(1, 3)),) + out
        return out

    def leaf(self, shape: Optional[tuple] = None, kind: Optional[str] = None) -> str:
        shape = self.shape() if shape is None else shape
        kind = kind or self.choice(["f"] * 8 + ["i", "b", "c"])
        name = f"x{self.count}"
        self.count += 1
        if kind in "fc":
            dt = self.choice(list(FLOATS))
            arr = self.rng.uniform(0.5, 2.0, shape) * self.rng.choice([-1, 1], shape)
            arr = arr.astype(dt)
        elif kind == "i":
            arr = self.rng.integers(-3, 5, shape).astype(np.int64)
        else:
            arr = self.rng.random(shape) < 0.5
        self.program.data[f"A{name[1:]}"] = self.env[f"A{name[1:]}"] = arr
        grad = ", requires_grad=True" if kind == "f" else ""
        line = f"{name} = lib.tensor(A{name[1:]}{grad})"
        self.program.lines.append(line)
        exec(line, self.env)
        return name

    def operand(self, shape: tuple) -> str:
        """Something to combine with a tensor of `shape`: a value, a new leaf, or a number."""
        r = self.rng.random()
        if r < 0.2:
            return self.choice(["2", "3", "-1", "0.5", "2.5", "-1.5", "True"])
        pool = self.tensors(lambda t: _broadcasts(tuple(t.shape), shape))
        if pool and r < 0.7:
            return self.choice(pool)
        return self.leaf(self.broadcastable(shape))

    # the statements
    def step(self) -> None:
        floats = self.tensors(lambda t: t.dtype.is_floating_point)
        if not floats or self.rng.random() < 0.1:
            self.leaf()
            return
        a = self.choice(self.tensors() if self.rng.random() < 0.15 else floats)
        t = self.env[a]
        kind = self.choice(["unary"] * 4 + ["binary"] * 5 + ["reduce"] * 2 + ["view"] * 3
                           + ["index"] * 3 + ["matmul", "inplace", "inplace", "inplace", "join",
                                              "loss", "compare"])
        getattr(self, kind)(a, t)

    def unary(self, a: str, t: torch.Tensor) -> None:
        x = t.detach().double()
        ops = ["{a}.tanh()", "{a}.sigmoid()", "-{a}", "{a} ** 2", "{a}.pow(3)", "{a} ** 0",
               "{a} * 1", "{a}.clone()", "{a}.float()", "{a}.double()", "2 ** {a}", "{a}.to(lib.float64)"]
        if x.numel() and x.abs().max() < 4:
            ops += ["{a}.exp()", "lib.exp({a})"]
        if x.numel() == 0 or x.min() > 0.1:
            ops += ["{a}.log()", "{a}.sqrt()", "{a} ** 0.5", "{a} ** 1.5", "2.5 ** {a}"]
        if x.numel() == 0 or x.abs().min() > 1e-3:
            ops += ["{a}.relu()", "{a}.abs()", "abs({a})", "lib.relu({a})", "{a} ** -1", "1 / {a}"]
            lo = self._gap(x)
            if lo is not None:
                ops += [f"{{a}}.clamp({lo[0]}, {lo[1]})", f"{{a}}.clamp(min={lo[0]})",
                        f"{{a}}.clamp(max={lo[1]})"]
        self.emit(self.choice(ops).format(a=a))

    def _gap(self, x: torch.Tensor) -> Optional[tuple]:
        """Clamp bounds away from every value of x."""
        vals = np.sort(x.reshape(-1).numpy())
        cands = [v for v in (-1.0, -0.25, 0.0, 0.3, 1.0) if vals.size == 0 or np.abs(vals - v).min() > 1e-3]
        if len(cands) < 2:
            return None
        lo, hi = sorted(self.rng.choice(cands, 2, replace=False))
        return float(lo), float(hi)

    def binary(self, a: str, t: torch.Tensor) -> None:
        b = self.operand(tuple(t.shape))
        bv = self.env.get(b)
        ops = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{b} + {a}", "{b} - {a}", "{b} * {a}",
               "lib.add({a}, {b})", "{a}.sub({b})", "lib.mul({a}, {b})"]
        if bv is None:
            if float(eval(b)) != 0:
                ops += ["{a} / {b}"]
            x = t.detach().double()
            if x.numel() == 0 or x.abs().min() > 0.1:
                ops += ["{b} / {a}"]
        else:
            if bv.numel() == 0 or bv.detach().double().abs().min() > 0.1:
                ops += ["{a} / {b}", "lib.div({a}, {b})"]
            if t.numel() == 0 or t.detach().double().min() > 0.1:
                ops += ["{a} ** {b}"]
            diff = (t.detach().double() - bv.detach().double())
            if diff.numel() == 0 or diff.abs().min() > 1e-3:
                ops += ["lib.where({a} > {b}, {a}, {b})", "lib.where({a} < {b}, {a}, 0.0)", "{a} > {b}"]
        self.emit(self.choice(ops).format(a=a, b=b))

    def reduce(self, a: str, t: torch.Tensor) -> None:
        nd = t.ndim
        d = int(self.rng.integers(-nd, nd)) if nd else self.choice([0, -1])
        ops = ["{a}.sum()", "{a}.sum({d})", "{a}.sum({d}, keepdim=True)", "lib.sum({a}, {d})",
               "{a}.mean()", "{a}.mean({d})", "{a}.mean(dim={d}, keepdim=True)", "{a}.sum(dim=())",
               "{a}.sum(({d},))"]
        if nd >= 2:
            ops += [f"{{a}}.sum(({d}, {(d + 1) % nd}))", f"{{a}}.mean(({d}, {(d + 1) % nd}), keepdim=True)"]
        flat = t.detach().reshape(-1)
        if flat.numel() and len(set(flat.tolist())) == flat.numel():
            ops += ["{a}.max()", "{a}.max({d}).values", "{a}.max({d}, keepdim=True)[0]",
                    "lib.max({a})", "{a}.max(dim={d}).indices", "{a}.argmax()"]
        if self.rng.random() < 0.05:
            ops += ["{a}.sum({bad})", "{a}.mean({bad})", "{a}.unsqueeze({bad2})"]
        self.emit(self.choice(ops).format(a=a, d=d, bad=nd + int(self.rng.integers(0, 2)),
                                          bad2=nd + 1 + int(self.rng.integers(0, 2))))

    def view(self, a: str, t: torch.Tensor) -> None:
        nd, shape = t.ndim, tuple(t.shape)
        ops = ["{a}.reshape(-1)", "{a}.view(-1)", "{a}.flatten()", "{a}.contiguous()",
               "{a}.unsqueeze(0)", "{a}.unsqueeze(-1)", "{a}.squeeze()", "{a}.reshape({shape})",
               "{a}.view({shape})", "{a}.expand({big})", "{a}.data", "{a}.detach()"]
        if 1 <= nd <= 2:  # on 0-D and beyond 2-D, x.T warns once per process (test_misuse_torch)
            ops += ["{a}.T"]
        if nd <= 2:
            ops += ["{a}.t()", "{a}.t().contiguous().view(-1)"]
        if nd >= 1:
            d = int(self.rng.integers(-nd, nd))
            perm = tuple(int(i) for i in self.rng.permutation(nd))
            ops += [f"{{a}}.squeeze({d})", f"{{a}}.unsqueeze({d})", f"{{a}}.permute{perm if nd > 1 else f'({perm[0]},)'}",
                    f"{{a}}.flatten({d})", f"{{a}}.transpose({d}, {int(self.rng.integers(-nd, nd))})",
                    "{a}.view({shape}).view(-1)", f"{{a}}.permute{perm if nd > 1 else f'({perm[0]},)'}.view(-1)",
                    f"{{a}}.transpose(0, -1).reshape({self._refold(shape[::-1])})"]
        if nd >= 2:
            ops += ["{a}[:, :1].view(-1)", "{a}.t().view(-1)" if nd == 2 else "{a}.transpose(0, 1).view(-1)"]
        if self.rng.random() < 0.05:
            ops += ["{a}.permute(*range({n}))", "{a}.view(7, -1)", "{a}.expand(5, 5, 5, 5, 5)"]
        big = tuple(int(self.rng.integers(1, 3)) for _ in range(int(self.rng.integers(0, 2)))) + tuple(
            (int(self.rng.integers(1, 4)) if n == 1 else n) if self.rng.random() < 0.7 else -1 for n in shape)
        self.emit(self.choice(ops).format(a=a, shape=self._refold(shape), big=big or "()", n=nd + 1))

    def _refold(self, shape: tuple) -> tuple:
        """Another shape with as many elements: the sizes regrouped."""
        n = int(np.prod(shape))
        out = []
        while n > 1 and len(out) < 3:
            divs = [k for k in (2, 3, 4, 6) if n % k == 0]
            if not divs:
                break
            k = self.choice(divs)
            out.append(k)
            n //= k
        out.append(n)
        return tuple(out)

    def index(self, a: str, t: torch.Tensor) -> None:
        shape = tuple(t.shape)
        nd = len(shape)
        ops = ["{a}[...]", "{a}[None]", "{a}[..., None]"]
        if 0 in shape:
            nd = 0  # zero-size: no element to pick
        if nd >= 1:
            i = int(self.rng.integers(-shape[0], shape[0]))
            ops += [f"{{a}}[{i}]", "{a}[:]", "{a}[1:]", "{a}[:2]", "{a}[::2]", f"{{a}}[[{i}, 0]]",
                    f"{{a}}[..., {int(self.rng.integers(shape[-1]))}]", "{a}[{a} > 0]",
                    f"{{a}}[lib.tensor([{i}])]"]
            if self.rng.random() < 0.1:
                ops += ["{a}[::-1]", f"{{a}}[{shape[0]}]", "{a}[0.5]"]
        if nd >= 2:
            j = int(self.rng.integers(shape[1]))
            ops += [f"{{a}}[:, {j}]", f"{{a}}[0, {j}]", f"{{a}}[:, [{j}]]", f"{{a}}[[0], {j}]",
                    f"{{a}}[0, [{j}, 0]]", "{a}[:, 1:]", f"{{a}}[[0, 0], [{j}, 0]]"]
        if nd >= 3:
            ops += [f"{{a}}[0, :, [{int(self.rng.integers(shape[2]))}]]", "{a}[:, 0, [0]]",
                    "{a}[[0], :, [0]]", "{a}[..., [0], 0]"]
        self.emit(self.choice(ops).format(a=a))

    def matmul(self, a: str, t: torch.Tensor) -> None:
        shape = tuple(t.shape)
        if 0 in shape:  # torch skips its dtype check for empty products; a difference we leave
            return
        if not shape:
            shape = (int(self.rng.integers(1, 4)),)
            a = self.leaf(shape, "f")
        k = shape[-1] + (1 if self.rng.random() < 0.03 else 0)  # sometimes a size mismatch
        nd = int(self.rng.integers(1, 4))
        other = (k,) if nd == 1 else self.broadcastable(shape[:-2])[: nd - 2] + (k, int(self.rng.integers(1, 4)))
        b = self.leaf(other, "f")
        self.emit(self.choice(["{a} @ {b}", "lib.matmul({a}, {b})", "{b}.transpose(-1, -2) @ {a}.transpose(-1, -2)"
                               if nd >= 2 and len(shape) >= 2 else "{a} @ {b}"]).format(a=a, b=b))

    def loss(self, a: str, t: torch.Tensor) -> None:
        """cross_entropy over the classes of dim 1 (or 0), or mse_loss against a value or a leaf."""
        f = "lib.nn.functional"
        red = self.choice(["", ", reduction='sum'", ", reduction='none'"])
        if t.ndim == 0 or 0 in t.shape or not t.dtype.is_floating_point or self.rng.random() < 0.3:
            b = self.choice(self.tensors(lambda u: tuple(u.shape) == tuple(t.shape) and u.dtype == t.dtype))
            self.emit(f"{f}.mse_loss({a}, {b}{red})")
            return
        classes = t.shape[1] if t.ndim > 1 else t.shape[0]
        target_shape = t.shape[:1] + t.shape[2:] if t.ndim > 1 else ()
        name = f"x{self.count}"
        self.count += 1
        self.program.data[f"A{name[1:]}"] = self.env[f"A{name[1:]}"] = self.rng.integers(0, classes, target_shape)
        self.program.lines.append(f"{name} = lib.tensor(A{name[1:]})")
        exec(self.program.lines[-1], self.env)
        self.emit(f"{f}.cross_entropy({a}, {name}{red})")

    def compare(self, a: str, t: torch.Tensor) -> None:
        """A comparison (a bool tensor) and what uses one: a mask, a where, all/any."""
        b = self.operand(tuple(t.shape))
        bv = self.env.get(b)
        x = t.detach().double()
        diff = x - (bv.detach().double() if bv is not None else float(eval(b)))
        if diff.numel() and diff.abs().min() < 1e-3:
            return
        op = self.choice(["<", "<=", ">", ">=", "==", "!="])
        self.emit(self.choice([f"{a} {op} {b}", f"({a} {op} {b}).all()", f"({a} {op} {b}).any()",
                               f"{a} * ({a} {op} {b})", f"lib.where({a} {op} {b}, {a}, 1.0)"]))

    def join(self, a: str, t: torch.Tensor) -> None:
        d = int(self.rng.integers(-t.ndim, t.ndim)) if t.ndim else 0
        pool = self.tensors(lambda u: tuple(u.shape) == tuple(t.shape) and u.dtype == t.dtype)
        b = self.choice(pool)
        if t.ndim:
            self.emit(self.choice([f"lib.cat([{a}, {b}], {d})", f"lib.stack([{a}, {b}], {d})",
                                   f"lib.stack([{a}, {b}])"]))
        else:
            self.emit(f"lib.stack([{a}, {b}])")

    def inplace(self, a: str, t: torch.Tensor) -> None:
        """An in-place op on a fresh copy, on a value, or on a view of one (then the base is used)."""
        if t.is_leaf and t.requires_grad and self.rng.random() < 0.9:
            self.emit(f"{a}.clone()")
            a = f"v{self.count - 1}"
            t = self.env[a]
        shape = tuple(t.shape)
        target = a
        if shape and self.rng.random() < 0.5:
            target = self.choice([f"{a}[0]", f"{a}[:1]", f"{a}[..., 0]" if len(shape) > 1 else f"{a}[1:]",
                                  f"{a}.view(-1)[:1]" if t.is_contiguous() else f"{a}[:1]", f"{a}.data"])
            if not self.emit(target):
                return
            target = f"v{self.count - 1}"
            shape = tuple(self.env[target].shape)
        b = self.operand(shape)
        if not self.env[target].dtype.is_floating_point and getattr(self.env.get(b), "requires_grad", False):
            # torch then marks the integer tensor as requiring grad (CopySlices, FillBackward3);
            # afs never lets an integer tensor require grad: a difference we know of and leave.
            b = "2"
        x = self.env[target].detach().double()
        ops = ["{t}.mul_({b})", "{t}.add_({b})", "{t}.sub_({b})", "{t} += {b}", "{t} *= {b}",
               "{t}.zero_()", "{t}.fill_(1.5)", "{t}.copy_({b})", "{t}[...] = {b}"]
        if shape:
            ops += ["{t}[0] = {b}" if self.env.get(b) is None or self.env[b].ndim < len(shape) else "{t}[0] = 2.0"]
        if x.numel() == 0 or x.abs().min() > 1e-3:
            ops += ["{t}.relu_()"]
        bv = self.env.get(b)
        if bv is None and float(eval(b)) != 0 or bv is not None and (bv.numel() == 0 or bv.detach().double().abs().min() > 0.1):
            ops += ["{t}.div_({b})", "{t} /= {b}"]
        if not self.emit(self.choice(ops).format(t=target, b=b), inplace=True):
            return
        if self.rng.random() < 0.5 and target != a:  # use the base after the view changed it
            self.emit(f"{a} * 2")
        elif target != a:
            self.emit(f"{target} * {a}.sum()")


def _broadcasts(s: tuple, t: tuple) -> bool:
    try:
        np.broadcast_shapes(s, t)
        return True
    except ValueError:
        return False


def generate(seed: int) -> Program:
    gen = Generator(seed)
    length = int(gen.rng.integers(2, 9))
    while len(gen.program.lines) < length and not gen.failed:
        gen.step()
    return gen.program


def fuzz(seeds: range) -> tuple[int, list[str]]:
    """Run the programs of `seeds`; (how many agreed, a shrunk reproduction of each disagreement)."""
    agreed, reports = 0, []
    for seed in seeds:
        program = generate(seed)
        found = disagreement(program)
        if found is None:
            agreed += 1
            continue
        small = shrink(program)
        reports.append(f"--- seed {seed}: {disagreement(small) or found}\n{small.source()}")
    return agreed, reports

