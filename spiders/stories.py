"""Pipeline step: give each stored article its story (called by the writer thread after each save)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler

from spiders.resources import crawler_articles, crawler_database

if TYPE_CHECKING:
    from monitor.stories.grouping import StoryGrouper

logger = logging.getLogger(__name__)


class StoryStep:
    """One grouper per crawl: the entity table is loaded once, the database handle shared."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._grouper: StoryGrouper | None = None

    @property
    def grouper(self) -> StoryGrouper:
        if self._grouper is None:
            from monitor.stories.grouping import StoryGrouper  # numpy, scipy: only when grouping

            self._grouper = StoryGrouper(crawler_database(self.crawler))
        return self._grouper

    def group_saved(self, article_id: int, outcome: str) -> None:
        """Give a new article its story, or re-index an updated one.

        The article is already stored: a failure here is logged and counted, never
        raised, so grouping can cost a story id (which `newsmon restory` restores)
        but never an article.
        """
        if outcome not in ("new", "updated"):
            return
        stats = self.crawler.stats
        try:
            article = crawler_articles(self.crawler).get(article_id)
            if article is None:
                return
            decision = self.grouper.assign(article) if outcome == "new" else self.grouper.refresh(article)
            stats.inc_value(f"newsmon/story/{decision.how}")
            if decision.matched is not None:
                logger.info(
                    "story %s: article %s joins via article %s (%s)",
                    decision.story_id,
                    article_id,
                    decision.matched,
                    "; ".join(decision.reasons),
                )
        except Exception:  # noqa: BLE001 - grouping must never lose the stored article
            logger.exception("story grouping failed for article %s", article_id)
            stats.inc_value("newsmon/story/errors")
