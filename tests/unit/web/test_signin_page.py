"""The sign-in page and the session cookie, through the whole application in process:
the cookie's flags, the redirect to sign-in, refusals, the throttle's 429, cross-site and
oversized posts, sign-out, the language kept, expiry seen by the app's own routes, and
what the page shows in and out of demo mode.

One application serves the module (building the app takes seconds); each test signs in
as its own person from its own address, so throttles and sessions do not meet.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agents.core.config import Settings
from agents.services.accounts import DEMO_PASSWORD, seed_demo_accounts
from agents.services.root import Root
from agents.services.sessions import LANG_COOKIE, SESSION_COOKIE
from tests.unit.web.conftest import PASSWORD, Clock, open_root
from web.app import create_app

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Root, FastAPI, Clock]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("web-data"),
        runtime_dir=Path("/nonexistent"),
        llm_base_url="http://127.0.0.1:9/v1",
        _env_file=None,  # type: ignore[call-arg]
    )
    clock = Clock()
    root = open_root(settings, clock)
    yield root, create_app(root.workspace), clock
    root.close()


@pytest.fixture
def root(shared: tuple[Root, FastAPI, Clock]) -> Root:
    return shared[0]


@pytest.fixture
def clock(shared: tuple[Root, FastAPI, Clock]) -> Clock:
    return shared[2]


@pytest.fixture
def email(root: Root) -> str:
    """This test's own agent account."""
    address = f"person{next(_numbers)}@lumio.fr"
    root.accounts.create(address, PASSWORD, "agent")
    return address


def client_of(app: FastAPI, base_url: str = "http://testserver") -> TestClient:
    address = (f"10.1.0.{next(_numbers)}", 50000)  # each client its own address
    return TestClient(app, base_url=base_url, follow_redirects=False, client=address)


@pytest.fixture
def client(shared: tuple[Root, FastAPI, Clock]) -> Iterator[TestClient]:
    with client_of(shared[1]) as opened:
        yield opened


def sign_in(client: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/signin", data={"email": email, "password": password, "lang": "fr"})


def test_the_page_sends_a_stranger_to_sign_in_and_the_app_refuses_them(
    client: TestClient,
) -> None:
    page = client.get("/")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin"
    for route in ("/config", "/gradio_api/info", "/gradio_api/upload_progress?upload_id=x"):
        assert client.get(route).status_code == 401, route
    upload = client.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert upload.status_code == 401
    join = {"data": [], "fn_index": 0, "session_hash": "abc", "event_data": None}
    assert client.post("/gradio_api/queue/join", json=join).status_code == 401


def test_signing_in_sets_a_strict_http_only_cookie_and_opens_the_app(
    client: TestClient, root: Root, email: str
) -> None:
    answer = sign_in(client, email)
    assert answer.status_code == 303
    assert answer.headers["location"] == "./"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= flags
    assert "samesite=strict" in cookie.lower()
    assert "max-age=43200" in cookie.lower()  # the session's absolute lifetime, 12 h
    assert "secure" not in flags  # plain HTTP on loopback
    assert client.get("/").status_code == 200
    assert client.get("/config").status_code == 200
    state = client.get("/auth/session").json()
    assert (state["email"], state["role"], state["lang"]) == (email, "agent", "fr")
    assert root.sessions.live_count(email) == 1


def test_over_https_the_cookie_is_secure(shared: tuple[Root, FastAPI, Clock], email: str) -> None:
    with client_of(shared[1], "https://ressenti.example") as secure:
        cookie = sign_in(secure, email).headers["set-cookie"]
    assert "secure" in cookie.lower()


def test_a_refusal_says_the_same_whatever_the_reason(
    client: TestClient, root: Root, email: str
) -> None:
    root.accounts.create("off@lumio.fr", PASSWORD, "tester")
    root.accounts.disable("off@lumio.fr")
    bodies = set()
    for who, password in [
        (email, "wrong-one"),
        ("nobody@lumio.fr", PASSWORD),
        ("off@lumio.fr", PASSWORD),
    ]:
        answer = sign_in(client, who, password)
        assert answer.status_code == 401
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        assert "E-mail ou mot de passe incorrect." in answer.text
        bodies.add(answer.text.replace(who, "EMAIL"))
    assert len(bodies) == 1
    assert client.get("/auth/session").status_code == 401


def test_a_throttled_sign_in_gets_429_with_retry_after(client: TestClient, email: str) -> None:
    for _ in range(3):
        assert sign_in(client, email, "wrong-one").status_code == 401
    answer = sign_in(client, email)
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "2"
    assert "Trop de tentatives" in answer.text


def test_a_post_from_another_site_or_too_large_is_refused(
    client: TestClient, root: Root, email: str
) -> None:
    forged = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert root.sessions.live_count(email) == 0
    huge = client.post("/signin", data={"email": email, "password": "x" * 20_000})
    assert huge.status_code == 413
    as_json = client.post("/signin", json={"email": email, "password": PASSWORD})
    assert as_json.status_code == 415
    same_site = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD},
        headers={"Origin": "http://testserver"},
    )
    assert same_site.status_code == 303


