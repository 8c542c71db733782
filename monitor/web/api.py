"""The JSON API (`/api/…`): the same data as the pages, documented in /api/openapi.json."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from pydantic import BaseModel

from monitor.config import AppConfig
from monitor.search import search
from monitor.web.security import Guard
from storage import Article, CrawlRunLog, Database
from storage.browse import Archive
from storage.search import SearchFilters

Label = Literal["core", "national", "none"]


class ArticleOut(BaseModel):
    id: int
    url: str
    source: str
    language: str
    title: str
    lead: str
    author: str | None
    tags: list[str]
    published_at: datetime | None
    first_seen_at: datetime
    label: str | None
    score: float | None
    reasons: list[dict[str, Any]]
    story_id: int | None
    page: str

    @classmethod
    def of(cls, a: Article) -> ArticleOut:
        return cls(
            id=a.id,
            url=a.url,
            source=a.source,
            language=a.language,
            title=a.title,
            lead=a.lead,
            author=a.author,
            tags=list(a.tags or []),
            published_at=a.published_at,
            first_seen_at=a.first_seen_at,
            label=a.label,
            score=a.score,
            reasons=list(a.reasons or []),
            story_id=a.story_id,
            page=f"/articles/{a.id}",
        )


class ArticleFull(ArticleOut):
    body: str

    @classmethod
    def of(cls, a: Article) -> ArticleFull:
        return cls(**ArticleOut.of(a).model_dump(), body=a.body)


class ArticlePage(BaseModel):
    total: int
    articles: list[ArticleOut]


class StoryOut(BaseModel):
    id: int | None
    latest: datetime | None
    articles: list[ArticleOut]


class StoryPage(BaseModel):
    more: bool
    stories: list[StoryOut]


class SourceOut(BaseModel):
    name: str
    enabled: bool
    articles: int
    last_status: str | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_new: int | None
    last_errors: int | None
    error_samples: list[dict[str, Any]]


class FeedbackIn(BaseModel):
    label: Label
    note: str | None = None


def source_rows(config: AppConfig, archive: Archive, tz) -> list[SourceOut]:
    """Each configured or stored source with its latest run."""
    counts = archive.source_counts()
    names = sorted(set(config.sources) | set(counts))
    runs = CrawlRunLog(archive.db)
    rows = []
    for name in names:
        run = runs.latest(name)
        source = config.sources.get(name)
        rows.append(
            SourceOut(
                name=name,
                enabled=source.enabled if source else False,
                articles=counts.get(name, 0),
                last_status=run.status if run else None,
                last_started_at=run.started_at if run else None,
                last_finished_at=run.finished_at if run else None,
                last_new=run.new if run else None,
                last_errors=run.errors if run else None,
                error_samples=list(run.error_samples or [])[:5] if run else [],
            )
        )
    return rows


def register(app: FastAPI, config: AppConfig, db: Database, archive: Archive, guard: Guard) -> None:
    @app.get("/api/articles", response_model=ArticlePage, tags=["articles"])
    def list_articles(
        label: list[Label] = Query(default=[]),
        source: list[str] = Query(default=[]),
        lang: list[str] = Query(default=[]),
        q: str = "",
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0),
    ) -> ArticlePage:
        """Stored articles, newest first; with `q`, those holding every word of it, best first."""
        filters = SearchFilters(labels=tuple(label), sources=tuple(source), languages=tuple(lang))
        if q.strip():
            found = search(db, q, filters, limit=limit, offset=offset)
            by_id = archive.articles(found.article_ids)
            return ArticlePage(
                total=found.total, articles=[ArticleOut.of(by_id[i]) for i in found.article_ids if i in by_id]
            )
        rows = archive.recent(filters, limit=limit + offset)[offset:]
        return ArticlePage(total=archive.count(filters), articles=[ArticleOut.of(a) for a in rows])

    @app.get("/api/articles/{article_id}", response_model=ArticleFull, tags=["articles"])
    def get_article(article_id: int) -> ArticleFull:
        """One stored article with its body, label, score and reasons."""
        article = archive.article(article_id)
        if article is None:
            raise HTTPException(404, f"no article {article_id}")
        return ArticleFull.of(article)

    @app.post("/api/articles/{article_id}/feedback", tags=["articles"], status_code=201)
    def post_feedback(article_id: int, feedback: FeedbackIn, request: Request) -> dict[str, Any]:
        """A reader's correction of an article's label (stored; used when the model is retrained)."""
        from monitor.web.app import _record_feedback

        if guard.token is None and not guard.csrf_ok(request, request.headers.get("x-csrf-token")):
            # With no token, only a page of this app (which knows the CSRF cookie) may write.
            raise HTTPException(403, "missing or wrong CSRF token (X-CSRF-Token header)")
        if guard.token is not None and not guard.bearer(request):
            raise HTTPException(403, "the API takes writes only with Authorization: Bearer TOKEN")
        if archive.article(article_id) is None:
            raise HTTPException(404, f"no article {article_id}")
        _record_feedback(db, article_id, feedback.label, feedback.note, who="api")
        return {"article_id": article_id, "label": feedback.label}

    @app.get("/api/stories", response_model=StoryPage, tags=["stories"])
    def list_stories(
        label: list[Label] = Query(default=["core", "national"]),
        source: list[str] = Query(default=[]),
        lang: list[str] = Query(default=[]),
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0),
    ) -> StoryPage:
        """Stories (one event, any number of reports), newest first."""
        filters = SearchFilters(labels=tuple(label), sources=tuple(source), languages=tuple(lang))
        keys, more = archive.story_page(filters, limit=limit, offset=offset)
        members = archive.members(keys, tuple(label))
        return StoryPage(
            more=more,
            stories=[
                StoryOut(id=k.story_id, latest=k.latest, articles=[ArticleOut.of(a) for a in members[k]])
                for k in keys
                if k in members
            ],
        )

    @app.get("/api/stories/{story_id}", response_model=StoryOut, tags=["stories"])
    def get_story(story_id: int) -> StoryOut:
        """Every report of one story."""
        members = archive.story(story_id)
        if not members:
            raise HTTPException(404, f"no story {story_id}")
        latest = max((a.published_at or a.first_seen_at for a in members), default=None)
        return StoryOut(id=story_id, latest=latest, articles=[ArticleOut.of(a) for a in members])

    @app.get("/api/sources", response_model=list[SourceOut], tags=["sources"])
    def list_sources() -> list[SourceOut]:
        """Each source: stored articles and its latest crawl run."""
        return source_rows(config, archive, config.tz)
