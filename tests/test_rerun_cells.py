"""Every code cell can be run again on its own after Run All, as a presenter does during a live talk.

Each notebook is executed top to bottom in a fresh kernel (nbclient, the python3 kernel of this
environment), then each code cell is executed once more, alone, in the order of the notebook, and
the test fails on a cell that raises, unless the cell is tagged `raises-exception` (an error that is
part of the lesson). A failure names the cell and the error's last line: typically a later cell
reused a name that an earlier one needs (`AttributeError: 'NoneType' object has no attribute
'zero_'`). Outputs are not compared (nbval does that); only errors count.

AFS_RERUN_NOTEBOOKS=01_first_gradients,02_computational_graph limits the test to those notebooks.

The Chinese edition (notebooks/zh/) is not rerun by default: its code cells are the English ones token
for token (tests/test_zh_notebooks.py), so they rerun as those do, and running the series a second
time twice over would add minutes to test the same code. AFS_RERUN_NOTEBOOKS=zh/01_first_gradients
reruns a zh notebook (in its own folder, where `_course` speaks Chinese).
"""
from __future__ import annotations

import os
import time

import pytest
from slides_support import NOTEBOOKS_DIR, notebooks

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CHOSEN = os.environ.get("AFS_RERUN_NOTEBOOKS", "")
ZH = sorted((NOTEBOOKS_DIR / "zh").glob("*.ipynb"))
NOTEBOOKS = ([nb for nb in notebooks() + ZH if nb.relative_to(NOTEBOOKS_DIR).with_suffix("").as_posix()
              in CHOSEN.split(",")] if CHOSEN else notebooks())
CELL_TIMEOUT = 600


def last_line(output: dict) -> str:
    return f"{output.get('ename')}: {str(output.get('evalue', '')).splitlines()[0] if output.get('evalue') else ''}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.relative_to(NOTEBOOKS_DIR).with_suffix("").as_posix()
                                                 for nb in NOTEBOOKS])
def test_each_cell_runs_again_after_run_all(path):
    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT, allow_errors=True,
                                     resources={"metadata": {"path": str(path.parent)}})
    failures = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):  # Run All
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        first = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"
                 and any(o.output_type == "error" for o in c.outputs)
                 and "raises-exception" not in c.metadata.get("tags", [])]
        assert not first, f"{path.name}: Run All failed at cell {first[0][0]}: " + \
            last_line(next(o for o in first[0][1].outputs if o.output_type == "error"))
        for index, cell in enumerate(nb.cells):  # then each cell again, alone
            if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
                continue
            client.execute_cell(cell, index)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                failures.append(f"cell {index} ({cell.source.splitlines()[0][:60] if cell.source else ''!r}): "
                                f"{last_line(errors[0])}")
    print(f"{path.name}: Run All and each cell again in {time.perf_counter() - start:.0f} s")
    assert not failures, f"{path.name}: {len(failures)} cell(s) fail when run again:\n  " + "\n  ".join(failures)
