"""Direct authorisation, the way an attacker would try it: raw HTTP to every route of the
application and to the queue endpoint of every event of the app's page, signed out, with
each role, with a revoked session, a wrong token and a token of the wrong role.

Expected: signed out, every Gradio route answers 401 (the page itself sends to sign-in);
signed in, an event whose tab the role may not open is refused by the handler ("not
allowed", or, for events every page triggers, an answer that changes nothing); API routes
answer 401 without a valid bearer token and 403 for a role that may not read them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.accounts import TABS_BY_ROLE, AccountStore, seed_demo_accounts
from agents.services.root import Overrides, Root
from tests.fakes import SCRIPTED_PROFILE, ScriptedChatModel
from tests.integration.app.conftest import RoutedScript
from tests.integration.conftest import free_port
from tests.integration.web.conftest import (
    ROLE_ACCOUNTS,
    Completed,
    Served,
    call,
    default_inputs,
    join,
    serve,
)
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore
from ui.i18n import t
from ui.session import QUIET, REQUIRED_TAB

NOT_ALLOWED = t("not_allowed", "fr")
API_ROUTES = ["/api/v1/approvals", "/api/v1/handoffs", "/api/v1/conversations/CV-NONE"]
API_READERS = {"agent", "admin"}
UPLOAD_LIMIT_MB = 0.01  # 10 KiB, so the test sends little


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("web-auth"),
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",  # the model is scripted
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        demo_mode=True,
        app_max_upload_mb=UPLOAD_LIMIT_MB,
        _env_file=None,  # type: ignore[call-arg]
    )
    store = CRMStore.from_settings(settings)
    seed_demo(store, customers=5)
    seed_demo_accounts(AccountStore(store))
    store.close()
    model = ScriptedChatModel(script=RoutedScript([]))
    root = Root(settings, Overrides(llm=LLMClient(settings, model)))
    yield from serve(root.workspace, settings)


def server_events(served: Served) -> list[tuple[int, str, bool]]:
    """Every event of the page with a server part: (fn_index, required tab, quiet)."""
    page = served.app.state.page
    return [
        (index, getattr(fn.fn, REQUIRED_TAB), getattr(fn.fn, QUIET))
        for index, fn in page.fns.items()
        if fn.fn is not None
    ]


def changes_nothing(done: Completed) -> bool:
    """An answer whose every output is a bare update (no value, no property) and that
    changed no server-side state (Gradio sends a `gr.State` output as None, and names the
    states an event changed in `changed_state_ids`)."""

    def bare(item: Any) -> bool:
        if item is None:  # a gr.State output: its value stays on the server
            return True
        if not isinstance(item, dict) or item.get("__type__") != "update":
            return False
        props = item.get("props", {"__type__": "update"})
        return set(item) <= {"__type__", "props"} and props == {"__type__": "update"}

    unchanged = not done.output.get("changed_state_ids")
    return done.success and unchanged and all(bare(item) for item in done.data)


def test_signed_out_every_route_of_the_app_refuses(served: Served) -> None:
    with served.client() as stranger:
        page = stranger.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/signin"
        assert stranger.get("/signin").status_code == 200
        for route in (
            "/config",
            "/gradio_api/info",
            "/gradio_api/openapi.json",
            "/gradio_api/queue/data?session_hash=x",
            f"/gradio_api/file={served.settings.data_dir / 'ressenti.db'}",
        ):
            assert stranger.get(route).status_code == 401, route
        upload = stranger.post("/gradio_api/upload", files={"files": ("a.txt", b"hi")})
        assert upload.status_code == 401
        events = server_events(served)
        assert len(events) > 25
        for fn_index, _, _ in events:
            answer, _ = join(stranger, fn_index, [])
            assert answer.status_code == 401, fn_index
        for route in API_ROUTES:
            assert stranger.get(route).status_code == 401


def test_what_gradio_leaves_open_tells_a_stranger_nothing(served: Served) -> None:
    with served.client() as stranger:
        assert stranger.get("/gradio_api/user").json() is None
        assert stranger.get("/gradio_api/token").json() == {"token": None, "user": None}
        login = {"username": "admin@demo", "password": "ressenti-demo"}
        gradio_login = stranger.post("/login", data=login, follow_redirects=False)
        assert gradio_login.status_code == 302  # Gradio's own sign-in is not in use
        assert "set-cookie" not in gradio_login.headers
        assert stranger.post("/gradio_api/vibe-edit", json={"prompt": "x"}).status_code == 403
        assert stranger.get("/gradio_api/run-history/records").status_code == 404  # off
        # Called again, Gradio would start a second copy of its queue's loops: closed.
        assert stranger.get("/gradio_api/startup-events").status_code == 404


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_each_role_reaches_exactly_the_events_of_its_tabs(served: Served, role: str) -> None:
    with served.signed_in(ROLE_ACCOUNTS[role]) as client:
        config = client.get("/config").json()
        tabs = TABS_BY_ROLE[role]  # type: ignore[index]
        allowed_count = refused_count = 0
        for fn_index, tab, quiet in server_events(served):
            # Cheap inputs where an allowed event would do real work (a one-case suite).
            data = default_inputs(config, fn_index, limit=1, suite="marketing_compliance")
            done = call(client, fn_index, data)
            if tab == "" or tab in tabs:
                allowed_count += 1
                assert done.error != NOT_ALLOWED, (role, fn_index, tab)
            elif quiet:
                refused_count += 1
                assert changes_nothing(done), (role, fn_index, tab, done.output)
            else:
                refused_count += 1
                assert (done.success, done.error) == (False, NOT_ALLOWED), (role, fn_index)
        assert allowed_count and (refused_count or role == "admin")


def test_an_allowed_event_answers_with_the_data(served: Served) -> None:
    """The positive side: the queue's refresh gives an agent the demo customers' drafts
    list and the handoff cards, an admin the dashboard's figures."""
    page = served.app.state.page
    by_name = {fn.name: index for index, fn in page.fns.items() if fn.fn is not None}
    with served.signed_in("agent@demo") as agent:
        config = agent.get("/config").json()
        opened = call(agent, by_name["open_page"], [])
        assert opened.success
        assert "Alex Agent" in str(opened.data[0])
        [handoffs, *_] = [
            index
            for index, fn in page.fns.items()
            if fn.name == "refresh_view" and getattr(fn.fn, REQUIRED_TAB) == "handoffs"
        ]
        cards = call(agent, handoffs, default_inputs(config, handoffs))
        assert cards.success and any(isinstance(item, dict) for item in cards.data)


