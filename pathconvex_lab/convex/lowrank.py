"""The polynomial-time approximation of docs/mathematics.md §6: solve the convex program on a rank-``r``
truncation of the data, evaluate the network on the original data.

1. Truncated SVD ``X_hat = U_r S_r V_r^T``; the program runs on ``A = U_r S_r`` (``n x r``), whose
   patterns are those of ``X_hat``: at most ``C(n, r)`` of them, so ``O(n^{m1 (2r - 1)})`` groups,
   polynomial in ``n`` for fixed ``r`` and ``m1``.
2. A solution ``z`` on ``A`` is lifted to ``v = V_r z``. Since ``X V_r = U_r S_r = A``, the network
   outputs on the original ``X`` equal those on ``A`` exactly, and ``||v|| = ||z||``: the network
   evaluated on ``X`` has objective exactly ``p_hat`` (the program optimum on ``X_hat``).
3. Guarantee (derived in docs/mathematics.md §6): with ``gamma = sqrt(m1) sigma_{r+1}(X) ||y|| / beta``,
   ``p* <= p_hat <= (1 + gamma)^2 p*``. The certificate on ``X`` (docs/mathematics.md §3.7) brackets ``p*`` too.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from .. import arrangements as ar
from .._validate import check_int
from ..errors import ProblemTooLargeError
from .betas import resolve_m1
from .certificate import Certificate, certify_outputs
from .groups import MAX_GROUPS
from .path import ACTIVE_RTOL
from .program import check_problem
from .results import ConvexResult, pruned_subnetworks, solve_groups, sub_network_outputs


def group_count_bound(n: int, r: int, m1: int = 1) -> int:
    """Upper bound on the number of groups for ``n`` points of rank ``r`` (docs/mathematics.md §3.8), exact int.

    ``m1 = 1`` (two layers): one group per pattern, ``C(n, r)``. ``m1 >= 2``:
    ``binom(2P + m1 - 1, m1) * 2 sum_{k < m1 r} binom(n - 1, k)`` with ``P = C(n, r)``: the
    configurations times the second-layer patterns of a map into dimension ``<= m1 r``.
    Polynomial in ``n`` (degree about ``m1 (2r - 1)``), exponential in ``r`` and ``m1``.
    """
    n = check_int(n, "n", minimum=1)
    r = check_int(r, "r", minimum=1)
    m1 = check_int(m1, "m1", minimum=1)
    P = ar.pattern_bound(n, r)
    if m1 == 1:
        return P
    return math.comb(2 * P + m1 - 1, m1) * ar.pattern_bound(n, m1 * r)


@dataclass(frozen=True, eq=False)
class LowRankResult:
    """The rank-``r`` approximation of docs/mathematics.md §6.

    Attributes:
        rank: ``r``; ``layers``, ``m1``, ``beta``.
        objective: ``p_hat``, the objective of the returned network on the ORIGINAL ``X``.
        program_objective: the optimum of the program on ``X_hat`` (equal to ``objective``; any
            difference is pruning noise, ~1e-8).
        gamma, bound_factor: ``gamma = sqrt(m1) sigma_{r+1} ||y|| / beta`` and ``(1 + gamma)^2``.
        singular_values: ``(min(n, d),)`` of ``X``; ``sigma_next = sigma_{r+1}`` (0 if ``r >= rank X``).
        num_patterns, num_groups: patterns and groups of ``X_hat`` (what was solved).
        num_patterns_exact, num_groups_exact: the same for ``X`` (None when not counted or when
            more than ``max_groups``).
        certificate: certificate of the network on ``X`` over the exact groups of ``X`` (or None);
            ``lower_bound`` is its dual bound on ``p*`` (NaN without certificate).
        weights (K, d, m1), sigma (K, m1), signs (K,): the pruned network in the coordinates of ``X``.
        seconds: ``{"svd", "groups", "solve", "exact_count", "certificate"}``.
        result: the :class:`ConvexResult` on ``A = U_r S_r`` (coordinates ``z``).
    """

    rank: int
    layers: int
    m1: int
    beta: float
    objective: float
    program_objective: float
    gamma: float
    bound_factor: float
    sigma_next: float
    singular_values: np.ndarray = field(repr=False)
    num_patterns: int = 0
    num_groups: int = 0
    num_patterns_exact: int | None = None
    num_groups_exact: int | None = None
    certificate: Certificate | None = field(default=None, repr=False)
    lower_bound: float = float("nan")
    weights: np.ndarray = field(default=None, repr=False)
    sigma: np.ndarray = field(default=None, repr=False)
    signs: np.ndarray = field(default=None, repr=False)
    seconds: dict = field(default_factory=dict, repr=False)
    result: ConvexResult | None = field(default=None, repr=False)

    @property
    def subnetworks(self) -> int:
        """Number of sub-networks of the returned network."""
        return int(self.signs.shape[0])

    @property
    def solve_seconds(self) -> float:
        """Time of the approximation itself: SVD, groups of ``X_hat`` and the solve."""
        return float(sum(self.seconds.get(k, 0.0) for k in ("svd", "groups", "solve")))

    def contributions(self, X: Any) -> np.ndarray:
        """Each sub-network's output on ``X (m, d)``: ``(m, K)``."""
        return sub_network_outputs(np.asarray(X, dtype=np.float64), self.weights, self.sigma, self.signs)

    def predict(self, X: Any) -> np.ndarray:
        """The network's output on ``X (m, d)``: ``(m,)``."""
        return self.contributions(X).sum(axis=1)

    def network(self, **kwargs: Any) -> Any:
        """The network on the original coordinates as a :class:`~pathconvex_lab.nets.ParallelReLUNet`
        (two layers balanced, three layers ``W1 = V``, ``w2 = sigma``, ``w3 = s``)."""
        from ..nets import ParallelReLUNet

        if self.layers == 2:
            root = np.sqrt(np.sqrt((self.weights**2).sum(axis=(1, 2))))
            return ParallelReLUNet.from_weights([self.weights / root[:, None, None]], self.signs * root, **kwargs)
        return ParallelReLUNet.from_weights([self.weights, self.sigma.astype(np.float64)[:, :, None]],
                                            self.signs.astype(np.float64), **kwargs)

    def __repr__(self) -> str:
        model = "two-layer" if self.layers == 2 else f"three-layer, m1={self.m1}"
        exact = "?" if self.num_groups_exact is None else f"{self.num_groups_exact}"
        lower = "" if self.certificate is None else f", p* >= {self.lower_bound:.8g} (certificate on X)"
        return (f"LowRankResult({model}, rank {self.rank}, beta={self.beta:g}: p_hat={self.objective:.8g}{lower};\n"
                f"  bound p_hat <= (1 + gamma)^2 p* = {self.bound_factor:.4g} p* (gamma={self.gamma:.4g}, "
                f"sigma_(r+1)={self.sigma_next:.4g}); groups {self.num_groups} vs exact {exact}; "
                f"{self.subnetworks} sub-network{'' if self.subnetworks == 1 else 's'}; {self.solve_seconds:.2f} s)")


