"""Regenerate every figure in figures/ from the package: `make figures`.

Each figure is drawn from a *source*: the DOT text of a graph, or the JSON numbers behind a plot.
figures/manifest.json records, for every file in figures/, its sha256 and the sha256 of the source
it was drawn from. tests/test_figures.py uses it to check that no figure was made or edited by
hand, and that the package still produces the sources the committed figures were drawn from.

    python scripts/make_figures.py                    # everything
    python scripts/make_figures.py q_graph benchmark  # some families

The benchmark chart is drawn from figures/benchmark.json, which `make bench` writes (it is a
measurement of one machine, so it is not remeasured here).
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
MANIFEST = FIGURES / "manifest.json"
BENCHMARK_JSON = FIGURES / "benchmark.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- sources: what each figure shows, as text ---------------------------------------------------
def q_graphs():
    """The tutorial's Q = 3a³ − b², both engines' graphs side by side."""
    import torch

    import autograd_from_scratch as afs
    from autograd_from_scratch.viz import side_by_side

    graphs = []
    for lib in (afs, torch):
        a = lib.tensor([2.0, 3.0], requires_grad=True)
        b = lib.tensor([6.0, 4.0], requires_grad=True)
        graphs.append((3 * a**3 - b**2, {"a": a, "b": b}))
    (ours, p_ours), (theirs, p_theirs) = graphs
    g = side_by_side(ours, theirs, params=(p_ours, p_theirs), title="Q = 3a³ − b²")
    return {"q_graph.svg": g}


def backward_frame_graphs():
    """The backward pass on Q, one picture per step (notebook 04)."""
    import autograd_from_scratch as afs
    from autograd_from_scratch.frames import backward_frames

    a = afs.tensor([2.0, 3.0], requires_grad=True)
    b = afs.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    frames = backward_frames(Q, gradient=afs.tensor([1.0, 1.0]), params={"a": a, "b": b, "Q": Q})
    return {f"backward_frames/frame_{k:02d}.svg": g for k, g in enumerate(frames)}


def tutorial_step(dtype: str, seed: int = 0):
    """The seed's ResNet18 step in both engines with the same weights and data: (afs, torch) pairs."""
    import torch
    import torchvision

    import autograd_from_scratch as afs

    torch.manual_seed(seed)
    theirs = torchvision.models.resnet18(weights=None).to(getattr(torch, dtype))
    ours = afs.models.resnet18().to(getattr(afs, dtype))
    ours.load_state_dict(theirs.state_dict())
    # Drawn in float32 and then converted, so both precisions see the same numbers.
    data = torch.rand(1, 3, 64, 64).to(getattr(torch, dtype))
    labels = torch.rand(1, 1000).to(getattr(torch, dtype))
    t_loss = (theirs(data) - labels).sum()
    t_loss.backward()
    o_loss = (ours(afs.tensor(data)) - afs.tensor(labels)).sum()
    o_loss.backward()
    return ours, theirs, o_loss, t_loss


def resnet_module_graphs():
    """The ResNet18 step's graph collapsed by module (stem, layer1..4, head), both engines."""
    from autograd_from_scratch.viz import side_by_side

    ours, theirs, o_loss, t_loss = tutorial_step("float32")
    g = side_by_side(o_loss, t_loss, params=(dict(ours.named_parameters()), dict(theirs.named_parameters())),
                     cluster_by=1, collapse=True, title="ResNet18: loss = (model(data) − labels).sum()")
    return {"resnet18_modules.svg": g}


