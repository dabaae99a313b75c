"""The import rules of ARCHITECTURE.md, checked by parsing every module of the package: a module
imports only from its own component or from a lower layer (lazy imports inside functions count
too). Run alone: ``.venv/bin/python -m pytest tests/test_architecture.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pathconvex_lab"
#: Components of the package by layer, lowest first (ARCHITECTURE.md). A component is a top-level
#: module or subpackage of ``pathconvex_lab``.
LAYERS = (
    ("errors",),
    ("_validate", "cache"),
    ("data", "arrangements", "nets", "viz"),
    ("train", "convex"),
    ("experiments",),
    ("grading", "widgets"),
    ("doctor", "dashboard"),
    ("commands",),
    ("cli",),
    ("__main__",),
)
#: Imports that break the rules today, each with where it should go. Nothing else may.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def layer_of(component: str) -> int:
    for index, names in enumerate(LAYERS):
        if component in names:
            return index
    raise KeyError(component)


def module_name(path: Path) -> str:
    """``pathconvex_lab/convex/path.py`` -> ``"convex.path"`` (``__init__`` -> the package)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_components(path: Path) -> set[str]:
    """The package's top-level components that the module at ``path`` imports (any depth, lazy too)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = base + (node.module.split(".") if node.module else [])
            names = target[:1] if target else [alias.name for alias in node.names]
            found.update(n for n in names if n)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pathconvex_lab."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("pathconvex_lab."))
    return found - {"__version__", "__getattr__"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_component_has_a_layer():
    components = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in modules()}
    assert components <= {name for names in LAYERS for name in names}, components


@pytest.mark.parametrize("path", modules(), ids=[module_name(p) for p in modules()])
def test_imports_go_down_the_layers(path):
    name = module_name(path)
    own = name.split(".")[0]
    wrong = []
    for component in imported_components(path) - {own}:
        if layer_of(component) >= layer_of(own) and (name, component) not in KNOWN_EXCEPTIONS:
            wrong.append(f"{name} imports {component} (layer {layer_of(component)} >= its layer {layer_of(own)})")
    assert not wrong, "\n".join(wrong)


def test_the_known_exceptions_are_still_needed():
    """An exception that no longer happens is removed from the list (and from ARCHITECTURE.md)."""
    for (name, component) in KNOWN_EXCEPTIONS:
        path = PACKAGE / (name.replace(".", "/") + ".py")
        assert component in imported_components(path), f"{name} no longer imports {component}"


#: Size limits of ARCHITECTURE.md: a module is one job, a function one step.
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def long_functions(path: Path, label: str) -> list[str]:
    """Functions and methods of the module at ``path`` (named ``label`` in the answer) longer than
    :data:`MAX_FUNCTION_LINES` (decorators excluded, docstrings included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{label}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_modules_and_functions_stay_small():
    too_long = [f"{module_name(p)}: {n} lines" for p in modules()
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    too_long += [entry for p in modules() for entry in long_functions(p, module_name(p))]
    assert not too_long, "\n".join(too_long)


def test_the_size_check_sees_a_long_function(tmp_path):
    long = tmp_path / "long.py"
    long.write_text("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES)
    short = tmp_path / "short.py"
    short.write_text("def f():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES - 1))
    assert long_functions(long, "long") == ["long.f: 81 lines"] and long_functions(short, "short") == []
