"""The insights the app's "Analyse"/"Insights" tab shows: what `ressenti analyze` stored.

A thin service over `agents.analytics.report`: the report for the filters chosen, the
verbatims behind a driver, a stage, a segment or a topic (with their evidence spans), and
the CSV files of every table. Read-only.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.analytics.drivers import DriverTaxonomy
from agents.analytics.report import Filters, InsightReport, build_report, verbatims
from agents.analytics.stages import StageRules
from agents.core.lang import Lang
from tools.crm.analysis import GapEvidence
from tools.crm.store import CRMStore


@dataclass(frozen=True)
class Verbatim:
    """One customer message behind a figure, with what the reader found in it."""

    source: str
    conversation: str
    sent_at: str
    channel: str
    segment: str
    stage: str
    label: str
    valence: float
    effort: float
    drivers: list[str]
    text: str
    spans: list[tuple[int, int, str]]
    """(start, end, signal) of each evidence span, in order, not overlapping."""


@dataclass(frozen=True)
class KnowledgeGap:
    """Questions of one topic the knowledge base answered badly, with examples."""

    topic: str
    """A driver of the taxonomy the questions mention (`other` when none)."""
    questions: int
    no_passage: int
    rejected: int
    rewritten: int
    edited: int
    examples: list[str]


class Insights:
    """The analysed imports of one store, as the insights tab reads them."""

    def __init__(
        self,
        store: CRMStore,
        taxonomy: DriverTaxonomy | None = None,
        stages: StageRules | None = None,
    ) -> None:
        self._store = store
        self.taxonomy = taxonomy or DriverTaxonomy.load()
        self.stages = stages or StageRules.load()

    def sources(self) -> list[str]:
        return [c.source for c in self._store.analysis.sources() if c.status == "done"]

    def report(self, filters: Filters) -> InsightReport:
        return build_report(self._store.analysis, filters, self.taxonomy)

    def verbatims(
        self,
        filters: Filters,
        *,
        driver: str | None = None,
        group: tuple[str, str] | None = None,
        topic: int | None = None,
        limit: int = 30,
    ) -> list[Verbatim]:
        rows = verbatims(
            self._store.analysis, filters, driver=driver, group=group, topic=topic, limit=limit
        )
        found = []
        for row in rows:
            spans: list[tuple[int, int, str]] = []
            for span in sorted(row.evidence or [], key=lambda s: (s["start"], s["end"])):
                start, end = int(span["start"]), int(span["end"])
                if spans and start < spans[-1][1]:
                    continue
                if 0 <= start < end <= len(row.text):
                    spans.append((start, end, str(span["signal"])))
            found.append(
                Verbatim(
                    source=row.source,
                    conversation=row.conversation_key,
                    sent_at=row.sent_at.strftime("%Y-%m-%d %H:%M"),
                    channel=row.channel,
                    segment=row.segment,
                    stage=row.stage,
                    label=row.label or "",
                    valence=row.valence or 0.0,
                    effort=row.effort or 0.0,
                    drivers=list(row.drivers or []),
                    text=row.text,
                    spans=spans,
                )
            )
        return found

    def knowledge_gaps(self, *, examples: int = 3) -> list[KnowledgeGap]:
        """Questions that found no good passage and drafts people rejected, rewrote or
        heavily edited, grouped by the driver they mention, most questions first."""
        groups: dict[str, list[GapEvidence]] = {}
        for gap in self._store.analysis.knowledge_gap_evidence():
            topic = next(iter(self.taxonomy.drivers_of(gap.question)), "other")
            groups.setdefault(topic, []).append(gap)
        result = []
        for topic, gaps in groups.items():
            kinds = Counter(g.kind for g in gaps)
            shown: list[str] = []
            for gap in gaps:
                if gap.question not in shown:
                    shown.append(gap.question)
                if len(shown) >= examples:
                    break
            result.append(
                KnowledgeGap(
                    topic=topic,
                    questions=len(gaps),
                    no_passage=kinds["no_passage"],
                    rejected=kinds["rejected"],
                    rewritten=kinds["rewritten"],
                    edited=kinds["edited"],
                    examples=[q[:300] for q in shown],
                )
            )
        return sorted(result, key=lambda g: (-g.questions, g.topic))

    def tables(self, report: InsightReport, lang: Lang) -> dict[str, list[list[object]]]:
        """Every table of the report, a header row first (what the tab shows and exports)."""
        drivers: list[list[object]] = [
            [
                "driver",
                "conversations",
                "share_of_negative",
                "share_of_positive",
                "end_valence",
                "end_valence_diff",
                "end_valence_margin",
                "effort_diff",
                "effort_margin",
                "escalation_diff",
                "escalation_margin",
                "key",
            ]
        ]
        for d in report.drivers:
            drivers.append(
                [
                    self.taxonomy.title(d.driver, lang),
                    d.conversations,
                    round(d.negative_share, 3),
                    round(d.positive_share, 3),
                    round(d.end_valence, 3),
                    round(d.end_valence_diff.value, 3),
                    _round(d.end_valence_diff.margin),
                    round(d.effort_diff.value, 3),
                    _round(d.effort_diff.margin),
                    round(d.escalation_diff.value, 3),
                    _round(d.escalation_diff.margin),
                    d.driver,
                ]
            )
        tables: dict[str, list[list[object]]] = {"drivers": drivers}
        for name, groups, title in (
            ("stages", report.by_stage, lambda g: self.stages.title(g, lang)),
            ("segments", report.by_segment, lambda g: g),
            ("channels", report.by_channel, lambda g: g),
            ("languages", report.by_lang, lambda g: g),
        ):
            rows: list[list[object]] = [
                [
                    "group",
                    "conversations",
                    "end_valence",
                    "negative_share",
                    "effort",
                    "escalation_rate",
                    "recovery_minutes",
                    "key",
                ]
            ]
            for k in groups:
                rows.append(
                    [
                        title(k.group),
                        k.conversations,
                        round(k.end_valence, 3),
                        round(k.negative_share, 3),
                        round(k.effort, 3),
                        round(k.escalation_rate, 3),
                        _round(k.recovery_minutes, 1),
                        k.group,
                    ]
                )
            tables[name] = rows
        topics: list[list[object]] = [["topic", "messages", "example", "source", "key"]]
        for topic in report.topics:
            topics.append(
                [topic.name, topic.size, (topic.examples or [""])[0], topic.source, topic.topic]
            )
        tables["topics"] = topics
        alerts: list[list[object]] = [
            [
                "window_start",
                "kind",
                "key",
                "metric",
                "baseline",
                "value",
                "messages",
                "webhook",
                "example",
            ]
        ]
        for alert in report.alerts:
            key = self.taxonomy.title(alert.key, lang) if alert.kind == "driver" else alert.key
            alerts.append(
                [
                    alert.window_start.strftime("%Y-%m-%d %H:%M"),
                    alert.kind,
                    key,
                    alert.metric,
                    round(alert.baseline, 3),
                    round(alert.value, 3),
                    alert.messages,
                    alert.webhook_status or "",
                    (alert.examples or [""])[0],
                ]
            )
        tables["alerts"] = alerts
        gaps: list[list[object]] = [
            ["topic", "questions", "no_passage", "rejected", "rewritten", "edited", "example"]
        ]
        for gap in self.knowledge_gaps():
            gap_title = self.taxonomy.title(gap.topic, lang) if gap.topic != "other" else "other"
            gaps.append(
                [
                    gap_title,
                    gap.questions,
                    gap.no_passage,
                    gap.rejected,
                    gap.rewritten,
                    gap.edited,
                    (gap.examples or [""])[0],
                ]
            )
        tables["knowledge_gaps"] = gaps
        return tables

    def export(
        self, tables: dict[str, list[list[object]]], folder: Path | None = None
    ) -> list[Path]:
        """One CSV file per table (UTF-8 with a byte-order mark, which spreadsheets read)."""
        target = folder or Path(tempfile.mkdtemp(prefix="ressenti-insights-"))
        paths = []
        for name, rows in tables.items():
            path = target / f"insights-{name}.csv"
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle).writerows(rows)
            paths.append(path)
        return paths


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def parse_filters(
    sources: Sequence[str] | None,
    start: str | None,
    end: str | None,
    channels: Sequence[str] | None,
    segments: Sequence[str] | None,
    stages: Sequence[str] | None,
    langs: Sequence[str] | None,
) -> Filters:
    """Filters from the tab's inputs (dates as YYYY-MM-DD; a bad date raises ValueError)."""
    from datetime import date

    def day(text: str | None) -> date | None:
        return date.fromisoformat(text.strip()) if text and text.strip() else None

    return Filters(
        sources=tuple(sources or ()),
        start=day(start),
        end=day(end),
        channels=frozenset(channels or ()),
        segments=frozenset(segments or ()),
        stages=frozenset(stages or ()),
        langs=frozenset(langs or ()),
    )
