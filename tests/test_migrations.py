"""Schema migrations: one head that equals the models, a baseline that equals newsmon 0.1.0,
0.1.0 databases upgraded with everything kept, round trips, outdated schemas refused, and
fresh databases created once when two commands start together (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlmodel import SQLModel

from storage import Database, SchemaOutdated, schema
from tests.helpers.workspace import Workspace

DATA = Path(__file__).resolve().parent / "data"
SQLITE_0_1_0 = DATA / "newsmon-0.1.0.sqlite"
POSTGRES_0_1_0 = DATA / "newsmon-0.1.0.postgresql.sql"
NOT_OURS = {"alembic_version", "apscheduler_jobs"}


def snapshot(url: str, *, names: bool = True) -> dict:
    """Every table's columns, keys, foreign keys and indexes, comparable across databases.

    ``names=False`` leaves out constraint names (SQLite keeps 0.1.0's constraints unnamed).
    """
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        tables = {}
        for table in sorted(set(insp.get_table_names()) - NOT_OURS):
            pk = insp.get_pk_constraint(table)
            tables[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
                "pk": (tuple(pk["constrained_columns"]), pk.get("name") if names else None),
                "fks": sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                        (f.get("options") or {}).get("ondelete"),
                        f.get("name") if names else None,
                    )
                    for f in insp.get_foreign_keys(table)
                ),
                "uniques": sorted(
                    (tuple(u["column_names"]), u.get("name") if names else None)
                    for u in insp.get_unique_constraints(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)
                ),
            }
        return tables
    finally:
        engine.dispose()


def all_rows(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table newsmon 0.1.0 had, in a stable order; with ``columns``, only
    those columns (what the tables had before an upgrade: later revisions may add columns)."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine, only=sorted(schema.BASELINE_TABLES))
        with engine.connect() as conn:
            return {
                name: sorted(
                    tuple(map(repr, row))
                    for row in conn.execute(
                        select(*[table.c[c] for c in (columns[name] if columns else table.columns.keys())])
                    )
                )
                for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


def columns_of(url: str) -> dict[str, list[str]]:
    """The columns of each table newsmon 0.1.0 had, as the database has them now."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {name: [c["name"] for c in found.get_columns(name)] for name in sorted(schema.BASELINE_TABLES)}
    finally:
        engine.dispose()


def autogenerate_diff(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": schema.include_object}
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def load_0_1_0(kind: str, tmp_path: Path, request) -> str:
    """A database as newsmon 0.1.0 left it (made by tests/data/make_db_0_1_0.py)."""
    if kind == "sqlite":
        path = tmp_path / "old.db"
        shutil.copy(SQLITE_0_1_0, path)
        return f"sqlite:///{path}"
    import psycopg

    server = request.getfixturevalue("postgres")
    name = f"old_{abs(hash(request.node.nodeid)) % 10**9}"
    url = server.create_database(name)
    with psycopg.connect(
        f"host=127.0.0.1 port={server.port} user=postgres dbname={name}", autocommit=True
    ) as conn:
        conn.execute(POSTGRES_0_1_0.read_text(encoding="utf-8"))
    return url


def empty_database(kind: str, tmp_path: Path, request) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"fresh_{abs(hash(request.node.nodeid)) % 10**9}")


KINDS = ["sqlite", "postgresql"]


def test_exactly_one_head_and_the_cheap_reading_agrees_with_alembic():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(schema.alembic_config())
    assert scripts.get_heads() == [schema.head()], "chain the new revision's down_revision onto the old head"
    assert schema.revision_graph() == {
        s.revision: tuple(s._all_down_revisions) for s in scripts.walk_revisions()
    }
    assert scripts.get_base() == schema.BASELINE


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_database_is_made_by_the_migrations_and_matches_the_models(kind, tmp_path, request):
    url = empty_database(kind, tmp_path, request)
    assert schema.status(Database(url, schema="any")).state == "empty"
    db = Database(url)
    assert schema.status(db).state == "current"
    db.dispose()
    # A revision missing for a model change shows here as a difference.
    assert autogenerate_diff(url) == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_revision_round_trips(kind, tmp_path, request):
    """Upgrade one step, downgrade it, upgrade again: the schema is the same each time."""
    from alembic.script import ScriptDirectory

    url = empty_database(kind, tmp_path, request)
    db = Database(url, schema="any")
    order = [
        s.revision
        for s in reversed(list(ScriptDirectory.from_config(schema.alembic_config()).walk_revisions()))
    ]
    previous, previous_shape = "base", snapshot(url)
    assert previous_shape == {}
    for revision in order:
        db.upgrade(revision)
        shape = snapshot(url)
        assert shape, revision
        schema.downgrade(db, previous)
        assert snapshot(url) == previous_shape, f"downgrade of {revision} does not undo it"
        db.upgrade(revision)
        assert snapshot(url) == shape, f"{revision} again differs"
        previous, previous_shape = revision, shape
    schema.downgrade(db, "base")
    assert snapshot(url) == {}
    db.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_the_baseline_is_the_schema_of_0_1_0(kind, tmp_path, request):
    old = load_0_1_0(kind, tmp_path, request)
    url = empty_database(kind, tmp_path, request)
    Database(url, schema="any").upgrade(schema.BASELINE)
    # PostgreSQL names 0.1.0's constraints as the naming convention does; SQLite left them unnamed.
    names = kind == "postgresql"
    assert snapshot(url, names=names) == snapshot(old, names=names)


@pytest.mark.parametrize("kind", KINDS)
def test_db_upgrade_takes_a_0_1_0_database_to_head_with_everything_kept(kind, tmp_path, request):
    url = load_0_1_0(kind, tmp_path, request)
    before = all_rows(url)
    columns = columns_of(url)
    assert len(before["article"]) == 4 and len(before["crawl_run"]) == 4 and len(before["digest"]) == 2
    ws = Workspace(tmp_path)
    ws.config_path.write_text(f'database_url = "{url}"\n', encoding="utf-8")

    refused = ws.run("articles")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: database was made by newsmon 0.1.0 and is not upgraded yet: "
        "run `newsmon db upgrade` (back it up first)"
    ]
    assert ws.run("db", "current").returncode == 1

    upgraded = ws.run("db", "upgrade", check=True)
    assert f"-> {schema.head()}" in upgraded.stdout
    assert ws.run("db", "current", check=True).stdout.startswith(f"{schema.head()}: ")
    assert all_rows(url, columns) == before
    assert autogenerate_diff(url) == []
    engine = create_engine(url)
    assert "apscheduler_jobs" in inspect(engine).get_table_names()  # not ours: left alone
    engine.dispose()
    listed = ws.run_json("articles", "--json", check=True)
    assert len(listed) == 4
    again = ws.run("db", "upgrade", check=True)
    assert again.stdout.strip() == f"database schema is already at {schema.head()}"
    history = ws.run("db", "history", check=True).stdout
    assert f"{schema.BASELINE}  Baseline" in history and "current" in history


