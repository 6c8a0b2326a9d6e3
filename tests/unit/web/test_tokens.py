"""API tokens: created once, stored hashed, listed without the token, revoked; and the
`ressenti tokens` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agents.cli import app
from agents.services.root import Root
from agents.services.tokens import TokenError
from tests.unit.web.conftest import Clock
from tools.crm.models import ApiToken

runner = CliRunner()


def test_a_token_is_kept_as_its_hash_and_verified_by_it(root: Root, clock: Clock) -> None:
    token, info = root.tokens.create("chatwoot", "integration")
    assert token.startswith("rst_") and len(token) == 47
    assert (info.name, info.role, info.prefix) == ("chatwoot", "integration", token[:10])
    with root.store.reading() as session:
        [row] = session.scalars(select(ApiToken)).all()
    assert token not in (row.token_hash, row.prefix, row.name)
    verified = root.tokens.verify(token)
    assert verified is not None and verified.role == "integration"
    assert root.tokens.verify(row.token_hash) is None
    assert root.tokens.verify(token.upper()) is None
    clock.advance(minutes=5)
    root.tokens.verify(token)
    [listed] = root.tokens.list()
    assert listed.last_used_at == clock.now


def test_a_revoked_token_is_refused_and_its_name_may_be_used_again(root: Root) -> None:
    token, _ = root.tokens.create("helpdesk", "agent")
    with pytest.raises(TokenError, match="already named"):
        root.tokens.create("helpdesk", "admin")
    root.tokens.revoke("helpdesk")
    assert root.tokens.verify(token) is None
    with pytest.raises(TokenError, match="no live token"):
        root.tokens.revoke("helpdesk")
    fresh, _ = root.tokens.create("helpdesk", "agent")
    assert root.tokens.verify(fresh) is not None
    assert [(t.name, t.revoked_at is not None) for t in root.tokens.list()] == [
        ("helpdesk", True),
        ("helpdesk", False),
    ]


def test_bad_tokens_are_refused_with_a_reason(root: Root) -> None:
    with pytest.raises(TokenError, match="name"):
        root.tokens.create("  ", "agent")
    with pytest.raises(TokenError, match="unknown role"):
        root.tokens.create("x", "boss")  # type: ignore[arg-type]


def test_the_tokens_commands_print_a_token_once(tmp_path: Path) -> None:
    env = {"RESSENTI_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    made = runner.invoke(
        app, ["tokens", "create", "--name", "chatwoot", "--role", "integration"], env=env
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("rst_")
    assert "shown once" in made.output
    listing = runner.invoke(app, ["tokens", "list"], env=env)
    assert "chatwoot" in listing.output and "integration" in listing.output
    assert token not in listing.output and token[:10] in listing.output
    wrong = runner.invoke(app, ["tokens", "create", "--name", "x", "--role", "boss"], env=env)
    assert wrong.exit_code == 2
    revoked = runner.invoke(app, ["tokens", "revoke", "--name", "chatwoot"], env=env)
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    again = runner.invoke(app, ["tokens", "revoke", "--name", "chatwoot"], env=env)
    assert again.exit_code == 1
