"""The answer checks behind the assignments' autograder tests.

Each test cell of a master notebook calls one ``check_*`` function; a wrong answer raises
:class:`AnswerError` (an ``AssertionError``) whose message is one sentence saying what is wrong,
so students and instructors read feedback, not tracebacks. The same functions run in the
student's notebook (public tests, ``grader.check``) and in the referee when a submission is
graded (every test, on answers fetched from the sandbox as plain data: see :mod:`.wire`).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np

from . import wire


class AnswerError(AssertionError):
    """A student's answer is wrong or missing; the message says what is wrong, in one sentence."""


# =========================================================================== answer checks: helpers


def answered(value: Any, name: str) -> Any:
    """Return ``value``; AnswerError if it is missing (``None``) or still the ``...`` placeholder."""
    if value is None:
        raise AnswerError(f"`{name}` is not defined: run its cell (and the cells above it) without errors")
    if value is Ellipsis:
        raise AnswerError(f"`{name}` is still `...`: replace the `...` with your answer")
    return value


def call_answer(func: Any, name: str, *args: Any) -> Any:
    """Call the student's function ``name``; its exceptions become one-line AnswerErrors."""
    answered(func, name)
    if not callable(func):
        raise AnswerError(f"`{name}` should be a function; it is a {type(func).__name__}")
    try:
        result = func(*args)
    except NotImplementedError:
        raise AnswerError(f"`{name}` is not implemented yet: replace the `...` and the "
                          "`raise NotImplementedError` in its cell") from None
    except Exception as exc:  # noqa: BLE001 - any error in student code is feedback, not a crash
        raise AnswerError(f"`{name}(...)` raised {type(exc).__name__}: {exc}") from None
    if result is None:
        raise AnswerError(f"`{name}(...)` returned None: did you forget the `return` statement?")
    return result


def _number(value: Any, name: str) -> float:
    answered(value, name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AnswerError(f"`{name}` should be a number; it is a {type(value).__name__}") from None
    if not math.isfinite(number):
        raise AnswerError(f"`{name}` should be a finite number; it is {number}")
    return number


def _integer(value: Any, name: str) -> int:
    number = _number(value, name)
    if number != round(number):
        raise AnswerError(f"`{name}` should be a whole number; it is {value!r}")
    return int(round(number))


def _boolean(value: Any, name: str) -> bool:
    answered(value, name)
    if not isinstance(value, (bool, np.bool_)):
        raise AnswerError(f"`{name}` should be True or False; it is a {type(value).__name__}")
    return bool(value)


def _close(value: float, expected: float, name: str, rtol: float, what: str) -> None:
    if not abs(value - expected) <= rtol * max(1.0, abs(expected)):
        raise AnswerError(f"`{name}` is {value:.10g}, but {what} is {expected:.10g}")


def _bool_matrix(value: Any, name: str, rows: int) -> np.ndarray:
    """``value`` as a bool array ``(rows, P)``; 0/1 integers are accepted."""
    answered(value, name)
    arr = np.asarray(value)
    if arr.ndim != 2 or arr.shape[0] != rows:
        raise AnswerError(f"`{name}` should be an array of shape (n, P) = ({rows}, P), one pattern per column; "
                          f"it has shape {arr.shape}")
    if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
        raise AnswerError(f"`{name}` should hold booleans (or 0/1); it has dtype {arr.dtype}")
    return arr.astype(bool)


def _column_set(patterns: np.ndarray) -> set[bytes]:
    return {col.tobytes() for col in np.ascontiguousarray(patterns.T)}


# =========================================================================== assignment 1: arrangements


def check_sign_patterns(sign_patterns: Any, X: Any = None, U: Any = None) -> None:
    """``sign_patterns(X, U)`` returns the distinct columns of ``1[X U > 0]`` (any order).

    Without ``X``/``U``: a fixed example of 4 points and 6 directions; two directions are equal,
    and ``u = (0, -1)`` lies on the hyperplane of the first point (so ``>=`` instead of ``>`` shows).
    """
    if X is None:
        X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 2.0]])
        U = np.array([[1.0, 2.0, -1.0, 0.0, -3.0, 1.0], [1.0, 1.5, 0.5, -1.0, -1.0, 1.0]])
    X, U = np.asarray(X, dtype=float), np.asarray(U, dtype=float)
    got = _bool_matrix(call_answer(sign_patterns, "sign_patterns", X, U), "sign_patterns(X, U)", len(X))
    expected = {tuple(int(X[i] @ U[:, j] > 0) for i in range(len(X))) for j in range(U.shape[1])}
    found = {tuple(int(b) for b in col) for col in got.T}
    if len(found) < got.shape[1]:
        raise AnswerError(f"sign_patterns(X, U) has {got.shape[1]} columns but only {len(found)} distinct ones: "
                          "keep each pattern once (np.unique(..., axis=1))")
    if found != expected:
        extra, missing = found - expected, expected - found
        if extra:
            raise AnswerError(f"sign_patterns(X, U) contains {len(extra)} pattern(s) that no column of U realizes, "
                              f"e.g. {''.join(map(str, sorted(extra)[0]))}: a pattern is 1[X u > 0], with > not >=")
        raise AnswerError(f"sign_patterns(X, U) misses {len(missing)} of the {len(expected)} patterns of the columns "
                          f"of U, e.g. {''.join(map(str, sorted(missing)[0]))}")


