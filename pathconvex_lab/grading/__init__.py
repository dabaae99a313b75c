"""Classroom assignments: answer checks, building the student and autograder versions, grading.

The master notebooks live in ``notebooks/assignments/`` (otter-grader 7 format). Each test cell
of a master calls one ``check_*`` function (:mod:`.checks`); a wrong answer raises
:class:`AnswerError` whose message is one sentence saying what is wrong.

- :mod:`.checks`: the answer checks, used by students (``grader.check``) and by the referee.
- :mod:`.build`: ``otter assign`` on each master, made byte-reproducible (:func:`build_assignments`).
- :mod:`.run`: :func:`grade_submission` / :func:`grade_submissions`, no Docker needed.
- :mod:`.sandbox`, :mod:`.runner`, :mod:`.wire`, :mod:`.referee`: how a submission is isolated
  (bubblewrap), run, questioned over a plain-data wire, and scored by a process it never touches.

Everything the notebooks and the CLI use is importable from here (``grading.check_rebuild``).
"""

from .build import (ASSIGN_TIMEOUT_S, ZIP_DATE, BuiltAssignment, build_assignment, build_assignments,
                    default_masters_dir, find_masters, question_points)
from .checks import (DECISION_CASES, DECISION_EDGE_CASES, PATH_NORM_TEST_VECTOR, AnswerError, answered,
                     brute_force_path_norm, call_answer, check_bound, check_cover_bound, check_cover_bound_all,
                     check_decide_optimal, check_decide_optimal_edges, check_exact_count, check_missed,
                     check_missed_by_sampling, check_net_objective, check_net_objective_is_path_objective,
                     check_network_path_norm, check_p_star, check_path_norm_random, check_path_norm_test_vector,
                     check_program_form, check_program_value, check_rebuild, check_rebuild_network, check_sampled,
                     check_sign_patterns, check_sign_patterns_random, check_trained, check_verdict, show)
from .run import _scored_points  # noqa: F401 - tested as grading._scored_points
from .run import (DEFAULT_BUILD_DIR, GRADE_TIMEOUT_S, KERNEL_START_TIMEOUT_S, QuestionGrade, SandboxUnavailable, SubmissionGrade,
                  clean_message, find_autograder, grade_submission, grade_submissions, read_submission,
                  require_sandbox, resolve_autograder, submission_assignment)
from .sandbox import GRADING_ENV_KEEP, grading_env, sandbox_status

__all__ = ["DEFAULT_BUILD_DIR", "find_autograder", "answered", "AnswerError", "ASSIGN_TIMEOUT_S", "brute_force_path_norm", "build_assignment",
           "build_assignments", "BuiltAssignment", "call_answer", "check_bound", "check_cover_bound",
           "check_cover_bound_all", "check_decide_optimal", "check_decide_optimal_edges",
           "check_exact_count", "check_missed", "check_missed_by_sampling", "check_net_objective",
           "check_net_objective_is_path_objective", "check_network_path_norm", "check_p_star",
           "check_path_norm_random", "check_path_norm_test_vector", "check_program_form",
           "check_program_value", "check_rebuild", "check_rebuild_network", "check_sampled",
           "check_sign_patterns", "check_sign_patterns_random", "check_trained", "check_verdict",
           "clean_message", "DECISION_CASES", "DECISION_EDGE_CASES", "default_masters_dir", "find_masters",
           "grade_submission", "grade_submissions", "GRADE_TIMEOUT_S", "KERNEL_START_TIMEOUT_S", "grading_env", "GRADING_ENV_KEEP",
           "PATH_NORM_TEST_VECTOR", "question_points", "QuestionGrade", "read_submission", "require_sandbox",
           "resolve_autograder", "sandbox_status", "SandboxUnavailable", "submission_assignment",
           "SubmissionGrade", "show", "ZIP_DATE"]
