"""Full-text search: the words of an article and of a query, made comparable.

Vietnamese is matched with or without diacritics ("hợp tác" = "hop tac", "Đà" = "Da"),
Russian and English in any case form ("Москва", "Москве", "Москвой"; "agreement",
"agreements"). Both sides go through the same steps: NFKC, lower case, accents and
đ/ё folded, then a Snowball stemmer for Cyrillic and Latin words. The database's own
full-text engine then only matches whole tokens (storage.search).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from storage import Article, Database
from storage.search import SearchDocument, SearchFilters, SearchIndex

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[а-я]")
_FOLD = str.maketrans({"đ": "d", "ё": "е"})
_STEMMERS = {"ru": snowballstemmer.stemmer("russian"), "en": snowballstemmer.stemmer("english")}
MAX_QUERY_TERMS = 16


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without accents: "Hợp" → "hop", "Đà" → "da", "Ёлка" → "елка"."""
    word = word.lower().translate(_FOLD)
    if _CYRILLIC.search(word):
        # Russian has no optional accents (й is a letter of its own, kept for the stemmer).
        return unicodedata.normalize("NFC", word)
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index form of one word: folded, then stemmed (Russian for Cyrillic, English for Latin)."""
    folded = fold(word)
    if len(folded) < 3 or folded.isdigit():
        return folded
    stemmer = _STEMMERS["ru"] if _CYRILLIC.search(folded) else _STEMMERS["en"]
    return stemmer.stemWord(folded)


def terms(text: str) -> list[str]:
    return [term(w) for w in _WORD.findall(unicodedata.normalize("NFKC", text or ""))]


def document_text(article: Article) -> str:
    return " ".join(terms(" ".join((article.title or "", article.lead or "", article.body or ""))))


def query_terms(query: str) -> list[str]:
    """The distinct index forms of a query's words, in order (at most MAX_QUERY_TERMS)."""
    return list(dict.fromkeys(t for t in terms(query) if t))[:MAX_QUERY_TERMS]


def sync_index(db: Database, *, batch: int = 500) -> int:
    """Index every article stored or edited since the index last caught up; returns how many."""
    index = SearchIndex(db)
    done = 0
    while True:
        articles = index.stale(batch)
        if not articles:
            return done
        done += index.put_many(
            SearchDocument(a.id, a.content_hash, document_text(a)) for a in articles if a.id is not None
        )


@dataclass(frozen=True)
class SearchPage:
    query: str
    terms: list[str]
    article_ids: list[int]
    total: int


def search(
    db: Database, query: str, filters: SearchFilters, *, limit: int = 20, offset: int = 0
) -> SearchPage:
    """Articles holding every word of ``query`` (in any accent or case form), best first."""
    sync_index(db)
    wanted = query_terms(query)
    ids, total = SearchIndex(db).match(wanted, filters, limit=limit, offset=offset)
    return SearchPage(query=query, terms=wanted, article_ids=ids, total=total)


@dataclass(frozen=True)
class Span:
    text: str
    mark: bool = False


def highlight_terms(text: str, wanted: Sequence[str], limit: int = 320) -> list[Span]:
    """``text`` cut to about ``limit`` characters around the first hit, with matching words marked."""
    text = " ".join((text or "").split())
    targets = set(wanted)
    hits = [m for m in _WORD.finditer(text) if term(m.group(0)) in targets]
    start = 0
    if hits and hits[0].start() > limit // 2:
        start = text.rfind(" ", 0, hits[0].start() - limit // 4) + 1
    end = len(text) if len(text) - start <= limit else text.rfind(" ", start, start + limit)
    end = end if end > start else min(len(text), start + limit)
    spans: list[Span] = [Span("… ")] if start else []
    pos = start
    for m in hits:
        if m.start() < start or m.end() > end:
            continue
        if m.start() > pos:
            spans.append(Span(text[pos : m.start()]))
        spans.append(Span(m.group(0), mark=True))
        pos = m.end()
    if end > pos:
        spans.append(Span(text[pos:end]))
    if end < len(text):
        spans.append(Span(" …"))
    return spans