def _exact_groups(X: np.ndarray, m1: int, max_groups: int) -> tuple[int | None, Any]:
    """Pattern count and group set of ``X`` itself, or ``(None, None)`` beyond ``max_groups``."""
    try:
        pats = ar.enumerate_patterns(X, max_patterns=max(max_groups, 2))
        if m1 == 1:
            groups = ar.groups_from_patterns(pats)
        else:
            groups = ar.enumerate_groups(X, m1, patterns=pats, max_groups=max_groups)
    except ProblemTooLargeError:
        return None, None
    if groups.count > max_groups:
        return pats.count, None
    return pats.count, groups


@contextmanager
def _timed(seconds: dict[str, float], key: str) -> Iterator[None]:
    """Store the wall time of the ``with`` body in ``seconds[key]`` (seconds; not on an exception)."""
    start = time.perf_counter()
    yield
    seconds[key] = time.perf_counter() - start


@dataclass(frozen=True)
class _Truncation:
    """The rank-``r`` truncation of ``X (n, d)``: ``A = U_r S_r (n, r)``, ``basis = V_r (d, r)`` with
    ``X basis = A``; all ``singular_values (min(n, d),)``, ``sigma_next = sigma_{r+1}`` (0 if none)."""

    A: np.ndarray
    basis: np.ndarray
    singular_values: np.ndarray
    sigma_next: float


