"""The graph that `langgraph.json` names: importable, complete, and runnable without an
injected context (LangGraph's own server passes none; the real stores are then used)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from tools.crm.errors import RecordNotFoundError

ROOT = Path(__file__).parents[3]


def test_langgraph_json_names_the_support_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text())["graphs"]["support"]
    path, name = spec.split(":")
    module_spec = importlib.util.spec_from_file_location("studio_graph", ROOT / path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    monkeypatch.setitem(sys.modules, "studio_graph", module)  # as a loader registers it
    module_spec.loader.exec_module(module)
    graph = getattr(module, name)

    nodes = set(graph.get_graph().nodes)
    assert {"load_context", "read_emotion", "retrieve", "assess", "route"} <= nodes
    assert {"draft", "check", "approve", "commit", "handoff"} <= nodes

    # No context given: the nodes build the real dependencies from the settings (a turn
    # reads its inbound message from the CRM: there is none with this id there).
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(tmp_path))
    runnable = graph.copy(update={"checkpointer": InMemorySaver()})
    with pytest.raises(RecordNotFoundError):
        runnable.invoke(
            {
                "turn_id": "studio-1",
                "conversation_id": "CV-NONE",
                "message_id": 1,
                "requested_by": None,
            },
            config={"configurable": {"thread_id": "studio-1"}},
        )
