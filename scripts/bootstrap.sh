#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment and, for tests, the browser.
#   scripts/bootstrap.sh lab    -> .venv with the kit and JupyterLab
#   scripts/bootstrap.sh test   -> the same plus Debian's chromium (browser tests)
# Both install Debian's bubblewrap when missing (the sandbox `grade` runs submissions in).
# Idempotent: a second run only checks (about a second). It reinstalls when pyproject.toml or
# TORCH_SPEC changed, or when the installed command no longer works. Never asks a question
# (safe with CI=true and no stdin). Override the interpreter with PYTHON=..., the venv folder
# with VENV=..., and the torch requirement with TORCH_SPEC=... (default: the CPU build 2.13.0;
# on a GPU machine e.g. TORCH_SPEC="torch>=2.1").
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"
case "$what" in lab|test) ;; *) echo "usage: scripts/bootstrap.sh [lab|test]" >&2; exit 2;; esac
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
say() { echo "[bootstrap] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { say "needs Python >= 3.10; $PYTHON is $("$PYTHON" --version 2>&1). Set PYTHON=..." >&2; exit 1; }
  say "creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV" \
    || { say "could not create a venv (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
fi

# One stamp for both targets (they install the same thing); it records the torch requirement.
stamp="$VENV/.pathconvex-installed"
installed_ok() {
  [ -f "$stamp" ] && [ ! pyproject.toml -nt "$stamp" ] && [ "$(cat "$stamp")" = "$TORCH_SPEC" ] \
    && "$VENV/bin/pathconvex-lab" --version >/dev/null 2>&1
}
if ! installed_ok; then
  say "installing pathconvex-lab[all] and $TORCH_SPEC (a few minutes on a fresh machine)"
  log="$VENV/pip-install.log"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -e ".[all]" "$TORCH_SPEC" >"$log" 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -25 >&2
    say "pip install failed (full log: $log)" >&2
    exit 1
  fi
  "$VENV/bin/python" -c "import pathconvex_lab, cvxpy, torch, jupyterlab; pathconvex_lab.__version__" \
    && "$VENV/bin/pathconvex-lab" --version >/dev/null \
    || { say "install finished but the kit does not import (see $log)" >&2; exit 1; }
  printf '%s' "$TORCH_SPEC" >"$stamp"
fi

# Debian packages: chromium for the browser tests (test only), bubblewrap for sandboxed grading
# (both targets; `lab` goes on without it, since only `grade` needs it).
packages=""
if [ "$what" = "test" ] && [ -z "${PATHCONVEX_CHROMIUM:-}" ] \
   && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  packages="chromium"
fi
command -v bwrap >/dev/null 2>&1 || packages="$packages bubblewrap"
if [ -n "$packages" ]; then
  say "installing Debian's$packages (about 2 minutes with chromium)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"  # never prompt: fail clearly instead of hanging in CI
  fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    $SUDO apt-get update -qq || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $packages >/dev/null || true
  fi
  if [ "$what" = "test" ]; then
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
      || [ -n "${PATHCONVEX_CHROMIUM:-}" ] \
      || { say "chromium missing: install it (apt-get install chromium) or set PATHCONVEX_CHROMIUM" >&2; exit 1; }
    command -v bwrap >/dev/null 2>&1 \
      || { say "bubblewrap missing: install it (apt-get install bubblewrap); the grading tests need it" >&2; exit 1; }
  else
    command -v bwrap >/dev/null 2>&1 \
      || say "bubblewrap missing: \`grade\` will refuse without --unsafe (apt-get install bubblewrap)" >&2
  fi
fi
say "ready ($what): $("$VENV/bin/pathconvex-lab" --version)"
