"""The story index: near-duplicate text signatures (MinHash + LSH) and story features per article.

Design: the LSH band keys live in an indexed table (``signature_band``), not in an
in-memory index rebuilt at start. Crawls run in a fresh child process and most
commands are short-lived, so rebuilding an in-memory LSH over every stored article
at each start would cost more than the grouping itself; with the bands in the
database, "which stored articles are near this one" is ``BANDS`` primary-key
lookups in any process, and costs the same with a thousand or a million rows.

Text signature: character 7-grams of the normalised text with all spaces removed.
Characters rather than words because real syndicated copies lose or gain spaces
("Chairman ofthe Hanoi People's Committee"), which breaks every word shingle around
the glitch but only a few character ones. Page furniture (related-news lists,
share/comment widgets, copyright lines) is removed first and repeated paragraphs
count once, so a copy with other boilerplate still lands in the same buckets.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import col, select

from storage.db import Database
from storage.fingerprint import normalise_text
from storage.models import Article
from storage.models.stories import ArticleSignature, SignatureBand

if TYPE_CHECKING:
    from datasketch import MinHash

# 32 bands of 4 rows: a pair with Jaccard similarity s shares a band with
# probability 1-(1-s^4)^32: 0.87 at s=0.5, 0.99 at s=0.6, 0.0001 at s=0.05 (the
# typical similarity of two unrelated articles in one language).
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE = 7
# Bumped whenever shingling or band keys change: old rows must be rebuilt.
SIGNATURE_VERSION = "s1"

_SEED = 1
_TEMPLATE: MinHash | None = None

# Lines that are page furniture, not article text (vi, en, ru).
_BOILERPLATE = re.compile(
    r"^\W*(xem thêm|tin liên quan|tin cùng chuyên mục|bài liên quan|tin khác|đọc thêm|bình luận|chia sẻ|"
    r"từ khóa|từ khoá|theo dõi|liên hệ quảng cáo|bản quyền|related|read more|see also|more news|tags?\b|"
    r"share|comments?\b|follow us|subscribe|copyright|all rights reserved|©|читайте также|"
    r"новости партнеров|похожие новости|поделиться|комментари|теги\b|подписывайтесь|все права защищены|"
    r"\(\*\)\s*không sao chép)",
    re.IGNORECASE,
)
_RELATED_HEAD = re.compile(
    r"^\W*(xem thêm|tin liên quan|tin cùng chuyên mục|bài liên quan|tin khác|đọc thêm|"
    r"related(?: news| articles| stories| posts)?|read more|see also|more news|latest news|"
    r"читайте также|похожие новости|новости партнеров|другие новости|по теме)\W*$",
    re.IGNORECASE,
)
_MENU_SEPARATORS = re.compile(r"[|•·»›]")
_SENTENCE_END = re.compile(r"[.!?…:;)\"»”]\s*$")


def article_text_lines(title: str, body: str, lead: str = "") -> list[str]:
    """The article's own lines: title, lead and body without furniture, each line once."""
    lines: list[str] = []
    seen: set[str] = set()
    in_related = False
    for raw in [title, lead, *body.splitlines()]:
        line = unicodedata.normalize("NFC", raw or "").strip()
        if not line:
            in_related = False
            continue
        if _RELATED_HEAD.match(line):
            in_related = True
            continue
        headline_like = not _SENTENCE_END.search(line)
        # Under a "related news" heading, headline-like lines are links to other stories.
        if in_related and headline_like:
            continue
        in_related = False
        if _BOILERPLATE.match(line) or len(_MENU_SEPARATORS.findall(line)) >= 2:
            continue
        key = normalise_text(line)
        if not key or key in seen:
            continue
        seen.add(key)
        lines.append(line)
    return lines


def shingles(title: str, body: str, lead: str = "") -> set[bytes]:
    """Character 7-grams of the article's own text, NFC, case and punctuation folded, no spaces."""
    text = "".join(normalise_text(line).replace(" ", "") for line in article_text_lines(title, body, lead))
    if len(text) <= SHINGLE:
        return {text.encode("utf-8")} if text else set()
    return {text[i:i + SHINGLE].encode("utf-8") for i in range(len(text) - SHINGLE + 1)}


def _crc32(data: bytes) -> int:
    # Stable across processes and fast; the MinHash permutations do the mixing.
    return zlib.crc32(data)


