"""The exercises of the lecture notebooks: each check says "Correct!" to the solution printed in
its notebook (one click away), "Not yet" with a reason to a wrong answer, and "Not implemented
yet" to the untouched stub; the notebooks hold the stub, its check and the solution."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from pathconvex_lab.grading import exercises as ex

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: notebook -> the check functions its exercise cells call, in order.
EXERCISES = {
    "02_two_layer_convex": ["check_weight_decay_exercise", "check_balance_exercise"],
    "03_path_regularization": ["check_subnet_output_exercise", "check_subnet_path_norm_exercise"],
    "04_group_sparsity": ["check_active_blocks_exercise", "check_caratheodory_exercise"],
    "05_polytime_approximation": ["check_truncated_svd_exercise", "check_gamma_exercise"],
}
SOLUTION = re.compile(r"<details><summary>Solution \(click\)</summary>\s*```python\n(.*?)```", re.S)


def _solutions(name: str) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [m.group(1) for c in nb.cells if c.cell_type == "markdown" for m in SOLUTION.finditer(c.source)]


def _stub_cells(name: str) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code" and "ex.check_" in c.source]


@pytest.mark.parametrize("name", EXERCISES)
def test_each_notebook_has_two_exercises_with_stub_check_and_solution(name):
    stubs, solutions = _stub_cells(name), _solutions(name)
    assert len(stubs) == 2 and len(solutions) >= 2
    for stub, check in zip(stubs, EXERCISES[name], strict=True):
        assert f"ex.{check}(" in stub and "raise NotImplementedError" in stub


@pytest.mark.parametrize("name", EXERCISES)
def test_the_notebooks_solutions_are_correct_and_the_stubs_are_not_implemented(name):
    for stub, solution, check in zip(_stub_cells(name), _solutions(name), EXERCISES[name], strict=True):
        func_name = re.search(r"def (\w+)\(", solution).group(1)
        solved: dict = {"np": np}
        exec(solution, solved)  # noqa: S102 - the notebook's own solution text
        assert getattr(ex, check)(solved[func_name]).startswith("Correct!"), (name, check)
        stubbed: dict = {"np": np, "ex": _Silent()}
        exec(stub, stubbed)  # noqa: S102 - the notebook's own stub (its print goes to _Silent)
        assert getattr(ex, check)(stubbed[func_name]) == ex.NOT_IMPLEMENTED


class _Silent:
    """Stands for the ``ex`` module inside a stub cell: its check call does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: ""


def _wrong_answers() -> list[tuple[str, object]]:
    relu = lambda z: np.maximum(z, 0.0)  # noqa: E731
    return [
        ("check_weight_decay_exercise", lambda U, a, X, y, b: 0.5 * np.sum((relu(X @ U) @ a - y) ** 2)
         + b * (np.sum(U**2) + np.sum(a**2))),  # beta instead of beta / 2
        ("check_balance_exercise", lambda U, a: (U / np.linalg.norm(U, axis=0), a)),  # changes the outputs
        ("check_subnet_output_exercise", lambda X, W1, w2, a: (relu(X @ W1) @ w2) * a),  # one ReLU missing
        ("check_subnet_path_norm_exercise", lambda W1, w2, a: np.sum(W1**2 * w2**2) * a**2),  # no square root
        ("check_active_blocks_exercise", lambda n, r: int(np.sum(n > r))),  # absolute, not relative
        ("check_caratheodory_exercise", lambda n: n),
        ("check_truncated_svd_exercise", lambda X, r: X),
        ("check_gamma_exercise", lambda X, y, b, r, m1: np.linalg.svd(X, compute_uv=False)[r - 1] * np.linalg.norm(y) / b),
    ]


@pytest.mark.parametrize("check,answer", _wrong_answers(), ids=[c for c, _ in _wrong_answers()])
def test_a_wrong_answer_gets_not_yet_with_a_reason(check, answer):
    message = getattr(ex, check)(answer)
    assert message.startswith("Not yet: ") and len(message) > 30 and "\n" not in message


def test_the_width_prediction_is_checked_by_solving_both_programs():
    assert ex.check_width_prediction("lower").startswith("Correct")
    assert ex.check_width_prediction("higher").startswith("Not quite")
    assert ex.check_width_prediction(...).startswith("Not answered yet")
    assert ex.check_width_prediction("maybe").startswith("Not an answer")
    nb = nbformat.read(NOTEBOOKS / "06_deep_networks.ipynb", as_version=4)
    assert any("ex.check_width_prediction(prediction)" in c.source for c in nb.cells if c.cell_type == "code")
