"""Checks of the fast solver's arguments, before anything is allocated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..._validate import check_choice, check_int, check_positive
from ...errors import InputError
from ..program import check_group_arrays, check_problem


@dataclass(frozen=True, eq=False)
class Problem:
    """A checked group program: data ``X (n, d)`` and ``y (n,)`` float64, ``beta > 0``, groups
    ``D1 (G, m1, n)`` bool, ``sigma (G, m1)`` ±1 and ``D2 (G, n)`` bool, and optional float64
    realizing weights ``directions (G, d, m1)`` and starting blocks ``warm_start (2, G, d, m1)``."""

    X: np.ndarray
    y: np.ndarray
    beta: float
    D1: np.ndarray
    sigma: np.ndarray
    D2: np.ndarray
    directions: np.ndarray | None
    warm_start: np.ndarray | None

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """``(n, d, G, m1)``."""
        G, m1, n = self.D1.shape
        return n, self.X.shape[1], G, m1


@dataclass(frozen=True)
class Options:
    """Checked solver options: the target ``tol`` of the certified relative gap and violation, Newton
    steps ``max_iter``, ``time_limit`` in seconds (``None``: none), CPU ``threads`` (``None``: chosen
    by size), ``linear_solver`` ("auto", "direct" or "iterative"), the torch ``dtype`` and ``verbose``."""

    tol: float
    max_iter: int
    time_limit: float | None
    threads: int | None
    linear_solver: str
    dtype: torch.dtype
    verbose: bool


def _finite_array(value: Any, name: str, shape: tuple[int, ...], labels: str) -> np.ndarray | None:
    """``value`` as a finite float64 array of ``shape`` (named ``labels`` in the message), or ``None``."""
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape or not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be a finite array of shape {labels}={shape}; got {arr.shape}")
    return arr


def check_program(
    X: Any, y: Any, beta: Any, D1: Any, sigma: Any, D2: Any, directions: Any, warm_start: Any
) -> Problem:
    """Validate the program's arrays (shapes as in :class:`Problem`; ``D1 (G, n)`` and ``sigma (G,)``
    are read as ``m1 = 1``)."""
    X, y, beta = check_problem(X, y, beta)
    D1, sigma, D2 = check_group_arrays(D1, sigma, D2, X.shape[0])
    G, m1, _n = D1.shape
    d = X.shape[1]
    directions = _finite_array(directions, "directions", (G, d, m1), "(G, d, m1)")
    warm_start = _finite_array(warm_start, "warm_start", (2, G, d, m1), "(2, G, d, m1)")
    return Problem(X, y, beta, D1, sigma, D2, directions, warm_start)


def check_options(
    tol: Any, max_iter: Any, time_limit: Any, threads: Any, linear_solver: Any, dtype: Any, verbose: Any
) -> Options:
    """Validate the solver's options (meanings as in :class:`Options`)."""
    if dtype not in (torch.float64, torch.float32):
        raise InputError(f"dtype must be torch.float64 or torch.float32; got {dtype!r}")
    return Options(
        tol=check_positive(tol, "tol"),
        max_iter=check_int(max_iter, "max_iter", minimum=1),
        time_limit=None if time_limit is None else check_positive(time_limit, "time_limit"),
        threads=None if threads is None else check_int(threads, "threads", minimum=1),
        linear_solver=check_choice(linear_solver, "linear_solver", ("auto", "direct", "iterative")),
        dtype=dtype,
        verbose=bool(verbose),
    )
