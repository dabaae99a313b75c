"""Feasibility LPs and the depth-first search of docs/mathematics.md §5.2 over strict sign patterns.

:func:`strict_point` solves one LP with scipy's HiGHS; :class:`FeasibilityLP` keeps one
HiGHS model whose row bounds change between warm re-solves (the three-layer search).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from ..errors import SolverError

#: Methods of scipy's HiGHS tried in turn when one ends in a status other than optimal or infeasible.
LINPROG_METHODS = ("highs", "highs-ds", "highs-ipm")


def strict_point(M: np.ndarray) -> np.ndarray | None:
    """A point ``z (D,)`` with ``M z >= 1`` for ``M (k, D)`` (i.e. ``M z > 0`` up to scale), or
    None if none exists.

    HiGHS can end a feasibility LP in a status that decides nothing ("Unknown", an iteration
    limit, a numerical failure); each of its methods is then tried in turn, and a point is
    accepted only after checking ``M z > 0`` here. Raises SolverError naming every status.
    """
    tried = []
    for method in LINPROG_METHODS:
        res = linprog(np.zeros(M.shape[1]), A_ub=-M, b_ub=-np.ones(M.shape[0]),
                      bounds=[(None, None)] * M.shape[1], method=method)
        if res.status == 0 and np.all(M @ res.x > 0):
            return res.x
        if res.status == 2:
            return None
        tried.append(f"{method}: status {res.status}, {res.message}")
    raise SolverError("HiGHS (scipy.optimize.linprog) failed on a feasibility LP with every method: "
                      + "; ".join(tried))


def lp_dfs(F: np.ndarray, G: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Strict sign patterns of the functionals ``F (k, D)`` over the open cone ``{G z > 0}``.

    Incremental depth-first search of docs/mathematics.md §5.2: a child whose sign the parent's point
    already decides needs no LP. Returns ``signs (P, k)`` bool and points ``Z (P, D)`` with
    ``sign(F z) = signs`` and ``G z > 0``.
    """
    D = F.shape[1]
    G = np.zeros((0, D)) if G is None else G
    if len(G):
        root = strict_point(G)
        if root is None:
            return np.zeros((0, len(F)), dtype=bool), np.zeros((0, D))
    else:
        root = np.zeros(D)
    out_signs, out_points = [], []
    stack: list[tuple[tuple[bool, ...], np.ndarray]] = [((), root)]
    while stack:
        prefix, z = stack.pop()
        level = len(prefix)
        if level == len(F):
            out_signs.append(prefix)
            out_points.append(z)
            continue
        value = F[level] @ z
        scale = np.linalg.norm(F[level]) * np.linalg.norm(z)
        for sign in (False, True):
            rows = np.vstack([np.where(np.array(prefix + (sign,))[:, None], F[:level + 1], -F[:level + 1]), G])
            if (value > 1e-9 * scale and sign) or (value < -1e-9 * scale and not sign):
                margin = (rows @ z).min()
                stack.append((prefix + (sign,), z / margin))
            else:
                child = strict_point(rows)
                if child is not None:
                    stack.append((prefix + (sign,), child))
    signs = np.array(out_signs, dtype=bool).reshape(len(out_signs), len(F))
    return signs, np.array(out_points).reshape(len(out_points), D)


