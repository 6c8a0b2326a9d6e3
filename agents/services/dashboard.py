"""The supervisor's dashboard figures, computed from the CRM store (read-only).

Per conversation: its channel and segment, its readings, whether it went to a human and
why, and the human decisions on its drafts. From those: the emotion mix over time, how
conversations end (last valence), how long recovery from the worst moment takes, effort,
escalation rate and reasons, and the approval edit rate, each per channel and per segment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean, median
from typing import Literal

from sqlalchemy import select

from agents.emotion.trajectory import sentiment_recovery
from tools.crm.models import Approval, Conversation, Customer, EmotionReadingRow, Ticket
from tools.crm.readings import stored_reading
from tools.crm.store import CRMStore
from tools.crm.views import StoredReading

Dimension = Literal["channel", "segment"]
HANDOFF_SUBJECT = "Handoff: "
"""Subject prefix of the tickets the support graph opens (their reasons follow)."""
ESCALATION_CATEGORIES = frozenset({"handoff", "complaint"})


@dataclass
class ConversationFacts:
    conversation_id: str
    channel: str
    segment: str
    status: str
    readings: list[StoredReading] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return self.status in ("with_human", "handed_off") or bool(self.reasons)

    def group(self, dimension: Dimension) -> str:
        return self.channel if dimension == "channel" else self.segment


@dataclass(frozen=True)
class GroupFigures:
    """One channel's or segment's figures (None where there is nothing to measure)."""

    group: str
    conversations: int
    end_valence: float | None
    recovery_minutes: float | None
    """Median minutes from the worst message back to neutral, over recovered conversations."""
    effort: float | None
    escalation_rate: float
    edit_rate: float | None
    """Edited drafts among the approved ones."""
    read: int = 0
    """Conversations with at least one reading: the n of `end_valence`."""
    readings: int = 0
    """Readings: the n of `effort`."""
    recovered: int = 0
    """Conversations that dipped and recovered: the n of `recovery_minutes`."""
    approved: int = 0
    """Approved drafts (accepted or edited): the n of `edit_rate`."""

    def sample(self, metric: str) -> int:
        """How many observations a metric of this group rests on."""
        return {
            "end_valence": self.read,
            "effort": self.readings,
            "recovery_minutes": self.recovered,
            "edit_rate": self.approved,
        }.get(metric, self.conversations)


@dataclass(frozen=True)
class DashboardData:
    emotions_by_week: dict[date, Counter[str]]
    by_channel: list[GroupFigures]
    by_segment: list[GroupFigures]
    escalation_reasons: Counter[str]
    decisions: Counter[str]

    @property
    def empty(self) -> bool:
        return not self.emotions_by_week


def _week(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _reasons(ticket: Ticket) -> list[str]:
    if ticket.subject.startswith(HANDOFF_SUBJECT):
        return [r.strip() for r in ticket.subject[len(HANDOFF_SUBJECT) :].split(",") if r.strip()]
    if ticket.category in ESCALATION_CATEGORIES:
        return [ticket.category]
    return []


def load_facts(store: CRMStore) -> list[ConversationFacts]:
    """Every conversation with its readings, escalation reasons and approval decisions."""
    with store.reading() as session:
        facts = {
            cid: ConversationFacts(cid, channel, segment, status)
            for cid, channel, segment, status in session.execute(
                select(
                    Conversation.id, Conversation.channel, Customer.segment, Conversation.status
                ).join(Customer, Customer.id == Conversation.customer_id)
            )
        }
        for row in session.scalars(
            select(EmotionReadingRow).order_by(EmotionReadingRow.created_at)
        ):
            if row.conversation_id in facts:
                facts[row.conversation_id].readings.append(stored_reading(row))
        for ticket in session.scalars(select(Ticket).where(Ticket.conversation_id.is_not(None))):
            if ticket.conversation_id in facts:
                facts[ticket.conversation_id].reasons.extend(_reasons(ticket))
        for cid, decision in session.execute(select(Approval.conversation_id, Approval.decision)):
            if cid in facts:
                facts[cid].decisions.append(decision)
    return list(facts.values())


def _recovery_minutes(readings: list[StoredReading]) -> float | None:
    if not readings:
        return None
    recovery = sentiment_recovery([(r.created_at, r.reading) for r in readings])
    return recovery.minutes if recovery.dipped and recovery.recovered else None


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(mean(values), 3) if values else None


def group_figures(facts: list[ConversationFacts], dimension: Dimension) -> list[GroupFigures]:
    groups: dict[str, list[ConversationFacts]] = defaultdict(list)
    for fact in facts:
        groups[fact.group(dimension)].append(fact)
    figures = []
    for name in sorted(groups):
        members = groups[name]
        with_readings = [f for f in members if f.readings]
        recoveries = [m for f in with_readings if (m := _recovery_minutes(f.readings)) is not None]
        approved = [d for f in members for d in f.decisions if d in ("accept", "edit")]
        figures.append(
            GroupFigures(
                group=name,
                conversations=len(members),
                end_valence=_mean(f.readings[-1].reading.valence for f in with_readings),
                recovery_minutes=round(median(recoveries), 1) if recoveries else None,
                effort=_mean(r.reading.effort for f in with_readings for r in f.readings),
                escalation_rate=round(sum(f.escalated for f in members) / len(members), 3),
                edit_rate=round(approved.count("edit") / len(approved), 3) if approved else None,
                read=len(with_readings),
                readings=sum(len(f.readings) for f in with_readings),
                recovered=len(recoveries),
                approved=len(approved),
            )
        )
    return figures


def dashboard_data(store: CRMStore) -> DashboardData:
    facts = load_facts(store)
    weeks: dict[date, Counter[str]] = defaultdict(Counter)
    for fact in facts:
        for stored in fact.readings:
            weeks[_week(stored.created_at)][stored.reading.label] += 1
    return DashboardData(
        emotions_by_week=dict(sorted(weeks.items())),
        by_channel=group_figures(facts, "channel"),
        by_segment=group_figures(facts, "segment"),
        escalation_reasons=Counter(reason for f in facts for reason in f.reasons),
        decisions=Counter(d for f in facts for d in f.decisions),
    )
