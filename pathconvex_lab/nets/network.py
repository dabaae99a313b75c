"""The :class:`ParallelReLUNet` module, its pickle-free files, and an independent float64 objective."""

from __future__ import annotations

import itertools
import json
import os
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .._validate import (
    check_choice,
    check_int,
    check_matrix,
    check_positive,
    check_targets,
)
from ..errors import InputError
from .devices import as_dtype, resolve_device
from .norms import batched_matmul, batched_path_norms, path_norm

REGULARIZERS = ("path", "weight_decay")
_FORMAT = "pathconvex_lab.ParallelReLUNet"
_FORMAT_VERSION = 1


def _check_widths(widths: Any) -> tuple[int, ...]:
    try:
        ws = tuple(widths)
    except TypeError:
        raise InputError(f"widths must be a sequence (d, m1, ..., m_(L-1)) of positive integers; got {widths!r}") from None
    if len(ws) < 2:
        raise InputError(f"widths must have length >= 2 (depth L = len(widths) >= 2), e.g. (d, 1) or (d, m1, 1); got {ws}")
    out = tuple(check_int(w, f"widths[{i}]", minimum=1) for i, w in enumerate(ws))
    if out[-1] != 1:
        raise InputError(f"widths[-1] must be 1 (each sub-network has a scalar output, m_(L-1) = 1); got widths {out}")
    if len(out) > MAX_DEPTH:
        raise InputError(f"widths gives depth L = {len(out)}; at most {MAX_DEPTH} layers are supported (deeper "
                         "products of weights over- or underflow in float64)")
    return out


#: Deepest network the kit builds (a product of more weight matrices leaves float64's range).
MAX_DEPTH = 64
#: Largest parameter count a network may have (float64 with Adam's two moments and the gradient: 32 bytes each).
MAX_PARAMETERS = 100_000_000


def _check_parameter_count(widths: tuple[int, ...], K: int) -> None:
    """Refuse, before allocating, a network whose weights would not fit (:data:`MAX_PARAMETERS`)."""
    count = K * (sum(a * b for a, b in itertools.pairwise(widths)) + 1)
    if count > MAX_PARAMETERS:
        raise InputError(f"widths {widths[:3]}{'...' if len(widths) > 3 else ''} with num_subnets={K} give "
                         f"{count:,} parameters (about {32 * count / 1e9:,.0f} GB to train); at most "
                         f"{MAX_PARAMETERS:,} are allowed: use fewer sub-networks or narrower layers")


