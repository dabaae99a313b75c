"""Nonconvex training of :class:`~pathconvex_lab.nets.ParallelReLUNet` (docs/mathematics.md §4.2).

:func:`train` minimizes ``0.5 ||f(X) - y||^2 + beta * R`` (``R`` = path norm or weight decay)
with Adam or SGD, full batch by default, on the device chosen at call time. It records a
history every ``record_every`` steps, shows progress with ``tqdm.auto``, can be stopped by a
``threading.Event``, by a callback returning ``False`` or by Ctrl-C, and always returns the best
recorded weights. :func:`train_restarts` repeats it over seeds, for comparing nonconvex optima
with the convex one.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ._validate import check_choice, check_int, check_matrix, check_positive, check_targets
from .errors import InputError
from .nets import REGULARIZERS, ParallelReLUNet, as_dtype, batched_path_norms, resolve_device, torch_threads

OPTIMIZERS = ("adam", "sgd")
#: Below this many activations per step (n * K * widest layer), CPU training uses one thread:
#: thread start-up then costs more than it saves (measured 3-10x slower with 2 threads on 2 busy cores).
SMALL_PROBLEM = 1_000_000
HISTORY_KEYS = ("step", "objective", "loss", "regularizer", "accuracy", "seconds")

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
    if not isinstance(net, ParallelReLUNet):
        raise InputError(f"net must be a ParallelReLUNet; got {type(net).__name__}")
    X_np = check_matrix(X, "X")
    y_np = check_targets(y, X_np.shape[0], "y")
    if X_np.shape[1] != net.widths[0]:
        raise InputError(
            f"X has {X_np.shape[1]} columns but the network expects widths[0]={net.widths[0]}"
            " (did you forget or double the bias column?)"
        )
    beta = check_positive(beta, "beta")
    steps = check_int(steps, "steps", minimum=0)
    lr = check_positive(lr, "lr")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_choice(regularizer, "regularizer", REGULARIZERS)
    record_every = check_int(record_every, "record_every", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    n = X_np.shape[0]
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n)
    if prox and regularizer != "path":
        raise InputError("prox=True needs regularizer='path' (the proximal step is on the path norm)")
    if callback is not None and not callable(callback):
        raise InputError(f"callback must be callable or None; got {callback!r}")
    if classification is None:
        classification = _is_binary(y_np)
    if threads is not None:
        threads = check_int(threads, "threads", minimum=1)

    dev = resolve_device(device)
    dt = as_dtype(dtype) if dtype is not None else net.dtype
    model = (net if inplace else copy.deepcopy(net)).to(device=dev, dtype=dt)
    Xt = torch.as_tensor(X_np, device=dev, dtype=dt)
    yt = torch.as_tensor(y_np, device=dev, dtype=dt)
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    scale = 1.0 if batch_size is None else n / batch_size

    if threads is None and dev.type == "cpu" and (batch_size or n) * model.num_subnets * max(model.widths) < SMALL_PROBLEM:
        threads = 1
    with torch_threads(threads if dev.type == "cpu" else None):
        return _run(model, Xt, yt, beta, steps=steps, opt=opt, gen=gen, scale=scale, regularizer=regularizer,
                    batch_size=batch_size, lr=lr, record_every=record_every, progress=progress, callback=callback,
                    stop_event=stop_event, prox=prox, classification=classification, dev=dev)


def _run(model: ParallelReLUNet, Xt: torch.Tensor, yt: torch.Tensor, beta: float, *, steps: int,
         opt: torch.optim.Optimizer, gen: torch.Generator, scale: float, regularizer: str, batch_size: int | None,
         lr: float, record_every: int, progress: bool, callback: Any, stop_event: Any, prox: bool,
         classification: bool, dev: torch.device) -> TrainResult:
    """The training loop of :func:`train` (arguments already checked and placed on ``dev``)."""
    n = Xt.shape[0]
    rec = _Recorder(model, Xt, yt, beta, regularizer, classification)
    initial = rec.record(0)
    stopped = False
    step = 0
    bar = _progress_bar(steps, progress)
    try:
        while step < steps:
            if stop_event is not None and stop_event.is_set():
                stopped = True
                break
            if batch_size is None:
                Xb, yb = Xt, yt
            else:
                idx = torch.randperm(n, generator=gen)[:batch_size].to(dev)
                Xb, yb = Xt[idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            _training_objective(model, Xb, yb, scale, beta, regularizer, prox).backward()
            opt.step()
            if prox:
                _prox_out_(model, lr, beta)
            step += 1
            if bar is not None:
                bar.update(1)
            if step % record_every == 0 or step == steps:
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
    if rec.history["step"][-1] != step:
        rec.record(step)
    final = rec.history["objective"][-1]
    if rec.best_state is not None:
        model.load_state_dict(rec.best_state)
    best_acc = rec.evaluate()[3]
    return TrainResult(
        net=model,
        history=rec.history,
        best_objective=rec.best_objective,
        initial_objective=initial,
        final_objective=final,
        device=str(dev),
        seconds=time.perf_counter() - rec.start,
        stopped=stopped,
        steps_run=step,
        beta=beta,
        regularizer=regularizer,
        accuracy=best_acc,
        best_step=rec.best_step,
    )


def _progress_bar(steps: int, enabled: bool):
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


@dataclass(frozen=True)
class GridResult:
    """Accuracies and objectives of :func:`depth_beta_grid`, each ``(len(depths), len(betas))``."""

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


_GRID_CACHE: dict[tuple, GridResult] = {}


def _accuracy(net: ParallelReLUNet, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.where(net.predict(X) >= 0, 1.0, -1.0) == y))


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
    ``cache=True`` a repeated call with the same data and settings returns the stored result.
    """
    X_np, X_te = check_matrix(X, "X"), check_matrix(X_test, "X_test")
    y_np, y_te = check_targets(y, X_np.shape[0], "y"), check_targets(y_test, X_te.shape[0], "y_test")
    if not (_is_binary(y_np) and _is_binary(y_te)):
        raise InputError("y and y_test must be labels in {-1, +1} (accuracy is that of sign f)")
    if X_te.shape[1] != X_np.shape[1]:
        raise InputError(f"X_test must have {X_np.shape[1]} columns like X; got {X_te.shape[1]}")
    depths = tuple(check_int(L, "depths[i]", minimum=2) for L in depths)
    betas = tuple(check_positive(b, "betas[i]") for b in betas)
    if not depths or not betas:
        raise InputError("depths and betas must each hold at least one value")
    settings = (width, subnets, steps, lr, regularizer, seed, str(resolve_device(device)))  # threads: speed only
    key = (depths, betas, settings, *(hash(a.tobytes()) for a in (X_np, y_np, X_te, y_te)))
    if cache and key in _GRID_CACHE:
        return _GRID_CACHE[key]
    shape = (len(depths), len(betas))
    train_acc, test_acc, objective = np.empty(shape), np.empty(shape), np.empty(shape)
    start = time.perf_counter()
    for i, depth in enumerate(depths):
        widths = (X_np.shape[1], *([width] * (depth - 2)), 1)
        for j, beta in enumerate(betas):
            net = ParallelReLUNet(widths, subnets, seed=seed)
            result = train(net, X_np, y_np, beta, steps=steps, lr=lr, regularizer=regularizer, seed=seed,
                           device=device, progress=progress, record_every=max(1, steps // 20))
            train_acc[i, j] = _accuracy(result.net, X_np, y_np)
            test_acc[i, j] = _accuracy(result.net, X_te, y_te)
            objective[i, j] = result.best_objective
    grid = GridResult(depths, betas, train_acc, test_acc, objective, time.perf_counter() - start)
    if cache:
        _GRID_CACHE[key] = grid
    return grid
