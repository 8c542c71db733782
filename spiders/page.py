"""One parsed article page and the two layers that read any page: its own metadata
(JSON-LD, og:/article: meta) and its main text (trafilatura).

A page is parsed once, by lxml (Scrapy's response selector keeps the tree); the site
spider's selectors, the metadata layer and the text extractor all read that one tree.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

#: Where a field came from, best first. "selectors": the site spider's own reading of
#: the markup; "metadata": JSON-LD and og:/article: meta; "main_text": trafilatura;
#: "default": the spider's defaults (language) or the request URL (canonical_url).
LAYERS = ("selectors", "metadata", "main_text", "default")
FIELDS = ("title", "published_at", "author", "lead", "body", "tags", "canonical_url", "language")
#: The fields whose selectors stopping to match means the site changed its markup.
KEY_FIELDS = ("title", "published_at", "body")

_ARTICLE_TYPES = (
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BlogPosting",
    "VideoObject",
    "WebPage",
)
_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table figure figcaption section article header footer "
    "blockquote hr dd dt dl aside nav main pre".split()
)
_SKIP_TAGS = frozenset(("script", "style", "noscript", "template"))


@dataclass
class Fields:
    """Raw fields of one page as one layer reads them; empty means "not found here"."""

    title: str = ""
    lead: str = ""
    paragraphs: list[str] = field(default_factory=list)
    #: Date texts, best first (display text, machine forms); the first one that parses wins.
    dates: list[str] = field(default_factory=list)
    author: str = ""
    tags: list[str] = field(default_factory=list)
    canonical: str = ""
    language: str = ""


def text_of(node: HtmlElement | None) -> str:
    """Visible text of a node with whitespace folded; '' for None.

    Inline elements join without a space ("<a>Tây Ban Nha</a>, sau" reads "Tây Ban Nha, sau");
    block elements and <br> separate words."""
    if node is None:
        return ""
    parts: list[str] = []
    _collect(node, parts)
    return " ".join("".join(parts).split())


def _collect(node: HtmlElement, parts: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag and tag not in _SKIP_TAGS:
        block = tag in _BLOCK_TAGS
        if block:
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            _collect(child, parts)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append(" ")


def fold(text: str) -> str:
    """For comparing texts: spaces folded, case folded, a final full stop ignored."""
    return " ".join(text.split()).casefold().rstrip(".")


def _unescape(value: Any) -> Any:
    """HTML entities left in JSON-LD strings ("Hai B&#224; Trưng"), everywhere in the object."""
    if isinstance(value, str):
        return html.unescape(value) if "&" in value else value
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescape(v) for k, v in value.items()}
    return value


def plain(value: Any) -> str:
    """A JSON-LD value as text: strings as they are, {"name": ...} objects by name."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return plain(value.get("name") or value.get("@value") or "")
    if isinstance(value, list) and value:
        return plain(value[0])
    return ""


