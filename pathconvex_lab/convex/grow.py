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
from ..arrangements import Groups
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


def _show(bar: Any, row: GrowthRound) -> None:
    """Advance the progress ``bar`` (or nothing when None) by one round and show its bounds."""
    if bar is not None:
        bar.update(1)
        bar.set_postfix(groups=row.groups, upper=f"{row.objective:.6g}", lower=f"{row.lower_bound:.6g}",
                        ratio=f"{row.ratio:.4g}")


@dataclass(frozen=True, eq=False)
class _Grower:
    """What every round shares: data ``X (n, d)``, ``y (n,)``, ``beta``; the ``pool`` priced and
    its group ``keys (G,)``; the model (``layers``), the ``solver`` and the stopping ``tol``."""

    X: np.ndarray
    y: np.ndarray
    beta: float
    pool: Groups
    keys: np.ndarray
    layers: int
    solver: str
    tol: float
    add_per_round: int

    def round(self, k: int, working: Groups) -> tuple[ConvexResult, Certificate, list[int], GrowthRound]:
        """Solve on ``working``, certify over the pool, and pick the most violating pool groups
        not yet in ``working`` (at most ``add_per_round``, indices into the pool)."""
        start = time.perf_counter()
        result = solve_groups(self.X, self.y, self.beta, working, layers=self.layers, source="grown", solver=self.solver)
        cert = certify_outputs(result.outputs(), result.penalty, self.X, self.y, self.beta, self.pool,
                               top=self.pool.count, solver=self.solver)
        known = set(group_keys(working))
        add = [g for g in cert.violating(1.0 + self.tol) if self.keys[g] not in known][: self.add_per_round]
        row = GrowthRound(k, working.count, result.objective, cert.lower_bound, cert.ratio, len(add),
                          time.perf_counter() - start)
        return result, cert, add, row

    def stop_reason(self, cert: Certificate, add: list[int]) -> str | None:
        """Why growing ends after a round with certificate ``cert`` and groups ``add``, or None."""
        if cert.ratio <= 1.0 + self.tol:
            return "sigma_A(r) <= beta (1 + tol)"
        if not add:
            return "no violating group outside the working set"
        return None


def _grow(grower: _Grower, working: Groups, max_rounds: int, bar: Any
          ) -> tuple[list[GrowthRound], str, ConvexResult | None, Certificate | None]:
    """Run at most ``max_rounds`` rounds from ``working``: ``(rounds, why it stopped, last result,
    last certificate)``; Ctrl-C stops after the last finished round."""
    rounds: list[GrowthRound] = []
    stopped = "max_rounds"
    result = cert = None
    try:
        for k in range(max_rounds):
            result, cert, add, row = grower.round(k, working)
            rounds.append(row)
            _show(bar, row)
            reason = grower.stop_reason(cert, add)
            if reason is not None:
                stopped = reason
                break
            working = union_groups(working, subset_groups(grower.pool, add), method="grown")
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    return rounds, stopped, result, cert


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
    full, _ = resolve_groups(X, m1, pool, seed=seed, name="pool")
    working, _ = resolve_groups(X, m1, initial, seed=seed, name="initial")
    grower = _Grower(X, y, beta, full, group_keys(full), layers or (2 if m1 == 1 else 3), solver, tol, add_per_round)
    rounds, stopped, result, cert = _grow(grower, replace(working, exact=False), max_rounds,
                                          _progress(max_rounds, progress))
    if result is None or cert is None:
        raise KeyboardInterrupt("certify_and_grow was interrupted before the first solve finished")
    certified = bool(full.exact) and cert.ratio <= 1.0 + tol and stopped != "interrupted"
    history = GrowthHistory(tuple(rounds), full.count, bool(full.exact), certified, stopped, cert)
    return replace(result, exact=certified, pool=full), history


__all__ = ["certify_and_grow", "GrowthHistory", "GrowthRound"]
