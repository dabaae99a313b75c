"""The convex program along a regularization path (docs/mathematics.md §3.5-§3.7), cached for scrubbing.

:func:`regularization_path` solves the group program at every ``beta`` of a grid, from the
largest to the smallest, and records for each: the optimal objective, every group's block
norms, the pruned solution (at most ``n + 1`` sub-networks, docs/mathematics.md §3.6) and its certificate
(docs/mathematics.md §3.7).

Warm starts come from the path itself, as a *working set* of groups: the groups used at the
previous ``beta`` are kept, the program is solved on them only, and the certificate over ALL
groups prices the rest; groups with ``sigma_g(r) > beta`` are added and the program re-solved,
until ``sigma_A(r) <= beta (1 + tol)``. The answer is then the optimum over all groups (the
certificate proves it), usually from a small fraction of them. With ``solver="fast"`` (or the
default ``"auto"`` when it picks the torch solver) solves are warm-started from the previous blocks.

``beta_max = sigma_A(y)`` (the certificate at the zero network): the zero network is optimal
exactly when ``beta >= beta_max`` (its residual is ``y``), so those ``beta`` need no solve.

Results are cached in memory and on disk (:mod:`pathconvex_lab.cache`, folder ``paths``),
keyed by a hash of every input, so a widget can scrub a path without re-solving.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from .. import cache as disk
from .._validate import check_choice, check_int, check_positive
from ..arrangements import group_keys
from ..errors import InputError
from .betas import (
    beta_grid,
    check_betas,
    compute_beta_max,
    effective_count,
    resolve_m1,
    support_sigma,
)
from .certificate import GAP_TOL, certify_outputs, dual_lower_bound
from .groups import resolve_groups, subset_groups
from .program import check_problem
from .results import (
    pruned_subnetworks,
    rebuild_weights,
    solve_groups,
    sub_network_outputs,
    sub_network_preactivations,
)

#: Version of the cached layout; bump it when the arrays or their meaning change.
PATH_FORMAT = 1
#: Cache sub-folder of paths.
CACHE_KIND = "paths"
#: Paths kept in memory (least recently used dropped first).
MEMORY_ENTRIES = 16
#: A block is *active* when its norm is above this fraction of the largest block norm at the same
#: ``beta``; the interior-point solver leaves blocks of about 1e-6 of the largest on groups outside
#: the support, and pruning drops blocks below the same fraction (``drop_tol``) as solver noise.
ACTIVE_RTOL = 1e-4
_MEMORY: disk.MemoryCache[RegularizationPath] = disk.MemoryCache(max_entries=MEMORY_ENTRIES)


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class RegularizationPath:
    """A solved regularization path; arrays are indexed by ``i`` over :attr:`betas` (ascending).

    Attributes:
        betas: ``(B,)`` ascending.
        objectives: ``(B,)`` optimal value of the group program (an upper bound if not certified).
        network_objectives: ``(B,)`` objective of the pruned network (equal up to ~1e-8).
        lower_bounds, ratios, rel_gaps: ``(B,)`` certificate over all groups: dual lower bound,
            ``sigma_A(r) / beta`` (<= 1 at the optimum) and relative gap.
        certified: ``(B,)`` bool, globally optimal within ``GAP_TOL`` (needs the exact group set).
        group_norms: ``(B, 2, G)`` Frobenius norms of every block (output sign +1, -1) of the
            solution before pruning; groups outside the working set are exactly 0.
        offsets: ``(B + 1,)``; the pruned sub-networks of point ``i`` are rows
            ``offsets[i]:offsets[i + 1]`` of ``weights (K, d, m1)``, ``sigma (K, m1)`` and ``signs (K,)``.
        subnet_ids: ``(K,)`` one id per distinct (group realized, output sign) along the path, so the
            same sub-network can be followed across ``beta`` (:meth:`subnetwork_norms`).
        rounds, working: ``(B,)`` solves needed and working-set size at each point.
        seconds: ``(B,)`` wall time of each point.
        X, y: the data; ``layers``, ``m1``; ``beta_max = sigma_A(y)``; ``num_groups`` (``G``),
            ``group_source``, ``exact_groups``; ``solver``; ``key`` (the cache hash);
            ``complete`` (False if interrupted); ``cached`` (True when read from a cache).
    """

    betas: np.ndarray
    objectives: np.ndarray
    network_objectives: np.ndarray
    lower_bounds: np.ndarray
    ratios: np.ndarray
    rel_gaps: np.ndarray
    certified: np.ndarray
    group_norms: np.ndarray = field(repr=False)
    offsets: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    sigma: np.ndarray = field(repr=False)
    signs: np.ndarray = field(repr=False)
    subnet_ids: np.ndarray = field(repr=False)
    rounds: np.ndarray = field(repr=False)
    working: np.ndarray = field(repr=False)
    seconds: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    layers: int = 3
    m1: int = 2
    beta_max: float = float("nan")
    num_groups: int = 0
    group_source: str = ""
    exact_groups: bool = False
    solver: str = "cvxpy"
    key: str = ""
    complete: bool = True
    cached: bool = False

    # ----------------------------------------------------------------------- derived values

    def __len__(self) -> int:
        return int(self.betas.shape[0])

    @property
    def subnetworks(self) -> np.ndarray:
        """``(B,)`` number of sub-networks of each pruned solution (<= n + 1)."""
        return np.diff(self.offsets)

    @property
    def effective_subnetworks(self) -> np.ndarray:
        """``(B,)`` participation number of the pruned sub-networks' norms (:func:`effective_count`)."""
        norms = np.sqrt((self.weights**2).sum(axis=(1, 2)))
        return np.array([effective_count(norms[a:b]) for a, b in zip(self.offsets[:-1], self.offsets[1:])])

    def subnetwork_norms(self) -> np.ndarray:
        """``(B, S)`` norm ``||V_k||_F`` of each of the ``S`` distinct pruned sub-networks (by
        :attr:`subnet_ids`) at each point; 0 where it is not used."""
        out = np.zeros((len(self), int(self.subnet_ids.max(initial=-1)) + 1))
        rows = np.repeat(np.arange(len(self)), self.subnetworks)
        np.add.at(out, (rows, self.subnet_ids), np.sqrt((self.weights**2).sum(axis=(1, 2))))
        return out

    def active_groups(self, rtol: float = ACTIVE_RTOL) -> np.ndarray:
        """``(B,)`` number of active groups of the group-l1 norm, i.e. blocks ``V_g^s`` (one per
        configuration, ``D2`` and output sign, docs/mathematics.md §3.5), of the solution before pruning."""
        return self.active_mask(rtol).sum(axis=(1, 2))

    def active_mask(self, rtol: float = ACTIVE_RTOL) -> np.ndarray:
        """``(B, 2, G)`` bool: blocks with norm above ``rtol`` times the largest block norm at the same ``beta``."""
        top = self.group_norms.max(axis=(1, 2), keepdims=True, initial=0.0)
        return (self.group_norms > rtol * top) & (top > 0)

    def index(self, beta: float) -> int:
        """Index of the path point whose ``beta`` is nearest (in log scale) to ``beta``."""
        beta = check_positive(beta, "beta")
        return int(np.argmin(np.abs(np.log(self.betas) - np.log(beta))))

    def _slice(self, i: int) -> slice:
        if not -len(self) <= i < len(self):
            raise InputError(f"index must be in [0, {len(self)}); got {i}")
        i %= len(self)
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def subnetwork_weights(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W (K, d, m1), sigma (K, m1), signs (K,))`` of the pruned solution at point ``i``,
        sub-networks by decreasing norm: sub-network ``k`` is ``s_k (sum_j sigma_kj (X w_kj)_+)_+``."""
        s = self._slice(i)
        return self.weights[s], self.sigma[s], self.signs[s]

    def _inputs(self, X: Any) -> np.ndarray:
        X = self.X if X is None else np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.X.shape[1]:
            raise InputError(f"X must have shape (m, {self.X.shape[1]}); got {X.shape}")
        return X

    def contributions(self, i: int, X: Any = None) -> np.ndarray:
        """Each sub-network's output at point ``i`` on ``X (m, d)`` (default: the training data): ``(m, K)``."""
        return sub_network_outputs(self._inputs(X), *self.subnetwork_weights(i))

    def preactivations(self, i: int, X: Any = None) -> np.ndarray:
        """Each sub-network's activity field (:func:`sub_network_preactivations`) at point ``i`` on
        ``X (m, d)``: ``(m, K)``, positive exactly where sub-network ``k`` is active."""
        W, sigma, _ = self.subnetwork_weights(i)
        return sub_network_preactivations(self._inputs(X), W, sigma)

    def predict(self, i: int, X: Any = None) -> np.ndarray:
        """The network's output at point ``i`` on ``X (m, d)``: ``(m,)``."""
        return self.contributions(i, X).sum(axis=1)

    def network(self, i: int, **kwargs: Any) -> Any:
        """The pruned network at point ``i`` as a :class:`~pathconvex_lab.nets.ParallelReLUNet`
        (three layers: ``W1 = V``, ``w2 = sigma``, ``w3 = s``; two layers balanced, so weight decay
        equals the path norm). Keyword arguments (``dtype``, ``device``) go to ``from_weights``."""
        from ..nets import ParallelReLUNet

        w = rebuild_weights(*self.subnetwork_weights(i), self.layers)
        return ParallelReLUNet.from_weights(w["layers"], w["out"], **kwargs)

    def point(self, i: int) -> dict[str, Any]:
        """The scalar record of point ``i`` as a dict (beta, objective, sub-networks, certificate ...)."""
        return {
            "beta": float(self.betas[i]),
            "objective": float(self.objectives[i]),
            "network_objective": float(self.network_objectives[i]),
            "lower_bound": float(self.lower_bounds[i]),
            "ratio": float(self.ratios[i]),
            "rel_gap": float(self.rel_gaps[i]),
            "certified": bool(self.certified[i]),
            "subnetworks": int(self.subnetworks[i]),
            "active_groups": int(self.active_groups()[i]),
            "rounds": int(self.rounds[i]),
            "working": int(self.working[i]),
            "seconds": float(self.seconds[i]),
        }

    def __repr__(self) -> str:
        model = "two-layer" if self.layers == 2 else f"three-layer, m1={self.m1}"
        kind = "exact groups" if self.exact_groups else f"groups not complete ({self.group_source})"
        lines = [
            f"RegularizationPath({model}, {len(self)} betas, beta_max={self.beta_max:.6g}, {self.num_groups} groups "
            f"({kind}), solver={self.solver}{', from cache' if self.cached else ''}"
            f"{'' if self.complete else ', INTERRUPTED'}, {float(self.seconds.sum()):.1f} s)",
            "        beta     objective   lower bound  sigma/beta  active groups  sub-networks  certified",
        ]
        active = self.active_groups()
        for i in range(len(self)):
            lines.append(
                f"  {self.betas[i]:10.4g}  {self.objectives[i]:12.8f}  {self.lower_bounds[i]:12.8f}  {self.ratios[i]:10.6f}"
                f"  {active[i]:13d}  {self.subnetworks[i]:12d}  {bool(self.certified[i])!s:>9}"
            )
        return "\n".join(lines)

    # ----------------------------------------------------------------------- cache (de)serialization

    _SCALARS = ("layers", "m1", "beta_max", "num_groups", "group_source", "exact_groups", "solver", "key", "complete")

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``(arrays, meta)``: numeric arrays and JSON-able scalars (no pickling)."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self._SCALARS + ("cached",)}
        meta = {name: getattr(self, name) for name in self._SCALARS}
        return arrays, {**meta, "format": PATH_FORMAT}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> "RegularizationPath":
        """Inverse of :meth:`to_arrays` (``cached=True``)."""
        if meta.get("format") != PATH_FORMAT:
            raise InputError(f"cached path has format {meta.get('format')}, expected {PATH_FORMAT}")
        scalars = {name: meta[name] for name in cls._SCALARS}
        _check_layout(arrays, scalars)
        return cls(**{**arrays, **scalars, "cached": True})


