"""The e-mail channel: how far the mail poller has read each mailbox folder.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tools.crm.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_cursors",
        sa.Column("mailbox", sa.String(300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name=op.f("pk_mail_cursors")),
    )


def downgrade() -> None:
    op.drop_table("mail_cursors")
