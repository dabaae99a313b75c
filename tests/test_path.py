"""Regularization paths (docs/mathematics.md §3.5-§3.7): every point is checked against an independent full
solve or a closed form, beta_max against a brute-force search over directions, and the cache
against a fresh solve."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathconvex_lab import cache, data
from pathconvex_lab.convex import (
    compute_beta_max,
    effective_count,
    regularization_path,
    solve_three_layer,
    solve_two_layer,
)
from pathconvex_lab.convex import path as cpath
from pathconvex_lab.errors import InputError
from pathconvex_lab.experiments import nonconvex_sparsity
from pathconvex_lab.nets import network_objective
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMA

DS1_BETAS = [0.02, 0.05, 0.1, 0.3, 1.0, 3.0]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own disk cache folder and an empty memory cache."""
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    cpath.clear_memory_cache()
    yield tmp_path / "cache"
    cpath.clear_memory_cache()


@pytest.fixture(scope="module")
def ds1_path():
    """DS1, three layers, m1 = 2, solved once without caching."""
    X, y = data.ds1()
    return regularization_path(X, y, DS1_BETAS, layers=3, m1=2, cache=False)


def brute_force_beta_max(X: np.ndarray, y: np.ndarray, num: int = 400_000) -> float:
    """Two layers on 1-D data with a bias (d = 2): ``max_u |y^T (X u)_+|`` over unit ``u`` on a fine
    grid of angles; the atoms of the two-layer program are exactly ``±(X u)_+``, ``||u|| <= 1``."""
    theta = np.linspace(0, 2 * np.pi, num, endpoint=False)
    U = np.stack([np.cos(theta), np.sin(theta)])
    return float(np.abs(y @ np.maximum(X @ U, 0.0)).max())


# --------------------------------------------------------------------------- optimality along the path


def test_path_matches_math_values_and_is_certified(ds1_path):
    for beta, expected in DS1_THREE_LAYER_M1_2_OPTIMA.items():
        i = ds1_path.index(beta)
        assert ds1_path.betas[i] == beta
        assert ds1_path.objectives[i] == pytest.approx(expected, rel=1e-5)
    assert ds1_path.certified.all() and ds1_path.exact_groups and ds1_path.complete
    assert np.all(ds1_path.lower_bounds <= ds1_path.objectives + 1e-9)
    assert np.all(ds1_path.ratios <= 1 + 1e-4)


def test_working_set_point_equals_full_program(ds1_path):
    """The working-set solve at beta = 0.3 (not tabulated in docs/mathematics.md §8) equals the program over all 409 groups."""
    X, y = data.ds1()
    full = solve_three_layer(X, y, 0.3, 2)
    assert full.num_groups == 409
    assert ds1_path.objectives[ds1_path.index(0.3)] == pytest.approx(full.objective, rel=1e-6)
    assert ds1_path.working.max() < 409  # it did not need every group


def test_objective_nondecreasing_in_beta(ds1_path):
    assert np.all(np.diff(ds1_path.objectives) >= -1e-9 * ds1_path.objectives[1:])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), betas=st.lists(st.floats(0.01, 3.0), min_size=2, max_size=4, unique=True))
def test_two_layer_path_is_monotone_and_optimal(seed, betas):
    rng = np.random.default_rng(seed)
    X = data.add_bias(rng.uniform(-1, 1, (6, 1)))
    y = rng.standard_normal(6)
    path = regularization_path(X, y, betas, layers=2, cache=False)
    assert np.all(np.diff(path.objectives) >= -1e-8 * path.objectives[1:])
    i = int(rng.integers(len(path)))
    reference = solve_two_layer(X, y, path.betas[i])  # the full program, all patterns at once
    assert path.objectives[i] == pytest.approx(reference.objective, rel=1e-6, abs=1e-9)
    assert path.certified.all()


# --------------------------------------------------------------------------- beta_max


def test_beta_max_is_sigma_A_of_y_two_layers():
    X, y = data.ds3(8)
    bmax = compute_beta_max(X, y, layers=2)
    assert bmax == pytest.approx(brute_force_beta_max(X, y), rel=1e-6)
    assert compute_beta_max(X, y, layers=2, support="projection") == pytest.approx(bmax, rel=1e-6)


