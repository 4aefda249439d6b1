"""The exercises work as a class uses them.

For every notebook with exercises, the notebook is run top to bottom in a fresh kernel as a student
gets it (nothing answered), then, for each exercise, its check cell is run again after:

- each typical wrong answer below: the check must say "not solved yet" and name the mistake (the
  text given with the wrong answer must be in its message);
- any other right answer below, and the reference solution (notebooks/solutions/NN_name.py): the
  check must say "solved".

An untouched Run All must solve nothing: every check of the untouched notebook says "not solved yet".
The committed notebooks hold no solution: no hidden cell, and no line that only the solution has.

A wrong answer is either a whole answer cell, or `Edit(old, new)`: the reference solution with
`old` replaced by `new` (one typical slip).

The Chinese edition (notebooks/zh/) has the same exercises with the same code (tests/test_zh_notebooks.py
checks it token by token) and the same solutions; only the words differ. So its committed notebooks
get the same static checks (no solution in them; every check says 尚未通过), but only two are run
with answers, ZH_RUN: notebook 01 with every wrong answer and solution above, and the build-it
notebook with its solutions and two slips, each check saying its verdict in Chinese and the reason
in Chinese (for some, the exact words _course makes: ZH_WRONG). Running every zh notebook so would
add the ~6 minutes of the English runs to test the same code again; each sentence _course makes is
tested in both languages in tests/test_zh.py, and the translated strings' values in the check cells
by its f-string test.
"""
from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS_DIR))
from _course import language
from _course.checks import SOLVED, not_yet_prefix, solved_line
from _course.solutions import SOLUTIONS_DIR, solutions

CHECK_CELL = re.compile(r"_course\.exercise\((\d+)\)")


@dataclass(frozen=True)
class Edit:
    """The reference solution with one slip: `old` replaced by `new`."""
    old: str
    new: str


