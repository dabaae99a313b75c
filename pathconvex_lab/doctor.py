"""Is this environment ready for the kit? Versions, solvers, device, browser, JupyterLab.

:func:`run_checks` returns one :class:`Check` per item, each ``"pass"``, ``"warn"`` or
``"fail"`` with a one-line fix hint; :func:`report` wraps them as
``{"ok": bool, "checks": [...]}`` (what ``pathconvex-lab doctor --json`` prints).
``ok`` is false when any check fails; warnings concern optional parts (tests, grading,
the browser). :func:`summary` is the one-line version report that notebooks' Setup cells print.

The required dependencies and their lower bounds are read from this package's installed
metadata (that is, from ``pyproject.toml``), so the doctor never drifts from the project.
Everything is probed at call time: importing this module imports neither torch nor cvxpy.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import platform
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from . import __version__

DIST_NAME = "pathconvex-lab"
#: Solvers every convex program in the kit relies on (DESIGN §6: never ECOS).
REQUIRED_SOLVERS = ("CLARABEL", "SCS")
#: Optional-dependency groups that notebooks need: a missing package there fails.
#: Packages of the other groups (test, grading) only warn.
REQUIRED_EXTRAS = ("", "lab")
#: JupyterLab prebuilt extensions: check name -> (extension folder, package that ships it).
#: The widget manager is required (every dashboard); the plotly and ipympl ones only warn.
LAB_EXTENSIONS = {
    "widgets extension": ("@jupyter-widgets/jupyterlab-manager", "jupyterlab_widgets"),
    "plotly extension": ("jupyterlab-plotly", "plotly"),
    "ipympl extension": ("jupyter-matplotlib", "ipympl"),
}
#: Executable names tried, in order, when ``PATHCONVEX_CHROMIUM`` is not set.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
STATUSES = ("pass", "warn", "fail")


@dataclass(frozen=True)
class Check:
    """One line of the report: ``status`` is ``"pass"``, ``"warn"`` or ``"fail"``."""

    name: str
    status: str
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class Requirement:
    """A dependency declared by the package: distribution name, lower bound, extra group."""

    name: str
    minimum: str | None
    extra: str  # "" for the core dependencies

    @property
    def required(self) -> bool:
        return self.extra in REQUIRED_EXTRAS


_REQ_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:>=\s*([0-9][^,;\s]*))?")
_EXTRA_RE = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def parse_requirement(text: str) -> Requirement:
    """Parse a metadata requirement such as ``'ipykernel>=6.25; extra == "lab"'``.

    Only the name, a ``>=`` lower bound and the ``extra`` marker are read: the project
    declares its dependencies in exactly that form (``tests/test_packaging.py`` checks it).
    """
    match = _REQ_RE.match(text)
    if match is None:
        raise ValueError(f"cannot parse requirement {text!r}")
    extra = _EXTRA_RE.search(text)
    return Requirement(match.group(1), match.group(2), extra.group(1) if extra else "")


def release(version: str) -> tuple[int, ...]:
    """Numeric release part of a version string: ``"2.13.0+cpu"`` -> ``(2, 13, 0)``."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", version)
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def at_least(version: str, minimum: str) -> bool:
    """True when ``version``'s release is >= ``minimum``'s (``"1.10" >= "1.9"``)."""
    have, need = release(version), release(minimum)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def requirements() -> list[Requirement]:
    """The package's declared dependencies (core and every extra), without itself."""
    reqs = [parse_requirement(r) for r in metadata.requires(DIST_NAME) or ()]
    own = _normalize(DIST_NAME)
    return [r for r in reqs if _normalize(r.name) != own]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_version(dist: str) -> str | None:
    """Installed version of distribution ``dist``, or None when it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """Python, this package and every declared dependency -> installed version (None: absent)."""
    out: dict[str, str | None] = {"python": platform.python_version(), DIST_NAME: __version__}
    try:
        names = [r.name for r in requirements()]
    except metadata.PackageNotFoundError:
        names = []
    for name in names:
        out[name] = installed_version(name)
    return out


def torch_device() -> str:
    """The device ``device="auto"`` resolves to right now, described in words.

    For example ``"cuda (NVIDIA H100 80GB HBM3, 1 device)"``, ``"mps"`` or ``"cpu"``.
    """
    import torch

    from .nets import resolve_device

    dev = resolve_device("auto")
    if dev.type == "cuda":
        count = torch.cuda.device_count()
        return f"cuda ({torch.cuda.get_device_name(0)}, {count} device{'s' if count != 1 else ''})"
    return dev.type


def summary(packages: Iterable[str] = ("numpy", "scipy", "cvxpy", "torch", "ipywidgets")) -> str:
    """One line for a notebook's Setup cell: versions of the main packages and the device."""
    found = versions()
    parts = [f"pathconvex-lab {__version__}", f"python {found['python']}"]
    parts += [f"{name} {found.get(name) or installed_version(name) or 'MISSING'}" for name in packages]
    return " | ".join(parts) + f" | device: {torch_device()}"


