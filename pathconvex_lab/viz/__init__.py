"""Figures (matplotlib and plotly). ``viz`` draws results; it never computes them.

One submodule per topic: ``viz.arrangements``, ``viz.convex``, ``viz.deep``.
"""
