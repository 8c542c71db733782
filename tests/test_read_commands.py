"""Commands that only read (`status`, `articles`, `sources`) never create a database, say
which config and database they used, and print what a person needs without --json."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from storage import ArticleStore, CrawlRunLog, Database
from storage.models import Article
from tests.helpers.workspace import Workspace

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def store_article(
    db: Database, n: int, source: str, title: str, *, label: str = "core", published: datetime | None = None
) -> int:
    article = Article(
        url=f"https://news.example.org/{source}/{n}.html",
        canonical_url="",
        source=source,
        title=title,
        lead="",
        body=f"Body of article {n}, written for this test.",
        language="vi",
        published_at=published or NOW - timedelta(hours=n),
        label=label,
        score=0.9,
        reasons=[],
    )
    return ArticleStore(db).save(article).article_id


def test_status_without_config_or_database_creates_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.config_path.unlink()  # no config at all: built-in defaults, ./newsmon.db
    env = {"NEWSMON_CONFIG": ""}
    for command in (("status",), ("status", "--json"), ("articles",), ("sources",)):
        result = ws.run(*command, **env)
        assert result.returncode == 0, (command, result.stderr)
    assert not (tmp_path / "newsmon.db").exists()
    assert list(tmp_path.iterdir()) == []

    text = ws.run("status", **env).stdout
    assert "config: built-in defaults" in text
    assert f"database: {tmp_path / 'newsmon.db'} (not created yet" in text
    assert "hanoimoi  schedule interval:30m" in text and "last run: never" in text
    status = ws.run_json("status", "--json", **env)[0]
    assert status["database_exists"] is False and status["config"].startswith("built-in defaults")
    assert "no newsmon database yet at" in ws.run("articles", **env).stderr


def test_status_names_its_config_and_prints_error_samples(workspace: Workspace) -> None:
    workspace.write_config("[sources.hanoimoi]\n[sources.kinhtedothi]\n")
    runs = CrawlRunLog(Database(workspace.db_url))
    samples = [
        {"kind": "http", "url": f"https://hanoimoi.vn/bai-{n}.html", "reason": f"HTTP 500 number {n}"}
        for n in range(7)
    ]
    run_id = runs.start("hanoimoi")
    runs.finish(run_id, "partial", {"requests": 20, "articles_seen": 12, "errors": 7}, "7 error(s)", samples)

    text = workspace.run("status", check=True).stdout
    assert f"config: {workspace.config_path}" in text
    assert f"database: {workspace.db_path}\n" in text
    for n in range(5):
        assert f"error: http  https://hanoimoi.vn/bai-{n}.html  HTTP 500 number {n}" in text
    assert "bai-5.html" not in text and "and 2 more sample(s) in `newsmon status --json`" in text
    # The samples sit under their source, not under another one.
    assert text.index("bai-0.html") < text.index("kinhtedothi  schedule")
    status = workspace.run_json("status", "--json")[0]
    assert status["config"] == str(workspace.config_path) and status["database"] == str(workspace.db_path)
    assert len(status["sources"][0]["last_run"]["error_samples"]) == 7


def test_articles_columns_align_for_long_source_names(workspace: Workspace) -> None:
    workspace.write_config(
        "[sources.hanoimoi]\n[sources.vietnamplus_ru]\n"
        '[sources.thoibao_ha_noi_moi_long_name]\nspider = "generic"\n'
        'feeds = ["https://news.example.org/rss.xml"]\n'
    )
    db = Database(workspace.db_url)
    store_article(db, 1, "hanoimoi", "Hà Nội và Mátxcơva ký kết hợp tác")
    store_article(db, 2, "thoibao_ha_noi_moi_long_name", "Đoàn đại biểu Moskva thăm Hà Nội", label="national")
    store_article(db, 3, "vietnamplus_ru", "Ханой и Москва подписали соглашение", label="none")
    out = workspace.run("articles", check=True).stdout
    heads = [line for line in out.splitlines() if not line.startswith("    ")]
    assert len(heads) == 3
    titles = ["Hà Nội và Mátxcơva", "Đoàn đại biểu", "Ханой и Москва"]
    columns = {line.index(title) for line, title in zip(heads, titles)}
    labels = {line.index(label) for line, label in zip(heads, ("core", "national", "none"))}
    assert len(columns) == 1 and len(labels) == 1, out


def test_export_csv_and_jsonl_with_since(workspace: Workspace, tmp_path: Path) -> None:
    import csv
    import io
    import json

    from storage.models.articles import ARTICLE_FIELDS

    assert workspace.run("export").returncode == 1  # no database yet: an error, and none created
    assert not workspace.db_path.exists()

    workspace.write_config("[sources.hanoimoi]\n[sources.vietnamplus_ru]\n")
    db = Database(workspace.db_url)
    recent = store_article(db, 1, "hanoimoi", 'Hà Nội, "Mátxcơva" và hợp tác; dòng hai\nvẫn một ô')
    store_article(db, 2, "vietnamplus_ru", "Ханой и Москва: соглашение", label="national")
    old = store_article(db, 3, "hanoimoi", "Tin cũ", published=NOW - timedelta(days=30))
    reasons = [{"side": "hanoi", "phrase": "Hà Nội", "field": "title", "weight": 1.0}]
    ArticleStore(db).set_judgement(recent, "core", 0.93, reasons, "test-1")

    result = workspace.run("export", "--format", "csv", check=True)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(ARTICLE_FIELDS)
    assert [int(r["id"]) for r in rows] == [recent, 2, old]
    first = rows[0]
    assert first["title"] == 'Hà Nội, "Mátxcơva" và hợp tác; dòng hai\nvẫn một ô'
    assert json.loads(first["reasons"]) == reasons and first["label"] == "core" and first["score"] == "0.93"
    assert first["story_id"] == ""  # None is an empty cell
    assert "exported 3 article(s)" in result.stderr

    out = tmp_path / "recent.jsonl"
    result = workspace.run("export", "--format", "jsonl", "--since", "7d", "-o", str(out), check=True)
    assert result.stdout == "" and f"exported 2 article(s) to {out}" in result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in lines] == [recent, 2]
    assert lines[1]["title"] == "Ханой и Москва: соглашение" and lines[0]["reasons"] == reasons
    assert set(lines[0]) == set(ARTICLE_FIELDS)
