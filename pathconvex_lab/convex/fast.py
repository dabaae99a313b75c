"""A fast torch solver for the group programs of docs/mathematics.md §2 and §3.5 (issue 7).

The program, over blocks ``V_g^s`` (``d x m1``) for groups ``g = 1..G`` and output signs ``s = ±1``::

    min  1/2 || sum_{g,s} s M_g V_g^s - y ||^2 + beta sum_{g,s} ||V_g^s||_F
    s.t. (2 D1_gj - 1) * X v_j >= 0  (every j),   (2 D2_g - 1) * h_g(V) >= 0,
    h_g(V) = sum_j sigma_gj D1_gj * X v_j,   M_g V = D2_g * h_g(V).

Two layers (docs/mathematics.md §2) are the case ``m1 = 1``, ``sigma = +1``, ``D2 = D1``.

Method: a primal-dual interior-point method (Mehrotra predictor-corrector with Nesterov-Todd
scaling, the scheme of CVXOPT's ``coneqp``, Vandenberghe 2010) that exploits the structure:

* each block has an epigraph variable ``t_b >= ||V_b||_F`` (one second-order cone, size
  ``k = d m1 + 1``) and a polyhedral cone of ``q = n m1 (+ n)`` rows;
* the Newton matrix is ``A^T A + blockdiag(H_b)``: the scaled barrier Hessians ``H_b`` are
  ``k x k`` and independent across blocks; the loss couples blocks only through the ``n``-vector
  ``A x``. We invert all ``H_b`` at once (batched) and apply the Woodbury identity with the
  ``n x n`` capacitance ``S = I + sum_g A_g K_g A_g^T`` (the two signs of a group share ``A_g``
  up to sign, so ``K_g`` sums their inverses), or, when ``G d m1 < n``, its ``(G d m1)``-sized twin
  built from the constant ``A^T A`` (computed once); a few steps of GMRES preconditioned by this
  solve keep the Newton directions accurate when the barrier makes the blocks ill-conditioned.
  Where that dense capacitance does not fit in memory (``linear_solver="iterative"``, or "auto"),
  the Newton systems are solved by restarted GMRES preconditioned group by group (each group's
  blocks with its own ``M_g^T M_g``, plus the exact coupling of the most coupled groups): memory
  ``O(n G)``, several times slower where the dense solve fits;
* every product with ``X`` is one matmul over all blocks at once (``M_g`` is never formed: it is
  ``X`` masked by the group's patterns); there is no loop over groups. On the CPU, large batches of
  small blocks are factorized by column-by-column kernels vectorised over the batch (batch-last
  storage), which beat LAPACK's per-matrix calls several times over; on a GPU, block products are
  one batched product each;
* where the dense capacitance is large (its factorization then dominates a step), Gondzio's
  centrality corrector re-centres the few cone rows that would stop the step early;
* a working set ("shrinking"): groups whose blocks are nearly zero and strictly inside the dual
  constraint leave the Newton system once the gap is moderate; the result is still certified over
  all groups (a left-out group keeps its last cone multipliers, which still give a valid bound), and
  groups found violated come back;
* a facet presolve: given realizing first-layer weights (``directions``; every ``Groups`` and
  ``Patterns`` object carries them) and data of at most ``FACET_MAX_DIM + 1`` columns, the cone rows
  implied by the others are left out (exact convex hulls by qhull: a chamber of 60 points in the
  plane keeps about 4 of its 60 rows) and the rest are stored per block as explicit small matrices;
  the answer is then checked against every row (and solved again with all of them if one is
  violated).

Measured (benchmarks/README.md, 2 shared CPU cores): B1 n=500, d=10, P=128 to a certified 1e-6 in about
0.8-1 s on one thread (CLARABEL about 40-50 s); B2 (16,160 groups) in about 1.5-2.5 s (CLARABEL about
60 s); the iteration count grows with size (about 15-35 at these sizes, 50 at n = 5000, d = 50,
P = 64, and 100 to a 1e-4 gap at n = 1e5, d = 50, P = 1024: 126 s on an H200, steps of 1.5-1.7 s
over all 1,024 groups and 0.8 s over the 766 of the working set, after 10 s to form ``M^T M``; the
goal of seconds there is missed, see benchmarks/README.md).
Warm starts save about a third of the Newton steps on two-layer regularization paths, and
nothing measurable on three-layer programs. float32 stalls at gaps of about 1e-2 and says so.
Threads: small problems run on one thread (see :data:`MULTITHREAD_ROWS`).

Why not a first-order method (augmented Lagrangian + FISTA, as in pyscnn): the accuracy asked for
(relative gap and violation ``1e-6``) is where first-order methods on cone-constrained group lasso
crawl (benchmarks/README.md: pyscnn does not reach ``1e-4`` in 300 s at B1), whereas an interior-point
method reaches it in 15-40 Newton steps whose cost here is a few matmuls.

Stopping rule (docs/mathematics.md §3.7): at each iterate ``V`` with residual ``r = y - f(V)`` we build a dual
feasible point ``lambda = tau r``. The dual constraint needs, per block, an upper bound on
``max{(A_b^T r) . W : W in C_b, ||W||_F <= 1}``. For any ``mu >= 0``,
``||A_b^T r + theta G_b^T mu||`` (``theta >= 0``) is such a bound, because ``(G_b^T mu) . W >= 0`` on the
cone. We use the solver's own cone multipliers ``mu`` (optimal ``theta`` in closed form, which
includes the cone-free bound ``||A_b^T r||`` at ``theta = 0``); at the optimum this bound is tight, so
the certificate is exact in the limit, not merely sufficient. Then
``tau = clip(min(beta / sigma_hat, r.y / ||r||^2), 0)``, dual value ``tau r.y - tau^2 ||r||^2 / 2``,
and the relative gap is ``(P - D) / P``. Together with the relative violation
``max violation / max |X v|`` this decides ``status = "optimal"``.

Public API: :func:`solve_group_program_fast`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.spatial
import torch

from .._validate import check_choice, check_int, check_matrix, check_positive, check_targets
from ..errors import InputError, ProblemTooLargeError, SolverError
from ..nets import torch_threads

__all__ = ["resolve_device", "solve_group_program_fast"]

#: Fraction of the step to the cone boundary taken by the combined (corrector) step.
STEP_FRACTION = 0.99
#: Relative diagonal shift of each block Hessian before its Cholesky factorization, in units of the
#: dtype's machine epsilon (1e-13 in float64); a step whose factorization breaks down anyway is
#: tried once more with the shift REGULARIZATION_RETRY times larger (GMRES refinement against the
#: unshifted matrix removes its effect). Seen once: B1 data n = 1e5, d = 10, P = 32 started from
#: slacks of 1 broke down at a gap of 2e-4; the retry solves it.
REGULARIZATION_EPS = 450
REGULARIZATION_RETRY = 1e4
#: Preconditioned GMRES steps allowed per Newton solve, and the relative residual that stops them.
MAX_REFINEMENTS = 4
REFINE_TOL_SQRT_EPS = 1e-2  # times sqrt(machine epsilon): 1.5e-10 in float64
#: Blocks of at most this size, in batches of at least 2048, use the vectorised CPU factorization.
SMALL_BLOCK = 8
#: Cold start (unit data): V = 0, every slack, epigraph variable and multiplier equal to this, or to
#: the scaled beta where that is larger. Measured on one CPU thread (2026-11-27), Newton steps with
#: the start 0.1 -> max(0.1, beta): B1 data n = 2e4, d = 20, P = 64 (beta 1.9): 50 -> 41; n = 5e4,
#: d = 10, P = 32 (5.5): 49 -> 37; n = 1e5, d = 10, P = 32 (11.1): 51 -> 36; unchanged below beta 0.1
#: (B1 (500, 10, 128): 32; B2: 14); n = 5000, d = 50, P = 64 (0.42): 50 -> 53. Mostly the cone rows'
#: slacks and multipliers matter (starting only the second-order cones at beta: 50 -> 49).
START_SLACK = 0.1
#: Warm start: margin added to the given point's cone rows and norms.
WARM_MARGIN = 1e-2
#: Stall: in the last STALL_ITERATIONS iterations neither max(gap, violation, primal and dual
#: residuals) nor mu (while above MU_FLOOR times its start) went below STALL_FACTOR times its value
#: just before them. (Measured against that value, not the best so far: from a cold start mu first
#: rises, 1000-fold at B1 data n = 1e5, d = 10, P = 32, and then falls steadily while the gap is still
#: near 1; compared with the start's small mu that read as a stall at iteration 30.)
STALL_FACTOR = 0.9
STALL_ITERATIONS = 10
MU_FLOOR = 1e-14
#: In float64, a stall with certified gap and violation below this is reported as "precision_limit"
#: (the cones' boundaries are then resolved to about machine precision), not raised.
PRECISION_FLOOR = 1e-7
#: Working set ("shrinking"): once the certified gap is at most SHRINK_GAP, groups whose blocks are
#: nearly zero (norm <= SHRINK_NORM times the largest) leave the Newton system, when at least
#: SHRINK_FRACTION of the working groups qualify and the problem has at least SHRINK_MIN_GROUPS
#: groups (once a solve). The result is still certified over all groups, and groups it finds
#: violated come back. No test on the dual bound: with many points every group's bound is within 1%
#: of the largest (B1 data n = 10^4, d = 10, P = 256: 250 of 256 groups to the end, though 143 go
#: to zero), so such a test kept every group. One thread: B2 (16,160 groups) down to 608 at
#: iteration 11 of 13, 1.5 s (1.8 s with the bound test); B1 data n = 10^4, d = 10, P = 256 down to
#: 176 at iteration 31 of 60, 77 s instead of 106 s.
SHRINK_GAP = 0.1
SHRINK_NORM = 1e-2
SHRINK_FRACTION = 0.25
SHRINK_MIN_GROUPS = 256
#: Accelerated projected-gradient steps that sharpen a left-out group's multipliers (its bound
#: ``min_{mu >= 0} ||c + G^T mu||`` is the exact support value) before the group is brought back.
MULTIPLIER_STEPS = 300
#: Facet presolve (when realizing ``directions`` are given): first-layer cone rows implied by the
#: others are left out, computed exactly by convex hulls in up to FACET_MAX_DIM dimensions (the
#: data's d - 1); rows with a_i . u <= FACET_TIGHT |a_i| |u| count as tight and stay. Used when it keeps
#: at most FACET_GAIN of the rows; the answer is checked against every row afterwards.
FACET_MAX_DIM = 6
FACET_TIGHT = 1e-9
FACET_GAIN = 0.5
#: Facet sets kept in memory (per data set and pattern) for repeated solves (paths, widgets).
FACET_CACHE_SIZE = 200_000
_FACET_CACHE: dict[tuple[str, bytes], np.ndarray] = {}
#: Memory the solver may plan to use on the CPU (on CUDA: 90% of the free device memory).
CPU_MEMORY_BUDGET = 8 * 2**30
#: With ``threads=None`` on the CPU, problems with fewer cone-row entries (2 G q) than this run on one
#: torch thread, larger ones on torch's setting. On 2 shared cores (2026-11-26), a second thread
#: made B1 (128k entries; batches of a few hundred blocks) 2.2x slower and DS1 m1 = 3 (368k) 1.1x
#: slower, and B2 (776k) 1.5x faster: small tensors pay more for waking threads than they gain.
MULTITHREAD_ROWS = 500_000
#: Entries of the data-row chunks used to accumulate M^T M.
CHUNK_ENTRIES = 5e7
#: Iterative Newton solves (``linear_solver="iterative"``, and "auto" when the dense capacitance does
#: not fit in memory): Krylov steps allowed per solve, GMRES restart length, variables of the groups
#: whose mutual coupling the preconditioner keeps exactly, the corrector's relative residual (tighter
#: when the dual residual asks for it) and the predictor's (it only sets the centring). Measured on
#: one CPU thread (2026-11-27, B1 data n = 4000, d = 10, P = 256): the same Newton steps as the dense
#: solver, but 150-250 Krylov steps each, about 6 s a step against 0.7 s (the dense solve: 54 steps,
#: 39 s); preconditioning by the groups alone (no coupling kept) took about 370 steps a solve, and
#: looser corrector tolerances (1e-7, 1e-5) cost more Newton steps than they saved. So it is the
#: memory fallback, not the fast path.
KRYLOV_MAX_ITER = 500
KRYLOV_RESTART = 100
KRYLOV_DENSE_SIZE = 2048
KRYLOV_TOL = 1e-10
KRYLOV_TOL_PREDICTOR = 1e-3
#: Gondzio's centrality corrector (at most CORRECTORS of them) on the cone rows, used when the dense
#: capacitance has at least CORRECTOR_MIN_SIZE rows, where its factorization costs far more than the
#: corrector's extra solve: the complementarity products at the trial step ``alpha + CORRECTOR_GAIN``
#: are pulled into ``[CORRECTOR_LOW, CORRECTOR_HIGH] sigma mu`` and the corrected direction is kept
#: when its step grows by at least CORRECTOR_ACCEPT times the gain. The step length is limited by a
#: handful of the cone rows (1-10 of 256k at B1 data n = 2000, d = 20, P = 64). Measured on one CPU
#: thread (2026-11-27): B1 data n = 5000, d = 50, P = 64 (capacitance 3,264): 50 -> 44 Newton steps
#: (to 1e-4: 47 -> 39) at about the same time; B1 (500, 10, 128): 32 -> 27 steps but 17% slower
#: (small capacitances factorize in about the time of a solve), hence the size threshold. On an H200
#: (B1 data n = 1e5, d = 50, P = 1024, capacitance 52,224): about 11% fewer steps (gap 0.5 at step
#: 25 instead of 29, 0.13 at 33 instead of 37) for 7% more time a step.
CORRECTORS = 1
CORRECTOR_MIN_SIZE = 8192
CORRECTOR_GAIN = 0.2
CORRECTOR_LOW = 0.1
CORRECTOR_HIGH = 10.0
CORRECTOR_ACCEPT = 0.1
Tensor = torch.Tensor


# --------------------------------------------------------------------------- devices and inputs


def resolve_device(device: str | torch.device, dtype: torch.dtype) -> torch.device:
    """Resolve ``device`` at call time: ``"auto"`` picks CUDA, then MPS (float32 only), then CPU."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise InputError(f"device must be 'auto', 'cpu', 'cuda', 'mps' or a torch.device; got {device!r}")
    if device != "auto":
        try:
            return torch.device(device)
        except RuntimeError as exc:
            raise InputError(
                f"device must be 'auto', 'cpu', 'cuda', 'mps' or a torch.device; got {device!r} ({exc})"
            ) from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if dtype != torch.float64 and mps is not None and mps.is_available():
        return torch.device("mps")  # MPS has no float64
    return torch.device("cpu")


