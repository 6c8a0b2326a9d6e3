"""LangGraph's own server and Studio (`langgraph dev`, named in `langgraph.json`): the
support graph over the real stores, its dependencies built by the composition root on the
first run.

An entry point, like the command line and the app: nothing in Ressenti imports it.
"""

from __future__ import annotations

from functools import cache

from agents.core.config import Settings
from agents.services.root import Root
from agents.support.graph import SupportDeps, build_support_graph


@cache
def _root() -> Root:
    """The server process's one root (it lives as long as the process)."""
    return Root(Settings())


def _deps() -> SupportDeps:
    return _root().support_deps


graph = build_support_graph(default_deps=_deps)
"""The graph LangGraph's server serves; it brings its own checkpointer."""
