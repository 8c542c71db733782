"""VietnamPlus (vietnamplus.vn), the Vietnam News Agency's online paper, in its three
editions. Each edition is its own source with one language: `vietnamplus` (Vietnamese,
www.), `vietnamplus_en` (en.) and `vietnamplus_ru` (ru.). They share the "cms" markup
(spiders/cms.py) and differ in where articles are listed.

From ../shared/sources.md (section 4 and the December 2026 checks): articles at
/<slug>-post<id>.vnp on every edition (ru slugs are transliterated); www feeds
/rss/home.rss, /rss/kinhte-311.rss and /rss/thegioi.rss, the others listed on the feed
index /rss.html (read by entry-point discovery); the first body paragraph may repeat
the sapo and region links sit among the tags (both handled in spiders/cms.py); /sitemap.xml indexes /sitemaps/news-YYYY-M.xml (plus
categories/topics/google-news); listings `.abf-cate` / `.timeline` stories. No en or
ru feed is confirmed (one check got 404 for en), so those editions read their
listings and sitemaps only.
"""

from __future__ import annotations

import re

from spiders import SPIDER_LABELS
from spiders.cms import CmsSpider

_NEWS_MONTHS = re.compile(r"/sitemaps/news-\d{4}-\d{1,2}\.xml$")


class VietnamplusSpider(CmsSpider):
    name = "vietnamplus"
    label = SPIDER_LABELS["vietnamplus"]
    site_host = "www.vietnamplus.vn"
    language = "vi"
    languages = ("vi",)

    categories = ("chinhtri", "kinhte", "thegioi")
    # Feeds that worked on the real site; the rest are found on the feed index, /rss.html.
    feeds = (
        "https://www.vietnamplus.vn/rss/home.rss",
        "https://www.vietnamplus.vn/rss/kinhte-311.rss",
        "https://www.vietnamplus.vn/rss/thegioi.rss",
    )
    feed_index = "https://www.vietnamplus.vn/rss.html"
    listing_pages = tuple(f"https://www.vietnamplus.vn/{slug}/" for slug in categories)
    sitemaps = ("https://www.vietnamplus.vn/sitemap.xml",)
    sitemap_follow = _NEWS_MONTHS
    sitemap_children = 2

    article_url_re = re.compile(r"^https?://(?:www\.|m\.)?vietnamplus\.vn/[a-z0-9-]+-post\d{5,}\.vnp$")
    # Media sections. Video articles may have no /video/ in their URL at all; they are read
    # like any article when they carry text (their JSON-LD/og type says video).
    skip_url_re = re.compile(r"/(?:video|infographics?|photo|megastory|mega-story|podcast)/")


class VietnamplusEnSpider(CmsSpider):
    name = "vietnamplus_en"
    label = SPIDER_LABELS["vietnamplus_en"]
    site_host = "en.vietnamplus.vn"
    language = "en"
    languages = ("en",)

    listing_pages = tuple(
        f"https://en.vietnamplus.vn/{slug}/" for slug in ("politics", "business", "society")
    )
    sitemaps = ("https://en.vietnamplus.vn/sitemap.xml",)
    sitemap_follow = _NEWS_MONTHS
    sitemap_children = 2

    article_url_re = re.compile(r"^https?://en\.vietnamplus\.vn/[a-z0-9-]+-post\d{5,}\.vnp$")
    skip_url_re = VietnamplusSpider.skip_url_re


class VietnamplusRuSpider(CmsSpider):
    name = "vietnamplus_ru"
    label = SPIDER_LABELS["vietnamplus_ru"]
    site_host = "ru.vietnamplus.vn"
    language = "ru"
    languages = ("ru",)

    listing_pages = tuple(
        f"https://ru.vietnamplus.vn/{slug}/" for slug in ("politika", "ekonomika", "obshchestvo")
    )
    # The Google News sitemap lists the newest articles with their titles: one request.
    sitemaps = ("https://ru.vietnamplus.vn/sitemaps/google-news.xml",)
    # The index robots.txt names (entry-point discovery): only its monthly news sitemaps.
    sitemap_follow = _NEWS_MONTHS
    sitemap_children = 1

    article_url_re = re.compile(r"^https?://ru\.vietnamplus\.vn/[a-z0-9-]+-post\d{5,}\.vnp$")
    skip_url_re = VietnamplusSpider.skip_url_re