def _check_groups(D1: Any, sigma: Any, D2: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate ``D1`` bool ``(G, m1, n)`` (``(G, n)`` is read as ``m1 = 1``), ``sigma`` ±1 ``(G, m1)``,
    ``D2`` bool ``(G, n)``."""
    D1 = np.asarray(D1)
    if D1.ndim == 2:
        D1 = D1[:, None, :]
    if D1.ndim != 3 or D1.shape[2] != n or D1.shape[0] < 1 or D1.shape[1] < 1:
        raise InputError(f"D1 must be a boolean array of shape (G, m1, n) with n={n}; got shape {D1.shape}")
    G, m1, _ = D1.shape
    try:
        sigma = np.asarray(sigma, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"sigma must be a numeric array of ±1 of shape (G, m1)=({G}, {m1})") from None
    if sigma.shape == (G,) and m1 == 1:
        sigma = sigma[:, None]
    if sigma.shape != (G, m1) or not np.all(np.abs(sigma) == 1):
        raise InputError(f"sigma must be an array of ±1 of shape (G, m1)=({G}, {m1}); got shape {np.shape(sigma)}")
    D2 = np.asarray(D2)
    if D2.shape != (G, n):
        raise InputError(f"D2 must be a boolean array of shape (G, n)=({G}, {n}); got shape {D2.shape}")
    for name, arr in (("D1", D1), ("D2", D2)):
        if arr.dtype != bool and not np.all((arr == 0) | (arr == 1)):
            raise InputError(f"{name} must hold booleans (or 0/1); found other values")
    return D1.astype(bool), sigma.astype(np.float64), D2.astype(bool)


# --------------------------------------------------------------------------- linear maps


@dataclass
class _Maps:
    """The linear maps of the program for all blocks at once (data scaled to unit size).

    Shapes: ``X (n, d)``; ``XX (n, d*d)`` rows ``x_i x_i^T``; ``C (G, m1, n)`` loss masks
    ``D2 sigma_j D1_j``; ``E1 (G, m1, n)`` first-layer row signs ``2 D1 - 1`` (0 on rows dropped as
    identically zero); ``S2 (G, m1, n) = sigma_j D1_j``, ``S2S2 (G, m1, m1, n)`` its pairwise products and
    ``E2 (G, n) = 2 D2 - 1`` (0 on dropped rows) for the second-layer rows, all ``None`` when every
    second-layer row is zero or implied by the first-layer rows (always so for two layers);
    ``dummy (G, q)`` is 1 on dropped rows, which become the harmless constraint ``s = 1 >= 0``.
    A block variable ``V`` has shape ``(2, G, m1, d)`` (index 0 is ``s = +1``), flattened ``j``-major
    to ``p = m1 d``. With ``A (G, r, p)`` set (:func:`_facet_maps`), the cone rows are instead the rows
    of ``A`` (a reduced set; zero rows are padding, ``dummy (G, r)``), and ``E1``, ``S2``, ``E2`` are
    not used for them.
    """

    X: Tensor
    XX: Tensor
    y: Tensor
    beta: float
    C: Tensor
    E1: Tensor
    S2: Tensor | None
    S2S2: Tensor | None
    E2: Tensor | None
    dummy: Tensor
    A: Tensor | None = None

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """``(n, d, G, m1)``."""
        G, m1, n = self.C.shape
        return n, self.X.shape[1], G, m1

    def subset(self, idx: Tensor) -> _Maps:
        """The maps of the groups ``idx`` only."""
        pick = lambda t: None if t is None else t.index_select(0, idx)  # noqa: E731
        return _Maps(self.X, self.XX, self.y, self.beta, pick(self.C), pick(self.E1), pick(self.S2),
                     pick(self.S2S2), pick(self.E2), pick(self.dummy), pick(self.A))

    def xv(self, V: Tensor) -> Tensor:
        """``X v_j`` for every block and column: ``(2, G, m1, d) -> (2, G, m1, n)`` (one matmul)."""
        n, d, G, m1 = self.sizes
        return (V.reshape(-1, d) @ self.X.T).reshape(2, G, m1, n)

    def output(self, XV: Tensor) -> Tensor:
        """Network output ``sum_{g,s} s M_g V_g^s`` from ``X V``: ``(2, G, m1, n) -> (n,)``."""
        return ((XV[0] - XV[1]) * self.C).sum((0, 1))

    def output_adjoint(self, r: Tensor) -> Tensor:
        """``M_g^T r`` for every group: ``(n,) -> (G, m1, d)`` (the ``s = -1`` block gets the minus); one
        matmul of the masks with ``r``-weighted rows (no ``(G, n)`` temporary: half the memory traffic)."""
        n, d, G, m1 = self.sizes
        return (self.C.reshape(-1, n) @ (r.unsqueeze(1) * self.X)).reshape(G, m1, d)

    def rows(self, V: Tensor, XV: Tensor) -> Tensor:
        """Cone rows ``G_b V_b`` (must be ``>= 0``) of blocks ``V (2, G, m1, d)`` with ``XV = xv(V)``:
        ``-> (2, G, q)``."""
        n, _d, G, m1 = self.sizes
        if self.A is not None:
            return (self.A * V.reshape(2, G, 1, -1)).sum(-1)
        first = (XV * self.E1).reshape(2, G, m1 * n)
        if self.E2 is None:
            return first
        second = (XV * self.S2).sum(2).mul_(self.E2)
        return torch.cat([first, second], dim=-1)

    def rows_adjoint(self, w: Tensor) -> Tensor:
        """``G_b^T w_b``: ``(2, G, q) -> (2, G, m1, d)`` (one matmul)."""
        n, d, G, m1 = self.sizes
        if self.A is not None:
            return (self.A * w.unsqueeze(-1)).sum(-2).reshape(2, G, m1, d)
        w1 = w[..., : m1 * n].reshape(2, G, m1, n) * self.E1
        if self.E2 is not None:
            w1.addcmul_((w[..., m1 * n :] * self.E2).unsqueeze(2), self.S2)
        return (w1.reshape(-1, n) @ self.X).reshape(2, G, m1, d)

    def row_gram(self, w: Tensor) -> Tensor:
        """``G_b^T diag(w_b) G_b`` for every block: ``(2, G, q) -> (2, G, p, p)`` (one matmul)."""
        n, d, G, m1 = self.sizes
        if self.A is not None:
            return (self.A * w.unsqueeze(-1)).transpose(-1, -2) @ self.A
        w1 = w[..., : m1 * n].reshape(2, G, m1, n) * self.E1.square()
        if self.E2 is None and m1 == 1:
            weights = w1
        else:
            weights = w.new_zeros(2, G, m1, m1, n)
            if self.E2 is not None:
                weights.addcmul_((w[..., m1 * n :] * self.E2.square())[:, :, None, None, :], self.S2S2)
            weights.diagonal(dim1=2, dim2=3).add_(w1.transpose(-1, -2))
        grams = (weights.reshape(-1, n) @ self.XX).reshape(2, G, m1, m1, d, d)
        return grams.permute(0, 1, 2, 4, 3, 5).reshape(2, G, m1 * d, m1 * d)

    def loss(self, W: Tensor) -> Tensor:
        """``sum_g M_g w_g`` for one sign's blocks ``W (G, p)``: ``-> (n,)``, as ``x_i . (sum_g C_gi w_g)``
        (one matmul of the masks with ``W``; no ``(G, n)`` temporary)."""
        n, d, G, m1 = self.sizes
        return (self.X * (self.C.reshape(-1, n).T @ W.reshape(-1, d))).sum(1)

    def masked_product(self, L: Tensor) -> Tensor:
        """``F = [M_1 L_1 .. M_G L_G]`` for batch-last ``L (p, p, G)``, as an ``(n, p G)`` matrix (columns
        in an order of their own): ``M_g = sum_j C_gj X`` on the ``j``-th row block of ``L_g``, so ``F`` is
        ``m1`` matrix products ``X L`` masked by ``C``."""
        n, d, G, m1 = self.sizes
        p = m1 * d
        rows = L.reshape(m1, d, p * G)
        F = (self.X @ rows[0]).reshape(n, p, G).mul_(self.C[:, 0].T.unsqueeze(1))
        for j in range(1, m1):
            F.addcmul_((self.X @ rows[j]).reshape(n, p, G), self.C[:, j].T.unsqueeze(1))
        return F.reshape(n, p * G)

    def group_gram(self) -> Tensor:
        """``M_g^T M_g`` for every group, batch-last ``(p, p, G)`` (one matmul with the rows ``x_i x_i^T``)."""
        n, d, G, m1 = self.sizes
        weights = (self.C.unsqueeze(2) * self.C.unsqueeze(1)).reshape(-1, n)  # (G m1 m1, n)
        grams = (weights @ self.XX).reshape(G, m1, m1, d, d).permute(0, 1, 3, 2, 4)
        return _batch_last(grams.reshape(G, m1 * d, m1 * d))

    def loss_gram(self) -> Tensor:
        """``Q = [M_g^T M_h]_{g,h}``, shape ``(G p, G p)``, accumulated over chunks of data rows."""
        n, d, G, m1 = self.sizes
        Gp = G * m1 * d
        Q = self.X.new_zeros(Gp, Gp)
        rows = max(1, int(CHUNK_ENTRIES // Gp))
        for i in range(0, n, rows):
            chunk = self.C[:, :, i : i + rows].permute(2, 0, 1).unsqueeze(-1) * self.X[i : i + rows, None, None, :]
            chunk = chunk.reshape(-1, Gp)
            Q.addmm_(chunk.T, chunk)
        return Q


def _build_maps(X: Tensor, y: Tensor, beta: float, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> _Maps:
    """Masks of :class:`_Maps` from the groups, dropping rows that are zero or implied by others.

    A second-layer row ``(2 D2_i - 1) h_i >= 0`` is implied by the first-layer rows when every neuron
    active at ``i`` has ``sigma_j = 2 D2_i - 1`` (then each term of ``h_i`` already has the right sign);
    for two layers (``m1 = 1``, ``sigma = 1``, ``D2 = D1``) this drops them all.
    """
    to = {"device": X.device, "dtype": X.dtype}
    D1t, D2t = torch.as_tensor(D1, device=X.device), torch.as_tensor(D2, device=X.device)
    sig = torch.as_tensor(sigma, **to)
    nonzero_x = X.abs().sum(1) > 0
    S2 = sig.unsqueeze(-1) * D1t.to(X.dtype)
    C = S2 * D2t.unsqueeze(1).to(X.dtype)
    E1 = (2 * D1t.to(X.dtype) - 1) * nonzero_x
    has_pos = (D1t & (sig > 0).unsqueeze(-1)).any(1)
    has_neg = (D1t & (sig < 0).unsqueeze(-1)).any(1)
    implied = torch.where(D2t, ~has_neg, ~has_pos)
    live = D1t.any(1) & nonzero_x & ~implied
    dummy1 = (E1 == 0).reshape(E1.shape[0], -1)
    n, d = X.shape
    XX = (X.unsqueeze(2) * X.unsqueeze(1)).reshape(n, d * d)
    if not bool(live.any()):
        return _Maps(X, XX, y, beta, C, E1, None, None, None, dummy1.to(X.dtype))
    E2 = (2 * D2t.to(X.dtype) - 1) * live
    S2S2 = S2.unsqueeze(2) * S2.unsqueeze(1)
    return _Maps(X, XX, y, beta, C, E1, S2, S2S2, E2, torch.cat([dummy1, ~live], 1).to(X.dtype))


# --------------------------------------------------------------------------- facet presolve


def _cone_facets(X: np.ndarray, pattern: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Rows of ``{v : (2 pattern_i - 1) x_i . v >= 0}`` that are not implied by the others, as a bool
    ``(n,)`` (a superset when in doubt), given ``u`` with ``(2 pattern - 1) X u >= 0``.

    Rows tight at ``u`` are kept. The others, scaled to ``a_i / (a_i . u)``, lie in the hyperplane
    ``p . u = 1``; a row is implied by the rest iff its point is not a vertex of their convex hull
    (the extreme rays of ``cone{a_i}`` are the facets of the polar cone). The hull is qhull's in
    ``d - 1 <= FACET_MAX_DIM`` dimensions (min and max in one); otherwise, or if qhull fails, every
    row is kept.
    """
    A = (2.0 * pattern - 1)[:, None] * X
    norms = np.linalg.norm(A, axis=1)
    s = A @ u
    tight = s <= FACET_TIGHT * norms * np.linalg.norm(u)
    keep = tight & (norms > 0)
    free = np.flatnonzero(~tight)
    dim = X.shape[1] - 1
    if dim < 1 or dim > FACET_MAX_DIM or len(free) <= dim + 1:
        keep[free] = True
        return keep
    basis = np.linalg.qr(np.column_stack([u, np.eye(len(u))[:, :-1]]))[0][:, 1:]
    coords = (A[free] / s[free, None]) @ basis
    if dim == 1:
        c = coords[:, 0]
        keep[free[(c == c.min()) | (c == c.max())]] = True
        return keep
    try:
        keep[free[scipy.spatial.ConvexHull(coords).vertices]] = True
    except scipy.spatial.QhullError:
        keep[free] = True
    return keep


def _facet_rows(X: np.ndarray, D1: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """First-layer rows to keep, bool ``(G, m1, n)``: the facets of each neuron's cone
    (:func:`_cone_facets`), computed once per distinct pattern with a realizing direction from
    ``directions (G, d, m1)``."""
    G, m1, n = D1.shape
    flat = D1.reshape(G * m1, n)
    unique, first, inverse = np.unique(flat, axis=0, return_index=True, return_inverse=True)
    U = directions.transpose(0, 2, 1).reshape(G * m1, -1)
    data = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()
    if len(_FACET_CACHE) > FACET_CACHE_SIZE:
        _FACET_CACHE.clear()
    kept = []
    for k in range(len(unique)):  # the kept set is valid whichever realizing direction found it
        key = (data, unique[k].tobytes())
        if key not in _FACET_CACHE:
            _FACET_CACHE[key] = _cone_facets(X, unique[k], U[first[k]])
        kept.append(_FACET_CACHE[key])
    return np.array(kept)[inverse.reshape(-1)].reshape(G, m1, n)


def _facet_maps(maps: _Maps, keep1: Tensor) -> _Maps | None:
    """``maps`` with explicit cone rows (``A``): the first-layer rows in ``keep1 (G, m1, n)`` and every
    live second-layer row; ``None`` when that keeps more than FACET_GAIN of the rows."""
    n, d, G, m1 = maps.sizes
    first = keep1 & (maps.E1 != 0)
    second = maps.E2 != 0 if maps.E2 is not None else torch.zeros(G, n, dtype=torch.bool, device=keep1.device)
    counts = first.sum((1, 2)) + second.sum(1)
    r = max(1, int(counts.max()))
    if r > FACET_GAIN * maps.dummy.shape[1]:
        return None
    A = maps.X.new_zeros(G, r, m1, d)
    g, j, i = torch.nonzero(first, as_tuple=True)  # in (g, j, i) order
    pos = torch.arange(len(g), device=g.device) - (torch.cumsum(first.sum((1, 2)), 0) - first.sum((1, 2)))[g]
    A[g, pos, j] = maps.E1[g, j, i].unsqueeze(-1) * maps.X[i]
    if maps.E2 is not None:
        g2, i2 = torch.nonzero(second, as_tuple=True)
        pos2 = first.sum((1, 2))[g2] + torch.arange(len(g2), device=g2.device) - (torch.cumsum(second.sum(1), 0) - second.sum(1))[g2]
        A[g2, pos2] = (maps.E2[g2, i2].unsqueeze(-1) * maps.S2[g2, :, i2]).unsqueeze(-1) * maps.X[i2].unsqueeze(1)
    dummy = (torch.arange(r, device=g.device) >= counts.unsqueeze(1)).to(maps.X.dtype)
    return _Maps(maps.X, maps.XX, maps.y, maps.beta, maps.C, maps.E1, maps.S2, maps.S2S2, maps.E2, dummy,
                 A.reshape(G, r, m1 * d))


def _full_violation(maps: _Maps, U: Tensor) -> float:
    """Relative violation of blocks ``U (2, G, m1, d)`` over every cone row of ``maps``."""
    XV = maps.xv(U)
    scale = float(XV.abs().max())
    return max(0.0, float((-maps.rows(U, XV)).max())) / scale if scale > 0 else 0.0


# --------------------------------------------------------------------------- second-order cone algebra
# Vectors of a cone of size k are the last axis; x = (x0, x1). J = diag(1, -1, ..., -1).


def _soc_det(x: Tensor) -> Tensor:
    """``x^T J x = x0^2 - ||x1||^2``, as ``(x0 - ||x1||)(x0 + ||x1||)`` (accurate near the boundary)."""
    r = x[..., 1:].norm(dim=-1)
    return (x[..., 0] - r) * (x[..., 0] + r)


def _reflect(x: Tensor) -> Tensor:
    """``J x``."""
    out = -x
    out[..., 0] = x[..., 0]
    return out


def _jordan(x: Tensor, y: Tensor) -> Tensor:
    """Jordan product ``x o y = (x . y, x0 y1 + y0 x1)``."""
    return torch.cat([(x * y).sum(-1, keepdim=True), x[..., :1] * y[..., 1:] + y[..., :1] * x[..., 1:]], -1)


def _arrow_solve(lam: Tensor, b: Tensor) -> Tensor:
    """Solve ``lam o u = b`` for ``u`` (``lam`` interior to the cone)."""
    l0, l1, b0, b1 = lam[..., :1], lam[..., 1:], b[..., :1], b[..., 1:]
    u0 = (l0 * b0 - (l1 * b1).sum(-1, keepdim=True)) / _soc_det(lam).unsqueeze(-1)
    return torch.cat([u0, (b1 - u0 * l1) / l0], -1)


@dataclass
class _NTScaling:
    """Nesterov-Todd scaling ``W = omega (2 v v^T - J)`` of second-order cones: ``W z = W^{-1} s = lam``.

    ``W^{-2} = (I + a a^T - b b^T) / omega^2`` with ``a = 2 |v| Jv - v / |v|`` and ``b = v / |v|``
    (expanding ``(2 Jv (Jv)^T - J)^2``); ``a`` and ``b`` are stored divided by ``omega``.
    """

    omega: Tensor  # (...,)
    v: Tensor  # (..., k)
    lam: Tensor  # (..., k)
    a: Tensor  # (..., k)
    b: Tensor  # (..., k)

    @classmethod
    def of(cls, s: Tensor, z: Tensor) -> _NTScaling:
        """The scaling of the interior pair ``(s, z)`` (Vandenberghe 2010, §4)."""
        sn, zn = _soc_det(s).sqrt(), _soc_det(z).sqrt()
        sb, zb = s / sn.unsqueeze(-1), z / zn.unsqueeze(-1)
        gamma = ((1 + (sb * zb).sum(-1)) / 2).sqrt()
        wb = (sb + _reflect(zb)) / (2 * gamma.unsqueeze(-1))
        v = wb.clone()
        v[..., 0] += 1
        v /= (2 * (wb[..., 0] + 1)).sqrt().unsqueeze(-1)
        omega = (sn / zn).sqrt()
        norm = v.norm(dim=-1, keepdim=True)
        b = v / norm
        a = 2 * norm * _reflect(v) - b
        scaling = cls(omega, v, z, a / omega.unsqueeze(-1), b / omega.unsqueeze(-1))
        scaling.lam = scaling.apply(z)
        return scaling

    def apply(self, x: Tensor) -> Tensor:
        """``W x``."""
        return self.omega.unsqueeze(-1) * (2 * self.v * (self.v * x).sum(-1, keepdim=True) - _reflect(x))

    def apply_inverse(self, x: Tensor) -> Tensor:
        """``W^{-1} x = (2 J v v^T J - J) x / omega``."""
        jv = _reflect(self.v)
        return (2 * jv * (jv * x).sum(-1, keepdim=True) - _reflect(x)) / self.omega.unsqueeze(-1)

    def apply_inverse_square(self, x: Tensor) -> Tensor:
        """``W^{-2} x``."""
        out = x / self.omega.square().unsqueeze(-1)
        out.addcmul_(self.a, (self.a * x).sum(-1, keepdim=True))
        return out.addcmul_(self.b, (self.b * x).sum(-1, keepdim=True), value=-1)

    def inverse_square(self) -> Tensor:
        """The matrices ``W^{-2}``, shape ``(..., k, k)``."""
        mat = self.a.unsqueeze(-1) * self.a.unsqueeze(-2)
        mat.sub_(self.b.unsqueeze(-1) * self.b.unsqueeze(-2))
        mat.diagonal(dim1=-2, dim2=-1).add_(self.omega.square().reciprocal().unsqueeze(-1))
        return mat


def _soc_inverse_step(x: Tensor, dx: Tensor) -> Tensor:
    """``1 / (largest alpha with x + alpha dx in the cone)`` per cone (``<= 0``: unbounded).

    A hyperbolic rotation maps ``x`` to ``sqrt(det x) e``; there ``e + alpha w`` leaves the cone at
    ``alpha = 1 / (||w1|| - w0)``.
    """
    nx = _soc_det(x).sqrt().unsqueeze(-1)
    xb, db = x / nx, dx / nx
    rho0 = xb[..., :1] * db[..., :1] - (xb[..., 1:] * db[..., 1:]).sum(-1, keepdim=True)
    rho1 = db[..., 1:] - ((rho0 + db[..., :1]) / (xb[..., :1] + 1)) * xb[..., 1:]
    return rho1.norm(dim=-1) - rho0[..., 0]


def _max_step(st: _State, dsl: Tensor, dzl: Tensor, dsq: Tensor, dzq: Tensor) -> float:
    """Largest ``alpha`` keeping every slack and multiplier in its cone (``inf`` if unbounded)."""
    inverse = torch.stack(
        [
            (-dsl / st.sl).max(),
            (-dzl / st.zl).max(),
            _soc_inverse_step(st.sq, dsq).max(),
            _soc_inverse_step(st.zq, dzq).max(),
        ]
    ).max()
    inverse = float(inverse)
    return 1 / inverse if inverse > 0 else (math.inf if inverse <= 0 else math.nan)


# --------------------------------------------------------------------------- the Newton system


class _FactorizationError(RuntimeError):
    """A Newton-system factorization failed (numerical breakdown)."""


def _use_vectorised_kernel(k: int, batch: int, device: torch.device) -> bool:
    """Large batches of small matrices on the CPU go through the batch-last kernels below, which loop
    over the ``k`` columns and vectorise over the batch (several times faster there than LAPACK's
    per-matrix calls)."""
    return device.type == "cpu" and k <= SMALL_BLOCK and batch >= 2048


def _batch_size(A: Tensor) -> int:
    """Number of matrices in a batch-last stack ``(k, k, ...)``."""
    return math.prod(A.shape[2:])


def _lapack_layout(A: Tensor) -> Tensor:
    """Batch-last ``(k, k, ...)`` to batch-first ``(..., k, k)`` (a view)."""
    return A.movedim((0, 1), (-2, -1))


def _batch_last(A: Tensor) -> Tensor:
    """Batch-first ``(..., k, k)`` to a contiguous batch-last ``(k, k, ...)``."""
    return A.movedim((-2, -1), (0, 1)).contiguous()


def _cholesky(A: Tensor) -> Tensor:
    """Lower Cholesky factors of symmetric positive definite matrices stored batch-last ``(k, k, ...)``."""
    k = A.shape[0]
    if _use_vectorised_kernel(k, _batch_size(A), A.device):
        return _cholesky_batch_last(A)
    L, info = torch.linalg.cholesky_ex(_lapack_layout(A))
    if bool((info != 0).any()):
        raise _FactorizationError("a block matrix of the Newton system is not positive definite")
    return _batch_last(L)


def _spd_inverse(A: Tensor) -> Tensor:
    """Inverses of symmetric positive definite matrices stored batch-last ``(k, k, ...)``."""
    k = A.shape[0]
    if _use_vectorised_kernel(k, _batch_size(A), A.device):
        return _inverse_from_cholesky_batch_last(_cholesky_batch_last(A))
    L, info = torch.linalg.cholesky_ex(_lapack_layout(A))
    if bool((info != 0).any()):
        raise _FactorizationError("a block matrix of the Newton system is not positive definite")
    return _batch_last(torch.cholesky_inverse(L))


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
            raise _FactorizationError("a block matrix of the Newton system is not positive definite")
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


def _block_matvec(A: Tensor, x: Tensor, transpose: bool = False) -> Tensor:
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
    """:func:`_block_matvec` as one batched product (the GPU route)."""
    return torch.einsum("ji...,...j->...i" if transpose else "ij...,...j->...i", A, x)


def _outer_gram(F: Tensor) -> Tensor:
    """``F F^T`` for ``F (n, N)``, or on the CPU only its lower triangle (BLAS ``syrk``: half the work of
    a general product; :func:`_cholesky_dense` reads nothing else)."""
    if F.device.type != "cpu":
        return F @ F.T
    syrk = scipy.linalg.blas.dsyrk if F.dtype == torch.float64 else scipy.linalg.blas.ssyrk
    return torch.from_numpy(syrk(1.0, F.numpy().T, trans=1, lower=1))


class _Newton:
    """Solves ``(A^T A + blockdiag(H_b)) dx = rhs`` by batched block inverses and Woodbury.

    ``H (2, G, k, k)`` with ``k = p + 1`` (index 0 is the epigraph variable ``t``, which the loss does
    not see); ``A`` acts on the ``V`` part of block ``(s, g)`` as ``s M_g``. With
    ``K_g = [H_{g+}^{-1} + H_{g-}^{-1}]_{VV} = L_g L_g^T`` (the two signs share ``M_g``) the loss part of
    the solve needs ``g = A^T (I + A H^{-1} A^T)^{-1} A u``, which subclasses compute in the smaller of
    the ``n`` and ``G p`` spaces. Block matrices are kept batch-last, ``(k, k, 2, G)``, and factorized
    with a tiny relative diagonal shift (late iterations make a block's scale span more than
    ``1/eps``); GMRES against the unshifted matrix removes its effect.
    """

    def __init__(self, maps: _Maps, H: Tensor, shift: float = 1.0):
        self.maps = maps
        self.H = _batch_last(H)
        self.Hinv = _spd_inverse(_shifted(self.H, shift))
        self.L = _cholesky(_shifted(self.Hinv[1:, 1:, 0] + self.Hinv[1:, 1:, 1], shift))  # (p, p, G)
        self.iterations = 0  # inner (Krylov) steps taken by solve(), summed over its calls
        self.correctors = 0  # centrality correctors worth their extra solve (see CORRECTORS)

    def _loss_correction(self, w: Tensor) -> Tensor:
        """``M^T (I + M K M^T)^{-1} M w`` for ``w (G, p)`` (``M = [M_1 .. M_G]``)."""
        raise NotImplementedError

    def _loss_gram(self, w: Tensor) -> Tensor:
        """``M^T M w`` for ``w (G, p)``."""
        raise NotImplementedError

    def _woodbury(self, rhs: Tensor) -> Tensor:
        u = _block_matvec(self.Hinv, rhs)
        g = self._loss_correction(u[0, :, 1:] - u[1, :, 1:])
        reduced = rhs.clone()  # rhs - A^T c, formed before H^{-1} is applied (avoids cancellation)
        reduced[0, :, 1:] -= g
        reduced[1, :, 1:] += g
        return _block_matvec(self.Hinv, reduced)

    def matvec(self, dx: Tensor) -> Tensor:
        """``(A^T A + blockdiag(H)) dx``."""
        out = _block_matvec(self.H, dx)
        g = self._loss_gram(dx[0, :, 1:] - dx[1, :, 1:])
        out[0, :, 1:] += g
        out[1, :, 1:] -= g
        return out

    def solve(self, rhs: Tensor, refinements: int = MAX_REFINEMENTS, target: float = math.inf) -> Tensor:
        """``rhs (2, G, k) -> dx (2, G, k)``: the Woodbury solve, then at most ``refinements`` steps of
        GMRES preconditioned by it, until the residual's norm is at most ``target`` and
        ``REFINE_TOL_SQRT_EPS * sqrt(eps)`` relative to ``rhs``. (Late in the iterations the block
        inverses are accurate only to about ``cond * eps``; plain iterative refinement then stalls
        on a few directions, GMRES does not.)"""
        dx = self._woodbury(rhs)
        if refinements == 0:
            return dx
        residual = rhs - self.matvec(dx)
        norm = float(residual.norm())
        target = min(target, REFINE_TOL_SQRT_EPS * math.sqrt(torch.finfo(rhs.dtype).eps) * float(rhs.norm()))
        if norm <= target:
            return dx
        basis, directions = [residual / norm], []
        hess = torch.zeros(refinements + 1, refinements, dtype=torch.float64)
        for j in range(refinements):
            self.iterations += 1
            directions.append(self._woodbury(basis[j]))
            w = self.matvec(directions[j])
            for i, v in enumerate(basis):  # modified Gram-Schmidt
                hess[i, j] = float((w * v).sum())
                w.sub_(v, alpha=float(hess[i, j]))
            hess[j + 1, j] = float(w.norm())
            e1 = torch.zeros(j + 2, dtype=torch.float64)
            e1[0] = norm
            coef = torch.linalg.lstsq(hess[: j + 2, : j + 1], e1.unsqueeze(-1)).solution[:, 0]
            if float((e1 - hess[: j + 2, : j + 1] @ coef).norm()) <= target or float(hess[j + 1, j]) == 0:
                break
            basis.append(w / hess[j + 1, j])
        for c, z in zip(coef.tolist(), directions):
            dx.add_(z, alpha=c)
        return dx


class _DataSpaceNewton(_Newton):
    """Capacitance in data space, ``S = I + F F^T`` (``n x n``) with ``F = [M_g L_g]_g``, for ``n <= G p``.

    ``M_g`` is never formed: products with it are masked products with ``X`` (:meth:`_Maps.loss`,
    :meth:`_Maps.output_adjoint`), and ``F`` is one matrix product ``X L`` masked by the groups.
    """

    def __init__(self, maps: _Maps, H: Tensor, shift: float = 1.0):
        super().__init__(maps, H, shift)
        self.factor = _cholesky_dense(_outer_gram(maps.masked_product(self.L)))
        self.correctors = CORRECTORS if self.factor.shape[0] >= CORRECTOR_MIN_SIZE else 0

    def _loss_correction(self, w: Tensor) -> Tensor:
        c = torch.cholesky_solve(self.maps.loss(w).unsqueeze(-1), self.factor)[:, 0]
        return self.maps.output_adjoint(c).reshape(w.shape)

    def _loss_gram(self, w: Tensor) -> Tensor:
        return self.maps.output_adjoint(self.maps.loss(w)).reshape(w.shape)


class _BlockSpaceNewton(_Newton):
    """Capacitance in block space for ``G p < n``: with the constant ``Q = M^T M`` (``G p x G p``,
    computed once), ``M^T (I + M K M^T)^{-1} M w = Q w - Q L T^{-1} L^T Q w``, ``T = I + L^T Q L``.
    Nothing of size ``n`` is touched; ``L^T Q L`` is formed in row chunks (no copy of ``Q``)."""

    def __init__(self, maps: _Maps, H: Tensor, Q: Tensor, shift: float = 1.0):
        super().__init__(maps, H, shift)
        self.Q = Q
        self.factor = _cholesky_dense(_congruence(Q, _lapack_layout(self.L)))
        self.correctors = CORRECTORS if self.factor.shape[0] >= CORRECTOR_MIN_SIZE else 0

    def _loss_correction(self, w: Tensor) -> Tensor:
        Qw = (self.Q @ w.reshape(-1)).reshape(w.shape)
        Ltw = _block_matvec(self.L, Qw, transpose=True).reshape(-1, 1)
        c = torch.cholesky_solve(Ltw, self.factor).reshape(w.shape)
        return Qw - (self.Q @ _block_matvec(self.L, c).reshape(-1)).reshape(w.shape)

    def _loss_gram(self, w: Tensor) -> Tensor:
        return (self.Q @ w.reshape(-1)).reshape(w.shape)


class _IterativeNewton(_Newton):
    """Newton systems solved by a preconditioned Krylov method, for problems whose capacitance is too large to
    hold in memory: its memory is ``O(n G)`` where the dense capacitance needs ``min(n, G p)^2``.

    The preconditioner is the Newton matrix with the loss coupling between groups kept only among
    the most coupled groups ``S`` (largest ``trace(L_g^T Q_gg L_g)``, at most :data:`KRYLOV_DENSE_SIZE`
    variables; all groups when they fit, which makes it exact) and left out between all others:
    a group outside ``S`` is solved with ``Q_gg = M_g^T M_g`` (constant, computed once) by the same
    Woodbury formula (``p x p`` capacitances ``T_g = I + L_g^T Q_gg L_g``), the groups in ``S``
    together with ``F_S = [M_g L_g]_{g in S}`` (``n x |S| p``) and ``I + F_S^T F_S``. Products with the
    full matrix are masked products with ``X`` (``8 n G p`` flops), so nothing of size ``(G p)^2`` or
    ``n^2`` is formed. The barrier terms, which make the system ill-conditioned late in the
    iterations, live inside the blocks and are inverted exactly.
    """

    def __init__(self, maps: _Maps, H: Tensor, Qgg: Tensor, shift: float = 1.0):
        super().__init__(maps, H, shift)
        self.Qgg = Qgg  # (p, p, G) batch-last
        L = _lapack_layout(self.L)
        T = L.transpose(1, 2) @ _lapack_layout(Qgg) @ L  # (G, p, p)
        coupling = T.diagonal(dim1=1, dim2=2).sum(-1)
        T = _batch_last(T)
        T.diagonal(dim1=0, dim2=1).add_(1)
        self.Tinv = _spd_inverse(T)
        _n, d, G, m1 = maps.sizes
        keep = min(G, KRYLOV_DENSE_SIZE // (m1 * d))
        self.S = torch.argsort(coupling, descending=True)[:keep]
        if keep:
            self.maps_S = maps.subset(self.S)
            self.F = self.maps_S.masked_product(self.L[..., self.S].contiguous())  # (n, |S| p)
            self.data_space = self.F.shape[0] <= self.F.shape[1]  # the smaller capacitance (no cancellation)
            self.factor_S = _cholesky_dense(_outer_gram(self.F) if self.data_space else self.F.T @ self.F)

    def _loss_correction(self, w: Tensor) -> Tensor:
        Qw = _block_matvec(self.Qgg, w)
        c = _block_matvec(self.Tinv, _block_matvec(self.L, Qw, transpose=True))
        out = Qw - _block_matvec(self.Qgg, _block_matvec(self.L, c))
        if len(self.S):  # M_S^T (I + F F^T)^{-1} M_S w_S, in data space or as M_S^T (v - F (I + F^T F)^{-1} F^T v)
            v = self.maps_S.loss(w.index_select(0, self.S))
            if self.data_space:
                v = torch.cholesky_solve(v.unsqueeze(-1), self.factor_S)[:, 0]
            else:
                v = v - self.F @ torch.cholesky_solve((self.F.T @ v).unsqueeze(-1), self.factor_S)[:, 0]
            out.index_copy_(0, self.S, self.maps_S.output_adjoint(v).reshape(len(self.S), -1))
        return out

    def _loss_gram(self, w: Tensor) -> Tensor:
        return self.maps.output_adjoint(self.maps.loss(w)).reshape(w.shape)

    def solve(self, rhs: Tensor, refinements: int = MAX_REFINEMENTS, target: float = math.inf) -> Tensor:
        """``rhs (2, G, k) -> dx (2, G, k)`` by GMRES right-preconditioned by the group solve, restarted
        every :data:`KRYLOV_RESTART` steps, until the residual's norm is at most ``target`` and
        :data:`KRYLOV_TOL` relative to ``rhs`` (:data:`KRYLOV_TOL_PREDICTOR` when ``refinements == 0``:
        the predictor), or :data:`KRYLOV_MAX_ITER` steps (the interior-point iterations measure their
        own residuals, so an inexact direction costs progress, not correctness). GMRES, not CG: late
        in the iterations the preconditioner is accurate only to about ``cond * eps`` and no longer
        exactly symmetric, and CG then stagnates. The basis is a few hundred vectors of ``2 G k``
        entries (small beside the data), orthogonalized by two passes of classical Gram-Schmidt
        (matrix products, no loop over the basis); the small least-squares problem by Givens
        rotations on the CPU."""
        tol = (KRYLOV_TOL_PREDICTOR if refinements == 0 else KRYLOV_TOL) * float(rhs.norm())
        if refinements:
            tol = min(target, tol)
        dx = torch.zeros_like(rhs)
        residual = rhs.reshape(-1).clone()
        norm = float(residual.norm())
        while norm > tol and self.iterations < KRYLOV_MAX_ITER:
            dx.add_(self._gmres_cycle(residual, norm, tol).reshape(rhs.shape))
            residual = (rhs - self.matvec(dx)).reshape(-1)
            norm = float(residual.norm())
        return dx

    def _gmres_cycle(self, residual: Tensor, norm: float, tol: float) -> Tensor:
        """One cycle of at most :data:`KRYLOV_RESTART` right-preconditioned GMRES steps for the flat
        ``residual`` (of norm ``norm``): the correction, flat."""
        m = min(KRYLOV_RESTART, KRYLOV_MAX_ITER - self.iterations)
        shape = (2,) + tuple(self.H.shape[3:]) + (self.H.shape[0],)
        V = residual.new_empty(m + 1, residual.numel())
        Z = residual.new_empty(m, residual.numel())
        V[0] = residual / norm
        hess = np.zeros((m + 1, m))
        cs, sn, g = np.zeros(m), np.zeros(m), np.zeros(m + 1)
        g[0] = norm
        j = 0
        for j in range(m):
            Z[j] = self._woodbury(V[j].reshape(shape)).reshape(-1)
            w = self.matvec(Z[j].reshape(shape)).reshape(-1)
            h = V[: j + 1] @ w
            w -= V[: j + 1].T @ h
            h2 = V[: j + 1] @ w
            w -= V[: j + 1].T @ h2
            column = (h + h2).cpu().numpy()
            beta = float(w.norm())
            self.iterations += 1
            for i in range(j):  # previous rotations
                column[i], column[i + 1] = cs[i] * column[i] + sn[i] * column[i + 1], -sn[i] * column[i] + cs[i] * column[i + 1]
            radius = math.hypot(column[j], beta)
            cs[j], sn[j] = (column[j] / radius, beta / radius) if radius > 0 else (1.0, 0.0)
            hess[: j + 1, j] = column
            hess[j, j] = radius
            g[j + 1], g[j] = -sn[j] * g[j], cs[j] * g[j]
            if abs(g[j + 1]) <= tol or beta == 0:
                break
            if j + 1 < m:
                V[j + 1] = w / beta
        coef = scipy.linalg.solve_triangular(hess[: j + 1, : j + 1], g[: j + 1])
        return torch.as_tensor(coef, dtype=Z.dtype, device=Z.device) @ Z[: j + 1]


def _congruence(Q: Tensor, L: Tensor) -> Tensor:
    """``L^T Q L`` for ``Q (G p, G p)`` and block-diagonal ``L (G, p, p)``, in chunks of rows of ``Q``."""
    G, p, _ = L.shape
    T = torch.empty_like(Q)
    step = max(1, int(CHUNK_ENTRIES // (Q.shape[0] * p)))
    for g0 in range(0, G, step):
        g1 = min(G, g0 + step)
        rows = Q[g0 * p : g1 * p].reshape(-1, G, p)
        right = torch.einsum("mhb,hbc->mhc", rows, L).reshape(g1 - g0, p, G * p)  # (Q L)[rows]
        T[g0 * p : g1 * p] = torch.bmm(L[g0:g1].transpose(1, 2), right).reshape(-1, G * p)
    return T


def _cholesky_dense(S: Tensor) -> Tensor:
    """Cholesky factor of ``I + S`` (``S`` symmetric PSD, read from its lower triangle only; ``I`` is
    added to ``S`` in place)."""
    S.diagonal().add_(1)
    L, info = torch.linalg.cholesky_ex(S)
    if int(info) != 0:
        raise _FactorizationError("the capacitance matrix is not positive definite")
    return L


def _shifted(A: Tensor, scale: float = 1.0) -> Tensor:
    """``A + scale * REGULARIZATION_EPS * eps * diag(A)`` for each matrix of a batch-last stack
    ``(k, k, ...)`` (a relative shift of each variable)."""
    out = A.clone()
    out.diagonal(dim1=0, dim2=1).mul_(1 + scale * REGULARIZATION_EPS * torch.finfo(A.dtype).eps)
    return out


# --------------------------------------------------------------------------- the solver


@dataclass
class _State:
    """Primal ``x (2, G, k)`` (``t``, then ``V`` flattened), slacks and multipliers of the cone rows
    ``(2, G, q)`` and of the second-order cones ``(2, G, k)``."""

    x: Tensor
    sl: Tensor
    zl: Tensor
    sq: Tensor
    zq: Tensor


@dataclass
class _Certificate:
    """Objective, dual bound, relative gap and relative violation at one primal point (scaled units),
    with the per-block upper bounds ``bound (2, G)`` on the dual constraint's left side."""

    objective: float
    dual: float
    gap: float
    violation: float
    bound: Tensor


def _certify(maps: _Maps, V: Tensor, XV: Tensor, rows: Tensor, res: Tensor, c: Tensor, nu: Tensor) -> _Certificate:
    """docs/mathematics.md §3.7 certificate at blocks ``V (2, G, m1, d)`` with residual ``res = f - y``, ``X V``, cone
    rows, ``c = M_g^T res (G, p)`` and ``nu = G_b^T mu (2, G, m1, d)`` for cone multipliers
    ``mu >= 0`` (the solver's own; any nonnegative ones give a valid bound)."""
    r = -res
    c = torch.stack([-c, c])
    nu = nu.flatten(2)
    theta = (-(c * nu).sum(-1) / nu.square().sum(-1).clamp_min(1e-300)).clamp_min(0)
    bound = (c + theta.unsqueeze(-1) * nu).norm(dim=-1)  # theta = 0 gives the cone-free bound
    sigma_hat = float(bound.max())
    rr, ry = float(r @ r), float(r @ maps.y)
    objective = 0.5 * rr + maps.beta * float(V.flatten(2).norm(dim=-1).sum())
    tau = 0.0 if rr == 0 else max(0.0, min(maps.beta / sigma_hat if sigma_hat > 0 else math.inf, ry / rr))
    dual = tau * ry - 0.5 * tau * tau * rr
    gap = (objective - dual) / max(abs(objective), 1e-300)
    scale = float(XV.abs().max())
    violation = max(0.0, float((-rows).max())) / scale if scale > 0 else 0.0
    return _Certificate(objective, dual, gap, violation, bound)


def _certify_blocks(maps: _Maps, V: Tensor, zl: Tensor) -> _Certificate:
    """:func:`_certify` of blocks ``V (2, G, m1, d)`` with cone multipliers ``zl (2, G, q)``."""
    _n, d, G, m1 = maps.sizes
    XV = maps.xv(V)
    res = maps.output(XV) - maps.y
    c = maps.output_adjoint(res).reshape(G, m1 * d)
    return _certify(maps, V, XV, maps.rows(V, XV), res, c, maps.rows_adjoint(zl))


class _WorkingSet:
    """The groups in the Newton system (shrinking, as SVM solvers do it).

    Groups that are likely not in the solution (both blocks nearly zero, see :data:`SHRINK_GAP`) leave
    the system; their state is kept as it was. The result is certified over *all* groups: a left
    group's bound uses its last cone multipliers (any nonnegative multipliers give a valid bound),
    and groups that the full certificate finds violated come back.
    ``idx`` holds the working groups' indices in the full problem (``None``: all of them).
    """

    def __init__(self, maps: _Maps, st: _State, linear_solver: str):
        self.full_maps, self.full_st = maps, st
        self.idx: Tensor | None = None
        self.maps, self.st = maps, st
        self.linear_solver = linear_solver
        n, d, G, m1 = maps.sizes
        # block-space capacitance: M^T M over all groups, computed once (working sets take slices)
        self.full_Q = maps.loss_gram() if linear_solver == "direct" and n > G * m1 * d else None
        self.newton = _newton_solver(maps, linear_solver, self.full_Q)
        self.may_shrink = G >= SHRINK_MIN_GROUPS

    @property
    def size(self) -> int:
        """Number of working groups."""
        return self.maps.sizes[2]

    def full_blocks(self, V: Tensor) -> Tensor:
        """Working blocks ``V (2, G_w, m1, d)`` as full-size blocks (zero for groups left out)."""
        if self.idx is None:
            return V
        out = V.new_zeros((2, self.full_maps.sizes[2]) + tuple(V.shape[2:]))
        return out.index_copy_(1, self.idx, V)

    def shrinkable(self, V: Tensor, cert: _Certificate) -> Tensor | None:
        """Working groups to leave out now (bool ``(G_w,)``), or ``None``."""
        if not self.may_shrink or cert.gap > SHRINK_GAP:
            return None
        norms = V.flatten(2).norm(dim=-1).amax(0)
        if float(norms.max()) == 0:
            return None
        drop = norms <= SHRINK_NORM * norms.max()
        count = int(drop.sum())
        return drop if SHRINK_FRACTION * self.size <= count < self.size else None

    def shrink(self, drop: Tensor) -> None:
        """Leave out the working groups marked in ``drop``."""
        keep = torch.nonzero(~drop).flatten()
        self.may_shrink = False  # once: each shrink perturbs the iterate a little
        self._use(keep if self.idx is None else self.idx[keep])

    def certificate(self, V_full: Tensor, cert_working: _Certificate) -> _Certificate:
        """The certificate over all groups of full-size blocks ``V_full`` (current multipliers for the
        working groups, last ones for the others). Left-out groups whose bound exceeds every working
        group's first get sharper multipliers (:func:`_sharpen_multipliers`)."""
        self._write_back()
        cert = _certify_blocks(self.full_maps, V_full, self.full_st.zl)
        high = self._left_out() & (cert.bound.amax(0) > cert_working.bound.max())
        if self.idx is None or not bool(high.any()):
            return cert
        groups = torch.nonzero(high).flatten()
        sub = self.full_maps.subset(groups)
        res = self.full_maps.output(self.full_maps.xv(V_full)) - self.full_maps.y
        c = sub.output_adjoint(res).reshape(len(groups), -1)
        zl = _sharpen_multipliers(sub, torch.stack([-c, c]), self.full_st.zl.index_select(1, groups))
        self.full_st.zl.index_copy_(1, groups, zl)
        return _certify_blocks(self.full_maps, V_full, self.full_st.zl)

    def bring_back(self, V_full: Tensor, cert_full: _Certificate, cert_working: _Certificate) -> None:
        """Add the left-out groups whose bound in ``cert_full`` exceeds every working group's (all of
        them when none does) and restart from ``V_full`` (scaled units, full size), warm; no
        shrinking afterwards."""
        out = self._left_out()
        violated = out & (cert_full.bound.amax(0) > cert_working.bound.max())
        back = violated if bool(violated.any()) else out
        self.may_shrink = False
        self._restart(torch.nonzero(~out | back).flatten(), V_full)

    def _restart(self, idx: Tensor, V_full: Tensor) -> None:
        """Work on the groups ``idx`` from a warm state at ``V_full`` (scaled units, full size)."""
        self._use(idx)
        self.st = _warm_state(self.maps, V_full.index_select(1, idx))
        if self.idx is None:
            self.full_st = self.st

    def bring_back_all(self, V_full: Tensor) -> None:
        """Return every left-out group and restart from ``V_full`` (warm); no shrinking afterwards."""
        self.may_shrink = False
        self._restart(torch.arange(self.full_maps.sizes[2], device=V_full.device), V_full)

    def _left_out(self) -> Tensor:
        """Bool ``(G,)``: the groups not in the working set."""
        out = torch.ones(self.full_maps.sizes[2], dtype=torch.bool, device=self.full_maps.X.device)
        if self.idx is not None:
            out[self.idx] = False
        return out

    def _write_back(self) -> None:
        if self.idx is not None:
            for full, working in zip(_fields(self.full_st), _fields(self.st)):
                full.index_copy_(1, self.idx, working)

    def _use(self, idx: Tensor) -> None:
        self._write_back()
        self.idx = None if len(idx) == self.full_maps.sizes[2] else idx
        if self.idx is None:
            self.maps, self.st = self.full_maps, self.full_st
        else:
            self.maps = self.full_maps.subset(idx)
            self.st = _State(*(v.index_select(1, idx) for v in _fields(self.full_st)))
        Q = self.full_Q
        if Q is not None and self.idx is not None:
            Q = _group_slice(Q, self.idx, self.maps.sizes[1] * self.maps.sizes[3])
        self.newton = _newton_solver(self.maps, self.linear_solver, Q)


def _fields(st: _State) -> tuple[Tensor, ...]:
    """``(x, sl, zl, sq, zq)``."""
    return st.x, st.sl, st.zl, st.sq, st.zq


def _sharpen_multipliers(maps: _Maps, c: Tensor, mu: Tensor) -> Tensor:
    """Cone multipliers ``mu >= 0 (2, G, q)`` that lower each block's bound ``||c_b + G_b^T mu_b||``
    (``c (2, G, p)``): :data:`MULTIPLIER_STEPS` steps of accelerated projected gradient on
    ``1/2 ||c_b + G_b^T mu_b||^2`` from ``mu``, step ``1 / lambda_max(G_b^T G_b)``; the best iterate
    per block (by the scaled bound of :func:`_certify`) is returned. Any ``mu >= 0`` is valid."""
    _n, d, G, m1 = maps.sizes
    gram = maps.row_gram(torch.ones_like(mu))  # G_b^T G_b, (2, G, p, p)
    step = 1 / torch.linalg.eigvalsh(gram)[..., -1].clamp_min(1e-300).unsqueeze(-1)

    def bound(m: Tensor) -> Tensor:
        nu = maps.rows_adjoint(m).reshape(2, G, -1)
        theta = (-(c * nu).sum(-1) / nu.square().sum(-1).clamp_min(1e-300)).clamp_min(0)
        return (c + theta.unsqueeze(-1) * nu).norm(dim=-1)

    best, best_bound = mu.clone(), bound(mu)
    previous, current = mu, mu
    for k in range(1, MULTIPLIER_STEPS + 1):
        z = current + (k - 1) / (k + 2) * (current - previous)
        residual = c + maps.rows_adjoint(z).reshape(2, G, -1)
        W = residual.reshape(2, G, m1, d)
        grad = maps.rows(W, maps.xv(W)) * (maps.dummy == 0)
        previous, current = current, (z - step * grad).clamp_min(0)
        if k % 20 == 0 or k == MULTIPLIER_STEPS:
            b = bound(current)
            better = b < best_bound
            best = torch.where(better.unsqueeze(-1), current, best)
            best_bound = torch.minimum(b, best_bound)
    return best


def _initial_state(maps: _Maps) -> _State:
    """``V = 0`` with every slack, epigraph and multiplier set to ``max(START_SLACK, beta)`` (unit data,
    scaled ``beta``; see :data:`START_SLACK`)."""
    _n, d, G, m1 = maps.sizes
    k = m1 * d + 1
    start = max(START_SLACK, maps.beta)
    x = maps.X.new_zeros(2, G, k)
    x[..., 0] = start
    sl = (start + (1 - start) * maps.dummy).expand(2, -1, -1).clone()
    return _State(x, sl, torch.full_like(sl, start), x.clone(), x.clone())


def _warm_state(maps: _Maps, V0: Tensor) -> _State:
    """Start at the blocks ``V0 (2, G, m1, d)`` (scaled units), pushed into the cones' interiors by
    :data:`WARM_MARGIN`; multipliers as in the cold start."""
    _n, _d, G, _m1 = maps.sizes
    st = _initial_state(maps)
    x = st.x
    x[..., 1:] = V0.reshape(2, G, -1)
    x[..., 0] = x[..., 1:].norm(dim=-1) + WARM_MARGIN
    st.sq = x.clone()
    st.sl = maps.rows(V0, maps.xv(V0)).clamp_min(0) + WARM_MARGIN + maps.dummy
    return st


def solve_group_program_fast(
    X: Any,
    y: Any,
    beta: Any,
    D1: Any,
    sigma: Any,
    D2: Any,
    *,
    tol: float = 1e-6,
    max_iter: int = 100,
    warm_start: Any = None,
    device: str | torch.device = "auto",
    dtype: torch.dtype = torch.float64,
    time_limit: float | None = None,
    threads: int | None = None,
    directions: Any = None,
    linear_solver: str = "auto",
    verbose: bool = False,
) -> dict[str, Any]:
    """Solve the group program (module docstring) by a structure-exploiting interior-point method.

    Parameters
    ----------
    X : (n, d) data (bias column included); y : (n,) targets; beta : > 0.
    D1 : bool (G, m1, n) first-layer patterns ((G, n) is read as m1 = 1); sigma : ±1 (G, m1);
    D2 : bool (G, n) second-layer patterns. Two layers: ``m1 = 1``, ``sigma = 1``, ``D2 = D1``.
    tol : target for both the certified relative duality gap and the relative violation.
    max_iter : Newton steps allowed (typically 12-30 are needed).
    warm_start : optional (2, G, d, m1) blocks to start from (e.g. the previous solution on a
        regularization path; zero blocks for newly added groups).
    device : "auto" (CUDA, then MPS for float32, then CPU, chosen at call time) or a torch device.
    dtype : torch.float64 (default) or torch.float32 (GPUs; a stall short of ``tol`` then returns
        status "precision_limit" instead of raising).
    time_limit : seconds, or None.
    threads : torch CPU threads for the solve (restored afterwards); None: one thread for problems
        below :data:`MULTITHREAD_ROWS` cone-row entries, torch's setting above.
    directions : optional (G, d, m1) first-layer weights realizing the groups (``Groups.V``,
        ``Patterns.directions``): they let a presolve leave out cone rows implied by the others
        (exact convex hulls, low dimensions only; see :data:`FACET_MAX_DIM`). The answer is checked
        against every row and solved again with all of them if one is violated.
    linear_solver : how the Newton systems are solved: "direct" (a dense capacitance factorized every
        step, ``min(n, G p)`` rows; fastest), "iterative" (GMRES preconditioned group by
        group; memory ``O(n G)``, no dense matrix; several times slower where "direct" fits), or
        "auto" ("direct" when its memory plan fits, else "iterative"). The result's "linear_solver" says
        which ran.

    Returns
    -------
    dict with "V" float64 (2, G, d, m1) (index 0: s = +1), "objective" (of the returned point),
    "dual_bound" (certified lower bound on the optimum), "gap" (relative duality gap),
    "violation" (max violation / max |X v|), "status" ("optimal", "max_iter", "time_limit" or
    "precision_limit"), "iterations", "seconds", "device", "dtype", "linear_solver", "history" (one dict per
    iteration: seconds, gap, violation, mu, primal and dual residuals, working groups, and of the
    Newton step taken from it the Krylov steps "linear_iterations", the centrality correctors kept
    "correctors" and the step length "step_length").

    Raises
    ------
    InputError for bad arguments or a problem too large for the dense Newton solver;
    SolverError when the method stalls in float64 short of ``tol`` (the message gives the last
    gap, violation and residuals).
    """
    start = time.perf_counter()
    X = check_matrix(X, "X")
    n, d = X.shape
    y = check_targets(y, n, "y")
    beta = check_positive(beta, "beta")
    D1, sigma, D2 = _check_groups(D1, sigma, D2, n)
    G, m1, _ = D1.shape
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if time_limit is not None:
        time_limit = check_positive(time_limit, "time_limit")
    if threads is not None:
        threads = check_int(threads, "threads", minimum=1)
    linear_solver = check_choice(linear_solver, "linear_solver", ("auto", "direct", "iterative"))
    if directions is not None:
        directions = np.asarray(directions, dtype=np.float64)
        if directions.shape != (G, d, m1) or not np.all(np.isfinite(directions)):
            raise InputError(
                f"directions must be a finite array of shape (G, d, m1)=({G}, {d}, {m1}); got {directions.shape}"
            )
    if dtype not in (torch.float64, torch.float32):
        raise InputError(f"dtype must be torch.float64 or torch.float32; got {dtype!r}")
    dev = resolve_device(device, dtype)
    if warm_start is not None:
        warm_start = np.asarray(warm_start, dtype=np.float64)
        if warm_start.shape != (2, G, d, m1) or not np.all(np.isfinite(warm_start)):
            raise InputError(
                f"warm_start must be a finite array of shape (2, G, d, m1)=(2, {G}, {d}, {m1}); got {warm_start.shape}"
            )
    linear_solver = _plan_linear_solver(n, d, G, m1, dev, dtype, linear_solver)
    if threads is None and dev.type == "cpu" and 2 * G * _rows_per_block(n, m1) < MULTITHREAD_ROWS:
        threads = 1
    with torch_threads(threads if dev.type == "cpu" else None):
        result = _solve(
            X, y, beta, D1, sigma, D2, tol, max_iter, warm_start, directions, dev, dtype, time_limit, verbose,
            start, linear_solver,
        )
    result["linear_solver"] = linear_solver
    return result


def _solve(
    X: np.ndarray,
    y: np.ndarray,
    beta: float,
    D1: np.ndarray,
    sigma: np.ndarray,
    D2: np.ndarray,
    tol: float,
    max_iter: int,
    warm_start: np.ndarray | None,
    directions: np.ndarray | None,
    dev: torch.device,
    dtype: torch.dtype,
    time_limit: float | None,
    verbose: bool,
    start: float,
    linear_solver: str,
) -> dict[str, Any]:
    """:func:`solve_group_program_fast` after validation (arguments as there, already checked)."""
    n, d = X.shape
    G, m1, _ = D1.shape

    # Unit data: X = a Xs, y = b ys, V = (b / a) U, objective = b^2 (scaled objective), beta_s = beta / (a b).
    a = float(np.sqrt((X * X).sum(1)).max())
    b = float(np.abs(y).max())
    if a == 0 or b == 0:
        return _trivial_result(d, G, m1, y, dev, dtype, start)
    Xt = torch.as_tensor(X / a, device=dev, dtype=dtype)
    maps = _build_maps(Xt, torch.as_tensor(y / b, device=dev, dtype=dtype), beta / (a * b), D1, sigma, D2)
    reduced = None
    if directions is not None and 1 <= d - 1 <= FACET_MAX_DIM:
        reduced = _facet_maps(maps, torch.as_tensor(_facet_rows(X, D1, directions), device=dev))
    work = maps if reduced is None else reduced
    V0 = None if warm_start is None else torch.as_tensor(warm_start * (a / b), device=dev, dtype=dtype).permute(0, 1, 3, 2)
    state = _initial_state(work) if V0 is None else _warm_state(work, V0)
    run = dict(tol=tol, max_iter=max_iter, time_limit=time_limit, start=start, verbose=verbose,
               linear_solver=linear_solver)
    result = _run_ipm(work, state, **run)
    if reduced is not None:
        violation = _full_violation(maps, result["U"])
        if violation > tol:  # a row the presolve left out is needed after all: solve with every row
            history = result["history"]
            result = _run_ipm(maps, _warm_state(maps, result["U"]), **run)
            result["history"] = history + result["history"]
            result["iterations"] = len(result["history"]) - 1
        else:
            result["violation"] = violation
    U = result.pop("U")
    result.update(
        V=(U.permute(0, 1, 3, 2) * (b / a)).to(torch.float64).cpu().numpy(),
        objective=result["objective"] * b * b,
        dual_bound=result["dual_bound"] * b * b,
        seconds=time.perf_counter() - start,
        device=str(dev),
        dtype=str(dtype).replace("torch.", ""),
    )
    return result


def _newton_solver(maps: _Maps, linear_solver: str, Q: Tensor | None = None) -> Callable[[Tensor, float], _Newton]:
    """The Newton-system solver for ``maps``, made from the block Hessians ``H`` and a shift multiplier:
    preconditioned GMRES for ``linear_solver="iterative"``, else ("direct") a dense capacitance in
    data space when ``n <= G p``, or in block space with the constant ``Q = M^T M`` (computed here
    when not given)."""
    n, d, G, m1 = maps.sizes
    if linear_solver == "iterative":
        Qgg = maps.group_gram()
        return lambda H, shift: _IterativeNewton(maps, H, Qgg, shift)
    if n <= G * m1 * d:
        return lambda H, shift: _DataSpaceNewton(maps, H, shift)
    Q = maps.loss_gram() if Q is None else Q
    return lambda H, shift: _BlockSpaceNewton(maps, H, Q, shift)


def _group_slice(Q: Tensor, idx: Tensor, p: int) -> Tensor:
    """The rows and columns of groups ``idx`` of ``Q (G p, G p)`` (``p x p`` blocks): ``(len(idx) p)^2``."""
    G = Q.shape[0] // p
    blocks = Q.view(G, p, G, p).index_select(0, idx).index_select(2, idx)
    return blocks.reshape(len(idx) * p, len(idx) * p)


def _rows_per_block(n: int, m1: int) -> int:
    """Cone rows ``q`` of one block: ``n m1`` first-layer rows, plus ``n`` second-layer rows when ``m1 > 1``
    (an upper bound: implied rows are dropped later)."""
    return n * (m1 + 1) if m1 > 1 else n


def _planned_bytes(n: int, d: int, G: int, m1: int, itemsize: int, linear_solver: str) -> int:
    """Rough peak memory of the solver: the cone-row arrays, the block matrices and the capacitance
    (none for the iterative solver, whose largest temporaries are ``(n, G m1)`` products and
    ``F_S``)."""
    p = m1 * d
    q = _rows_per_block(n, m1)
    rows = 16 * 2 * G * q
    blocks = 8 * 2 * G * (p + 1) ** 2 + 2 * G * m1 * m1 * n + n * d * d
    if linear_solver == "iterative":
        coupled = min(G * p, KRYLOV_DENSE_SIZE)  # F_S (n x coupled) and its capacitance
        dense = 2 * G * m1 * n + n * coupled + min(n, coupled) ** 2
    else:
        dense = n * G * p + 2 * n * n if n <= G * p else 3 * (G * p) ** 2
    return itemsize * (rows + blocks + dense)


def _plan_linear_solver(
    n: int, d: int, G: int, m1: int, dev: torch.device, dtype: torch.dtype, linear_solver: str
) -> str:
    """The Newton-system solver to use ("direct" or "iterative") for ``linear_solver`` ("auto": "direct" when
    its memory plan fits the budget, else "iterative"); raises :class:`ProblemTooLargeError` before
    allocating anything when no allowed plan fits."""
    itemsize = torch.finfo(dtype).bits // 8
    budget = int(0.9 * torch.cuda.mem_get_info(dev)[0]) if dev.type == "cuda" else CPU_MEMORY_BUDGET
    choices = ("direct", "iterative") if linear_solver == "auto" else (linear_solver,)
    for choice in choices:
        if _planned_bytes(n, d, G, m1, itemsize, choice) <= budget:
            return choice
    need = _planned_bytes(n, d, G, m1, itemsize, choices[-1])
    raise ProblemTooLargeError(
        f"the fast solver would need about {need / 2**30:.1f} GiB for n={n}, G={G}, d={d}, m1={m1} "
        f"with linear_solver={choices[-1]!r} (budget {budget / 2**30:.1f} GiB on {dev}); use fewer points "
        "or groups, float32, or the low-rank approximation"
    )


def _trivial_result(
    d: int, G: int, m1: int, y: np.ndarray, dev: torch.device, dtype: torch.dtype, start: float
) -> dict[str, Any]:
    """``X = 0`` or ``y = 0``: every block is zero at the optimum, objective ``||y||^2 / 2``."""
    objective = 0.5 * float(y @ y)
    return {
        "V": np.zeros((2, G, d, m1)),
        "objective": objective,
        "dual_bound": objective,
        "gap": 0.0,
        "violation": 0.0,
        "status": "optimal",
        "iterations": 0,
        "seconds": time.perf_counter() - start,
        "device": str(dev),
        "dtype": str(dtype).replace("torch.", ""),
        "message": "",
        "history": [],
    }


def _run_ipm(
    maps: _Maps,
    st: _State,
    *,
    tol: float,
    max_iter: int,
    time_limit: float | None,
    start: float,
    verbose: bool,
    linear_solver: str,
) -> dict[str, Any]:
    """Mehrotra predictor-corrector iterations from ``st`` on a shrinking working set of groups;
    returns scaled-unit results with full-size ``U (2, G, m1, d)``."""
    ws = _WorkingSet(maps, st, linear_solver)
    history: list[dict[str, float]] = []
    status, reason, small_steps, best, epoch = "max_iter", "", 0, None, 0
    drop = None
    for it in range(max_iter + 1):
        if drop is not None:  # a new (smaller) problem: progress is measured afresh
            ws.shrink(drop)
            epoch, drop = it, None
        maps, st = ws.maps, ws.st
        _n, d, G, m1 = maps.sizes
        p = m1 * d
        V = st.x[..., 1:].reshape(2, G, m1, d)
        XV = maps.xv(V)
        res = maps.output(XV) - maps.y
        rows = maps.rows(V, XV)
        nu = maps.rows_adjoint(st.zl)
        c = maps.output_adjoint(res).reshape(G, p)
        cert = _certify(maps, V, XV, rows, res, c, nu)
        mu = float((st.sl * st.zl).sum() + (st.sq * st.zq).sum()) / (st.sl.numel() + 2 * G)
        # residuals of  P x + q + G^T z = 0  (dual)  and  G x + s = h  (primal)
        r_x = -st.zq
        r_x[..., 0] += maps.beta
        r_x[0, :, 1:] += c - nu[0].reshape(G, p)
        r_x[1, :, 1:] -= c + nu[1].reshape(G, p)
        r_zl = st.sl - rows - maps.dummy
        r_zq = st.sq - st.x
        primal_res = max(float(r_zl.abs().max()), float(r_zq.abs().max()))
        dual_res = float(r_x.abs().max())
        elapsed = time.perf_counter() - start
        history.append(
            {
                "iteration": it,
                "seconds": elapsed,
                "gap": cert.gap,
                "violation": cert.violation,
                "mu": mu,
                "primal_residual": primal_res,
                "dual_residual": dual_res,
                "groups": G,
                "linear_iterations": 0,
                "correctors": 0,
                "step_length": 0.0,
            }
        )
        if verbose:
            print(
                f"[fast] it {it:3d}  obj {cert.objective:.10e}  gap {cert.gap:.2e}  viol {cert.violation:.2e}"
                f"  mu {mu:.2e}  pres {primal_res:.1e}  dres {dual_res:.1e}  groups {G}"
                f"  inner {history[-2]['linear_iterations'] if it else 0}"
                f"  step {history[-2]['step_length'] if it else 0:.2f}{'c' if it and history[-2]['correctors'] else ''}"
                f"  t {elapsed:.2f}s"
            )
        if best is None or max(cert.gap, cert.violation) < max(best[1].gap, best[1].violation):
            best = (ws.full_blocks(V).clone(), cert, ws.idx is None)
        stall = f"no progress in the last {STALL_ITERATIONS} iterations" if _stalled(history[epoch:]) else ""
        if not stall and cert.gap <= tol and cert.violation <= tol:
            if ws.idx is None:
                status, best = "optimal", (V, cert, True)
                break
            V_full = ws.full_blocks(V)
            full = ws.certificate(V_full, cert)
            if full.gap <= tol and full.violation <= tol:
                status, best = "optimal", (V_full, full, True)
                break
            ws.bring_back(V_full, full, cert)  # left-out groups are needed after all: restart with them
            epoch, drop = it + 1, None
            continue
        if not stall:
            if it == max_iter:
                break
            if time_limit is not None and elapsed > time_limit:
                status = "time_limit"
                break
            drop = ws.shrinkable(V, cert)
            stall, alpha, step, history[-1]["linear_iterations"], history[-1]["correctors"] = _checked_step(
                maps, st, ws.newton, r_x, r_zl, r_zq, mu, dual_res
            )
            history[-1]["step_length"] = alpha
            small_steps = small_steps + 1 if not stall and alpha < 1e-6 else 0
            if small_steps >= 3:
                stall = f"step length {alpha:.1e} three times in a row"
        if stall and ws.idx is not None:  # the smaller problem stalls: go back to all groups, warm
            ws.bring_back_all(ws.full_blocks(V))
            epoch, drop, small_steps = it + 1, None, 0
            continue
        if stall:
            status, reason = "stall", stall
            break
        for value, delta in zip(_fields(st), step):
            value.add_(delta, alpha=alpha)
    V, cert, over_all_groups = best
    if not over_all_groups:
        cert = ws.certificate(V, cert)  # a gap and a bound that hold for all groups
    if status == "stall":
        if cert.gap <= tol and cert.violation <= tol:
            status = "optimal"
        elif maps.X.dtype != torch.float64 or max(cert.gap, cert.violation) <= PRECISION_FLOOR:
            status = "precision_limit"
        else:
            last = history[-1]
            raise SolverError(
                f"fast interior-point solver stalled ({reason}) after {len(history) - 1} iterations: "
                f"gap {cert.gap:.2e}, violation {cert.violation:.2e}, mu {last['mu']:.2e}; "
                f"primal residual {last['primal_residual']:.2e}, dual residual {last['dual_residual']:.2e}"
            )
    return {
        "U": V,
        "objective": cert.objective,
        "dual_bound": cert.dual,
        "gap": cert.gap,
        "violation": cert.violation,
        "status": status,
        "message": _message(status, reason, cert, maps.X.dtype, tol),
        "iterations": len(history) - 1,
        "history": history,
    }


def _stalled(history: list[dict[str, float]]) -> bool:
    """Whether the iterations ``history`` (of one problem, the last one current) stall: in the last
    :data:`STALL_ITERATIONS` of them neither the merit ``max(gap, violation, primal and dual
    residuals)`` nor ``mu`` (while above ``MU_FLOOR`` times its first value) fell below
    :data:`STALL_FACTOR` times its value just before them."""
    if len(history) <= STALL_ITERATIONS:
        return False
    past, recent = history[-STALL_ITERATIONS - 1], history[-STALL_ITERATIONS:]

    def merit(h: dict[str, float]) -> float:
        return max(h["gap"], h["violation"], h["primal_residual"], h["dual_residual"])

    if min(merit(h) for h in recent) < STALL_FACTOR * merit(past):
        return False
    floor = MU_FLOOR * history[0]["mu"]
    return not any(floor < h["mu"] < STALL_FACTOR * past["mu"] for h in recent)


def _message(status: str, reason: str, cert: _Certificate, dtype: torch.dtype, tol: float) -> str:
    """One line saying why a result is not certified optimal (empty when it is)."""
    reached = f"gap {cert.gap:.1e}, violation {cert.violation:.1e} (tol {tol:.0e})"
    if status == "optimal":
        return ""
    if status == "precision_limit":
        return f"stopped by {str(dtype).replace('torch.', '')} precision ({reason}) at {reached}"
    return f"stopped by the {'iteration' if status == 'max_iter' else 'time'} limit at {reached}"


def _checked_step(*args: Any) -> tuple[str, float, tuple[Tensor, ...], int, int]:
    """:func:`_newton_step` of ``args``, tried again with a larger diagonal shift
    (:data:`REGULARIZATION_RETRY`) when a factorization breaks down, and a second breakdown reported
    as a reason: ``(reason or "", alpha, step, inner iterations, correctors kept)``."""
    for shift in (1.0, REGULARIZATION_RETRY):
        try:
            alpha, step, inner, corrected = _newton_step(*args, shift=shift)
        except _FactorizationError as exc:
            reason = str(exc)
            continue
        return ("non-finite Newton direction" if math.isnan(alpha) else ""), alpha, step, inner, corrected
    return reason, math.nan, (), 0, 0


def _newton_step(
    maps: _Maps,
    st: _State,
    newton: Callable[[Tensor, float], _Newton],
    r_x: Tensor,
    r_zl: Tensor,
    r_zq: Tensor,
    mu: float,
    dual_res: float,
    shift: float = 1.0,
) -> tuple[float, tuple[Tensor, ...], int, int]:
    """One Mehrotra predictor-corrector step, with Gondzio's centrality corrector where the Newton
    solver says it pays (:data:`CORRECTORS`): ``(alpha, (dx, dsl, dzl, dsq, dzq), inner iterations,
    correctors kept)`` (the Krylov steps of its linear solves).

    The linearized KKT system ``P dx + G^T dz = -r_x``, ``G dx + ds = -r_z``,
    ``lam o (W dz + W^{-1} ds) = b_s`` is reduced to ``(P + G^T W^{-2} G) dx = rhs`` (CVXOPT's scheme);
    on the rows ``W^{-2} = z / s``, on the second-order cones the NT matrices.
    """
    _n, d, G, m1 = maps.sizes
    p = m1 * d
    nt = _NTScaling.of(st.sq, st.zq)
    H = nt.inverse_square()
    H[..., 1:, 1:] += maps.row_gram(st.zl / st.sl)
    solver = newton(H, shift)

    def direction(b_sl: Tensor, b_sq: Tensor, refinements: int) -> tuple[Tensor, ...]:
        """Solve for the step; the reduced system's residual is exactly the error left in the dual
        equation, so refinement aims well below the current dual residual."""
        u_q = nt.apply_inverse(_arrow_solve(nt.lam, b_sq))  # W^{-1} (lam \ b_s)
        rhs = nt.apply_inverse_square(r_zq).add_(u_q).sub_(r_x)
        a_l = (st.zl * r_zl).add_(b_sl).div_(st.sl)
        rhs[..., 1:] += maps.rows_adjoint(a_l).reshape(2, G, p)
        dx = solver.solve(rhs, refinements, 1e-2 * dual_res)
        dV = dx[..., 1:].reshape(2, G, m1, d)
        dsl = maps.rows(dV, maps.xv(dV)).sub_(r_zl)
        dzl = (b_sl - st.zl * dsl).div_(st.sl)
        dsq = dx - r_zq
        dzq = u_q - nt.apply_inverse_square(dsq)
        return dx, dsl, dzl, dsq, dzq

    lam2 = _jordan(nt.lam, nt.lam)
    sz = st.sl * st.zl
    aff = direction(-sz, -lam2, 0)  # the predictor only sets the centring: no refinement
    alpha_aff = min(1.0, _max_step(st, *aff[1:]))
    sigma_mu = (1 - alpha_aff) ** 3 * mu
    _, dsl_a, dzl_a, dsq_a, dzq_a = aff
    b_sl = sz.addcmul_(dsl_a, dzl_a).sub_(sigma_mu).neg_()
    b_sq = lam2.add_(_jordan(nt.apply_inverse(dsq_a), nt.apply(dzq_a))).neg_()
    b_sq[..., 0] += sigma_mu
    step = direction(b_sl, b_sq, MAX_REFINEMENTS)
    alpha = _max_step(st, *step[1:])
    corrected = 0
    for _ in range(solver.correctors):  # Gondzio: aim further, re-centre the rows that would block
        if not alpha < 1.0:
            break
        aim = min(1.0, alpha + CORRECTOR_GAIN)
        v = (st.sl + aim * step[1]) * (st.zl + aim * step[2])
        low, high = CORRECTOR_LOW * sigma_mu, CORRECTOR_HIGH * sigma_mu
        trial_step = direction(b_sl + v.clamp(low, high).sub_(v).clamp_min_(-high), b_sq, MAX_REFINEMENTS)
        alpha_trial = _max_step(st, *trial_step[1:])
        if not alpha_trial >= alpha + CORRECTOR_ACCEPT * CORRECTOR_GAIN:
            break
        step, alpha, corrected = trial_step, alpha_trial, corrected + 1
    alpha = STEP_FRACTION * alpha
    return (alpha if math.isnan(alpha) else min(1.0, alpha)), step, solver.iterations, corrected