_PER_BETA = ("betas", "objectives", "network_objectives", "lower_bounds", "ratios", "rel_gaps", "certified",
             "rounds", "working", "seconds")


def _check_layout(arrays: dict[str, np.ndarray], scalars: dict[str, Any]) -> None:
    """Raise InputError unless stored path arrays fit together: ``(B,)`` per-beta records,
    ``group_norms (B, 2, num_groups)`` (both output signs), ``offsets (B + 1,)`` rising from 0 to the ``K`` rows of
    ``weights (K, d, m1)``, ``sigma (K, m1)``, ``signs (K,)`` and ``subnet_ids (K,)``, and
    ``X (n, d)``, ``y (n,)``."""
    try:
        B = arrays["betas"].shape[0]
        K = arrays["weights"].shape[0]
        X, y, offsets = arrays["X"], arrays["y"], arrays["offsets"]
        n, d = X.shape
        m1 = int(scalars["m1"])
        ok = (all(arrays[name].shape == (B,) for name in _PER_BETA)
              and arrays["group_norms"].shape == (B, 2, int(scalars["num_groups"]))
              and offsets.shape == (B + 1,) and offsets[0] == 0 and offsets[-1] == K and np.all(np.diff(offsets) >= 0)
              and arrays["weights"].shape == (K, d, m1) and arrays["sigma"].shape == (K, m1)
              and arrays["signs"].shape == (K,) and arrays["subnet_ids"].shape[0] == K and y.shape == (n,))
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise InputError("the stored path's arrays do not fit together (a damaged or foreign cache entry)")


