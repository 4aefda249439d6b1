"""Every notebook is committed executed top to bottom in a fresh kernel, and ready for slides.

`make notebooks` (jupyter nbconvert --execute --inplace) produces what these tests ask for:
each code cell has its outputs and an execution count, the counts run 1, 2, ..., N down the page,
and every cell says what it is on a slide (metadata.slideshow.slide_type). nbval (`make test`)
then re-runs the notebooks and compares the outputs.
"""
import json
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb")) + sorted(NOTEBOOKS_DIR.glob("zh/*.ipynb"))  # and the Chinese edition
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}  # "-": same slide as before
FIX = "re-run it with `make notebooks`"

each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(NOTEBOOKS_DIR).as_posix() for p in NOTEBOOKS])


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def describe(index: int, cell: dict) -> str:
    source = "".join(cell.get("source", "")).strip().splitlines()
    return f"cell {index} ({source[0][:60]!r})" if source else f"cell {index} (empty)"


def test_notebooks_folder_exists():
    assert NOTEBOOKS_DIR.is_dir()
    assert (NOTEBOOKS_DIR / "sanitize.cfg").is_file(), "nbval's sanitizers live in notebooks/sanitize.cfg"


@each_notebook
def test_every_code_cell_has_outputs_and_a_count(path):
    bad = [describe(i, c) for i, c in enumerate(cells(path)) if c["cell_type"] == "code"
           and (c.get("execution_count") is None or not c.get("outputs"))]
    assert not bad, (f"{path.name}: code cells without an execution count or without outputs "
                     f"({FIX}; a cell with nothing to show should end with a value that shows "
                     f"what it did): {bad}")


@each_notebook
def test_executed_top_to_bottom_in_a_fresh_kernel(path):
    counts = [c.get("execution_count") for c in cells(path) if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts are {counts}, not 1..{len(counts)} in order ({FIX})")


@each_notebook
def test_every_cell_has_a_slide_type(path):
    bad = [describe(i, c) for i, c in enumerate(cells(path))
           if c.get("metadata", {}).get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert not bad, (f"{path.name}: cells whose metadata.slideshow.slide_type is missing or not one "
                     f"of {sorted(SLIDE_TYPES)}: {bad}")


@each_notebook
def test_kernel_is_python3(path):
    # "python3" is the kernel in .venv (make lab, make notebooks), on Binder and in any Jupyter.
    metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: metadata.kernelspec.name should be 'python3', is "
        f"{metadata.get('kernelspec', {}).get('name')!r}")
