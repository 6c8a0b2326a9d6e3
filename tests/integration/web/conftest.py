"""The whole application served by uvicorn on a free loopback port, called the way any
client (or attacker) would: plain HTTP with httpx, and Gradio's own queue protocol
(`POST /gradio_api/queue/join`, then the event stream of `/gradio_api/queue/data`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from agents.core.config import Settings
from agents.services.workspace import Workspace
from tests.integration.conftest import free_port
from web.app import create_app
from web.serve import start

DEMO_PASSWORD = "ressenti-demo"
ROLE_ACCOUNTS = {
    "agent": "agent@demo",
    "marketer": "marketer@demo",
    "tester": "tester@demo",
    "admin": "admin@demo",
}


@dataclass
class Served:
    url: str
    app: FastAPI
    workspace: Workspace
    settings: Settings

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60.0, **kwargs)

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> httpx.Client:
        """A client holding the session cookie of `email` (signed in on the sign-in page);
        the caller closes it."""
        client = self.client()
        answer = client.post("/signin", data={"email": email, "password": password, "lang": "fr"})
        assert answer.status_code == 303, answer.text
        return client

    @contextmanager
    def signed_in(self, email: str, password: str = DEMO_PASSWORD) -> Iterator[httpx.Client]:
        client = self.sign_in(email, password)
        try:
            yield client
        finally:
            client.close()


def serve(workspace: Workspace, settings: Settings) -> Iterator[Served]:
    app = create_app(workspace)
    running = start(app, "127.0.0.1", free_port())
    workspace.start()  # the recovery pass and the embedded workers, as `ressenti app` does
    try:
        yield Served(running.url, app, workspace, settings)
    finally:
        running.stop()
        workspace.close()


@dataclass
class Completed:
    """How one event ended, as the queue's stream said it."""

    success: bool
    output: dict[str, Any]

    @property
    def error(self) -> str | None:
        value = self.output.get("error")
        return str(value) if value is not None else None

    @property
    def data(self) -> list[Any]:
        return list(self.output.get("data") or [])


def join(
    client: httpx.Client, fn_index: int, data: list[Any], session_hash: str | None = None
) -> tuple[httpx.Response, str]:
    """Put one event in the queue; returns the answer and the session hash used (a page's:
    one per browser tab, which keeps what earlier events changed, such as a list's choices;
    a fresh one by default)."""
    session_hash = session_hash or uuid.uuid4().hex[:12]
    body = {
        "data": data,
        "fn_index": fn_index,
        "session_hash": session_hash,
        # What a browser sends with a `.select` event (other events ignore it): the handler
        # of a select needs it before the guard can even refuse the caller.
        "event_data": {"index": 0, "value": None, "selected": True},
        "trigger_id": None,
    }
    return client.post("/gradio_api/queue/join", json=body), session_hash


def outcome(client: httpx.Client, session_hash: str, seen: list[str] | None = None) -> Completed:
    """Read the queue's stream for `session_hash` until its event completes."""
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}) as s:
        assert s.status_code == 200
        for line in s.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if seen is not None:
                seen.append(str(message.get("msg")))
            if message.get("msg") == "process_completed":
                return Completed(bool(message.get("success")), message.get("output") or {})
    raise AssertionError("the queue's stream closed before the event completed")


def call(
    client: httpx.Client, fn_index: int, data: list[Any], session_hash: str | None = None
) -> Completed:
    answer, used = join(client, fn_index, data, session_hash)
    assert answer.status_code == 200, answer.text
    return outcome(client, used)


def event_of(config: dict[str, Any], elem_id: str, trigger: str = "click") -> int:
    """The fn_index of the event `trigger` of the component `elem_id`."""
    ids = {c["id"] for c in config["components"] if c["props"].get("elem_id") == elem_id}
    for dependency in config["dependencies"]:
        if any(t in ids and kind == trigger for t, kind in dependency["targets"]):
            return int(dependency["id"])
    raise KeyError(f"no {trigger} event on #{elem_id}")


def default_inputs(config: dict[str, Any], fn_index: int, **by_elem_id: Any) -> list[Any]:
    """The values the page would send for an event's inputs (their defaults), some replaced
    by elem_id."""
    components = {c["id"]: c for c in config["components"]}
    dependency = next(d for d in config["dependencies"] if d["id"] == fn_index)
    values = []
    for component_id in dependency["inputs"]:
        props = components[component_id]["props"]
        elem_id = props.get("elem_id")
        values.append(by_elem_id[elem_id] if elem_id in by_elem_id else props.get("value"))
    return values
