"""The API application mounted at `/api/v1/`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from agents.services.workspace import Workspace
from web.api import chatwoot, reads, writes

DESCRIPTION = """Ressenti's HTTP API. Every route needs a bearer token
(`Authorization: Bearer rst_…`), created on the server with
`ressenti tokens create --name NAME --role integration|agent|admin` and shown once.
A missing or unknown token gets 401, a token whose role may not call the route 403.
The Chatwoot webhook is the exception: Chatwoot signs it (`X-Chatwoot-Signature`)."""


def create_api(ws: Workspace) -> FastAPI:
    """The API over one workspace; its OpenAPI document is `/openapi.json` and its docs
    page `/docs` (Swagger UI served from the package, so it works offline)."""
    api = FastAPIOffline(
        title="Ressenti API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.state.workspace = ws
    api.include_router(reads.router)
    api.include_router(writes.router)
    api.include_router(chatwoot.router)
    return api
