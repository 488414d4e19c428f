"""Recording a session for its minutes: guests, items as heard, decisions per item owned by a
person or a role, the quorum, the secretary, the closed appendix, and the recording draft.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("council_session") as batch:
        batch.add_column(sa.Column("quorum", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("secretary_person_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("closed_appendix", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.create_foreign_key(
            batch.f("fk_council_session_secretary_person_id_person"),
            "person",
            ["secretary_person_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("item_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_role", sa.String(), nullable=True))
        batch.add_column(sa.Column("due_kind", sa.String(), nullable=True))
    op.create_table(
        "session_guest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("post", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["council_session.id"],
            name=op.f("fk_session_guest_session_id_council_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_guest")),
    )
    op.create_index(op.f("ix_session_guest_session_id"), "session_guest", ["session_id"])
    op.create_table(
        "session_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reporters", sa.JSON(), nullable=False),
        sa.Column("spoke", sa.Text(), nullable=True),
        sa.Column("case_student_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["council_session.id"],
            name=op.f("fk_session_item_session_id_council_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_item")),
        sa.UniqueConstraint(
            "session_id", "number", name=op.f("uq_session_item_session_id_number")
        ),
    )
    op.create_table(
        "session_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_session_draft_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_draft")),
        sa.UniqueConstraint(
            "school_year", "number", name=op.f("uq_session_draft_school_year_number")
        ),
    )
    op.create_index(op.f("ix_session_draft_person_id"), "session_draft", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_session_draft_person_id"), table_name="session_draft")
    op.drop_table("session_draft")
    op.drop_table("session_item")
    op.drop_index(op.f("ix_session_guest_session_id"), table_name="session_guest")
    op.drop_table("session_guest")
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("due_kind")
        batch.drop_column("owner_role")
        batch.drop_column("item_number")
    with op.batch_alter_table("council_session") as batch:
        batch.drop_constraint(
            batch.f("fk_council_session_secretary_person_id_person"), type_="foreignkey"
        )
        batch.drop_column("closed_appendix")
        batch.drop_column("secretary_person_id")
        batch.drop_column("quorum")
