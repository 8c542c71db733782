"""Full-text search over stored articles: SQLite FTS5 or PostgreSQL tsvector.

The text indexed is made by the caller (monitor.search folds accents and stems words);
this module only keeps the index beside the articles and asks the database to match
tokens. The FTS5 table (SQLite) and the GIN index (PostgreSQL) over ``article_search`` are
made by its migration; they are not SQLModel objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, text
from sqlmodel import col, select

from storage.db import Database
from storage.models import Article, ArticleSearch, UTCDateTime, table_of

# Database objects of the index that are not SQLModel objects (storage.schema keeps them out
# of autogenerate; the article_search migration makes them).
FTS_TABLE = "article_fts"
PG_INDEX = "ix_article_search_tsv"


@dataclass(frozen=True)
class SearchDocument:
    article_id: int
    content_hash: str
    text: str


@dataclass(frozen=True)
class SearchFilters:
    labels: Sequence[str] = ()
    sources: Sequence[str] = ()
    languages: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None


class SearchIndex:
    def __init__(self, db: Database) -> None:
        self.db = db

    def stale(self, limit: int = 500) -> list[Article]:
        """Articles with no index row, or whose row was made from an older text (edited in place)."""
        stmt = (
            select(Article)
            .outerjoin(ArticleSearch, col(ArticleSearch.article_id) == col(Article.id))
            .where(
                (col(ArticleSearch.article_id).is_(None))
                | (col(ArticleSearch.content_hash) != col(Article.content_hash))
            )
            .order_by(col(Article.id))
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.exec(stmt))

    def put_many(self, documents: Iterable[SearchDocument]) -> int:
        """Replace the index rows of these articles (delete + insert: the FTS triggers follow)."""
        rows = [
            {"article_id": d.article_id, "content_hash": d.content_hash, "text": d.text} for d in documents
        ]
        if rows:
            table = table_of(ArticleSearch)
            with self.db.engine.begin() as conn:
                conn.execute(delete(table).where(table.c.article_id.in_([r["article_id"] for r in rows])))
                conn.execute(insert(table), rows)
        return len(rows)

    def match(
        self, tokens: Sequence[str], filters: SearchFilters, *, limit: int, offset: int = 0
    ) -> tuple[list[int], int]:
        """Ids of articles holding every token, best match first, and how many match in all."""
        if not tokens:
            return [], 0
        where, params = _filter_sql(filters)
        if self.db.dialect == "sqlite":
            # Each token quoted: FTS5 query syntax (NEAR, OR, *) in user input stays literal.
            params["q"] = " ".join('"' + t.replace('"', '""') + '"' for t in tokens)
            base = f"FROM {FTS_TABLE} f JOIN article a ON a.id = f.rowid WHERE {FTS_TABLE} MATCH :q{where}"
            order = "ORDER BY f.rank, a.id DESC"
        else:
            params["q"] = " & ".join(tokens)
            base = (
                "FROM article_search s JOIN article a ON a.id = s.article_id "
                f"WHERE to_tsvector('simple', s.text) @@ to_tsquery('simple', :q){where}"
            )
            order = (
                "ORDER BY ts_rank(to_tsvector('simple', s.text), to_tsquery('simple', :q)) DESC, a.id DESC"
            )
        times = [bindparam(name, type_=UTCDateTime) for name in ("since", "until") if name in params]
        with self.db.engine.connect() as conn:
            total = conn.execute(text(f"SELECT count(*) {base}").bindparams(*times), params).scalar_one()
            page = text(f"SELECT a.id {base} {order} LIMIT :limit OFFSET :offset").bindparams(*times)
            ids = conn.execute(page, {**params, "limit": limit, "offset": offset}).scalars().all()
        return list(ids), int(total)


def _filter_sql(filters: SearchFilters) -> tuple[str, dict]:
    parts: list[str] = []
    params: dict = {}
    for column, values in (
        ("label", filters.labels),
        ("source", filters.sources),
        ("language", filters.languages),
    ):
        if values:
            names = [f"{column}_{i}" for i in range(len(values))]
            parts.append(f"a.{column} IN ({', '.join(':' + n for n in names)})")
            params.update(zip(names, values))
    when = "COALESCE(a.published_at, a.first_seen_at)"
    for op, name, value in ((">=", "since", filters.since), ("<", "until", filters.until)):
        if value is not None:
            parts.append(f"{when} {op} :{name}")
            params[name] = value
    return "".join(" AND " + p for p in parts), params
