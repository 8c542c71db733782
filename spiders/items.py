"""What a spider extracts from one article page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ArticleItem:
    url: str  # the real-site URL the page was fetched at
    canonical_url: str  # the page's rel=canonical (same site), else url
    source: str  # source name, e.g. "hanoimoi"
    title: str
    lead: str
    body: str  # paragraphs only, joined by blank lines
    published_at: datetime | None  # aware; Asia/Ho_Chi_Minh unless the page says otherwise
    author: str | None
    tags: list[str] = field(default_factory=list)
    language: str = "vi"
    # Every URL this page was reached at (request URL, redirects), for deduplication.
    seen_urls: list[str] = field(default_factory=list)
    # Which layer gave each field: "selectors", "metadata", "main_text" or "default"
    # (spiders.page.LAYERS); fields a page lacks are absent.
    layers: dict[str, str] = field(default_factory=dict)
    # Filled by RelevancePipeline: {"label", "score", "reasons", "version"}.
    judgement: dict[str, Any] | None = None
