"""LangGraph's own server and Studio (`langgraph dev`, named in `langgraph.json`): the
support graph over the real stores, built from the settings on the first run.

An entry point, like the command line and the app: nothing in Ressenti imports it.
"""

from __future__ import annotations

from functools import cache

from agents.core.config import Settings
from agents.support.graph import SupportDeps, build_support_graph
from agents.support.wiring import default_deps


@cache
def _deps() -> SupportDeps:
    return default_deps(Settings())


graph = build_support_graph(default_deps=_deps)
"""The graph LangGraph's server serves; it brings its own checkpointer."""