# --------------------------------------------------------------------------- the checks


def check_python() -> Check:
    """The interpreter satisfies ``Requires-Python``."""
    need = (metadata.metadata(DIST_NAME).get("Requires-Python") or "").strip()
    have = platform.python_version()
    minimum = need[2:].strip() if need.startswith(">=") else None
    if minimum and not at_least(have, minimum):
        return Check("python", "fail", f"{have} ({sys.executable}); needs {need}", f"use Python {need}")
    return Check("python", "pass", f"{have} ({sys.executable})")


def check_package(req: Requirement) -> Check:
    """One dependency: installed and at least its lower bound."""
    level = "fail" if req.required else "warn"
    group = f" (extra '{req.extra}')" if req.extra else ""
    spec = f"{req.name}>={req.minimum}" if req.minimum else req.name
    hint = f'pip install "{spec}"' if not req.extra else f'pip install "{spec}"  (or: pip install -e ".[{req.extra}]")'
    have = installed_version(req.name)
    if have is None:
        return Check(req.name, level, f"not installed; needs {spec}{group}", hint)
    if req.minimum and not at_least(have, req.minimum):
        return Check(req.name, level, f"{have} is older than the required {spec}{group}", hint)
    return Check(req.name, "pass", f"{have}" + (f" (>= {req.minimum})" if req.minimum else ""))


def check_solvers() -> Check:
    """cvxpy sees the conic solvers the kit needs (CLARABEL, SCS)."""
    try:
        import cvxpy
    except Exception as exc:  # an import can fail in many ways (missing libs, ABI)
        return Check("cvxpy solvers", "fail", f"cannot import cvxpy: {exc}", 'pip install "cvxpy>=1.4"')
    installed = list(cvxpy.installed_solvers())
    missing = [s for s in REQUIRED_SOLVERS if s not in installed]
    listing = ", ".join(installed) or "none"
    if missing:
        return Check(
            "cvxpy solvers",
            "fail",
            f"missing {', '.join(missing)}; installed: {listing}",
            "pip install " + " ".join(s.lower() for s in missing) + "  (cvxpy>=1.4 normally bundles them)",
        )
    return Check("cvxpy solvers", "pass", f"{listing} (required: {', '.join(REQUIRED_SOLVERS)})")


def check_device() -> Check:
    """Which torch device ``device="auto"`` finds now; warns about a GPU torch cannot use."""
    try:
        import torch

        device = torch_device()
    except Exception as exc:
        return Check("torch device", "fail", f"cannot use torch: {exc}", "pip install torch (see scripts/bootstrap.sh)")
    if device == "cpu" and shutil.which("nvidia-smi") and torch.version.cuda is None:
        return Check(
            "torch device",
            "warn",
            f"cpu: an NVIDIA GPU seems present (nvidia-smi) but torch {torch.__version__} is a CPU build",
            'install a CUDA build of torch, e.g. TORCH_SPEC="torch>=2.1" scripts/bootstrap.sh lab',
        )
    return Check("torch device", "pass", device + ("" if device != "cpu" else " (no CUDA or MPS device found)"))


def find_chromium() -> str | None:
    """Path of a Chromium executable: ``$PATHCONVEX_CHROMIUM``, else the first on PATH."""
    override = os.environ.get("PATHCONVEX_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def check_chromium() -> Check:
    """A Chromium for the browser tests (Playwright drives it; never ``playwright install``)."""
    path = find_chromium()
    if path is None:
        where = os.environ.get("PATHCONVEX_CHROMIUM")
        detail = f"PATHCONVEX_CHROMIUM={where} is not executable" if where else "no chromium on PATH"
        return Check("chromium", "warn", detail + " (needed only by the browser tests)",
                     "sudo apt-get install chromium  (or: scripts/bootstrap.sh test)")
    return Check("chromium", "pass", path)


def check_sandbox() -> Check:
    """The sandbox that ``grade`` runs submissions in (bubblewrap); without it grading needs ``--unsafe``."""
    from .grading.sandbox import sandbox_status

    ok, what = sandbox_status()
    if ok:
        return Check("grading sandbox", "pass", what)
    return Check("grading sandbox", "warn", what + " (needed only by `grade`; without it grading refuses "
                 "unless --unsafe)", "sudo apt-get install bubblewrap  (or: scripts/bootstrap.sh test)")


def lab_extension_dirs() -> list[Path]:
    """Folders where JupyterLab looks for prebuilt extensions (``labextensions``)."""
    from jupyter_core.paths import jupyter_path

    return [Path(p) for p in jupyter_path("labextensions")]


def find_lab_extension(name: str) -> Path | None:
    """``package.json`` of the prebuilt JupyterLab extension ``name``, if installed."""
    for folder in lab_extension_dirs():
        candidate = folder / name / "package.json"
        if candidate.is_file():
            return candidate
    return None


def _json_field(path: Path, key: str) -> str:
    """``key`` of the JSON object in ``path`` as text ("?" when unreadable)."""
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get(key, "?"))
    except (OSError, ValueError):
        return "?"


