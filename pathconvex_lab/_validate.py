"""Input checks shared by the package. Each failure raises :class:`InputError` naming the
argument, the expected form and what was seen."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import InputError


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refuse_complex_or_bool(value: Any, name: str) -> None:
    """Raise InputError for complex data (the imaginary part would be dropped silently) and for
    a bare bool (``True`` is not the number 1 here)."""
    if isinstance(value, bool):
        raise InputError(f"{name} must be numeric; got the bool {value}")
    kind = np.asarray(value).dtype.kind if not isinstance(value, (str, bytes)) else "U"
    if kind == "c":
        raise InputError(f"{name} must be real; got complex values (the imaginary part would be lost)")


def check_matrix(X: Any, name: str = "X", *, min_rows: int = 1, min_cols: int = 1) -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape ``(n, d)``.

    Raises InputError for non-numeric, boolean or complex data, a wrong number of dimensions,
    too few rows/columns, or NaN/inf entries (the message gives the first bad position).
    """
    _refuse_complex_or_bool(X, name)
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric 2-D array (n, d); got {_describe(X)} ({exc})") from None
    if arr.ndim != 2:
        raise InputError(f"{name} must be a 2-D array of shape (n, d); got {arr.ndim}-D shape {arr.shape}")
    if arr.shape[0] < min_rows or arr.shape[1] < min_cols:
        raise InputError(
            f"{name} must have at least {min_rows} row(s) and {min_cols} column(s); got shape {arr.shape}"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{name} must be finite; found {arr[i, j]} at row {i}, column {j}")
    return arr


def check_targets(y: Any, n: int, name: str = "y", *, allow_2d: bool = False) -> np.ndarray:
    """Return ``y`` as a finite float64 array of shape ``(n,)`` (or ``(n, c)`` if ``allow_2d``)."""
    _refuse_complex_or_bool(y, name)
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array of length {n}; got {_describe(y)} ({exc})") from None
    if arr.ndim == 2 and arr.shape[1] == 1 and not allow_2d:
        arr = arr[:, 0]
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        expected = "(n,) or (n, c)" if allow_2d else "(n,)"
        raise InputError(f"{name} must have shape {expected} with n={n}; got shape {arr.shape}")
    if arr.shape[0] != n:
        raise InputError(f"{name} must have n={n} entries (one per row of X); got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise InputError(f"{name} must be finite; found {arr.reshape(n, -1)[i]} at entry {i}")
    return arr


def check_positive(value: Any, name: str) -> float:
    """Return ``value`` as a float, raising InputError unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a positive number; got {_describe(value)}")
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a finite number > 0; got {v}")
    return v


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, raising InputError unless it is an integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer; got {_describe(value)}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {v}")
    if maximum is not None and v > maximum:
        raise InputError(f"{name} must be <= {maximum}; got {v}")
    return v


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise InputError listing them."""
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {_describe(value)}")
    return value


def as_generator(seed: Any, name: str = "seed") -> np.random.Generator:
    """Turn an int, a Generator or None into a numpy Generator (None means seed 0, for reproducibility)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(0)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise InputError(f"{name} must be a non-negative integer or a numpy Generator; got {_describe(seed)}")
    return np.random.default_rng(int(seed))
