"""Layers per article field (article.layers), degraded crawl runs (crawl_run.degraded),
discovered entry points (entry_point, entry_point_check). Existing rows get {} for the two
new JSON columns (a server default used only while adding them).

Revision ID: 8340894e5544
Revises: d19b5f76f383
Create Date: 2026-12-02 12:20:07.418165
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8340894e5544"
down_revision = "d19b5f76f383"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entry_point",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("found_on", sa.String(length=2048), nullable=False),
        sa.Column("first_found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "url", name=op.f("entry_point_pkey")),
    )
    op.create_table(
        "entry_point_check",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("entry_point_check_pkey")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("layers", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.alter_column("layers", server_default=None)

    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("degraded", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.alter_column("degraded", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_column("degraded")

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("layers")

    op.drop_table("entry_point_check")
    op.drop_table("entry_point")