def gradient_agreement_data() -> dict:
    """For every ResNet18 parameter, the relative error of our gradient against torch's, in float64
    and in float32, and, for scale, torch's own float32 gradient against its float64 one."""
    from autograd_from_scratch.compare import to_numpy

    def rel(g, ref) -> float:
        g, ref = to_numpy(g), to_numpy(ref)
        return float(np.linalg.norm(g - ref) / max(np.linalg.norm(ref), 1e-300))

    runs = {dtype: tutorial_step(dtype) for dtype in ("float64", "float32")}
    names = [n for n, _ in runs["float64"][0].named_parameters()]
    data: dict = {"names": names}
    for dtype, (ours, theirs, _, _) in runs.items():
        data[dtype] = [rel(p.grad, tp.grad) for p, tp in zip(ours.parameters(), theirs.parameters())]
    data["torch float32 vs float64"] = [
        rel(p32.grad, p64.grad) for p32, p64 in zip(runs["float32"][1].parameters(), runs["float64"][1].parameters())
    ]
    return data


# -- rendering ------------------------------------------------------------------------------------
def render_graph(graph, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(graph.pipe(format="svg"))


def _savefig(fig, path: Path) -> None:
    # No date or version in the file, so the same numbers give the same bytes.
    fig.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})


AGREEMENT_WORDS = {
    "en": {"torch float32 vs float64": "torch's own float32 error", "float32": "ours vs torch, float32",
           "float64": "ours vs torch, float64", "worst": "(worst {:.0e})", "identical": "identical (difference 0)",
           "xlabel": "parameter, from the input (conv1) to the output (fc)", "ylabel": "‖ours − torch‖ / ‖torch‖",
           "title": "ResNet18 gradients: autograd_from_scratch against torch.autograd (1×3×64×64)"},
    "zh": {"torch float32 vs float64": "torch自身的float32误差", "float32": "我们的引擎对torch，float32",
           "float64": "我们的引擎对torch，float64", "worst": "（最大{:.0e}）", "identical": "完全相同（差为0）",
           "xlabel": "参数，从输入（conv1）到输出（fc）", "ylabel": "‖我们 − torch‖ / ‖torch‖",
           "title": "ResNet18的梯度：autograd_from_scratch对照torch.autograd（1×3×64×64）"},
}


