"""The turn lifecycle (docs/turn-lifecycle.md): conversation states, turns, one decision
per interrupt, the outbox as a delivery queue, idempotent inbound messages.

- conversations: states `open | awaiting_approval | with_human | resolved` (`closed` became
  `resolved`, `handed_off` became `with_human`), `assignee`, the channel's `external_id`
  (unique per channel) and `human_at`;
- customers: `verified` (false for a customer `Intake` created from an unknown sender);
- messages: the channel's `external_id` (unique per channel);
- emotion readings: one per message (duplicates, if any, keep the oldest);
- `turns`: one per inbound message (and per draft an agent asks for);
- approvals: `interrupt_id` (unique), `turn_id`, `applied_at`, `override_reason`,
  `findings`; decisions `human_reply` and `superseded` exist from now on;
- outbox: `kind` (`reply | handoff_note`), `idempotency_key` (unique; existing rows get
  `approval:<id>`), `attempts`, `next_attempt_at`, `last_error`, `external_id`,
  `delivered_at` (was `sent_at`), `lease_until`; statuses
  `pending | delivering | delivered | failed | dead` (`sent` became `delivered`); a reply
  must name its approval (check constraint), a handoff note need not.

On SQLite, a table other tables point at is never rebuilt while rows point at it (a
`DROP TABLE` would break their foreign keys): columns are added (and, going down, dropped)
in place, `approvals.turn_id` gets its foreign key inline, and only the outbox, which
nothing points at, is rebuilt. Going down, the outbox rows are set aside while `approvals`
is rebuilt, then put back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tools.crm.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_TO_NEW_CONVERSATION = {"closed": "resolved", "handed_off": "with_human"}
NEW_TO_OLD_CONVERSATION = {
    "resolved": "closed",
    "with_human": "handed_off",
    "awaiting_approval": "open",
}
OLD_TO_NEW_OUTBOX = {"sent": "delivered"}
NEW_TO_OLD_OUTBOX = {"delivered": "sent", "delivering": "pending", "dead": "failed"}


OUTBOX_0004_COLUMNS = (
    "id, conversation_id, customer_id, approval_id, channel, language, body, status, created_at"
)


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _remap(table: str, mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        op.execute(
            sa.text(f"UPDATE {table} SET status = :new WHERE status = :old").bindparams(
                old=old, new=new
            )
        )


def upgrade() -> None:
    op.add_column(
        "customers", sa.Column("verified", sa.Boolean(), nullable=False, server_default="1")
    )

    op.add_column("conversations", sa.Column("assignee", sa.String(254), nullable=True))
    op.add_column("conversations", sa.Column("external_id", sa.String(200), nullable=True))
    op.add_column("conversations", sa.Column("human_at", UTCDateTime(), nullable=True))
    _remap("conversations", OLD_TO_NEW_CONVERSATION)
    op.create_index(
        "uq_conversations_channel_external_id",
        "conversations",
        ["channel", "external_id"],
        unique=True,
    )

    op.add_column("messages", sa.Column("external_id", sa.String(200), nullable=True))
    op.create_index(
        "uq_messages_channel_external_id", "messages", ["channel", "external_id"], unique=True
    )

    # One reading per message: keep the oldest of any duplicates (a replayed commit wrote
    # them before this revision), then make it a rule.
    op.execute(
        "DELETE FROM emotion_readings WHERE id NOT IN"
        " (SELECT MIN(id) FROM emotion_readings GROUP BY message_id)"
    )
    op.drop_index("ix_emotion_readings_message_id", table_name="emotion_readings")
    op.create_index(
        "ix_emotion_readings_message_id", "emotion_readings", ["message_id"], unique=True
    )

    op.create_table(
        "turns",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(254), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20), nullable=True),
        sa.Column("draft_preview", sa.Text(), nullable=False, server_default=""),
        sa.Column("interrupt_id", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(10), nullable=False, server_default="normal"),
        sa.Column("emotion", sa.String(40), nullable=True),
        sa.Column("intensity", sa.Float(), nullable=True),
        sa.Column("valence", sa.Float(), nullable=True),
        sa.Column("handoff", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_turns_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_turns_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turns")),
    )
    op.create_index(op.f("ix_turns_conversation_id"), "turns", ["conversation_id"])
    op.create_index(op.f("ix_turns_interrupt_id"), "turns", ["interrupt_id"], unique=True)
    op.create_index("ix_turns_status_created", "turns", ["status", "created_at"])
    op.create_index(
        "uq_turns_inbound_message",
        "turns",
        ["message_id"],
        unique=True,
        sqlite_where=sa.text("requested_by IS NULL"),
        postgresql_where=sa.text("requested_by IS NULL"),
    )

    op.add_column("approvals", sa.Column("interrupt_id", sa.String(64), nullable=True))
    if _sqlite():  # a foreign key can only come with its column there
        op.execute(
            "ALTER TABLE approvals ADD COLUMN turn_id VARCHAR(36)"
            " CONSTRAINT fk_approvals_turn_id_turns REFERENCES turns (id)"
        )
    else:
        op.add_column("approvals", sa.Column("turn_id", sa.String(36), nullable=True))
        op.create_foreign_key(
            op.f("fk_approvals_turn_id_turns"), "approvals", "turns", ["turn_id"], ["id"]
        )
    op.add_column("approvals", sa.Column("applied_at", UTCDateTime(), nullable=True))
    op.add_column("approvals", sa.Column("override_reason", sa.Text(), nullable=True))
    op.add_column(
        "approvals", sa.Column("findings", sa.JSON(), nullable=False, server_default="[]")
    )
    # Decisions recorded before this revision were applied when they were recorded.
    op.execute("UPDATE approvals SET applied_at = created_at")
    op.create_index(op.f("ix_approvals_interrupt_id"), "approvals", ["interrupt_id"], unique=True)
    op.create_index(op.f("ix_approvals_turn_id"), "approvals", ["turn_id"])

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="reply"))
        batch.add_column(sa.Column("idempotency_key", sa.String(100), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
    # Rows queued before this revision: one per approval (the old writer refused a second).
    op.execute(
        "UPDATE outbox SET idempotency_key = 'approval:' || CAST(approval_id AS VARCHAR(20))"
    )
    _remap("outbox", OLD_TO_NEW_OUTBOX)
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("idempotency_key", existing_type=sa.String(100), nullable=False)
        batch.alter_column("approval_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("sent_at", new_column_name="delivered_at", existing_type=sa.DateTime())
        batch.create_check_constraint(
            "reply_has_approval", "kind <> 'reply' OR approval_id IS NOT NULL"
        )
    op.create_index(op.f("ix_outbox_idempotency_key"), "outbox", ["idempotency_key"], unique=True)
    op.create_index("ix_outbox_status_next_attempt", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    sqlite = _sqlite()
    op.drop_index("ix_outbox_status_next_attempt", table_name="outbox")
    op.drop_index(op.f("ix_outbox_idempotency_key"), table_name="outbox")
    op.execute("DELETE FROM outbox WHERE approval_id IS NULL")  # handoff notes: no old form
    _remap("outbox", NEW_TO_OLD_OUTBOX)
    if sqlite:  # nothing may point at `approvals` while it is rebuilt
        op.execute("CREATE TEMPORARY TABLE outbox_0005 AS SELECT * FROM outbox")
        op.execute("DELETE FROM outbox")

    op.drop_index(op.f("ix_approvals_turn_id"), table_name="approvals")
    op.drop_index(op.f("ix_approvals_interrupt_id"), table_name="approvals")
    op.execute("UPDATE approvals SET decision = 'reject' WHERE decision = 'superseded'")
    op.execute("UPDATE approvals SET decision = 'edit' WHERE decision = 'human_reply'")
    with op.batch_alter_table("approvals") as batch:
        if not sqlite:  # there the inline foreign key goes with its column
            batch.drop_constraint(op.f("fk_approvals_turn_id_turns"), type_="foreignkey")
        for column in ("findings", "override_reason", "applied_at", "turn_id", "interrupt_id"):
            batch.drop_column(column)

    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("reply_has_approval", type_="check")
        batch.alter_column("delivered_at", new_column_name="sent_at", existing_type=sa.DateTime())
        batch.alter_column("approval_id", existing_type=sa.Integer(), nullable=False)
        for column in (
            "lease_until",
            "external_id",
            "last_error",
            "next_attempt_at",
            "attempts",
            "idempotency_key",
            "kind",
        ):
            batch.drop_column(column)
    if sqlite:
        op.execute(
            f"INSERT INTO outbox ({OUTBOX_0004_COLUMNS}, sent_at)"
            f" SELECT {OUTBOX_0004_COLUMNS}, delivered_at FROM outbox_0005"
        )
        op.execute("DROP TABLE outbox_0005")

    op.drop_index("uq_turns_inbound_message", table_name="turns")
    op.drop_index("ix_turns_status_created", table_name="turns")
    op.drop_index(op.f("ix_turns_interrupt_id"), table_name="turns")
    op.drop_index(op.f("ix_turns_conversation_id"), table_name="turns")
    op.drop_table("turns")

    op.drop_index("ix_emotion_readings_message_id", table_name="emotion_readings")
    op.create_index("ix_emotion_readings_message_id", "emotion_readings", ["message_id"])

    op.drop_index("uq_messages_channel_external_id", table_name="messages")
    op.drop_column("messages", "external_id")

    op.drop_index("uq_conversations_channel_external_id", table_name="conversations")
    _remap("conversations", NEW_TO_OLD_CONVERSATION)
    for column in ("human_at", "external_id", "assignee"):
        op.drop_column("conversations", column)

    op.drop_column("customers", "verified")
