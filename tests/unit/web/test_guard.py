"""Every server-side event of the page is registered through the guard (so it reads its
caller from the session), and the events that wait on the model share one bounded group."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from agents.core.config import Settings
from tests.unit.web.conftest import Clock, open_root
from ui.session import QUIET, REQUIRED_TAB
from ui.shell import MODEL_EVENTS, build

TABS = {"", "inbox", "handoffs", "dashboard", "insights", "studio", "evaluations"}


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[gr.Blocks]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("guard"),
        runtime_dir=Path("/nonexistent"),
        llm_base_url="http://127.0.0.1:9/v1",
        _env_file=None,  # type: ignore[call-arg]
    )
    root = open_root(settings, Clock())
    yield build(root.workspace)
    root.close()


def test_every_server_event_is_guarded_with_a_known_tab(page: gr.Blocks) -> None:
    events = [fn for fn in page.fns.values() if fn.fn is not None]
    assert len(events) > 25
    for event in events:
        assert hasattr(event.fn, REQUIRED_TAB), f"{event.name} reads no session"
        assert getattr(event.fn, REQUIRED_TAB) in TABS
        assert isinstance(getattr(event.fn, QUIET), bool)
    # The only events with no server part are the sign-out's (a form POST to /signout).
    assert len(page.fns) - len(events) == 1


def test_model_events_share_one_bounded_group_and_the_rest_do_not_wait_on_it(
    page: gr.Blocks,
) -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    grouped = {fn.name for fn in page.fns.values() if fn.concurrency_id == MODEL_EVENTS}
    # drafts, redrafts, campaign rounds, a draft asked for on a handed-off conversation
    assert grouped == {"submit_inbound", "run", "run_draft", "request_draft"}
    for fn in page.fns.values():
        if fn.concurrency_id == MODEL_EVENTS:
            assert fn.concurrency_limit == defaults.app_model_concurrency
    assert page._queue.default_concurrency_limit == defaults.app_event_concurrency
    reads = [fn for fn in page.fns.values() if fn.name in ("select", "refresh_queue", "tick")]
    assert reads and all(fn.concurrency_id != MODEL_EVENTS for fn in reads)


def tabs_of_components(config: dict[str, Any]) -> dict[int, str]:
    """The tab each component of the page sits in (components outside the tabs: absent)."""
    tab_ids = {c["id"]: c["props"]["id"] for c in config["components"] if c["type"] == "tabitem"}
    where: dict[int, str] = {}

    def walk(node: dict[str, Any], tab: str | None) -> None:
        tab = tab_ids.get(node["id"], tab)
        if tab:
            where[node["id"]] = tab
        for child in node.get("children", []):
            walk(child, tab)

    walk(config["layout"], None)
    return where


def test_an_event_triggered_inside_a_tab_needs_that_tab(page: gr.Blocks) -> None:
    """The guard's tab is checked against where the event's trigger sits on the page (an
    independent fact), so a handler registered with a wider tab than its place fails."""
    config = page.get_config_file()
    where = tabs_of_components(config)
    checked = 0
    for dependency in config["dependencies"]:
        fn = page.fns[dependency["id"]].fn
        if fn is None:
            continue
        places = {where[target] for target, _ in dependency["targets"] if target in where}
        if places:
            checked += 1
            assert {getattr(fn, REQUIRED_TAB)} == places, (fn.__name__, places)
    assert checked > 20
