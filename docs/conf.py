"""Sphinx configuration of the kit's documentation site (``make docs``; built offline, warnings
are errors). Sources: the Markdown pages of this folder, the notebooks (copied here at build
time, executed with SIZE = "small" unless PATHCONVEX_DOCS_EXECUTE=0), the package's docstrings
(autodoc) and the CLI's argparse parsers (rendered into ``cli.md`` at build time)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import pathconvex_lab  # noqa: E402

project = "pathconvex_lab"
author = "the pathconvex_lab team"
release = version = pathconvex_lab.__version__
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
html_theme = "pydata_sphinx_theme"
html_title = f"pathconvex_lab {release}"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings state shapes and units; signatures stay readable
napoleon_google_docstring = True
napoleon_numpy_docstring = True
nb_execution_mode = "auto" if os.environ.get("PATHCONVEX_DOCS_EXECUTE", "1") == "1" else "off"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True
suppress_warnings = [
    "mystnb.unknown_mime_type",  # widget views render only in a live kernel
    "ref.python",  # shapes in docstrings, "weights (K, d, m1)", read as ambiguous type references
]


def copy_notebooks() -> None:
    """``notebooks/*.ipynb`` into ``docs/notebooks/`` (generated, ignored by git), SIZE = "small"."""
    target = DOCS / "notebooks"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = source.read_text(encoding="utf-8")
        text = re.sub(r'SIZE = \\"large\\"', 'SIZE = \\"small\\"', text)
        text = text.replace("](assignments/)", "](../instructors.md)")  # a folder in JupyterLab, a page here
        (target / source.name).write_text(text, encoding="utf-8")


def write_cli_reference() -> None:
    """``cli.md``: the ``--help`` of ``pathconvex-lab`` and of each subcommand (generated)."""
    import argparse

    from pathconvex_lab.cli import build_parser

    parser = build_parser()
    parser.prog = "pathconvex-lab"
    parts = ["# Command line\n", "Generated from the argparse parsers of `pathconvex_lab.cli` when the site is built.\n",
             "```text", parser.format_help().rstrip(), "```\n"]
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        sub.prog = f"pathconvex-lab {name}"
        parts += [f"## `pathconvex-lab {name}`\n", "```text", sub.format_help().rstrip(), "```\n"]
    (DOCS / "cli.md").write_text("\n".join(parts) + "\n", encoding="utf-8")


copy_notebooks()
write_cli_reference()
