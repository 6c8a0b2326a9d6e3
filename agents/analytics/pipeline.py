"""`ressenti analyze`: a file of verbatims → readings, conversations, topics, alerts, stored.

The run, in phases, each one safe to repeat:

1. **Validate** the whole file (`sources.validate`): on any problem nothing is stored.
2. **Read** the messages in chunks: each customer message gets its fast reading, drivers
   and journey stage; a chunk and the checkpoint that counts it are committed together, so
   a run killed at any point resumes after its last committed chunk (`--restart` starts
   over). Messages of customers who objected to emotion analysis are kept without a reading.
3. **Aggregate**: conversations are rebuilt from their stored messages (in time order)
   with their trajectory KPIs, drivers and escalation; then topics are discovered over the
   negative messages; then alerts are looked for, and new ones sent to the webhook.

Memory is bounded by the chunk, the ids seen during validation, the journey cache and the
topic sample, whatever the file's size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from agents.analytics.alerts import Alert, AlertRules, Observation, find_alerts
from agents.analytics.drivers import DriverTaxonomy
from agents.analytics.sources import InputFile, SourceMessage, messages, validate
from agents.analytics.stages import JourneyCache, StageRules
from agents.analytics.topics import TopicSettings, discover, topic_settings
from agents.core.emotion import EmotionFlags, EmotionReading
from agents.emotion.fast import FastReader
from agents.emotion.trajectory import conversation_kpis
from tools.crm.analysis import AnalysisStore
from tools.crm.models import AnalysisMessage
from tools.webhooks import WebhookSender

ESCALATING_FLAGS = frozenset({"asks_for_human", "threatens_to_leave", "legal_threat"})
"""Flags that send a live conversation to a person: an imported one that raised any of them
counts as escalated (unless the file says whether it was)."""


@dataclass
class AnalysisSummary:
    source: str
    messages: int = 0
    """Valid messages in the file."""
    resumed_from: int = 0
    """Messages already committed by an earlier run of this import."""
    read: int = 0
    """Customer messages read in this run."""
    without_consent: int = 0
    conversations: int = 0
    topics: int = 0
    alerts: int = 0
    new_alerts: int = 0
    webhooks: list[str] = field(default_factory=list)
    already_done: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisParts:
    """What a run reads with: the reader, the data files, the alert webhook."""

    reader: FastReader
    taxonomy: DriverTaxonomy
    stages: StageRules
    alert_rules: AlertRules
    topics: TopicSettings | None = None
    webhook: WebhookSender | None = None


def _chunks(items: Iterable[SourceMessage], size: int) -> Iterator[list[SourceMessage]]:
    chunk: list[SourceMessage] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stored_reading(row: AnalysisMessage) -> EmotionReading:
    """The reading of a stored message (what the trajectory KPIs need of it)."""
    assert row.label is not None and row.valence is not None
    return EmotionReading(
        label=row.label,
        valence=row.valence,
        intensity=row.intensity or 0.0,
        effort=row.effort or 0.0,
        urgency=row.urgency or 0.0,
        flags=EmotionFlags(**{name: True for name in row.flags or []}),
        lang=row.lang,
    )


class Analyzer:
    """Runs analyses into one store."""

    def __init__(self, store: AnalysisStore, parts: AnalysisParts) -> None:
        self.store = store
        self.parts = parts
        self.journeys = JourneyCache(store.journey)

    # --- Phase 2: reading ----------------------------------------------------------------
    def _rows(
        self,
        source: str,
        chunk: list[SourceMessage],
        first: int,
        default_time: datetime,
        summary: AnalysisSummary,
    ) -> list[dict[str, Any]]:
        journeys = [self.journeys.get(m.customer_ref) for m in chunk]
        to_read = [
            index
            for index, (message, journey) in enumerate(zip(chunk, journeys, strict=True))
            if message.author == "customer"
            and (journey is None or journey.emotion_analysis_consent)
        ]
        summary.without_consent += sum(
            1
            for m, j in zip(chunk, journeys, strict=True)
            if m.author == "customer" and j is not None and not j.emotion_analysis_consent
        )
        readings = self.parts.reader.read_batch(
            [chunk[i].text for i in to_read], [chunk[i].lang for i in to_read]
        )
        by_index = dict(zip(to_read, readings, strict=True))
        summary.read += len(readings)
        rows = []
        for index, (message, journey) in enumerate(zip(chunk, journeys, strict=True)):
            sent_at = message.sent_at or default_time
            reading = by_index.get(index)
            lang = reading.lang if reading else (message.lang or "fr")
            rows.append(
                {
                    "source": source,
                    "external_id": message.external_id,
                    "position": first + index,
                    "conversation_key": message.conversation_key,
                    "author": message.author,
                    "sent_at": sent_at,
                    "channel": message.channel,
                    "lang": lang,
                    "customer_ref": message.customer_ref,
                    "customer_id": journey.customer_id if journey else None,
                    "segment": message.segment or (journey.segment if journey else "unknown"),
                    "stage": self.parts.stages.stage_of(journey, sent_at),
                    "text": message.text,
                    "label": reading.label if reading else None,
                    "valence": reading.valence if reading else None,
                    "intensity": reading.intensity if reading else None,
                    "effort": reading.effort if reading else None,
                    "urgency": reading.urgency if reading else None,
                    "flags": reading.flags.raised() if reading else [],
                    "evidence": [span.model_dump() for span in reading.evidence] if reading else [],
                    "drivers": self.parts.taxonomy.drivers_of(message.text) if reading else [],
                    "topic": None,
                    "escalated_hint": message.escalated,
                }
            )
        return rows

    # --- Phase 3: aggregates -------------------------------------------------------------
    def conversations(self, source: str, escalated_hints: dict[str, bool]) -> int:
        batch: list[dict[str, Any]] = []
        count = 0
        for rows in self.store.messages_by_conversation(source):
            read = [row for row in rows if row.valence is not None]
            if not read:
                continue
            kpis = conversation_kpis([(row.sent_at, stored_reading(row)) for row in read])
            langs = [row.lang for row in read]
            key = rows[0].conversation_key
            drivers = sorted({d for row in read for d in row.drivers or []})
            hint = escalated_hints.get(key)
            batch.append(
                {
                    "source": source,
                    "conversation_key": key,
                    "channel": rows[0].channel,
                    "segment": read[0].segment,
                    "stage": read[0].stage,
                    "lang": max(sorted(set(langs)), key=langs.count),
                    "customer_id": read[0].customer_id,
                    "started_at": rows[0].sent_at,
                    "ended_at": rows[-1].sent_at,
                    "messages": kpis.messages,
                    "start_valence": kpis.start_valence,
                    "end_valence": kpis.end_valence,
                    "lowest_valence": kpis.lowest_valence,
                    "peak_intensity": kpis.peak_intensity,
                    "trend": kpis.trend,
                    "recovered": kpis.recovery.recovered,
                    "recovery_minutes": (
                        round(kpis.recovery.minutes, 2)
                        if kpis.recovery.minutes is not None
                        else None
                    ),
                    "recovery_messages": kpis.recovery.messages,
                    "mean_effort": round(sum(kpis.effort) / len(kpis.effort), 4),
                    "max_effort": kpis.max_effort,
                    "effort_slope": round(kpis.effort_slope, 4),
                    "flags": kpis.flags,
                    "drivers": drivers,
                    "escalated": hint
                    if hint is not None
                    else bool(ESCALATING_FLAGS & set(kpis.flags)),
                }
            )
            count += 1
            if len(batch) >= 500:
                self.store.save_conversations(batch)
                batch = []
        self.store.save_conversations(batch)
        return count

    def topics(self, source: str) -> int:
        settings = self.parts.topics or topic_settings()
        ids = self.store.negative_message_ids(source)
        if len(ids) > settings.sample:
            picks = np.linspace(0, len(ids) - 1, settings.sample).round().astype(int)
            ids = [ids[i] for i in sorted(set(picks.tolist()))]
        rows = self.store.messages_by_ids(ids)
        texts = [row.text for row in rows]
        if not texts:
            self.store.save_topics(source, [], {})
            return 0
        embedder = self.parts.reader.embedder
        vectors = np.vstack([embedder.embed(texts[i : i + 256]) for i in range(0, len(texts), 256)])
        found = discover(texts, vectors, settings)
        assignments = {rows[i].id: t.topic for t in found for i in t.members}
        self.store.save_topics(
            source,
            [
                {
                    "topic": t.topic,
                    "name": t.name[:200],
                    "terms": t.terms,
                    "examples": t.examples,
                    "size": t.size,
                }
                for t in found
            ],
            assignments,
        )
        return len(found)

    def alerts(self, source: str, summary: AnalysisSummary) -> list[Alert]:
        observations = (
            Observation(
                sent_at=row.sent_at,
                negative=(row.valence or 0.0) < 0,
                effort=row.effort or 0.0,
                drivers=tuple(row.drivers or ()),
                segment=row.segment,
                text=row.text,
            )
            for row in self.store.read_messages_by_time(source)
        )
        found = find_alerts(observations, self.parts.alert_rules)
        raised_at = self.store.now()
        rows = [
            {
                "source": source,
                "raised_at": raised_at,
                "webhook_status": None,
                **{
                    k: getattr(a, k)
                    for k in (
                        "kind",
                        "key",
                        "metric",
                        "window_start",
                        "window_end",
                        "baseline",
                        "value",
                        "messages",
                        "examples",
                    )
                },
            }
            for a in found
        ]
        new = self.store.save_alerts(rows)
        summary.alerts = len(found)
        summary.new_alerts = len(new)
        webhook = self.parts.webhook
        if webhook is not None:
            for alert_id, row in new:
                result = webhook.send(
                    {
                        "event": "ressenti.analysis.alert",
                        "id": alert_id,
                        **{k: v for k, v in row.items() if k != "webhook_status"},
                    }
                )
                self.store.mark_alert(alert_id, result.summary())
                summary.webhooks.append(result.summary())
        return found

    # --- The run -------------------------------------------------------------------------
    def run(
        self,
        input_file: InputFile,
        *,
        source: str,
        chunk_size: int = 512,
        restart: bool = False,
        on_total: Callable[[int], None] = lambda total: None,
        on_progress: Callable[[int], None] = lambda count: None,
        on_phase: Callable[[str], None] = lambda phase: None,
    ) -> AnalysisSummary:
        summary = AnalysisSummary(source=source)
        started = time.perf_counter()
        on_phase("validating")
        checked = validate(input_file)
        summary.messages = checked.messages
        summary.seconds["validate"] = time.perf_counter() - started
        checkpoint = self.store.begin(
            source,
            input_name=input_file.path.name,
            input_sha256=checked.sha256,
            total=checked.messages,
            restart=restart,
        )
        on_total(checked.messages)
        if checkpoint.status == "done":
            summary.already_done = True
            summary.resumed_from = checkpoint.committed_messages
            on_progress(checkpoint.committed_messages)
            return summary
        skip = checkpoint.committed_messages
        summary.resumed_from = skip
        on_progress(skip)
        on_phase("reading")
        phase = time.perf_counter()
        escalated: dict[str, bool] = {}
        position = 0
        for chunk in _chunks(messages(input_file), chunk_size):
            first = position
            position += len(chunk)
            for message in chunk:
                if message.escalated is not None:
                    key = message.conversation_key
                    escalated[key] = escalated.get(key, False) or message.escalated
            if position <= skip:
                continue
            if first < skip:  # a chunk size changed between runs: keep only the new part
                chunk = chunk[skip - first :]
                first = skip
            rows = self._rows(source, chunk, first, checkpoint.started_at, summary)
            for row in rows:
                del row["escalated_hint"]
            self.store.commit_chunk(source, rows, position)
            on_progress(len(chunk))
        summary.seconds["read"] = time.perf_counter() - phase
        self.store.set_status(source, "aggregating")
        on_phase("conversations")
        phase = time.perf_counter()
        summary.conversations = self.conversations(source, escalated)
        summary.seconds["conversations"] = time.perf_counter() - phase
        on_phase("topics")
        phase = time.perf_counter()
        summary.topics = self.topics(source)
        summary.seconds["topics"] = time.perf_counter() - phase
        on_phase("alerts")
        phase = time.perf_counter()
        self.alerts(source, summary)
        summary.seconds["alerts"] = time.perf_counter() - phase
        self.store.set_status(source, "done")
        summary.seconds["total"] = time.perf_counter() - started
        return summary
