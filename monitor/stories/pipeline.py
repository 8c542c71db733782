"""Story grouping during a crawl: called by spiders.pipelines.StoragePipeline after each save."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from monitor.stories.grouping import StoryGrouper
from spiders.resources import crawler_articles, crawler_database

logger = logging.getLogger(__name__)


def crawler_stories(crawler: Crawler) -> StoryGrouper:
    """One grouper per crawler (the entity table is loaded once, the database handle shared)."""
    grouper = getattr(crawler, "_newsmon_stories", None)
    if grouper is None:
        grouper = StoryGrouper(crawler_database(crawler))
        crawler._newsmon_stories = grouper
    return grouper


def group_saved_article(crawler: Crawler, article_id: int, outcome: str) -> None:
    """Give a new article its story, or re-index an updated one.

    The article is already stored: a failure here is logged and counted, never
    raised, so grouping can cost a story id (which `newsmon restory` restores)
    but never an article.
    """
    if outcome not in ("new", "updated"):
        return
    try:
        article = crawler_articles(crawler).get(article_id)
        if article is None:
            return
        grouper = crawler_stories(crawler)
        decision = grouper.assign(article) if outcome == "new" else grouper.refresh(article)
        crawler.stats.inc_value(f"newsmon/story/{decision.how}")
        if decision.matched is not None:
            logger.info("story %s: article %s joins via article %s (%s)", decision.story_id, article_id,
                        decision.matched, "; ".join(decision.reasons))
    except Exception:  # noqa: BLE001 - grouping must never lose the stored article
        logger.exception("story grouping failed for article %s", article_id)
        crawler.stats.inc_value("newsmon/story/errors")
