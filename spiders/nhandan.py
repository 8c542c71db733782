"""Nhân Dân (nhandan.vn), the Communist Party of Vietnam's central daily.

From ../shared/sources.md (section 6): feeds /rss/home.rss and /rss/<cat>-<id>.rss;
/sitemap.xml indexes /sitemaps/news-YYYY-M.xml (skip categories/topics); articles at
/<slug>-post<id>.html, tag pages at <slug>-tag<id>.html; the "cms" markup
(spiders/cms.py) with `time[datetime]` in the +0700 form, article:published_time,
JSON-LD NewsArticle, an often-empty `div.article__source` and the lead image in
`table.picture`.
"""

from __future__ import annotations

import re

from spiders import SPIDER_LABELS
from spiders.cms import CmsSpider

CATEGORIES = (("chinhtri", 1171), ("kinhte", 1185), ("thegioi", 1231))


class NhandanSpider(CmsSpider):
    name = "nhandan"
    label = SPIDER_LABELS["nhandan"]
    site_host = "nhandan.vn"
    language = "vi"
    languages = ("vi",)

    feeds = ("https://nhandan.vn/rss/home.rss",) + tuple(
        f"https://nhandan.vn/rss/{slug}-{feed_id}.rss" for slug, feed_id in CATEGORIES
    )
    listing_pages = tuple(f"https://nhandan.vn/{slug}" for slug, _ in CATEGORIES)
    sitemaps = ("https://nhandan.vn/sitemap.xml",)
    sitemap_follow = re.compile(r"/sitemaps/news-\d{4}-\d{1,2}\.xml$")
    sitemap_children = 2

    article_url_re = re.compile(r"^https?://(?:www\.)?nhandan\.vn/[a-z0-9-]+-post\d{5,}\.html$")
    skip_url_re = re.compile(r"-tag\d+\.html$|/(?:print|video|photo|emagazine)/")
    # The byline may be printed in capitals ("THU TRANG"); NewsSpider.build_item takes the
    # JSON-LD spelling of the same name. Score boxes (div.notebox) and the author block
    # (div.article__author > p.name) sit inside the body, nested: never body text.
