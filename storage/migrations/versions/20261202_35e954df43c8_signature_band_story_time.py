"""signature_band.story_time and a (band_key, story_time) index: near copies searched in a window

Near copies were found by every article ever stored under a shared band key; with the story
time beside the key, the look-up is a bounded range scan over the duplicate window, the most
recent first. Additive: the column is nullable and filled here from story_signature (rows of
articles that story_signature does not hold yet, as after a 0.1.0 upgrade, stay empty until
`newsmon restory`, which rebuilds them anyway).

Revision ID: 35e954df43c8
Revises: d996d8332b8d
Create Date: 2026-12-02 14:18:17.371068
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "35e954df43c8"
down_revision = "d996d8332b8d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signature_band", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_time", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE signature_band SET story_time = (SELECT s.story_time FROM story_signature s "
        "WHERE s.article_id = signature_band.article_id)"
    )
    with op.batch_alter_table("signature_band", schema=None) as batch_op:
        batch_op.create_index("ix_signature_band_key_time", ["band_key", "story_time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signature_band", schema=None) as batch_op:
        batch_op.drop_index("ix_signature_band_key_time")
        batch_op.drop_column("story_time")