# --------------------------------------------------------------------------- one path point


@dataclass
class _Point:
    """Everything recorded at one ``beta`` (internal)."""

    beta: float
    objective: float
    network_objective: float
    lower_bound: float
    ratio: float
    rel_gap: float
    certified: bool
    norms: np.ndarray  # (2, G)
    weights: np.ndarray  # (K, d, m1)
    sigma: np.ndarray  # (K, m1)
    signs: np.ndarray  # (K,)
    keys: list  # (K,) bytes: realized group and output sign of each sub-network
    rounds: int
    working: int
    seconds: float


def _zero_point(beta: float, y: np.ndarray, beta_max: float, shape: tuple[int, ...], exact: bool, start: float) -> _Point:
    """The zero network at ``beta >= beta_max``: optimal, with an exact certificate (residual ``y``)."""
    G, d, m1 = shape
    primal = 0.5 * float(y @ y)
    _, lower = dual_lower_bound(y, y, beta, beta_max)
    rel = (primal - lower) / primal if primal > 0 else 0.0
    return _Point(beta, primal, primal, lower, beta_max / beta, rel, bool(exact and rel <= GAP_TOL),
                  np.zeros((2, G)), np.zeros((0, d, m1)), np.zeros((0, m1), np.int8), np.zeros(0, np.int8), [],
                  0, 0, time.perf_counter() - start)


