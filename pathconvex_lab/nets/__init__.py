"""Parallel ReLU networks and the one-pass l2 path norm (docs/mathematics.md §3.1, §4.1-§4.2).

A :class:`ParallelReLUNet` is a sum of ``K`` scalar-output ReLU sub-networks of depth ``L``::

    f(X) = sum_k h^(k)_{L-1}(X) * out[k],   h_0 = X,   h_l = relu(h_{l-1} W_lk (+ b_lk)),

with ``W_lk`` of shape ``(m_{l-1}, m_l)``, ``m_0 = d`` and ``m_{L-1} = 1``. All sub-networks are
evaluated together with batched matrix products (weights stored as ``(K, m_{l-1}, m_l)``), so
there is no Python loop over ``K``. Its regularizer is the l2 path norm
``R = sum_k sqrt(sum over paths of the product of squared weights)`` (Neyshabur's phi_2 per
sub-network), computed in one pass by pushing a vector of ones through the squared weights.

Devices are resolved at call time (:func:`resolve_device`); nothing here probes a GPU at import.
Files are written and read with ``numpy.savez`` / ``numpy.load(allow_pickle=False)`` plus JSON
metadata, so loading a file never executes code.
"""

from .devices import as_dtype, resolve_device, torch_threads
from .network import MAX_DEPTH, MAX_PARAMETERS, REGULARIZERS, ParallelReLUNet, network_objective
from .norms import (
    GRAD_CHUNK_ROWS,
    batched_matmul,
    batched_path_norms,
    chunked_weight_grad,
    path_norm,
    safe_sqrt,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_PARAMETERS",
    "GRAD_CHUNK_ROWS",
    "REGULARIZERS",
    "ParallelReLUNet",
    "as_dtype",
    "batched_matmul",
    "batched_path_norms",
    "chunked_weight_grad",
    "network_objective",
    "path_norm",
    "resolve_device",
    "safe_sqrt",
    "torch_threads",
]
