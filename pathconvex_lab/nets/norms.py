"""The l2 path norm (docs/mathematics.md §4.1-§4.2), in numpy and batched in torch, and the chunked
batched products the networks use on CUDA."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .._validate import check_matrix
from ..errors import InputError


def path_norm(weights: Sequence[Any], biases: Sequence[Any] | None = None) -> float:
    """l2 path norm of ONE sub-network, docs/mathematics.md §4.2 (one pass, no path enumeration).

    ``weights = [W1 (d, m1), W2 (m1, m2), ..., W_{L-1} (m_{L-2}, m_{L-1}), w_L]`` where the output
    weights ``w_L`` have shape ``(m_{L-1},)`` or ``(m_{L-1}, 1)`` or are a scalar when
    ``m_{L-1} = 1``. Optional ``biases = [b1 (m1,), ..., b_{L-1} (m_{L-1},)]`` of the hidden layers.
    Returns ``sqrt(1^T W1^2 W2^2 ... W_{L-1}^2 w_L^2)`` (squares elementwise), where a bias adds
    ``b_l^2`` to the running row vector after layer ``l``. Every weight must be finite; the
    result is ``inf`` only where the true path norm lies beyond float64's range (about 1.8e308).
    """
    if len(weights) < 2:
        raise InputError(f"weights must hold at least W1 and the output weights (depth >= 2); got {len(weights)} array(s)")
    hidden = [check_matrix(W, f"weights[{i}]") for i, W in enumerate(weights[:-1])]
    if biases is not None and len(biases) != len(hidden):
        raise InputError(f"biases must hold one vector per hidden layer ({len(hidden)}); got {len(biases)}")
    z = np.ones(hidden[0].shape[0])
    for i, W in enumerate(hidden):
        if W.shape[0] != z.shape[0]:
            raise InputError(f"weights[{i}] must have {z.shape[0]} rows to follow the previous layer; got shape {W.shape}")
        z = z @ W**2
        if biases is not None:
            b = np.asarray(biases[i], dtype=np.float64).reshape(-1)
            if not np.all(np.isfinite(b)):
                raise InputError(f"biases[{i}] must be finite")
            if b.shape[0] != W.shape[1]:
                raise InputError(f"biases[{i}] must have {W.shape[1]} entries; got shape {np.shape(biases[i])}")
            z = z + b**2
    w_out = np.asarray(weights[-1], dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(w_out)):
        raise InputError("weights[-1] (output weights) must be finite")
    if w_out.shape[0] != z.shape[0]:
        raise InputError(f"weights[-1] (output weights) must have {z.shape[0]} entries; got shape {np.shape(weights[-1])}")
    return float(np.sqrt(z @ w_out**2))


class _SafeSqrt(torch.autograd.Function):
    """``sqrt`` whose gradient at 0 is 0 (a valid subgradient of the path norm there).

    The path norm's gradient stays bounded near 0 (|dR/dW| <= |w_L| sqrt(downstream)), so no
    ``eps`` smoothing is needed and reported values are exact.
    """

    @staticmethod
    def forward(ctx: Any, z: torch.Tensor) -> torch.Tensor:
        root = torch.sqrt(z)
        ctx.save_for_backward(root)
        return root

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (root,) = ctx.saved_tensors
        positive = root > 0
        return torch.where(positive, grad * 0.5 / torch.where(positive, root, torch.ones_like(root)), torch.zeros_like(grad))


def safe_sqrt(z: torch.Tensor) -> torch.Tensor:
    """Elementwise sqrt of a non-negative tensor with gradient 0 where ``z == 0`` (see :class:`_SafeSqrt`)."""
    return _SafeSqrt.apply(z)


def batched_path_norms(
    layers: Sequence[torch.Tensor], out: torch.Tensor, biases: Sequence[torch.Tensor] | None = None
) -> torch.Tensor:
    """Path norms ``R_k`` of ``K`` sub-networks at once (functional form, differentiable), ``(K,)``.

    ``layers[l]``: ``(K, m_{l-1}, m_l)`` with last ``m = 1``; ``out``: ``(K,)``; optional
    ``biases[l]``: ``(K, 1, m_l)``. A row of ones is pushed through the squared weights
    (``z <- z W^2 + b^2``) and ``R_k = sqrt(z_k * out_k^2)`` (docs/mathematics.md §4.2).
    """
    K, d = out.shape[0], layers[0].shape[1]
    z = torch.ones(K, 1, d, device=out.device, dtype=out.dtype)
    for i, W in enumerate(layers):
        z = torch.bmm(z, W * W)
        if biases is not None:
            z = z + biases[i] ** 2
    return safe_sqrt(z[:, 0, 0] * out**2)


GRAD_CHUNK_ROWS = 4096


def chunked_weight_grad(h: torch.Tensor, g: torch.Tensor, chunk: int) -> torch.Tensor:
    """``sum_i h[k, i, :]^T g[k, i, :]`` for every ``k``: ``h (K, n, m)``, ``g (K, n, p)`` -> ``(K, m, p)``.

    The long reduction over ``n`` is cut into chunks of ``chunk`` rows that are reduced in
    parallel and then summed (cuBLAS runs one small tile per sub-network otherwise). A shared
    input (``h`` expanded from ``(n, m)``, batch stride 0) is reduced as one product against
    all sub-networks' gradients at once.
    """
    K, n, m = h.shape
    p = g.shape[2]
    c = n // chunk
    if h.stride(0) == 0:  # the same X for every sub-network
        X, gp = h[0], g.permute(1, 0, 2).reshape(n, K * p)
        if c < 2:
            return (X.T @ gp).reshape(m, K, p).permute(1, 0, 2)
        full = c * chunk
        out = torch.bmm(X[:full].reshape(c, chunk, m).transpose(1, 2), gp[:full].reshape(c, chunk, K * p)).sum(0)
        out = out + X[full:].T @ gp[full:]
        return out.reshape(m, K, p).permute(1, 0, 2)
    if c < 2:
        return torch.bmm(h.transpose(1, 2), g)
    full = c * chunk
    hc = h[:, :full].reshape(K * c, chunk, m)
    gc = g[:, :full].reshape(K * c, chunk, p)
    out = torch.bmm(hc.transpose(1, 2), gc).reshape(K, c, m, p).sum(1)
    return out + torch.bmm(h[:, full:].transpose(1, 2), g[:, full:])


class _ChunkedBmm(torch.autograd.Function):
    """``bmm(h, W)`` whose weight gradient uses :func:`chunked_weight_grad` (for long ``n`` on CUDA)."""

    @staticmethod
    def forward(ctx: Any, h: torch.Tensor, W: torch.Tensor, chunk: int) -> torch.Tensor:
        ctx.save_for_backward(h, W)
        ctx.chunk = chunk
        return torch.bmm(h, W)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None, None]:
        h, W = ctx.saved_tensors
        grad_h = torch.bmm(g, W.transpose(1, 2)) if ctx.needs_input_grad[0] else None
        grad_W = chunked_weight_grad(h, g.contiguous(), ctx.chunk) if ctx.needs_input_grad[1] else None
        return grad_h, grad_W, None


def batched_matmul(h: torch.Tensor, W: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """``(K, n, m) @ (K, m, p)``; on CUDA with ``n >= 2 * chunk`` the weight gradient is chunked
    (``chunk=None``: :data:`GRAD_CHUNK_ROWS` on CUDA, plain ``bmm`` elsewhere)."""
    if chunk is None:
        chunk = GRAD_CHUNK_ROWS if h.is_cuda else 0
    if chunk <= 0 or h.shape[1] < 2 * chunk or not torch.is_grad_enabled():
        return torch.bmm(h, W)
    return _ChunkedBmm.apply(h, W, chunk)


__all__ = ["GRAD_CHUNK_ROWS", "batched_matmul", "batched_path_norms", "chunked_weight_grad", "path_norm", "safe_sqrt"]
