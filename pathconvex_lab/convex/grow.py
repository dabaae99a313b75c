"""Certify-and-grow: column generation over groups (docs/mathematics.md §3.7).

Solve the group program on a small working set, price every group of a pool with the dual
certificate of the current residual, add the most violating groups (largest
``max_{V in C_g, ||V|| <= 1} s <M_g^T r, V> > beta``), and repeat until ``sigma_A(r) <= beta (1 + tol)``.
Each round gives an upper bound (the restricted optimum, attained by its network) and a lower
bound (the certificate's dual value); with the exact pool the final answer is the global
optimum, usually on a small fraction of the groups.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import check_int, check_positive
from .certificate import Certificate, certify_outputs
from .groups import group_keys, resolve_groups, subset_groups, union_groups
from .program import check_problem
from .results import ConvexResult, solve_groups


@dataclass(frozen=True)
class GrowthRound:
    """One round: working-set size, restricted optimum (upper bound), certificate lower bound,
    ``sigma_A(r) / beta``, groups added after pricing, wall time of the round."""

    round: int
    groups: int
    objective: float
    lower_bound: float
    ratio: float
    added: int
    seconds: float


@dataclass(frozen=True, eq=False)
class GrowthHistory:
    """Rounds of :func:`certify_and_grow`; ``certified`` when the last certificate proves optimality
    over the pool, ``stopped`` says why the loop ended, ``final`` is the last certificate."""

    rounds: tuple[GrowthRound, ...]
    pool_size: int
    exact_pool: bool
    certified: bool
    stopped: str
    final: Certificate

    def column(self, name: str) -> np.ndarray:
        """One field of every round as an array, e.g. ``column("objective")``."""
        return np.array([getattr(r, name) for r in self.rounds])

    def __repr__(self) -> str:
        lines = [f"GrowthHistory({len(self.rounds)} rounds, pool={self.pool_size} groups"
                 f"{' (exact)' if self.exact_pool else ''}, certified={self.certified}, stopped: {self.stopped})",
                 "  round  groups   upper bound   lower bound   sigma/beta  added"]
        for r in self.rounds:
            lines.append(f"  {r.round:5d}  {r.groups:6d}  {r.objective:12.8f}  {r.lower_bound:12.8f}  {r.ratio:11.6f}  {r.added:5d}")
        return "\n".join(lines)


def _progress(total: int, enabled: bool) -> Any:
    """A tqdm bar over rounds, or None."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="certify-and-grow", unit="round")


def certify_and_grow(
    X: Any,
    y: Any,
    beta: Any,
    m1: int,
    *,
    initial: Any = 200,
    max_rounds: int = 20,
    add_per_round: int = 50,
    pool: Any = "exact",
    seed: Any = 0,
    progress: bool = True,
    tol: float = 1e-6,
    layers: int | None = None,
    solver: str = "auto",
) -> tuple[ConvexResult, GrowthHistory]:
    """Solve the group program on a growing working set priced against ``pool``.

    Args:
        X, y, beta: data ``(n, d)``, targets ``(n,)``, regularization > 0.
        m1: first-layer width (1 for two layers).
        initial: starting groups: an ``int`` (random draws, docs/mathematics.md §5.4), ``Groups`` or a network.
        max_rounds: solve at most this many times.
        add_per_round: groups added per round (the most violating ones).
        pool: the groups that may be added: ``"exact"`` (then the answer is certified global)
            or a ``Groups`` object (e.g. many sampled groups: an upper bound only).
        tol: stop when ``sigma_A(r) <= beta (1 + tol)``.
        layers: 2 or 3 (default: 2 when ``m1 == 1``, else 3).
        solver: backend of each solve (``"auto"``: the torch solver for large working sets, else
            CLARABEL; ``"cvxpy"``, ``"fast"`` or a cvxpy solver name as in ``solve_two_layer``).
        progress: show a tqdm bar; Ctrl-C (KeyboardInterrupt) stops and keeps what was found.
    Returns:
        ``(result, history)``: the last :class:`ConvexResult` (``source="grown"``, marked
        ``exact`` when certified over an exact pool) and the :class:`GrowthHistory`.
    """
    X, y, beta = check_problem(X, y, beta)
    m1 = check_int(m1, "m1", minimum=1)
    max_rounds = check_int(max_rounds, "max_rounds", minimum=1)
    add_per_round = check_int(add_per_round, "add_per_round", minimum=1)
    tol = check_positive(tol, "tol")
    layers = layers or (2 if m1 == 1 else 3)
    full, _ = resolve_groups(X, m1, pool, seed=seed, name="pool")
    working, _ = resolve_groups(X, m1, initial, seed=seed, name="initial")
    working = replace(working, exact=False)
    pool_keys = group_keys(full)
    rounds: list[GrowthRound] = []
    bar = _progress(max_rounds, progress)
    stopped = "max_rounds"
    result = cert = None
    try:
        for k in range(max_rounds):
            start = time.perf_counter()
            result = solve_groups(X, y, beta, working, layers=layers, source="grown", solver=solver)
            cert = certify_outputs(result.outputs(), result.penalty, X, y, beta, full, top=full.count, solver=solver)
            known = set(group_keys(working))
            fresh = [g for g in cert.violating(1.0 + tol) if pool_keys[g] not in known]
            add = fresh[:add_per_round]
            rounds.append(GrowthRound(k, working.count, result.objective, cert.lower_bound, cert.ratio, len(add),
                                      time.perf_counter() - start))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(groups=working.count, upper=f"{result.objective:.6g}", lower=f"{cert.lower_bound:.6g}",
                                ratio=f"{cert.ratio:.4g}")
            if cert.ratio <= 1.0 + tol:
                stopped = "sigma_A(r) <= beta (1 + tol)"
                break
            if not add:
                stopped = "no violating group outside the working set"
                break
            working = union_groups(working, subset_groups(full, add), method="grown")
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    if result is None or cert is None:
        raise KeyboardInterrupt("certify_and_grow was interrupted before the first solve finished")
    certified = bool(full.exact) and cert.ratio <= 1.0 + tol and stopped != "interrupted"
    result = replace(result, exact=certified, pool=full)
    history = GrowthHistory(tuple(rounds), full.count, bool(full.exact), certified, stopped, cert)
    return result, history


__all__ = ["certify_and_grow", "GrowthHistory", "GrowthRound"]
