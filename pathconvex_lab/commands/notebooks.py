"""``pathconvex-lab notebooks [--out DIR] [--force]``: fresh copies of the kit's notebooks.

The notebooks come with the kit: from the source checkout it was installed from (``notebooks/``
next to the package), else from the installed data (``<prefix>/share/pathconvex-lab/notebooks``,
where the wheel puts them). A file that already exists in ``--out`` is never overwritten
without ``--force``: it is listed as kept, so no one's work is lost.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..errors import InputError
from ._common import add_json_flag

#: Where the wheel installs the notebooks, relative to the environment's prefix.
SHARE = Path("share") / "pathconvex-lab" / "notebooks"
#: Default destination of the copies.
DEFAULT_OUT = "notebooks"


def notebooks_source() -> Path:
    """The kit's own notebooks: the source checkout's ``notebooks/``, else the installed copy."""
    for candidate in (Path(__file__).resolve().parents[2] / "notebooks", Path(sys.prefix) / SHARE,
                      Path(sys.base_prefix) / SHARE):
        if (candidate / "00_tour.ipynb").is_file():
            return candidate
    raise InputError("the kit's notebooks were not found (neither a source checkout's notebooks/ nor "
                     f"{Path(sys.prefix) / SHARE}); reinstall the kit")


def copy_notebooks(out: str | Path, *, force: bool = False) -> dict[str, list[str]]:
    """Copy every notebook (assignments included) into ``out``; ``{"copied": [...], "kept": [...]}``
    (relative paths); existing files are kept unless ``force``."""
    source, target = notebooks_source(), Path(out)
    if target.exists() and not target.is_dir():
        raise InputError(f"--out {out}: is a file; give a folder (it is created if missing)")
    if target.resolve() == source.resolve():
        raise InputError(f"--out {out}: that is where the kit's notebooks are; choose another folder")
    copied, kept = [], []
    for path in sorted(source.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(source)
        destination = target / relative
        if destination.exists() and not force:
            kept.append(str(relative))
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        copied.append(str(relative))
    return {"source": str(source), "out": str(target.resolve()), "copied": copied, "kept": kept}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``notebooks`` subcommand."""
    p = subparsers.add_parser(
        "notebooks",
        help="copy the kit's notebooks into a folder (never overwriting without --force)",
        description="Copy fresh copies of the kit's notebooks (and its assignments) into --out. A file that "
        "already exists there is kept, and listed, unless --force.",
    )
    p.add_argument("--out", default=DEFAULT_OUT, help=f"destination folder (default ./{DEFAULT_OUT}; created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite notebooks that already exist in --out")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | int:
    """Copy; the JSON form is the dict of :func:`copy_notebooks`."""
    result = copy_notebooks(args.out, force=args.force)
    if args.json:
        return result
    print(f"copied {len(result['copied'])} notebooks into {result['out']}")
    if result["kept"]:
        print(f"kept {len(result['kept'])} that already exist (use --force to overwrite): {', '.join(result['kept'])}")
    print(f"next: pathconvex-lab lab --notebook-dir {args.out}")
    return 0
