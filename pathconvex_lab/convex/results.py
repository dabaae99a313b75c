"""The result of a convex program: :class:`ConvexResult`; :func:`solve_groups`, which solves the
group program on a given group set; and the network of a solution's sub-networks
(:func:`rebuild_weights`, :func:`sub_network_outputs`)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import InputError
from .certificate import GAP_TOL, Certificate, certify_outputs
from .program import MAX_BYTES, MAX_VARIABLES, check_problem, cone_violation, program_output, solve_group_program
from .prune import prune_blocks

#: Blocks below this fraction of the largest norm are solver noise and left out of networks.
DROP_TOL = 1e-9


def rebuild_weights(V: np.ndarray, sigma: np.ndarray, signs: np.ndarray, layers: int) -> dict[str, Any]:
    """Weights of the network whose sub-network ``k`` is ``signs_k (sum_j sigma_kj (X V_kj)_+)_+``
    (docs/mathematics.md §2, §3.6), for ``V (K, d, m1)``, ``sigma (K, m1)`` and ``signs (K,)``, all ±1.

    Returns ``{"layers": [...], "out": (K,)}``. Three layers: ``W1 = V``, ``w2 = sigma (K, m1, 1)``,
    ``out = signs``. Two layers (``m1 = 1``), balanced so that weight decay equals the path norm:
    ``u_k = v_k / sqrt||v_k||`` (``W1 (K, d, 1)``) and ``out_k = signs_k sqrt||v_k||``.
    """
    out = np.asarray(signs, dtype=np.float64)
    if layers == 2:
        root = np.sqrt(np.sqrt((V**2).sum(axis=(1, 2))))
        return {"layers": [V / root[:, None, None]], "out": out * root}
    return {"layers": [V, np.asarray(sigma, dtype=np.float64)[:, :, None]], "out": out}


def sub_network_preactivations(X: np.ndarray, W: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """A continuous field per sub-network, positive exactly where it is active: ``(m, K)``.

    ``X (m, d)``, ``W (K, d, m1)`` (the blocks ``V_k``), ``sigma (K, m1)`` ±1. Where some first-layer
    neuron fires it is the last pre-activation ``h_k = sum_j sigma_kj (X w_kj)_+``; where none fires
    (``h_k = 0``) it is ``max_j X w_kj <= 0``, which meets ``h_k`` continuously. So its zero level
    is the boundary of the sub-network's active region (for two layers, ``{X v_k = 0}``).
    """
    Z = np.einsum("md,kdj->mkj", X, W)
    h = np.einsum("mkj,kj->mk", np.maximum(Z, 0.0), sigma.astype(np.float64))
    top = Z.max(axis=2, initial=-np.inf) if Z.shape[2] else np.zeros(h.shape)
    return np.where(top > 0, h, top)


def sub_network_outputs(X: np.ndarray, W: np.ndarray, sigma: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Contribution of each sub-network, ``s_k (sum_j sigma_kj (X w_kj)_+)_+`` (the positive part of
    :func:`sub_network_preactivations`) with ``signs (K,)`` ±1, shape ``(m, K)``; rows sum to ``f(X)``.
    For two layers (``m1 = 1``, ``sigma = 1``) it is ``s_k (X v_k)_+``."""
    return np.maximum(sub_network_preactivations(X, W, sigma), 0.0) * signs.astype(np.float64)


