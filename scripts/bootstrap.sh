#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment and, for tests, the browser.
#   scripts/bootstrap.sh lab    -> .venv with the kit and JupyterLab
#   scripts/bootstrap.sh test   -> the same plus test tools and Debian's chromium (browser tests)
# Idempotent: a second run only checks. Override the interpreter with PYTHON=..., the venv
# folder with VENV=..., and the torch requirement with TORCH_SPEC=... (default: the CPU
# build 2.13.0; on a GPU machine e.g. TORCH_SPEC="torch>=2.1").
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[bootstrap] creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.installed-$what"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[bootstrap] installing pathconvex-lab[all] and $TORCH_SPEC (a few minutes on a fresh machine)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[all]" "$TORCH_SPEC" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  "$VENV/bin/python" -c "import pathconvex_lab, cvxpy, torch, jupyterlab" \
    || { echo "[bootstrap] install failed" >&2; exit 1; }
  touch "$stamp"
fi

if [ "$what" = "test" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "[bootstrap] installing Debian's chromium for the browser tests (about 2 minutes)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "[bootstrap] ready ($what)"
