"""Data sets that need no download, the bias convention, and CSV loading.

Conventions: ``X`` is float64 ``(n, d)``; the bias is an explicit column of
ones appended by :func:`add_bias`; ``y`` is ``(n,)``. The reference data sets DS1-DS4 are those
of docs/mathematics.md §8 (no randomness); the others take a ``seed``.

:func:`load` is the one documented way to load a data set by name: it accepts the synthetic
sets of :data:`DATASETS` and the real sets of :data:`REAL_DATASETS`, which come from the copies
bundled with scikit-learn (``load_diabetes``, ``load_breast_cancer``, ``load_wine``,
``load_iris``), so nothing is downloaded. The real sets are prepared as follows. Every feature
column is standardized by :func:`standardize` (minus its mean, divided by its population
standard deviation, ``ddof=0``), after ``features=k`` has kept the first ``k`` columns; the bias
column of ones is appended afterwards, so it is not standardized. The targets are:

* ``diabetes`` (442 patients, 10 features): regression on the disease progression one year
  after baseline, standardized to zero mean and unit population standard deviation.
* ``breast_cancer`` (569 tumours, 30 features): ``+1`` for benign (scikit-learn's target 1,
  357 cases), ``-1`` for malignant (target 0, 212 cases).
* ``iris`` (150 flowers, 4 features) and ``wine`` (178 wines, 13 features): one class against
  the rest, ``+1`` for class 1 (iris versicolor, 50 flowers; wine ``class_1``, 71 wines) and
  ``-1`` for the other two classes. Class 1 is chosen because in iris it is not linearly
  separable from the rest (setosa would be), so a linear model cannot fit the labels and the
  ReLU network has something to do. Wine follows the same rule for consistency; with all 13
  features its class 1 is linearly separable from the rest (fewer ``features`` make it harder).
"""

from __future__ import annotations

import csv
import os
from typing import Any

import numpy as np

from ._validate import as_generator, check_int, check_matrix
from .errors import InputError


def add_bias(X: Any) -> np.ndarray:
    """Append a column of ones: ``(n, d) -> (n, d + 1)``."""
    X = check_matrix(X, "X")
    return np.hstack([X, np.ones((X.shape[0], 1))])


def ds1() -> tuple[np.ndarray, np.ndarray]:
    """docs/mathematics.md §8 DS1: 6 points on a line with bias. Returns ``X (6, 2)``, ``y (6,)``."""
    x = np.array([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0])
    y = np.array([0.5, -0.3, 0.8, -0.6, 0.2, 0.9])
    return add_bias(x[:, None]), y


def ds2() -> tuple[np.ndarray, np.ndarray]:
    """docs/mathematics.md §8 DS2: 8 points on the unit circle with bias, alternating labels. ``X (8, 3)``."""
    theta = 2 * np.pi * np.arange(8) / 8 + 0.1
    X = np.column_stack([np.cos(theta), np.sin(theta)])
    return add_bias(X), (-1.0) ** np.arange(8)