def test_a_schema_newer_than_this_newsmon_is_refused_and_not_touched(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    Database(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    engine.dispose()
    with pytest.raises(SchemaOutdated, match="from_the_future, which this newsmon does not know"):
        Database(url)
    with pytest.raises(SchemaOutdated, match="does not know"):
        Database(url, schema="any").upgrade()
    ws = Workspace(tmp_path)
    ws.config_path.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    refused = ws.run("status")
    assert refused.returncode == 1 and "newer newsmon" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_a_database_with_only_some_0_1_0_tables_is_not_stamped(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE article (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(SchemaOutdated, match="not a newsmon 0.1.0 database: tables .*crawl_run"):
        Database(url, schema="any").upgrade()
    assert set(inspect(create_engine(url)).get_table_names()) == {"article"}


@pytest.mark.slow
def test_run_upgrades_a_0_1_0_database_under_its_lock(tmp_path, mirror):
    url = load_0_1_0("sqlite", tmp_path, None)
    before = all_rows(url)
    columns = columns_of(url)
    (tmp_path / "ws").mkdir()
    ws = Workspace(tmp_path / "ws")
    ws.config_path.write_text(
        f'database_url = "{url}"\nmirror = "{mirror.url}"\nlog_level = "INFO"\n[sources.kinhtedothi]\n',
        encoding="utf-8",
    )
    result = ws.run("run", "--once", timeout=900)
    assert result.returncode == 0, result.stderr
    assert f"database schema upgraded: 0.1.0 (unversioned) -> {schema.head()}" in result.stderr
    assert schema.status(Database(url)).state == "current"
    after = all_rows(url, columns)
    assert set(before["article"]) <= set(after["article"]) and len(after["article"]) > len(before["article"])
    # The pending digest was retried (to the outbox folder here): same digest, now delivered.
    assert {row[:2] for row in before["digest"]} <= {row[:2] for row in after["digest"]}
    assert set(before["digest_item"]) <= set(after["digest_item"])


CRAWL_AT_ONCE = r"""
import os, subprocess, sys
env = dict(os.environ)
cmd = [sys.argv[1], "crawl", sys.argv[2], "--json"]
# Both children are started before either is waited for: they open the fresh database together.
children = [subprocess.Popen(cmd[:2] + [name] + cmd[3:], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for name in sys.argv[2].split(",")]
for child in children:
    out, err = child.communicate(timeout=300)
    print(child.returncode, repr(out[-300:]), repr(err[-2000:]))
"""


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_two_crawls_started_together_on_a_fresh_database_both_succeed(kind, tmp_path, request, mirror):
    url = empty_database(kind, tmp_path, request)
    ws = Workspace(tmp_path)
    ws.config_path.write_text(
        f'database_url = "{url}"\nmirror = "{mirror.url}"\n[sources.kinhtedothi]\n[sources.vovworld]\n',
        encoding="utf-8",
    )
    exe = shutil.which("newsmon") or str(Path(sys.executable).parent / "newsmon")
    result = subprocess.run(
        [sys.executable, "-c", CRAWL_AT_ONCE, exe, "kinhtedothi,vovworld"],
        env=ws.env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=400,
    )
    codes = [line.split(" ", 1)[0] for line in result.stdout.splitlines()]
    assert codes == ["0", "0"], result.stdout + result.stderr
    db = Database(url)
    assert schema.status(db).state == "current"
    from storage import CrawlRunLog

    latest = CrawlRunLog(db).latest_per_source()
    assert {name: run.status for name, run in latest.items()} == {"kinhtedothi": "ok", "vovworld": "ok"}
    db.dispose()


def test_db_revision_writes_a_revision_chained_onto_the_head(tmp_path):
    """`newsmon db revision` (for developers) run on a copy of the code, so the revision lands there."""
    repo = Path(__file__).resolve().parent.parent
    copy = tmp_path / "src"
    for name in ("storage", "monitor", "spiders"):
        shutil.copytree(repo / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("settings.py", "scheduler.py"):
        shutil.copy(repo / name, copy / name)
    ws = Workspace(tmp_path)
    result = ws.run("db", "revision", "-m", "nothing changed", PYTHONPATH=str(copy), check=True)
    versions = copy / "storage" / "migrations" / "versions"
    (written,) = set(versions.glob("*.py")) - {versions / p.name for p in schema.VERSIONS.glob("*.py")}
    assert f"wrote {written}" in result.stdout and written.name.endswith("_nothing_changed.py")
    text_ = written.read_text(encoding="utf-8")
    assert f"down_revision = '{schema.head()}'" in text_
    # The models equal the head, so autogenerate found nothing to write.
    assert "op." not in text_.split("def upgrade()")[1]


@pytest.mark.parametrize("kind", KINDS)
def test_band_rows_indexed_before_the_story_time_revision_get_their_story_time(kind, tmp_path, request):
    """Revision 35e954df43c8 fills signature_band.story_time from story_signature, so near copies
    of articles grouped before it are found without a restory."""
    from datetime import datetime, timezone

    from monitor.stories import StoryGrouper
    from storage import Article, ArticleStore

    url = empty_database(kind, tmp_path, request)
    db = Database(url)
    store = ArticleStore(db)
    when = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    saved = store.save(
        Article(
            canonical_url="https://example.org/a",
            url="https://example.org/a",
            source="hanoimoi",
            title="Hà Nội và Mát-xcơ-va ký chương trình hợp tác",
            body="Chiều 20/11, hai thành phố ký chương trình hợp tác giai đoạn 2027-2029 về giao thông.",
            language="vi",
            published_at=when,
            content_hash="",
        )
    )
    StoryGrouper(db).assign(store.get(saved.article_id))
    schema.downgrade(db, "d996d8332b8d")
    db.upgrade()
    engine = create_engine(url)
    with engine.connect() as conn:
        times = conn.execute(text("SELECT DISTINCT story_time FROM signature_band")).scalars().all()
    engine.dispose()
    assert len(times) == 1 and times[0] is not None
    found = times[0] if isinstance(times[0], datetime) else datetime.fromisoformat(times[0])
    assert found.replace(tzinfo=None) == when.replace(tzinfo=None)
    db.dispose()
