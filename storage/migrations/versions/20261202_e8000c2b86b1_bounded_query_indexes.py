"""Indexes for queries that do not grow with history: newest run per source (source, id),
running runs (status), relevant articles first seen since a time (label, first_seen_at),
old articles (first_seen_at). ix_crawl_run_source is a prefix of the new (source, id) one.

Revision ID: e8000c2b86b1
Revises: e40b7298e154
Create Date: 2026-12-02 11:21:54.410032
"""

from __future__ import annotations

from alembic import op

revision = "e8000c2b86b1"
down_revision = "e40b7298e154"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_first_seen_at"), ["first_seen_at"], unique=False)
        batch_op.create_index("ix_article_label_first_seen_at", ["label", "first_seen_at"], unique=False)

    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_run_source"))
        batch_op.create_index("ix_crawl_run_source_id", ["source", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crawl_run_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_run_status"))
        batch_op.drop_index("ix_crawl_run_source_id")
        batch_op.create_index(batch_op.f("ix_crawl_run_source"), ["source"], unique=False)

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_label_first_seen_at")
        batch_op.drop_index(batch_op.f("ix_article_first_seen_at"))