def subnetwork_keys(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, signs: np.ndarray) -> list[bytes]:
    """One byte key per sub-network from its group ``(D1 (K, m1, n), sigma (K, m1), D2 (K, n))`` and
    output sign ``signs (K,)``: the group's :func:`~pathconvex_lab.arrangements.group_keys` bytes and one
    byte ``signs > 0``, independent of the order of its first-layer neurons."""
    return [key.tobytes() + bytes([int(s > 0)]) for key, s in zip(group_keys(D1, sigma, D2), signs)]


@dataclass
class _PathState:
    """The working set (indices into the full group set) and the current solution on it."""

    working: np.ndarray
    blocks: np.ndarray | None = None  # (2, len(working), d, m1)


def _grow_working_set(state: _PathState, cert: Any, tol: float, add_per_round: int, solved: bool,
                      shape: tuple[int, int]) -> bool:
    """Add to the working set up to ``add_per_round`` groups that violate the certificate ``cert`` by
    more than ``tol`` (zero blocks ``(2, ., d, m1)`` for them, ``shape = (d, m1)``). Returns False,
    adding nothing, when a ``solved`` point needs no more groups."""
    if solved and cert.ratio <= 1.0 + tol:
        return False
    known = set(state.working.tolist())
    add = np.array([g for g in cert.violating(1.0 + tol) if g not in known][:add_per_round], dtype=np.int64)
    if solved and add.size == 0:
        return False
    if state.working.size == 0 and add.size == 0:  # beta within tol of beta_max: start from the top group
        add = cert.top_groups[:1].astype(np.int64)
    state.working = np.concatenate([state.working, add])
    if state.blocks is not None:
        state.blocks = np.concatenate([state.blocks, np.zeros((2, add.size, *shape))], axis=1)
    return True


