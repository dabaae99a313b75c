"""The sandbox a submission runs in: bubblewrap (``bwrap``), from the Linux distribution.

Why bubblewrap: it is one small setuid-free program in Debian, Ubuntu and Fedora (``apt-get
install bubblewrap``), starts in milliseconds, needs no daemon and no image (unlike Docker or
Podman), and gives exactly what grading needs through Linux namespaces:

- no network (a network namespace with only loopback, which the notebook's kernel uses);
- a filesystem view of read-only system folders, the Python installation and the kit's package,
  plus the submission's own folder (writable) and a private ``/tmp`` that vanishes with it:
  the grader's home, the autograder zip, other submissions and the hidden tests are not there;
- an environment with only the variables it is given (``--clearenv``);
- a process namespace: when the sandbox's first process ends, or its parent dies
  (``--die-with-parent``), every process the submission started ends with it;
- no capabilities (``--cap-drop ALL``) and a new session (no terminal injection).

:func:`sandbox_status` probes once per process whether bubblewrap works here (it needs user
namespaces, which some containers forbid); :func:`sandbox_command` wraps a command line.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

#: Seconds allowed for the probe ``bwrap ... true``.
PROBE_TIMEOUT_S = 20.0
#: Folders of the system shown read-only to a submission (those that exist).
SYSTEM_DIRS = ("/usr", "/etc")
#: Top-level entries that are symlinks into /usr on merged-usr systems, or folders elsewhere.
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ISOLATION = ("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL")
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install "
                "bubblewrap`), or pass --unsafe to grade without isolation (only for notebooks you trust)")


@functools.lru_cache(maxsize=1)
def sandbox_status() -> tuple[bool, str]:
    """``(True, "bubblewrap 0.8.0")`` when a sandbox can be made here, else ``(False, why not)``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed"
    argv = [bwrap, *_ISOLATION, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        probe = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not be started ({type(exc).__name__}: {exc})"
    if probe.returncode != 0:
        why = " ".join(probe.stderr.split())[:200] or f"exit status {probe.returncode}"
        return False, f"bubblewrap cannot create namespaces here ({why})"
    return True, version.stdout.strip() or "bubblewrap"


#: Variables of the grader's environment that a submission's processes inherit; nothing else
#: (tokens, keys and paths in the grader's environment stay out of reach of its code).
GRADING_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH")


def grading_env(home: Path) -> dict[str, str]:
    """Environment of a grading process: the few variables of :data:`GRADING_ENV_KEEP`, and a private
    home, temporary folder and caches under ``home`` (created here; deleted after grading)."""
    env = {key: os.environ[key] for key in GRADING_ENV_KEEP if key in os.environ}
    for sub in ("tmp", ".cache", ".config", ".local/share", ".mpl"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update({"HOME": str(home), "TMPDIR": str(home / "tmp"), "XDG_CACHE_HOME": str(home / ".cache"),
                "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
                "MPLCONFIGDIR": str(home / ".mpl"), "PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    return env


def _under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def visible_roots() -> list[Path]:
    """The folders (besides the submission's own) that a submission sees, read-only: the system's,
    the Python installation's, and the kit's package folder (never the checkout around it)."""
    roots: list[Path] = [Path(d) for d in SYSTEM_DIRS if os.path.isdir(d)]
    package = Path(__file__).resolve().parents[1]
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(package)]
    candidates += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    for entry in candidates:
        path = Path(entry).resolve()
        if path.is_dir() and not _under(path, roots):
            roots = [r for r in roots if path not in r.parents] + [path]
    return roots


def sandbox_command(argv: Sequence[str], workdir: Path, env: Mapping[str, str],
                    hide: Sequence[Path] = ()) -> list[str]:
    """``argv`` wrapped in bubblewrap: runs in ``workdir`` (its only writable folder) with exactly
    ``env``, no network, a private /tmp; ``hide`` are paths masked by an empty folder should they
    lie inside a visible folder (e.g. the autograder zip's folder)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap")
    workdir = Path(workdir).resolve()
    cmd = [bwrap, *_ISOLATION, "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    # the private /tmp first: folders bound later may lie under /tmp (a checkout or venv in /tmp)
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp"]
    roots = visible_roots()
    for root in roots:
        cmd += ["--ro-bind", str(root), str(root)]
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            cmd += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link) and not _under(Path(link), roots):
            cmd += ["--ro-bind", link, link]
    for path in hide:
        folder = Path(path).resolve()
        folder = folder if folder.is_dir() else folder.parent
        if _under(folder, roots) and not _under(workdir, [folder]):
            cmd += ["--tmpfs", str(folder)]
    cmd += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--", *argv]
    return cmd