@pytest.mark.parametrize("layers, m1", [(2, None), (3, 2)])
def test_network_is_zero_exactly_from_beta_max(layers, m1):
    X, y = data.ds1()
    bmax = compute_beta_max(X, y, layers, m1)
    solve = (lambda b: solve_two_layer(X, y, b)) if layers == 2 else (lambda b: solve_three_layer(X, y, b, m1))
    above, below = solve(1.01 * bmax), solve(0.97 * bmax)  # independent full solves on both sides
    assert above.penalty < 1e-6 and above.objective == pytest.approx(0.5 * y @ y, rel=1e-7)
    assert below.penalty > 1e-3 and below.objective < 0.5 * y @ y - 1e-6
    path = regularization_path(X, y, [0.97 * bmax, bmax, 1.01 * bmax, 2 * bmax], layers, m1, cache=False)
    assert path.beta_max == pytest.approx(bmax, rel=1e-9)
    assert list(path.subnetworks[1:]) == [0, 0, 0] and path.subnetworks[0] >= 1
    assert np.allclose(path.objectives[1:], 0.5 * y @ y) and path.certified.all()
    assert path.objectives[0] == pytest.approx(below.objective, rel=1e-6)


def test_beta_grid_ends_at_beta_max():
    X, y = data.ds3(8)
    path = regularization_path(X, y, 5, layers=2, min_ratio=0.05, cache=False)
    assert path.betas[-1] == pytest.approx(path.beta_max) and path.betas[0] == pytest.approx(0.05 * path.beta_max)
    assert path.subnetworks[-1] == 0 and path.subnetworks[0] > 0


# --------------------------------------------------------------------------- pruning and networks


def test_pruned_solutions_have_at_most_n_plus_1_subnetworks_and_same_objective(ds1_path):
    X, y = data.ds1()
    assert np.all(ds1_path.subnetworks <= X.shape[0] + 1)
    assert np.all(ds1_path.subnetworks <= ds1_path.active_groups())
    np.testing.assert_allclose(ds1_path.network_objectives, ds1_path.objectives, rtol=1e-6)
    for i in range(len(ds1_path)):  # rebuilt torch networks, objective evaluated independently in numpy
        net = ds1_path.network(i)
        assert net.num_subnets == ds1_path.subnetworks[i]
        assert network_objective(net, X, y, ds1_path.betas[i]) == pytest.approx(ds1_path.objectives[i], rel=1e-6)


def test_contributions_match_the_network(ds1_path):
    X, _ = data.ds1()
    grid = data.add_bias(np.linspace(-1.5, 1.5, 41)[:, None])
    i = ds1_path.index(0.05)
    C = ds1_path.contributions(i, grid)
    torch_parts = ds1_path.network(i).subnet_outputs(grid).detach().numpy()
    np.testing.assert_allclose(C, torch_parts, atol=1e-12)
    H = ds1_path.preactivations(i, grid)
    assert np.array_equal(np.abs(C) > 0, H > 0)
    np.testing.assert_allclose(ds1_path.predict(i), ds1_path.network(i).predict(X), atol=1e-12)


def test_subnetwork_norms_follow_subnetworks_across_beta(ds1_path):
    S = ds1_path.subnetwork_norms()
    assert S.shape == (len(ds1_path), ds1_path.subnet_ids.max() + 1)
    assert np.array_equal((S > 0).sum(axis=1), ds1_path.subnetworks)
    W = ds1_path.weights
    np.testing.assert_allclose(S.sum(axis=1), [np.sqrt((W[a:b] ** 2).sum(axis=(1, 2))).sum()
                                              for a, b in zip(ds1_path.offsets[:-1], ds1_path.offsets[1:])])


def test_effective_count():
    assert effective_count([1, 1, 1, 1]) == pytest.approx(4)
    assert effective_count([1, 0, 0]) == pytest.approx(1)
    assert effective_count([]) == 0.0
    assert 1 < effective_count([1, 0.1, 0.1]) < 2


# --------------------------------------------------------------------------- cache


