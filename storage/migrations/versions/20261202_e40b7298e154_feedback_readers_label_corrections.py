"""feedback: readers' label corrections (storage.models.feedback).

Revision ID: e40b7298e154
Revises: c3d9e1f07a42
Create Date: 2026-12-02 11:12:08.744743
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e40b7298e154"
down_revision = "c3d9e1f07a42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("previous_label", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("who", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("feedback_article_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("feedback_pkey")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_article_id"), ["article_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_article_id"))

    op.drop_table("feedback")
