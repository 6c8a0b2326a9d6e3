"""`Analyzer.run` over a real SQLite store and the real fast reader: what is stored, the
resume after a crash, idempotent reruns, and bad input that stores nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agents.analytics.alerts import packaged_rules as alert_rules
from agents.analytics.drivers import packaged_taxonomy
from agents.analytics.pipeline import AnalysisParts, Analyzer
from agents.analytics.report import Filters, build_report, verbatims
from agents.analytics.sources import InputError, InputFile
from agents.analytics.stages import packaged_rules as stage_rules
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.emotion.fast import FastReader
from tools.crm.analysis import AnalysisInputChangedError
from tools.crm.models import (
    AnalysisConversation,
    AnalysisMessage,
    AnalysisRun,
    Customer,
    Delivery,
    Order,
)
from tools.crm.store import CRMStore

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CRMStore]:
    crm = CRMStore.from_url(f"sqlite:///{tmp_path / 'crm.db'}")
    crm.insert_all(
        [
            Customer(
                id="C1",
                email="lea@example.fr",
                first_name="Léa",
                last_name="M",
                language="fr",
                segment="premium",
                created_at=T0 - timedelta(days=900),
            ),
            Customer(
                id="C2",
                email="no@example.fr",
                first_name="Non",
                last_name="N",
                language="fr",
                segment="standard",
                created_at=T0 - timedelta(days=900),
                emotion_analysis_consent=False,
            ),
            Order(
                id="O1",
                customer_id="C1",
                placed_at=T0 - timedelta(days=4),
                status="shipped",
                total_cents=1000,
                items=[],
            ),
            Delivery(
                id="D1",
                order_id="O1",
                customer_id="C1",
                carrier="Colissimo",
                status="in_transit",
                promised_on=date(2026, 11, 8),
            ),
        ]
    )
    yield crm
    crm.close()


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def transcript(conversations: int = 12) -> list[dict[str, str]]:
    rows = []
    for n in range(conversations):
        at = T0 + timedelta(hours=n)
        customer = "lea@example.fr" if n % 3 == 0 else "C2" if n % 3 == 1 else "x@nowhere"
        texts = (
            [
                ("customer", "Mon colis est en retard, c'est la troisième fois que je relance !"),
                ("agent", "Je suis désolé, je vérifie avec le transporteur."),
                ("customer", "Merci beaucoup, parfait."),
            ]
            if n % 2 == 0
            else [
                ("customer", "I was charged twice on my invoice, this is unacceptable."),
                ("agent", "We are refunding the second payment."),
            ]
        )
        for index, (author, text) in enumerate(texts):
            rows.append(
                {
                    "id": f"m{n}-{index}",
                    "conversation": f"c{n}",
                    "time": (at + timedelta(minutes=10 * index)).isoformat(),
                    "author": author,
                    "customer": customer,
                    "channel": "chat" if n % 2 else "email",
                    "text": text,
                }
            )
    return rows


def parts(reader: FastReader) -> AnalysisParts:
    return AnalysisParts(reader, packaged_taxonomy(), stage_rules(), alert_rules())


def counts(store: CRMStore) -> tuple[int, int, int]:
    with store.reading() as session:
        return (
            session.scalar(select(func.count()).select_from(AnalysisMessage)) or 0,
            session.scalar(select(func.count(func.distinct(AnalysisMessage.external_id)))) or 0,
            session.scalar(select(func.count()).select_from(AnalysisConversation)) or 0,
        )


def test_an_import_is_stored_with_readings_drivers_stages_and_kpis(
    store: CRMStore, fast_reader: FastReader, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "chats.csv", transcript())
    summary = Analyzer(store.analysis, parts(fast_reader)).run(
        InputFile(path, "csv", {}), source="chats", chunk_size=5
    )
    assert summary.messages == 30
    assert (
        summary.conversations == 12 - 4
    )  # the four conversations of C2 (no consent) have no reading
    assert summary.without_consent == 6
    assert counts(store) == (30, 30, 8)
    with store.reading() as session:
        first = session.scalars(
            select(AnalysisMessage).where(AnalysisMessage.external_id == "m0-0")
        ).one()
        objecting = session.scalars(
            select(AnalysisMessage).where(AnalysisMessage.external_id == "m1-0")
        ).one()
        agent = session.scalars(
            select(AnalysisMessage).where(AnalysisMessage.external_id == "m0-1")
        ).one()
        conversation = session.scalars(
            select(AnalysisConversation).where(AnalysisConversation.conversation_key == "c0")
        ).one()
    assert first.customer_id == "C1" and first.segment == "premium"
    assert first.stage == "order_in_transit"  # the CRM: an order placed 4 days before
    assert {"delivery", "delivery_delay", "repeated_contact"} <= set(first.drivers)
    assert first.valence is not None and first.valence < 0
    assert any(span["signal"].startswith("effort:") for span in first.evidence)
    assert objecting.valence is None and objecting.drivers == []
    assert agent.valence is None
    assert conversation.messages == 2
    assert conversation.end_valence > conversation.lowest_valence
    assert conversation.recovered and conversation.recovery_minutes == 20.0
    assert conversation.stage == "order_in_transit"

    report = build_report(store.analysis, Filters(), packaged_taxonomy())
    delivery = next(d for d in report.drivers if d.driver == "delivery")
    assert delivery.conversations == 4
    assert {k.group for k in report.by_stage} == {"order_in_transit", "unknown"}
    chat_only = build_report(
        store.analysis, Filters(channels=frozenset({"chat"})), packaged_taxonomy()
    )
    assert {c.channel for c in chat_only.conversations} == {"chat"}
    lines = verbatims(store.analysis, Filters(), driver="billing")
    assert lines and all("billing" in m.drivers for m in lines)
    assert lines == sorted(lines, key=lambda m: (m.valence, m.id))

    again = Analyzer(store.analysis, parts(fast_reader)).run(
        InputFile(path, "csv", {}), source="chats", chunk_size=5
    )
    assert again.already_done
    assert counts(store) == (30, 30, 8)


class CrashingReader(FastReader):
    """The real reader, which dies (like a killed process) at its `crash_at`-th batch."""

    def __init__(self, real: FastReader, crash_at: int) -> None:
        self.__dict__.update(real.__dict__)
        self.calls = 0
        self.crash_at = crash_at

    def read_batch(
        self, texts: Sequence[str], langs: Sequence[Lang | None] | None = None
    ) -> list[EmotionReading]:
        self.calls += 1
        if self.calls == self.crash_at:
            raise KeyboardInterrupt("killed")
        return super().read_batch(texts, langs)


def test_a_crashed_run_resumes_after_its_last_committed_chunk(
    store: CRMStore, fast_reader: FastReader, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "chats.csv", transcript())
    source = InputFile(path, "csv", {})
    with pytest.raises(KeyboardInterrupt):
        Analyzer(store.analysis, parts(CrashingReader(fast_reader, 3))).run(
            source, source="chats", chunk_size=4
        )
    checkpoint = store.analysis.checkpoint("chats")
    assert checkpoint is not None
    assert checkpoint.committed_messages == 8
    assert counts(store)[0] == 8
    resumed = Analyzer(store.analysis, parts(fast_reader)).run(source, source="chats", chunk_size=4)
    assert resumed.resumed_from == 8
    assert counts(store) == (30, 30, 8)
    with store.reading() as session:
        positions = list(session.scalars(select(AnalysisMessage.position)))
        run = session.get(AnalysisRun, "chats")
    assert sorted(positions) == list(range(30))
    assert run is not None and run.status == "done" and run.committed_messages == 30


def test_bad_input_stores_nothing(store: CRMStore, fast_reader: FastReader, tmp_path: Path) -> None:
    rows = transcript(3)
    rows.append(dict(rows[0]))  # the same id again, at the end of the file
    path = write_csv(tmp_path / "dup.csv", rows)
    with pytest.raises(InputError, match="duplicate id 'm0-0'"):
        Analyzer(store.analysis, parts(fast_reader)).run(InputFile(path, "csv", {}), source="d")
    assert counts(store) == (0, 0, 0)
    assert store.analysis.checkpoint("d") is None


def test_the_same_source_over_another_file_is_refused_unless_restarted(
    store: CRMStore, fast_reader: FastReader, tmp_path: Path
) -> None:
    analyzer = Analyzer(store.analysis, parts(fast_reader))
    analyzer.run(InputFile(write_csv(tmp_path / "a.csv", transcript(2)), "csv", {}), source="s")
    other = InputFile(write_csv(tmp_path / "b.csv", transcript(4)), "csv", {})
    with pytest.raises(AnalysisInputChangedError, match="another file"):
        analyzer.run(other, source="s")
    summary = analyzer.run(other, source="s", restart=True)
    assert summary.messages == 10
    assert counts(store)[0] == 10


def test_topics_are_discovered_in_the_negative_messages(
    store: CRMStore, fast_reader: FastReader, tmp_path: Path
) -> None:
    rows = []
    themes = [
        "Encore une coupure internet, la box ne fonctionne plus depuis {n} heures, c'est nul",
        "My invoice is wrong again, I was overcharged {n} euros, this is a disgrace",
        "Le livreur a perdu mon colis numéro {n}, je suis furieux",
    ]
    for n in range(90):
        rows.append({"id": str(n), "text": themes[n % 3].format(n=n)})
    path = write_csv(tmp_path / "neg.csv", rows)
    summary = Analyzer(store.analysis, parts(fast_reader)).run(
        InputFile(path, "csv", {}), source="neg"
    )
    topics = store.analysis.topics(["neg"])
    assert summary.topics == len(topics) >= 2
    negatives = len(store.analysis.negative_message_ids("neg"))
    assert sum(t.size for t in topics) == negatives
    assert all(t.examples and t.terms for t in topics)
    names = " ".join(t.name for t in topics)
    assert any(
        word in names
        for word in ("coupure", "internet", "box", "invoice", "colis", "livreur", "overcharged")
    )
