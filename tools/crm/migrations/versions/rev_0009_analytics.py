"""Batch analysis of verbatims: imports' checkpoints, messages with their readings,
conversations with their KPIs, discovered topics, alerts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tools.crm.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_runs",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("input_name", sa.String(300), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("committed_messages", sa.Integer(), nullable=False),
        sa.Column("total_messages", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_analysis_runs")),
    )
    op.create_table(
        "analysis_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("conversation_key", sa.String(200), nullable=False),
        sa.Column("author", sa.String(20), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("customer_ref", sa.String(254), nullable=True),
        sa.Column("customer_id", sa.String(40), nullable=True),
        sa.Column("segment", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(20), nullable=True),
        sa.Column("valence", sa.Float(), nullable=True),
        sa.Column("intensity", sa.Float(), nullable=True),
        sa.Column("effort", sa.Float(), nullable=True),
        sa.Column("urgency", sa.Float(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("drivers", sa.JSON(), nullable=False),
        sa.Column("topic", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_messages")),
    )
    op.create_index(
        "uq_analysis_messages_source_external_id",
        "analysis_messages",
        ["source", "external_id"],
        unique=True,
    )
    op.create_index(
        "ix_analysis_messages_source_conversation",
        "analysis_messages",
        ["source", "conversation_key"],
    )
    op.create_table(
        "analysis_conversations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("conversation_key", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("segment", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("start_valence", sa.Float(), nullable=False),
        sa.Column("end_valence", sa.Float(), nullable=False),
        sa.Column("lowest_valence", sa.Float(), nullable=False),
        sa.Column("peak_intensity", sa.Float(), nullable=False),
        sa.Column("trend", sa.String(12), nullable=False),
        sa.Column("recovered", sa.Boolean(), nullable=False),
        sa.Column("recovery_minutes", sa.Float(), nullable=True),
        sa.Column("recovery_messages", sa.Integer(), nullable=True),
        sa.Column("mean_effort", sa.Float(), nullable=False),
        sa.Column("max_effort", sa.Float(), nullable=False),
        sa.Column("effort_slope", sa.Float(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("drivers", sa.JSON(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_conversations")),
    )
    op.create_index(
        "uq_analysis_conversations_source_key",
        "analysis_conversations",
        ["source", "conversation_key"],
        unique=True,
    )
    op.create_table(
        "analysis_topics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("topic", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_topics")),
    )
    op.create_index(
        "uq_analysis_topics_source_topic", "analysis_topics", ["source", "topic"], unique=True
    )
    op.create_table(
        "analysis_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("webhook_status", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_alerts")),
    )
    op.create_index(
        "uq_analysis_alerts_window",
        "analysis_alerts",
        ["source", "kind", "key", "metric", "window_start"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_analysis_alerts_window", table_name="analysis_alerts")
    op.drop_table("analysis_alerts")
    op.drop_index("uq_analysis_topics_source_topic", table_name="analysis_topics")
    op.drop_table("analysis_topics")
    op.drop_index("uq_analysis_conversations_source_key", table_name="analysis_conversations")
    op.drop_table("analysis_conversations")
    op.drop_index("ix_analysis_messages_source_conversation", table_name="analysis_messages")
    op.drop_index("uq_analysis_messages_source_external_id", table_name="analysis_messages")
    op.drop_table("analysis_messages")
    op.drop_table("analysis_runs")
