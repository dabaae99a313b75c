"""Nonconvex training of :class:`~pathconvex_lab.nets.ParallelReLUNet` (docs/mathematics.md §4.2).

:func:`train` minimizes ``0.5 ||f(X) - y||^2 + beta * R`` (``R`` = path norm or weight decay)
with Adam or SGD, full batch by default, on the device chosen at call time. It records a
history every ``record_every`` steps, shows progress with ``tqdm.auto``, can be stopped by a
``threading.Event``, by a callback returning ``False`` or by Ctrl-C, and always returns the best
recorded weights. :func:`train_restarts` repeats it over seeds, for comparing nonconvex optima
with the convex one; :func:`depth_beta_grid` trains one network per depth and ``beta`` and keeps
the grid in the disk cache (:mod:`pathconvex_lab.cache`).
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from . import cache as disk
from ._validate import check_choice, check_int, check_matrix, check_positive, check_targets
from .errors import InputError
from .nets import REGULARIZERS, ParallelReLUNet, as_dtype, batched_path_norms, resolve_device, torch_threads

OPTIMIZERS = ("adam", "sgd")
#: Below this many activations per step (n * K * widest layer), CPU training uses one thread:
#: thread start-up then costs more than it saves (measured 3-10x slower with 2 threads on 2 busy cores).
SMALL_PROBLEM = 1_000_000
HISTORY_KEYS = ("step", "objective", "loss", "regularizer", "accuracy", "seconds")
#: The ``(depths, betas)`` tables of a :class:`GridResult`, in field order.
_GRID_TABLES = ("train_accuracy", "test_accuracy", "objective")
#: Version of the cached grid layout; bump it when the arrays or their meaning change.
GRID_FORMAT = 1
#: Cache sub-folder of grids (:mod:`pathconvex_lab.cache`): one small checksummed entry per distinct
#: call, nothing kept in memory; ``pathconvex_lab.cache.clear("grids")`` deletes them.
GRID_CACHE_KIND = "grids"

__all__ = [
    "resolve_device", "TrainResult", "train", "train_restarts", "GridResult", "depth_beta_grid",
    "OPTIMIZERS", "HISTORY_KEYS",
]


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    ``net`` holds the best recorded weights (lowest full-data objective); ``history`` maps each of
    :data:`HISTORY_KEYS` to a list (one entry per record; ``accuracy`` entries are ``None`` for
    regression); objectives use the loss ``0.5 ||f - y||^2`` (no 1/n) plus ``beta * R``.
    """

    net: ParallelReLUNet
    history: dict[str, list]
    best_objective: float
    initial_objective: float
    final_objective: float
    device: str
    seconds: float
    stopped: bool
    steps_run: int
    beta: float
    regularizer: str
    accuracy: float | None = None
    best_step: int = 0

    def __repr__(self) -> str:
        acc = "" if self.accuracy is None else f", accuracy={self.accuracy:.4f}"
        return (
            f"TrainResult(best_objective={self.best_objective:.8g} at step {self.best_step}, "
            f"initial={self.initial_objective:.6g}, final={self.final_objective:.8g}{acc}, "
            f"steps_run={self.steps_run}, stopped={self.stopped}, regularizer={self.regularizer!r}, "
            f"beta={self.beta:g}, device={self.device!r}, seconds={self.seconds:.3g}, "
            f"net=ParallelReLUNet(widths={self.net.widths}, K={self.net.num_subnets}))"
        )


def _is_binary(y: np.ndarray) -> bool:
    """Whether ``y (n,)`` holds labels in {-1, +1} only."""
    return y.ndim == 1 and bool(np.all((y == 1.0) | (y == -1.0)))


