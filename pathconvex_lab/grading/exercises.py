"""Feedback for the exercises inside the lecture notebooks (02 to 06).

Each ``check_*_exercise(answer)`` takes the student's function (or prediction), compares it with
the kit's own computation on several inputs, and returns one message: ``"Correct! ..."``,
``"Not yet: ..."`` (saying what differs, on which input) or ``"Not implemented yet: ..."``.
They never raise for a wrong answer, so a notebook with unsolved exercises still runs top to
bottom. (Assignments that are graded use :mod:`.checks` instead.)
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .checks import AnswerError, brute_force_path_norm

NOT_IMPLEMENTED = "Not implemented yet: replace the `...` and the `raise NotImplementedError` in the exercise cell."


def _feedback(trial: Callable[[], str]) -> str:
    """Run ``trial`` (which returns the success message or raises AnswerError) as one message."""
    try:
        return trial()
    except NotImplementedError:
        return NOT_IMPLEMENTED
    except AnswerError as exc:
        return f"Not yet: {exc}"
    except Exception as exc:  # noqa: BLE001 - the student's error is feedback, not a crash
        return f"Not yet: your function raised {type(exc).__name__}: {exc}"


def _array(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.shape != shape:
        raise AnswerError(f"{name} should have shape {shape}; it has shape {arr.shape}")
    return arr


def _close(got: float, expected: float, what: str, rtol: float = 1e-8) -> None:
    if not abs(got - expected) <= rtol * max(1.0, abs(expected)):
        raise AnswerError(f"{what}: you give {got:.10g}, the kit computes {expected:.10g}")


# --------------------------------------------------------------------------- 02: two layers


def check_weight_decay_exercise(func: Callable[..., float]) -> str:
    """``func(U, alpha, X, y, beta)`` = ``1/2 ||relu(X U) alpha - y||^2 + beta/2 (||U||_F^2 + ||alpha||^2)``,
    compared with :func:`pathconvex_lab.nets.network_objective` (weight decay) on random networks."""
    from ..nets import ParallelReLUNet, network_objective

    def trial() -> str:
        rng = np.random.default_rng(2)
        for n, d, m in ((5, 2, 3), (12, 3, 7), (8, 4, 1)):
            X, y, U, alpha = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal((d, m)), \
                rng.standard_normal(m)
            beta = float(rng.uniform(0.01, 1.0))
            net = ParallelReLUNet.from_weights([U.T[:, :, None]], alpha)
            expected = network_objective(net, X, y, beta, "weight_decay")
            _close(float(func(U, alpha, X, y, beta)), expected, f"for n={n}, d={d}, m={m} neurons, beta={beta:.3g}")
        return "Correct! Your objective matches network_objective(net, X, y, beta, 'weight_decay')."

    return _feedback(trial)


def check_balance_exercise(func: Callable[..., tuple]) -> str:
    """``func(U, alpha) -> (U2, alpha2)`` rescales each neuron so that ``||u_j|| = |alpha_j|``
    without changing the network's output on any data (positive homogeneity of the ReLU)."""

    def trial() -> str:
        rng = np.random.default_rng(4)
        X = rng.standard_normal((20, 3))
        for m in (1, 4, 9):
            U, alpha = rng.standard_normal((3, m)) * rng.uniform(0.1, 5.0, m), rng.standard_normal(m)
            out = func(U, alpha)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise AnswerError("`balance` should return two arrays: (U2, alpha2)")
            U2, alpha2 = _array(out[0], "U2", U.shape), _array(out[1], "alpha2", alpha.shape)
            before, after = np.maximum(X @ U, 0) @ alpha, np.maximum(X @ U2, 0) @ alpha2
            if not np.allclose(before, after, rtol=1e-9, atol=1e-9):
                raise AnswerError(f"with m={m} neurons the output changed by {np.abs(after - before).max():.3g}: "
                                  "scale u_j by c > 0 and alpha_j by 1/c")
            if not np.allclose(np.linalg.norm(U2, axis=0), np.abs(alpha2), rtol=1e-9):
                raise AnswerError(f"with m={m} neurons ||u_j|| and |alpha_j| still differ: choose c = "
                                  "sqrt(|alpha_j| / ||u_j||)")
        return ("Correct! Balanced neurons compute the same function, and their weight decay "
                "(||U||^2 + ||alpha||^2) / 2 now equals the path norm sum_j ||u_j|| |alpha_j|.")

    return _feedback(trial)


