"""Item pipeline: validate, judge relevance, store, and group into stories."""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future

from spiders.extensions import note_error
from spiders.items import ArticleItem
from spiders.resources import crawler_articles, source_crawl
from spiders.writer import ArticleWriter
from storage import Article, SaveResult, content_fingerprint

if TYPE_CHECKING:
    from monitor.relevance import RelevanceModel

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\u00a0\u200b\u202f]+")


def mojibake_in(text: str) -> str | None:
    """A sample of text that still looks mis-decoded (mojibake or U+FFFD), or None.

    ftfy's detector finds UTF-8 read as windows-1251/1252 ("РњРѕСЃРєРІР°", "HÃ  Ná»™i");
    replacement characters mark bytes no charset could read."""
    from ftfy.badness import is_bad

    for line in text.splitlines():
        if line.count("\ufffd") >= 2 or is_bad(line):
            return line[:60]
    return None


def clean_text(text: str | None) -> str:
    """NFC (some feeds and pages use decomposed diacritics), single spaces, no stray blanks."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


class ValidationPipeline:
    """Normalises text and refuses items with no title, no body, a naive date, or mojibake."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        item.title = clean_text(item.title)
        item.lead = clean_text(item.lead)
        item.body = clean_text(item.body)
        item.author = clean_text(item.author) or None
        item.tags = [t for t in dict.fromkeys(clean_text(t) for t in item.tags) if t]
        problems = []
        if not item.title:
            problems.append("no title")
        if not item.body:
            problems.append("no body text")
        if item.published_at is not None and item.published_at.tzinfo is None:
            problems.append("publication date has no time zone")
        for name in ("title", "lead", "body"):
            sample = mojibake_in(getattr(item, name) or "")
            if sample is not None:
                problems.append(f"{name} looks mis-decoded (mojibake: {sample!r})")
                break
        if problems:
            note_error(self.crawler, "parse", item.url, "; ".join(problems))
            crawler_articles(self.crawler).record_failure(item.url, item.source, "; ".join(problems))
            raise DropItem(f"{item.url}: {'; '.join(problems)}")
        return item


class RelevancePipeline:
    """Gives every article its label, score and reasons before it is stored. The model (numpy,
    the classifier file) is loaded at the first article, so a crawl that finds nothing new
    never pays for it; a model that cannot be loaded fails each article with its error
    recorded (kind "relevance"), and the pages are retried like any other failed one."""

    def __init__(self, crawler: Crawler, terms_file: str | None, model_file: str | None = None) -> None:
        self.crawler = crawler
        self.terms_file = Path(terms_file) if terms_file else None
        self.model_file = Path(model_file) if model_file else None
        self._model: RelevanceModel | None = None
        self._load_error: str | None = None  # a failed load is tried once per crawl, not per article

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        crawl = source_crawl(crawler)
        relevance = crawl.config.relevance
        return cls(crawler, crawl.resolved(relevance.terms_file), crawl.resolved(relevance.model_file))

    def model(self) -> RelevanceModel | None:
        if self._model is None and self._load_error is None:
            from monitor.relevance import RelevanceModel

            try:
                self._model = RelevanceModel.load(self.terms_file, model_file=self.model_file)
            except Exception as exc:  # a broken terms or model file: every article says so
                self._load_error = f"cannot load the relevance model: {exc}"
        return self._model

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        model = self.model()
        if model is None:
            reason = self._load_error or "cannot load the relevance model"
            note_error(self.crawler, "relevance", item.url, reason)
            crawler_articles(self.crawler).record_failure(item.url, item.source, reason)
            raise DropItem(f"{item.url}: {reason}")
        judgement = model.judge(item.title, item.body, lead=item.lead, lang=item.language)
        item.judgement = {**judgement.to_dict(), "version": model.version}
        return item


class StoragePipeline:
    """Stores each article once: new, updated in place, unchanged, or a duplicate; then
    gives a new article its story. The work runs on a writer thread in batches
    (spiders.writer), so the reactor thread keeps fetching and parsing meanwhile; the
    item is done when its article is stored."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.writer = ArticleWriter(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        judgement = item.judgement or {}
        article = Article(
            canonical_url=item.canonical_url or item.url,
            url=item.url,
            source=item.source,
            title=item.title,
            lead=item.lead,
            body=item.body,
            author=item.author,
            tags=list(item.tags),
            layers=dict(item.layers),
            language=item.language,
            published_at=item.published_at,
            content_hash=content_fingerprint(item.title, item.body),
            label=judgement.get("label"),
            score=judgement.get("score"),
            reasons=judgement.get("reasons") or [],
            relevance_version=judgement.get("version"),
        )
        result: SaveResult = await maybe_deferred_to_future(self.writer.submit(article, item.seen_urls))
        self.crawler.stats.inc_value(f"newsmon/saved/{result.outcome.value}")
        if result.duplicate_of:
            logger.info("duplicate: %s has the same text as %s", item.url, result.duplicate_of)
        return item

    async def close_spider(self, spider=None) -> None:
        # Every item is stored by now (Scrapy waits for them); this ends the thread.
        await maybe_deferred_to_future(self.writer.close())
