"""story index for event-level grouping: story_signature (packed features), story_key, story_link

Additive: 0.1.0's article_signature (JSON features) is left as it was and no longer
written; its successor story_signature starts empty and `newsmon restory` fills it (the
CHANGELOG says so). Story ids on articles are kept.

Revision ID: f5a1c7e2b9d4
Revises: 8340894e5544
Create Date: 2026-12-02 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f5a1c7e2b9d4"
down_revision = "8340894e5544"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_signature",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("story_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("packed", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("story_signature_article_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("story_signature_pkey")),
    )
    with op.batch_alter_table("story_signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_signature_story_time"), ["story_time"], unique=False)
    op.create_table(
        "story_key",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("story_time", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("story_key_article_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", "article_id", name=op.f("story_key_pkey")),
    )
    with op.batch_alter_table("story_key", schema=None) as batch_op:
        batch_op.create_index("ix_story_key_article", ["article_id"], unique=False)
        batch_op.create_index("ix_story_key_key_time", ["key", "story_time"], unique=False)
    op.create_table(
        "story_link",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("matched_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("story_link_article_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("story_link_pkey")),
    )
    with op.batch_alter_table("story_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_link_story_id"), ["story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_link_story_id"))
    op.drop_table("story_link")
    with op.batch_alter_table("story_key", schema=None) as batch_op:
        batch_op.drop_index("ix_story_key_key_time")
        batch_op.drop_index("ix_story_key_article")
    op.drop_table("story_key")
    with op.batch_alter_table("story_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_signature_story_time"))
    op.drop_table("story_signature")