def test_a_revoked_or_changed_session_is_refused_at_the_next_event(served: Served) -> None:
    served.workspace.accounts.create("temp@lumio.fr", "temp-pass-1", "agent")
    client = served.sign_in("temp@lumio.fr", "temp-pass-1")
    page = served.app.state.page
    open_page = next(i for i, fn in page.fns.items() if fn.name == "open_page")
    assert call(client, open_page, []).success
    served.workspace.accounts.set_role("temp@lumio.fr", "tester")  # e.g. from the CLI
    answer, _ = join(client, open_page, [])
    assert answer.status_code == 401
    assert client.get("/config").status_code == 401
    client.close()

    again = served.sign_in("temp@lumio.fr", "temp-pass-1")
    assert call(again, open_page, []).success
    assert again.post("/signout", follow_redirects=False).status_code == 303
    assert join(again, open_page, [])[0].status_code == 401
    again.close()


def test_uploads_need_a_session_and_stay_under_the_size_limit(served: Served) -> None:
    with served.signed_in("marketer@demo") as client:
        small = client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 1024)})
        assert small.status_code == 200, small.text
        big = client.post("/gradio_api/upload", files={"files": ("b.bin", b"x" * 20 * 1024)})
        assert big.status_code == 413, big.text


@pytest.mark.parametrize("route", API_ROUTES)
def test_the_api_wants_a_bearer_token_of_a_reading_role(served: Served, route: str) -> None:
    tokens = served.workspace.tokens
    made = {
        role: tokens.create(f"{role}-{route}", role)[0]
        for role in ("integration", "agent", "admin")
    }
    with served.client() as client:
        assert client.get(route).status_code == 401
        wrong = {"Authorization": "Bearer rst_" + "A" * 43}
        assert client.get(route, headers=wrong).status_code == 401
        for role, token in made.items():
            answer = client.get(route, headers={"Authorization": f"Bearer {token}"})
            expected = {200, 404} if role in API_READERS else {403}
            assert answer.status_code in expected, (role, answer.text)
    # A session cookie does not open the API, and a token does not open the app.
    with served.signed_in("admin@demo") as browser:
        assert browser.get(route).status_code == 401
    with served.client(headers={"Authorization": f"Bearer {made['admin']}"}) as bot:
        assert bot.get("/config").status_code == 401


def test_health_and_the_api_document_are_public(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        document = client.get("/api/v1/openapi.json").json()
        assert "/approvals" in document["paths"]
        assert client.get("/api/v1/docs").status_code == 200
