"""The story index: what story grouping stores per article, and the indexed look-ups it needs.

Storage only stores: the signature bytes, band keys, event keys and packed features
arrive computed (``monitor.stories`` makes them). Every look-up grouping does per new
article is an index range scan bounded by a per-key limit, so its cost depends on how
many related articles exist, not on how many are stored or published a day:
- ``hits``: articles sharing an LSH band (near-copies in one language, within the duplicate
  window) or an event key (actor, object, date with place... within the story window), the
  most recent few of each key, counted per kind and returned with their MinHash: one statement;
- ``get_many``: the packed features and story ids of the few candidates grouping compares;
- ``members``: the articles of given stories (so joining a story means agreeing with it).
A story decision runs in ``deciding()``: one transaction holding the story lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.db import Database
from storage.models import Article, table_of
from storage.models.stories import ArticleSignature, SignatureBand, StoryKey, StoryLink
from storage.models.types import UTCDateTime


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


class Hit(NamedTuple):
    """A stored article that shares LSH bands or event keys with a new one (a tuple: hundreds
    are made per new article)."""

    article_id: int
    language: str
    minhash: bytes
    bands: int  # LSH band keys shared
    keys: tuple[int, ...]  # event keys shared, per group of keys asked for


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
                {"band_key": k, "article_id": row.article_id, "story_time": row.story_time}
                for k in dict.fromkeys(row.bands)
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
            # Core statements: one executemany each, no ORM bookkeeping per row.
            conn = session.connection()
            if replace:
                for chunk in _chunks(ids):
                    for stmt in _FORGET:
                        conn.execute(stmt, {"ids": chunk})
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
            conn.execute(_SET_STORY, [{"aid": link.article_id, "sid": link.story_id} for link in links])
            for chunk in _chunks([link.article_id for link in links]):
                conn.execute(_FORGET_LINKS, {"ids": chunk})
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
    def hits(
        self,
        *,
        bands: Sequence[int],
        keys: Sequence[Sequence[int]],
        when: datetime | None,
        band_days: float,
        key_days: float,
        exclude: Sequence[int] = (),
        per_band: int = 20,
        per_key: int | Sequence[int] = 60,
    ) -> list[Hit]:
        """Indexed articles sharing an LSH band (story time within ``band_days`` of ``when``) or an
        event key (within ``key_days``; ``keys`` in groups, counted per group), at most the
        ``per_band`` most recent per band and ``per_key`` (one number, or one per group) per key,
        with each its language, MinHash and how many keys of each group it shares. No ``when``:
        any time. One statement: bounded index range scans, counted and joined in SQL."""
        limits = [per_key] * len(keys) if isinstance(per_key, int) else list(per_key)
        band_list = list(dict.fromkeys(bands))
        key_list = list(
            dict.fromkeys(
                (key, kind, limits[kind - 1]) for kind, group in enumerate(keys, 1) for key in group
            )
        )
        if not (band_list or key_list):
            return []
        # Few statement shapes (each compiled once per process): lists padded to a size class
        # by repeating their first key (UNION drops the repeated rows); a key's group is a parameter.
        band_list += band_list[:1] * (_size_class(len(band_list)) - len(band_list))
        key_list += key_list[:1] * (_size_class(len(key_list)) - len(key_list))
        params: dict[str, Any] = {f"b{i}": k for i, k in enumerate(band_list)}
        for i, (key, kind, limit) in enumerate(key_list):
            params[f"k{i}"], params[f"t{i}"], params[f"l{i}"] = key, kind, limit
        if when is not None:
            if band_list:
                params.update(bs=when - timedelta(days=band_days), be=when + timedelta(days=band_days))
            if key_list:
                params.update(ks=when - timedelta(days=key_days), ke=when + timedelta(days=key_days))
        stmt = _hit_statement(len(band_list), len(key_list), len(keys), when is not None, per_band)
        skip = set(exclude)
        with self._session() as session:
            rows = session.connection().execute(stmt, params).all()
        return [Hit(r[0], r[-2], r[-1], r[1], tuple(r[2:-2])) for r in rows if r[0] not in skip]

    def members(self, story_id: int, limit: int = 50) -> list[IndexedArticle]:
        """The indexed articles of one story (the most recent ``limit``)."""
        with self._session() as session:
            rows = session.connection().execute(_MEMBERS, {"story_id": story_id, "limit": limit}).all()
            return [_indexed(r) for r in rows]

    def get_many(self, article_ids: Iterable[int]) -> dict[int, IndexedArticle]:
        found: dict[int, IndexedArticle] = {}
        with self._session() as session:
            conn = session.connection()
            for chunk in _chunks(sorted(set(article_ids))):
                for r in conn.execute(_INDEXED, {"ids": chunk}).all():
                    found[r[0]] = _indexed(r)
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


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


_SIG = table_of(ArticleSignature)
_ART = table_of(Article)
_INDEXED_COLUMNS = (
    _SIG.c.article_id,
    _ART.c.story_id,
    _ART.c.source,
    _SIG.c.language,
    _SIG.c.story_time,
    _ART.c.published_at,
    _SIG.c.packed,
    _SIG.c.minhash,
)
# Statements built once: per call only their parameters change (no SQL building per article).
_INDEXED = (
    sa_select(*_INDEXED_COLUMNS)
    .join_from(_SIG, _ART, _ART.c.id == _SIG.c.article_id)
    .where(_SIG.c.article_id.in_(bindparam("ids", expanding=True)))
)
_MEMBERS = (
    sa_select(*_INDEXED_COLUMNS)
    .join_from(_SIG, _ART, _ART.c.id == _SIG.c.article_id)
    .where(_ART.c.story_id == bindparam("story_id"))
    .order_by(_SIG.c.story_time.desc())
    .limit(bindparam("limit"))
)
_FORGET = tuple(
    delete(t).where(t.c.article_id.in_(bindparam("ids", expanding=True)))
    for t in (table_of(SignatureBand), table_of(StoryKey), _SIG)
)
_FORGET_LINKS = delete(table_of(StoryLink)).where(
    table_of(StoryLink).c.article_id.in_(bindparam("ids", expanding=True))
)
_SET_STORY = update(_ART).where(_ART.c.id == bindparam("aid")).values(story_id=bindparam("sid"))


@lru_cache(maxsize=64)
def _hit_statement(bands: int, keys: int, groups: int, windowed: bool, per_band: int) -> Any:
    """Per article found: how many band keys and keys of each group it shares, its language and
    MinHash. The rows counted are the most recent ``per_band`` per band and ``:l<i>`` per key:
    a UNION of index range scans on (band_key, story_time) and (key, story_time). Written as SQL
    text (the same on SQLite and PostgreSQL): compiling it from expressions took ~0.1 s a shape."""
    parts: list[str] = []
    for table, column, count, limit, window in (
        ("signature_band", "band_key", bands, per_band, ("bs", "be")),
        ("story_key", "key", keys, None, ("ks", "ke")),
    ):
        for i in range(count):
            kind = "0" if table == "signature_band" else f"CAST(:t{i} AS INTEGER)"
            within = f" AND story_time >= :{window[0]} AND story_time <= :{window[1]}" if windowed else ""
            parts.append(
                f"SELECT * FROM (SELECT {kind} AS kind, {column} AS hit_key, article_id FROM {table} "
                f"WHERE {column} = :{column[0]}{i}{within} "
                f"ORDER BY story_time DESC LIMIT {limit or f':l{i}'}) AS q{len(parts)}"
            )
    sums = ", ".join(f"SUM(CASE WHEN found.kind = {k} THEN 1 ELSE 0 END) AS n{k}" for k in range(groups + 1))
    sql = (
        f"SELECT counted.*, s.language, s.minhash FROM (SELECT found.article_id, {sums} FROM ("
        + " UNION ".join(parts)
        + ") AS found GROUP BY found.article_id) AS counted "
        "JOIN story_signature AS s ON s.article_id = counted.article_id"
    )
    stmt = text(sql)
    if windowed:
        names = (("bs", "be") if bands else ()) + (("ks", "ke") if keys else ())
        stmt = stmt.bindparams(*(bindparam(name, type_=UTCDateTime) for name in names))
    return stmt


def _size_class(n: int) -> int:
    """0, or the smallest power of two (at least 8) not below n."""
    return 0 if n == 0 else max(8, 1 << (n - 1).bit_length())


def _indexed(row: Any) -> IndexedArticle:
    article_id, story_id, source, language, story_time, published, packed, minhash = row
    return IndexedArticle(
        article_id=article_id,
        story_id=story_id,
        source=source,
        language=language,
        story_time=story_time,
        published_at=published,
        packed=packed or "",
        minhash=bytes(minhash),
    )