class ParallelReLUNet(torch.nn.Module):
    """f(X) = sum_k h^(k)_{L-1}(X) * out[k], h_0 = X, h_l = relu(h_{l-1} W_lk (+ b_lk)), docs/mathematics.md §4.1.

    Its parameters: ``layers`` (a ParameterList; layer ``l`` of shape ``(K, m_{l-1}, m_l)``), ``out``
    (``(K,)``), ``biases`` (a ParameterList of ``(K, 1, m_l)``; empty without ``hidden_bias``).

    Parameters
    ----------
    widths
        ``(d, m1, ..., m_{L-1})`` with ``m_{L-1} = 1``; depth ``L = len(widths)``.
        ``(d, 1)`` is a two-layer net with ``K`` hidden neurons; ``(d, m1, 1)`` the three-layer
        network of docs/mathematics.md §3.1.
    num_subnets
        ``K`` (0 gives the zero function).
    hidden_bias
        add a bias ``b_lk`` of shape ``(K, 1, m_l)`` to every hidden layer (the usual
        convention is instead a column of ones in ``X``).
    dtype, device
        where the parameters live (``device="auto"`` is resolved now).
    seed
        seeds the initialization (drawn on CPU in float64, so equal across devices).
    init_scale
        multiplies the He-normal hidden weights and the output weights ``N(0, 1/K)``.

    """

    def __init__(
        self,
        widths: Sequence[int],
        num_subnets: int,
        *,
        hidden_bias: bool = False,
        dtype: Any = torch.float64,
        device: Any = "cpu",
        seed: int = 0,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self._widths = _check_widths(widths)
        K = check_int(num_subnets, "num_subnets", minimum=0)
        _check_parameter_count(self._widths, K)
        seed = check_int(seed, "seed", minimum=0)
        init_scale = check_positive(init_scale, "init_scale")
        dt, dev = as_dtype(dtype), resolve_device(device)
        gen = torch.Generator().manual_seed(seed)
        layers = []
        for m_in, m_out in zip(self._widths[:-1], self._widths[1:]):
            W = torch.randn(K, m_in, m_out, generator=gen, dtype=torch.float64) * (init_scale * (2.0 / m_in) ** 0.5)
            layers.append(torch.nn.Parameter(W.to(device=dev, dtype=dt)))
        out = torch.randn(K, generator=gen, dtype=torch.float64) * (init_scale / max(K, 1) ** 0.5)
        self.layers = torch.nn.ParameterList(layers)
        self.out = torch.nn.Parameter(out.to(device=dev, dtype=dt))
        self.biases = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.zeros(K, 1, m, device=dev, dtype=dt)) for m in self._widths[1:]]
            if hidden_bias
            else []
        )

    # ----------------------------------------------------------------------- construction

    @classmethod
    def from_weights(
        cls,
        layers: Sequence[Any],
        out: Any,
        *,
        biases: Sequence[Any] | None = None,
        dtype: Any = torch.float64,
        device: Any = "cpu",
    ) -> ParallelReLUNet:
        """Build a network from arrays: ``layers[l]`` of shape ``(K, m_{l-1}, m_l)`` (last ``m = 1``),
        ``out`` of shape ``(K,)``, optional ``biases[l]`` of shape ``(K, 1, m_l)`` or ``(K, m_l)``."""
        if len(layers) < 1:
            raise InputError("layers must hold at least one array (K, d, 1)")
        arrs = [_as_array(W, f"layers[{i}]", ndim=3) for i, W in enumerate(layers)]
        w_out = _as_array(out, "out", ndim=1)
        K = w_out.shape[0]
        widths = [arrs[0].shape[1]]
        for i, W in enumerate(arrs):
            if W.shape[0] != K or W.shape[1] != widths[-1]:
                raise InputError(f"layers[{i}] must have shape ({K}, {widths[-1]}, m); got {W.shape}")
            widths.append(W.shape[2])
        net = cls(widths, K, hidden_bias=biases is not None, dtype=dtype, device=device)
        if biases is not None:
            if len(biases) != len(arrs):
                raise InputError(f"biases must hold one array per hidden layer ({len(arrs)}); got {len(biases)}")
            bs = []
            for i, (b, m) in enumerate(zip(biases, widths[1:])):
                b = np.asarray(b, dtype=np.float64)
                if b.size != K * m:
                    raise InputError(f"biases[{i}] must have shape ({K}, 1, {m}); got {b.shape}")
                bs.append(_as_array(b.reshape(K, 1, m), f"biases[{i}]", ndim=3))
        with torch.no_grad():
            for p, W in zip(net.layers, arrs):
                p.copy_(torch.as_tensor(W))
            net.out.copy_(torch.as_tensor(w_out))
            if biases is not None:
                for p, b in zip(net.biases, bs):
                    p.copy_(torch.as_tensor(b))
        return net

    # ----------------------------------------------------------------------- properties

    @property
    def widths(self) -> tuple[int, ...]:
        """``(d, m1, ..., m_{L-1})``."""
        return self._widths

    @property
    def depth(self) -> int:
        """``L = len(widths)`` (number of weight layers including the output weights)."""
        return len(self._widths)

    @property
    def num_subnets(self) -> int:
        """``K``."""
        return int(self.out.shape[0])

    @property
    def hidden_bias(self) -> bool:
        return len(self.biases) > 0

    @property
    def dtype(self) -> torch.dtype:
        return self.out.dtype

    @property
    def device(self) -> torch.device:
        return self.out.device

    # ----------------------------------------------------------------------- evaluation

    def _as_input(self, X: Any, name: str = "X") -> torch.Tensor:
        """Return ``X`` as a tensor ``(n, d)`` on this net's device and dtype (numpy is checked for NaN)."""
        if not isinstance(X, torch.Tensor):
            X = torch.as_tensor(check_matrix(X, name))
        if X.ndim != 2 or X.shape[1] != self._widths[0]:
            raise InputError(
                f"{name} must have shape (n, {self._widths[0]}) to match widths[0]={self._widths[0]}; got {tuple(X.shape)}"
            )
        return X.to(device=self.device, dtype=self.dtype)

    def _last_hidden(self, X: torch.Tensor) -> torch.Tensor:
        """Batched hidden pass: ``(n, d) -> (K, n)``, the scalar output of each sub-network before ``out``."""
        h = X.expand(self.num_subnets, -1, -1)  # (K, n, d), a view
        for i, W in enumerate(self.layers):
            # in-place relu is safe: the products' backward needs their inputs, not their outputs
            h = batched_matmul(h, W)
            h = (h + self.biases[i] if self.hidden_bias else h).relu_()
        return h[:, :, 0]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """``X (n, d) -> f(X) (n,)``."""
        X = self._as_input(X)
        return self.out @ self._last_hidden(X)

    def subnet_outputs(self, X: Any) -> torch.Tensor:
        """Each sub-network's contribution ``h^(k)_{L-1}(X) * out[k]``: ``(n, K)``; rows sum to ``f(X)``."""
        X = self._as_input(X)
        return (self._last_hidden(X) * self.out[:, None]).T

    def path_norms(self) -> torch.Tensor:
        """l2 path norm of each sub-network, ``(K,)`` (docs/mathematics.md §4.2), differentiable with gradient 0 at 0."""
        return batched_path_norms(list(self.layers), self.out, list(self.biases) if self.hidden_bias else None)

    def path_norm(self) -> torch.Tensor:
        """``R = sum_k R_k`` (0-d tensor)."""
        return self.path_norms().sum()

    def weight_decay(self) -> torch.Tensor:
        """``0.5 * sum of squares of all parameters`` (hidden weights, hidden biases, output weights)."""
        return 0.5 * sum((p * p).sum() for p in self.parameters())

    def regularizer(self, kind: str = "path") -> torch.Tensor:
        """``path_norm()`` for ``kind="path"``, ``weight_decay()`` for ``kind="weight_decay"``."""
        check_choice(kind, "regularizer", REGULARIZERS)
        return self.path_norm() if kind == "path" else self.weight_decay()

    def objective(self, X: Any, y: Any, beta: float, regularizer: str = "path") -> torch.Tensor:
        """``0.5 ||f(X) - y||^2 + beta * R`` with ``R`` the path norm or the weight decay (0-d tensor)."""
        beta = check_positive(beta, "beta")
        check_choice(regularizer, "regularizer", REGULARIZERS)
        X = self._as_input(X)
        if not isinstance(y, torch.Tensor):
            y = torch.as_tensor(check_targets(y, X.shape[0]))
        if y.shape != (X.shape[0],):
            raise InputError(f"y must have shape ({X.shape[0]},) (one entry per row of X); got {tuple(y.shape)}")
        y = y.to(device=self.device, dtype=self.dtype)
        residual = self(X) - y
        return 0.5 * (residual * residual).sum() + beta * self.regularizer(regularizer)

    def predict(self, X: Any) -> np.ndarray:
        """numpy ``X (n, d)`` -> float64 numpy ``f(X) (n,)``, without gradients."""
        X = check_matrix(X, "X")
        with torch.no_grad():
            return self(X).detach().cpu().to(torch.float64).numpy()

    def active_subnets(self, rtol: float = 1e-6) -> int:
        """Number of sub-networks with ``R_k > rtol * max_k R_k`` (0 for an all-zero net)."""
        with torch.no_grad():
            norms = self.path_norms()
            if norms.numel() == 0 or float(norms.max()) == 0.0:
                return 0
            return int((norms > rtol * norms.max()).sum())

    # ----------------------------------------------------------------------- pruning, I/O

    def prune(self, tol: float = 0.0) -> ParallelReLUNet:
        """A new network without the sub-networks whose path norm is ``<= tol`` (same function
        when ``tol = 0``: such sub-networks output exactly 0)."""
        if not isinstance(tol, (int, float)) or not np.isfinite(tol) or tol < 0:
            raise InputError(f"tol must be a finite number >= 0; got {tol!r}")
        with torch.no_grad():
            keep = (self.path_norms() > tol).cpu().numpy()
        arrays = self.to_numpy()
        return type(self).from_weights(
            [W[keep] for W in arrays["layers"]],
            arrays["out"][keep],
            biases=[b[keep] for b in arrays["biases"]] if self.hidden_bias else None,
            dtype=self.dtype,
            device=self.device,
        )

    def to_numpy(self) -> dict[str, Any]:
        """``{"layers": [(K, m_{l-1}, m_l)], "out": (K,), "biases": [(K, 1, m_l)]}`` as float64 numpy arrays."""

        def conv(p: torch.Tensor) -> np.ndarray:
            return p.detach().cpu().to(torch.float64).numpy().copy()

        return {
            "layers": [conv(W) for W in self.layers],
            "out": conv(self.out),
            "biases": [conv(b) for b in self.biases],
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the weights to ``path`` (an ``.npz`` archive of float arrays plus JSON metadata;
        no pickle). The exact ``path`` is used (no suffix is appended)."""
        arrays = self.to_numpy()
        meta = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "widths": list(self._widths),
            "num_subnets": self.num_subnets,
            "hidden_bias": self.hidden_bias,
            "dtype": str(self.dtype).replace("torch.", ""),
        }
        payload = {f"layer_{i}": W for i, W in enumerate(arrays["layers"])}
        payload.update({f"bias_{i}": b for i, b in enumerate(arrays["biases"])})
        payload["out"] = arrays["out"]
        payload["meta"] = np.array(json.dumps(meta))
        with open(path, "wb") as fh:
            np.savez(fh, **payload)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: Any = "cpu", dtype: Any = None) -> ParallelReLUNet:
        """Read a file written by :meth:`save`. Uses ``numpy.load(allow_pickle=False)``, so a
        file holding pickled objects is rejected with InputError and never executed."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise InputError(f"network file not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"][()]))
                if not isinstance(meta, dict):
                    raise InputError(f"{path}: not a {_FORMAT} file (its metadata is a JSON {type(meta).__name__})")
                if meta.get("format") != _FORMAT or meta.get("version") != _FORMAT_VERSION:
                    raise InputError(f"{path}: not a {_FORMAT} file (version {_FORMAT_VERSION}); metadata {meta}")
                depth = len(meta["widths"])
                layers = [archive[f"layer_{i}"] for i in range(depth - 1)]
                biases = [archive[f"bias_{i}"] for i in range(depth - 1)] if meta["hidden_bias"] else None
                out = archive["out"]
        except InputError:
            raise
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, json.JSONDecodeError, TypeError,
                IndexError, AttributeError) as exc:
            raise InputError(f"{path}: not a readable pickle-free network file ({type(exc).__name__}: {exc})") from None
        net = cls.from_weights(layers, out, biases=biases, dtype=dtype or meta["dtype"], device=device)
        if list(net.widths) != list(meta["widths"]):
            raise InputError(f"{path}: stored widths {meta['widths']} do not match the arrays {net.widths}")
        return net

    def __repr__(self) -> str:
        with torch.no_grad():
            R = float(self.path_norm()) if self.num_subnets else 0.0
        return (
            f"ParallelReLUNet(depth={self.depth}, widths={self._widths}, K={self.num_subnets}, "
            f"active={self.active_subnets()}, path_norm={R:.6g}, hidden_bias={self.hidden_bias}, "
            f"dtype={str(self.dtype).replace('torch.', '')}, device={self.device})"
        )


