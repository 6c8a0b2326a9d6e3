"""Schema migrations on SQLite and PostgreSQL: an old database upgrades in place."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from agents.cli import app as cli
from agents.core.emotion import EmotionReading
from tests.integration.conftest import postgres_database
from tools.crm.models import Base
from tools.crm.store import CRMStore

REVISION_0002_TABLES = {"emotion_readings", "approvals", "outbox"}
REVISION_0003_TABLES = {
    "campaigns",
    "campaign_variants",
    "campaign_approvals",
    "campaign_recipients",
}
HEAD = "0009"


def test_an_old_database_upgrades_in_place_and_keeps_its_rows(database_url: str) -> None:
    old = CRMStore.from_url(database_url, upgrade=False)
    old.migrate("0001")
    assert old.revision() == "0001"
    tables = set(inspect(old.engine).get_table_names())
    assert "customers" in tables
    assert not tables & REVISION_0002_TABLES
    assert "marketing_consent" not in {
        c["name"] for c in inspect(old.engine).get_columns("customers")
    }

    # Rows written the way revision 0001 knew them (plain SQL: today's models are newer).
    with old.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, email, first_name, last_name, language, segment,"
                " value_cents, vulnerable, created_at) VALUES"
                " ('OLD-1', 'ancien@exemple.fr', 'Paul', 'Ancien', 'fr', 'premium', 120000,"
                " false, '2024-01-05 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, customer_id, channel, language, subject,"
                " started_at, status) VALUES ('CV-OLD', 'OLD-1', 'email', 'fr', 'Facture',"
                " '2024-02-01 10:00:00', 'open')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO messages (conversation_id, customer_id, author, channel, sent_at,"
                " text) VALUES ('CV-OLD', 'OLD-1', 'customer', 'email', '2024-02-01 10:00:00',"
                " 'Ma facture est fausse.')"
            )
        )
    old.close()

    upgraded = CRMStore.from_url(database_url)  # upgrades to head on open
    assert upgraded.revision() == HEAD
    assert set(inspect(upgraded.engine).get_table_names()) >= REVISION_0002_TABLES
    profile = upgraded.find_customer("ancien@exemple.fr")
    assert (profile.id, profile.segment, profile.value_cents) == ("OLD-1", "premium", 120000)
    assert profile.created_at == datetime(2024, 1, 5, 9, 0, tzinfo=UTC)
    # New columns got their documented defaults on existing rows.
    assert profile.marketing_consent is False
    assert profile.emotion_analysis_consent is True
    # Old messages can now carry emotion readings (the new table works with old rows).
    [conversation] = upgraded.scope("OLD-1").conversations()
    [message] = conversation.messages
    assert message.text == "Ma facture est fausse."
    upgraded.writer("CV-OLD").record_emotion_reading(
        message.id, EmotionReading(label="frustration", valence=-0.4, intensity=0.5)
    )
    assert [r.reading.label for r in upgraded.scope("OLD-1").conversation_readings("CV-OLD")] == [
        "frustration"
    ]
    upgraded.close()


def test_head_schema_matches_the_models(store: CRMStore) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_downgrade_and_upgrade_round_trip(store: CRMStore) -> None:
    from alembic import command

    from tools.crm.database import alembic_config

    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert store.revision() == "0001"
    tables = set(inspect(store.engine).get_table_names())
    assert not tables & (REVISION_0002_TABLES | REVISION_0003_TABLES)
    store.migrate("head")
    assert store.revision() == HEAD
    assert set(inspect(store.engine).get_table_names()) >= REVISION_0003_TABLES
    store.migrate("head")  # upgrading an up-to-date database is a no-op
    assert store.revision() == HEAD


def test_revision_0005_carries_rows_of_0004_over_and_back(database_url: str) -> None:
    """States, outbox rows and approvals written under revision 0004 take their 0005 form
    (with the foreign keys that point at the rebuilt tables intact), and back down."""
    old = CRMStore.from_url(database_url, upgrade=False)
    old.migrate("0004")
    with old.engine.begin() as connection:
        for statement in (
            "INSERT INTO customers (id, email, first_name, last_name, language, segment,"
            " value_cents, vulnerable, created_at, marketing_consent, emotion_analysis_consent)"
            " VALUES ('C-1', 'c1@exemple.fr', 'Ana', 'Un', 'fr', 'standard', 0, false,"
            " '2026-01-05 09:00:00', false, true)",
            *(
                "INSERT INTO conversations (id, customer_id, channel, language, subject,"
                f" started_at, status) VALUES ('CV-{status}', 'C-1', 'email', 'fr', 'Objet',"
                f" '2026-02-01 10:00:00', '{status}')"
                for status in ("open", "closed", "handed_off")
            ),
            "INSERT INTO messages (conversation_id, customer_id, author, channel, sent_at, text)"
            " VALUES ('CV-open', 'C-1', 'customer', 'email', '2026-02-01 10:00:00', 'Bonjour')",
            "INSERT INTO approvals (conversation_id, customer_id, decision, reviewer, draft_text,"
            " final_text, diff, created_at) VALUES ('CV-open', 'C-1', 'accept', 'lea', 'Réponse',"
            " 'Réponse', '', '2026-02-01 10:05:00')",
            "INSERT INTO outbox (conversation_id, customer_id, approval_id, channel, language,"
            " body, status, created_at, sent_at) VALUES ('CV-open', 'C-1', 1, 'email', 'fr',"
            " 'Réponse', 'sent', '2026-02-01 10:05:00', '2026-02-01 10:06:00')",
        ):
            connection.execute(text(statement))
    old.close()

    store = CRMStore.from_url(database_url)
    assert store.revision() == HEAD
    with store.engine.connect() as connection:
        states = dict(connection.execute(text("SELECT id, status FROM conversations")).all())
        outbox = connection.execute(
            text("SELECT status, idempotency_key, kind, delivered_at FROM outbox")
        ).one()
        approval = connection.execute(text("SELECT applied_at, interrupt_id FROM approvals")).one()
    assert states == {"CV-open": "open", "CV-closed": "resolved", "CV-handed_off": "with_human"}
    assert (outbox.status, outbox.idempotency_key, outbox.kind) == (
        "delivered",
        "approval:1",
        "reply",
    )
    assert outbox.delivered_at is not None
    assert approval.applied_at is not None and approval.interrupt_id is None
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []

    from alembic import command

    from tools.crm.database import alembic_config

    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with store.engine.connect() as connection:
        states = dict(connection.execute(text("SELECT id, status FROM conversations")).all())
        status = connection.scalar(text("SELECT status FROM outbox"))
    assert states == {"CV-open": "open", "CV-closed": "closed", "CV-handed_off": "handed_off"}
    assert status == "sent"
    store.close()


def test_crm_migrate_never_prints_the_database_password(
    postgres_server: str, tmp_path: Path
) -> None:
    for url in postgres_database(postgres_server):
        # The test cluster trusts loopback, so any password connects: one is given here
        # only to see that it never reaches the output.
        with_password = url.replace("//postgres@", "//postgres:s3cret-pw@")
        env = {"RESSENTI_DATA_DIR": str(tmp_path), "RESSENTI_DATABASE_URL": with_password}
        result = CliRunner().invoke(cli, ["crm", "migrate"], env=env)
        assert result.exit_code == 0, result.output
        assert "s3cret-pw" not in result.output
        assert "postgres:***@127.0.0.1" in result.output
        assert f"empty -> {HEAD}" in result.output
