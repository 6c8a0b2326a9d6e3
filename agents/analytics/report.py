"""The analysis as a manager reads it: drivers with impact, KPIs by stage, segment, channel
and language, discovered topics and alerts, over the conversations a filter keeps.

Used by `ressenti analyze --report` and by the app's insights tab (through
`agents.services.insights`), so both show the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from agents.analytics.drivers import DriverTaxonomy
from agents.analytics.impact import (
    ConversationFigures,
    DriverImpact,
    GroupKPIs,
    driver_impacts,
    group_kpis,
)
from tools.crm.analysis import AnalysisStore
from tools.crm.models import AnalysisAlert, AnalysisConversation, AnalysisMessage, AnalysisTopic


@dataclass(frozen=True)
class Filters:
    """Which conversations count; an empty choice keeps every value."""

    sources: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    """Inclusive."""
    channels: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    langs: frozenset[str] = frozenset()

    def keeps(self, row: AnalysisConversation) -> bool:
        day = row.started_at.date()
        return (
            (self.start is None or day >= self.start)
            and (self.end is None or day <= self.end)
            and (not self.channels or row.channel in self.channels)
            and (not self.segments or row.segment in self.segments)
            and (not self.stages or row.stage in self.stages)
            and (not self.langs or row.lang in self.langs)
        )


def figures_of(row: AnalysisConversation) -> ConversationFigures:
    return ConversationFigures(
        key=row.conversation_key,
        end_valence=row.end_valence,
        lowest_valence=row.lowest_valence,
        mean_effort=row.mean_effort,
        escalated=row.escalated,
        recovery_minutes=row.recovery_minutes if row.recovered else None,
        drivers=frozenset(row.drivers or ()),
        stage=row.stage,
        segment=row.segment,
        channel=row.channel,
        lang=row.lang,
    )


@dataclass(frozen=True)
class InsightReport:
    conversations: list[ConversationFigures]
    drivers: list[DriverImpact]
    by_stage: list[GroupKPIs]
    by_segment: list[GroupKPIs]
    by_channel: list[GroupKPIs]
    by_lang: list[GroupKPIs]
    topics: list[AnalysisTopic] = field(default_factory=list)
    alerts: list[AnalysisAlert] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)
    """Every channel, segment, stage and language of the unfiltered conversations."""

    @property
    def empty(self) -> bool:
        return not self.conversations


def build_report(store: AnalysisStore, filters: Filters, taxonomy: DriverTaxonomy) -> InsightReport:
    rows = store.conversations(filters.sources or None)
    choices = {
        "channel": sorted({r.channel for r in rows}),
        "segment": sorted({r.segment for r in rows}),
        "stage": sorted({r.stage for r in rows}),
        "lang": sorted({r.lang for r in rows}),
    }
    kept = [figures_of(r) for r in rows if filters.keeps(r)]
    return InsightReport(
        conversations=kept,
        drivers=driver_impacts(kept, [d.name for d in taxonomy.drivers]),
        by_stage=group_kpis(kept, lambda c: c.stage),
        by_segment=group_kpis(kept, lambda c: c.segment),
        by_channel=group_kpis(kept, lambda c: c.channel),
        by_lang=group_kpis(kept, lambda c: c.lang),
        topics=store.topics(filters.sources or None),
        alerts=store.alerts(filters.sources or None),
        choices=choices,
    )


def verbatims(
    store: AnalysisStore,
    filters: Filters,
    *,
    driver: str | None = None,
    group: tuple[str, str] | None = None,
    topic: int | None = None,
    limit: int = 50,
) -> list[AnalysisMessage]:
    """The read customer messages behind a bar or a point, most negative first: those the
    filters keep that mention `driver`, are in `group` (`("stage", "after_delivery")`) or
    belong to `topic`."""
    equal: dict[str, list[str]] = {
        "channel": sorted(filters.channels),
        "segment": sorted(filters.segments),
        "stage": sorted(filters.stages),
        "lang": sorted(filters.langs),
    }
    if group is not None:
        equal[group[0]] = [group[1]]
    return store.messages_of(
        filters.sources or None,
        equal=equal,
        since=datetime.combine(filters.start, time(), UTC) if filters.start else None,
        until=(
            datetime.combine(filters.end + timedelta(days=1), time(), UTC) if filters.end else None
        ),
        driver=driver,
        topic=topic,
        limit=limit,
    )


def sources_of(store: AnalysisStore) -> Sequence[str]:
    return [checkpoint.source for checkpoint in store.sources()]