def _as_array(a: Any, name: str, *, ndim: int) -> np.ndarray:
    """``a`` (numpy or tensor) as a finite float64 array with ``ndim`` dimensions."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().to(torch.float64).numpy()
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a numeric array; got {type(a).__name__}") from None
    if arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} must be finite")
    return arr


# --------------------------------------------------------------------------- float64 numpy check


def network_objective(net: ParallelReLUNet, X: Any, y: Any, beta: float, regularizer: str = "path") -> float:
    """``0.5 ||f(X) - y||^2 + beta * R`` evaluated independently in float64 numpy.

    Mirrors :meth:`ParallelReLUNet.objective` without torch (a per-sub-network loop using
    :func:`path_norm`), so it doubles as a cross-check of the batched implementation.
    """
    beta = check_positive(beta, "beta")
    check_choice(regularizer, "regularizer", REGULARIZERS)
    X = check_matrix(X, "X")
    y = check_targets(y, X.shape[0])
    if X.shape[1] != net.widths[0]:
        raise InputError(f"X must have {net.widths[0]} columns to match the network's widths[0]; got {X.shape[1]}")
    arrays = net.to_numpy()
    f = np.zeros(X.shape[0])
    R = 0.0
    for k in range(net.num_subnets):
        h = X
        for i, W in enumerate(arrays["layers"]):
            h = h @ W[k]
            if net.hidden_bias:
                h = h + arrays["biases"][i][k]
            h = np.maximum(h, 0.0)
        f += h[:, 0] * arrays["out"][k]
        if regularizer == "path":
            R += path_norm(
                [W[k] for W in arrays["layers"]] + [arrays["out"][k]],
                [b[k, 0] for b in arrays["biases"]] if net.hidden_bias else None,
            )
    if regularizer == "weight_decay":
        R = 0.5 * sum(float((a**2).sum()) for a in [*arrays["layers"], *arrays["biases"], arrays["out"]])
    return float(0.5 * np.sum((f - y) ** 2) + beta * R)


__all__ = ["REGULARIZERS", "ParallelReLUNet", "network_objective"]