def _solve_point(X: np.ndarray, y: np.ndarray, beta: float, full: Any, state: _PathState, *, layers: int,
                 solver: str, tol: float, max_rounds: int, add_per_round: int, drop_tol: float,
                 support: str) -> _Point:
    """Solve at one ``beta < beta_max`` by growing the working set until the certificate over all
    groups says ``sigma_A(r) <= beta (1 + tol)`` (or ``max_rounds`` solves)."""
    start = time.perf_counter()
    n, d = X.shape
    G, m1 = full.count, full.m1
    cert = None
    if state.working.size == 0:  # the zero network's certificate picks the first groups
        cert = certify_outputs(np.zeros(n), 0.0, X, y, beta, full, top=G, support=support)
    rounds = 0
    result = None
    while rounds < max_rounds:
        if cert is not None and not _grow_working_set(state, cert, tol, add_per_round, result is not None, (d, m1)):
            break
        options = {"warm_start": state.blocks} if solver in ("fast", "auto") and state.blocks is not None else {}
        result = solve_groups(X, y, beta, subset_groups(full, state.working), layers=layers, solver=solver,
                              source="path", **options)
        rounds += 1
        state.blocks = result.blocks
        cert = certify_outputs(result.outputs(), result.penalty, X, y, beta, full, top=G, support=support)
    norms = np.zeros((2, G))
    norms[:, state.working] = result.block_norms
    pruned = result.prune(drop_tol=drop_tol)
    W, sigma, signs = pruned_subnetworks(pruned)
    keys = subnetwork_keys(pruned.groups.D1, sigma, pruned.groups.D2, signs)
    return _Point(beta, result.objective, pruned.objective, cert.lower_bound, cert.ratio, cert.rel_gap,
                  bool(cert.certified), norms, W, sigma, signs, keys, rounds, int(state.working.size),
                  time.perf_counter() - start)


def _assemble(points: list[_Point], X: np.ndarray, y: np.ndarray, full: Any, source: str, layers: int,
              beta_max: float, solver: str, key: str, complete: bool) -> RegularizationPath:
    """Stack the points (in ascending ``beta``) into a :class:`RegularizationPath`."""
    points = sorted(points, key=lambda p: p.beta)
    d, m1 = X.shape[1], full.m1

    def column(name: str, dtype: Any = np.float64) -> np.ndarray:
        return np.array([getattr(p, name) for p in points], dtype=dtype)

    counts = [p.weights.shape[0] for p in points]
    ids: dict[bytes, int] = {}
    for p in points[::-1]:  # ids in order of appearance from the largest beta down
        for k in p.keys:
            ids.setdefault(k, len(ids))

    def stack(name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in points]).astype(dtype) if points else np.zeros(shape, dtype)

    return RegularizationPath(
        betas=column("beta"), objectives=column("objective"), network_objectives=column("network_objective"),
        lower_bounds=column("lower_bound"), ratios=column("ratio"), rel_gaps=column("rel_gap"),
        certified=column("certified", bool),
        group_norms=np.stack([p.norms for p in points]) if points else np.zeros((0, 2, full.count)),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        weights=stack("weights", (0, d, m1), np.float64), sigma=stack("sigma", (0, m1), np.int8),
        signs=stack("signs", (0,), np.int8),
        subnet_ids=np.array([ids[k] for p in points for k in p.keys], dtype=np.int64),
        rounds=column("rounds", np.int64),
        working=column("working", np.int64), seconds=column("seconds"),
        X=X, y=y, layers=layers, m1=m1, beta_max=beta_max, num_groups=full.count, group_source=source,
        exact_groups=bool(full.exact), solver=solver, key=key, complete=complete,
    )


