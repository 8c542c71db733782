"""crawl run error kinds, failed url retry url

crawl_run.error_kinds: errors by kind ({} for runs recorded before); failed_url.url: the URL
as the site gave it, to retry the page by; an index on failed_url.source for the retry query.

Revision ID: 9fb74f689a82
Revises: 2d78db42595c
Create Date: 2026-12-02 12:37:18.681075
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9fb74f689a82"
down_revision = "2d78db42595c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("error_kinds", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )

    with op.batch_alter_table("failed_url", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url", sa.String(length=2048), nullable=True))
        batch_op.create_index(batch_op.f("ix_failed_url_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("failed_url", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_url_source"))
        batch_op.drop_column("url")

    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_column("error_kinds")
