"""Tests for the data sets, CSV loading and the shared input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathconvex_lab import InputError, data
from pathconvex_lab._validate import (
    as_generator,
    check_choice,
    check_int,
    check_matrix,
    check_positive,
    check_targets,
)


def test_reference_datasets_match_math_spec():
    X, y = data.ds1()
    np.testing.assert_array_equal(X[:, 0], [-1, -0.6, -0.2, 0.2, 0.6, 1])
    np.testing.assert_array_equal(X[:, 1], np.ones(6))
    np.testing.assert_array_equal(y, [0.5, -0.3, 0.8, -0.6, 0.2, 0.9])
    X, y = data.ds2()
    assert X.shape == (8, 3)
    np.testing.assert_allclose(X[0, :2], [np.cos(0.1), np.sin(0.1)])
    np.testing.assert_array_equal(y, [1, -1, 1, -1, 1, -1, 1, -1])
    X, y = data.ds3(8)
    np.testing.assert_allclose(y, np.sin(3 * X[:, 0]) + 0.3 * np.cos(7 * X[:, 0]))
    X, y = data.ds4(6)
    t = np.linspace(-1, 1, 6)
    np.testing.assert_allclose(X, np.column_stack([t, 0.15 * (t**2 - 1 / 3), np.ones(6)]))
    np.testing.assert_allclose(y, np.cos(3 * t))


def test_moment_curve_is_vandermonde_of_full_rank():
    X = data.moment_curve(10, 4)
    assert X.shape == (10, 4)
    assert np.linalg.matrix_rank(X) == 4
    np.testing.assert_array_equal(X[:, 0], 1.0)


def test_generated_datasets_are_seeded_and_labelled():
    for name in ("spiral", "moons", "regression_1d"):
        X1, y1 = data.load_dataset(name, seed=3)
        X2, y2 = data.load_dataset(name, seed=3)
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)
        assert X1.shape[0] == y1.shape[0] and np.isfinite(X1).all()
    _, y = data.spiral(40)
    assert set(np.unique(y)) == {-1.0, 1.0} and (y == 1).sum() == 20
    X, y = data.digits()
    assert X.shape[1] == 64 and set(np.unique(y)) == {-1.0, 1.0} and X.max() <= 1.0
    with pytest.raises(InputError, match="dataset must be one of"):
        data.load_dataset("mnist")


def test_csv_round_trip_and_bias(tmp_path):
    X, y = data.spiral(10)
    path = tmp_path / "d.csv"
    data.save_csv(path, X, y)
    Xb, yb = data.load_csv(path)
    np.testing.assert_allclose(Xb, data.add_bias(X))
    np.testing.assert_allclose(yb, y)
    Xn, _ = data.load_csv(path, bias=False)
    np.testing.assert_allclose(Xn, X)


@pytest.mark.parametrize(
    "content, message",
    [
        ("a,b\n1,2\n", "no target column 'y'"),
        ("x,y\n1,abc\n", "non-numeric value 'abc' at line 2"),
        ("x,y\n1,nan\n", "non-finite value nan at line 2"),
        ("x,y\n", "header row and at least one data row"),
        ("y\n1\n", "at least one feature column"),
        ("x,y\n1,2,3\n", "line 2 has 3 fields"),
    ],
)
def test_csv_errors_are_one_line_and_specific(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        data.load_csv(path)
    assert "\n" not in str(info.value)


def test_missing_csv_file(tmp_path):
    with pytest.raises(InputError, match="data file not found"):
        data.load_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "X, message",
    [
        ([1.0, 2.0], "2-D array"),
        (np.zeros((0, 2)), "at least 1 row"),
        ([[1.0, np.nan]], "finite; found nan at row 0, column 1"),
        ([[1.0, np.inf]], "finite; found inf"),
        ([["a", "b"]], "numeric 2-D array"),
    ],
)
def test_check_matrix_rejects_bad_input(X, message):
    with pytest.raises(InputError, match=message):
        check_matrix(X)


def test_check_targets_shapes_and_values():
    np.testing.assert_array_equal(check_targets([[1.0], [2.0]], 2), [1.0, 2.0])
    with pytest.raises(InputError, match="n=3 entries"):
        check_targets([1.0, 2.0], 3)
    with pytest.raises(InputError, match="finite"):
        check_targets([1.0, np.nan], 2)
    with pytest.raises(InputError, match=r"shape \(n,\)"):
        check_targets(np.ones((2, 2)), 2)
    assert check_targets(np.ones((2, 2)), 2, allow_2d=True).shape == (2, 2)


@given(st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=50)
def test_check_positive_accepts_exactly_finite_positive_numbers(v):
    if np.isfinite(v) and v > 0:
        assert check_positive(v, "beta") == v
    else:
        with pytest.raises(InputError, match="beta"):
            check_positive(v, "beta")


def test_scalar_checks():
    with pytest.raises(InputError, match="beta must be a positive number"):
        check_positive("0.1", "beta")
    with pytest.raises(InputError, match="beta"):
        check_positive(True, "beta")
    assert check_int(3, "m1", minimum=1) == 3
    with pytest.raises(InputError, match="m1 must be >= 1; got 0"):
        check_int(0, "m1", minimum=1)
    with pytest.raises(InputError, match="m1 must be an integer"):
        check_int(1.5, "m1")
    assert check_choice("cvxpy", "solver", ("cvxpy", "fast")) == "cvxpy"
    with pytest.raises(InputError, match="solver must be one of 'cvxpy', 'fast'"):
        check_choice("ecos", "solver", ("cvxpy", "fast"))


def test_as_generator_is_reproducible_and_validates():
    assert as_generator(5).integers(1000) == as_generator(5).integers(1000)
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    with pytest.raises(InputError, match="seed"):
        as_generator(-1)
    with pytest.raises(InputError, match="seed"):
        as_generator("x")