# --------------------------------------------------------------------------- the cache


def _groups_fingerprint(X: np.ndarray, m1: int, groups: Any, seed: Any) -> Any:
    """What identifies the group set: the request ``"exact"``/an int (with the seed), else the arrays."""
    if isinstance(groups, str) or (isinstance(groups, (int, np.integer)) and not isinstance(groups, bool)):
        return ["spec", groups if isinstance(groups, str) else int(groups), seed if isinstance(seed, int) else None]
    resolved, _ = resolve_groups(X, m1, groups, seed=seed)
    return ["arrays", resolved.D1, resolved.sigma, resolved.D2, bool(resolved.exact), resolved.method]


def clear_memory_cache() -> None:
    """Forget the paths kept in memory (the disk cache is untouched; see :func:`pathconvex_lab.cache.clear`)."""
    _MEMORY.clear()


def _remember(path: RegularizationPath) -> None:
    """Keep ``path`` in memory, dropping the least recently used beyond :data:`MEMORY_ENTRIES`."""
    _MEMORY.put(path.key, path)


def _recall(key: str, cache: bool | str) -> RegularizationPath | None:
    """The path stored under ``key``: in memory, then (``cache=True``) on disk; None on a miss
    (a damaged or foreign disk entry is a miss)."""
    remembered = _MEMORY.get(key) if cache else None
    if remembered is not None:
        return replace(remembered, cached=True)
    stored = disk.load(CACHE_KIND, key) if cache is True else None
    if stored is None:
        return None
    try:
        path = RegularizationPath.from_arrays(*stored)
    except (InputError, KeyError, TypeError, ValueError, IndexError):
        return None
    _remember(path)
    return path


def _store(path: RegularizationPath, cache: bool | str) -> None:
    """Keep a complete path in memory and (``cache=True``) on disk."""
    _remember(path)
    if cache is True:
        disk.save(CACHE_KIND, path.key, *path.to_arrays())


# --------------------------------------------------------------------------- the entry point


