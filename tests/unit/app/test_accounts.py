"""Accounts: hashed passwords, sign-in, roles and their tabs, the `ressenti users` commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agents.cli import app
from agents.core.config import Settings
from agents.services.accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    AccountError,
    AccountStore,
    hash_password,
    seed_demo_accounts,
    verify_password,
)
from tools.crm.models import User
from tools.crm.store import CRMStore

runner = CliRunner()


@pytest.fixture
def store(settings: Settings) -> Iterator[CRMStore]:
    store = CRMStore.from_settings(settings)
    yield store
    store.close()


def test_a_password_is_stored_as_a_salted_scrypt_hash() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$") and "correct horse" not in first
    assert first != second  # a fresh salt each time
    assert verify_password("correct horse", first)
    assert verify_password("correct horse", second)
    assert not verify_password("correct hors", first)
    assert not verify_password("correct horse", "md5$abc")
    assert not verify_password("correct horse", "garbage")


def test_sign_in_needs_the_right_password_and_an_active_account(store: CRMStore) -> None:
    accounts = AccountStore(store)
    created = accounts.create("Lea@Example.fr", "s3cret-pass", "agent", "Léa")
    assert (created.email, created.role) == ("lea@example.fr", "agent")

    assert accounts.authenticate("LEA@example.fr ", "s3cret-pass") == created
    assert accounts.authenticate("lea@example.fr", "wrong-pass") is None
    assert accounts.authenticate("nobody@example.fr", "s3cret-pass") is None
    with store.transaction() as session:
        session.scalars(select(User)).one().active = False
    assert accounts.authenticate("lea@example.fr", "s3cret-pass") is None


def test_bad_accounts_are_refused_with_a_reason(store: CRMStore) -> None:
    accounts = AccountStore(store)
    accounts.create("a@b.fr", "long-enough", "tester")
    with pytest.raises(AccountError, match="already exists"):
        accounts.create("A@B.fr", "long-enough", "admin")
    with pytest.raises(AccountError, match="at least 8"):
        accounts.create("c@d.fr", "short", "agent")
    with pytest.raises(AccountError, match="unknown role"):
        accounts.create("c@d.fr", "long-enough", "boss")  # type: ignore[arg-type]
    with pytest.raises(AccountError, match="not an e-mail"):
        accounts.create("no-at-sign", "long-enough", "agent")
    assert [a.email for a in accounts.list()] == ["a@b.fr"]


def test_each_role_opens_its_own_tabs(store: CRMStore) -> None:
    accounts = AccountStore(store)
    created = seed_demo_accounts(accounts)
    assert [a.email for a in created] == [email for email, _, _ in DEMO_ACCOUNTS]
    assert seed_demo_accounts(accounts) == []  # idempotent

    tabs = {
        email: accounts.authenticate(email, DEMO_PASSWORD).tabs  # type: ignore[union-attr]
        for email, _, _ in DEMO_ACCOUNTS
    }
    assert tabs["agent@demo"] == ("inbox", "handoffs")
    assert tabs["marketer@demo"] == ("studio",)
    assert tabs["tester@demo"] == ("evaluations",)
    assert set(tabs["admin@demo"]) == {
        "inbox",
        "handoffs",
        "dashboard",
        "insights",
        "studio",
        "evaluations",
    }


def test_the_users_commands_create_an_admin_and_accounts(tmp_path: Path) -> None:
    env = {"RESSENTI_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    made = runner.invoke(
        app,
        ["users", "create-admin", "--email", "boss@lumio.fr", "--password-stdin"],
        input="very-secret\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert "Created admin account boss@lumio.fr" in made.output

    again = runner.invoke(
        app,
        ["users", "create-admin", "--email", "boss@lumio.fr", "--password-stdin"],
        input="very-secret\n",
        env=env,
    )
    assert again.exit_code == 1
    assert "already exists" in again.output

    wrong_role = runner.invoke(
        app, ["users", "add", "--email", "x@lumio.fr", "--role", "boss"], env=env
    )
    assert wrong_role.exit_code == 2

    agent = runner.invoke(
        app,
        ["users", "add", "--email", "kim@lumio.fr", "--role", "agent", "--password-stdin"],
        input="agent-pass-1\n",
        env=env,
    )
    assert agent.exit_code == 0, agent.output
    # A data folder of one's own is not demo mode: no demo account, no password printed.
    refused = runner.invoke(app, ["users", "seed-demo"], env=env)
    assert refused.exit_code == 1
    assert "Not in demo mode" in refused.output
    assert DEMO_PASSWORD not in refused.output
    quiet = runner.invoke(app, ["users", "seed-demo", "--if-demo"], env=env)
    assert quiet.exit_code == 0
    assert "Not in demo mode" in quiet.output
    assert "create-admin" not in quiet.output  # an admin exists already
    demo = runner.invoke(app, ["users", "seed-demo"], env={**env, "RESSENTI_DEMO_MODE": "true"})
    assert demo.exit_code == 0, demo.output
    assert DEMO_PASSWORD in demo.output

    listing = runner.invoke(app, ["users", "list"], env=env)
    for email in ("boss@lumio.fr", "kim@lumio.fr", "agent@demo", "admin@demo"):
        assert email in listing.output

    store = CRMStore.from_settings(Settings(data_dir=tmp_path / "data"))
    try:
        assert AccountStore(store).authenticate("boss@lumio.fr", "very-secret") is not None
    finally:
        store.close()
