"""Tuning constants of the fast solver.

The solver reads each one from this module when it runs (``settings.NAME``), so an experiment tunes
it by setting the attribute here. Their measured effects are in CHANGELOG.md ("Solver and route
measurements over time").
"""

from __future__ import annotations

# --------------------------------------------------------------------------- steps and accuracy

#: Fraction of the step to the cone boundary taken by the combined (corrector) step.
STEP_FRACTION = 0.99
#: Relative diagonal shift of each block Hessian before factorization, in machine epsilons (1e-13 in float64).
REGULARIZATION_EPS = 450
#: Factor on that shift for the one retry of a step whose factorization broke down.
REGULARIZATION_RETRY = 1e4
#: Preconditioned GMRES steps allowed per dense Newton solve.
MAX_REFINEMENTS = 4
#: Relative residual that ends them, in units of sqrt(machine epsilon) (1.5e-10 in float64).
REFINE_TOL_SQRT_EPS = 1e-2
#: Largest block order factorized by the vectorised CPU kernels (in batches of at least 2048 blocks).
SMALL_BLOCK = 8

# --------------------------------------------------------------------------- starting points

#: Cold start in unit data: V = 0 and every slack, epigraph variable and multiplier at max(this, beta).
START_SLACK = 0.1
#: Warm start: margin added to the given point's cone rows and norms to make it interior.
WARM_MARGIN = 1e-2

# --------------------------------------------------------------------------- stopping

#: A stall: over STALL_ITERATIONS iterations neither the merit nor mu fell below this factor of its earlier value.
STALL_FACTOR = 0.9
#: Iterations over which progress is measured (against the value just before them, not the best).
STALL_ITERATIONS = 10
#: mu below this factor of its first value no longer counts as progress.
MU_FLOOR = 1e-14
#: A float64 stall with certified gap and violation below this is reported as "precision_limit", not raised.
PRECISION_FLOOR = 1e-7

# --------------------------------------------------------------------------- working set of groups

#: Certified gap at or below which groups may leave the Newton system.
SHRINK_GAP = 0.1
#: A group leaves when both its blocks' norms are at most this fraction of the largest block norm.
SHRINK_NORM = 1e-2
#: ... and only when at least this fraction of the working groups qualify at once.
SHRINK_FRACTION = 0.25
#: Problems with fewer groups never shrink (the working set costs more than it saves there).
SHRINK_MIN_GROUPS = 256
#: Accelerated projected-gradient steps that sharpen a left-out group's multipliers before it comes back.
MULTIPLIER_STEPS = 300

# --------------------------------------------------------------------------- facet presolve

#: Largest data dimension d - 1 in which implied cone rows are found (exact convex hulls by qhull).
FACET_MAX_DIM = 6
#: Rows with a_i . u <= FACET_TIGHT |a_i| |u| at the realizing direction u count as tight and are kept.
FACET_TIGHT = 1e-9
#: The presolve is used only when it keeps at most this fraction of the rows.
FACET_GAIN = 0.5
#: Bytes of kept-row sets held for repeated solves on the same data (read at import: facets.FACET_CACHE.max_bytes).
FACET_CACHE_BYTES = 64 * 2**20

# --------------------------------------------------------------------------- memory and threads

#: Memory the solver may plan to use on the CPU, in bytes (on CUDA: 90% of the free device memory).
CPU_MEMORY_BUDGET = 8 * 2**30
#: With threads=None, CPU problems with fewer cone-row entries (2 G q) run on one torch thread.
MULTITHREAD_ROWS = 500_000
#: Entries of the data-row chunks in which M^T M and L^T Q L are accumulated.
CHUNK_ENTRIES = 5e7

# --------------------------------------------------------------------------- iterative Newton solves

#: Krylov steps allowed per iterative Newton solve.
KRYLOV_MAX_ITER = 500
#: GMRES restart length of the iterative solver.
KRYLOV_RESTART = 100
#: Variables of the most coupled groups whose mutual coupling the preconditioner keeps exactly.
KRYLOV_DENSE_SIZE = 2048
#: Relative residual of the corrector's iterative solve (tighter when the dual residual asks for it).
KRYLOV_TOL = 1e-10
#: Relative residual of the predictor's iterative solve (it only sets the centring).
KRYLOV_TOL_PREDICTOR = 1e-3

# --------------------------------------------------------------------------- Gondzio's centrality corrector

#: Centrality correctors tried per Newton step.
CORRECTORS = 1
#: Dense capacitances with fewer rows skip them (their factorization costs about as much as a solve).
CORRECTOR_MIN_SIZE = 8192
#: The corrector aims at the step length alpha + CORRECTOR_GAIN.
CORRECTOR_GAIN = 0.2
#: Complementarity products are pulled up to CORRECTOR_LOW sigma mu ...
CORRECTOR_LOW = 0.1
#: ... and down to CORRECTOR_HIGH sigma mu.
CORRECTOR_HIGH = 10.0
#: A corrected direction is kept when its step grows by at least this fraction of the gain.
CORRECTOR_ACCEPT = 0.1
