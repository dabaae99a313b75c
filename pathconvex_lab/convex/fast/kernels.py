"""Batched dense kernels of the Newton systems: Cholesky factors, inverses and products of many small
symmetric matrices at once, and the dense capacitance's products and factor.

Stacks of small matrices are stored *batch-last*, ``(k, k, ...)``. On the CPU, large batches of small
blocks go through column-by-column kernels vectorised over the batch (several times faster there
than LAPACK's per-matrix calls); elsewhere through torch's batched LAPACK routines.
"""

from __future__ import annotations

import math

import scipy.linalg.blas
import torch

from . import settings

Tensor = torch.Tensor


class FactorizationError(RuntimeError):
    """A Newton-system factorization failed (numerical breakdown)."""


def _use_vectorised_kernel(k: int, batch: int, device: torch.device) -> bool:
    """Whether ``batch`` matrices of order ``k`` go through the vectorised CPU kernels."""
    return device.type == "cpu" and k <= settings.SMALL_BLOCK and batch >= 2048


def _batch_size(A: Tensor) -> int:
    """Number of matrices in a batch-last stack ``(k, k, ...)``."""
    return math.prod(A.shape[2:])


def lapack_layout(A: Tensor) -> Tensor:
    """Batch-last ``(k, k, ...)`` to batch-first ``(..., k, k)`` (a view)."""
    return A.movedim((0, 1), (-2, -1))


def batch_last(A: Tensor) -> Tensor:
    """Batch-first ``(..., k, k)`` to a contiguous batch-last ``(k, k, ...)``."""
    return A.movedim((-2, -1), (0, 1)).contiguous()


def _lapack_cholesky(A: Tensor) -> Tensor:
    """Batch-first lower Cholesky factors ``(..., k, k)`` of a batch-last stack ``A (k, k, ...)``."""
    L, info = torch.linalg.cholesky_ex(lapack_layout(A))
    if bool((info != 0).any()):
        raise FactorizationError("a block matrix of the Newton system is not positive definite")
    return L


def cholesky(A: Tensor) -> Tensor:
    """Lower Cholesky factors of symmetric positive definite matrices stored batch-last ``(k, k, ...)``."""
    if _use_vectorised_kernel(A.shape[0], _batch_size(A), A.device):
        return _cholesky_batch_last(A)
    return batch_last(_lapack_cholesky(A))


def spd_inverse(A: Tensor) -> Tensor:
    """Inverses of symmetric positive definite matrices stored batch-last ``(k, k, ...)``."""
    if _use_vectorised_kernel(A.shape[0], _batch_size(A), A.device):
        return _inverse_from_cholesky_batch_last(_cholesky_batch_last(A))
    return batch_last(torch.cholesky_inverse(_lapack_cholesky(A)))


def _cholesky_batch_last(A: Tensor) -> Tensor:
    """Cholesky factors by columns, vectorised over the batch: ``A (k, k, ...) -> L (k, k, ...)``
    (in-place multiply-adds: no temporaries of the batch's size)."""
    k = A.shape[0]
    L = torch.zeros_like(A)
    for j in range(k):
        col = A[j:, j].clone()
        for i in range(j):
            col.addcmul_(L[j:, i], L[j, i], value=-1)
        if not bool((col[0] > 0).all()):
            raise FactorizationError("a block matrix of the Newton system is not positive definite")
        L[j:, j] = col.div_(col[0].sqrt())
    return L


def _inverse_from_cholesky_batch_last(L: Tensor) -> Tensor:
    """``(L L^T)^{-1} = M^T M`` with ``M = L^{-1}`` (row by row), batch-last ``(k, k, ...)``."""
    k = L.shape[0]
    M = torch.zeros_like(L)
    for i in range(k):
        M[i, i] = L[i, i].reciprocal()
        row = M[i, :i]
        for j in range(i):  # row i of M:  -(sum_j L_ij M_j) / L_ii, M_j zero beyond column j
            row[: j + 1].addcmul_(M[j, : j + 1], L[i, j])
        row.mul_(-M[i, i])
    inv = torch.empty_like(L)
    for a in range(k):
        row = M[a, a:] * M[a, a]
        for i in range(a + 1, k):
            row.addcmul_(M[i, a:], M[i, a])
        inv[a, a:] = row
        inv[a + 1 :, a] = row[1:]
    return inv


def block_matvec(A: Tensor, x: Tensor, transpose: bool = False) -> Tensor:
    """``A_b x_b`` (or ``A_b^T x_b``) for batch-last matrices ``A (k, k, ...)`` and batch-first vectors
    ``x (..., k)``: on the CPU one multiply-add per column over the whole batch; on a GPU one batched
    product (``k`` column kernels would each launch for a few microseconds of work)."""
    if x.device.type != "cpu":
        return _block_matvec_batched(A, x, transpose)
    xt = x.movedim(-1, 0)
    out = torch.zeros_like(xt)
    for j in range(A.shape[0]):
        column = A[j] if transpose else A[:, j]
        out.addcmul_(column, xt[j])
    return out.movedim(0, -1)


def _block_matvec_batched(A: Tensor, x: Tensor, transpose: bool = False) -> Tensor:
    """:func:`block_matvec` as one batched product (the GPU route)."""
    return torch.einsum("ji...,...j->...i" if transpose else "ij...,...j->...i", A, x)


def outer_gram(F: Tensor) -> Tensor:
    """``F F^T`` for ``F (n, N)``, or on the CPU only its lower triangle (BLAS ``syrk``: half the work of
    a general product; :func:`cholesky_dense` reads nothing else)."""
    if F.device.type != "cpu":
        return F @ F.T
    syrk = scipy.linalg.blas.dsyrk if F.dtype == torch.float64 else scipy.linalg.blas.ssyrk
    return torch.from_numpy(syrk(1.0, F.numpy().T, trans=1, lower=1))


def congruence(Q: Tensor, L: Tensor) -> Tensor:
    """``L^T Q L`` for ``Q (G p, G p)`` and block-diagonal ``L (G, p, p)``, in chunks of rows of ``Q``
    (:data:`~.settings.CHUNK_ENTRIES` entries each; no copy of ``Q``)."""
    G, p, _ = L.shape
    T = torch.empty_like(Q)
    step = max(1, int(settings.CHUNK_ENTRIES // (Q.shape[0] * p)))
    for g0 in range(0, G, step):
        g1 = min(G, g0 + step)
        rows = Q[g0 * p : g1 * p].reshape(-1, G, p)
        right = torch.einsum("mhb,hbc->mhc", rows, L).reshape(g1 - g0, p, G * p)  # (Q L)[rows]
        T[g0 * p : g1 * p] = torch.bmm(L[g0:g1].transpose(1, 2), right).reshape(-1, G * p)
    return T


def cholesky_dense(S: Tensor) -> Tensor:
    """Cholesky factor of ``I + S`` (``S`` symmetric PSD, read from its lower triangle only; ``I`` is
    added to ``S`` in place)."""
    S.diagonal().add_(1)
    L, info = torch.linalg.cholesky_ex(S)
    if int(info) != 0:
        raise FactorizationError("the capacitance matrix is not positive definite")
    return L


def shifted(A: Tensor, scale: float = 1.0) -> Tensor:
    """``A + scale * REGULARIZATION_EPS * eps * diag(A)`` for each matrix of a batch-last stack
    ``(k, k, ...)`` (a relative shift of each variable; ``eps`` the dtype's machine epsilon)."""
    out = A.clone()
    out.diagonal(dim1=0, dim2=1).mul_(1 + scale * settings.REGULARIZATION_EPS * torch.finfo(A.dtype).eps)
    return out
