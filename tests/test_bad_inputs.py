"""A table of bad inputs across the API and the command line. Each must end in one clear error
naming the argument (an InputError or ProblemTooLargeError for the API; for the CLI, exit status 2
and one ``error:`` line on stderr), never a traceback, a hang or a silent wrong answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pathconvex_lab import arrangements as ar
from pathconvex_lab import cache, cli, data, grading
from pathconvex_lab.convex import certificate, regularization_path, solve_two_layer
from pathconvex_lab.experiments import solve_route
from pathconvex_lab.convex.certificate import support_function
from pathconvex_lab.errors import PathconvexError
from pathconvex_lab.nets import ParallelReLUNet, path_norm
from pathconvex_lab.train import train

X1, Y1 = data.ds1()
GOOD_W = np.ones((2, 3))


def _csv(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp / name
    path.write_text(text, encoding=encoding)
    return str(path)


def _meta_list_model(tmp: Path) -> str:
    path = tmp / "model.npz"
    np.savez(path, meta=np.array(json.dumps([1, 2])), out=np.ones(1), layer_0=np.ones((1, 2, 1)))
    return str(path)


def _pickled_model(tmp: Path) -> str:
    path = tmp / "pickled.npz"
    np.savez(path, meta=np.array([{"format": "x"}], dtype=object), out=np.ones(1))
    return str(path)


# (id, call(tmp) -> raises, match): the error message must match (the argument's name)
API_CASES = [
    ("X NaN", lambda t: ar.enumerate_patterns(np.array([[np.nan, 1.0]])), "X must be finite"),
    ("X inf", lambda t: ar.enumerate_patterns(np.array([[np.inf, 1.0]])), "X must be finite"),
    ("X 1-D", lambda t: ar.enumerate_patterns(np.ones(3)), "X must be a 2-D"),
    ("X 3-D", lambda t: ar.enumerate_patterns(np.ones((2, 2, 2))), "X must be a 2-D"),
    ("X complex", lambda t: ar.enumerate_patterns(np.ones((3, 2)) * 1j), "X must be real"),
    ("X strings", lambda t: ar.enumerate_patterns([["a", "b"]]), "X must be a numeric"),
    ("X empty", lambda t: ar.enumerate_patterns(np.zeros((0, 2))), "X must have at least"),
    ("m1 zero", lambda t: ar.enumerate_groups(X1, 0), "m1"),
    ("m1 float", lambda t: ar.enumerate_groups(X1, 1.5), "m1"),
    ("groups method", lambda t: ar.enumerate_groups(X1, 2, method="magic"), "method"),
    ("samples zero", lambda t: ar.sample_patterns(X1, 0), "num_samples"),
    ("samples 1e12", lambda t: ar.sample_patterns(X1, 10**12), "num_samples"),
    ("samples float", lambda t: ar.sample_patterns(X1, 2.5), "num_samples"),
    ("max_patterns too small", lambda t: ar.enumerate_patterns(data.ds2()[0], max_patterns=3), "max_patterns"),
    ("beta negative", lambda t: solve_two_layer(X1, Y1, -1.0), "beta"),
    ("beta zero", lambda t: solve_two_layer(X1, Y1, 0.0), "beta"),
    ("beta nan", lambda t: solve_two_layer(X1, Y1, float("nan")), "beta"),
    ("beta inf", lambda t: solve_two_layer(X1, Y1, float("inf")), "beta"),
    ("beta bool", lambda t: solve_two_layer(X1, Y1, True), "beta"),
    ("beta string", lambda t: solve_two_layer(X1, Y1, "0.1"), "beta"),
    ("y length", lambda t: solve_two_layer(X1, Y1[:-1], 0.1), "y must have"),
    ("y NaN", lambda t: solve_two_layer(X1, np.where(np.arange(6) == 2, np.nan, Y1), 0.1), "y must be finite"),
    ("y complex", lambda t: solve_two_layer(X1, Y1 * 1j, 0.1), "y must be real"),
    ("y 2-D", lambda t: solve_two_layer(X1, np.ones((6, 2)), 0.1), "y must have shape"),
    ("route layers", lambda t: solve_route(X1, Y1, 0.1, layers=4), "layers"),
    ("route time_limit", lambda t: solve_route(X1, Y1, 0.1, time_limit=0), "time_limit"),
    ("route solver", lambda t: solve_route(X1, Y1, 0.1, solver="nope"), "solver"),
    ("route tol", lambda t: solve_route(X1, Y1, 0.1, tol=-1), "tol"),
    ("path betas bool", lambda t: regularization_path(X1, Y1, True, cache=False), "betas"),
    ("path betas empty", lambda t: regularization_path(X1, Y1, [], cache=False), "betas"),
    ("path betas negative", lambda t: regularization_path(X1, Y1, [0.1, -1.0], cache=False), "betas"),
    ("path betas nan", lambda t: regularization_path(X1, Y1, [float("nan")], cache=False), "betas"),
    ("path support", lambda t: regularization_path(X1, Y1, [0.1], support="bound", cache=False), "support"),
    ("net huge", lambda t: ParallelReLUNet((11, 100_000_000, 1), 1000), "parameters"),
    ("net last width", lambda t: ParallelReLUNet((2, 3), 4), r"widths\[-1\]"),
    ("net too deep", lambda t: ParallelReLUNet((2,) + (2,) * 100 + (1,), 1), "depth"),
    ("net subnets", lambda t: ParallelReLUNet((2, 1), -1), "num_subnets"),
    ("net widths type", lambda t: ParallelReLUNet(3, 4), "widths"),
    ("path_norm nan out", lambda t: path_norm([GOOD_W, [np.nan, 1.0, 1.0]]), r"weights\[-1\]"),
    ("path_norm one array", lambda t: path_norm([GOOD_W]), "weights"),
    ("path_norm nan bias", lambda t: path_norm([GOOD_W, np.ones(3)], biases=[[np.nan] * 3]), r"biases\[0\]"),
    ("from_weights inf", lambda t: ParallelReLUNet.from_weights([np.full((1, 2, 1), np.inf)], np.ones(1)),
     r"layers\[0\]"),
    ("from_weights none", lambda t: ParallelReLUNet.from_weights([], np.ones(1)), "layers"),
    ("model missing", lambda t: ParallelReLUNet.load(t / "none.npz"), "not found"),
    ("model meta list", lambda t: ParallelReLUNet.load(_meta_list_model(t)), "metadata is a JSON list"),
    ("model pickled", lambda t: ParallelReLUNet.load(_pickled_model(t)), "pickle-free"),
    ("csv None", lambda t: data.load_csv(None), "path must be a file path"),
    ("csv missing", lambda t: data.load_csv(t / "none.csv"), "not found"),
    ("csv repeated y", lambda t: data.load_csv(_csv(t, "d.csv", "x0,y,y\n1,2,3\n")), "repeats"),
    ("csv text", lambda t: data.load_csv(_csv(t, "s.csv", "x0,y\n1,abc\n")), "non-numeric"),
    ("csv no y", lambda t: data.load_csv(_csv(t, "n.csv", "a,b\n1,2\n")), "no target column"),
    ("csv nan", lambda t: data.load_csv(_csv(t, "nan.csv", "x0,y\n1,nan\n")), "non-finite"),
    ("csv ragged", lambda t: data.load_csv(_csv(t, "r.csv", "x0,y\n1,2,3\n")), "fields"),
    ("csv header only", lambda t: data.load_csv(_csv(t, "h.csv", "x0,y\n")), "at least one data row"),
    ("dataset name", lambda t: data.load("nope"), "nope"),
    ("dataset features", lambda t: data.load("diabetes", features=0), "features"),
    ("certificate columns", lambda t: certificate(ParallelReLUNet((3, 1), 2), X1, Y1, 0.1), "X must have 3"),
    ("train beta", lambda t: train(ParallelReLUNet((2, 1), 2), X1, Y1, -1.0, steps=1, progress=False), "beta"),
    ("train steps", lambda t: train(ParallelReLUNet((2, 1), 2), X1, Y1, 0.1, steps=-1, progress=False), "steps"),
    ("train X columns", lambda t: train(ParallelReLUNet((3, 1), 2), X1, Y1, 0.1, steps=1, progress=False), "X"),
    ("cache key", lambda t: cache.load("demo", "../escape"), "key"),
    ("cache meta list", lambda t: cache.save("demo", "k", {}, [1, 2]), "meta must be a dict"),
    ("support nan", lambda t: support_function(X1, np.full(6, np.nan), *_groups()), "finite"),
    ("autograder not zip", lambda t: grading.grade_submissions([t / "x.ipynb"], _csv(t, "a.csv", "x")), "not a zip"),
    ("assign out file", lambda t: grading.build_assignments(_csv(t, "out.txt", "x")), "--out .* is a file"),
]


def _groups():
    g = ar.enumerate_groups(X1, 1)
    return g.D1, g.sigma, g.D2


@pytest.mark.parametrize("call, match", [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES])
def test_api_bad_input_is_one_clear_error(tmp_path, monkeypatch, call, match):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    with pytest.raises(PathconvexError, match=match) as info:
        call(tmp_path)
    assert "\n" not in str(info.value).strip() or len(str(info.value)) < 400


CLI_CASES = [
    ("solve beta negative", ["solve", "ds1", "--beta", "-1"], "beta"),
    ("solve beta nan", ["solve", "ds1", "--beta", "nan"], "beta"),
    ("solve beta missing", ["solve", "ds1"], "--beta"),
    ("solve layers", ["solve", "ds1", "--beta", "0.1", "--layers", "4"], "--layers"),
    ("solve solver", ["solve", "ds1", "--beta", "0.1", "--solver", "nope"], "--solver"),
    ("solve groups", ["solve", "ds1", "--beta", "0.1", "--groups", "lots"], "--groups"),
    ("solve time limit", ["solve", "ds1", "--beta", "0.1", "--time-limit", "0"], "--time-limit"),
    ("solve m1", ["solve", "ds1", "--beta", "0.1", "--layers", "3", "--m1", "0"], "m1"),
    ("solve missing csv", ["solve", "nosuch.csv", "--beta", "0.1"], "not found"),
    ("solve repeated columns", ["solve", "{tmp}/dup.csv", "--beta", "0.1"], "repeats"),
    ("path betas zero", ["path", "ds1", "--betas", "0,1"], "--betas"),
    ("path betas text", ["path", "ds1", "--betas", "a,b"], "--betas"),
    ("patterns sample zero", ["patterns", "ds2", "--sample", "0"], "--sample"),
    ("patterns sample huge", ["patterns", "ds2", "--sample", "1000000000000"], "--sample"),
    ("patterns seed", ["patterns", "ds2", "--sample", "10", "--seed", "-1"], "--seed"),
    ("train depth one", ["train", "--data", "ds3", "--depth", "1"], "--depth"),
    ("train depth huge", ["train", "--data", "ds3", "--depth", "1200", "--json"], "--depth"),
    ("train width huge", ["train", "--data", "ds3", "--width", "100000000", "--subnets", "1000"], "--width"),
    ("train data", ["train", "--data", "nope"], "nope"),
    ("grade autograder", ["grade", "{tmp}/x.ipynb", "--autograder", "{tmp}/dup.csv"], "--autograder"),
    ("assign out file", ["assign", "--out", "{tmp}/dup.csv"], "--out"),
]


@pytest.mark.parametrize("argv, match", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_error_line_and_status_2(tmp_path, monkeypatch, capsys, argv, match):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    _csv(tmp_path, "dup.csv", "x0,y,y\n1,2,3\n2,3,4\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert match in lines[0], lines[0]


def test_the_api_table_and_the_cli_table_hold_at_least_60_cases():
    assert len(API_CASES) + len(CLI_CASES) >= 60


def test_a_byte_order_mark_before_the_header_is_read(tmp_path):
    X, y = data.load_csv(_csv(tmp_path, "bom.csv", "x0,y\n1,2\n3,4\n", encoding="utf-8-sig"))
    assert np.array_equal(y, [2.0, 4.0]) and X.shape == (2, 2)
