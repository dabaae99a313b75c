"""Subcommands of ``pathconvex-lab``; each module exposes ``register(subparsers)``."""
