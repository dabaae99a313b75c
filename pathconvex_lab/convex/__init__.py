"""Convex programs equivalent to path-regularized parallel ReLU networks (MATH.md §2-§3, §6)."""