def check_sign_patterns_random(sign_patterns: Any, seed: int = 7) -> None:
    """:func:`check_sign_patterns` on random data: 9 points of rank 3, 400 directions, some repeated."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((9, 2)), np.ones((9, 1))])
    U = rng.standard_normal((3, 200))
    check_sign_patterns(sign_patterns, X, np.hstack([U, U[:, ::-1]]))


def check_sampled(sampled: Any, num_sampled: Any, X: Any, U: Any) -> None:
    """``sampled`` holds the distinct patterns of the columns of ``U`` and ``num_sampled`` counts them."""
    X, U = np.asarray(X, dtype=float), np.asarray(U, dtype=float)
    got = _bool_matrix(sampled, "sampled", len(X))
    if _column_set(got) != _column_set(X @ U > 0) or len(_column_set(got)) != got.shape[1]:
        raise AnswerError("`sampled` should be the distinct patterns 1[X u > 0] of the columns of U: "
                          "use your sign_patterns(X, U)")
    count = _integer(num_sampled, "num_sampled")
    if count != got.shape[1]:
        raise AnswerError(f"`num_sampled` is {count}, but `sampled` has {got.shape[1]} patterns (columns)")


def check_exact_count(num_exact: Any, X: Any) -> None:
    """``num_exact`` is the number of chamber patterns of ``X`` (exact enumeration)."""
    from ..arrangements import enumerate_patterns

    count = _integer(num_exact, "num_exact")
    expected = enumerate_patterns(X).count
    if count != expected:
        raise AnswerError(f"`num_exact` is {count}, but X has {expected} activation patterns "
                          "(use ar.enumerate_patterns(X).count)")


def check_cover_bound(cover_bound: Any, cases: Sequence[tuple[int, int]] = ((6, 2), (8, 3), (10, 4))) -> None:
    """``cover_bound(n, r)`` equals Cover's ``C(n, r) = 2 sum_{k<r} binom(n-1, k)`` on ``cases``."""
    from ..arrangements import pattern_bound

    for n, r in cases:
        got = _integer(call_answer(cover_bound, "cover_bound", n, r), f"cover_bound({n}, {r})")
        if got != pattern_bound(n, r):
            raise AnswerError(f"cover_bound({n}, {r}) is {got}, but C({n}, {r}) = {pattern_bound(n, r)}")


def check_cover_bound_all(cover_bound: Any) -> None:
    """:func:`check_cover_bound` for every ``1 <= n <= 12``, ``1 <= r <= 14`` (so also ``r >= n``: ``2^n``)."""
    check_cover_bound(cover_bound, [(n, r) for n in range(1, 13) for r in range(1, 15)])


def check_bound(bound: Any, general_position: Any, num_exact: Any, X: Any) -> None:
    """``bound = C(n, rank X)`` and ``general_position`` says whether the count attains it."""
    from ..arrangements import pattern_bound

    X = np.asarray(X, dtype=float)
    expected = pattern_bound(len(X), int(np.linalg.matrix_rank(X)))
    got = _integer(bound, "bound")
    if got != expected:
        raise AnswerError(f"`bound` is {got}, but C(n, r) for n = {len(X)} points of rank "
                          f"{np.linalg.matrix_rank(X)} is {expected}")
    verdict = _boolean(general_position, "general_position")
    if verdict != (_integer(num_exact, "num_exact") == expected):
        raise AnswerError(f"`general_position` is {verdict}, but the exact count {num_exact} "
                          f"{'equals' if not verdict else 'is below'} the bound {expected}")