class _Recorder:
    """Full-data evaluation, history and best-weights bookkeeping for one training run."""

    def __init__(self, net: ParallelReLUNet, X: torch.Tensor, y: torch.Tensor, beta: float, regularizer: str,
                 classification: bool) -> None:
        self.net, self.X, self.y, self.beta, self.regularizer = net, X, y, beta, regularizer
        self.classification = classification
        self.history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
        self.best_objective = float("inf")
        self.best_step = 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.start = time.perf_counter()

    def evaluate(self) -> tuple[float, float, float, float | None]:
        """``(objective, loss, regularizer, accuracy)`` of the current weights on all data."""
        with torch.no_grad():
            f = self.net(self.X)
            loss = 0.5 * ((f - self.y) ** 2).sum()
            reg = self.net.regularizer(self.regularizer)
            acc = ((f >= 0) == (self.y > 0)).to(f.dtype).mean() if self.classification else None
            values = torch.stack([loss, reg] + ([acc] if acc is not None else [])).cpu().tolist()
        loss_v, reg_v = values[0], values[1]
        return loss_v + self.beta * reg_v, loss_v, reg_v, (values[2] if acc is not None else None)

    def record(self, step: int) -> float:
        """Evaluate, append to the history, keep a copy of the weights if they are the best so far."""
        objective, loss, reg, acc = self.evaluate()
        for key, value in zip(HISTORY_KEYS, (step, objective, loss, reg, acc, time.perf_counter() - self.start)):
            self.history[key].append(value)
        if objective < self.best_objective:  # NaN never compares smaller
            self.best_objective, self.best_step = objective, step
            self.best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        return objective


def _prox_out_(net: ParallelReLUNet, eta: float, beta: float) -> None:
    """Proximal step on the output weights (docs/mathematics.md §4.2): ``w <- sign(w) max(|w| - eta beta rho_k, 0)``
    with ``rho_k = R_k / |w_Lk|``, which sets whole sub-networks exactly to zero."""
    with torch.no_grad():
        rho = batched_path_norms(list(net.layers), torch.ones_like(net.out), list(net.biases) if net.hidden_bias else None)
        net.out.copy_(torch.sign(net.out) * torch.clamp(net.out.abs() - eta * beta * rho, min=0.0))


def _training_objective(net: ParallelReLUNet, Xb: torch.Tensor, yb: torch.Tensor, scale: float, beta: float,
                        regularizer: str, prox: bool) -> torch.Tensor:
    """Mini-batch estimate ``scale * 0.5 ||f(Xb) - yb||^2 + beta * R``; with ``prox`` the path norm
    is ``sum_k |out_k| rho_k(W)`` with ``out`` detached (its part is handled by the prox step)."""
    residual = net(Xb) - yb
    data = 0.5 * scale * (residual * residual).sum()
    if prox:
        rho = batched_path_norms(list(net.layers), torch.ones_like(net.out), list(net.biases) if net.hidden_bias else None)
        return data + beta * (net.out.detach().abs() * rho).sum()
    return data + beta * net.regularizer(regularizer)


@dataclass(frozen=True)
class _Settings:
    """The checked settings of one :func:`train` run (see its arguments)."""

    steps: int
    lr: float
    optimizer: str
    regularizer: str
    batch_size: int | None
    record_every: int
    seed: int
    prox: bool
    classification: bool