class Page:
    """An HTML page parsed once, with lookups every layer shares."""

    def __init__(self, url: str, root: HtmlElement) -> None:
        self.url = url
        self.root = root

    @classmethod
    def from_response(cls, response) -> Page:
        """The response's own lxml tree (Scrapy parses it once and keeps it)."""
        return cls(response.url, response.selector.root)

    @classmethod
    def from_html(cls, url: str, text: str) -> Page:
        from lxml import html as lxml_html

        return cls(url, lxml_html.document_fromstring(text or "<html></html>"))

    # ------------------------------------------------------------- selectors

    def css(self, selector: str, node: HtmlElement | None = None) -> list[HtmlElement]:
        return _compiled(selector)(self.root if node is None else node)

    def one(self, selectors: str | Sequence[str], node: HtmlElement | None = None) -> HtmlElement | None:
        """The first element of the first selector that matches at all (priority order,
        unlike a CSS selector group, which answers in document order)."""
        for selector in (selectors,) if isinstance(selectors, str) else selectors:
            found = self.css(selector, node)
            if found:
                return found[0]
        return None

    def text(self, selectors: str | Sequence[str]) -> str:
        return text_of(self.one(selectors))

    def texts(self, selector: str) -> list[str]:
        return [t for t in (text_of(n) for n in self.css(selector)) if t]

    def attr(self, selector: str, name: str) -> str:
        node = self.one(selector)
        return " ".join(str(node.get(name) or "").split()) if node is not None else ""

    # -------------------------------------------------------------- metadata

    @cached_property
    def _metas(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for node in self.root.iter("meta"):
            content = node.get("content")
            if content is None:
                continue
            for key in (node.get("property"), node.get("name"), node.get("itemprop")):
                if key:
                    found.setdefault(key.strip().lower(), []).append(" ".join(content.split()))
        return found

    def meta(self, *names: str) -> str:
        """The first non-empty <meta> content whose property, name or itemprop is one of ``names``
        (sites write og:/article: tags with name= as often as with property=)."""
        for name in names:
            for value in self._metas.get(name.lower(), ()):
                if value:
                    return value
        return ""

    def metas(self, name: str) -> list[str]:
        return [v for v in self._metas.get(name.lower(), ()) if v]

    @cached_property
    def json_ld(self) -> dict[str, Any]:
        """The page's article object from JSON-LD (also inside @graph or lists), its strings
        with HTML entities unescaped; {} if none."""
        best: dict[str, Any] = {}
        for script in self.root.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            try:
                data = json.loads(script.text or "", strict=False)
            except (json.JSONDecodeError, TypeError, ValueError):
                continue
            stack = [data]
            while stack:
                obj = stack.pop()
                if isinstance(obj, list):
                    stack.extend(reversed(obj))
                elif isinstance(obj, dict):
                    kind = obj.get("@type")
                    kinds = kind if isinstance(kind, list) else [kind]
                    rank = min((_ARTICLE_TYPES.index(k) for k in kinds if k in _ARTICLE_TYPES), default=None)
                    if rank is not None and (not best or rank < best["rank"]):
                        best = {"rank": rank, "obj": obj}
                    if "@graph" in obj:
                        stack.append(obj["@graph"])
        return _unescape(best["obj"]) if best else {}

    def canonical(self) -> str:
        for node in self.root.iter("link"):
            if "canonical" in (node.get("rel") or "").lower().split() and node.get("href"):
                return node.get("href").strip()
        return ""

    def html_lang(self) -> str:
        return (self.root.get("lang") or "").strip()


# ---------------------------------------------------------------- selectors


_SELECTOR_CACHE: dict[str, Any] = {}


def _compiled(selector: str):
    xpath = _SELECTOR_CACHE.get(selector)
    if xpath is None:
        from cssselect import HTMLTranslator

        xpath = etree.XPath(HTMLTranslator().css_to_xpath(selector))
        _SELECTOR_CACHE[selector] = xpath
    return xpath


# ---------------------------------------------------------------- metadata layer

#: Meta tags that carry a publication date, best first.
DATE_METAS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date.issued",
    "dcterms.created",
)
_LANG = re.compile(r"^([a-z]{2,3})(?:[-_].*)?$", re.I)
_URL = re.compile(r"^https?://")


def metadata_fields(page: Page) -> Fields:
    """Every field the page's own metadata gives (JSON-LD first, then meta tags)."""
    ld = page.json_ld
    title = plain(ld.get("headline")) or page.meta("og:title", "twitter:title") or document_title(page)
    lead = plain(ld.get("description")) or page.meta("og:description", "description", "twitter:description")
    dates = [plain(ld.get("datePublished"))] + [page.meta(name) for name in DATE_METAS]
    # Microdata and the first machine-readable <time> of the page.
    for node in page.root.xpath("//*[@itemprop='datePublished'][not(self::meta)] | (//time[@datetime])[1]"):
        dates.append(node.get("datetime") or node.get("content") or text_of(node))
    return Fields(
        title=title,
        lead=lead,
        dates=[d for d in dict.fromkeys(dates) if d],
        author=metadata_author(page),
        tags=metadata_tags(page),
        canonical=page.canonical() or page.meta("og:url"),
        language=page_language(page),
    )


def document_title(page: Page) -> str:
    """<title> without the " - Site name" that most sites append."""
    node = page.root.find(".//title")
    title = text_of(node) if node is not None else ""
    site = page.meta("og:site_name")
    if site:
        title = re.sub(rf"\s*[-–—|:]\s*{re.escape(site)}\s*$", "", title)
    return title


