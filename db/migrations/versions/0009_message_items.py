"""One message per moment: which items a message carries (`message_item`, and an index to
find a sent message's outbox row), and evidence sent as a reply to a reminder (`evidence`: the
file kept in the attachment store by its sha256, Telegram's file id a cache).

Revision ID: 0009
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminder.id"],
            name=op.f("fk_message_item_reminder_id_reminder"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["reminder.id"],
            name=op.f("fk_message_item_part_id_reminder"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_item")),
        sa.UniqueConstraint(
            "reminder_id", "position", name=op.f("uq_message_item_reminder_id_position")
        ),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sa.String(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(), nullable=True),
        sa.Column("bot_id", sa.BigInteger(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("mime_type", sa.String(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("telegram_message_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_evidence_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index("ix_evidence_occurrence_key", "evidence", ["occurrence_key"])
    op.create_index(op.f("ix_evidence_person_id"), "evidence", ["person_id"])
    op.create_index(op.f("ix_evidence_sha256"), "evidence", ["sha256"])
    op.create_index(
        "ix_reminder_chat_id_telegram_message_id", "reminder", ["chat_id", "telegram_message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_reminder_chat_id_telegram_message_id", table_name="reminder")
    op.drop_index(op.f("ix_evidence_sha256"), table_name="evidence")
    op.drop_index(op.f("ix_evidence_person_id"), table_name="evidence")
    op.drop_index("ix_evidence_occurrence_key", table_name="evidence")
    op.drop_table("evidence")
    op.drop_table("message_item")