def check_lab_extension(label: str) -> Check:
    """The JupyterLab extension ``LAB_EXTENSIONS[label]``, which renders widgets or plots."""
    name, dist = LAB_EXTENSIONS[label]
    level = "fail" if dist == "jupyterlab_widgets" else "warn"
    try:
        found = find_lab_extension(name)
    except ImportError:
        return Check(label, level, "jupyter_core is not installed", 'pip install -e ".[lab]"')
    if found is None:
        return Check(label, level, f"not found in {', '.join(map(str, lab_extension_dirs()))}",
                     f"pip install --force-reinstall {dist}  (it ships the extension)")
    detail = f"{name} {_json_field(found, 'version')} in {found.parents[len(Path(name).parts)]}"
    if dist == "jupyterlab_widgets":
        widgets, manager = installed_version("ipywidgets"), installed_version("jupyterlab_widgets")
        if widgets and manager and release(widgets)[:1] == (8,) and release(manager)[:1] != (3,):
            return Check(label, "fail", f"jupyterlab_widgets {manager} cannot show ipywidgets {widgets}",
                         'pip install "jupyterlab_widgets>=3,<4"')
        detail += f" (jupyterlab_widgets {manager}, ipywidgets {widgets})"
    return Check(label, "pass", detail)


def check_kernel() -> Check:
    """The ``python3`` kernel that notebooks use runs this interpreter."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return Check("kernel python3", "fail", "jupyter_client is not installed", 'pip install -e ".[lab]"')
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return Check("kernel python3", "fail", "no 'python3' kernel", "pip install ipykernel")
    exe = spec.argv[0] if spec.argv else ""
    # jupyter_client replaces a bare "python"/"python3" by the running interpreter.
    if exe in {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}:
        return Check("kernel python3", "pass", f"{spec.resource_dir} -> {sys.executable}")
    if Path(exe).resolve() != Path(sys.executable).resolve():
        return Check("kernel python3", "warn", f"{spec.resource_dir} runs {exe}, not {sys.executable}",
                     f"{sys.executable} -m ipykernel install --sys-prefix")
    return Check("kernel python3", "pass", f"{spec.resource_dir} -> {exe}")


def run_checks() -> list[Check]:
    """Every check, in report order."""
    try:
        reqs = requirements()
    except metadata.PackageNotFoundError:
        return [Check(DIST_NAME, "fail", "the package is importable but not installed (no metadata)",
                      'pip install -e ".[all]"  (from the repository root)')]
    checks = [check_python(), *(check_package(r) for r in reqs), check_solvers(), check_device(),
              check_kernel()]
    checks += [check_lab_extension(label) for label in LAB_EXTENSIONS]
    checks += [check_chromium(), check_sandbox()]
    return checks


def report(checks: list[Check] | None = None) -> dict[str, Any]:
    """``{"ok": no check failed, "checks": [{"name", "status", "detail", "hint"}, ...]}``."""
    checks = run_checks() if checks is None else checks
    return {"ok": all(c.status != "fail" for c in checks), "checks": [asdict(c) for c in checks]}


def format_report(result: dict[str, Any]) -> str:
    """Readable table of :func:`report`'s result, one line per check plus a verdict."""
    width = max((len(c["name"]) for c in result["checks"]), default=0)
    lines = [f"pathconvex-lab {__version__} doctor (python {sys.executable})"]
    for c in result["checks"]:
        line = f"  {c['status'].upper():4}  {c['name']:<{width}}  {c['detail']}"
        if c["hint"] and c["status"] != "pass":
            line += f"\n        fix: {c['hint']}"
        lines.append(line)
    counts = {s: sum(c["status"] == s for c in result["checks"]) for s in STATUSES}
    verdict = "ready" if result["ok"] else "NOT ready: fix the FAIL lines"
    lines.append(f"{verdict} ({counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail)")
    return "\n".join(lines)


__all__ = [
    "Check",
    "Requirement",
    "REQUIRED_SOLVERS",
    "at_least",
    "check_chromium",
    "check_device",
    "check_kernel",
    "check_lab_extension",
    "check_package",
    "check_python",
    "check_solvers",
    "find_chromium",
    "find_lab_extension",
    "format_report",
    "installed_version",
    "parse_requirement",
    "release",
    "report",
    "requirements",
    "run_checks",
    "summary",
    "torch_device",
    "versions",
]
