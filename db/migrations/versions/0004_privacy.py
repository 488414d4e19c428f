"""Files attached to notes are kept by the school (`incident.attachment_sha256`, size, name,
type; the Telegram file id stays as a cache, with the bot it belongs to), and closed cases can
be anonymised (`student.anonymised_at`).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("attachment_bot_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("attachment_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("attachment_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attachment_name", sa.String(), nullable=True))
        batch.add_column(sa.Column("attachment_mime", sa.String(), nullable=True))
    with op.batch_alter_table("student") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("student") as batch:
        batch.drop_column("anonymised_at")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("attachment_mime")
        batch.drop_column("attachment_name")
        batch.drop_column("attachment_size")
        batch.drop_column("attachment_sha256")
        batch.drop_column("attachment_bot_id")
