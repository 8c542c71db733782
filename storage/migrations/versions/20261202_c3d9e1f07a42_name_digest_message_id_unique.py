"""Name the unique constraint on digest.message_id in SQLite databases made by 0.1.0.

0.1.0 created it unnamed; the naming convention calls it digest_message_id_key, which is
what PostgreSQL already named it and what a new database gets. With a name, later
revisions can refer to it on every database. The table is copied (SQLite cannot rename a
constraint); rows and ids are kept.

Revision ID: c3d9e1f07a42
Revises: v0_1_0
Create Date: 2026-12-02 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3d9e1f07a42"
down_revision = "v0_1_0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    uniques = sa.inspect(bind).get_unique_constraints("digest")
    if any(u["column_names"] == ["message_id"] and u.get("name") for u in uniques):
        return
    convention = {"uq": "%(table_name)s_%(column_0_N_name)s_key"}
    with op.batch_alter_table("digest", recreate="always", naming_convention=convention):
        pass


def downgrade() -> None:
    # A named constraint is what a 0.1.0 database means too: nothing to undo.
    pass
