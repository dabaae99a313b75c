"""The web dashboard served by ``pathconvex-lab dashboard``: a notebook of explorers, run by Voila.

:func:`dashboard_notebook` builds the notebook (never stored in the repository; the command
writes it into a temporary folder): the depth x beta training explorer of notebook 06
(:func:`pathconvex_lab.widgets.deep.training_dashboard`) and the arrangement explorers of
notebook 01 (:mod:`pathconvex_lab.widgets.arrangements`). Voila shows the widgets and markdown
only; the code cells stay hidden.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: File name of the generated dashboard notebook.
NOTEBOOK_NAME = "pathconvex_dashboard.ipynb"

_CELLS = (
    ("markdown", "# pathconvex_lab explorers\n\n"
     "Two explorers of the hidden convexity of ReLU networks (Ergen & Pilanci, arXiv 2110.09548). "
     "Every control re-computes on release; errors are shown in the panel, never lost."),
    ("markdown", "## Depth x beta: train a deep parallel ReLU network\n\n"
     "Choose the depth $L$ and the regularization strength $\\beta$ (and the data, the number $K$ of "
     "sub-networks, their width), then press **Train**: the loss curve, the decision boundary and the path "
     "norm of each sub-network are redrawn while it trains. **Stop** keeps the best weights. With the path "
     "norm, large $\\beta$ switches whole sub-networks off."),
    ("code", "from pathconvex_lab.widgets import deep\n\ndeep.training_dashboard(device=\"auto\")"),
    ("markdown", "## Hyperplane arrangements: one neuron, one pattern\n\n"
     "A ReLU neuron $u=(\\cos a, \\sin a, b)$ splits the points by a line. Turn the angle $a$ and shift the "
     "offset $b$: the activation pattern $\\mathbb 1[Xu>0]$ changes only when the line crosses a point, and "
     "every pattern has its index among all chamber patterns."),
    ("code", "from pathconvex_lab.widgets import arrangements\n\narrangements.neuron_widget()"),
    ("markdown", "## How many patterns are there?\n\n"
     "Exact pattern counts as points are added, against Cover's bound $C(n,r)=2\\sum_{k<r}\\binom{n-1}{k}$: "
     "equal for points in general position, below it for repeated or collinear points."),
    ("code", "arrangements.counts_widget(max_n=16)"),
)


def dashboard_notebook() -> Any:
    """The dashboard as an ``nbformat`` notebook (python3 kernel, no outputs)."""
    import nbformat

    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(src) if kind == "markdown" else v4.new_code_cell(src) for kind, src in _CELLS]
    for index, cell in enumerate(cells):
        cell["id"] = f"dashboard-{index}"
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return v4.new_notebook(cells=cells, metadata=metadata)


def write_dashboard(folder: str | os.PathLike) -> Path:
    """Write the dashboard notebook into ``folder`` (created if needed); returns its path."""
    import nbformat

    path = Path(folder) / NOTEBOOK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(dashboard_notebook(), path)
    return path


__all__ = ["dashboard_notebook", "write_dashboard", "NOTEBOOK_NAME"]
