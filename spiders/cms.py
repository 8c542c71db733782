"""The "cms" CMS family (VietnamPlus, Nhân Dân, VOV World, Tiền Phong…): one article
markup, many skins. A site spider on this base says where its pages are and what
is odd about them (lead prefixes, credits, stray labels); the reading is here.

Markup facts are from ../shared/sources.md ("cms" CMS family): title
`h1.article__title` / `h1.article__header.cms-title`, sapo `div.article__sapo.cms-desc`,
body `div.article__body.cms-body`, date `time.time` or `meta.cms-date[itemprop=datePublished]`,
author `a.cms-author` / `div.article__author`, listings `.abf-cate` / `.timeline` stories.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml.html import HtmlElement
from scrapy.http import Response

from spiders.base import NewsSpider
from spiders.page import Fields, Page, text_of

#: Body paragraphs that are furniture in every edition: agency credits alone on a line,
#: inline "read more" links, share labels.
CMS_BOILERPLATE = (
    re.compile(
        r"^\(?\s*(?:TTXVN|Vietnam\+|TTXVN/Vietnam\+|VNA|VNA/VietnamPlus|ВИА|Вьетнам\+|VOV|VOVWORLD)\s*\)?\s*$",
        re.I,
    ),
    re.compile(
        r"^(?:Xem thêm|Đọc thêm|Tin liên quan|Read more|Related news|Читайте также|См\. также)\s*:", re.I
    ),
    re.compile(r"^(?:Chia sẻ|Share|Поделиться)$", re.I),
)


class CmsSpider(NewsSpider):
    """Shared reading of "cms"-family pages. Subclasses set name, hosts, feeds/listings/
    sitemaps and article_url_re, and may narrow any selector below."""

    # Each selector tuple is tried in order; the first that matches anything wins.
    title_selectors: Sequence[str] = ("h1.article__title", "h1.article__header.cms-title", "h1.cms-title")
    lead_selectors: Sequence[str] = ("div.article__sapo.cms-desc", "div.article__sapo", "div.cms-desc")
    body_selectors: Sequence[str] = ("div.article__body.cms-body", "div.cms-body", "div.article__body")
    #: The display date; the machine-readable forms beside it (see date_texts) come first.
    date_selectors: Sequence[str] = (".article__meta time", "time.time", ".article__meta .time")
    author_selectors: Sequence[str] = (
        "div.article__author a.cms-author",
        "div.article__author .cms-author",
        "a.cms-author",
        "div.article__author p.name",
        "div.article__author .name",
        "div.article__author",
    )
    tags_selector = "div.article__tag a, div.tags a"
    region_link_re = re.compile(r"/region/")
    listing_selector = (
        ".abf-cate .story h2 a[href], .timeline .story h2 a[href], .timeline article h2 a[href], "
        ".timeline article h4 a[href], .cate-hl .story h2 a[href], .cate-list .story h2 a[href]"
    )
    next_page_selector = (
        ".pagination a.pagination__next[href], .pagination a.next[href], .paging a.next[href]"
    )
    #: <p> classes inside the body that hold page furniture rather than article text.
    skip_paragraph_classes: Sequence[str] = ("related-inline", "share-label", "article__source", "caption")
    boilerplate_res = CMS_BOILERPLATE

    # ---------------------------------------------------------------- reading

    def body_paragraphs(self, body: HtmlElement | None) -> list[str]:
        """Text of the body's own <p> children: captions (table.picture), score and note boxes
        (div.notebox), related boxes, the author block, ads and share bars are nested
        elements, so they never count."""
        if body is None:
            return []
        out = []
        for p in body.iterchildren("p"):
            if set((p.get("class") or "").split()) & set(self.skip_paragraph_classes):
                continue
            out.append(text_of(p))
        return out

    def date_texts(self, page: Page) -> list[str]:
        """The machine-readable time the article block shows (<time datetime>, the cms-date
        meta, with seconds and offset), then its display text."""
        found = [
            page.attr(".article__meta time[datetime], time.time[datetime]", "datetime"),
            page.attr("meta.cms-date[itemprop=datePublished][content]", "content"),
            page.text(self.date_selectors),
        ]
        return [d for d in found if d]

    def tags(self, page: Page) -> list[str]:
        """Tag links, without the region links that sit among them (VietnamPlus's "Ninh Bình")."""
        out = []
        for link in page.css(self.tags_selector):
            if self.region_link_re.search(link.get("href") or ""):
                continue
            out.append(text_of(link).lstrip("#").strip())
        return [t for t in out if t]

    def extract_fields(self, page: Page, response: Response) -> Fields:
        return Fields(
            title=page.text(self.title_selectors),
            lead=page.text(self.lead_selectors),
            paragraphs=self.body_paragraphs(page.one(self.body_selectors)),
            dates=self.date_texts(page),
            author=page.text(self.author_selectors),
            tags=self.tags(page),
            canonical=page.canonical(),
        )