# (notebook, exercise): [(wrong answer, what its check's message must say), ...]
WRONG = {
    ("00_the_training_step", 1): [
        ("def first_update(param, grad, lr):\n    param -= lr * grad\n    return param\n", "in place"),
        (Edit("param - lr * grad", "param + lr * grad"), "first_update for conv1.weight, against torch's SGD at index"),
    ],
    ("00_the_training_step", 2): [
        ("dloss_dprediction = torch.ones(1000)\n", "expected shape (1, 1000), got shape (1000,)"),
        ("dloss_dprediction = torch.zeros(1, 1000)\n", "expected 1, got 0"),
    ],
    ("00_the_training_step", 3): [
        ("n_gradient_numbers = len(list(ours.parameters()))\n", "the number of parameter tensors"),
        ("n_gradient_numbers = sum(p.numel() for n, p in ours.named_parameters() if n.endswith('weight'))\n",
         "n_gradient_numbers: expected 11689512"),
    ],
    ("01_first_gradients", 1): [
        (Edit("my_a_grad = [9.0, 2.25]", "my_a_grad = [-9.0, 2.25]"), "my_a_grad at index (0,): expected 9, got -9"),
        (Edit("my_b_grad = [0.0, -4.0]", "my_b_grad = [0.0, 4.0]"), "my_b_grad at index (1,): expected -4, got 4"),
    ],
    ("01_first_gradients", 2): [
        (Edit("return 2 * a * b + 2", "return 2 * a * b"), "dR_da(a, b) for torch tensors a = [2.0, 3.0]"),
        (Edit("return a**2 - 3 * b**2", "return a**2 - 3 * b"), "dR_db(a, b) for torch tensors"),
    ],
    ("01_first_gradients", 3): [
        ("v = afs.tensor([1., 1.])\n", "a.grad after Q.backward(gradient=v), against dL/da"),
        ("v = torch.tensor([2., -1.])\n", "make it an afs tensor"),
    ],
    ("02_computational_graph", 1): [
        ('my_names = ["MulBackward0", "AddBackward0"]\n', "the names in z.grad_fn.next_functions (torch)"),
        ('my_names = ["AccumulateGrad", "MulBackward0"]\n', "expected ['MulBackward0', 'AccumulateGrad']"),
    ],
    ("02_computational_graph", 2): [
        (("def per_step_grads(x, steps=3):\n    grads = []\n    for k in range(1, steps + 1):\n"
          "        (k * x**2).sum().backward()\n        grads.append(x.grad.clone())\n    return grads\n"),
         "the gradient of step 2 (torch), 2kx at index (0,): expected 4, got 6"),
        (("def per_step_grads(x, steps=3):\n    grads = []\n    for k in range(1, steps + 1):\n"
          "        x.grad.zero_()\n        (k * x**2).sum().backward()\n        grads.append(x.grad.clone())\n"
          "    return grads\n"), "your code raised AttributeError"),
    ],
    ("02_computational_graph", 3): [
        (("def two_grads(a, b, autograd):\n    Q = 3 * a**3 - b**2\n    Q.sum().backward()\n    g1 = a.grad.clone()\n"
          "    a.grad = None\n    (Q * Q).sum().backward()\n    return g1, a.grad\n"), "your code raised RuntimeError"),
        (("def two_grads(a, b, autograd):\n    Q = 3 * a**3 - b**2\n    Q.sum().backward(retain_graph=True)\n"
          "    g1 = a.grad.clone()\n    (Q * Q).sum().backward()\n    return g1, a.grad\n"),
         "dL2/da, the second gradient (torch tensors)"),
        (Edit("autograd.grad(", "torch.autograd.grad("), "(in two_grads: `(g1,) = torch.autograd.grad("),
    ],
    ("04_inside_the_engine", 1): [
        (Edit("return grad * 3 * x * x", "return grad * 3 * x"), "the gradient of Cube in torch"),
        (Edit("return grad * 3 * x * x", "return 3 * x * x"), "the gradient of Cube in torch"),
    ],
    ("04_inside_the_engine", 2): [
        ("predicted_wrong_grad = 27\n", "27 is the right gradient"),
        ("predicted_wrong_grad = 18.0\n", "the assigning engine's x.grad: expected 9.0, got 18.0"),
    ],
    ("04_inside_the_engine", 3): [
        (Edit("return grad * a / z, grad * b / z", "return grad * b / z, grad * a / z"),
         "the gradient of Hypot for a in torch"),
        (Edit("return grad * a / z, grad * b / z", "return grad * a / z"), "your code raised"),
    ],
    ("05_vector_calculus", 1): [
        (Edit(", retain_graph=True)", ")"), "your code raised RuntimeError"),
        (Edit("afs.tensor(e_i.reshape(out.shape))", "afs.ones(out.shape, dtype=afs.float64)"),
         "jacobian_by_rows(f, x), against torch's Jacobian at index"),
    ],
    ("05_vector_calculus", 2): [
        ("x_grad_guess = [[1.0], [1.0], [1.0]]\ny_grad_guess = [1.0, 1.0, 1.0, 1.0]\n",
         "x_grad_guess, against torch's x.grad at index (0, 0): expected 4, got 1"),
        ("x_grad_guess = [4.0, 4.0, 4.0]\ny_grad_guess = [3.0, 3.0, 3.0, 3.0]\n", "expected shape (3, 1), got shape (3,)"),
    ],
    ("05_vector_calculus", 3): [
        ("v_for_l = y.detach()\n", "x.grad after y.backward(gradient=v_for_l), against dl/dx at index"),
        ("v_for_l = afs.ones(4, dtype=afs.float64)\n", "your code raised"),
    ],
    ("06_layers", 1): [
        (Edit("return y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)", "return y.reshape(n, o, ho, wo)"),
         "conv_by_im2col(x, w), against torch's conv2d at index"),
        (Edit("return y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)", "return y.reshape(n, ho, wo, o)"),
         "expected shape (2, 4, 4, 3), got shape (2, 4, 3, 4)"),
    ],
    ("06_layers", 2): [
        (Edit("b.var(ddof=1)", "b.var()"), "running_var_guess, against torch's BatchNorm2d.running_var: expected"),
        (Edit("0.9 * running_var_guess + 0.1 *", "0.1 * running_var_guess + 0.9 *"), "running_var_guess, against"),
    ],
    ("06_layers", 3): [
        (Edit("[[0.0, 11.0,", "[[0.0, 10.0,"), "at index (0, 1): expected 11, got 10"),
        ("grad_guess = [[15.0, 15.0], [13.0, 14.0]]\n", "expected shape (4, 4), got shape (2, 2)"),
    ],
    ("07_exclusion_from_the_dag", 1): [
        (Edit('"x * 2": False', '"x * 2": True'), "(x * 2).requires_grad in torch: expected False, got True"),
        (Edit('"x + z.detach()": False', '"x + z.detach()": True'), "(x + z.detach()).requires_grad in torch"),
    ],
    ("07_exclusion_from_the_dag", 2): [
        ("def freeze_all_but_last(model):\n    for param in model.parameters():\n        param.requires_grad = False\n",
         "the parameters that require grad (torch): expected ['4.weight', '4.bias'], got []"),
        ("def freeze_all_but_last(model):\n    for param in model[0].parameters():\n        param.requires_grad = False\n",
         "the parameters that require grad (torch)"),
    ],
    ("07_exclusion_from_the_dag", 3): [
        ("def predict(model, inputs, engine):\n    model.eval()\n    return model(inputs)\n", "a graph was recorded"),
        ("def predict(model, inputs, engine):\n    with engine.no_grad():\n        return model(inputs)\n",
         "still in training mode"),
    ],
    ("08_resnet18_sgd_step", 1): [
        (Edit("b = g.copy() if b is None", "b = (1 - dampening) * g if b is None"), "dampening=0.5"),
        (Edit("g = g + momentum * b if nesterov else b", "g = b"), "nesterov=True"),
    ],
    ("08_resnet18_sgd_step", 2): [
        (Edit("p.requires_grad = False", "pass"), "the parameters that require grad (afs)"),
        (("def finetune(model, nn):\n    model.fc = nn.Linear(512, 10)\n    for p in model.parameters():\n"
          "        p.requires_grad = False\n    return model\n"),
         "the parameters that require grad (afs): expected ['fc.weight', 'fc.bias'], got []"),
    ],
    ("08_resnet18_sgd_step", 3): [
        (Edit('s["momentum_buffer"].numpy().nbytes', 's["momentum_buffer"].numel()'), "the number of numbers"),
        ("def momentum_bytes(optimizer):\n    return len(optimizer.state)\n", "momentum_bytes(our optimizer): expected"),
    ],
    ("09_beyond_the_basics", 1): [
        (Edit("return grad * min(1.0, 1.0 / norm)", "return grad / norm"), "below 1: to leave as it is"),
        ("def clip_to_unit_norm(grad):\n    return grad\n", "to scale down to 1"),
    ],
    ("09_beyond_the_basics", 2): [
        (Edit("(third,) = afs.autograd.grad(d2_ours, x2_ours)", "(third,) = afs.autograd.grad(d1_ours, x2_ours)"),
         "third is the second derivative"),
        (Edit("(third,) = afs.autograd.grad(d2_ours, x2_ours)", "(third,) = afs.autograd.grad(y2_ours, x2_ours)"),
         "third is the first derivative"),
    ],
    ("09_beyond_the_basics", 3): [
        (Edit("return grad / (1 + x.abs()) ** 2", "return grad / (1 + x.abs())"), "Softsign's gradient under"),
        (Edit("return grad / (1 + x.abs()) ** 2", "return 1 / (1 + x.abs()) ** 2"), "Softsign's gradient under"),
    ],
    ("10_training_loop", 1): [
        ("def manual_step(lib, model, lr):\n    for p in model.parameters():\n        p -= lr * p.grad\n",
         "your code raised RuntimeError"),
        (("def manual_step(lib, model, lr):\n    with lib.no_grad():\n        for p in model.parameters():\n"
          "            p = p - lr * p.grad\n"), "the losses of 8 steps with manual_step (afs)"),
    ],
    ("10_training_loop", 2): [
        (Edit("0.1 * 0.5 ** epoch", "0.1 * 0.5 ** (epoch + 1)"),
         "the learning rate of epoch 0 (torch): expected 0.1, got 0.05"),
        ('def set_learning_rate(optimizer, epoch):\n    optimizer.param_groups[0]["lr"] *= 0.5\n',
         "the learning rate of epoch 0 (torch)"),
    ],
    ("10_training_loop", 3): [
        (("def clip_gradients(lib, model, max_norm):\n    with lib.no_grad():\n        for p in model.parameters():\n"
          "            norm = (p.grad ** 2).sum().item() ** 0.5\n            p.grad.mul_(min(1.0, max_norm / norm))\n"),
         "the losses of 8 clipped steps (afs)"),
        (Edit("min(1.0, max_norm / total_norm)", "max_norm / total_norm"), "the losses of 8 clipped steps (afs)"),
    ],
}

