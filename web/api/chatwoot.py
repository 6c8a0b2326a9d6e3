"""`POST /channels/chatwoot/webhook`: the Chatwoot Agent Bot's outgoing URL.

No bearer token here: Chatwoot signs each webhook (`X-Chatwoot-Signature`, checked with
the webhook secret before the body is read; 401 otherwise, nothing stored). The handler
(`agents.channels.chatwoot.ChatwootWebhook`) stores the message through `Intake` and
answers at once; a worker drafts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from agents.services.workspace import Workspace
from web.api.auth import workspace
from web.api.models import Problem

router = APIRouter(tags=["channels"])
MAX_BODY_BYTES = 256 * 1024
"""A Chatwoot event is a few kilobytes; a larger body is refused unread."""


@router.post(
    "/channels/chatwoot/webhook",
    status_code=202,
    responses={
        200: {"description": "Received before, or not a message Ressenti acts on (ignored)."},
        202: {"description": "Stored; its turn is queued."},
        401: {"model": Problem, "description": "Missing, bad or stale signature."},
        409: {"model": Problem, "description": "The sender is not the conversation's customer."},
        413: {"model": Problem, "description": "The body is too large."},
        422: {"model": Problem, "description": "The message cannot be read (too long)."},
    },
)
async def chatwoot_webhook(
    request: Request,
    ws: Annotated[Workspace, Depends(workspace)],
    x_chatwoot_signature: Annotated[str | None, Header()] = None,
    x_chatwoot_timestamp: Annotated[str | None, Header()] = None,
    x_chatwoot_delivery: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """A Chatwoot event (signed). A customer's incoming message on a conversation the bot
    holds is stored and drafted for; everything else is answered and ignored."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return JSONResponse({"detail": "the body is too large"}, status_code=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": "the body is too large"}, status_code=413)
    handler = ws.chatwoot
    if handler is None:
        return JSONResponse({"detail": "the Chatwoot channel is not set up"}, status_code=401)
    answer = await run_in_threadpool(
        handler.handle,
        body,
        signature=x_chatwoot_signature,
        timestamp=x_chatwoot_timestamp,
        delivery=x_chatwoot_delivery,
    )
    return JSONResponse(answer.body, status_code=answer.status_code)