def pruned_subnetworks(pruned: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocks of a pruned result ``(2, K, d, m1)`` (one nonzero per column) as ``W, sigma, signs``."""
    B = pruned.blocks
    signs = np.where(pruned.block_norms[0] > 0, 1, -1).astype(np.int8)
    return B[0] + B[1], pruned.groups.sigma.astype(np.int8), signs


@dataclass(frozen=True, eq=False)
class ConvexResult:
    """Solution of the group program (docs/mathematics.md §3.5; two layers are ``m1 = 1``).

    Attributes:
        objective: ``1/2 ||f - y||^2 + beta sum ||V_g^s||_F``, recomputed in float64 from ``blocks``.
        blocks: ``(2, G, d, m1)``; ``blocks[0, g]`` is ``V_g^+`` (output sign +1), ``blocks[1, g]`` is ``V_g^-``.
        groups: the :class:`~pathconvex_lab.arrangements.Groups` the program was solved over.
        block_norms: ``(2, G)`` Frobenius norms of the blocks.
        status, solver: the solver's status ("solved" where the solver reports optimal: the solve
            is over the given groups, see :attr:`verdict`) and the backend that produced it.
        seconds: ``{"groups", "build", "solve"}`` wall times.
        source: where the groups came from: ``"exact"``, ``"sampled"``, ``"network"``, ``"grown"``...
        layers: 2 (weight decay / two-layer path norm) or 3 (three-layer path norm).
        exact: True when ``objective`` is the optimum over ALL groups (complete group set, or
            a group subset certified globally optimal); otherwise it is an upper bound.
        violation: largest relative cone-constraint violation of ``blocks``.
        pool: the groups a certificate uses by default (the full set for pruned results).
    """

    objective: float
    blocks: np.ndarray = field(repr=False)
    groups: Any = field(repr=False)
    block_norms: np.ndarray = field(repr=False)
    status: str
    solver: str
    seconds: dict
    source: str
    layers: int
    beta: float
    exact: bool
    violation: float
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    pool: Any = field(default=None, repr=False)
    pruned: bool = False

    # ----------------------------------------------------------------------- derived values

    @property
    def m1(self) -> int:
        """First-layer width of each sub-network (1 for two layers)."""
        return int(self.blocks.shape[3])

    @property
    def num_groups(self) -> int:
        """Number of groups ``G`` in the program."""
        return int(self.blocks.shape[1])

    def outputs(self) -> np.ndarray:
        """``f = sum_{g,s} s M_g V_g^s`` on the training data: ``(n,)``."""
        return program_output(self.X, self.groups.D1, self.groups.sigma, self.groups.D2, self.blocks)

    @property
    def penalty(self) -> float:
        """``sum ||V_g^s||_F`` (the path norm of the rebuilt network)."""
        return float(self.block_norms.sum())

    def active(self, rtol: float = DROP_TOL) -> int:
        """Number of blocks with norm above ``rtol`` times the largest (sub-networks of :meth:`network`)."""
        top = float(self.block_norms.max(initial=0.0))
        return int(((self.block_norms > rtol * top) & (self.block_norms > 0)).sum())

    # ----------------------------------------------------------------------- rebuild

    def network_weights(self, rtol: float = DROP_TOL) -> dict[str, np.ndarray]:
        """Weights of the rebuilt network (:func:`rebuild_weights`), one sub-network per block
        ``V_g^s`` above ``rtol`` times the largest norm, with output sign ``s``."""
        top = float(self.block_norms.max(initial=0.0))
        sign, group = np.nonzero((self.block_norms > rtol * top) & (self.block_norms > 0))
        return rebuild_weights(self.blocks[sign, group], self.groups.sigma[group], np.where(sign == 0, 1.0, -1.0),
                               self.layers)

    def network(self, rtol: float = DROP_TOL, **kwargs: Any) -> Any:
        """The :class:`~pathconvex_lab.nets.ParallelReLUNet` realizing this solution; its
        path-regularized objective equals :attr:`objective` (keyword arguments such as
        ``dtype``/``device`` go to ``from_weights``)."""
        from ..nets import ParallelReLUNet

        w = self.network_weights(rtol)
        return ParallelReLUNet.from_weights(w["layers"], w["out"], **kwargs)

    # ----------------------------------------------------------------------- prune, certify

    def prune(self, drop_tol: float = DROP_TOL, merge_tol: float = 1e-9) -> "ConvexResult":
        """Same objective with at most ``n + 1`` blocks (merge + Caratheodory, docs/mathematics.md §3.6).

        Returns a new result (``pruned=True``, ``pool`` kept) with one group per remaining
        block, the group its direction realizes; the network output and the sum of norms are
        unchanged up to the blocks below ``drop_tol`` times the largest norm, which are dropped
        first as :meth:`network` does (solver noise; raise ``drop_tol``, e.g. to 1e-6, for fewer
        tiny sub-networks: the objective moves by about the square of what is dropped).
        """
        start = time.perf_counter()
        D1, sigma, D2, V = prune_blocks(self.X, self.groups.sigma, self.blocks, drop_tol=drop_tol, merge_tol=merge_tol)
        groups = replace(self.groups, D1=D1, sigma=sigma, D2=D2, V=V.sum(axis=0), exact=False,
                         method=f"{self.groups.method}-pruned", seconds=time.perf_counter() - start)
        sub = replace(self, blocks=V, groups=groups, block_norms=np.sqrt((V**2).sum(axis=(-2, -1))),
                      violation=cone_violation(self.X, D1, sigma, D2, V), pruned=True)
        objective = float(0.5 * np.sum((sub.outputs() - self.y) ** 2) + self.beta * sub.penalty)
        return replace(sub, objective=objective, seconds={**self.seconds, "prune": groups.seconds})

    def certificate(self, groups: Any = None, *, tol: float = GAP_TOL, support: str = "projection", seed: Any = 0,
                    solver: str = "auto") -> Certificate:
        """Certificate (docs/mathematics.md §3.7) of this solution over ``groups`` (default: :attr:`pool`,
        the group set it was solved on; pass ``"exact"`` or a larger set to check more); ``solver``
        as in :func:`~pathconvex_lab.convex.certificate.certify_outputs`."""
        from .groups import resolve_groups

        pool = self.pool if groups is None else resolve_groups(self.X, self.m1, groups, seed=seed)[0]
        return certify_outputs(self.outputs(), self.penalty, self.X, self.y, self.beta, pool, tol=tol, support=support,
                               solver=solver)

    # ----------------------------------------------------------------------- the bracket

    @functools.cached_property
    def _bracket(self) -> tuple[float | None, str]:
        """``(lower bound over all groups or None, route)``: the certificate over the complete
        group set when this result was solved on it, else no bound (computed once, on demand)."""
        if not self.exact:
            return None, f"{self.source} groups"
        cert = self.certificate()
        lower = min(cert.lower_bound, self.objective) if cert.exact_groups and cert.sigma_exact else None
        return lower, "exact groups, certificate over every group"

    @property
    def upper_bound(self) -> float:
        """The objective of this solution's network (an upper bound on the optimum over all groups)."""
        return self.objective

    @property
    def lower_bound(self) -> float | None:
        """A lower bound on the optimum over ALL groups (the certificate, when the groups are
        complete), or ``None``: a program over some groups proves nothing about the others."""
        return self._bracket[0]

    @property
    def relative_gap(self) -> float | None:
        """``(upper_bound - lower_bound) / upper_bound``, or ``None`` without a lower bound."""
        lower = self.lower_bound
        if lower is None:
            return None
        return max(0.0, self.objective - lower) / abs(self.objective) if self.objective else 0.0

    @property
    def certified(self) -> bool:
        """True when the bracket over all groups is closed to the certificate's tolerance."""
        gap = self.relative_gap
        return gap is not None and gap <= GAP_TOL

    @property
    def route(self) -> str:
        """Where the groups came from and what bounds the result."""
        return self._bracket[1]

    @property
    def verdict(self) -> str:
        """"certified optimal", "bracketed: p* in [L, U]" or "optimal over the given groups only"."""
        if self.certified:
            return "certified optimal"
        if self.lower_bound is None:
            return "optimal over the given groups only"
        return f"bracketed: p* in [{self.lower_bound:.8g}, {self.objective:.8g}]"

    def __repr__(self) -> str:
        kind = "complete group set: .certificate() proves it" if self.exact else "optimal over the given groups only"
        model = "two-layer" if self.layers == 2 else f"three-layer, m1={self.m1}"
        total = sum(v for v in self.seconds.values() if isinstance(v, (int, float)))
        return (
            f"ConvexResult({model}, beta={self.beta:g}: objective={self.objective:.8g} ({kind}),\n"
            f"  groups={self.num_groups} ({self.source}), active blocks={self.active(1e-6)}"
            f"{' (pruned)' if self.pruned else ''}, status={self.status}, solver={self.solver}, "
            f"violation={self.violation:.1e}, {total:.2f} s)"
        )