WRONG.update({
    ("03_build_it_yourself", 1): [
        (Edit("self.data = np.asarray(data, dtype=np.float64)", "self.data = np.asarray(data)"),
         "data.dtype (ints become float64)"),
        (Edit("self.grad = None", "self.grad = 0.0"), "(grad, grad_fn) of a new tensor"),
    ],
    ("03_build_it_yourself", 2): [
        (Edit("if any(isinstance(t, Tensor) and t.requires_grad for t in inputs):", "if True:"),
         "requires_grad of exp(x) when x.requires_grad is False: expected False, got True"),
        (Edit('return type(self).__name__ + "Backward0"', "return type(self).__name__"),
         "exp(x).grad_fn.name(): expected 'ExpBackward0', got 'Exp'"),
    ],
    ("03_build_it_yourself", 3): [
        (Edit("return grad * b, grad * a", "return grad * a, grad * b"), "Mul.backward: the gradient for input 0"),
        (Edit("return grad, sum_to(grad, ctx.b_shape)", "return grad, grad"),
         "Add.backward: the gradient for input 1: expected shape (4,), got shape (3, 4)"),
    ],
    ("03_build_it_yourself", 4): [
        (Edit("return order[::-1]", "return order"), "not f.grad_fn"),
        (Edit("if node is None or node in seen:", "if node is None:"), "appear more than once"),
    ],
    ("03_build_it_yourself", 5): [
        ("def accumulate(leaf, grad):\n    leaf.grad = grad\n", "leaf.grad after 2 accumulate call(s)"),
        (("def accumulate(leaf, grad):\n    if leaf.grad is None:\n        leaf.grad = grad\n    else:\n"
          "        leaf.grad += grad\n"), "in place"),
    ],
    ("03_build_it_yourself", 6): [
        (Edit("pending[t.grad_fn] = pending.get(t.grad_fn, 0) + g", "pending[t.grad_fn] = g"),
         "(h = relu(x W + b) is used twice)"),
        (Edit("not t.requires_grad or ", ""), "x.grad is set, but x does not require grad"),
    ],
    ("03_build_it_yourself", 7): [
        (Edit("        p.grad = None  # the next backward starts from nothing\n", ""), "the losses of 150 steps in your engine"),
        (Edit("p.data - lr * p.grad", "p.data + lr * p.grad"), "the losses of 150 steps in your engine"),
    ],
})
# The build-it notebook is tested by filling its answer cells in (its classes build on each other:
# a class redefined at the end would leave the ops built on the old one).
BUILD_IT = "03_build_it_yourself"

