#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment and, for tests, the browser.
#   scripts/bootstrap.sh lab    -> .venv with the kit and JupyterLab
#   scripts/bootstrap.sh test   -> the same plus Debian's chromium (browser tests)
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

if [ "$what" = "test" ] && [ -z "${PATHCONVEX_CHROMIUM:-}" ] \
   && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  say "installing Debian's chromium for the browser tests (about 2 minutes)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { say "not root and no sudo: install chromium yourself (or set PATHCONVEX_CHROMIUM)" >&2; exit 1; }
    SUDO="sudo -n"  # never prompt: fail clearly instead of hanging in CI
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  command -v chromium >/dev/null 2>&1 || { say "chromium still missing after apt-get install" >&2; exit 1; }
fi
say "ready ($what): $("$VENV/bin/pathconvex-lab" --version)"
