"""Regenerate the 0.1.0 databases the migration tests upgrade, with the 0.1.0 code itself.

    python tests/data/make_db_0_1_0.py

Extracts commit 0fd39aa (newsmon 0.1.0) with `git archive`, and with that tree first on
sys.path (so `storage`, `monitor` and their create_all are 0.1.0's) fills:

- tests/data/newsmon-0.1.0.sqlite: a SQLite database as 0.1.0 left it;
- tests/data/newsmon-0.1.0.postgresql.sql: `pg_dump --inserts` of the same content in a
  PostgreSQL database made by 0.1.0 (a throwaway server from tests/pgserver.py).

Both hold every table 0.1.0 had (articles and their URLs, a failed URL, crawl runs, a sent
and a pending digest with items, HTTP validators, story signatures and bands) plus
APScheduler's job table, as a daemon leaves it. The texts are made up here.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent
COMMIT_0_1_0 = "0fd39aa"
SQLITE_FILE = DATA / "newsmon-0.1.0.sqlite"
POSTGRES_FILE = DATA / "newsmon-0.1.0.postgresql.sql"

# Runs inside the 0.1.0 tree: argv[1] is the database URL.
FILL = r"""
import sys
from datetime import datetime, timedelta, timezone

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from monitor.stories.grouping import StoryGrouper
from storage import Article, ArticleStore, CrawlRunLog, Database
from storage.digests import DigestStore, NewItem
from storage.http_cache import HttpValidatorStore
from storage.models import Digest

db = Database(sys.argv[1])
store = ArticleStore(db)
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
TEXTS = [
    ("vi", "core", "Hà Nội và Mát-xcơ-va mở rộng hợp tác giáo dục",
     "Thành phố Hà Nội và thành phố Mát-xcơ-va ký biên bản ghi nhớ về trao đổi sinh viên.\n\nHai bên nhất trí mở thêm lớp tiếng Nga."),
    ("ru", "core", "Москва и Ханой расширяют сотрудничество в образовании",
     "Москва и Ханой подписали меморандум об обмене студентами.\n\nСтороны договорились открыть новые классы русского языка."),
    ("en", "national", "Vietnam and Russia discuss energy projects",
     "Officials of Vietnam and Russia met to review joint energy projects.\n\nNo city-level agreement was signed."),
    ("vi", "none", "Giá rau tại chợ đầu mối tăng nhẹ",
     "Giá rau xanh tại các chợ đầu mối tăng nhẹ do mưa kéo dài.\n\nTiểu thương dự báo giá sẽ ổn định."),
]
ids = []
for n, (lang, label, title, body) in enumerate(TEXTS):
    url = f"https://example-{lang}.test/news/{n + 1}.html"
    saved = store.save(Article(canonical_url=url, url=url, source=f"site_{lang}", title=title, body=body,
                               lead=body.split("\n")[0], language=lang, tags=["test", lang],
                               published_at=T0 + timedelta(hours=n), content_hash=""),
                       extra_urls=[url + "?from=rss"])
    store.set_judgement(saved.article_id, label, 0.9 if label == "core" else 0.1,
                        [{"rule": "made-up", "weight": 1.0}], "rel-0.1.0")
    ids.append(saved.article_id)
store.record_failure("https://example-vi.test/news/99.html", "site_vi", "HTTP 500")

grouper = StoryGrouper(db)
for article_id in ids:
    grouper.assign(store.get(article_id))

runs = CrawlRunLog(db)
for source in ("site_vi", "site_ru", "site_en"):
    run_id = runs.start(source, pid=12345, host="builder")
    runs.finish(run_id, "ok", {"requests": 7, "articles_seen": 2, "new": 1, "unchanged": 1}, message="done")
run_id = runs.start("site_vi", pid=12346, host="builder")
runs.finish(run_id, "partial", {"requests": 3, "errors": 1}, error_samples=[{"url": "https://example-vi.test/news/99.html", "reason": "HTTP 500"}])

HttpValidatorStore(db).record("site_vi", {"https://example-vi.test/rss": ('"etag-1"', "Fri, 20 Nov 2026 08:00:00 GMT")})

digests = DigestStore(db)
sent = digests.create(Digest(message_id="<0.1.0-sent@newsmon.test>", subject="Digest one", sender="newsmon@example.test",
                             recipients=["reader@example.test"], raw_message="Subject: Digest one\r\n\r\nbody",
                             html="<p>one</p>", core_count=1, article_count=1),
                      [NewItem(ids[0], "core")])
digests.mark_delivered(sent.id, "sent")
digests.create(Digest(message_id="<0.1.0-pending@newsmon.test>", subject="Digest two", sender="newsmon@example.test",
                      recipients=["reader@example.test"], raw_message="Subject: Digest two\r\n\r\nbody",
                      html="<p>two</p>", core_count=1, national_count=1, article_count=2),
               [NewItem(ids[1], "core"), NewItem(ids[2], "national", position=1)])

SQLAlchemyJobStore(engine=db.engine).jobs_t.create(db.engine, checkfirst=True)
db.dispose()
"""


def extract_0_1_0(into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", COMMIT_0_1_0], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def fill(tree: Path, url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", FILL, url], cwd=tree, env=env, check=True)


def main() -> None:
    sys.path.insert(0, str(REPO))
    from tests.pgserver import PostgresServer, _find_bin

    with tempfile.TemporaryDirectory() as tmp:
        tree = extract_0_1_0(Path(tmp) / "newsmon-0.1.0")
        SQLITE_FILE.unlink(missing_ok=True)
        fill(tree, f"sqlite:///{SQLITE_FILE}")
        import sqlite3

        with sqlite3.connect(SQLITE_FILE) as conn:  # one self-contained file, no -wal beside it
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        with sqlite3.connect(SQLITE_FILE) as conn:
            conn.execute("VACUUM")
        conn.close()

        server = PostgresServer().start()
        try:
            fill(tree, server.create_database("newsmon010"))
            dump = subprocess.run(
                [
                    _find_bin("pg_dump"),
                    "--inserts",
                    "--no-owner",
                    "--no-privileges",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(server.port),
                    "-U",
                    "postgres",
                    "newsmon010",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            server.stop()
        # Lines that only a newer pg_dump's own psql understands (\restrict) are left out.
        POSTGRES_FILE.write_text(
            "".join(line for line in dump.splitlines(keepends=True) if not line.startswith("\\")),
            encoding="utf-8",
        )
    print(f"wrote {SQLITE_FILE.relative_to(REPO)} and {POSTGRES_FILE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
