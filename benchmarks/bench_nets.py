"""Benchmark of the batched parallel ReLU network (pathconvex_lab.nets).

1. Batched (bmm over all K sub-networks) vs a Python loop over K separate sub-networks:
   forward + backward of the path-regularized objective at K = 64, ratio measured side by side,
   at n = 100 (per-call overhead dominates: the teaching data sizes) and n = 1000 (arithmetic
   dominates on a CPU, so the ratio shrinks).
2. Training throughput of a depth-6, K = 64 network with Adam, full batch: steps/s and
   samples/s at n = 10^4 on CPU (n = 10^5 with ``--gpu`` on CUDA).

Usage: ``python benchmarks/bench_nets.py [--gpu] [--threads T] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from pathconvex_lab.nets import ParallelReLUNet
from pathconvex_lab.train import resolve_device, train


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time(fn, device: torch.device, repeat: int, warmup: int = 3) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def loop_objective(layers: list[list[torch.Tensor]], outs: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor,
                   beta: float) -> torch.Tensor:
    """The same objective with one sub-network at a time (the straightforward implementation)."""
    f = torch.zeros_like(y)
    R = torch.zeros((), dtype=y.dtype, device=y.device)
    for Ws, w in zip(layers, outs):
        h = X
        z = torch.ones(1, X.shape[1], dtype=y.dtype, device=y.device)
        for W in Ws:
            h = torch.relu(h @ W)
            z = z @ (W * W)
        f = f + h[:, 0] * w
        R = R + torch.sqrt(z[0, 0] * w * w)
    return 0.5 * ((f - y) ** 2).sum() + beta * R


def bench_batched_vs_loop(n: int, widths: tuple[int, ...], K: int, device: torch.device, repeat: int) -> dict:
    """Forward + backward time of the batched module vs the per-sub-network loop (same weights)."""
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.standard_normal((n, widths[0])), device=device)
    y = torch.as_tensor(rng.standard_normal(n), device=device)
    net = ParallelReLUNet(widths, K, device=device)
    arrays = net.to_numpy()
    layers = [[torch.tensor(W[k], device=device, requires_grad=True) for W in arrays["layers"]] for k in range(K)]
    outs = [torch.tensor(arrays["out"][k], device=device, requires_grad=True) for k in range(K)]
    check = abs(net.objective(X, y, 0.1).item() - loop_objective(layers, outs, X, y, 0.1).item())

    def batched():
        net.zero_grad(set_to_none=True)
        net.objective(X, y, 0.1).backward()

    def looped():
        for p in [*(W for Ws in layers for W in Ws), *outs]:
            p.grad = None
        loop_objective(layers, outs, X, y, 0.1).backward()

    t_batched = _time(batched, device, repeat)
    t_loop = _time(looped, device, repeat)
    return {"n": n, "widths": list(widths), "K": K, "batched_ms": 1e3 * t_batched, "loop_ms": 1e3 * t_loop,
            "speedup": t_loop / t_batched, "objective_abs_diff": check}


def bench_training(n: int, widths: tuple[int, ...], K: int, device: torch.device, dtype: torch.dtype,
                   steps: int) -> dict:
    """Adam steps per second (full batch, path regularizer) and samples per second."""
    rng = np.random.default_rng(1)
    X = torch.as_tensor(rng.standard_normal((n, widths[0])), device=device, dtype=dtype)
    y = torch.as_tensor(np.sign(rng.standard_normal(n)), device=device, dtype=dtype)
    net = ParallelReLUNet(widths, K, device=device, dtype=dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        net.objective(X, y, 0.1).backward()
        opt.step()

    seconds = _time(step, device, repeat=steps)
    return {"n": n, "widths": list(widths), "K": K, "dtype": str(dtype).replace("torch.", ""),
            "ms_per_step": 1e3 * seconds, "steps_per_s": 1.0 / seconds, "samples_per_s": n / seconds}


def bench_train_api(n: int, widths: tuple[int, ...], K: int, device: torch.device, dtype: torch.dtype,
                    steps: int) -> dict:
    """Steps per second of :func:`pathconvex_lab.train.train` itself (history every 10 steps)."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, widths[0]))
    y = np.sign(rng.standard_normal(n))
    net = ParallelReLUNet(widths, K, dtype=dtype)
    train(net, X, y, 0.1, steps=3, device=device, progress=False)  # warm-up
    result = train(net, X, y, 0.1, steps=steps, device=device, progress=False, record_every=10)
    return {"n": n, "widths": list(widths), "K": K, "dtype": str(dtype).replace("torch.", ""), "steps": steps,
            "steps_per_s": steps / result.seconds, "samples_per_s": n * steps / result.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpu", action="store_true", help="also time training on CUDA at n = 10^5 (float32)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--repeat", type=int, default=10, help="timed repetitions per measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    deep = (10, 16, 16, 16, 16, 1)  # depth 6
    report = {
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "batched_vs_loop_cpu_n100": bench_batched_vs_loop(100, (10, 16, 16, 1), 64, cpu, args.repeat),
        "batched_vs_loop_cpu_n1000": bench_batched_vs_loop(1000, (10, 16, 16, 1), 64, cpu, args.repeat),
        "train_cpu_float64": bench_training(10_000, deep, 64, cpu, torch.float64, args.repeat),
        "train_cpu_float32": bench_training(10_000, deep, 64, cpu, torch.float32, args.repeat),
    }
    report["train_api_cpu_float32"] = bench_train_api(10_000, deep, 64, cpu, torch.float32, args.repeat)
    if args.gpu:
        gpu = resolve_device("cuda")
        report["gpu"] = torch.cuda.get_device_name(gpu)
        report["batched_vs_loop_gpu"] = bench_batched_vs_loop(1000, (10, 16, 16, 1), 64, gpu, args.repeat)
        report["train_gpu_float32"] = bench_training(100_000, deep, 64, gpu, torch.float32, 10 * args.repeat)
        report["train_gpu_float64"] = bench_training(100_000, deep, 64, gpu, torch.float64, 10 * args.repeat)
        report["train_api_gpu_float32"] = bench_train_api(100_000, deep, 64, gpu, torch.float32, 300)
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
