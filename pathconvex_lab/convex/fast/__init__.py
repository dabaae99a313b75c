"""A fast torch solver for the group programs of docs/mathematics.md §2 and §3.5.

The program, over blocks ``V_g^s`` (``d x m1``) for groups ``g = 1..G`` and output signs ``s = ±1``::

    min  1/2 || sum_{g,s} s M_g V_g^s - y ||^2 + beta sum_{g,s} ||V_g^s||_F
    s.t. (2 D1_gj - 1) * X v_j >= 0  (every j),   (2 D2_g - 1) * h_g(V) >= 0,
    h_g(V) = sum_j sigma_gj D1_gj * X v_j,   M_g V = D2_g * h_g(V).

Two layers (docs/mathematics.md §2) are the case ``m1 = 1``, ``sigma = +1``, ``D2 = D1``.

Method: a primal-dual interior-point method (Mehrotra predictor-corrector with Nesterov-Todd
scaling, the scheme of CVXOPT's ``coneqp``, Vandenberghe 2010) that exploits the structure:

* each block has an epigraph variable ``t_b >= ||V_b||_F`` (one second-order cone, size
  ``k = d m1 + 1``) and a polyhedral cone of ``q = n m1 (+ n)`` rows (:mod:`.cones`, :mod:`.state`);
* the Newton matrix is ``A^T A + blockdiag(H_b)``: the scaled barrier Hessians ``H_b`` are
  ``k x k`` and independent across blocks; the loss couples blocks only through the ``n``-vector
  ``A x``. All ``H_b`` are inverted at once (batched, :mod:`.kernels`) and the Woodbury identity
  uses the ``n x n`` capacitance ``S = I + sum_g A_g K_g A_g^T`` (the two signs of a group share
  ``A_g`` up to sign, so ``K_g`` sums their inverses), or, when ``G d m1 < n``, its
  ``(G d m1)``-sized twin built from the constant ``A^T A`` (computed once); a few steps of GMRES
  preconditioned by this solve keep the Newton directions accurate when the barrier makes the
  blocks ill-conditioned. Where that dense capacitance does not fit in memory
  (``linear_solver="iterative"``, or "auto"), the Newton systems are solved by restarted GMRES
  preconditioned group by group, in memory ``O(n G)`` (:mod:`.newton`);
* every product with ``X`` is one matmul over all blocks at once (``M_g`` is never formed: it is
  ``X`` masked by the group's patterns, :mod:`.maps`); there is no loop over groups;
* where the dense capacitance is large, Gondzio's centrality corrector re-centres the few cone
  rows that would stop the step early (:mod:`.step`);
* a working set ("shrinking", :mod:`.working_set`): groups whose blocks are nearly zero leave the
  Newton system once the gap is moderate; the result is still certified over all groups, and
  groups found violated come back;
* a facet presolve (:mod:`.facets`): given realizing first-layer weights (``directions``) and data
  of at most ``FACET_MAX_DIM + 1`` columns, the cone rows implied by the others are left out (exact
  convex hulls by qhull) and the rest are stored per block as explicit small matrices; the answer is
  then checked against every row.

Why not a first-order method (augmented Lagrangian + FISTA, as in pyscnn): the accuracy asked for
(relative gap and violation ``1e-6``) is where first-order methods on cone-constrained group lasso
crawl (benchmarks/README.md), whereas an interior-point method reaches it in 15-40 Newton steps
whose cost here is a few matmuls.

Stopping rule (docs/mathematics.md §3.7, :mod:`.certify`): every iterate carries a dual feasible
point built from its residual and the solver's own cone multipliers, hence a certified relative
duality gap; with the relative violation ``max violation / max |X v|`` it decides
``status = "optimal"`` (:mod:`.ipm`).

Public API: :func:`solve_group_program_fast`. The tuning constants live in :mod:`.settings`, which
the solver reads at call time (set them there); ``fast.NAME`` reads them too.
"""

from __future__ import annotations

from typing import Any

from . import settings
from .api import solve_group_program_fast

__all__ = ["settings", "solve_group_program_fast"]


def __getattr__(name: str) -> Any:
    """The tuning constants of :mod:`.settings` as attributes of the package (their current values)."""
    if name.isupper() and hasattr(settings, name):
        return getattr(settings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
