"""Bearer tokens of the HTTP API (`ressenti tokens create | list | revoke`).

A token is `rst_` and 43 random URL-safe characters (256 bits). It is printed once, when it
is created; the store keeps its sha256 (looked up by that hash) and its first characters,
to recognise it in a list. Each token has a name (one live token per name) and a role:

| role | for |
|---|---|
| `integration` | a helpdesk or another system that posts customer messages |
| `agent` | a person's tools: read the queues, decide on drafts |
| `admin` | everything |
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal, get_args

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tools.crm.models import ApiToken
from tools.crm.store import CRMStore

TokenRole = Literal["integration", "agent", "admin"]
TOKEN_ROLES: tuple[TokenRole, ...] = get_args(TokenRole)
TOKEN_PREFIX = "rst_"
USE_EVERY = timedelta(seconds=60)
"""A token's last use is written at most this often."""


class TokenError(ValueError):
    """A token could not be created or revoked as asked (the message says why)."""


class TokenInfo(BaseModel):
    """What is known of a token, never the token itself."""

    name: str
    role: TokenRole
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class ApiTokens:
    """The `api_tokens` table of the store."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def create(self, name: str, role: TokenRole) -> tuple[str, TokenInfo]:
        """A new token: the token itself (shown once) and what is kept of it."""
        label = name.strip()
        if not label or len(label) > 100:
            raise TokenError("a token needs a name of 1 to 100 characters")
        if role not in TOKEN_ROLES:
            raise TokenError(f"unknown role {role!r} (one of {', '.join(TOKEN_ROLES)})")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(
            name=label,
            role=role,
            token_hash=_hash(token),
            prefix=token[:10],
            created_at=self.store.clock(),
        )
        try:
            with self.store.transaction() as session:
                session.add(row)
        except IntegrityError as exc:
            raise TokenError(f"a live token is already named {label!r}") from exc
        return token, _info(row)

    def list(self) -> list[TokenInfo]:
        """Every token, live and revoked, oldest first."""
        with self.store.reading() as session:
            rows = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        return [_info(row) for row in rows]

    def revoke(self, name: str) -> TokenInfo:
        """End the live token of this name; it is refused from the next request on."""
        with self.store.transaction() as session:
            row = session.scalars(
                select(ApiToken).where(ApiToken.name == name.strip(), ApiToken.revoked_at.is_(None))
            ).first()
            if row is None:
                raise TokenError(f"no live token named {name.strip()!r}")
            row.revoked_at = self.store.clock()
            return _info(row)

    def verify(self, token: str | None) -> TokenInfo | None:
        """The live token this bearer value is, else None."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        key = _hash(token)
        with self.store.reading() as session:
            row = session.scalars(select(ApiToken).where(ApiToken.token_hash == key)).first()
        if row is None or row.revoked_at is not None:
            return None
        now = self.store.clock()
        if row.last_used_at is None or now - row.last_used_at >= USE_EVERY:
            with self.store.transaction() as session:
                session.execute(
                    update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
                )
        return _info(row)
