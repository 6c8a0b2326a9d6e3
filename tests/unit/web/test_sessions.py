"""Server-side sessions: idle and absolute expiry on a controllable clock, revocation on
sign-out, disable, role change, new password and removal, the language kept."""

from __future__ import annotations

from sqlalchemy import select

from agents.services.root import Root
from tests.unit.web.conftest import PASSWORD, Clock
from tools.crm.models import UserSession


def sign_in(root: Root, email: str = "lea@lumio.fr") -> str:
    result = root.signins.sign_in(email, PASSWORD, address="10.0.0.1", lang="fr")
    assert result.outcome == "ok" and result.token
    return result.token


def test_the_table_keeps_a_hash_never_the_token(root: Root) -> None:
    token = sign_in(root)
    with root.store.reading() as session:
        [row] = session.scalars(select(UserSession)).all()
    assert token not in row.id and len(row.id) == 64
    signed = root.sessions.resolve(token)
    assert signed is not None and signed.account.email == "lea@lumio.fr"
    assert root.sessions.resolve(row.id) is None  # the stored value opens nothing
    assert root.sessions.resolve("made-up") is None
    assert root.sessions.resolve(None) is None


def test_a_session_nobody_uses_ends_after_the_idle_time(root: Root, clock: Clock) -> None:
    token = sign_in(root)  # idle limit: 60 minutes
    clock.advance(minutes=59)
    assert root.sessions.resolve(token, touch=False) is not None
    clock.advance(minutes=2)
    assert root.sessions.resolve(token) is None


def test_use_keeps_it_alive_but_timers_do_not(root: Root, clock: Clock) -> None:
    used, polled = sign_in(root), sign_in(root, "max@lumio.fr")
    for _ in range(3):  # 150 minutes of activity, 50 at a time
        clock.advance(minutes=50)
        assert root.sessions.resolve(used) is not None  # a click
        signed = root.sessions.resolve(polled, touch=False)  # a timer's tick
    assert signed is None  # the page only polled: it went idle at 60 minutes
    assert root.sessions.resolve(used) is not None


def test_a_session_ends_at_its_absolute_lifetime_however_active(root: Root, clock: Clock) -> None:
    token = sign_in(root)  # absolute limit: 12 hours
    for _ in range(23):
        clock.advance(minutes=30)
        assert root.sessions.resolve(token) is not None
    clock.advance(minutes=30)
    assert root.sessions.resolve(token) is None


def test_signing_out_ends_only_that_session(root: Root) -> None:
    first, second = sign_in(root), sign_in(root)
    assert root.sessions.revoke(first) is True
    assert root.sessions.resolve(first) is None
    assert root.sessions.resolve(second) is not None
    assert root.sessions.revoke(first) is False  # already over


def test_disabling_an_account_ends_its_sessions_and_its_sign_ins(root: Root) -> None:
    token, other = sign_in(root), sign_in(root, "max@lumio.fr")
    root.accounts.disable("lea@lumio.fr")
    assert root.sessions.resolve(token) is None
    assert root.sessions.resolve(other) is not None  # another account is untouched
    refused = root.signins.sign_in("lea@lumio.fr", PASSWORD, address="10.0.0.1", lang="fr")
    assert refused.outcome == "refused"

    root.accounts.enable("lea@lumio.fr")
    assert root.sessions.resolve(token) is None  # an old session stays over
    assert root.sessions.resolve(sign_in(root)) is not None


def test_a_new_role_or_password_ends_the_sessions_opened_with_the_old(root: Root) -> None:
    token = sign_in(root)
    root.accounts.set_role("lea@lumio.fr", "admin")
    assert root.sessions.resolve(token) is None
    again = sign_in(root)
    signed = root.sessions.resolve(again)
    assert signed is not None and signed.account.role == "admin"

    root.accounts.set_password("lea@lumio.fr", "another-pass-2")
    assert root.sessions.resolve(again) is None
    assert root.signins.sign_in(
        "lea@lumio.fr", "another-pass-2", address="10.0.0.1", lang="fr"
    ).token


def test_removing_an_account_removes_its_sessions(root: Root) -> None:
    token = sign_in(root)
    root.accounts.remove("lea@lumio.fr")
    assert root.sessions.resolve(token) is None
    assert root.accounts.get("lea@lumio.fr") is None
    with root.store.reading() as session:
        assert session.scalars(select(UserSession)).all() == []


def test_the_session_remembers_the_language_chosen(root: Root) -> None:
    token = sign_in(root)
    signed = root.sessions.resolve(token)
    assert signed is not None and signed.lang == "fr"
    root.sessions.set_lang(signed.session_id, "en")
    again = root.sessions.resolve(token)
    assert again is not None and again.lang == "en"