def solver_status_words(status: str) -> str:
    """A solver's status as the kit reports it: "optimal" (which a solver says of the program it was
    given, whatever its groups) becomes "solved"; other statuses are kept."""
    return {"optimal": "solved", "optimal_inaccurate": "solved_inaccurate"}.get(status, status)


def solve_groups(
    X: Any,
    y: Any,
    beta: Any,
    groups: Any,
    *,
    layers: int = 3,
    source: str | None = None,
    solver: str = "auto",
    max_variables: int = MAX_VARIABLES,
    max_bytes: int = MAX_BYTES,
    verbose: bool = False,
    group_seconds: float | None = None,
    **fast_options: Any,
) -> ConvexResult:
    """Solve the group program over a ``Groups`` object and wrap it in a :class:`ConvexResult`.

    ``layers`` is 2 (requires ``groups.m1 == 1``) or 3; the result is marked ``exact`` iff
    ``groups.exact``. Other arguments as in :func:`~pathconvex_lab.convex.program.solve_group_program`.
    """
    X, y, beta = check_problem(X, y, beta)
    check_choice(layers, "layers", (2, 3))
    if layers == 2 and groups.m1 != 1:
        raise InputError(f"layers=2 needs two-layer groups (m1=1); got m1={groups.m1}")
    if groups.V is not None:  # realizing weights let the torch solver leave out implied cone rows
        fast_options.setdefault("directions", groups.V)
    out = solve_group_program(
        X, y, beta, groups.D1, groups.sigma, groups.D2,
        solver=solver, max_variables=max_variables, max_bytes=max_bytes, verbose=verbose, **fast_options,
    )
    V = out.V
    seconds = {"groups": groups.seconds if group_seconds is None else group_seconds,
               "build": out.seconds.build, "solve": out.seconds.solve}
    return ConvexResult(
        objective=out.objective,
        blocks=V,
        groups=groups,
        block_norms=np.sqrt((V**2).sum(axis=(-2, -1))),
        status=solver_status_words(out.status),
        solver=out.solver,
        seconds=seconds,
        source=source or ("exact" if groups.exact else groups.method),
        layers=layers,
        beta=beta,
        exact=bool(groups.exact),
        violation=out.violation,
        X=X,
        y=y,
        pool=groups,
    )


__all__ = [
    "ConvexResult", "rebuild_weights", "sub_network_preactivations", "sub_network_outputs", "pruned_subnetworks",
    "solve_groups", "solver_status_words", "DROP_TOL",
]
