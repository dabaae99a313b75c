"""``python -m pathconvex_lab`` runs the command-line interface."""

from .cli import entry

raise SystemExit(entry())
