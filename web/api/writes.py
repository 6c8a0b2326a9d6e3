"""Routes that change something: an inbound message (roles `integration` and `admin`), a
decision on a draft and the retry of a delivery (roles `agent` and `admin`).

Each goes through the services, never around them: `SupportService.receive` (stored and
queued, answered at once; a worker drafts), `SupportService.decide` (THE decision: the
loser of a race gets 409), `store.deliveries.retry`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import ValidationError

from agents.services.workspace import Workspace
from agents.support.intake import InboundEnvelope
from agents.support.schemas import ApprovalDecision
from agents.support.service import DraftCheckError
from tools.crm.errors import (
    AlreadyAssignedError,
    AlreadyDecidedError,
    ConversationStateError,
    InvalidWriteError,
    NothingPendingError,
    RecordNotFoundError,
    SenderMismatchError,
)
from web.api.auth import Caller, caller, workspace
from web.api.models import (
    DecisionDone,
    DecisionRequest,
    InboundAccepted,
    InboundRequest,
    Problem,
    RetryQueued,
)

router = APIRouter()
Integration = Annotated[Caller, Depends(caller("integration", "admin"))]
Agent = Annotated[Caller, Depends(caller("agent", "admin"))]
Work = Annotated[Workspace, Depends(workspace)]


def _refusals(role: str) -> dict[int | str, dict[str, object]]:
    return {
        401: {"model": Problem, "description": "No token, or an unknown or revoked one."},
        403: {"model": Problem, "description": f"The token's role is not {role}."},
    }


@router.post(
    "/messages",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["inbound"],
    responses={
        **_refusals("integration or admin"),
        409: {"model": Problem, "description": "The sender is not the conversation's customer."},
    },
)
def post_message(body: InboundRequest, who: Integration, ws: Work) -> InboundAccepted:
    """A customer message from a channel: stored (with its turn queued) before the answer,
    which comes at once; a worker reads and drafts. The same `external_message_id` on the
    same channel again is a no-op (`duplicate`). The conversation is found by
    `(channel, external_conversation_id)`; a new one's customer by the sender's e-mail, else
    phone, in the CRM, else a new customer marked unverified."""
    envelope = InboundEnvelope(
        channel=body.channel,
        text=body.text,
        external_conversation_id=body.external_conversation_id,
        external_message_id=body.external_message_id,
        sender_email=body.customer.email,
        sender_phone=body.customer.phone,
        sender_name=body.customer.name,
        lang=body.lang,
        received_at=body.sent_at,
    )
    try:
        received = ws.support.receive(envelope)
    except SenderMismatchError as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the sender is not this conversation's customer"
        ) from exc
    return InboundAccepted(
        conversation_id=received.conversation_id,
        message_id=received.message_id,
        turn_id=received.turn_id,
        duplicate=received.duplicate,
    )


@router.post(
    "/approvals/{approval_id}/decision",
    tags=["queues"],
    responses={
        **_refusals("agent or admin"),
        404: {"model": Problem, "description": "No draft waits under this id."},
        409: {"model": Problem, "description": "Already decided (by whom, when), or moved on."},
        422: {"model": Problem, "description": "The decision is incomplete, or the edit fails"},
    },
)
def decide(approval_id: str, body: DecisionRequest, who: Agent, ws: Work) -> DecisionDone:
    """THE decision on a waiting draft (`approval_id` from `GET /approvals`): `accept`,
    `edit` (with `text`; checked like a draft), `respond` (a redraft, with `instruction`),
    `reject`, `take_over`. A second decision on the same draft gets 409 and has no effect.
    The reviewer recorded is `reviewer` with the token's name, or the token's name."""
    actor = f"{body.reviewer.strip()} (token {who.name})" if body.reviewer else who.name
    return decide_draft(ws, approval_id, body, actor)


def decide_draft(
    ws: Workspace, approval_id: str, body: DecisionRequest, actor: str
) -> DecisionDone:
    """The decision `body` on the draft `approval_id` by `actor` (also the Dashboard App's),
    or the HTTP error that says why not."""
    try:
        decision = ApprovalDecision(
            action=body.action, text=body.text, instruction=body.instruction, reviewer=actor
        )
    except ValidationError as exc:
        detail = "; ".join(str(error["msg"]) for error in exc.errors())
        raise HTTPException(422, detail) from exc
    pending = next((p for p in ws.support.pending() if p.interrupt_id == approval_id), None)
    if pending is None:
        done = ws.store.turns.approval_of_interrupt(approval_id)
        if done is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"already decided by {done.reviewer} at "
                f"{done.created_at.isoformat(timespec='seconds')} ({done.decision})",
            )
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no draft waits under this id")
    conversation_id = pending.request.conversation_id
    try:
        decided = ws.support.decide(
            conversation_id, approval_id, decision, actor, override_reason=body.override_reason
        )
    except (AlreadyDecidedError, ConversationStateError, AlreadyAssignedError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except NothingPendingError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except DraftCheckError as exc:
        raise HTTPException(422, str(exc)) from exc
    if ws.delivery is not None:
        ws.delivery.notify()
    return DecisionDone(
        approval_id=decided.approval_id,
        action=decided.action,
        outcome=decided.result.outcome,
        conversation_id=conversation_id,
    )


@router.post(
    "/deliveries/{outbox_id}/retry",
    tags=["delivery"],
    responses={
        **_refusals("agent or admin"),
        404: {"model": Problem, "description": "No such delivery."},
        409: {"model": Problem, "description": "It is not failed or dead: nothing to retry."},
    },
)
def retry(outbox_id: int, who: Agent, ws: Work) -> RetryQueued:
    """Puts a `dead` (or `failed`) delivery back to `pending`, due now (after checking the
    channel when it was interrupted mid-send: it may have reached the customer)."""
    try:
        ws.store.deliveries.retry(outbox_id)
    except RecordNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such delivery") from exc
    except InvalidWriteError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if ws.delivery is not None:
        ws.delivery.notify()
    return RetryQueued(outbox_id=outbox_id, status="pending")
