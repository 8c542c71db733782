"""Digest deliveries per recipient: the delivery table (one row per digest and destination, with
its state, attempts, next attempt and last error), and digest items that a failed or dropped
digest releases (kept as history; the unique index on article_id covers live items only).

Digests that 0.1.0 left pending get their delivery rows at the next digest run
(DigestStore.adopt_legacy: the channel depends on the SMTP config, which only the run knows).

Revision ID: 2d78db42595c
Revises: f5a1c7e2b9d4
Create Date: 2026-12-02 11:44:02.208843
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2d78db42595c"
down_revision = "f5a1c7e2b9d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("error_kind", sa.String(length=16), nullable=True),
        sa.Column("claim", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["digest_id"], ["digest.id"], name=op.f("delivery_digest_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("delivery_pkey")),
        sa.UniqueConstraint("digest_id", "channel", "destination", name="uq_delivery_destination"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_digest_id"), ["digest_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_status"), ["status"], unique=False)

    with op.batch_alter_table("digest_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("released", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_constraint(batch_op.f("uq_digest_item_article"), type_="unique")
        batch_op.create_index(batch_op.f("ix_digest_item_article_id"), ["article_id"], unique=False)
        batch_op.create_index(
            "uq_digest_item_live_article",
            ["article_id"],
            unique=True,
            sqlite_where=sa.text("released = 0"),
            postgresql_where=sa.text("NOT released"),
        )


def downgrade() -> None:
    # Released items (history of failed digests) cannot stay under a plain unique article_id.
    item = sa.table("digest_item", sa.column("released", sa.Boolean()))
    op.execute(item.delete().where(item.c.released == sa.true()))
    with op.batch_alter_table("digest_item", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_digest_item_live_article",
            sqlite_where=sa.text("released = 0"),
            postgresql_where=sa.text("NOT released"),
        )
        batch_op.drop_index(batch_op.f("ix_digest_item_article_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_digest_item_article"), ["article_id"])
        batch_op.drop_column("released")

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_delivery_digest_id"))

    op.drop_table("delivery")