def test_signing_out_ends_the_session_and_clears_the_cookie(
    client: TestClient, root: Root, email: str
) -> None:
    sign_in(client, email)
    token = client.cookies[SESSION_COOKIE]
    answer = client.post("/signout")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("signin?signed_out=1")
    assert root.sessions.resolve(token) is None
    client.cookies.set(SESSION_COOKIE, token)  # a copy of the old cookie opens nothing
    assert client.get("/").status_code == 303
    assert client.get("/config").status_code == 401
    assert "Vous êtes déconnecté" in client.get("/signin?signed_out=1").text


def test_a_new_sign_in_replaces_the_browser_s_session(
    client: TestClient, root: Root, email: str
) -> None:
    sign_in(client, email)
    first = client.cookies[SESSION_COOKIE]
    other = f"other-{email}"
    root.accounts.create(other, PASSWORD, "marketer")
    sign_in(client, other)
    assert root.sessions.resolve(first) is None
    assert client.get("/auth/session").json()["email"] == other


def test_an_expired_session_is_refused_by_every_route(
    client: TestClient, clock: Clock, email: str
) -> None:
    sign_in(client, email)
    clock.advance(minutes=61)
    assert client.get("/").status_code == 303
    assert client.get("/config").status_code == 401
    assert client.get("/auth/session").status_code == 401
    assert "Votre session a pris fin" in client.get("/signin?expired=1").text


def test_the_page_s_language_is_kept_for_the_next_visit(client: TestClient, email: str) -> None:
    english = client.get("/signin?lang=en")
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text
    assert client.cookies[LANG_COOKIE] == "en"
    assert "Sign in with your account." in client.get("/signin").text
    answer = client.post("/signin", data={"email": email, "password": PASSWORD, "lang": "en"})
    assert answer.status_code == 303
    assert client.get("/auth/session").json()["lang"] == "en"


def test_outside_demo_mode_the_page_never_shows_a_password(settings: Settings) -> None:
    root = open_root(settings, Clock())
    try:
        with client_of(create_app(root.workspace)) as client:
            empty = client.get("/signin").text
            assert "ressenti users create-admin" in empty  # a fresh install: the first admin
            seed_demo_accounts(root.accounts)  # left over from an earlier demo
            page = client.get("/signin").text
            assert DEMO_PASSWORD not in page
            assert "agent@demo" not in page
            assert "create-admin" not in page
            refused = client.post(
                "/signin", data={"email": "agent@demo", "password": DEMO_PASSWORD}
            )
            assert refused.status_code == 401
    finally:
        root.close()


def test_in_demo_mode_the_page_lists_the_demo_accounts(settings: Settings) -> None:
    root = open_root(settings.model_copy(update={"demo_mode": True}), Clock())
    try:
        seed_demo_accounts(root.accounts)
        with client_of(create_app(root.workspace)) as client:
            page = client.get("/signin").text
            assert DEMO_PASSWORD in page and "agent@demo" in page
            answer = client.post("/signin", data={"email": "agent@demo", "password": DEMO_PASSWORD})
            assert answer.status_code == 303
    finally:
        root.close()


def test_healthz_answers_for_anyone(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_behind_a_proxy_the_forwarded_host_is_this_host(client: TestClient, email: str) -> None:
    answer = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD},
        headers={"Origin": "https://ressenti.lumio.fr", "X-Forwarded-Host": "ressenti.lumio.fr"},
    )
    assert answer.status_code == 303