def metadata_author(page: Page) -> str:
    """Bylines from JSON-LD, else the author meta; never the publisher or the site's own name
    (agencies credit themselves; many sites put their name in <meta name=author>)."""
    ld = page.json_ld
    not_people = {fold(n) for n in (plain(ld.get("publisher")), page.meta("og:site_name")) if n}
    authors = ld.get("author")
    authors = authors if isinstance(authors, list) else [authors] if authors else []
    names = [plain(a) for a in authors]
    names = [n for n in names if n and fold(n) not in not_people and not _URL.match(n)]
    if names:
        return ", ".join(dict.fromkeys(names))
    value = page.meta("author", "article:author")
    if not value or _URL.match(value) or fold(value) in not_people:
        return ""
    return value


def split_tags(values: Iterable[str]) -> list[str]:
    """Tag values, splitting comma-joined ones ("World Cup,World Cup 2026")."""
    out: list[str] = []
    for value in values:
        out.extend(t.strip() for t in value.split(","))
    return [t for t in dict.fromkeys(out) if t]


def metadata_tags(page: Page) -> list[str]:
    keywords = page.json_ld.get("keywords")
    if isinstance(keywords, list) and keywords:
        return split_tags(plain(k) for k in keywords)
    if isinstance(keywords, str) and keywords.strip():
        return split_tags([keywords])
    tags = split_tags(page.metas("article:tag"))
    return tags or split_tags([page.meta("news_keywords", "keywords")])


def page_language(page: Page) -> str:
    for value in (
        page.html_lang(),
        plain(page.json_ld.get("inLanguage")),
        page.meta("og:locale", "language", "content-language"),
    ):
        match = _LANG.match(str(value or "").strip())
        if match:
            return match.group(1).lower()
    return ""


# ---------------------------------------------------------------- main-text layer

#: Page furniture that main-text extraction tends to keep: footers with copyright lines,
#: score/fact boxes, source and author blocks, share bars, related-news boxes. One XPath, so
#: the page is walked once (eight separate ones cost trafilatura eight walks: ~2.7 ms more on
#: a 100 KB page); elements without a class are skipped before any string test.
_FURNITURE_CLASS_TESTS = (
    "contains(concat(' ', normalize-space(@class), ' '), ' footer ')",
    "contains(@class, 'c-powered') or contains(@class, 'copyright')",
    "contains(concat(' ', normalize-space(@class), ' '), ' notebox ')",
    "contains(@class, 'article__source') or contains(@class, 'article__author')",
    "contains(@class, 'related') or contains(@class, 'share') or contains(@class, 'social')",
    "contains(@class, 'article__tag') or contains(@class, 'tags')",
)
FURNITURE_XPATH = (
    "//footer | //figcaption | //*[@class]["
    + " or ".join(f"({test})" for test in _FURNITURE_CLASS_TESTS)
    + "]"
)
#: Lines that are never article text wherever they stand.
COPYRIGHT_RES = (
    re.compile(r"^\(\*\)\s*Không sao chép", re.I),
    re.compile(r"^(?:Copyright|©|Bản quyền|Ghi rõ nguồn)\b", re.I),
    re.compile(r"\bAll rights reserved\b", re.I),
)


def main_text_paragraphs(page: Page) -> list[str]:
    """The article's paragraphs as trafilatura finds them (precision first, then recall),
    with page furniture pruned. trafilatura works on its own copy of the page's tree and
    fetches nothing."""
    from trafilatura import bare_extraction

    for precision in (True, False):
        try:
            doc = bare_extraction(
                page.root,
                url=page.url,
                prune_xpath=FURNITURE_XPATH,
                favor_precision=precision,
                favor_recall=not precision,
                include_comments=False,
                include_tables=False,
                include_images=False,
                include_links=False,
                with_metadata=False,
                deduplicate=False,
                as_dict=False,
            )
        except Exception as exc:  # a library failure on odd markup: the next layer or none
            logger.debug("trafilatura failed on %s: %s", page.url, exc)
            return []
        body = getattr(doc, "body", None) if doc is not None else None
        if body is None:
            continue
        paragraphs = []
        for node in body.iter("p", "head", "item", "quote"):
            if node.tag == "quote" and node.find("p") is not None:
                continue  # its <p>s are taken one by one
            text = " ".join("".join(node.itertext()).split())
            if text and not any(rx.search(text) for rx in COPYRIGHT_RES):
                paragraphs.append(text)
        if paragraphs:
            return paragraphs
    return []