# Other right answers, which the check must accept too.
RIGHT = {
    ("02_computational_graph", 3): [
        ("def two_grads(a, b, autograd):\n    Q = 3 * a**3 - b**2\n    Q.sum().backward(retain_graph=True)\n"
         "    g1 = a.grad.clone()\n    a.grad = None\n    (Q * Q).sum().backward()\n    return g1, a.grad\n"),
    ],
    ("10_training_loop", 3): [  # torch's own formula, with its + 1e-6
        Edit("max_norm / total_norm", "max_norm / (total_norm + 1e-6)"),
    ],
}

NAMES = sorted(path.stem for path in SOLUTIONS_DIR.glob("[0-9][0-9]_*.py"))
ZH_DIR = NOTEBOOKS_DIR / "zh"
ZH_NAMES = [name for name in NAMES if (ZH_DIR / f"{name}.ipynb").exists()]
# (language, notebook): every English notebook, and the zh ones that exist so far.
EDITIONS = [("en", name) for name in NAMES] + [("zh", name) for name in ZH_NAMES]
ZH_RUN = "01_first_gradients"

# Wrong answers of ZH_RUN and the build-it notebook: words their Chinese check must say, made by
# _course itself (notebooks/_course/checks.py, build_it.py), not by the translated check cells.
ZH_WRONG = {
    ("01_first_gradients", 1): ["在索引(0,)处：应为9，实际是-9", "在索引(1,)处：应为-4，实际是4"],
    ("03_build_it_yourself", 4): ["不是f.grad_fn", "出现了不止一次"],
    ("03_build_it_yourself", 6): ["（h = relu(x W + b)用了两次）", "x.grad有了值，但x不需要梯度"],
}
HAS_CJK = re.compile("[\u4e00-\u9fff]")