def ds3(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """docs/mathematics.md §8 DS3(n): ``x = linspace(-1, 1, n)`` with bias, ``y = sin 3x + 0.3 cos 7x``."""
    n = check_int(n, "n", minimum=2)
    x = np.linspace(-1, 1, n)
    return add_bias(x[:, None]), np.sin(3 * x) + 0.3 * np.cos(7 * x)


def ds4(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """docs/mathematics.md §8 DS4(n): ``X = [t, 0.15 (t^2 - 1/3), 1]``, ``y = cos 3t`` (nearly rank 2)."""
    n = check_int(n, "n", minimum=2)
    t = np.linspace(-1, 1, n)
    return add_bias(np.column_stack([t, 0.15 * (t**2 - 1 / 3)])), np.cos(3 * t)


def moment_curve(n: int, r: int) -> np.ndarray:
    """Rows ``(1, t_i, ..., t_i^(r-1))`` at distinct ``t_i = linspace(-1, 1, n)``: rank r, general position."""
    n = check_int(n, "n", minimum=1)
    r = check_int(r, "r", minimum=1)
    t = np.linspace(-1, 1, n)
    return np.vander(t, r, increasing=True)


def gaussian(n: int, d: int, seed: Any = 0) -> np.ndarray:
    """Standard Gaussian ``(n, d)`` matrix (general position with probability one)."""
    rng = as_generator(seed)
    return rng.standard_normal((check_int(n, "n", minimum=1), check_int(d, "d", minimum=1)))


def spiral(n: int = 40, turns: float = 1.5, noise: float = 0.0, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-class spiral in the plane (no bias column). Returns ``X (n, 2)``, ``y (n,)`` in {-1, +1}.

    Points alternate between the two arms; radius grows linearly from 0.1 to 1.
    """
    n = check_int(n, "n", minimum=2)
    if turns <= 0:
        raise InputError(f"turns must be > 0; got {turns}")
    rng = as_generator(seed)
    m = (n + 1) // 2
    t = np.linspace(0.0, 1.0, m)
    r = 0.1 + 0.9 * t
    phi = 2 * np.pi * turns * t
    arm0 = np.column_stack([r * np.cos(phi), r * np.sin(phi)])
    X = np.empty((2 * m, 2))
    X[0::2] = arm0
    X[1::2] = -arm0
    y = np.tile([1.0, -1.0], m)
    if noise:
        X = X + noise * rng.standard_normal(X.shape)
    return X[:n], y[:n]


def moons(n: int = 100, noise: float = 0.1, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons, labels in {-1, +1}. Returns ``X (n, 2)``, ``y (n,)``."""
    from sklearn.datasets import make_moons

    n = check_int(n, "n", minimum=2)
    rng = as_generator(seed)
    X, lab = make_moons(n_samples=n, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    return X.astype(np.float64), 2.0 * lab - 1.0


def regression_1d(n: int = 30, noise: float = 0.05, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """1-D regression on ``[-1, 1]``: ``y = sin 3x + 0.3 cos 7x + noise``. Returns ``X (n, 1)``, ``y (n,)``."""
    n = check_int(n, "n", minimum=2)
    rng = as_generator(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    return x[:, None], np.sin(3 * x) + 0.3 * np.cos(7 * x) + noise * rng.standard_normal(n)


def digits(classes: tuple[int, ...] = (0, 1)) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (no download), pixels scaled to [0, 1].

    With two classes, ``y`` is in {-1, +1} (first class -> -1); otherwise the digit labels.
    Returns ``X (n, 64)``, ``y (n,)``.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = np.isin(data.target, classes)
    if not keep.any():
        raise InputError(f"classes must be digits in 0..9; got {classes}")
    X = data.data[keep] / 16.0
    lab = data.target[keep].astype(np.float64)
    if len(classes) == 2:
        lab = np.where(lab == classes[0], -1.0, 1.0)
    return X, lab


DATASETS = ("ds1", "ds2", "ds3", "ds4", "spiral", "moons", "regression_1d", "digits")


def load_dataset(name: str, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Load a built-in data set by name (one of :data:`DATASETS`), without bias column added
    except for DS1-DS4, which carry their bias column as docs/mathematics.md §8 defines them."""
    funcs = {"ds1": ds1, "ds2": ds2, "ds3": ds3, "ds4": ds4, "spiral": spiral, "moons": moons,
             "regression_1d": regression_1d, "digits": digits}
    if name not in funcs:
        raise InputError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    return funcs[name](**kwargs)


REAL_DATASETS = ("diabetes", "breast_cancer", "wine", "iris")


def standardize(X: Any) -> np.ndarray:
    """Standardize the columns of ``X (n, d)``: each column minus its mean, divided by its
    population standard deviation (``ddof=0``). A constant column becomes zeros (no division by
    zero). Returns a new float64 array of shape ``(n, d)``.
    """
    X = check_matrix(X, "X")
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    constant = (X.max(axis=0) == X.min(axis=0)) | (std == 0)
    out = (X - mean) / np.where(constant, 1.0, std)
    out[:, constant] = 0.0
    return out


def _real_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The raw features ``(n, d)`` and the targets ``(n,)`` of a real set, labels as documented above."""
    from sklearn import datasets as skd

    loader = {"diabetes": skd.load_diabetes, "breast_cancer": skd.load_breast_cancer,
              "wine": skd.load_wine, "iris": skd.load_iris}[name]
    bunch = loader()
    X = np.asarray(bunch.data, dtype=np.float64)
    target = np.asarray(bunch.target)
    if name == "diabetes":
        y = standardize(target.astype(np.float64)[:, None])[:, 0]
    else:  # breast_cancer: target 1 is benign; wine, iris: class 1 against classes 0 and 2
        y = np.where(target == 1, 1.0, -1.0)
    return X, y


def load(name: str, *, features: int | None = None, bias: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the data set ``name`` (one of :data:`REAL_DATASETS` or :data:`DATASETS`).

    Real sets (:data:`REAL_DATASETS`, see the module docstring for the targets): ``features=k``
    keeps the first ``k`` feature columns, which are then standardized with :func:`standardize`;
    a bias column of ones is appended when ``bias`` is true. Other sets are those of
    :func:`load_dataset` with its defaults; a bias column is appended when ``bias`` is true and
    the last column is not already ones (DS1-DS4 carry theirs; ``bias=False`` does not remove
    it), and ``features`` must be None.

    Returns ``X`` float64 ``(n, d)`` (``d`` counts the bias column) and ``y`` float64 ``(n,)``.
    Raises InputError for an unknown name or a bad ``features``.
    """
    valid = REAL_DATASETS + DATASETS
    if not isinstance(name, str) or name not in valid:
        raise InputError(f"name must be one of {', '.join(valid)}; got {name!r}")
    if name in REAL_DATASETS:
        X, y = _real_dataset(name)
        if features is not None:
            X = X[:, : check_int(features, "features", minimum=1, maximum=X.shape[1])]
        X = standardize(X)
        return (add_bias(X) if bias else X), y
    if features is not None:
        raise InputError(f"features applies to the real data sets only ({', '.join(REAL_DATASETS)}); "
                         f"got features={features!r} for {name!r}")
    X, y = load_dataset(name)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    has_bias = X.shape[1] > 0 and bool(np.all(X[:, -1] == 1.0))
    return (add_bias(X) if bias and not has_bias else X), y


#: Largest CSV file :func:`load_csv` reads (bytes), checked before reading.
MAX_CSV_BYTES = 200_000_000


def load_csv(path: str | os.PathLike, *, bias: bool = True, target: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV with a header row: column ``target`` is ``y``, every other column a feature.

    Appends a bias column unless ``bias=False``. Returns ``X (n, d)``, ``y (n,)``.
    Raises InputError (one line) for a missing file, a file over :data:`MAX_CSV_BYTES` (checked
    before reading), no header/target, repeated column names, non-numeric or non-finite values.
    A UTF-8 byte-order mark before the header is accepted.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise InputError(f"path must be a file path (str or os.PathLike); got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"data file not found: {path}")
    size = os.path.getsize(path)
    if size > MAX_CSV_BYTES:
        raise InputError(f"{path}: {size / 1e6:.0f} MB is more than the {MAX_CSV_BYTES / 1e6:.0f} MB a CSV may have "
                         "here; subsample it first (every method here is at least quadratic in the rows)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: a leading byte-order mark is dropped
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read CSV {path}: {exc}") from None
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise InputError(f"{path}: expected a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise InputError(f"{path}: no target column {target!r} in header {header}")
    if len(header) < 2:
        raise InputError(f"{path}: expected at least one feature column besides {target!r}")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(f"{path}: the header repeats the column name(s) {repeated}; each column needs its own name")
    values = np.empty((len(rows) - 1, len(header)))
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"{path}: line {i} has {len(row)} fields, header has {len(header)}")
        for j, cell in enumerate(row):
            try:
                values[i - 2, j] = float(cell)
            except ValueError:
                raise InputError(f"{path}: non-numeric value {cell!r} at line {i}, column {header[j]!r}") from None
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{path}: non-finite value {values[i, j]} at line {i + 2}, column {header[j]!r}")
    t = header.index(target)
    y = values[:, t]
    X = np.delete(values, t, axis=1)
    return (add_bias(X) if bias else X), y


def save_csv(path: str | os.PathLike, X: np.ndarray, y: np.ndarray, names: list[str] | None = None) -> None:
    """Write ``X (n, d)`` and ``y (n,)`` as a CSV with header ``x0, ..., y`` (or ``names``)."""
    X = check_matrix(X, "X")
    names = names or [f"x{j}" for j in range(X.shape[1])]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*names, "y"])
        for row, t in zip(X, np.asarray(y, dtype=float)):
            w.writerow([*(repr(float(v)) for v in row), repr(float(t))])


__all__ = [
    "DATASETS", "REAL_DATASETS", "add_bias", "digits", "ds1", "ds2", "ds3", "ds4", "gaussian", "load",
    "load_csv", "load_dataset", "moment_curve", "moons", "regression_1d", "save_csv", "spiral",
    "standardize",
]
