"""Signing in: exponential back-off per account and per address, every checked attempt
audited, a maximum password length, demo accounts only in demo mode, no global lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from agents.core.config import Settings
from agents.services.accounts import (
    DEMO_PASSWORD,
    MAX_PASSWORD_LENGTH,
    AccountError,
    AccountStore,
    SignInCheck,
    seed_demo_accounts,
)
from agents.services.root import Root
from agents.services.sessions import SignInDesk, SignInResult
from tests.unit.web.conftest import PASSWORD, Clock, open_root
from tools.crm.models import SignInAttempt


def attempt(root: Root, email: str, password: str, address: str = "10.0.0.1") -> SignInResult:
    return root.signins.sign_in(email, password, address=address, lang="fr")


def outcomes(root: Root) -> list[tuple[str, str, str]]:
    with root.store.reading() as session:
        rows = session.scalars(select(SignInAttempt).order_by(SignInAttempt.id)).all()
        return [(r.email, r.address, r.outcome) for r in rows]


def test_failures_are_free_then_each_try_waits_twice_as_long(root: Root, clock: Clock) -> None:
    for _ in range(3):  # signin_free_failures = 3
        assert attempt(root, "lea@lumio.fr", "wrong").outcome == "refused"
    waits = []
    for _ in range(4):
        blocked = attempt(root, "lea@lumio.fr", PASSWORD)  # even the right password waits
        assert blocked.outcome == "throttled"
        waits.append(blocked.retry_after_s)
        clock.advance(seconds=blocked.retry_after_s)
        assert attempt(root, "lea@lumio.fr", "wrong").outcome == "refused"
    assert waits == [2.0, 4.0, 8.0, 16.0]
    clock.advance(seconds=32)
    assert attempt(root, "lea@lumio.fr", PASSWORD).outcome == "ok"
    # Success starts the account's count again (its address keeps its own).
    assert attempt(root, "lea@lumio.fr", "wrong", address="10.0.0.9").outcome == "refused"


def test_the_wait_has_a_ceiling_and_failures_age_out(settings: Settings, clock: Clock) -> None:
    capped = settings.model_copy(update={"signin_backoff_max_s": 10.0})
    root = open_root(capped, clock)
    root.accounts.create("lea@lumio.fr", PASSWORD, "agent")
    try:
        for _ in range(8):
            wait = root.signins.wait_s("lea@lumio.fr", "10.0.0.1")
            clock.advance(seconds=wait)
            assert wait <= 10.0
            attempt(root, "lea@lumio.fr", "wrong")
        assert root.signins.wait_s("lea@lumio.fr", "10.0.0.1") == 10.0
        clock.advance(minutes=61)  # past signin_window_minutes: the failures no longer count
        assert root.signins.wait_s("lea@lumio.fr", "10.0.0.1") == 0.0
    finally:
        root.close()


def test_an_address_guessing_many_accounts_is_slowed_too(root: Root) -> None:
    for email in ("a@lumio.fr", "b@lumio.fr", "c@lumio.fr"):
        assert attempt(root, email, "guess", address="203.0.113.7").outcome == "refused"
    assert attempt(root, "lea@lumio.fr", "guess", address="203.0.113.7").outcome == "throttled"
    # Another address may still try that account: the throttle is per address AND per account.
    assert attempt(root, "lea@lumio.fr", PASSWORD, address="10.0.0.2").outcome == "ok"
    # Signing in to one's own account does not reset an address's count.
    assert attempt(root, "d@lumio.fr", "guess", address="203.0.113.7").outcome == "throttled"


def test_a_throttled_try_writes_nothing_and_checks_no_password(root: Root) -> None:
    checked: list[str] = []
    real_check = root.accounts.check

    def counting(email: str, password: str) -> tuple[SignInCheck, object]:
        checked.append(email)
        return real_check(email, password)  # type: ignore[return-value]

    root.accounts.check = counting  # type: ignore[method-assign]
    for _ in range(3):
        attempt(root, "lea@lumio.fr", "wrong")
    before = outcomes(root)
    assert attempt(root, "lea@lumio.fr", "wrong").outcome == "throttled"
    assert outcomes(root) == before
    assert len(checked) == 3


def test_every_checked_attempt_is_audited_with_its_outcome(root: Root) -> None:
    root.accounts.create("off@lumio.fr", PASSWORD, "tester")
    root.accounts.disable("off@lumio.fr")
    attempt(root, "LEA@lumio.fr ", PASSWORD, address="10.0.0.1")
    attempt(root, "lea@lumio.fr", "wrong", address="10.0.0.2")
    attempt(root, "nobody@lumio.fr", PASSWORD, address="10.0.0.3")
    attempt(root, "off@lumio.fr", PASSWORD, address="10.0.0.4")
    attempt(root, "max@lumio.fr", "x" * (MAX_PASSWORD_LENGTH + 1), address="10.0.0.5")
    attempt(root, "agent@demo", DEMO_PASSWORD, address="10.0.0.6")
    assert outcomes(root) == [
        ("lea@lumio.fr", "10.0.0.1", "ok"),
        ("lea@lumio.fr", "10.0.0.2", "bad_password"),
        ("nobody@lumio.fr", "10.0.0.3", "unknown_account"),
        ("off@lumio.fr", "10.0.0.4", "disabled"),
        ("max@lumio.fr", "10.0.0.5", "too_long"),
        ("agent@demo", "10.0.0.6", "demo_account"),
    ]


def test_a_password_has_a_maximum_length(root: Root) -> None:
    longest = "p" * MAX_PASSWORD_LENGTH
    root.accounts.create("long@lumio.fr", longest, "agent")
    assert attempt(root, "long@lumio.fr", longest).outcome == "ok"
    assert root.accounts.check("long@lumio.fr", longest + "p") == ("too_long", None)
    with pytest.raises(AccountError, match=f"at most {MAX_PASSWORD_LENGTH}"):
        root.accounts.create("longer@lumio.fr", longest + "p", "agent")
    with pytest.raises(AccountError, match=f"at most {MAX_PASSWORD_LENGTH}"):
        root.accounts.set_password("long@lumio.fr", longest + "p")


def test_demo_accounts_sign_in_only_in_demo_mode(settings: Settings, clock: Clock) -> None:
    plain = open_root(settings, clock)
    seed_demo_accounts(plain.accounts)  # as if left over from an earlier demo
    try:
        assert not settings.demo_active
        assert attempt(plain, "agent@demo", DEMO_PASSWORD).outcome == "refused"
    finally:
        plain.close()
    demo = open_root(settings.model_copy(update={"demo_mode": True}), clock)
    try:
        assert attempt(demo, "agent@demo", DEMO_PASSWORD, address="10.0.0.8").outcome == "ok"
    finally:
        demo.close()


def test_sign_ins_do_not_wait_for_one_another(root: Root, settings: Settings) -> None:
    """One sign-in stuck in its password check does not hold up another person's."""
    stuck, release = threading.Event(), threading.Event()

    class SlowForLea(AccountStore):
        def check(self, email: str, password: str) -> tuple[SignInCheck, object]:  # type: ignore[override]
            if email == "lea@lumio.fr":
                stuck.set()
                release.wait(30)
            return super().check(email, password)  # type: ignore[return-value]

    desk = SignInDesk(SlowForLea(root.store), root.sessions, root.store, settings)
    results: dict[str, SignInResult] = {}

    def sign_in(email: str) -> None:
        results[email] = desk.sign_in(email, PASSWORD, address="10.0.0.1", lang="fr")

    lea = threading.Thread(target=sign_in, args=("lea@lumio.fr",))
    lea.start()
    assert stuck.wait(10)
    sign_in("max@lumio.fr")  # runs while Léa's check is still under way
    assert results["max@lumio.fr"].outcome == "ok"
    assert "lea@lumio.fr" not in results
    release.set()
    lea.join(10)
    assert results["lea@lumio.fr"].outcome == "ok"
