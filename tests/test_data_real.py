"""The real data sets of ``data.load`` (scikit-learn's bundled copies, no download) and the CLI's
``--data NAME``: shapes, standardization, label conventions and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pathconvex_lab import InputError, data
from pathconvex_lab.cli import main
from pathconvex_lab.commands.train import load_training_data

SHAPES = {"diabetes": (442, 11), "breast_cancer": (569, 31), "wine": (178, 14), "iris": (150, 5)}
POSITIVES = {"breast_cancer": 357, "wine": 71, "iris": 50}


def _assert_standardized(Z: np.ndarray) -> None:
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, atol=1e-12)


def test_real_dataset_names():
    assert data.REAL_DATASETS == ("diabetes", "breast_cancer", "wine", "iris")
    assert {"REAL_DATASETS", "standardize", "load"} <= set(data.__all__)


@pytest.mark.parametrize("name", data.REAL_DATASETS)
def test_real_sets_are_standardized_with_a_bias_column(name):
    X, y = data.load(name)
    assert X.shape == SHAPES[name] and y.shape == (SHAPES[name][0],)
    assert X.dtype == np.float64 and y.dtype == np.float64
    np.testing.assert_array_equal(X[:, -1], 1.0)
    _assert_standardized(X[:, :-1])
    Xn, yn = data.load(name, bias=False)
    np.testing.assert_array_equal(Xn, X[:, :-1])
    np.testing.assert_array_equal(yn, y)


def test_diabetes_target_is_standardized():
    from sklearn.datasets import load_diabetes

    _, y = data.load("diabetes")
    assert abs(y.mean()) < 1e-12 and abs(y.std() - 1.0) < 1e-12
    raw = load_diabetes().target
    np.testing.assert_allclose(y, (raw - raw.mean()) / raw.std(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_label_conventions(name):
    from sklearn import datasets as skd

    _, y = data.load(name)
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert int((y == 1).sum()) == POSITIVES[name]
    target = getattr(skd, f"load_{name}")().target
    np.testing.assert_array_equal(y == 1, target == 1)  # benign / versicolor / class_1 -> +1


def test_features_keeps_the_first_columns_before_standardizing():
    from sklearn.datasets import load_iris

    X, y = data.load("iris", features=2)
    assert X.shape == (150, 3) and y.shape == (150,)
    raw = load_iris().data[:, :2]
    np.testing.assert_allclose(X[:, :2], (raw - raw.mean(axis=0)) / raw.std(axis=0), atol=1e-12)
    np.testing.assert_array_equal(X[:, 2], 1.0)
    assert data.load("wine", features=13)[0].shape == (178, 14)
    assert data.load("diabetes", features=1, bias=False)[0].shape == (442, 1)


def test_standardize_handles_constant_columns():
    X = np.array([[0.1, 2.0, -3.0], [0.1, 4.0, 5.0], [0.1, 6.0, 1.0], [0.1, 0.0, 1.0]])
    Z = data.standardize(X)
    assert Z.shape == X.shape and Z.dtype == np.float64
    np.testing.assert_array_equal(Z[:, 0], 0.0)
    _assert_standardized(Z[:, 1:])
    np.testing.assert_array_equal(X[:, 0], 0.1)  # the input is not modified
    with pytest.raises(InputError, match="X must be a 2-D array"):
        data.standardize([1.0, 2.0])


def test_synthetic_sets_through_load():
    X, y = data.load("ds1")
    X1, y1 = data.ds1()
    np.testing.assert_array_equal(X, X1)  # DS1 keeps its own bias column, none added
    np.testing.assert_array_equal(y, y1)
    X, _ = data.load("spiral")
    np.testing.assert_array_equal(X, data.add_bias(data.spiral()[0]))
    assert data.load("spiral", bias=False)[0].shape == (40, 2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "mnist"}, r"name must be one of diabetes, breast_cancer, wine, iris, ds1, .*digits; got 'mnist'"),
        ({"name": "iris", "features": 0}, "features must be >= 1; got 0"),
        ({"name": "iris", "features": 5}, "features must be <= 4; got 5"),
        ({"name": "iris", "features": 2.0}, "features must be an integer"),
        ({"name": "ds2", "features": 1}, "features applies to the real data sets only"),
    ],
)
def test_bad_names_and_features(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(InputError, match=message) as info:
        data.load(name, **kwargs)
    assert "\n" not in str(info.value)


def test_train_loader_accepts_real_names():
    X, y, label = load_training_data("breast_cancer")
    assert X.shape == (569, 31) and label == "breast_cancer" and (y == 1).sum() == 357


def _one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error:") and "Traceback" not in err
    return err


@pytest.mark.slow
def test_cli_solve_on_diabetes(capsys):
    assert main(["solve", "--data", "diabetes", "--layers", "2", "--beta", "0.1", "--groups", "5",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["n"], out["d"]) == (442, 11) and out["status"] != "optimal"
    assert out["lower_bound"] <= out["objective"] + 1e-6


def test_cli_patterns_positional_name(capsys):
    assert main(["patterns", "iris", "--no-bias", "--sample", "50", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["n"], out["d"], out["method"]) == (150, 4, "sampled")


def test_cli_train_on_iris(capsys):
    assert main(["train", "--data", "iris", "--steps", "5", "--device", "cpu", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data"] == "iris" and out["n"] == 150 and out["widths"][0] == 5 and out["steps_run"] == 5


def test_cli_data_argument_errors(capsys, tmp_path):
    csv = tmp_path / "d.csv"
    data.save_csv(csv, np.array([[0.0], [1.0]]), np.array([1.0, -1.0]))
    err = _one_line_error(capsys, ["solve", str(csv), "--data", "iris", "--beta", "0.1"])
    assert "give the data as a CSV path or --data NAME (one of diabetes" in err
    err = _one_line_error(capsys, ["solve", "--beta", "0.1"])
    assert "give the data as a CSV path or --data NAME" in err
    err = _one_line_error(capsys, ["patterns", "--data", "irises"])
    assert "--data" in err and "diabetes" in err and "digits" in err and "CSV file path" in err
    err = _one_line_error(capsys, ["path", "irises", "--betas", "0.1"])
    assert "DATA" in err and "breast_cancer" in err and "CSV file path" in err
    err = _one_line_error(capsys, ["train", "--data", "irises"])
    assert "--data must be one of diabetes, breast_cancer, wine, iris" in err
