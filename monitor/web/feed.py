"""The Atom feed of matching articles (feedgen)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from monitor.digest.content import explain
from storage import Article


def entry_id(article: Article) -> str:
    """Stable for the article's life, whatever database it is in: a tag URI of its canonical URL."""
    digest = hashlib.sha256(article.canonical_url.encode("utf-8")).hexdigest()[:24]
    return f"tag:newsmon,2026:article:{digest}"


def build_feed(
    articles: Sequence[Article], *, title: str, self_url: str, base_url: str, updated: datetime | None
) -> bytes:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.link(href=self_url, rel="self")
    fg.link(href=base_url + "/", rel="alternate")
    fg.generator("newsmon")
    fg.updated(updated or datetime.now(timezone.utc))
    # feedgen puts the first added entry last: add oldest first so the newest leads the feed.
    for article in reversed(list(articles)):
        entry = fg.add_entry()
        entry.id(entry_id(article))
        entry.title(article.title)
        entry.link(href=article.url, rel="alternate")
        entry.published(article.published_at or article.first_seen_at)
        entry.updated(article.updated_at or article.first_seen_at)
        entry.author({"name": article.author or article.source})
        entry.category(term=article.label or "none")
        why = explain(article.reasons or [], article.label, article.score)
        entry.summary(
            f"{article.lead or article.body[:400]}\n\nWhy: {why}\nOn newsmon: {base_url}/articles/{article.id}"
        )
    return fg.atom_str(pretty=True)
