"""Kinh tế & Đô thị (kinhtedothi.vn), the Hanoi People's Committee's economic daily.

Facts from ../shared/sources.md (section 2): no working main-site RSS feed, so
articles are found through category listings and /sitemap.xml; articles live at
/<slug>-<id>.html; the 2025 template has `h1.article-title`, the date in
`div.article-published-on` as "<weekday>, HH:MM DD/MM/YYYY" and in the meta
`article:published_time`; the sapo starts "Kinhtedothi - ". The body, sapo and
author markup are not known and follow the mirror's model (tests/mirror/README.md).
"""

from __future__ import annotations

import re

from scrapy.http import Response

from spiders import SPIDER_LABELS
from spiders.base import NewsSpider
from spiders.page import Fields, Page, text_of

CATEGORIES = ("thoi-su", "kinh-te", "van-hoa")


class KinhtedothiSpider(NewsSpider):
    name = "kinhtedothi"
    label = SPIDER_LABELS["kinhtedothi"]
    site_host = "kinhtedothi.vn"
    language = "vi"
    languages = ("vi",)

    listing_pages = tuple(f"https://kinhtedothi.vn/{cat}" for cat in CATEGORIES)
    sitemaps = ("https://kinhtedothi.vn/sitemap.xml",)
    sitemap_follow = re.compile(r"/sitemaps?/article-")
    sitemap_children = 2

    # /<slug>-<id>.html, and real articles without an id: /<slug>.html and /<section>/<slug>.html
    # ("/thuc-day-khu-vuc-tu-nhan-huong-toi-tang-truong-ben-vung.html", "/su-kien/…-2-9.html").
    # A slug of at least four words tells an article from a section page.
    article_url_re = re.compile(
        r"^https?://(?:www\.)?kinhtedothi\.vn/(?:[a-z0-9-]+/)?[a-z0-9]+(?:-[a-z0-9]+){3,}\.html$"
    )
    # Tag pages, the e-paper and the sub-sites (own hosts) are not articles of this source.
    skip_url_re = re.compile(r"/(?:tag|bao-in|video|emagazine|infographic)/")
    boilerplate_res = (
        re.compile(r"^>>\s*Xem thêm\b", re.I),
        re.compile(r"^(?:Tin|Bài) liên quan\b", re.I),
        re.compile(r"^Quảng cáo$", re.I),
    )
    # "Kinhtedothi - ", also with an en/em dash or no spaces.
    lead_prefix_re = re.compile(r"^\s*Kinhtedothi\s*[-–—]\s*", re.I)

    listing_selector = ".list-news-cate .news-title a[href]"
    next_page_selector = ".pagination a[rel=next][href]"

    def extract_fields(self, page: Page, response: Response) -> Fields:
        content = page.one(("div.article-content", "[itemprop=articleBody]"))
        paragraphs: list[str] = []
        author = ""
        if content is not None:
            # Direct <p> children only: captions, related boxes and ads are nested in their own blocks.
            for p in content.iterchildren("p"):
                if "article-author" in (p.get("class") or "").split():
                    author = text_of(p)  # the byline closes the body, right-aligned
                    continue
                paragraphs.append(text_of(p))
        return Fields(
            title=page.text("h1.article-title"),
            lead=page.text(".article-sapo"),
            paragraphs=paragraphs,
            dates=[page.text("div.article-published-on")],
            author=author,
            tags=page.texts(".article-tags a[href]"),
            canonical=page.canonical(),
        )
