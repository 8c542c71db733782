"""`newsmon parse`: read one saved page (or one fetched URL) the way a crawl of a source
would, and show every field, the layer that gave it, and the relevance judgement."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from monitor.context import AppContext, pass_app

_JSON_KEYS = ("title", "published_at", "author", "lead", "body", "tags", "canonical_url", "language")


@dataclass
class ParsedPage:
    """One page read by a source's spider, with its judgement."""

    url: str
    fields: dict[str, Any]
    layers: dict[str, str]
    label: str | None
    score: float | None
    reasons: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.fields,
            "layers": self.layers,
            "label": self.label,
            "score": self.score,
            "url": self.url,
        }


def _spider_for(app: AppContext, source: str):
    """A spider instance of SOURCE, configured as a crawl would configure it."""
    from monitor.config import SourceConfig
    from spiders.registry import spider_classes, spider_for

    config = app.config
    source_config = config.sources.get(source)
    if source_config is None and source not in spider_classes():
        known = ", ".join(sorted(set(config.sources) | set(spider_classes()) - {"generic"}))
        raise click.ClickException(f"unknown source {source!r} (known: {known})")
    try:
        cls = spider_for(source, source_config.spider if source_config else None)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    spider = cls()
    spider.source_name = source
    if hasattr(spider, "configure"):
        try:
            spider.configure(source_config or SourceConfig())
        except ValueError as exc:
            raise click.ClickException(f"sources.{source}: {exc}") from None
    return spider


def _fetch(url: str, app: AppContext) -> tuple[str, bytes, dict[str, str]]:
    """The page at URL (through the mirror when one is configured): (real URL, body, headers)."""
    from spiders.middlewares import mirror_url

    config = app.config
    target = mirror_url(config.mirror.rstrip("/"), url) if config.mirror else url
    request = urllib.request.Request(target, headers={"User-Agent": config.crawl.user_agent or "newsmon"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (a URL the user gave)
            return url, answer.read(), {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"{url}: {getattr(exc, 'reason', exc)}") from None


def _page_url_of(body: bytes) -> str:
    """A saved page's own URL: its rel=canonical, else og:url."""
    from spiders.page import Page

    page = Page.from_html("about:blank", body.decode("utf-8", "replace"))
    return page.canonical() or page.meta("og:url")


def parse_page(app: AppContext, source: str, target: str, url: str | None) -> ParsedPage:
    """Read TARGET (a file or an http(s) URL) with SOURCE's spider and judge it."""
    from scrapy.http import HtmlResponse, Request

    from monitor.relevance import RelevanceModel
    from spiders.base import ArticleParseError

    spider = _spider_for(app, source)
    headers: dict[str, str] = {}
    if target.startswith(("http://", "https://")):
        fetched_url, body, headers = _fetch(target, app)
        url = url or fetched_url
    else:
        path = Path(target)
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"cannot read {target}: {exc.strerror or exc}") from None
        url = url or _page_url_of(body) or path.resolve().as_uri()
    content_type = headers.get("content-type", "text/html")
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": content_type}, request=Request(url))
    try:
        item = spider.read_article(response)
    except ArticleParseError as exc:
        raise click.ClickException(f"{url}: not readable as an article of {source}: {exc}") from None
    config = app.config
    terms = config.resolve_path(config.relevance.terms_file) if config.relevance.terms_file else None
    judgement = RelevanceModel.load(Path(terms) if terms else None).judge(
        item.title, item.body, lead=item.lead, lang=item.language
    )
    verdict = judgement.to_dict()
    fields = {
        "title": item.title,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "author": item.author,
        "lead": item.lead,
        "body": item.body,
        "tags": list(item.tags),
        "canonical_url": item.canonical_url,
        "language": item.language,
    }
    return ParsedPage(
        url=url,
        fields=fields,
        layers=dict(item.layers),
        label=verdict.get("label"),
        score=verdict.get("score"),
        reasons=verdict.get("reasons") or [],
    )


def _shown(value: Any, width: int) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    if "\n" in text:  # the body: its first and last paragraph, and how many
        paragraphs = text.split("\n\n")
        first, last = paragraphs[0], paragraphs[-1]
        cut = lambda s: s if len(s) <= width else s[: width - 1] + "…"  # noqa: E731
        return (
            f"{len(paragraphs)} paragraphs\n    first: {cut(first)}\n    last:  {cut(last)}"
            if len(paragraphs) > 1
            else cut(first)
        )
    return text


@click.command("parse")
@click.argument("source")
@click.argument("target", metavar="FILE|URL")
@click.option("--url", help="The page's real URL (default for a file: its rel=canonical, else og:url).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the fields, layers, label and score.")
@pass_app
def parse(app: AppContext, source: str, target: str, url: str | None, as_json: bool) -> None:
    """Read one page with SOURCE's spider: every field, which layer gave it, and the relevance judgement.

    FILE is a saved page; a URL is fetched (from the mirror when NEWSMON_MIRROR is set).
    Layers: "selectors" (the spider's own), "metadata" (JSON-LD, og:/article: meta),
    "main_text" (trafilatura), "default". Use it to check a new source or a changed site.
    """
    result = parse_page(app, source, target, url)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    width = 100
    click.echo(f"url: {result.url}")
    for key in _JSON_KEYS:
        layer = result.layers.get(key, "-")
        click.echo(f"{key} [{layer}]: {_shown(result.fields[key], width)}")
    score = f"{result.score:.2f}" if isinstance(result.score, (int, float)) else "-"
    click.echo(f"relevance: {result.label} (score {score})")
    for reason in result.reasons[:8]:
        click.echo(f"  {json.dumps(reason, ensure_ascii=False)}")
    sys.stdout.flush()


commands = [parse]