def notebook_path(edition: str, name: str) -> Path:
    return (ZH_DIR if edition == "zh" else NOTEBOOKS_DIR) / f"{name}.ipynb"


@contextmanager
def speaking(edition: str):
    """_course's sentences in `edition`'s language (as the notebook's kernel has them)."""
    before, language.LANGUAGE = language.LANGUAGE, edition
    try:
        yield
    finally:
        language.LANGUAGE = before


def verdicts(edition: str, n: int) -> tuple[str, str]:
    """(what a check prints when exercise n is solved, how it starts when not) in `edition`."""
    with speaking(edition):
        return solved_line(n), not_yet_prefix(n).rstrip()


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(source({"source": out.get("text", "")}))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        elif "text/plain" in out.get("data", {}):
            parts.append(source({"source": out["data"]["text/plain"]}))
    return "".join(parts)


def answer_source(answer, solution: str) -> str:
    if isinstance(answer, Edit):
        assert answer.old in solution, f"the slip {answer.old!r} is not in the reference solution"
        return solution.replace(answer.old, answer.new)
    return answer


def check_cells(nb: dict) -> dict[int, dict]:
    found = {}
    for cell in nb["cells"]:
        match = CHECK_CELL.search(source(cell)) if cell["cell_type"] == "code" else None
        if match:
            found[int(match.group(1))] = cell
    return found


def first_code_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")


def answer_cell(nb: dict, n: int, solution: str, checks: dict[int, dict]) -> dict:
    """The cell a student answers exercise n in: the one that starts like its solution, else the
    code cell right above its check."""
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    same_start = [c for c in code if first_code_line(source(c)) == first_code_line(solution)]
    if len(same_start) == 1:
        return same_start[0]
    return code[code.index(checks[n]) - 1]


def test_every_exercise_has_a_solution_and_wrong_answers():
    assert NAMES, f"no solutions in {SOLUTIONS_DIR}"
    for name in NAMES:
        nb = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        numbers = sorted(check_cells(nb))
        assert numbers == sorted(solutions(name)), f"{name}: checks {numbers}, solutions {sorted(solutions(name))}"
        for n in numbers:
            assert len(WRONG.get((name, n), [])) >= 2, f"{name} exercise {n}: fewer than 2 wrong answers tested"