def text_signature(title: str, body: str, lead: str = "") -> np.ndarray:
    """MinHash (NUM_PERM uint32 values) of the article's shingles."""
    global _TEMPLATE
    if _TEMPLATE is None:
        from datasketch import MinHash  # imports scipy: only when a signature is first needed

        _TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=_crc32)
    m = _TEMPLATE.copy()
    m.update_batch(sorted(shingles(title, body, lead)))
    return m.hashvalues.astype(np.uint32)


def signature_bytes(signature: np.ndarray) -> bytes:
    return np.asarray(signature, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(np.count_nonzero(np.asarray(a) == np.asarray(b))) / len(a)


def band_keys(signature: np.ndarray, language: str) -> list[int]:
    """One signed 64-bit key per band; the language is part of the key (copies share a language)."""
    raw = signature_bytes(signature)
    width = ROWS * 4
    lang = (language or "").encode("ascii", "replace")
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(lang + bytes([band]) + raw[band * width:(band + 1) * width], digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


@dataclass(frozen=True)
class IndexedArticle:
    """An indexed article as story grouping sees it."""

    article_id: int
    story_id: int | None
    source: str
    language: str
    story_time: datetime | None
    published_at: datetime | None
    features: dict[str, Any]
    minhash: bytes


@dataclass(frozen=True)
class NearMatch:
    article: IndexedArticle
    similarity: float


@dataclass(frozen=True)
class SignatureRow:
    """What to index for one article."""

    article_id: int
    language: str
    story_time: datetime | None
    signature: np.ndarray
    features: dict[str, Any]
    version: str


_BATCH = 500


class StoryIndex:
    """Signatures, band keys and story ids of stored articles."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ writing
    def put(self, row: SignatureRow) -> None:
        """Index one article (replacing what was indexed for it before)."""
        self.put_many([row], replace=True)

    def put_many(self, rows: Iterable[SignatureRow], *, replace: bool = True) -> int:
        """Index many articles in one transaction; ``replace=False`` when none is indexed yet (faster)."""
        sig_values: list[dict[str, Any]] = []
        band_values: list[dict[str, Any]] = []
        for row in rows:
            sig_values.append({
                "article_id": row.article_id, "language": row.language, "story_time": row.story_time,
                "minhash": signature_bytes(row.signature), "features": row.features, "version": row.version,
            })
            # Two bands of one signature can collide on the key only by hash accident; keep one.
            for key in dict.fromkeys(band_keys(row.signature, row.language)):
                band_values.append({"band_key": key, "article_id": row.article_id})
        if not sig_values:
            return 0
        ids = [v["article_id"] for v in sig_values]
        with self.db.session() as session:
            if replace:
                for start in range(0, len(ids), _BATCH):
                    chunk = ids[start:start + _BATCH]
                    session.exec(delete(SignatureBand).where(col(SignatureBand.article_id).in_(chunk)))
                    session.exec(delete(ArticleSignature).where(col(ArticleSignature.article_id).in_(chunk)))
            # Core inserts: one executemany each, no ORM bookkeeping per row.
            conn = session.connection()
            conn.execute(insert(ArticleSignature.__table__), sig_values)
            conn.execute(insert(SignatureBand.__table__), band_values)
        return len(sig_values)

    def set_story(self, article_id: int, story_id: int) -> None:
        self.set_stories({article_id: story_id})

    def set_stories(self, stories: dict[int, int]) -> None:
        """Set ``story_id`` of many articles at once (article id → story id)."""
        if not stories:
            return
        table = Article.__table__
        stmt = update(table).where(table.c.id == bindparam("aid")).values(story_id=bindparam("sid"))
        with self.db.session() as session:
            session.connection().execute(stmt, [{"aid": a, "sid": s} for a, s in stories.items()])

    def clear(self) -> None:
        """Forget every signature, band and story id (before regrouping everything)."""
        with self.db.session() as session:
            session.exec(delete(SignatureBand))
            session.exec(delete(ArticleSignature))
            session.exec(update(Article).values(story_id=None))

    # ------------------------------------------------------------ reading
    def near(self, signature: np.ndarray, language: str, threshold: float,
             exclude: Sequence[int] = ()) -> list[NearMatch]:
        """Indexed articles whose text is near this signature's (estimated Jaccard ≥ threshold), best first.

        Only articles sharing an LSH band are looked at: the cost depends on how
        many near texts exist, not on how many articles are stored.
        """
        keys = list(dict.fromkeys(band_keys(signature, language)))
        with self.db.session() as session:
            ids = set(session.exec(
                select(SignatureBand.article_id).where(col(SignatureBand.band_key).in_(keys))
            ).all())
        ids.difference_update(exclude)
        if not ids:
            return []
        matches = []
        for article in self.get_many(ids).values():
            sim = similarity(signature, signature_from_bytes(article.minhash))
            if sim >= threshold:
                matches.append(NearMatch(article, sim))
        matches.sort(key=lambda m: (-m.similarity, m.article.article_id))
        return matches

    def window(self, start: datetime | None, end: datetime | None,
               exclude: Sequence[int] = ()) -> list[IndexedArticle]:
        """Indexed articles whose story time lies in [start, end]; with no bounds, those with no time."""
        stmt = self._select()
        if start is None or end is None:
            stmt = stmt.where(col(ArticleSignature.story_time).is_(None))
        else:
            stmt = stmt.where(col(ArticleSignature.story_time) >= start, col(ArticleSignature.story_time) <= end)
        with self.db.session() as session:
            rows = session.exec(stmt).all()
        skip = set(exclude)
        return [self._make(r) for r in rows if r[0].article_id not in skip]

    def get_many(self, article_ids: Iterable[int]) -> dict[int, IndexedArticle]:
        ids = sorted(set(article_ids))
        found: dict[int, IndexedArticle] = {}
        with self.db.session() as session:
            for start in range(0, len(ids), _BATCH):
                rows = session.exec(
                    self._select().where(col(ArticleSignature.article_id).in_(ids[start:start + _BATCH]))
                ).all()
                for r in rows:
                    found[r[0].article_id] = self._make(r)
        return found

    def story_members(self, story_id: int) -> list[int]:
        with self.db.session() as session:
            return list(session.exec(
                select(Article.id).where(Article.story_id == story_id).order_by(col(Article.id))
            ).all())

    def unindexed_ids(self, version: str) -> list[int]:
        """Stored articles with no index row, or one made by other rules than ``version``."""
        with self.db.session() as session:
            rows = session.exec(
                select(Article.id).outerjoin(ArticleSignature, col(ArticleSignature.article_id) == col(Article.id))
                .where(col(ArticleSignature.article_id).is_(None) | (col(ArticleSignature.version) != version))
                .order_by(col(Article.id))
            ).all()
        return list(rows)

    def articles_by_time(self, batch: int = 500) -> Iterator[Article]:
        """Every stored article, oldest first (publication time, else first seen), a batch at a time."""
        with self.db.session() as session:
            keys = session.exec(select(Article.id, Article.published_at, Article.first_seen_at)).all()
        order = [aid for aid, _, _ in sorted(keys, key=lambda k: (k[1] or k[2], k[0]))]
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            with self.db.session() as session:
                rows = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(chunk))).all()}
            yield from (rows[aid] for aid in chunk if aid in rows)

    def story_groups(self, *, since: datetime | None = None, min_size: int = 2,
                     limit: int | None = None) -> list[tuple[int, list[Article]]]:
        """Stories with at least ``min_size`` articles, newest first; each story's articles
        earliest first (the longest text first among equally early ones)."""
        from sqlalchemy import func

        stmt = select(Article.story_id, func.count()).where(col(Article.story_id).is_not(None))
        if since is not None:
            recent = select(Article.story_id).where(
                (col(Article.published_at) >= since)
                | (col(Article.published_at).is_(None) & (col(Article.first_seen_at) >= since))
            )
            stmt = stmt.where(col(Article.story_id).in_(recent))
        stmt = stmt.group_by(Article.story_id).having(func.count() >= min_size)
        with self.db.session() as session:
            ids = [sid for sid, _ in session.exec(stmt).all()]
        members: dict[int, list[Article]] = {}
        with self.db.session() as session:
            for start in range(0, len(ids), _BATCH):
                rows = session.exec(select(Article).where(col(Article.story_id).in_(ids[start:start + _BATCH]))).all()
                for a in rows:
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
        from sqlalchemy import func

        with self.db.session() as session:
            indexed = session.exec(select(func.count()).select_from(ArticleSignature)).one()
            bands = session.exec(select(func.count()).select_from(SignatureBand)).one()
        return {"indexed": int(indexed), "bands": int(bands)}

    @staticmethod
    def _select():
        return (
            select(ArticleSignature, Article.story_id, Article.source, Article.published_at)
            .join(Article, col(Article.id) == col(ArticleSignature.article_id))
        )

    @staticmethod
    def _make(row: Any) -> IndexedArticle:
        sig, story_id, source, published = row
        return IndexedArticle(
            article_id=sig.article_id, story_id=story_id, source=source, language=sig.language,
            story_time=sig.story_time, published_at=published, features=dict(sig.features or {}),
            minhash=bytes(sig.minhash),
        )

