"""Dialogue state in the database (aiogram FSM): `fsm_state`.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fsm_state",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("business_connection_id", sa.String(), nullable=False),
        sa.Column("destiny", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bot_id",
            "chat_id",
            "user_id",
            "thread_id",
            "business_connection_id",
            "destiny",
            name=op.f("pk_fsm_state"),
        ),
    )
    op.create_index(op.f("ix_fsm_state_updated_at"), "fsm_state", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fsm_state_updated_at"), table_name="fsm_state")
    op.drop_table("fsm_state")
