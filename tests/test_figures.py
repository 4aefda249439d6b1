"""figures/ holds only what scripts/make_figures.py made, unedited, and still current."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
DATA_FILES = {"manifest.json", "benchmark.json", "gradient_agreement.json"}


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_figures = load_script(ROOT / "scripts" / "make_figures.py")
MANIFEST = json.loads((FIGURES / "manifest.json").read_text())


def test_every_figure_was_made_by_the_script_and_not_edited():
    on_disk = {p.relative_to(FIGURES).as_posix() for p in FIGURES.rglob("*") if p.is_file()}
    assert on_disk - DATA_FILES == set(MANIFEST), "figures/ and figures/manifest.json disagree: run `make figures`"
    for name, entry in MANIFEST.items():
        assert make_figures.sha256((FIGURES / name).read_bytes()) == entry["sha256"], f"{name} was changed by hand"
    assert {e["family"] for e in MANIFEST.values()} == set(make_figures.FAMILIES)


@pytest.mark.parametrize("family", ["q_graph", "backward_frames", "resnet18_modules"])
def test_graph_figures_show_what_the_package_draws_now(family):
    sources = make_figures.FAMILIES[family]()
    expected = {n for n, e in MANIFEST.items() if e["family"] == family}
    assert set(sources) == expected, f"the {family} figures changed: run `make figures`"
    for name, (source, _) in sources.items():
        assert make_figures.sha256(source.encode()) == MANIFEST[name]["source_sha256"], (
            f"figures/{name} is stale: the package now draws it differently; run `make figures`")


def test_gradient_agreement_plot_is_current():
    committed = json.loads((FIGURES / "gradient_agreement.json").read_text())
    assert make_figures.sha256(json.dumps(committed, sort_keys=True).encode()) == \
        MANIFEST["gradient_agreement.png"]["source_sha256"]
    now = make_figures.gradient_agreement_data()
    assert now["names"] == committed["names"]
    assert max(now["float64"]) < 1e-9 and max(committed["float64"]) < 1e-9
    # float32 rounding differs between machines and BLAS builds: the same decade, give or take one.
    # Below float32's machine epsilon a relative error is one rounding step (a bias gradient that is
    # a plain sum can come out identical on one machine and one ulp off on another): all the same.
    eps32 = float(np.finfo(np.float32).eps)
    gap = np.abs(np.log10(np.maximum(now["float32"], eps32)) - np.log10(np.maximum(committed["float32"], eps32)))
    assert gap.max() <= 1.0


def test_benchmark_chart_is_drawn_from_the_committed_measurement():
    data = json.loads((FIGURES / "benchmark.json").read_text())
    assert make_figures.sha256(json.dumps(data, sort_keys=True).encode()) == \
        MANIFEST["benchmark.png"]["source_sha256"]
    assert {tuple(r["shape"]) for r in data["results"]} == {(1, 3, 64, 64), (8, 3, 224, 224)}


def test_readme_speed_table_is_the_committed_measurement():
    bench = load_script(ROOT / "benchmarks" / "resnet18_step.py")
    data = json.loads((FIGURES / "benchmark.json").read_text())
    readme = (ROOT / "README.md").read_text()
    start, end = bench.readme_table_span(readme)
    table = readme[start:end]
    assert table.strip() == bench.markdown_table(data), (
        "README.md's speed table is not figures/benchmark.json's: run `make bench`")
