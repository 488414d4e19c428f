"""Vacancies among the plan's people (`person.vacancy`) and council members' answers to a
session's reminder (`session_rsvp`).

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(
            sa.Column("vacancy", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "session_rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("coming", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_session_rsvp_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_rsvp")),
        sa.UniqueConstraint(
            "school_year",
            "number",
            "person_id",
            name=op.f("uq_session_rsvp_school_year_number_person_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("session_rsvp")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("vacancy")
