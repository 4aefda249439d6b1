"""The three package lists name the same packages at the same versions.

requirements.txt (what `make` installs, pinned exactly), the `dev` extra of pyproject.toml, and
environment.yml (conda/Binder) are kept by hand; these tests say when one drifts from the others.
"""
import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
yaml = pytest.importorskip("yaml")  # PyYAML comes with jupyterlab (jupyter-events)

ROOT = Path(__file__).resolve().parent.parent

# conda-forge name -> PyPI name, where they differ.
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "python-graphviz": "graphviz",  # the Python bindings; conda's `graphviz` is the dot program
    "matplotlib-base": "matplotlib",
    "nbconvert-core": "nbconvert",
}
# conda packages that are not Python packages from PyPI.
CONDA_ONLY = {"python", "pip", "graphviz"}


def normalize(name: str) -> str:
    """PEP 503 name: lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pin(requirement: str) -> tuple[str, str]:
    """'torch==2.14.1' -> ('torch', '2.14.1'); anything but an exact pin is an error."""
    match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", requirement.strip())
    assert match, f"{requirement!r} is not an exact pin name==version"
    return normalize(match[1]), match[2]


def requirements_txt() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = parse_pin(line)
            assert name not in pins, f"{name} listed twice in requirements.txt"
            pins[name] = version
    return pins


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def environment_yml() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_spec(spec: str) -> tuple[str, str, str]:
    """'pytorch=2.14.*=cpu*' -> ('pytorch', '2.14.*', 'cpu*'); missing parts are ''."""
    name, _, rest = spec.replace(" ", "").partition("=")
    version, _, build = rest.partition("=")
    return name, version, build


def test_requirements_are_pinned_and_complete():
    pins = requirements_txt()
    for name in ["torch", "torchvision", "numpy", "matplotlib", "graphviz", "jupyterlab", "nbval",
                 "pytest", "hypothesis", "ipywidgets", "nbconvert", "nbformat", "nbclient",
                 "ipykernel", "jupytext", "jupyterlab-rise", "scikit-learn", "playwright"]:
        assert name in pins, f"{name} missing from requirements.txt"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


def test_package_needs_only_numpy():
    project = pyproject()["project"]
    assert [normalize(re.split(r"[<>=!~ ;\[]", d)[0]) for d in project["dependencies"]] == ["numpy"]
    graphviz_extra = project["optional-dependencies"]["graphviz"]
    assert [normalize(re.split(r"[<>=!~ ;\[]", d)[0]) for d in graphviz_extra] == ["graphviz"]


def test_pyproject_dev_extra_equals_requirements():
    dev = dict(parse_pin(r) for r in pyproject()["project"]["optional-dependencies"]["dev"])
    assert dev == requirements_txt()


def test_environment_yml_names_the_same_packages():
    env = environment_yml()
    assert env["channels"] == ["conda-forge"]
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for requirement in dep["pip"]:
                if requirement.replace(" ", "") != "-e.":
                    name, version = parse_pin(requirement)
                    pip[name] = version
        else:
            name, version, build = conda_spec(dep)
            conda[normalize(name)] = (version, build)
    assert "-e ." in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert {"python", "pip", "graphviz"} <= conda.keys(), "conda needs python, pip and dot"

    named = {CONDA_TO_PYPI.get(n, n) for n in conda if n not in CONDA_ONLY} | pip.keys()
    pins = requirements_txt()
    assert sorted(named - pins.keys()) == [], "in environment.yml but not in requirements.txt"
    assert sorted(pins.keys() - named) == [], "in requirements.txt but not in environment.yml"

    for name, version in pip.items():
        assert version == pins[name], f"environment.yml pip: {name}=={version}, requirements.txt: {pins[name]}"
    for name, (version, _build) in conda.items():
        if name in CONDA_ONLY:
            continue
        pinned = pins[CONDA_TO_PYPI.get(name, name)]
        prefix = version.rstrip("*").rstrip(".")
        assert prefix and (pinned == prefix or pinned.startswith(prefix + ".")), (
            f"environment.yml: {name}={version}, requirements.txt: {pinned}")
    for name in ["pytorch", "torchvision"]:
        assert conda[name][1].startswith("cpu"), f"environment.yml should ask for a CPU build of {name}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    ci = ROOT / ".ci" / "run"
    assert ci.stat().st_mode & 0o111, ".ci/run must be executable"
    commands = [line.strip() for line in ci.read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands[0] == "set -euo pipefail" and commands[-1] == "make test"
