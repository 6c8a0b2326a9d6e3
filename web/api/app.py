"""The API application mounted at `/api/v1/`."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
    api.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    api.include_router(reads.router)
    api.include_router(writes.router)
    api.include_router(chatwoot.router)
    return api


def _finite(value: Any) -> Any:
    """The value with every non-finite float written as a string (JSON has no Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, whatever the body held: a sender's `Infinity` or `NaN` echoed back in
    the error's `input` would otherwise make the answer itself fail (a 500)."""
    return JSONResponse(
        status_code=422, content={"detail": _finite(jsonable_encoder(exc.errors()))}
    )
