"""Indexes for the newest success of a source (source, status, id) and the newest delivered
digest (status, id, which replaces the status index): found from the index's end however many failed runs or digests came after.

Revision ID: 623a1c82b9c2
Revises: 9fb74f689a82
Create Date: 2026-12-02 14:39:59.719212
"""

from __future__ import annotations

from alembic import op

revision = "623a1c82b9c2"
down_revision = "9fb74f689a82"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.create_index("ix_crawl_run_source_status_id", ["source", "status", "id"], unique=False)

    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_status"))
        batch_op.create_index("ix_digest_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_status_id")
        batch_op.create_index(batch_op.f("ix_digest_status"), ["status"], unique=False)

    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_index("ix_crawl_run_source_status_id")
