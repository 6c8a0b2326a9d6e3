"""Read-only routes over the queues and one conversation (roles `agent` and `admin`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from agents.emotion.trajectory import conversation_kpis
from agents.services.inbox import QueueItem
from agents.services.workspace import Workspace
from tools.crm.errors import CRMError
from web.api.auth import Caller, caller, workspace
from web.api.models import (
    ApprovalView,
    CitedPassage,
    ConversationView,
    DeliveryView,
    HandoffView,
    MessageView,
    Problem,
    TrajectoryView,
)

router = APIRouter(tags=["queues"])
Reader = Annotated[Caller, Depends(caller("agent", "admin"))]
Work = Annotated[Workspace, Depends(workspace)]
REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "No token, or an unknown or revoked one."},
    403: {"model": Problem, "description": "The token's role may not read this."},
}


def approval_view(ws: Workspace, item: QueueItem) -> ApprovalView:
    request = item.request
    turn = ws.support.turn_in_progress(request.conversation_id)
    passages = {p.citation_id: p for p in (turn.passages if turn else [])}
    return ApprovalView(
        approval_id=item.interrupt_id,
        conversation_id=request.conversation_id,
        customer_id=request.customer_id,
        customer_name=item.customer_name,
        draft=request.draft,
        citations=[CitedPassage.of(passages[c]) for c in request.citations if c in passages],
        findings=request.findings,
        reading=request.reading,
        priority=request.priority,
        redrafts=request.redrafts,
        draft_mode=request.draft_mode,
    )


@router.get("/approvals", responses=REFUSALS)
def approvals(who: Reader, ws: Work) -> list[ApprovalView]:
    """The drafts waiting for a human, most urgent first, each with the reading of the
    customer's message, the passages it cites and the draft check's findings."""
    return [approval_view(ws, item) for item in ws.inbox.queue()]


@router.get("/handoffs", responses=REFUSALS)
def handoffs(who: Reader, ws: Work) -> list[HandoffView]:
    """The conversations a person owns now, most urgent first, with their handoff packages."""
    return [
        HandoffView(**package.model_dump(), customer_name=name)
        for package, name in ws.inbox.handoffs()
    ]


@router.get(
    "/conversations/{conversation_id}",
    responses={**REFUSALS, 404: {"model": Problem, "description": "No such conversation."}},
)
def conversation(conversation_id: str, who: Reader, ws: Work) -> ConversationView:
    """One conversation: its messages (each customer message with its reading), the KPIs of
    its emotional trajectory, the draft waiting for approval, if any, and the delivery
    status of what was given to its channel."""
    return conversation_view(ws, conversation_id)


def conversation_view(ws: Workspace, conversation_id: str) -> ConversationView:
    """One conversation's view (also the Dashboard App's); 404 when there is none."""
    try:
        detail = ws.inbox.detail(conversation_id)
    except CRMError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation") from exc
    now = ws.store.clock()  # the turn in progress may carry no time yet: it is now
    points = [(m.sent_at or now, m.reading) for m in detail.transcript if m.reading]
    kpis = (
        conversation_kpis(points, recovery_valence=ws.settings.emotion_recovery_valence)
        if points
        else None
    )
    pending = next(
        (item for item in ws.inbox.queue() if item.conversation_id == conversation_id), None
    )
    profile = detail.customer.profile
    return ConversationView(
        conversation_id=detail.conversation_id,
        subject=detail.subject,
        channel=detail.channel,
        customer_id=profile.id,
        customer_name=profile.full_name,
        messages=[
            MessageView(
                author=line.author,
                name=line.name,
                text=line.text,
                sent_at=line.sent_at,
                reading=line.reading,
                pending=line.pending,
            )
            for line in detail.transcript
        ],
        trajectory=TrajectoryView.of(kpis) if kpis else None,
        pending_approval=approval_view(ws, pending) if pending else None,
        deliveries=[
            DeliveryView.model_validate(row.model_dump())
            for row in ws.store.deliveries.rows(conversation_id)
        ],
    )
