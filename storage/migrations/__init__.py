"""Alembic migrations of newsmon's database (see README.md here; run by storage.schema)."""