def check_missed(missed: Any, u_missed: Any, X: Any) -> None:
    """``u_missed`` lies strictly inside a chamber and realizes the pattern ``missed``."""
    X = np.asarray(X, dtype=float)
    pattern = _bool_matrix(np.reshape(answered(missed, "missed"), (-1, 1)), "missed", len(X))[:, 0]
    u = np.asarray(answered(u_missed, "u_missed"), dtype=float).reshape(-1)
    if u.shape != (X.shape[1],):
        raise AnswerError(f"`u_missed` should be a direction of shape ({X.shape[1]},); it has shape {u.shape}")
    pre = X @ u
    if np.abs(pre).min() <= 1e-9 * np.linalg.norm(X) * max(np.linalg.norm(u), 1e-300):
        raise AnswerError("`u_missed` lies on a hyperplane x_i^T u = 0 (a boundary, not a chamber): "
                          "use a direction strictly inside the chamber, e.g. from exact.directions")
    if not np.array_equal(pre > 0, pattern):
        raise AnswerError("1[X u_missed > 0] differs from `missed` at point(s) "
                          f"{', '.join(map(str, np.flatnonzero((pre > 0) != pattern)))}")


def check_missed_by_sampling(missed: Any, sampled: Any, X: Any) -> None:
    """The pattern ``missed`` is not among the sampled patterns."""
    X = np.asarray(X, dtype=float)
    pattern = np.asarray(answered(missed, "missed")).astype(bool).reshape(-1)
    if pattern.tobytes() in _column_set(_bool_matrix(sampled, "sampled", len(X))):
        raise AnswerError("`missed` is one of the sampled patterns: pick an exact pattern that is NOT a column "
                          "of `sampled`")


# =========================================================================== assignment 2: two-layer program


def _two_layer_reference(X: np.ndarray, y: np.ndarray, beta: float) -> float:
    from ..convex import solve_two_layer

    return float(solve_two_layer(X, y, beta).objective)


def _student_program(two_layer_program: Any, X: np.ndarray, y: np.ndarray, beta: float, D: np.ndarray) -> tuple:
    import cvxpy as cp

    out = call_answer(two_layer_program, "two_layer_program", X, y, beta, D)
    if not (isinstance(out, tuple) and len(out) == 3):
        raise AnswerError("`two_layer_program` should return three things: (problem, V, W)")
    problem, V, W = out
    if not isinstance(problem, (cp.Problem, wire.SolvedProblem)):
        raise AnswerError(f"the first value returned should be a cvxpy Problem; it is a {type(problem).__name__}")
    shape = (X.shape[1], D.shape[1])
    for name, var in (("V", V), ("W", W)):
        if not isinstance(var, (cp.Variable, wire.SolvedVariable)) or tuple(var.shape) != shape:
            raise AnswerError(f"`{name}` should be a cvxpy Variable of shape (d, P) = {shape}; got "
                              f"{type(var).__name__} of shape {getattr(var, 'shape', None)}")
    if not problem.is_dcp():
        raise AnswerError("the problem is not DCP (cvxpy cannot prove it convex): use cp.sum_squares, cp.norm "
                          "and affine expressions only")
    return problem, V, W


def check_program_form(two_layer_program: Any, X: Any, y: Any, beta: Any, D: Any) -> None:
    """``two_layer_program`` returns ``(problem, V, W)``: a DCP cvxpy Problem and ``(d, P)`` Variables."""
    _student_program(two_layer_program, np.asarray(X, float), np.asarray(y, float), float(beta), np.asarray(D, bool))


def _solve_student(problem: Any) -> float:
    try:
        problem.solve()
    except Exception as exc:  # noqa: BLE001 - solver failures are feedback
        raise AnswerError(f"solving your problem failed: {type(exc).__name__}: {exc}") from None
    if problem.status != "optimal" or problem.value is None:
        raise AnswerError(f"your problem is {problem.status}: check the signs of the cone constraints")
    return float(problem.value)


def check_program_value(two_layer_program: Any, X: Any = None, y: Any = None, beta: Any = None) -> None:
    """Solving the student's program gives the optimum of the two-layer convex program (the kit's solver as reference).

    Without data: 5 points ``x = (-1, -0.3, 0.4, 1, 1.5)`` with a bias column and ``beta = 0.1``.
    """
    from ..arrangements import enumerate_patterns

    if X is None:
        X = np.column_stack([[-1.0, -0.3, 0.4, 1.0, 1.5], np.ones(5)])
        y, beta = np.array([0.2, -0.5, 0.7, 0.1, -0.4]), 0.1
    X, y, beta = np.asarray(X, float), np.asarray(y, float), float(beta)
    problem, _, _ = _student_program(two_layer_program, X, y, beta, enumerate_patterns(X).patterns)
    _close(_solve_student(problem), _two_layer_reference(X, y, beta), "problem.value", 1e-5,
           "the convex optimum (pathconvex_lab.convex.solve_two_layer)")


