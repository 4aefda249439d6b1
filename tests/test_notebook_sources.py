"""Each notebook and its jupytext source (notebooks/src/NAME.py) hold the same cells.

The source is what gets reviewed and edited; `make notebook NB=NAME` rebuilds the notebook from it
and executes it. A notebook edited in JupyterLab without its source (or the reverse) fails here:
run `jupytext --sync` or `make notebook NB=NAME`. The Chinese edition's notebooks, notebooks/zh/NAME.ipynb,
have theirs in notebooks/src/zh/NAME.py (`make notebook NB=zh/NAME`)."""
from __future__ import annotations

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").rglob("*.py"))


def cells(notebook) -> list[tuple[str, str, object]]:
    return [(c.cell_type, c.source.strip(), c.metadata.get("slideshow")) for c in notebook.cells]


def test_every_notebook_has_a_source():
    notebooks = {p.relative_to(NOTEBOOKS).with_suffix("") for p in NOTEBOOKS.rglob("*.ipynb")
                 if ".ipynb_checkpoints" not in p.parts}
    sources = {Path(*p.relative_to(NOTEBOOKS / "src").with_suffix("").parts) for p in SOURCES}
    assert notebooks == sources


@pytest.mark.parametrize("source", SOURCES, ids=[p.relative_to(NOTEBOOKS / "src").with_suffix("").as_posix()
                                                  for p in SOURCES])
def test_source_matches_its_notebook(source):
    notebook_path = NOTEBOOKS / source.relative_to(NOTEBOOKS / "src").with_suffix(".ipynb")
    from_source = jupytext.read(source)
    stored = nbformat.read(notebook_path, as_version=4)
    ours, theirs = cells(from_source), cells(stored)
    assert len(ours) == len(theirs), f"{source.name}: {len(ours)} cells, the notebook has {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"{source.name}, cell {i}: the source and the notebook differ"