@pytest.mark.parametrize("edition, name", EDITIONS, ids=[f"{e}-{n}" for e, n in EDITIONS])
def test_committed_notebook_holds_no_solution(edition, name):
    nb = json.loads(notebook_path(edition, name).read_text(encoding="utf-8"))
    hidden = [source(c)[:60] for c in nb["cells"] if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
    assert not hidden, f"{name}: hidden cells (a collapsed cell still shows its first line): {hidden}"
    checks = check_cells(nb)
    stubs = {n: answer_cell(nb, n, solution, checks) for n, solution in solutions(name).items()}
    first = min(nb["cells"].index(stub) for stub in stubs.values())

    def lines(cells):
        return {line.strip() for c in cells for line in source(c).splitlines()}

    # A line of the lesson above the exercises may be in a solution too (`Q = 3 * a**3 - b**2`).
    # The checks' own code is not an answer either (`with engine.no_grad():`).
    notebook_lines = (lines(c for c in nb["cells"][first:] if c not in checks.values())
                      - lines(nb["cells"][:first]))
    for n, solution in solutions(name).items():
        stub = stubs[n]
        stub_lines = {line.strip() for line in source(stub).splitlines()}
        answer_lines = [line.strip() for line in solution.splitlines() if len(line.strip()) >= 16
                        and not line.strip().startswith(("#", "print(")) and line.strip() not in stub_lines]
        leaked = [line for line in answer_lines if line in notebook_lines]
        assert not leaked, f"{name} exercise {n}: lines of the reference solution are in the notebook: {leaked}"
    for n, cell in check_cells(nb).items():
        said = output_text(cell)
        assert verdicts(edition, n)[1] in said, (
            f"{edition} {name} exercise {n}: the committed check says {said!r}, not what is still missing")


RUNS = [("en", n) for n in NAMES if n != BUILD_IT] + [("zh", n) for n in ZH_NAMES if n == ZH_RUN]


def judged(edition: str, name: str, n: int, said: str, must: str, k: int = 0) -> str | None:
    """What is wrong with a check's output `said` for exercise n, or None. `must`: SOLVED, or the words
    (English) the check of the k-th wrong answer must say. In Chinese the verdict and the reason must be
    Chinese, with ZH_WRONG's words where it gives them."""
    solved, not_yet = verdicts(edition, n)
    said = said.strip()
    if must == SOLVED:
        return None if said.splitlines()[-1:] == [solved] else f"says {said!r}, not {solved!r}"
    if not_yet not in said:
        return f"says {said!r}, not {not_yet!r}"
    if edition == "en":
        return None if must in said else f"says {said!r}\n  expected it to say {must!r}"
    reason = said.split(not_yet, 1)[1]
    words = ZH_WRONG.get((name, n), [])[k:k + 1]
    if not HAS_CJK.search(reason) or any(w not in reason for w in words):
        return f"says {said!r}\n  expected a reason in Chinese{f' with {words[0]!r}' if words else ''}"
    return None


@pytest.mark.parametrize("edition, name", RUNS, ids=[f"{e}-{n}" for e, n in RUNS])
def test_checks_accept_the_solution_and_name_each_mistake(edition, name):
    import nbformat
    from nbclient import NotebookClient

    path = notebook_path(edition, name)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    original_checks = check_cells(nb)
    runs = []  # (exercise, answer, what the check must say, which wrong answer, its check cell)
    for n, solution in solutions(name).items():
        check = source(original_checks[n])
        tries = [(answer_source(a, solution), must, k) for k, (a, must) in enumerate(WRONG.get((name, n), []))]
        tries += [(answer_source(a, solution), SOLVED, 0) for a in RIGHT.get((name, n), [])]
        tries.append((solution, SOLVED, 0))
        for answer, must, k in tries:
            nb.cells.append(nbformat.v4.new_code_cell(answer))
            nb.cells.append(nbformat.v4.new_code_cell(check))
            runs.append((n, answer, must, k, nb.cells[-1]))
    # The kernel starts in the notebook's folder, as Jupyter's: a zh notebook's _course speaks Chinese.
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()

    problems = []
    for n, cell in original_checks.items():
        said = output_text(cell)
        if verdicts(edition, n)[1] not in said:
            problems.append(f"exercise {n}, untouched: the check says {said!r}")
    for n, answer, must, k, cell in runs:
        problem = judged(edition, name, n, output_text(cell), must, k)
        if problem:
            kind = "right" if must == SOLVED else "wrong"
            problems.append(f"exercise {n}, {kind} answer:\n{answer}\n  the check {problem}")
    assert not problems, f"{edition} {name}:\n" + "\n".join(problems)


# -- the build-it notebook: answers filled in, run top to bottom ------------------------------------
def run_filled_in(answers: dict[int, str], stop_after_check: int | None = None, edition: str = "en"):
    """The build-it notebook with answer cell N replaced by answers[N], executed top to bottom (up to
    check `stop_after_check`); returns it and its check cells."""
    import nbformat
    from nbclient import NotebookClient

    path = notebook_path(edition, BUILD_IT)
    nb = nbformat.read(path, as_version=4)
    reference = solutions(BUILD_IT)
    for n, answer in answers.items():
        cells = [c for c in nb.cells if c.cell_type == "code"
                 and first_code_line(source(c)) == first_code_line(reference[n])]
        assert len(cells) == 1, f"exercise {n}: {len(cells)} answer cells start like its solution"
        cells[0].source = answer
    checks = check_cells(nb)
    if stop_after_check is not None:
        del nb.cells[nb.cells.index(checks[stop_after_check]) + 1:]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb, checks


BUILD_IT_EDITIONS = ["en"] + (["zh"] if BUILD_IT in ZH_NAMES else [])


@pytest.mark.parametrize("edition", BUILD_IT_EDITIONS)
def test_build_it_runs_top_to_bottom_with_the_reference_solutions(edition):
    nb, checks = run_filled_in(solutions(BUILD_IT), edition=edition)
    errors = [f"{source(c)[:60]!r}: {o['ename']}: {o['evalue']}" for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, f"errors: {errors}"
    for n, cell in checks.items():
        assert output_text(cell).strip() == verdicts(edition, n)[0], f"step {n}: {output_text(cell)!r}"
    if edition == "en":  # the zh notebook prints its own words
        assert "your engine's curve drawn: True" in "".join(output_text(c) for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("step", sorted(solutions(BUILD_IT)))
def test_build_it_checks_name_each_mistake(step):
    reference = solutions(BUILD_IT)
    problems = []
    for answer, must in WRONG[(BUILD_IT, step)]:
        wrong = answer_source(answer, reference[step])
        _, checks = run_filled_in({**reference, step: wrong}, stop_after_check=step)
        problem = judged("en", BUILD_IT, step, output_text(checks[step]), must)
        if problem:
            problems.append(f"wrong answer:\n{wrong}\n  the check {problem}")
    assert not problems, f"step {step}:\n" + "\n".join(problems)


ZH_BUILD_IT_SLIPS = [(step, k) for step, k in [(4, 0), (6, 1)] if BUILD_IT in ZH_NAMES]


@pytest.mark.parametrize("step, k", ZH_BUILD_IT_SLIPS, ids=[f"step{s}-{k}" for s, k in ZH_BUILD_IT_SLIPS])
def test_build_it_checks_name_a_mistake_in_chinese(step, k):
    """Two of the slips above in the zh notebook: build_it.py's own sentences, in Chinese."""
    reference = solutions(BUILD_IT)
    answer, must = WRONG[(BUILD_IT, step)][k]
    wrong = answer_source(answer, reference[step])
    _, checks = run_filled_in({**reference, step: wrong}, stop_after_check=step, edition="zh")
    problem = judged("zh", BUILD_IT, step, output_text(checks[step]), must, k)
    assert problem is None, f"step {step}, wrong answer:\n{wrong}\n  the check {problem}"