def plot_gradient_agreement(data: dict, path: Path, language: str = "en") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = AGREEMENT_WORDS[language]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    x = np.arange(len(data["names"]))
    floor = 1e-17  # exact agreement (a difference of 0) is drawn on this line
    series = (("torch float32 vs float64", "-"), ("float32", "o"), ("float64", "s"))
    for key, style in series:
        err = np.asarray(data[key])
        separator = " " if language == "en" else ""
        ax.semilogy(x, np.maximum(err, floor), style, markersize=4, color="grey" if style == "-" else None,
                    label=words[key] + separator + words["worst"].format(err.max()))
    ax.axhline(floor, color="black", linewidth=0.5)
    ax.text(0, floor * 3, words["identical"], fontsize=8)
    ax.set_ylim(floor / 3, 1e-2)
    ax.set_xlabel(words["xlabel"])
    ax.set_ylabel(words["ylabel"])
    ax.set_title(words["title"])
    ticks = [i for i, n in enumerate(data["names"])
             if n in ("conv1.weight", "fc.weight") or n.endswith(".0.conv1.weight")]
    ax.set_xticks(ticks, [data["names"][i] for i in ticks], rotation=45, ha="right", fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    _savefig(fig, path)
    plt.close(fig)


def plot_gradient_agreement_zh(data: dict, path: Path) -> None:
    """The same chart with its words in Chinese, drawn with the CJK font the zh notebooks use
    (notebooks/_course/fonts.py); without one it would be empty boxes, so it is not drawn."""
    import matplotlib

    sys.path.insert(0, str(ROOT / "notebooks"))
    from _course.fonts import use_cjk_font

    with matplotlib.rc_context():
        if use_cjk_font() is None:
            raise SystemExit("no CJK font for figures/zh/: apt-get install fonts-noto-cjk")
        plot_gradient_agreement(data, path, language="zh")


def plot_benchmark(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = data["results"]
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, result in zip(axes[0], results):
        phases = ["forward", "backward", "step"]
        width = 0.38
        x = np.arange(len(phases))
        for k, engine in enumerate(("torch", "ours")):
            ms = [result[engine][p] * 1e3 for p in phases]
            ax.bar(x + (k - 0.5) * width, ms, width, label=engine)
        ax.set_xticks(x, phases)
        ax.set_ylabel("median time (ms)")
        shape = "×".join(map(str, result["shape"]))
        ax.set_title(f"input {shape}: ours/torch = {result['ratio']['total']:.2f}")
        ax.legend()
    fig.suptitle(f"One SGD step of ResNet18, float32, {data['machine']['cpu_count']} CPU cores", y=1.04)
    _savefig(fig, path)
    plt.close(fig)


# -- the figures ------------------------------------------------------------------------------------
def graph_figures(make: Callable[[], dict]) -> Callable[[], dict]:
    """A figure family drawn from graphviz graphs: the source is the DOT text."""
    def sources() -> dict:
        return {name: (g.source, functools.partial(render_graph, g)) for name, g in make().items()}
    return sources


def plot_figure(name: str, make_data: Callable[[], dict], plot: Callable[[dict, Path], None]):
    def sources() -> dict:
        data = make_data()
        return {name: (json.dumps(data, sort_keys=True), functools.partial(plot, data))}
    return sources


def _benchmark_data() -> dict:
    if not BENCHMARK_JSON.exists():
        raise SystemExit(f"{BENCHMARK_JSON} is missing: run `make bench` first")
    return json.loads(BENCHMARK_JSON.read_text())


def _rounded_agreement() -> dict:
    """The data behind the agreement plot, rounded to what the plot can show (a tenth of a decade)."""
    data = gradient_agreement_data()
    for key in ("float32", "float64", "torch float32 vs float64"):
        data[key] = [float(f"{e:.1e}") for e in data[key]]
    return data


def _committed_agreement() -> dict:
    """The numbers of the English agreement chart (gradient_agreement.json, written just before)."""
    return json.loads((FIGURES / "gradient_agreement.json").read_text())


FAMILIES = {
    "q_graph": graph_figures(q_graphs),
    "backward_frames": graph_figures(backward_frame_graphs),
    "resnet18_modules": graph_figures(resnet_module_graphs),
    "gradient_agreement": plot_figure("gradient_agreement.png", _rounded_agreement, plot_gradient_agreement),
    "benchmark": plot_figure("benchmark.png", _benchmark_data, plot_benchmark),
    # For README.zh-CN.md: the agreement chart in Chinese, from the same numbers.
    "gradient_agreement_zh": plot_figure("zh/gradient_agreement.png", _committed_agreement, plot_gradient_agreement_zh),
}
# The numbers behind these two depend on the machine; the test compares them loosely.
MEASURED = {"gradient_agreement.png", "benchmark.png"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("families", nargs="*", help=f"a subset of {sorted(FAMILIES)}")
    args = parser.parse_args(argv)
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for family in args.families or FAMILIES:
        manifest = {n: e for n, e in manifest.items() if e["family"] != family}
        for name, (source, render) in FAMILIES[family]().items():
            path = FIGURES / name
            path.parent.mkdir(parents=True, exist_ok=True)
            render(path)
            manifest[name] = {"family": family, "sha256": sha256(path.read_bytes()),
                              "source_sha256": sha256(source.encode())}
            if family == "gradient_agreement":
                (FIGURES / "gradient_agreement.json").write_text(source + "\n")
            print(f"wrote figures/{name}")
    # Files from an older run that the script no longer makes are removed.
    made = {n for n, e in manifest.items() if (FIGURES / n).exists()}
    for path in FIGURES.rglob("*"):
        rel = path.relative_to(FIGURES).as_posix()
        if path.is_file() and rel not in made and rel not in ("manifest.json", "benchmark.json",
                                                                  "gradient_agreement.json"):
            path.unlink()
            print(f"removed stale figures/{rel}")
    MANIFEST.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