class FeasibilityLP:
    """Feasibility LPs ``{z : G z >= 1, s_i F_i z >= 1 for rows i with a sign set}`` on one
    HiGHS model (``G (k, D)``, ``F (m, D)``); changing a row's bounds keeps the basis, so
    re-solves are warm (~100 us)."""

    def __init__(self, G: np.ndarray, F: np.ndarray):
        import highspy

        try:  # the core class: no console banner, no callback machinery
            from highspy._core import _Highs as HighsCore
        except ImportError:  # pragma: no cover - other highspy layouts
            HighsCore = highspy.Highs
        self._inf = highspy.kHighsInf
        self._optimal = highspy.HighsModelStatus.kOptimal
        self._infeasible = highspy.HighsModelStatus.kInfeasible
        M = np.vstack([G, F])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = M.shape[1], M.shape[0]
        lp.col_cost_ = np.zeros(M.shape[1])
        lp.col_lower_ = np.full(M.shape[1], -self._inf)
        lp.col_upper_ = np.full(M.shape[1], self._inf)
        lp.row_lower_ = np.concatenate([np.ones(len(G)), np.full(len(F), -self._inf)])
        lp.row_upper_ = np.full(M.shape[0], self._inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.arange(0, M.size + 1, M.shape[1], dtype=np.int32)
        lp.a_matrix_.index_ = np.tile(np.arange(M.shape[1], dtype=np.int32), M.shape[0])
        lp.a_matrix_.value_ = M.ravel()
        self._highs = HighsCore()
        self._highs.setOptionValue("output_flag", False)
        self._highs.setOptionValue("presolve", "off")
        self._highs.passModel(lp)
        self._offset = len(G)
        self._G, self._F = G, F
        self._signs: dict[int, float] = {}

    def set_sign(self, i: int, sign: bool | None) -> None:
        """Constrain ``F_i z >= 1`` (True), ``<= -1`` (False) or nothing (None)."""
        lo, hi = (-self._inf, self._inf) if sign is None else ((1.0, self._inf) if sign else (-self._inf, -1.0))
        self._highs.changeRowBounds(self._offset + i, lo, hi)
        if sign is None:
            self._signs.pop(i, None)
        else:
            self._signs[i] = 1.0 if sign else -1.0

    def point(self) -> np.ndarray | None:
        """A feasible point ``z (D,)``, or None when the LP is infeasible.

        The warm re-solve is tried first. HiGHS (1.16) sometimes ends a warm re-solve in
        "Unknown" after zero iterations, so any status that decides nothing is retried cold
        (basis cleared), then with presolve on, then by :func:`strict_point` on a fresh model.
        A returned point is checked to satisfy the constraints strictly.
        """
        statuses = []
        for retry in ("warm", "cold", "presolve"):
            if retry == "cold":
                self._highs.clearSolver()
            elif retry == "presolve":
                self._highs.clearSolver()
                self._highs.setOptionValue("presolve", "on")
            self._highs.run()
            if retry == "presolve":
                self._highs.setOptionValue("presolve", "off")
            status = self._highs.getModelStatus()
            if status == self._infeasible:
                return None
            if status == self._optimal:
                z = np.array(self._highs.getSolution().col_value)
                if self._satisfied(z):
                    return z
            statuses.append(f"{retry}: {self._highs.modelStatusToString(status)}")
        try:
            return strict_point(self._active_rows())
        except SolverError as exc:
            raise SolverError(f"HiGHS failed on a feasibility LP ({'; '.join(statuses)}); {exc}") from exc

    def _active_rows(self) -> np.ndarray:
        """The constraints now set, as rows ``M`` of ``M z >= 1``."""
        rows = [self._G] + [s * self._F[i:i + 1] for i, s in self._signs.items()]
        return np.vstack(rows)

    def _satisfied(self, z: np.ndarray) -> bool:
        """Whether ``z`` meets every constraint now set strictly (``> 0``)."""
        return bool(np.all(self._active_rows() @ z > 0))


def cone_sign_patterns(F: np.ndarray, G: np.ndarray, z0: np.ndarray) -> tuple[list, list]:
    """Strict sign patterns of ``F (k, D)`` over the open cone ``{G z > 0}`` by depth-first
    search (docs/mathematics.md §5.2) on one warm-started LP; ``z0 (D,)`` is a candidate point of
    the cone (an LP finds one if ``G z0 > 0`` fails). Returns the sign tuples (``k`` bools each)
    and a point ``(D,)`` for each.
    """
    lp = FeasibilityLP(G, F)
    if not np.all(G @ z0 > 0):
        z0 = lp.point()
        if z0 is None:
            return [], []
    norms = np.linalg.norm(F, axis=1)
    signs: list[bool] = []
    out_signs, out_points = [], []

    def visit(level: int, z: np.ndarray) -> None:
        if level == len(F):
            out_signs.append(tuple(signs))
            out_points.append(z)
            return
        value = F[level] @ z
        tol = 1e-9 * norms[level] * np.linalg.norm(z)
        decided = True if value > tol else (False if value < -tol else None)
        for sign in (True, False):
            lp.set_sign(level, sign)
            child = z if decided is sign else lp.point()
            if child is not None:
                signs.append(sign)
                visit(level + 1, child)
                signs.pop()
        lp.set_sign(level, None)

    visit(0, z0)
    return out_signs, out_points