def _truncate(X: np.ndarray, rank: int) -> _Truncation:
    """Truncated SVD of ``X (n, d)`` at ``rank``."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return _Truncation(U[:, :rank] * s[:rank], Vt[:rank].T, s, float(s[rank]) if rank < s.size else 0.0)


def _groups_of(A: np.ndarray, m1: int, max_groups: int) -> tuple[Any, Any]:
    """``(patterns, groups)`` of ``A (n, r)``: one group per pattern for ``m1 = 1``, else the
    groups of ``m1`` patterns (at most ``max_groups``)."""
    pats = ar.enumerate_patterns(A)
    groups = ar.groups_from_patterns(pats) if m1 == 1 else ar.enumerate_groups(A, m1, patterns=pats, max_groups=max_groups)
    return pats, groups


def _exact_check(X: np.ndarray, y: np.ndarray, beta: float, m1: int, outputs: np.ndarray, penalty: float, *,
                 certify: bool, max_groups: int, seconds: dict[str, float]) -> tuple[int | None, int | None, Any]:
    """Count the patterns and groups of ``X (n, d)`` itself and, when they fit and ``certify``, certify
    the network with ``outputs (n,)`` and path norm ``penalty`` over them: ``(patterns, groups,
    certificate)``, each None when not reached; times go to ``seconds``."""
    with _timed(seconds, "exact_count"):
        patterns, exact = _exact_groups(X, m1, max_groups)
    if not certify or exact is None:
        return patterns, None if exact is None else exact.count, None
    with _timed(seconds, "certificate"):
        cert = certify_outputs(outputs, penalty, X, y, beta, exact)
    return patterns, exact.count, cert


def low_rank_approximation(
    X: Any,
    y: Any,
    beta: Any,
    rank: int,
    layers: int = 2,
    m1: int | None = None,
    *,
    solver: str = "auto",
    certify: bool = True,
    count_exact: bool = True,
    max_groups: int = MAX_GROUPS,
    drop_tol: float = ACTIVE_RTOL,
) -> LowRankResult:
    """The polynomial-time approximation of docs/mathematics.md §6 (module docstring).

    Args:
        X, y, beta: data ``(n, d)`` (bias as a column), targets ``(n,)``, ``beta > 0``.
        rank: ``r`` in ``[1, min(n, d)]``; at ``r >= rank X`` the result is exact (``gamma = 0``).
        layers, m1: 2 (weight decay) or 3 (path norm, first-layer width ``m1``, default 2).
        solver: backend for the program on ``X_hat`` (as in ``solve_two_layer``).
        certify: certify the network on ``X`` over the exact groups of ``X`` (needs ``count_exact``).
        count_exact: enumerate the exact patterns/groups of ``X`` to report their number.
        max_groups: skip the exact count (report None) beyond this many groups.
        drop_tol: pruning drops blocks below this fraction of the largest (solver noise, as in
            :func:`~pathconvex_lab.convex.regularization_path`).
    Returns:
        :class:`LowRankResult`; ``.objective`` is ``p_hat`` evaluated on ``X``.
    """
    X, y, beta = check_problem(X, y, beta)
    m1 = resolve_m1(layers, m1)
    rank = check_int(rank, "rank", minimum=1, maximum=min(X.shape))
    max_groups = check_int(max_groups, "max_groups", minimum=1)
    seconds: dict[str, float] = {}
    with _timed(seconds, "svd"):
        cut = _truncate(X, rank)
    with _timed(seconds, "groups"):
        pats, groups = _groups_of(cut.A, m1, max_groups)
    result = solve_groups(cut.A, y, beta, groups, layers=layers, source=f"rank-{rank}", solver=solver)
    seconds["solve"] = sum(result.seconds.get(k, 0.0) for k in ("build", "solve"))
    W_A, sigma, signs = pruned_subnetworks(result.prune(drop_tol=drop_tol))
    weights = np.einsum("dr,krj->kdj", cut.basis, W_A)  # v = V_r z
    f = sub_network_outputs(X, weights, sigma, signs).sum(axis=1)
    penalty = float(np.sqrt((weights**2).sum(axis=(1, 2))).sum())
    patterns_exact = groups_exact = cert = None
    if count_exact:
        patterns_exact, groups_exact, cert = _exact_check(X, y, beta, m1, f, penalty, certify=certify,
                                                          max_groups=max_groups, seconds=seconds)
    gamma = math.sqrt(m1) * cut.sigma_next * float(np.linalg.norm(y)) / beta
    return LowRankResult(
        rank=rank, layers=layers, m1=m1, beta=beta, objective=0.5 * float(np.sum((f - y) ** 2)) + beta * penalty,
        program_objective=result.objective, gamma=gamma, bound_factor=(1.0 + gamma) ** 2, sigma_next=cut.sigma_next,
        singular_values=cut.singular_values, num_patterns=pats.count, num_groups=groups.count,
        num_patterns_exact=patterns_exact, num_groups_exact=groups_exact, certificate=cert,
        lower_bound=float("nan") if cert is None else cert.lower_bound,
        weights=weights, sigma=sigma, signs=signs, seconds=seconds, result=result,
    )


@dataclass(frozen=True, eq=False)
class RankSweep:
    """:func:`low_rank_approximation` at several ranks, with the exact optimum for reference.

    ``results`` (one :class:`LowRankResult` per rank, ascending); ``exact_objective`` ``p*``
    (NaN when the exact program was too large) and ``exact_seconds``; ``exact_groups`` its group
    count. Array views: :attr:`ranks`, :attr:`objectives`, :attr:`ratios` (``p_hat / p*``),
    :attr:`bound_factors`, :attr:`num_groups`, :attr:`solve_seconds`.
    """

    results: tuple[LowRankResult, ...]
    exact_objective: float
    exact_seconds: float
    exact_groups: int | None

    def _column(self, name: str, dtype: type = np.float64) -> np.ndarray:
        """One field of every result, as an array ``(len(results),)``."""
        return np.array([getattr(r, name) for r in self.results], dtype=dtype)

    @property
    def ranks(self) -> np.ndarray:
        """The ranks ``r``, ascending: ``(R,)`` integers."""
        return self._column("rank", np.int64)

    @property
    def objectives(self) -> np.ndarray:
        """``p_hat`` per rank (objective on the original ``X``): ``(R,)``."""
        return self._column("objective")

    @property
    def ratios(self) -> np.ndarray:
        """``p_hat / p*`` per rank (NaN without ``p*``)."""
        return self.objectives / self.exact_objective

    @property
    def bound_factors(self) -> np.ndarray:
        """The a-priori factor ``(1 + gamma)^2`` per rank: ``(R,)``."""
        return self._column("bound_factor")

    @property
    def num_groups(self) -> np.ndarray:
        """Groups of ``X_hat`` per rank (the size of each program): ``(R,)`` integers."""
        return self._column("num_groups", np.int64)

    @property
    def solve_seconds(self) -> np.ndarray:
        """Seconds of each approximation (SVD, groups of ``X_hat``, solve): ``(R,)``."""
        return self._column("solve_seconds")

    def __repr__(self) -> str:
        lines = [f"RankSweep(p* = {self.exact_objective:.8g} with {self.exact_groups} groups in {self.exact_seconds:.2f} s)",
                 "  rank  groups     p_hat       p_hat/p*   bound (1+gamma)^2   seconds"]
        for r, ratio in zip(self.results, self.ratios):
            lines.append(f"  {r.rank:4d}  {r.num_groups:6d}  {r.objective:10.6f}  {ratio:9.5f}  {r.bound_factor:18.4g}"
                         f"  {r.solve_seconds:8.2f}")
        return "\n".join(lines)


def low_rank_sweep(
    X: Any,
    y: Any,
    beta: Any,
    ranks: Sequence[int] | None = None,
    layers: int = 2,
    m1: int | None = None,
    *,
    solver: str = "auto",
    max_groups: int = MAX_GROUPS,
) -> RankSweep:
    """Run :func:`low_rank_approximation` for each rank in ``ranks`` (default ``1..rank X``) and
    solve the exact program on ``X`` once (its optimum ``p*`` and time), skipped (NaN) beyond
    ``max_groups`` groups. Results are certified on ``X`` when the exact groups fit."""
    X, y, beta = check_problem(X, y, beta)
    m1 = resolve_m1(layers, m1)
    if ranks is None:
        ranks = range(1, int(np.linalg.matrix_rank(X)) + 1)
    ranks = sorted({check_int(r, "ranks", minimum=1) for r in ranks})
    results = tuple(low_rank_approximation(X, y, beta, r, layers, m1, solver=solver, max_groups=max_groups)
                    for r in ranks)
    t0 = time.perf_counter()
    _, exact = _exact_groups(X, m1, max_groups)
    if exact is None:
        return RankSweep(results, float("nan"), float("nan"), None)
    reference = solve_groups(X, y, beta, exact, layers=layers, solver=solver)
    return RankSweep(results, reference.objective, time.perf_counter() - t0, exact.count)


__all__ = ["low_rank_approximation", "LowRankResult", "low_rank_sweep", "RankSweep", "group_count_bound"]