def _check_data(net: Any, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``X (n, d)`` and ``y (n,)`` as float64 arrays, checked against the network's input width ``d``."""
    if not isinstance(net, ParallelReLUNet):
        raise InputError(f"net must be a ParallelReLUNet; got {type(net).__name__}")
    X_np = check_matrix(X, "X")
    y_np = check_targets(y, X_np.shape[0], "y")
    if X_np.shape[1] != net.widths[0]:
        raise InputError(
            f"X has {X_np.shape[1]} columns but the network expects widths[0]={net.widths[0]}"
            " (did you forget or double the bias column?)"
        )
    return X_np, y_np


def _check_settings(y: np.ndarray, *, steps: Any, lr: Any, optimizer: Any, regularizer: Any, batch_size: Any,
                    record_every: Any, seed: Any, prox: bool, callback: Any, classification: bool | None) -> _Settings:
    """Check the settings of :func:`train` for targets ``y (n,)``; ``classification=None`` becomes
    whether ``y`` is in {-1, +1}."""
    steps = check_int(steps, "steps", minimum=0)
    lr = check_positive(lr, "lr")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_choice(regularizer, "regularizer", REGULARIZERS)
    record_every = check_int(record_every, "record_every", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=y.shape[0])
    if prox and regularizer != "path":
        raise InputError("prox=True needs regularizer='path' (the proximal step is on the path norm)")
    if callback is not None and not callable(callback):
        raise InputError(f"callback must be callable or None; got {callback!r}")
    classification = _is_binary(y) if classification is None else classification
    return _Settings(steps, lr, optimizer, regularizer, batch_size, record_every, seed, prox, classification)


def _cpu_threads(threads: int | None, dev: torch.device, model: ParallelReLUNet, rows: int) -> int | None:
    """Threads torch may use while training: None (torch's setting) off the CPU; on the CPU,
    ``threads``, or one thread when the step has fewer than :data:`SMALL_PROBLEM` activations
    (``rows`` per step x sub-networks x widest layer)."""
    if dev.type != "cpu":
        return None
    if threads is None and rows * model.num_subnets * max(model.widths) < SMALL_PROBLEM:
        return 1
    return threads


def train(
    net: ParallelReLUNet,
    X: Any,
    y: Any,
    beta: float,
    *,
    steps: int = 2000,
    lr: float = 1e-2,
    optimizer: str = "adam",
    regularizer: str = "path",
    batch_size: int | None = None,
    device: Any = "auto",
    dtype: Any = None,
    seed: int = 0,
    record_every: int = 10,
    progress: bool = True,
    callback: Callable[[int, dict[str, list]], Any] | None = None,
    stop_event: threading.Event | None = None,
    prox: bool = False,
    classification: bool | None = None,
    inplace: bool = False,
    threads: int | None = None,
) -> TrainResult:
    """Train a copy of ``net`` on ``X (n, d)``, ``y (n,)`` (``inplace=True``: train ``net`` itself,
    moved to ``device``/``dtype``, ending with the best weights; lets a callback watch it live).

    Minimizes ``0.5 ||f(X) - y||^2 + beta * R`` (``regularizer="path"``: l2 path norm;
    ``"weight_decay"``: half the sum of squared parameters) for ``steps`` optimizer steps with
    learning rate ``lr``. ``batch_size=None`` is full batch; otherwise mini-batches of that size
    (drawn with ``seed``) with the loss scaled by ``n / batch_size``. Every ``record_every`` steps
    (and after the last) the full-data objective is recorded in ``history``; the best recorded
    weights are returned. ``callback(step, history)`` runs after each record; returning ``False``
    stops. Setting ``stop_event`` or Ctrl-C also stops; the result then has ``stopped=True`` and
    still the best weights. ``prox=True`` (path regularizer only) replaces the output weights'
    regularization gradient by a proximal step, so unused sub-networks become exactly zero.
    ``classification=None`` turns accuracy (of ``sign f`` against ``y``) on when ``y`` is in
    {-1, +1}. ``device="auto"`` picks CUDA, then MPS, then CPU now; ``dtype=None`` keeps the net's.
    ``threads``: CPU threads torch may use while training (restored afterwards); ``None`` means
    one thread for small problems (see :data:`SMALL_PROBLEM`) and torch's setting otherwise.
    """
    X_np, y_np = _check_data(net, X, y)
    beta = check_positive(beta, "beta")
    settings = _check_settings(y_np, steps=steps, lr=lr, optimizer=optimizer, regularizer=regularizer,
                               batch_size=batch_size, record_every=record_every, seed=seed, prox=prox,
                               callback=callback, classification=classification)
    if threads is not None:
        threads = check_int(threads, "threads", minimum=1)
    dev = resolve_device(device)
    dt = as_dtype(dtype) if dtype is not None else net.dtype
    model = (net if inplace else copy.deepcopy(net)).to(device=dev, dtype=dt)
    Xt = torch.as_tensor(X_np, device=dev, dtype=dt)
    yt = torch.as_tensor(y_np, device=dev, dtype=dt)
    with torch_threads(_cpu_threads(threads, dev, model, settings.batch_size or X_np.shape[0])):
        rec = _Recorder(model, Xt, yt, beta, settings.regularizer, settings.classification)
        initial = rec.record(0)
        step, stopped = _loop(model, Xt, yt, beta, settings, rec, progress=progress, callback=callback,
                              stop_event=stop_event)
        return _result(rec, initial, step, stopped, beta, settings, dev)


def _batch(Xt: torch.Tensor, yt: torch.Tensor, batch_size: int | None,
           gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The next batch: all rows, or ``batch_size`` rows drawn without replacement with ``gen``."""
    if batch_size is None:
        return Xt, yt
    idx = torch.randperm(Xt.shape[0], generator=gen)[:batch_size].to(Xt.device)
    return Xt[idx], yt[idx]


def _step(model: ParallelReLUNet, opt: torch.optim.Optimizer, Xb: torch.Tensor, yb: torch.Tensor, scale: float,
          beta: float, settings: _Settings) -> None:
    """One optimizer step on the batch ``Xb (b, d)``, ``yb (b,)`` (loss scaled by ``scale = n / b``),
    then with ``prox`` the proximal step on the output weights."""
    opt.zero_grad(set_to_none=True)
    _training_objective(model, Xb, yb, scale, beta, settings.regularizer, settings.prox).backward()
    opt.step()
    if settings.prox:
        _prox_out_(model, settings.lr, beta)


def _loop(model: ParallelReLUNet, Xt: torch.Tensor, yt: torch.Tensor, beta: float, settings: _Settings,
          rec: _Recorder, *, progress: bool, callback: Any, stop_event: threading.Event | None) -> tuple[int, bool]:
    """The training loop of :func:`train` (data already on the model's device): returns the steps
    run and whether a stop event, the callback or Ctrl-C stopped it."""
    opt = (torch.optim.Adam if settings.optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=settings.lr)
    gen = torch.Generator().manual_seed(settings.seed)
    scale = 1.0 if settings.batch_size is None else Xt.shape[0] / settings.batch_size
    step, stopped = 0, False
    bar = _progress_bar(settings.steps, progress)
    try:
        while step < settings.steps:
            if stop_event is not None and stop_event.is_set():
                stopped = True
                break
            _step(model, opt, *_batch(Xt, yt, settings.batch_size, gen), scale, beta, settings)
            step += 1
            if bar is not None:
                bar.update(1)
            if step % settings.record_every == 0 or step == settings.steps:
                objective = rec.record(step)
                if bar is not None:
                    bar.set_postfix(objective=f"{objective:.6g}", refresh=False)
                if callback is not None and callback(step, rec.history) is False:
                    stopped = True
                    break
    except KeyboardInterrupt:
        stopped = True
    finally:
        if bar is not None:
            bar.close()
    return step, stopped


def _result(rec: _Recorder, initial: float, step: int, stopped: bool, beta: float, settings: _Settings,
            dev: torch.device) -> TrainResult:
    """Record the last step if needed, load the best recorded weights and build the :class:`TrainResult`."""
    if rec.history["step"][-1] != step:
        rec.record(step)
    final = rec.history["objective"][-1]
    if rec.best_state is not None:
        rec.net.load_state_dict(rec.best_state)
    return TrainResult(
        net=rec.net,
        history=rec.history,
        best_objective=rec.best_objective,
        initial_objective=initial,
        final_objective=final,
        device=str(dev),
        seconds=time.perf_counter() - rec.start,
        stopped=stopped,
        steps_run=step,
        beta=beta,
        regularizer=settings.regularizer,
        accuracy=rec.evaluate()[3],
        best_step=rec.best_step,
    )


def _progress_bar(steps: int, enabled: bool) -> Any:
    """A ``tqdm`` bar over ``steps`` training steps, or None (disabled or no steps)."""
    if not enabled or steps == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=steps, desc="train", leave=False, mininterval=0.2)


def train_restarts(
    make_net: Callable[[int], ParallelReLUNet],
    X: Any,
    y: Any,
    beta: float,
    restarts: int = 4,
    **kw: Any,
) -> list[TrainResult]:
    """Train ``restarts`` networks ``make_net(seed)`` for ``seed = kw.get("seed", 0) + i``, each
    with :func:`train` (same ``**kw``, that seed). Returns the results in seed order; a stop
    (event, callback or Ctrl-C) ends the remaining restarts too."""
    restarts = check_int(restarts, "restarts", minimum=1)
    if not callable(make_net):
        raise InputError(f"make_net must be a callable seed -> ParallelReLUNet; got {make_net!r}")
    first = check_int(kw.pop("seed", 0), "seed", minimum=0)
    results = []
    for i in range(restarts):
        result = train(make_net(first + i), X, y, beta, seed=first + i, **kw)
        results.append(result)
        if result.stopped:
            break
    return results


# --------------------------------------------------------------------------- depth x beta grids


@dataclass(frozen=True)
class GridResult:
    """Accuracies and objectives of :func:`depth_beta_grid`, each ``(len(depths), len(betas))``;
    ``seconds`` of training."""

    depths: tuple[int, ...]
    betas: tuple[float, ...]
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    objective: np.ndarray
    seconds: float

    def __repr__(self) -> str:
        best = np.unravel_index(np.nanargmax(self.test_accuracy), self.test_accuracy.shape)
        return (f"GridResult(depths={self.depths}, betas={self.betas}, best test accuracy "
                f"{self.test_accuracy[best]:.4f} at depth {self.depths[best[0]]}, beta {self.betas[best[1]]:g}, "
                f"seconds={self.seconds:.3g})")

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``(arrays, meta)`` for the disk cache: numeric arrays and JSON-able scalars (no pickling)."""
        arrays = {"depths": np.array(self.depths, dtype=np.int64), "betas": np.array(self.betas, dtype=np.float64)}
        arrays.update({name: getattr(self, name) for name in _GRID_TABLES})
        return arrays, {"format": GRID_FORMAT, "seconds": self.seconds}

    @classmethod
    def from_stored(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> "GridResult | None":
        """Inverse of :meth:`to_arrays`, or None for an entry of another layout (a miss)."""
        try:
            depths = tuple(int(v) for v in arrays["depths"])
            betas = tuple(float(v) for v in arrays["betas"])
            tables = [np.asarray(arrays[name], dtype=np.float64) for name in _GRID_TABLES]
            seconds = float(meta["seconds"])
        except (KeyError, TypeError, ValueError):
            return None
        if meta.get("format") != GRID_FORMAT or any(t.shape != (len(depths), len(betas)) for t in tables):
            return None
        return cls(depths, betas, *tables, seconds)


def _accuracy(net: ParallelReLUNet, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of ``X (n, d)`` where ``sign f`` equals the label ``y (n,)`` in {-1, +1}."""
    return float(np.mean(np.where(net.predict(X) >= 0, 1.0, -1.0) == y))


def _check_grid_data(X: Any, y: Any, X_test: Any, y_test: Any) -> tuple[np.ndarray, ...]:
    """``(X, y, X_test, y_test)`` as float64 arrays: labels in {-1, +1}, the same columns in both."""
    X_np, X_te = check_matrix(X, "X"), check_matrix(X_test, "X_test")
    y_np, y_te = check_targets(y, X_np.shape[0], "y"), check_targets(y_test, X_te.shape[0], "y_test")
    if not (_is_binary(y_np) and _is_binary(y_te)):
        raise InputError("y and y_test must be labels in {-1, +1} (accuracy is that of sign f)")
    if X_te.shape[1] != X_np.shape[1]:
        raise InputError(f"X_test must have {X_np.shape[1]} columns like X; got {X_te.shape[1]}")
    return X_np, y_np, X_te, y_te


def _train_grid(data: tuple[np.ndarray, ...], depths: tuple[int, ...], betas: tuple[float, ...], *, width: int,
                subnets: int, **options: Any) -> GridResult:
    """Train one network per ``(depth, beta)`` on ``data = (X, y, X_test, y_test)`` (``options`` go
    to :func:`train`) and measure its accuracies and best objective."""
    X_np, y_np, X_te, y_te = data
    shape = (len(depths), len(betas))
    train_acc, test_acc, objective = np.empty(shape), np.empty(shape), np.empty(shape)
    start = time.perf_counter()
    for i, depth in enumerate(depths):
        widths = (X_np.shape[1], *([width] * (depth - 2)), 1)
        for j, beta in enumerate(betas):
            result = train(ParallelReLUNet(widths, subnets, seed=options["seed"]), X_np, y_np, beta, **options)
            train_acc[i, j] = _accuracy(result.net, X_np, y_np)
            test_acc[i, j] = _accuracy(result.net, X_te, y_te)
            objective[i, j] = result.best_objective
    return GridResult(depths, betas, train_acc, test_acc, objective, time.perf_counter() - start)


def depth_beta_grid(
    X: Any,
    y: Any,
    depths: Any,
    betas: Any,
    *,
    X_test: Any,
    y_test: Any,
    width: int = 8,
    subnets: int = 16,
    steps: int = 300,
    lr: float = 1e-2,
    regularizer: str = "path",
    seed: int = 0,
    device: Any = "auto",
    progress: bool = True,
    cache: bool = True,
) -> GridResult:
    """Train one network per ``(depth, beta)`` on ``X, y`` (labels in {-1, +1}, bias column in X)
    and measure the accuracy of ``sign f`` on the training and the test data.

    Widths are ``(d, width, ..., width, 1)`` with ``depth - 2`` hidden layers of ``width``;
    every run uses ``subnets`` sub-networks, ``steps`` Adam steps and the same ``seed``. With
    ``cache=True`` the grid is stored on disk (:mod:`pathconvex_lab.cache`, folder ``grids``),
    keyed by a SHA-256 digest of the data and of every setting that changes the result, and a
    repeated call returns the stored grid; ``cache=False`` always trains and stores nothing.
    """
    data = _check_grid_data(X, y, X_test, y_test)
    depths = tuple(check_int(L, "depths[i]", minimum=2) for L in depths)
    betas = tuple(check_positive(b, "betas[i]") for b in betas)
    if not depths or not betas:
        raise InputError("depths and betas must each hold at least one value")
    options = dict(steps=steps, lr=lr, regularizer=regularizer, seed=seed, device=device, progress=progress,
                   record_every=max(1, steps // 20))
    if not cache:
        return _train_grid(data, depths, betas, width=width, subnets=subnets, **options)
    key = disk.hash_inputs(GRID_FORMAT, *data, list(depths), list(betas), width, subnets, steps, lr, regularizer, seed,
                           str(resolve_device(device)))  # threads and progress change the speed only
    stored = disk.load(GRID_CACHE_KIND, key)
    grid = None if stored is None else GridResult.from_stored(*stored)
    if grid is None:
        grid = _train_grid(data, depths, betas, width=width, subnets=subnets, **options)
        disk.save(GRID_CACHE_KIND, key, *grid.to_arrays())
    return grid
