"""Tests of pathconvex_lab.train: optimality bounds from the convex program (docs/mathematics.md §8),
stopping, devices, dtypes and reproducibility."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from pathconvex_lab.data import ds1, moons
from pathconvex_lab.errors import InputError
from pathconvex_lab.nets import ParallelReLUNet, network_objective
from pathconvex_lab.train import TrainResult, depth_beta_grid, resolve_device, train, train_restarts
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMUM, DS1_TWO_LAYER_OPTIMUM


pytestmark = pytest.mark.usefixtures("one_torch_thread")


X1, Y1 = ds1()


def quiet(**kw):
    return {"progress": False, **kw}


def test_objective_decreases_and_best_weights_are_returned():
    net = ParallelReLUNet((2, 3, 1), 10, seed=1)
    before = [p.detach().clone() for p in net.parameters()]
    result = train(net, X1, Y1, 0.1, steps=400, **quiet())
    assert isinstance(result, TrainResult)
    assert result.steps_run == 400 and not result.stopped
    assert result.initial_objective == pytest.approx(network_objective(net, X1, Y1, 0.1))
    assert result.best_objective < 0.5 * result.initial_objective
    assert result.best_objective == min(result.history["objective"])
    # the returned net is the best one, checked by the independent float64 numpy evaluation
    assert network_objective(result.net, X1, Y1, 0.1) == pytest.approx(result.best_objective, rel=1e-12)
    # the history is consistent: objective = loss + beta * regularizer, steps increase
    h = result.history
    np.testing.assert_allclose(h["objective"], np.add(h["loss"], 0.1 * np.asarray(h["regularizer"])), rtol=1e-12)
    assert h["step"] == sorted(h["step"]) and h["step"][0] == 0 and h["step"][-1] == 400
    assert all(a is None for a in h["accuracy"])  # regression data
    assert result.accuracy is None
    # the input network is untouched
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters()))
    assert "best_objective" in repr(result)


@pytest.mark.slow
def test_trained_three_layer_net_never_beats_convex_optimum():
    """docs/mathematics.md §8: p3*(DS1, m1=2, beta=0.1) is the global optimum over all K, so no trained
    (2, 2, 1) network may go below it; with a few restarts it should come close."""
    results = train_restarts(lambda s: ParallelReLUNet((2, 2, 1), 20, seed=s), X1, Y1, 0.1, restarts=3,
                             steps=1500, **quiet(record_every=5))
    best = [r.best_objective for r in results]
    assert min(best) >= DS1_THREE_LAYER_M1_2_OPTIMUM - 1e-6
    assert min(best) <= 1.1 * DS1_THREE_LAYER_M1_2_OPTIMUM
    assert len({round(b, 8) for b in best}) == 3  # different seeds, different runs


@pytest.mark.parametrize("regularizer", ["path", "weight_decay"])
def test_trained_two_layer_net_never_beats_convex_optimum(regularizer):
    """Two-layer nets: weight decay and path norm have the same optimum p2* (docs/mathematics.md §2)."""
    result = train(ParallelReLUNet((2, 1), 20, seed=0), X1, Y1, 0.1, steps=800, regularizer=regularizer,
                   **quiet(record_every=5))
    assert DS1_TWO_LAYER_OPTIMUM - 1e-6 <= result.best_objective <= 1.1 * DS1_TWO_LAYER_OPTIMUM


def test_callback_stop_keeps_best_weights():
    net = ParallelReLUNet((2, 2, 1), 5, seed=0)
    seen = []

    def callback(step, history):
        seen.append(step)
        return step < 150

    # a large step size makes the objective oscillate, so the last weights are not the best
    result = train(net, X1, Y1, 0.1, steps=1000, lr=0.3, callback=callback, **quiet(record_every=1))
    assert result.stopped and result.steps_run == 150 and seen[-1] == 150
    assert result.final_objective > result.best_objective
    assert result.best_step < 150
    assert network_objective(result.net, X1, Y1, 0.1) == pytest.approx(result.best_objective, rel=1e-12)


def test_inplace_training_lets_a_callback_watch_the_live_network():
    net = ParallelReLUNet((2, 2, 1), 5, seed=0)
    watched = []

    def callback(step, history):
        watched.append((history["objective"][-1], network_objective(net, X1, Y1, 0.1)))

    result = train(net, X1, Y1, 0.1, steps=100, inplace=True, callback=callback, **quiet())
    assert result.net is net and len(watched) == 10
    for recorded, live in watched:
        assert live == pytest.approx(recorded, rel=1e-12)


def test_stop_event_and_keyboard_interrupt_stop_training():
    event = threading.Event()

    def set_at_30(step, history):
        if step == 30:
            event.set()

    result = train(ParallelReLUNet((2, 2, 1), 5), X1, Y1, 0.1, steps=500, stop_event=event, callback=set_at_30,
                   **quiet(record_every=10))
    assert result.stopped and result.steps_run == 30

    def interrupt(step, history):
        if step == 20:
            raise KeyboardInterrupt

    result = train(ParallelReLUNet((2, 2, 1), 5), X1, Y1, 0.1, steps=500, callback=interrupt, **quiet())
    assert result.stopped and result.steps_run == 20
    assert network_objective(result.net, X1, Y1, 0.1) == pytest.approx(result.best_objective, rel=1e-12)
    event.clear()
    event.set()
    result = train(ParallelReLUNet((2, 2, 1), 5), X1, Y1, 0.1, steps=500, stop_event=event, **quiet())
    assert result.stopped and result.steps_run == 0 and result.best_objective == result.initial_objective


def test_device_resolution_without_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(InputError, match="'cuda'.*CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(InputError, match="cuda:1"):
        train(ParallelReLUNet((2, 1), 3), X1, Y1, 0.1, steps=1, device="cuda:1", **quiet())
    with pytest.raises(InputError, match="device"):
        resolve_device("tpu")
    result = train(ParallelReLUNet((2, 1), 3), X1, Y1, 0.1, steps=5, device="auto", **quiet())
    assert result.device == "cpu" and result.net.device.type == "cpu"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, "float32"])
def test_dtypes_agree(dtype):
    ref = train(ParallelReLUNet((2, 3, 1), 8, seed=0), X1, Y1, 0.1, steps=300, device="cpu", **quiet())
    got = train(ParallelReLUNet((2, 3, 1), 8, seed=0), X1, Y1, 0.1, steps=300, device="cpu", dtype=dtype, **quiet())
    expected = torch.float32 if dtype != torch.float64 else torch.float64
    assert got.net.dtype == expected
    assert got.final_objective == pytest.approx(ref.final_objective, rel=1e-4)


def test_seeded_minibatch_training_is_reproducible():
    X, y = moons(60, seed=0)
    Xb = np.hstack([X, np.ones((60, 1))])
    runs = [train(ParallelReLUNet((3, 4, 1), 6, seed=2), Xb, y, 0.05, steps=100, batch_size=16, seed=s,
                  device="cpu", **quiet()) for s in (5, 5, 6)]
    assert runs[0].history["objective"] == runs[1].history["objective"]
    assert runs[0].history["objective"] != runs[2].history["objective"]
    assert runs[0].best_objective < runs[0].initial_objective


def test_classification_accuracy_matches_independent_count():
    X, y = moons(80, seed=1)
    Xb = np.hstack([X, np.ones((80, 1))])
    result = train(ParallelReLUNet((3, 5, 1), 10, seed=0), Xb, y, 0.01, steps=300, **quiet())
    acc = float(np.mean(np.where(result.net.predict(Xb) >= 0, 1.0, -1.0) == y))
    assert result.accuracy == pytest.approx(acc)
    assert result.accuracy > 0.8
    assert all(0.0 <= a <= 1.0 for a in result.history["accuracy"])


def test_prox_zeroes_whole_subnetworks_and_respects_bound():
    result = train(ParallelReLUNet((2, 2, 1), 20, seed=0), X1, Y1, 0.1, steps=1500, prox=True, **quiet())
    out = result.net.out.detach()
    assert int((out == 0).sum()) >= 1
    pruned = result.net.prune()
    assert pruned.num_subnets == int((out != 0).sum())
    np.testing.assert_allclose(pruned.predict(X1), result.net.predict(X1), rtol=1e-13, atol=1e-14)
    assert DS1_THREE_LAYER_M1_2_OPTIMUM - 1e-6 <= result.best_objective <= 1.15 * DS1_THREE_LAYER_M1_2_OPTIMUM


def test_train_restarts_stops_remaining_runs():
    event = threading.Event()
    event.set()
    results = train_restarts(lambda s: ParallelReLUNet((2, 1), 3, seed=s), X1, Y1, 0.1, restarts=5, steps=10,
                             stop_event=event, **quiet())
    assert len(results) == 1 and results[0].stopped


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": 0.0}, "beta"),
        ({"X": np.ones((6, 3))}, "columns"),
        ({"X": np.where(np.eye(6, 2) > 0, np.nan, 1.0)}, "X must be finite"),
        ({"y": np.ones(5)}, "y must have n=6"),
        ({"batch_size": 7}, "batch_size"),
        ({"prox": True, "regularizer": "weight_decay"}, "prox"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"steps": -1}, "steps"),
        ({"lr": 0}, "lr"),
        ({"net": "not a net"}, "net"),
    ],
)
def test_input_validation(kwargs, match):
    args = {"net": ParallelReLUNet((2, 1), 3), "X": X1, "y": Y1, "beta": 0.1, **kwargs}
    with pytest.raises(InputError, match=match):
        train(args.pop("net"), args.pop("X"), args.pop("y"), args.pop("beta"), progress=False, **args)


@pytest.mark.gpu
def test_trains_on_cuda_like_cpu():
    cpu = train(ParallelReLUNet((2, 3, 1), 8, seed=0), X1, Y1, 0.1, steps=300, device="cpu", **quiet())
    gpu = train(ParallelReLUNet((2, 3, 1), 8, seed=0), X1, Y1, 0.1, steps=300, device="cuda", **quiet())
    assert gpu.device.startswith("cuda") and gpu.net.device.type == "cuda"
    assert resolve_device("auto").type == "cuda"
    assert gpu.final_objective == pytest.approx(cpu.final_objective, rel=1e-6)
    assert network_objective(gpu.net, X1, Y1, 0.1) == pytest.approx(gpu.best_objective, rel=1e-12)


def test_depth_beta_grid_matches_direct_training_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHCONVEX_CACHE", str(tmp_path))
    X, y = moons(40, seed=3)
    Xb = np.hstack([X, np.ones((40, 1))])
    Xt, yt = moons(30, seed=4)
    Xtb = np.hstack([Xt, np.ones((30, 1))])
    kw = dict(width=4, subnets=4, steps=60, seed=0, device="cpu", progress=False)
    grid = depth_beta_grid(Xb, y, [2, 3], [0.01, 0.1], X_test=Xtb, y_test=yt, **kw)
    assert grid.test_accuracy.shape == (2, 2)
    direct = train(ParallelReLUNet((3, 4, 1), 4, seed=0), Xb, y, 0.1, steps=60, seed=0, device="cpu",
                   record_every=3, progress=False)
    assert grid.objective[1, 1] == pytest.approx(direct.best_objective, rel=1e-12)
    acc = float(np.mean(np.where(direct.net.predict(Xtb) >= 0, 1.0, -1.0) == yt))
    assert grid.test_accuracy[1, 1] == pytest.approx(acc)
    with pytest.raises(InputError, match="labels"):
        depth_beta_grid(Xb, y * 2, [2], [0.1], X_test=Xtb, y_test=yt, **kw)
    monkeypatch.setattr("pathconvex_lab.train.train", lambda *a, **k: pytest.fail("a cached grid was trained again"))
    again = depth_beta_grid(Xb, y, [2, 3], [0.01, 0.1], X_test=Xtb, y_test=yt, **kw)
    assert again.depths == grid.depths and again.betas == grid.betas and again.seconds == grid.seconds
    for name in ("train_accuracy", "test_accuracy", "objective"):
        assert np.array_equal(getattr(again, name), getattr(grid, name))


def test_the_grid_cache_is_on_disk_keyed_by_a_digest_of_the_content(tmp_path, monkeypatch):
    """One checksummed entry per distinct input, named by a SHA-256 digest (not Python's hash): the
    same bytes in a new array hit, one changed label misses, a damaged entry misses and is rewritten."""
    from pathconvex_lab import cache
    from pathconvex_lab import train as train_module

    monkeypatch.setenv("PATHCONVEX_CACHE", str(tmp_path))
    X, y = moons(20, seed=1)
    Xb = np.hstack([X, np.ones((20, 1))])
    kw = dict(X_test=Xb, y_test=y, width=3, subnets=2, steps=5, seed=0, device="cpu", progress=False)
    folder = tmp_path / train_module.GRID_CACHE_KIND
    first = depth_beta_grid(Xb, y, [2], [0.1], **kw)
    assert [p.suffix for p in sorted(folder.iterdir())] == [".json", ".npz"]
    key = next(folder.glob("*.npz")).stem
    assert len(key) == 32 and int(key, 16) >= 0
    depth_beta_grid(Xb.copy(), y.copy(), [2], [0.1], **kw)
    assert len(list(folder.glob("*.npz"))) == 1
    flipped = y.copy()
    flipped[0] = -flipped[0]
    depth_beta_grid(Xb, flipped, [2], [0.1], **kw)
    assert len(list(folder.glob("*.npz"))) == 2
    (folder / f"{key}.npz").write_bytes(b"damaged")
    assert cache.load(train_module.GRID_CACHE_KIND, key) is None
    redone = depth_beta_grid(Xb, y, [2], [0.1], **kw)
    assert np.array_equal(redone.objective, first.objective)
    assert cache.load(train_module.GRID_CACHE_KIND, key) is not None
    assert depth_beta_grid(Xb, y, [2], [0.1], **{**kw, "cache": False}).objective == pytest.approx(first.objective)


def test_small_cpu_problems_train_on_one_thread_and_restore_the_setting():
    seen = []
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train(ParallelReLUNet((2, 1), 3), X1, Y1, 0.1, steps=20, device="cpu",
              callback=lambda step, h: seen.append(torch.get_num_threads()), **quiet())
        assert set(seen) == {1} and torch.get_num_threads() == 2
        seen.clear()
        train(ParallelReLUNet((2, 1), 3), X1, Y1, 0.1, steps=20, device="cpu", threads=2,
              callback=lambda step, h: seen.append(torch.get_num_threads()), **quiet())
        assert set(seen) == {2}
        with pytest.raises(InputError, match="threads"):
            train(ParallelReLUNet((2, 1), 3), X1, Y1, 0.1, steps=1, threads=0, **quiet())
    finally:
        torch.set_num_threads(previous)
