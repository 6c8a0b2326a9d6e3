"""Who calls the API: a bearer token with a role, checked on every request.

Routes declare the roles they serve with `Depends(caller("agent", "admin"))`; the
dependency answers 401 for a missing or unknown token (with `WWW-Authenticate: Bearer`)
and 403 for a token whose role is not among them, and hands the route a `Caller`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from agents.services.tokens import TokenRole
from agents.services.workspace import Workspace

bearer = HTTPBearer(
    auto_error=False,
    description="An API token: `ressenti tokens create --name NAME --role ROLE` prints one.",
)


def workspace(request: Request) -> Workspace:
    """The workspace the API was built over."""
    ws: Workspace = request.app.state.workspace
    return ws


class Caller(BaseModel):
    """The token a request came with (never the token itself)."""

    name: str
    role: TokenRole


def caller(*roles: TokenRole) -> Callable[..., Caller]:
    """A dependency that lets through the tokens of `roles` only."""

    def check(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ws: Annotated[Workspace, Depends(workspace)],
    ) -> Caller:
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a bearer token is needed",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = ws.tokens.verify(credentials.credentials)
        if token is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown or revoked token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if token.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"a token of role {token.role!r} may not do this (needs {' or '.join(roles)})",
            )
        return Caller(name=token.name, role=token.role)

    return check
