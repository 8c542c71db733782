"""The story index: what story grouping stores per article, and the indexed look-ups it needs.

Storage only stores: the signature bytes, band keys, event keys and packed features
arrive computed (``monitor.stories`` makes them). Every look-up grouping does per new
article is an index range scan bounded by a per-key limit, so its cost depends on how
many related articles exist, not on how many are stored or published a day:
- ``near``: articles sharing an LSH band (near-copies in one language);
- ``by_keys``: articles sharing an event key (actor, object, date with place...) within
  the story window, the most recent ``per_key`` of each key;
- ``members``: the articles of given stories (so joining a story means agreeing with it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, union_all, update
from sqlmodel import Session, col, select

from storage.db import Database
from storage.models import Article, table_of
from storage.models.stories import ArticleSignature, SignatureBand, StoryKey, StoryLink


@dataclass(frozen=True)
class IndexedArticle:
    """An indexed article as story grouping sees it."""

    article_id: int
    story_id: int | None
    source: str
    language: str
    story_time: datetime | None
    published_at: datetime | None
    packed: str
    minhash: bytes


@dataclass(frozen=True)
class IndexRow:
    """What to index for one article."""

    article_id: int
    language: str
    story_time: datetime | None
    minhash: bytes
    bands: Sequence[int]
    keys: Sequence[int]
    packed: str
    version: str


@dataclass(frozen=True)
class LinkRow:
    """How one article came into its story."""

    article_id: int
    story_id: int
    how: str
    matched_id: int | None = None
    score: float = 0.0
    reasons: tuple[str, ...] = ()


_BATCH = 500
# The lock (storage.db.Database.serialized) that story decisions take, in every process.
STORY_LOCK = "stories"


class StoryIndex:
    """Signatures, band keys, event keys, story ids and links of stored articles."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._turn = threading.local()

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """One story decision: every read and write of this index in the block (on this thread)
        is one transaction holding the story lock, so two processes grouping one event at once
        take turns and the second sees the first's story. Nested blocks join the outer one."""
        if getattr(self._turn, "session", None) is not None:
            yield
            return
        with self.db.serialized(STORY_LOCK) as session:
            self._turn.session = session
            try:
                yield
            finally:
                self._turn.session = None

    @contextmanager
    def _session(self) -> Iterator[Session]:
        active = getattr(self._turn, "session", None)
        if active is not None:
            yield active
        else:
            with self.db.session() as session:
                yield session

    # ------------------------------------------------------------ writing
    def put_many(
        self, rows: Iterable[IndexRow], *, replace: bool = True, links: Sequence[LinkRow] = ()
    ) -> int:
        """Index many articles in one transaction; ``replace=False`` when none is indexed yet (faster).
        ``links``: story ids and reasons stored in the same transaction (see ``record``)."""
        sig_values: list[dict[str, Any]] = []
        band_values: list[dict[str, Any]] = []
        key_values: list[dict[str, Any]] = []
        for row in rows:
            sig_values.append(
                {
                    "article_id": row.article_id,
                    "language": row.language,
                    "story_time": row.story_time,
                    "minhash": row.minhash,
                    "packed": row.packed,
                    "version": row.version,
                }
            )
            band_values.extend(
                {"band_key": k, "article_id": row.article_id} for k in dict.fromkeys(row.bands)
            )
            key_values.extend(
                {"key": k, "article_id": row.article_id, "story_time": row.story_time}
                for k in dict.fromkeys(row.keys)
            )
        if not sig_values:
            self.record(links)
            return 0
        ids = [v["article_id"] for v in sig_values]
        with self._session() as session:
            if replace:
                for start in range(0, len(ids), _BATCH):
                    chunk = ids[start : start + _BATCH]
                    for table in (SignatureBand, StoryKey, ArticleSignature):
                        session.exec(delete(table).where(col(table.article_id).in_(chunk)))
            # Core inserts: one executemany each, no ORM bookkeeping per row.
            conn = session.connection()
            conn.execute(insert(table_of(ArticleSignature)), sig_values)
            if band_values:
                conn.execute(insert(table_of(SignatureBand)), band_values)
            if key_values:
                conn.execute(insert(table_of(StoryKey)), key_values)
            self._record(conn, links)
        return len(sig_values)

    def record(self, links: Sequence[LinkRow]) -> None:
        """Store each article's story id and how it got it (replacing what was there)."""
        if not links:
            return
        with self._session() as session:
            self._record(session.connection(), links)

    @staticmethod
    def _record(conn: Any, links: Sequence[LinkRow]) -> None:
        if links:
            table = table_of(Article)
            for link in links:
                conn.execute(
                    update(table).where(table.c.id == link.article_id).values(story_id=link.story_id)
                )
            ids = [link.article_id for link in links]
            for start in range(0, len(ids), _BATCH):
                conn.execute(
                    delete(table_of(StoryLink)).where(
                        table_of(StoryLink).c.article_id.in_(ids[start : start + _BATCH])
                    )
                )
            conn.execute(
                insert(table_of(StoryLink)),
                [
                    {
                        "article_id": link.article_id,
                        "story_id": link.story_id,
                        "how": link.how,
                        "matched_id": link.matched_id,
                        "score": link.score,
                        "reasons": "\n".join(link.reasons),
                    }
                    for link in links
                ],
            )

    def clear(self) -> None:
        """Forget every signature, key, link and story id (before regrouping everything)."""
        with self._session() as session:
            for table in (SignatureBand, StoryKey, StoryLink, ArticleSignature):
                session.exec(delete(table))
            session.exec(update(Article).values(story_id=None))

    # ------------------------------------------------------------ reading
    def near(self, bands: Sequence[int], exclude: Sequence[int] = ()) -> list[IndexedArticle]:
        """Indexed articles sharing at least one LSH band key."""
        with self._session() as session:
            ids = set(
                session.exec(
                    select(SignatureBand.article_id).where(col(SignatureBand.band_key).in_(list(bands)))
                ).all()
            )
        ids.difference_update(exclude)
        return list(self.get_many(ids).values()) if ids else []

    def by_keys(
        self,
        keys: Sequence[int],
        start: datetime | None,
        end: datetime | None,
        exclude: Sequence[int] = (),
        per_key: int = 60,
    ) -> list[IndexedArticle]:
        """Indexed articles sharing an event key, with story time in [start, end] (no bounds: any),
        at most the ``per_key`` most recent per key."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
        table = table_of(StoryKey)
        ids: set[int] = set()
        with self._session() as session:
            conn = session.connection()
            for first in range(0, len(keys), 50):
                parts = []
                for key in keys[first : first + 50]:
                    stmt = table.select().with_only_columns(table.c.article_id).where(table.c.key == key)
                    if start is not None and end is not None:
                        stmt = stmt.where(table.c.story_time >= start, table.c.story_time <= end)
                    parts.append(stmt.order_by(table.c.story_time.desc()).limit(per_key).subquery().select())
                ids.update(r[0] for r in conn.execute(union_all(*parts)).all())
        ids.difference_update(exclude)
        return list(self.get_many(ids).values()) if ids else []

    def members(self, story_id: int, limit: int = 50) -> list[IndexedArticle]:
        """The indexed articles of one story (the most recent ``limit``)."""
        with self._session() as session:
            rows = session.exec(
                self._select()
                .where(Article.story_id == story_id)
                .order_by(col(ArticleSignature.story_time).desc())
                .limit(limit)
            ).all()
        return [self._make(r) for r in rows]

    def get_many(self, article_ids: Iterable[int]) -> dict[int, IndexedArticle]:
        ids = sorted(set(article_ids))
        found: dict[int, IndexedArticle] = {}
        with self._session() as session:
            for start in range(0, len(ids), _BATCH):
                rows = session.exec(
                    self._select().where(col(ArticleSignature.article_id).in_(ids[start : start + _BATCH]))
                ).all()
                for r in rows:
                    found[r[0].article_id] = self._make(r)
        return found

    def links(self, story_id: int) -> list[tuple[Article, LinkRow | None]]:
        """The articles of one story, oldest link first, each with how it joined."""
        with self._session() as session:
            rows = session.exec(
                select(Article, StoryLink)
                .outerjoin(StoryLink, col(StoryLink.article_id) == col(Article.id))
                .where(Article.story_id == story_id)
                .order_by(col(Article.id))
            ).all()
        out: list[tuple[Article, LinkRow | None]] = []
        for article, link in rows:
            row = None
            if link is not None:
                row = LinkRow(
                    link.article_id,
                    link.story_id,
                    link.how,
                    link.matched_id,
                    link.score,
                    tuple(r for r in link.reasons.split("\n") if r),
                )
            out.append((article, row))
        return out

    def story_of(self, article_id: int) -> int | None:
        with self._session() as session:
            return session.exec(select(Article.story_id).where(Article.id == article_id)).first()

    def articles_by_time(self, batch: int = 500) -> Iterator[Article]:
        """Every stored article, oldest first (publication time, else first seen), a batch at a time."""
        with self._session() as session:
            keys = session.exec(select(Article.id, Article.published_at, Article.first_seen_at)).all()
        order = [aid for aid, _, _ in sorted(keys, key=lambda k: (k[1] or k[2], k[0]))]
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            with self._session() as session:
                rows = {
                    a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(chunk))).all()
                }
            yield from (rows[aid] for aid in chunk if aid in rows)

    def story_groups(
        self, *, since: datetime | None = None, min_size: int = 2, limit: int | None = None
    ) -> list[tuple[int, list[Article]]]:
        """Stories with at least ``min_size`` articles, newest first; each story's articles
        earliest first (the longest text first among equally early ones)."""
        stmt = select(Article.story_id, func.count()).where(col(Article.story_id).is_not(None))
        if since is not None:
            recent = select(Article.story_id).where(
                (col(Article.published_at) >= since)
                | (col(Article.published_at).is_(None) & (col(Article.first_seen_at) >= since))
            )
            stmt = stmt.where(col(Article.story_id).in_(recent))
        stmt = stmt.group_by(col(Article.story_id)).having(func.count() >= min_size)
        with self._session() as session:
            ids = [sid for sid, _ in session.exec(stmt).all()]
        members: dict[int, list[Article]] = {}
        with self._session() as session:
            for start in range(0, len(ids), _BATCH):
                rows = session.exec(
                    select(Article).where(col(Article.story_id).in_(ids[start : start + _BATCH]))
                ).all()
                for a in rows:
                    if a.story_id is not None:
                        members.setdefault(a.story_id, []).append(a)

        def when(a: Article) -> datetime:
            return a.published_at or a.first_seen_at

        groups = []
        for sid, arts in members.items():
            arts.sort(key=lambda a: (when(a), -len(a.body), a.id))
            groups.append((sid, arts))
        groups.sort(key=lambda g: (max(when(a) for a in g[1]), g[0]), reverse=True)
        return groups[:limit] if limit else groups

    def counts(self) -> dict[str, int]:
        with self._session() as session:
            indexed = session.exec(select(func.count()).select_from(ArticleSignature)).one()
            bands = session.exec(select(func.count()).select_from(SignatureBand)).one()
            keys = session.exec(select(func.count()).select_from(StoryKey)).one()
        return {"indexed": int(indexed), "bands": int(bands), "keys": int(keys)}

    @staticmethod
    def _select():
        return select(ArticleSignature, Article.story_id, Article.source, Article.published_at).join(
            Article, col(Article.id) == col(ArticleSignature.article_id)
        )

    @staticmethod
    def _make(row: Any) -> IndexedArticle:
        sig, story_id, source, published = row
        return IndexedArticle(
            article_id=sig.article_id,
            story_id=story_id,
            source=source,
            language=sig.language,
            story_time=sig.story_time,
            published_at=published,
            packed=sig.packed or "",
            minhash=bytes(sig.minhash),
        )
