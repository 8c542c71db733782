"""Baseline: the schema of newsmon 0.1.0, exactly as its create_all made it.

Never edit this revision: databases made by 0.1.0 are stamped at it without running it
(tests/test_migrations.py compares it with a database made by the 0.1.0 code).

Revision ID: v0_1_0
Revises:
Create Date: 2026-12-02 10:53:58
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v0_1_0"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("lead", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("relevance_version", sa.String(length=32), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("article_pkey")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_canonical_url"), ["canonical_url"], unique=True)
        batch_op.create_index(batch_op.f("ix_article_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_label"), ["label"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_story_id"), ["story_id"], unique=False)

    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("articles_seen", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(), nullable=True),
        sa.Column("error_samples", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("crawl_run_pkey")),
    )
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_run_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_crawl_run_started_at"), ["started_at"], unique=False)

    op.create_table(
        "daemon_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rss_kb", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("daemon_lock_pkey")),
    )
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("raw_message", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("core_count", sa.Integer(), nullable=False),
        sa.Column("national_count", sa.Integer(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_path", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("digest_pkey")),
        sa.UniqueConstraint("message_id", name=op.f("digest_message_id_key")),
    )
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_digest_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_digest_status"), ["status"], unique=False)

    op.create_table(
        "failed_url",
        sa.Column("canonical_url", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("canonical_url", name=op.f("failed_url_pkey")),
    )
    op.create_table(
        "http_validator",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "url", name=op.f("http_validator_pkey")),
    )
    op.create_table(
        "article_signature",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("story_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("article_signature_article_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("article_signature_pkey")),
    )
    with op.batch_alter_table("article_signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_signature_story_time"), ["story_time"], unique=False)

    op.create_table(
        "article_url",
        sa.Column("canonical_url", sa.String(length=2048), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("article_url_article_id_fkey")),
        sa.PrimaryKeyConstraint("canonical_url", name=op.f("article_url_pkey")),
    )
    with op.batch_alter_table("article_url", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_url_article_id"), ["article_id"], unique=False)

    op.create_table(
        "digest_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("digest_item_article_id_fkey")),
        sa.ForeignKeyConstraint(["digest_id"], ["digest.id"], name=op.f("digest_item_digest_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("digest_item_pkey")),
        sa.UniqueConstraint("article_id", name="uq_digest_item_article"),
    )
    with op.batch_alter_table("digest_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_item_digest_id"), ["digest_id"], unique=False)

    op.create_table(
        "signature_band",
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("signature_band_article_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("band_key", "article_id", name=op.f("signature_band_pkey")),
    )
    with op.batch_alter_table("signature_band", schema=None) as batch_op:
        batch_op.create_index("ix_signature_band_article", ["article_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signature_band", schema=None) as batch_op:
        batch_op.drop_index("ix_signature_band_article")

    op.drop_table("signature_band")
    with op.batch_alter_table("digest_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_item_digest_id"))

    op.drop_table("digest_item")
    with op.batch_alter_table("article_url", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_url_article_id"))

    op.drop_table("article_url")
    with op.batch_alter_table("article_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_signature_story_time"))

    op.drop_table("article_signature")
    op.drop_table("http_validator")
    op.drop_table("failed_url")
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_status"))
        batch_op.drop_index(batch_op.f("ix_digest_sent_at"))
        batch_op.drop_index(batch_op.f("ix_digest_created_at"))

    op.drop_table("digest")
    op.drop_table("daemon_lock")
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_run_started_at"))
        batch_op.drop_index(batch_op.f("ix_crawl_run_source"))

    op.drop_table("crawl_run")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_story_id"))
        batch_op.drop_index(batch_op.f("ix_article_source"))
        batch_op.drop_index(batch_op.f("ix_article_published_at"))
        batch_op.drop_index(batch_op.f("ix_article_label"))
        batch_op.drop_index(batch_op.f("ix_article_content_hash"))
        batch_op.drop_index(batch_op.f("ix_article_canonical_url"))

    op.drop_table("article")
