"""Which index page (feed, listing, sitemap) led to which request, and which of those failed.

An index page's validators (ETag / Last-Modified) may only be saved when everything
it led to was fetched, stored or deliberately skipped: otherwise the next crawl gets a
304 for it and never sees the failed links again. The ledger is that bookkeeping,
one per crawl.
"""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.crawler import Crawler

from storage import try_canonicalize

#: Error kinds that are deliberate skips: they neither spoil their index nor go on the back-off list.
DELIBERATE_KINDS = frozenset({"refused"})


def _key(url: str) -> str:
    return try_canonicalize(url) or url


class IndexLedger:
    """Child URL → the index pages it was found on; failures spoil every index above them."""

    def __init__(self) -> None:
        self._parents: dict[str, set[str]] = {}
        self._spoiled: set[str] = set()

    def led_to(self, index_url: str, child_url: str) -> None:
        child, parent = _key(child_url), _key(index_url)
        if child != parent:
            self._parents.setdefault(child, set()).add(parent)

    def alias(self, url: str, original: str) -> None:
        """``url`` was reached by redirect from ``original``: it has the same parents."""
        key, orig = _key(url), _key(original)
        if key != orig:
            self._parents.setdefault(key, set()).update(self._parents.get(orig, ()))

    def failed(self, urls: Iterable[str]) -> None:
        """These URLs (one request and its redirects) failed: every index above them is spoiled."""
        todo = [_key(u) for u in urls if u]
        seen: set[str] = set()
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            for parent in self._parents.get(key, ()):
                self._spoiled.add(parent)
                todo.append(parent)

    def complete(self, index_url: str) -> bool:
        """True when nothing this index led to (directly or through other indexes) failed."""
        return _key(index_url) not in self._spoiled


def index_ledger(crawler: Crawler) -> IndexLedger:
    """The crawl's ledger (one per crawl, kept with its SourceCrawl)."""
    from spiders.resources import source_crawl

    return source_crawl(crawler).ledger
