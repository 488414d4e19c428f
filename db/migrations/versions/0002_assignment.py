"""Reassigned plan items: `assignment`.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment",
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("set_by_person_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_assignment")),
    )


def downgrade() -> None:
    op.drop_table("assignment")
