"""pyproject.toml and environment.yml describe the same stack; the package reports one version."""

from __future__ import annotations

import importlib.metadata as metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import pathconvex_lab
from pathconvex_lab.doctor import parse_requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
#: conda-forge name -> PyPI name, where they differ.
CONDA_TO_PYPI = {"pytorch": "torch"}
#: Conda entries that are not Python dependencies of the package.
CONDA_ONLY = {"python", "pip"}
_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:>=\s*([0-9][0-9.]*))?\s*$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _bounds(specs: list[str], rename: dict[str, str] | None = None) -> dict[str, str | None]:
    """``["numpy>=1.24", ...]`` -> ``{"numpy": "1.24", ...}``; every entry must be ``name[>=x]``."""
    out: dict[str, str | None] = {}
    for spec in specs:
        match = _SPEC.match(spec)
        assert match, f"{spec!r} is not of the form name>=version"
        name = _norm((rename or {}).get(match.group(1), match.group(1)))
        assert name not in out, f"{name} listed twice"
        out[name] = match.group(2)
    return out


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def _pyproject_stack(pyproject: dict) -> dict[str, str | None]:
    project = pyproject["project"]
    specs = list(project["dependencies"])
    own = _norm(project["name"])
    for group in project["optional-dependencies"].values():
        specs += [s for s in group if _norm(parse_requirement(s).name) != own]
    return _bounds(specs)


def _environment_parts(environment: dict) -> tuple[list[str], list[str]]:
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    return conda, pip_sections[0]


def test_environment_uses_conda_forge_and_installs_the_package(environment):
    assert environment["channels"][0] == "conda-forge"
    assert "defaults" not in environment["channels"]
    conda, pip = _environment_parts(environment)
    assert "pip" in conda
    assert "-e ." in pip


def test_same_packages_and_lower_bounds(pyproject, environment):
    conda, pip = _environment_parts(environment)
    env_stack = _bounds([c for c in conda if _SPEC.match(c).group(1) not in CONDA_ONLY], CONDA_TO_PYPI)
    pip_stack = _bounds([p for p in pip if not p.startswith("-")])
    assert not set(env_stack) & set(pip_stack), "a package is both in conda and pip sections"
    assert {**env_stack, **pip_stack} == _pyproject_stack(pyproject)


def test_every_requirement_has_a_lower_bound(pyproject):
    stack = _pyproject_stack(pyproject)
    assert all(stack.values()), {k for k, v in stack.items() if not v}


def test_python_bound_matches(pyproject, environment):
    conda, _ = _environment_parts(environment)
    python = next(c for c in conda if _SPEC.match(c).group(1) == "python")
    assert python.replace(" ", "") == "python" + pyproject["project"]["requires-python"].replace(" ", "")


def test_one_version_everywhere(pyproject):
    assert pyproject["project"]["version"] == pathconvex_lab.__version__ == metadata.version("pathconvex-lab")


@pytest.mark.parametrize("argv", [["pathconvex-lab"], [sys.executable, "-m", "pathconvex_lab"]])
def test_version_from_the_console_script_and_the_module(argv):
    if argv[0] == "pathconvex-lab":
        script = Path(sys.executable).with_name("pathconvex-lab")
        assert script.exists(), f"console script missing next to {sys.executable}"
        argv = [str(script)]
    proc = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"pathconvex-lab {pathconvex_lab.__version__}"
