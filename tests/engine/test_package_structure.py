"""The package's shape, checked without torch: one direction of imports, small functions.

- No import cycle among the package's modules at module level (a module may reach another at call
  time, inside a function, as minitorch reaches `Tensor` through its package).
- Every module imports on its own in a fresh interpreter.
- Every function of the engine core (autograd/, tensor.py and its printing and creation modules)
  has a cyclomatic complexity of at most 10 (radon's count; micrograd's backward is 2).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "autograd_from_scratch"
ROOT = PACKAGE.parent
CORE = ["autograd", "tensor.py", "_tensor_str.py", "creation.py"]
MAX_COMPLEXITY = 10


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def module_level_imports(name: str, path: Path) -> set[str]:
    """The package modules that importing `name` executes at once (not inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    body = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If) and not _is_type_checking(node):
            body += node.body + node.orelse
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            target = f"{base}.{node.module}" if node.module else base
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.update(m for m in mods if m in MODULES)
    return {m for m in found if m in MODULES and m != name}


def import_graph() -> dict[str, set[str]]:
    """Edges of module-level imports; importing a.b.c also runs the packages a and a.b."""
    graph = {}
    for name, path in MODULES.items():
        targets = module_level_imports(name, path)
        graph[name] = {p for t in targets for p in _with_parents(t)} - {name}
    return graph


def _with_parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in MODULES]


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as a list of modules, or [] if there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str]:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (cycle := visit(n)):
                return cycle
        state[m] = 2
        path.pop()
        return []

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            return cycle
    return []


def test_no_module_level_import_cycle():
    # A module may import its own package's names (`from . import x` in a package __init__): the
    # edge from a package to its children is what "importing a package" means, not a cycle.
    graph = {m: {n for n in deps if not m.startswith(n + ".")} for m, deps in import_graph().items()}
    cycle = find_cycle(graph)
    assert not cycle, "module-level import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_each_module_imports_alone():
    """Each in a fresh interpreter, started together. viz and frames need graphviz, which the
    torch-free tier does not install."""
    modules = sorted(m for m in MODULES if not m.endswith(("viz", "frames")))
    runs = {m: subprocess.Popen([sys.executable, "-c", f"import {m}"], cwd=ROOT, stderr=subprocess.PIPE,
                                text=True) for m in modules}
    failed = {m: run.communicate(timeout=120)[1][-1000:] for m, run in runs.items()}
    failed = {m: err for m, err in failed.items() if runs[m].returncode != 0}
    assert not failed, failed


def core_functions() -> list[tuple[str, str, int]]:
    from radon.complexity import cc_visit

    found = []
    for entry in CORE:
        for path in sorted((PACKAGE / entry).rglob("*.py")) if (PACKAGE / entry).is_dir() else [PACKAGE / entry]:
            for block in cc_visit(path.read_text(encoding="utf-8")):
                for item in [block, *getattr(block, "methods", [])]:
                    found.append((f"{path.relative_to(ROOT)}:{item.name}", type(item).__name__, item.complexity))
    return found


def test_engine_core_functions_are_small():
    pytest.importorskip("radon")
    functions = [(name, cc) for name, kind, cc in core_functions() if kind == "Function"]
    assert len(functions) > 30
    too_complex = [(name, cc) for name, cc in functions if cc > MAX_COMPLEXITY]
    assert not too_complex, f"cyclomatic complexity above {MAX_COMPLEXITY}: {too_complex}"


def _imports_torch(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        if any(n == "torch" or n.startswith("torch.") for n in names):
            return True
    return False


def test_the_package_and_this_tier_never_import_torch():
    """So `make test-engine` (a venv without torch) runs them; torch is only what the other tests
    compare against."""
    tests = Path(__file__).resolve().parent
    files = [*PACKAGE.rglob("*.py"), *tests.rglob("*.py"), tests.parent / "op_table.py", tests.parent / "conftest.py"]
    # frames.py steps through a torch graph when it is given one, and imports torch only then.
    assert [str(p.relative_to(ROOT)) for p in files if _imports_torch(p)] == ["autograd_from_scratch/frames.py"]