# --------------------------------------------------------------------------- 03: three layers


def check_subnet_output_exercise(func: Callable[..., Any]) -> str:
    """``func(X, W1, w2, alpha)`` = ``relu(relu(X W1) w2) alpha``, the output ``(n,)`` of one
    three-layer sub-network, compared with :class:`~pathconvex_lab.nets.ParallelReLUNet`."""
    from ..nets import ParallelReLUNet

    def trial() -> str:
        rng = np.random.default_rng(5)
        for n, d, m1 in ((6, 2, 1), (10, 3, 2), (15, 4, 5)):
            X, W1, w2, alpha = rng.standard_normal((n, d)), rng.standard_normal((d, m1)), rng.standard_normal(m1), \
                float(rng.standard_normal())
            net = ParallelReLUNet.from_weights([W1[None], w2[None, :, None]], np.array([alpha]))
            got = _array(func(X, W1, w2, alpha), f"the output for n={n}", (n,))
            if not np.allclose(got, net.predict(X), rtol=1e-9, atol=1e-12):
                raise AnswerError(f"for n={n}, d={d}, m1={m1} your output differs from the network's by "
                                  f"{np.abs(got - net.predict(X)).max():.3g}: two ReLUs, then alpha")
        return "Correct! relu(relu(X W1) w2) alpha is one sub-network's output."

    return _feedback(trial)


def check_subnet_path_norm_exercise(func: Callable[..., float]) -> str:
    """``func(W1, w2, alpha)`` = the path norm ``sqrt(sum_ij W1_ij^2 w2_j^2) |alpha|`` of one
    three-layer sub-network, compared with enumerating every input-output path."""

    def trial() -> str:
        rng = np.random.default_rng(6)
        for d, m1 in ((2, 1), (3, 2), (4, 6)):
            W1, w2, alpha = rng.standard_normal((d, m1)), rng.standard_normal(m1), float(rng.standard_normal())
            expected = brute_force_path_norm([W1, w2.reshape(m1, 1), np.array([alpha])])
            _close(float(func(W1, w2, alpha)), expected, f"for d={d}, m1={m1}")
        return "Correct! The path norm sums the squared weight products over every path, then takes the root."

    return _feedback(trial)


# --------------------------------------------------------------------------- 04: group sparsity


def check_active_blocks_exercise(func: Callable[..., int]) -> str:
    """``func(norms, rtol)`` = how many entries of ``norms`` exceed ``rtol`` times the largest
    (0 when all are 0), the kit's count of active blocks."""

    def trial() -> str:
        rng = np.random.default_rng(7)
        cases = [np.abs(rng.standard_normal(12)) * (rng.uniform(size=12) < 0.3), np.zeros(5),
                 np.array([1.0, 1e-9, 2e-6, 0.0]), np.array([5e3, 2.0, 1e-2, 0.0]),
                 np.abs(rng.standard_normal((2, 6)))]
        for norms in cases:
            for rtol in (1e-6, 1e-3):
                top = float(norms.max(initial=0.0))
                expected = int((norms > rtol * top).sum()) if top > 0 else 0
                got = func(norms, rtol)
                if int(got) != expected:
                    raise AnswerError(f"for norms {np.round(norms, 9).tolist()} and rtol={rtol:g} you count {got}, "
                                      f"expected {expected}")
        return "Correct! A block is active when its norm is above rtol times the largest one."

    return _feedback(trial)


def check_caratheodory_exercise(func: Callable[[int], int]) -> str:
    """``func(n)`` = the most sub-networks an optimal network needs for ``n`` data points (n + 1)."""

    def trial() -> str:
        for n in (1, 5, 12, 442):
            if int(func(n)) != n + 1:
                raise AnswerError(f"for n={n} you answer {func(n)}; the outputs live in R^n, and "
                                  "Carathéodory's theorem needs at most n + 1 points of a convex hull")
        return "Correct! At most n + 1 sub-networks, whatever K was: that is why pruning loses nothing."

    return _feedback(trial)