def regularization_path(
    X: Any,
    y: Any,
    betas: Any,
    layers: int = 3,
    m1: int | None = None,
    groups: Any = "exact",
    *,
    solver: str = "auto",
    seed: Any = 0,
    tol: float = 1e-6,
    max_rounds: int = 20,
    add_per_round: int = 50,
    drop_tol: float = ACTIVE_RTOL,
    support: str = "projection",
    min_ratio: float = 1e-2,
    cache: bool | str = True,
    progress: bool = False,
) -> RegularizationPath:
    """Solve the convex program of a 2- or 3-layer network along a grid of ``beta``.

    Args:
        X, y: data ``(n, d)`` (bias as a column of ones) and targets ``(n,)``.
        betas: a sequence of ``beta > 0`` (sorted and deduplicated), or an ``int``: that many
            log-spaced values from ``min_ratio * beta_max`` to ``beta_max`` (:func:`beta_grid`).
        layers: 2 (weight decay) or 3 (path norm); ``m1``: first-layer width (3 layers, default 2).
        groups: ``"exact"`` (certificates are proofs), an ``int`` (sampled groups, docs/mathematics.md §5.4), a
            ``Groups``/``Patterns`` object or a network (see ``solve_three_layer``); ``seed`` for sampling.
        solver: the backend of each restricted solve: ``"auto"`` (the torch solver, warm-started,
            from ``AUTO_FAST_CONSTRAINTS`` inequalities on, else CLARABEL), ``"cvxpy"``, ``"fast"``, ...
        tol: a point is done when ``sigma_A(r) <= beta (1 + tol)`` over all groups.
        max_rounds, add_per_round: at most this many solves per point, adding at most this many
            violating groups per solve.
        drop_tol: pruning drops blocks below this fraction of the largest at the same ``beta``
            (solver noise, see :data:`ACTIVE_RTOL`); ``network_objectives`` shows the effect (~1e-8).
        support: how the certificate computes ``sigma_A`` (``"socp"`` or ``"projection"``, exact).
        cache: True (memory and disk), ``"memory"``, or False (always solve, store nothing).
        progress: show a ``tqdm`` bar. Ctrl-C stops and returns the points solved so far
            (``complete=False``, not cached).
    Returns:
        :class:`RegularizationPath` (ascending ``beta``).
    """
    X, y, _ = check_problem(X, y, 1.0)
    m1 = resolve_m1(layers, m1)
    tol = check_positive(tol, "tol")
    max_rounds = check_int(max_rounds, "max_rounds", minimum=1)
    add_per_round = check_int(add_per_round, "add_per_round", minimum=1)
    drop_tol = check_positive(drop_tol, "drop_tol")
    check_choice(support, "support", ("socp", "projection"))
    if cache not in (True, False, "memory"):
        raise InputError(f"cache must be True, False or 'memory'; got {cache!r}")
    beta_spec = _beta_spec(betas, min_ratio)
    key = disk.hash_inputs(PATH_FORMAT, X, y, beta_spec, layers, m1, _groups_fingerprint(X, m1, groups, seed),
                           solver, tol, max_rounds, add_per_round, drop_tol, support)
    stored = _recall(key, cache)
    if stored is not None:
        return stored
    full, source = resolve_groups(X, m1, groups, seed=seed)
    beta_max = support_sigma(X, y, full, support)
    points, complete = _run_path(X, y, _beta_values(beta_spec, beta_max)[::-1], full, beta_max, progress=progress,
                                 layers=layers, solver=solver, tol=tol, max_rounds=max_rounds,
                                 add_per_round=add_per_round, drop_tol=drop_tol, support=support)
    path = _assemble(points, X, y, full, source, layers, beta_max, solver, key, complete)
    if complete and cache:
        _store(path, cache)
    return path


def _beta_spec(betas: Any, min_ratio: Any) -> list | np.ndarray:
    """Where the path is solved: ``["grid", num, min_ratio]`` for an int ``betas`` (the grid waits
    for ``beta_max``), else the sorted unique values ``(B,)`` (:func:`check_betas`)."""
    if isinstance(betas, (int, np.integer)) and not isinstance(betas, bool):
        return ["grid", check_int(betas, "betas", minimum=1), check_positive(min_ratio, "min_ratio")]
    return check_betas(betas)


def _beta_values(beta_spec: list | np.ndarray, beta_max: float) -> np.ndarray:
    """The ascending betas ``(B,)`` of a :func:`_beta_spec` once ``beta_max`` is known."""
    return beta_grid(beta_max, beta_spec[1], beta_spec[2]) if isinstance(beta_spec, list) else beta_spec


def _run_path(X: np.ndarray, y: np.ndarray, betas_desc: np.ndarray, full: Any, beta_max: float, *,
              progress: bool, **options: Any) -> tuple[list[_Point], bool]:
    """Solve every ``beta`` (descending) sharing one working set; returns the points and whether
    all were solved (False after Ctrl-C)."""
    start_shape = (full.count, X.shape[1], full.m1)
    state = _PathState(np.zeros(0, dtype=np.int64))
    points: list[_Point] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(betas_desc), desc="regularization path", unit="beta")
    try:
        for beta in betas_desc:
            start = time.perf_counter()
            if beta >= beta_max:
                points.append(_zero_point(float(beta), y, beta_max, start_shape, full.exact, start))
            else:
                points.append(_solve_point(X, y, float(beta), full, state, **options))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(beta=f"{beta:.3g}", objective=f"{points[-1].objective:.6g}",
                                subnets=points[-1].weights.shape[0])
    except KeyboardInterrupt:
        return points, False
    finally:
        if bar is not None:
            bar.close()
    return points, True


__all__ = [
    "regularization_path", "RegularizationPath", "compute_beta_max", "beta_grid", "check_betas", "clear_memory_cache",
    "effective_count", "resolve_m1", "ACTIVE_RTOL",
]