def test_cached_and_fresh_solves_agree(private_cache):
    X, y = data.ds3(8)
    betas = [0.05, 0.2, 0.8]
    first = regularization_path(X, y, betas, layers=2)
    assert not first.cached
    files = sorted(p.suffix for p in (private_cache / cpath.CACHE_KIND).iterdir())
    assert files == [".json", ".npz"]
    with np.load(next((private_cache / cpath.CACHE_KIND).glob("*.npz")), allow_pickle=False) as stored:
        assert "group_norms" in stored.files
    json.loads(next((private_cache / cpath.CACHE_KIND).glob("*.json")).read_text())

    again = regularization_path(X, y, list(reversed(betas)), layers=2)  # memory hit, same sorted key
    assert again.cached
    cpath.clear_memory_cache()
    from_disk = regularization_path(X, y, betas, layers=2)
    assert from_disk.cached
    for name in ("betas", "objectives", "group_norms", "weights", "offsets", "signs", "sigma", "subnet_ids"):
        assert np.array_equal(getattr(from_disk, name), getattr(first, name)), name
    assert from_disk.beta_max == first.beta_max and from_disk.layers == 2

    fresh = regularization_path(X, y, betas, layers=2, cache=False)
    assert not fresh.cached
    np.testing.assert_allclose(fresh.objectives, from_disk.objectives, rtol=1e-9)
    np.testing.assert_allclose(fresh.network_objectives, from_disk.network_objectives, rtol=1e-9)

    cache.clear()  # deleting the cache loses nothing
    cpath.clear_memory_cache()
    rebuilt = regularization_path(X, y, betas, layers=2)
    assert not rebuilt.cached
    np.testing.assert_allclose(rebuilt.objectives, first.objectives, rtol=1e-9)


def test_cache_key_depends_on_inputs():
    X, y = data.ds3(8)
    a = regularization_path(X, y, [0.1, 0.5], layers=2)
    assert regularization_path(X, y, [0.1, 0.5], layers=2, tol=1e-5).key != a.key
    assert regularization_path(X, y + 0.01, [0.1, 0.5], layers=2).key != a.key
    assert not regularization_path(X, y, [0.1, 0.6], layers=2).cached


def test_damaged_cache_entry_is_recomputed(private_cache):
    X, y = data.ds3(6)
    first = regularization_path(X, y, [0.1], layers=2)
    cpath.clear_memory_cache()
    (private_cache / cpath.CACHE_KIND / f"{first.key}.npz").write_bytes(b"not a zip file")
    again = regularization_path(X, y, [0.1], layers=2)
    assert not again.cached and again.objectives[0] == pytest.approx(first.objectives[0], rel=1e-9)


def test_interrupted_path_keeps_points_and_is_not_cached(ctrl_c_on_second_path_solve, private_cache):
    X, y = data.ds3(6)
    path = regularization_path(X, y, [0.05, 0.1, 0.5], layers=2)
    assert not path.complete and len(path) == 1 and path.betas[0] == 0.5
    assert not (private_cache / cpath.CACHE_KIND).exists()


# --------------------------------------------------------------------------- other backends, errors


def test_fast_solver_path_agrees_with_cvxpy():
    X, y = data.ds3(8)
    betas = [0.05, 0.3]
    fast = regularization_path(X, y, betas, layers=2, solver="fast", cache=False)
    reference = regularization_path(X, y, betas, layers=2, cache=False)
    np.testing.assert_allclose(fast.objectives, reference.objectives, rtol=1e-5)
    assert fast.certified.all()


def test_sampled_groups_are_not_a_proof():
    X, y = data.ds1()
    path = regularization_path(X, y, [0.1], layers=3, m1=2, groups=300, seed=1, cache=False)
    assert not path.exact_groups and not path.certified.any()
    assert path.objectives[0] >= DS1_THREE_LAYER_M1_2_OPTIMA[0.1] * (1 - 1e-6)


def test_nonconvex_training_never_beats_the_path():
    X, y = data.ds1()
    path = regularization_path(X, y, [0.1], layers=3, m1=2, cache=False)
    trained = nonconvex_sparsity(X, y, [0.1], layers=3, m1=2, num_subnets=20, steps=600)
    assert trained.objectives[0] >= path.objectives[0] - 1e-6
    assert 1 <= trained.active[0] <= 20 and 1 <= trained.effective[0] <= trained.active[0] + 1e-9