def check_p_star(p_star: Any, X: Any, y: Any, beta: Any) -> None:
    """``p_star`` is the optimal value of the two-layer convex program."""
    _close(_number(p_star, "p_star"), _two_layer_reference(np.asarray(X, float), np.asarray(y, float), float(beta)),
           "p_star", 1e-5, "the convex optimum")


def _rebuilt(rebuild: Any, V: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = call_answer(rebuild, "rebuild", V, W)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AnswerError("`rebuild` should return two arrays: (U, alpha)")
    U, alpha = np.asarray(out[0], dtype=float), np.asarray(out[1], dtype=float).reshape(-1)
    if U.ndim != 2 or U.shape[0] != V.shape[0] or U.shape[1] != alpha.shape[0]:
        raise AnswerError(f"`rebuild` should return U of shape (d, m) = ({V.shape[0]}, m) and alpha of shape (m,); "
                          f"got {U.shape} and {alpha.shape}")
    return U, alpha


def check_rebuild(rebuild: Any) -> None:
    """``rebuild(V, W)`` on a small example: one nonzero block of each sign, and two zero blocks."""
    V = np.array([[3.0, 0.0], [4.0, 0.0]])
    W = np.array([[0.0, 1.0], [0.0, 0.0]])
    U, alpha = _rebuilt(rebuild, V, W)
    if U.shape[1] != 2:
        raise AnswerError("V and W have 2 nonzero columns, so the network needs 2 neurons; `rebuild` gave "
                          f"{U.shape[1]} (skip the zero columns)")
    expected = sorted([(0.6 * 5**0.5, 0.8 * 5**0.5, 5**0.5), (1.0, 0.0, -1.0)])
    got = sorted(tuple(np.round(np.append(U[:, j], alpha[j]), 9)) for j in range(2))
    if not np.allclose(got, expected, atol=1e-6):
        raise AnswerError("for v = (3, 4) the neuron should be u = v / sqrt(||v||) = (0.6, 0.8) sqrt(5) with "
                          "alpha = +sqrt(5), and for w = (1, 0): u = (1, 0), alpha = -1")


def check_rebuild_network(rebuild: Any, X: Any, D: Any, V: Any, W: Any) -> None:
    """The rebuilt network reproduces the program's prediction ``sum_i D_i X (v_i - w_i)``
    and is balanced (``||u_j|| = |alpha_j|``), on the solved blocks ``V, W (d, P)`` (arrays, or
    solved cvxpy Variables)."""
    X, D = np.asarray(X, float), np.asarray(D, bool)
    V, W = (np.asarray(answered(getattr(answered(B, name), "value", B), f"{name}.value"), float)
            for B, name in ((V, "V"), (W, "W")))
    U, alpha = _rebuilt(rebuild, V, W)
    f_program = (D * (X @ (V - W))).sum(axis=1)
    f_network = np.maximum(X @ U, 0.0) @ alpha
    scale = max(1.0, np.abs(f_program).max())
    if np.abs(f_network - f_program).max() > 1e-5 * scale:
        raise AnswerError("the rebuilt network sum_j (X u_j)_+ alpha_j differs from the program's prediction "
                          f"sum_i D_i X (v_i - w_i) by {np.abs(f_network - f_program).max():.3g}")
    if not np.allclose(np.linalg.norm(U, axis=0), np.abs(alpha), rtol=1e-6, atol=1e-9):
        raise AnswerError("the neurons are not balanced: scale them so that ||u_j|| = |alpha_j| "
                          "(that is what makes weight decay equal the path norm)")


def check_net_objective(net_objective: Any, relative_gap: Any, net: Any, p_star: Any, X: Any, y: Any,
                        beta: Any) -> None:
    """``net_objective`` is the weight-decay objective of ``net``; it matches ``p_star``."""
    from ..nets import ParallelReLUNet, network_objective

    if not isinstance(answered(net, "net"), ParallelReLUNet):
        raise AnswerError(f"`net` should be a ParallelReLUNet; it is a {type(net).__name__}")
    expected = network_objective(net, X, y, float(beta), "weight_decay")
    _close(_number(net_objective, "net_objective"), expected, "net_objective", 1e-8,
           "network_objective(net, X, y, BETA, 'weight_decay')")
    star = _number(p_star, "p_star")
    _close(_number(relative_gap, "relative_gap"), abs(expected - star) / abs(star), "relative_gap", 1e-6,
           "|net_objective - p_star| / p_star")
    if abs(expected - star) > 1e-5 * abs(star):
        raise AnswerError(f"the rebuilt network's objective {expected:.8g} should equal p_star = {star:.8g}; "
                          "check `rebuild`")


def check_net_objective_is_path_objective(net_objective: Any, net: Any, X: Any, y: Any, beta: Any) -> None:
    """``net_objective`` also equals the path-norm objective of ``net`` (true for balanced neurons)."""
    from ..nets import network_objective

    path = network_objective(answered(net, "net"), X, y, float(beta), "path")
    _close(_number(net_objective, "net_objective"), path, "net_objective", 1e-6,
           "the path-norm objective network_objective(net, X, y, BETA, 'path') of a balanced network")


# =========================================================================== assignment 3: path norm, certificate


def brute_force_path_norm(weights: Sequence[Any]) -> float:
    """``sqrt(sum over input-output paths of prod w^2)`` by enumerating every path (reference, small nets).

    ``weights = [W1 (d, m1), ..., W_{L-1} (m_{L-2}, m_{L-1}), w_L (m_{L-1},)]``.
    """
    mats = [np.asarray(W, float) for W in weights[:-1]] + [np.asarray(weights[-1], float).reshape(-1, 1)]
    total = 0.0
    for path in itertools.product(*[range(m) for m in [mats[0].shape[0]] + [W.shape[1] for W in mats]]):
        total += math.prod(float(W[path[i], path[i + 1]]) ** 2 for i, W in enumerate(mats))
    return math.sqrt(total)


#: A three-layer test vector whose squared path norm (the sum over all 2 x 2 x 3 paths) is ``71.5625``.
PATH_NORM_TEST_VECTOR = (
    np.array([[1.0, -2.0], [0.5, 1.0]]),
    np.array([[1.0, 0.0, 2.0], [-1.0, 3.0, 0.5]]),
    np.array([2.0, -1.0, 0.5]),
)


def check_path_norm_test_vector(deep_path_norm: Any) -> None:
    """``deep_path_norm`` gives ``sqrt(71.5625)`` on :data:`PATH_NORM_TEST_VECTOR`."""
    got = _number(call_answer(deep_path_norm, "deep_path_norm", list(PATH_NORM_TEST_VECTOR)),
                  "deep_path_norm(test vector)")
    if abs(got**2 - 71.5625) > 1e-8:
        hint = " (return the square root)" if abs(got - 71.5625) < 1e-8 else ""
        raise AnswerError(f"deep_path_norm of the test vector is {got:.10g}, but R = sqrt(71.5625) = "
                          f"{71.5625**0.5:.10g}{hint}")


def check_path_norm_random(deep_path_norm: Any, seed: int = 3) -> None:
    """``deep_path_norm`` matches brute-force path enumeration for depths 2 to 5."""
    rng = np.random.default_rng(seed)
    for widths in ((3, 1), (3, 4, 1), (2, 3, 3, 2), (4, 2, 3, 2, 2)):
        weights = [rng.standard_normal((a, b)) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        weights.append(rng.standard_normal(widths[-1]))
        got = _number(call_answer(deep_path_norm, "deep_path_norm", weights), "deep_path_norm(...)")
        expected = brute_force_path_norm(weights)
        if abs(got - expected) > 1e-8 * max(1.0, expected):
            shapes = " x ".join(str(w.shape) for w in weights)
            raise AnswerError(f"for weights of shapes {shapes}, deep_path_norm gives {got:.10g} but the sum over all "
                              f"paths gives {expected:.10g}")


def check_network_path_norm(R_deep: Any, deep: Any) -> None:
    """``R_deep`` is the path norm of the parallel network ``deep`` (sum over its sub-networks)."""
    expected = float(deep.path_norm().item())
    got = _number(R_deep, "R_deep")
    if abs(got - expected) > 1e-8 * max(1.0, expected):
        raise AnswerError(f"`R_deep` is {got:.10g}, but the network's path norm (sum over its K sub-networks) "
                          f"is {expected:.10g}")


def check_trained(trained: Any, p_trained: Any, X: Any, y: Any, beta: Any, m1: int = 2) -> None:
    """``trained`` is a three-layer network of first-layer width ``m1``, better than the zero network,
    and ``p_trained`` is its path-regularized objective."""
    from ..nets import ParallelReLUNet, network_objective

    if not isinstance(answered(trained, "trained"), ParallelReLUNet):
        raise AnswerError(f"`trained` should be a ParallelReLUNet (result.net); it is a {type(trained).__name__}")
    if len(trained.widths) != 3 or trained.widths[1] != m1:
        raise AnswerError(f"`trained` should be a three-layer network with widths (d, {m1}, 1); "
                          f"it has {trained.widths}")
    expected = network_objective(trained, X, y, float(beta))
    _close(_number(p_trained, "p_trained"), expected, "p_trained", 1e-8, "network_objective(trained, X, y, BETA)")
    zero = 0.5 * float(np.sum(np.asarray(y, float) ** 2))
    if expected >= zero:
        raise AnswerError(f"the trained objective {expected:.6g} is not below {zero:.6g}, the objective of the zero "
                          "network: train longer or with another learning rate")


#: ``(sigma, beta, primal, lower_bound) -> globally optimal?`` with ``tol = 1e-5``.
DECISION_CASES = (
    ((0.1, 0.1, 0.61719308, 0.61719306), True),
    ((0.19, 0.1, 0.68754606, 0.50104672), False),
    ((0.0999, 0.1, 1.0, 0.9), False),
    ((0.13, 0.1, 1.0, 1.0), False),
)
#: Edge cases: sigma within the tolerance above beta; a gap just above and just below the tolerance.
DECISION_EDGE_CASES = (
    ((1.000001, 1.0, 2.0, 2.0), True),
    ((0.5, 1.0, 2.0, 2.0 - 1.5e-5 * 2.0), False),
    ((0.5, 1.0, 2.0, 2.0 - 0.5e-5 * 2.0), True),
    ((2.0, 1.0, 3.0, 3.0), False),
)


def check_decide_optimal(decide_optimal: Any, cases: Sequence = DECISION_CASES) -> None:
    """``decide_optimal(sigma, beta, primal, lower_bound)`` applies the optimality test of a certificate
    (``sigma <= beta (1 + tol)`` and a relative gap at most ``tol``) with ``tol = 1e-5``."""
    for args, expected in cases:
        got = _boolean(call_answer(decide_optimal, "decide_optimal", *args), f"decide_optimal{args}")
        if got != expected:
            sigma, beta, primal, lower = args
            raise AnswerError(f"decide_optimal(sigma={sigma}, beta={beta}, primal={primal}, lower_bound={lower}) "
                              f"returned {got}; expected {expected} (optimal iff sigma <= beta (1 + tol) and "
                              "(primal - lower_bound) <= tol * primal)")


def check_decide_optimal_edges(decide_optimal: Any) -> None:
    """:func:`check_decide_optimal` on the tolerance edge cases."""
    check_decide_optimal(decide_optimal, DECISION_EDGE_CASES)


def check_verdict(verdict: Any, name: str, net: Any, X: Any, y: Any, beta: Any, expected: bool | None = None) -> None:
    """``verdict`` (a bool) agrees with an exact-group certificate of ``net`` (a network, or a convex
    result whose ``.network()`` is certified) recomputed here, and with ``expected`` when given."""
    from ..convex import ConvexResult, certificate

    got = _boolean(verdict, name)
    net = answered(net, "the network")
    result = isinstance(net, (ConvexResult, wire.RemoteResult))
    cert = certificate(net.network() if result else net, X, y, float(beta))
    if got != cert.certified:
        raise AnswerError(f"`{name}` is {got}, but the certificate says: {cert.verdict()} "
                          f"(sigma/beta = {cert.ratio:.6g}, relative gap {cert.rel_gap:.3g})")
    if expected is not None and got != expected:
        raise AnswerError(f"`{name}` should be {expected}")


# =========================================================================== showing answers


def show(**answers: Any) -> None:
    """Print ``name: value`` for each answer on one line; an answer still ``...`` reads
    "not answered yet" (never "Ellipsis"), so an unanswered notebook shows what is left to do."""
    parts = [f"{name}: {'not answered yet (replace the `...`)' if value is Ellipsis else value}"
             for name, value in answers.items()]
    print(" | ".join(parts))