# --------------------------------------------------------------------------- 05: the approximation


def check_truncated_svd_exercise(func: Callable[..., Any]) -> str:
    """``func(X, r)`` = the best rank-``r`` approximation of ``X`` (truncated SVD), checked by its
    rank and by the Eckart-Young error ``||X - X_r||_F^2 = sum_{k > r} sigma_k^2``."""

    def trial() -> str:
        rng = np.random.default_rng(8)
        for n, d, r in ((8, 4, 2), (20, 5, 1), (10, 3, 3)):
            X = rng.standard_normal((n, d))
            got = _array(func(X, r), f"the rank-{r} approximation", (n, d))
            s = np.linalg.svd(X, compute_uv=False)
            if np.linalg.matrix_rank(got, tol=1e-8 * s[0]) > r:
                raise AnswerError(f"for r={r} your matrix has rank {np.linalg.matrix_rank(got, tol=1e-8 * s[0])}")
            _close(float(np.sum((X - got) ** 2)), float(np.sum(s[r:] ** 2)),
                   f"||X - X_r||_F^2 for n={n}, d={d}, r={r} (the smallest possible is sum of sigma_k^2, k > r)")
        return "Correct! Keeping the r largest singular values gives the closest rank-r matrix."

    return _feedback(trial)


def check_gamma_exercise(func: Callable[..., float]) -> str:
    """``func(X, y, beta, r, m1)`` = ``gamma = sqrt(m1) sigma_{r+1}(X) ||y|| / beta``, compared with
    :func:`pathconvex_lab.convex.low_rank_approximation`'s ``gamma``."""
    import math

    def trial() -> str:
        rng = np.random.default_rng(9)
        for n, d, r, m1, beta in ((8, 4, 2, 1, 0.1), (12, 3, 1, 2, 0.5), (6, 5, 4, 3, 1.0)):
            X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
            s = np.linalg.svd(X, compute_uv=False)
            sigma = float(s[r]) if r < len(s) else 0.0
            expected = math.sqrt(m1) * sigma * float(np.linalg.norm(y)) / beta
            _close(float(func(X, y, beta, r, m1)), expected, f"gamma for r={r}, m1={m1}, beta={beta}")
        return "Correct! gamma grows with the first discarded singular value and shrinks with beta."

    return _feedback(trial)


# --------------------------------------------------------------------------- 06: a prediction

#: The answers a prediction may take.
PREDICTIONS = ("lower", "the same", "higher")


def check_width_prediction(prediction: Any) -> str:
    """The prediction "with m1 = 2 instead of 1, the best path-regularized objective on DS1 at
    beta = 0.1 is lower / the same / higher", checked by solving both exact convex programs."""
    from ..convex import solve_three_layer
    from ..data import ds1

    if prediction is Ellipsis or prediction is None:
        return f"Not answered yet: set `prediction` to one of {', '.join(repr(p) for p in PREDICTIONS)}."
    if prediction not in PREDICTIONS:
        return f"Not an answer: `prediction` should be one of {', '.join(repr(p) for p in PREDICTIONS)}."
    X, y = ds1()
    p1, p2 = (solve_three_layer(X, y, 0.1, m1=m1).objective for m1 in (1, 2))
    truth = "lower" if p2 < p1 * (1 - 1e-6) else ("higher" if p2 > p1 * (1 + 1e-6) else "the same")
    facts = f"the exact optima are {p1:.6f} with m1 = 1 and {p2:.6f} with m1 = 2"
    if prediction == truth:
        return (f"Correct: {facts}. Every m1 = 1 network is also an m1 = 2 network, and two first-layer "
                "units can share one unit's work: relu(x.u) = relu(x.u/2) + relu(x.u/2) has path norm "
                "||u|| / sqrt(2) instead of ||u||.")
    return f"Not quite: {facts}, so the objective is {truth}. Why? Compare the path norms of the two shapes."