@pytest.mark.parametrize("kwargs, match", [
    (dict(betas=[0.1, -1.0]), "betas"),
    (dict(betas=[]), "betas"),
    (dict(betas=[0.1], layers=2, m1=2), "m1"),
    (dict(betas=[0.1], layers=4), "layers"),
    (dict(betas=[0.1], cache="disk"), "cache"),
    (dict(betas=[0.1], support="bound"), "support"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    X, y = data.ds1()
    with pytest.raises(InputError, match=match):
        regularization_path(X, y, **kwargs)


def test_repr_lists_every_point(ds1_path):
    text = repr(ds1_path)
    assert "beta_max=2.20291" in text and text.count("\n") == len(ds1_path) + 1


def test_cache_module(private_cache):
    a = np.arange(4.0)
    key = cache.hash_inputs(a, 1, name="x")
    assert key == cache.hash_inputs(np.arange(4.0), 1, name="x")
    assert key != cache.hash_inputs(a.astype(np.float32), 1, name="x")  # dtype is part of the key
    assert key != cache.hash_inputs(a.reshape(2, 2), 1, name="x")  # and the shape
    assert cache.hash_inputs([1, 2], 3) != cache.hash_inputs([1], 2, 3)  # no collisions by concatenation
    cache.save("demo", key, {"a": a, "b": np.array([True, False])}, {"note": "x", "value": 1.5})
    arrays, meta = cache.load("demo", key)
    assert np.array_equal(arrays["a"], a) and arrays["b"].dtype == bool and meta == {"note": "x", "value": 1.5}
    assert not list((private_cache / "demo").glob(".tmp-*"))
    with pytest.raises(InputError, match="object"):
        cache.save("demo", key, {"bad": np.array([{}], dtype=object)}, {})
    with pytest.raises(InputError, match="key"):
        cache.load("demo", "../escape")
    assert cache.load("demo", "0" * 32) is None
    cache.clear("demo")
    assert cache.load("demo", key) is None


def _stored_entry(private_cache, key):
    folder = private_cache / cpath.CACHE_KIND
    return folder / f"{key}.npz", folder / f"{key}.json"


@pytest.mark.parametrize("damage", ["truncated npz", "json list", "json garbage", "edited value", "wrong shapes",
                                    "checksum removed"])
def test_damaged_foreign_or_edited_entries_are_a_miss_never_a_crash(private_cache, damage):
    X, y = data.ds3(6)
    first = regularization_path(X, y, [0.1, 0.3], layers=2)
    cpath.clear_memory_cache()
    npz, js = _stored_entry(private_cache, first.key)
    if damage == "truncated npz":
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    elif damage == "json list":
        js.write_text("[1, 2, 3]")
    elif damage == "json garbage":
        js.write_bytes(b"\xff\xfe{")
    elif damage in ("edited value", "wrong shapes"):
        with np.load(npz, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if damage == "edited value":
            arrays["objectives"] = arrays["objectives"] * 0.5  # a forged, better objective
        else:
            arrays = {name: a.reshape(-1)[:1] for name, a in arrays.items()}
        np.savez(npz, **arrays)
    else:
        meta = json.loads(js.read_text())
        meta.pop(cache.CHECKSUM_KEY)
        js.write_text(json.dumps(meta))
    again = regularization_path(X, y, [0.1, 0.3], layers=2)
    assert not again.cached
    np.testing.assert_allclose(again.objectives, first.objectives, rtol=1e-9)
    cpath.clear_memory_cache()
    assert regularization_path(X, y, [0.1, 0.3], layers=2).cached  # rewritten whole


def test_a_foreign_entry_with_a_valid_checksum_but_wrong_shapes_is_a_miss(private_cache):
    X, y = data.ds3(6)
    first = regularization_path(X, y, [0.1], layers=2)
    cpath.clear_memory_cache()
    arrays, meta = cache.load(cpath.CACHE_KIND, first.key)
    cache.save(cpath.CACHE_KIND, first.key, {name: a.reshape(-1)[:1] for name, a in arrays.items()}, meta)
    again = regularization_path(X, y, [0.1], layers=2)
    assert not again.cached and again.objectives[0] == pytest.approx(first.objectives[0], rel=1e-9)


def test_temporaries_of_a_killed_writer_are_removed_by_the_next_save(private_cache):
    folder = private_cache / "demo"
    folder.mkdir(parents=True)
    orphan, fresh = folder / ".tmp-abc.npz", folder / ".tmp-def.npz"
    orphan.write_bytes(b"partial")
    fresh.write_bytes(b"being written now")
    old = orphan.stat().st_mtime - 2 * cache.STALE_TMP_SECONDS
    os.utime(orphan, (old, old))
    cache.save("demo", "k", {"a": np.zeros(2)}, {})
    assert not orphan.exists() and fresh.exists()  # another writer's live temporary is kept
