"""Reference values of docs/mathematics.md §8 (and the §4.2 and §6 examples it lists), in one place.

Each optimum is the kit's convex optimum rounded to 8 digits; the certified lower bound and the
attained objective differ by less than 5e-8 relative (docs/mathematics.md §8). The tolerances
belong to the tests that use these values. Data sets: ``pathconvex_lab.data.ds1`` ... ``ds4``.
"""

from __future__ import annotations

import math

from pathconvex_lab.data import ds1, ds2, ds3, ds4

DATA_SETS = {"ds1": ds1, "ds2": ds2, "ds3(8)": lambda: ds3(8), "ds4(6)": lambda: ds4(6), "ds4(8)": lambda: ds4(8)}
"""The data sets of the tables below by name; each entry returns ``X`` (bias column last) and ``y``."""

# --------------------------------------------------------------------------- two-layer optima p2*

DS1_TWO_LAYER_OPTIMUM = 0.71447173
"""DS1, beta = 0.1: two-layer optimum p2* (also p3* for m1 = 1)."""
DS1_TWO_LAYER_OPTIMUM_SQRT2 = 0.65908951
"""DS1, beta = 0.1 / sqrt(2): two-layer optimum p2*."""
DS1_TWO_LAYER_OPTIMUM_SQRT3 = 0.61979424
"""DS1, beta = 0.1 / sqrt(3): two-layer optimum p2*."""
DS2_TWO_LAYER_OPTIMUM = 0.90740115
"""DS2, beta = 0.05: two-layer optimum p2* (also p3* for m1 = 1)."""
DS3_8_TWO_LAYER_OPTIMUM = 0.50622767
"""DS3(8), beta = 0.05: two-layer optimum p2*."""
DS4_6_TWO_LAYER_OPTIMUM = 0.26839090
"""DS4(6), beta = 0.05: two-layer optimum p2*."""
DS4_8_TWO_LAYER_OPTIMUM = 0.28611188
"""DS4(8), beta = 0.05: two-layer optimum p2*."""

TWO_LAYER_OPTIMA = (
    ("ds1", 0.1, DS1_TWO_LAYER_OPTIMUM),
    ("ds1", 0.1 / math.sqrt(2), DS1_TWO_LAYER_OPTIMUM_SQRT2),
    ("ds1", 0.1 / math.sqrt(3), DS1_TWO_LAYER_OPTIMUM_SQRT3),
    ("ds2", 0.05, DS2_TWO_LAYER_OPTIMUM),
    ("ds3(8)", 0.05, DS3_8_TWO_LAYER_OPTIMUM),
    ("ds4(6)", 0.05, DS4_6_TWO_LAYER_OPTIMUM),
    ("ds4(8)", 0.05, DS4_8_TWO_LAYER_OPTIMUM),
)
"""The two-layer table of docs/mathematics.md §8, row by row: (name in ``DATA_SETS``, beta, p2*)."""

# --------------------------------------------------------------------------- three-layer l2-path optima p3*

DS1_THREE_LAYER_M1_2_OPTIMA = {0.02: 0.17777029, 0.05: 0.39279719, 0.1: 0.61719308}
"""DS1, m1 = 2 (409 groups): three-layer optimum p3* by beta."""
DS1_THREE_LAYER_M1_2_OPTIMUM = DS1_THREE_LAYER_M1_2_OPTIMA[0.1]
"""DS1, m1 = 2, beta = 0.1 (409 groups): three-layer optimum p3* (certified in [0.617193078, 0.617193083])."""
DS1_THREE_LAYER_M1_3_OPTIMUM = 0.53450033
"""DS1, m1 = 3, beta = 0.1 (7,665 groups): three-layer optimum p3*."""
DS2_THREE_LAYER_M1_2_OPTIMUM = 0.59234023
"""DS2, m1 = 2, beta = 0.05 (16,160 groups): three-layer optimum p3*."""
DS3_8_THREE_LAYER_M1_2_OPTIMUM = 0.33906601
"""DS3(8), m1 = 2, beta = 0.05 (865 groups): three-layer optimum p3*."""

# --------------------------------------------------------------------------- other reference values

PATH_NORM_TEST_VECTOR_SQUARED = 71.5625
"""docs/mathematics.md §4.2 test vector: squared path norm R^2."""
DS4_8_RANK_2_OBJECTIVE = 0.29034727
"""docs/mathematics.md §6, DS4(8), two layers, beta = 0.05, rank r = 2: p_hat of the rank-2 approximation."""
DS4_8_RANK_2_GAMMA = 6.63
"""docs/mathematics.md §6, DS4(8), two layers, beta = 0.05, rank r = 2: gamma = sigma_3 ||y|| / beta (3 digits)."""
