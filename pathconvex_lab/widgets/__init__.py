"""ipywidgets dashboards, one submodule per topic (``widgets.arrangements``, ``widgets.convex``,
``widgets.deep``). Callbacks show their exceptions in the dashboard, never lose them."""
