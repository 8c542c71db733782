"""The web app: browse stories, search, read one article and correct its label, subscribe.

Server-rendered pages (Jinja2, no JavaScript), an Atom feed and a JSON API, all read
from the same database as the daemon. Built on FastAPI so the API documents itself
(``/api/openapi.json``); pages and API share the queries in storage.browse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.config import AppConfig
from monitor.digest.content import LANGUAGE_NAMES, explain, group_stories, make_item
from monitor.digest.render import safe_link
from monitor.search import highlight_terms, search
from monitor.web import api
from monitor.web.feed import build_feed
from monitor.web.security import AUTH_COOKIE, CSRF_COOKIE, CSRF_FIELD, SECURITY_HEADERS, Guard, new_csrf_token
from storage import Database
from storage.browse import Archive
from storage.search import SearchFilters

LABELS = ("core", "national", "none")
DEFAULT_LABELS = ("core", "national")
PAGE_SIZE = 20


@dataclass(frozen=True)
class Listing:
    """The filters of a listing page, read from its query string."""

    labels: tuple[str, ...]
    source: str
    language: str
    since: str
    until: str
    page: int

    def filters(self, tz) -> SearchFilters:
        return SearchFilters(
            labels=self.labels,
            sources=(self.source,) if self.source else (),
            languages=(self.language,) if self.language else (),
            since=_day(self.since, tz),
            until=_day(self.until, tz, end=True),
        )

    def query(self, **changes: Any) -> str:
        data = {
            "label": list(self.labels),
            "source": self.source,
            "lang": self.language,
            "since": self.since,
            "until": self.until,
            "page": self.page,
            **changes,
        }
        return urlencode({k: v for k, v in data.items() if v not in ("", None, 1, [])}, doseq=True)


def _day(text: str, tz, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=tz)
    except ValueError:
        raise HTTPException(400, f"not a date: {text!r} (use YYYY-MM-DD)") from None
    return day + timedelta(days=1) if end else day


def _listing(request: Request, default_labels: tuple[str, ...] = DEFAULT_LABELS) -> Listing:
    params = request.query_params
    labels = tuple(label for label in params.getlist("label") if label in LABELS) or default_labels
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        raise HTTPException(400, "page must be a whole number") from None
    return Listing(
        labels=labels,
        source=params.get("source", "").strip(),
        language=params.get("lang", "").strip(),
        since=params.get("since", "").strip(),
        until=params.get("until", "").strip(),
        page=page,
    )


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("monitor.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )
    env.filters["link"] = safe_link
    return Jinja2Templates(env=env)


def _local(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def create_app(config: AppConfig, db: Database, *, token: str | None = None) -> FastAPI:
    app = FastAPI(
        title="newsmon", version=_version(), docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )
    guard = Guard(token)
    archive = Archive(db)
    templates = _templates()
    tz = config.tz
    templates.env.filters["local"] = lambda value: _local(value, tz)
    app.state.db, app.state.config, app.state.guard = db, config, guard
    app.mount("/static", StaticFiles(directory=str(resources.files("monitor.web") / "static")), name="static")

    @app.middleware("http")
    async def guard_requests(request: Request, call_next):
        path = request.url.path
        if not (path.startswith("/static/") or path == "/login" or guard.authenticated(request)):
            if path.startswith("/api/") or path.endswith(".atom"):
                response: Response = JSONResponse(
                    {"detail": "authentication required"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            else:
                response = RedirectResponse("/login?" + urlencode({"next": path}), status_code=303)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.cookies.get(CSRF_COOKIE):
            response.set_cookie(
                CSRF_COOKIE,
                request.state.csrf if hasattr(request.state, "csrf") else new_csrf_token(),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        request.state.csrf = csrf
        base = {
            "csrf": csrf,
            "csrf_field": CSRF_FIELD,
            "login_required": guard.token is not None,
            "language_names": LANGUAGE_NAMES,
        }
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def front(request: Request) -> HTMLResponse:
        listing = _listing(request)
        keys, more = archive.story_page(
            listing.filters(tz), limit=PAGE_SIZE, offset=(listing.page - 1) * PAGE_SIZE
        )
        members = archive.members(keys, listing.labels)
        filters = listing.filters(tz)
        entries = [
            (make_item(_headline_first(members[k], filters), tz, {}), k.story_id)
            for k in keys
            if k in members
        ]
        return page(
            request,
            "index.html",
            {
                "entries": entries,
                "listing": listing,
                "labels": LABELS,
                "sources": archive.sources(),
                "pages": listing.page + 1 if more else listing.page,
            },
        )

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> HTMLResponse:
        q = request.query_params.get("q", "").strip()
        listing = _listing(request, default_labels=LABELS)
        results, total, terms = [], 0, []
        if q:
            found = search(db, q, listing.filters(tz), limit=PAGE_SIZE, offset=(listing.page - 1) * PAGE_SIZE)
            total, terms = found.total, found.terms
            by_id = archive.articles(found.article_ids)
            for article_id in found.article_ids:
                article = by_id.get(article_id)
                if article is not None:
                    results.append(
                        {
                            "article": article,
                            "title": highlight_terms(article.title, terms, limit=400),
                            "snippet": highlight_terms(_body_for(article, terms), terms),
                        }
                    )
        return page(
            request,
            "search.html",
            {
                "q": q,
                "results": results,
                "total": total,
                "listing": listing,
                "labels": LABELS,
                "pages": (total + PAGE_SIZE - 1) // PAGE_SIZE,
                "sources": archive.sources(),
            },
        )

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: int) -> HTMLResponse:
        article = archive.article(article_id)
        if article is None:
            raise HTTPException(404, f"no article {article_id}")
        return page(
            request,
            "article.html",
            {
                "a": article,
                "why": explain(article.reasons or [], article.label, article.score),
                "evidence": list(
                    dict.fromkeys(
                        (str(r.get("phrase", "")), str(r.get("side", "")), str(r.get("where", "")))
                        for r in article.reasons or []
                        if r.get("phrase")
                    )
                ),
                "labels": LABELS,
                "feedback": _feedback_rows(db, article_id),
                "saved": request.query_params.get("saved") == "1",
                "story": archive.story(article.story_id) if article.story_id is not None else [],
            },
        )

    @app.post("/articles/{article_id}/feedback", include_in_schema=False)
    async def article_feedback(request: Request, article_id: int) -> Response:
        form = await request.form()
        if not guard.csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        label = str(form.get("label") or "")
        if label not in LABELS:
            raise HTTPException(400, f"label must be one of {', '.join(LABELS)}")
        if archive.article(article_id) is None:
            raise HTTPException(404, f"no article {article_id}")
        _record_feedback(db, article_id, label, str(form.get("note") or "").strip() or None, who="web")
        return RedirectResponse(f"/articles/{article_id}?saved=1", status_code=303)

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(request: Request, story_id: int) -> HTMLResponse:
        members = archive.story(story_id)
        if not members:
            raise HTTPException(404, f"no story {story_id}")
        return page(
            request,
            "story.html",
            {"story_id": story_id, "articles": members, "links": _story_links(db, story_id, members)},
        )

    @app.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    def sources_page(request: Request) -> HTMLResponse:
        return page(
            request,
            "sources.html",
            {"sources": api.source_rows(config, archive, tz), "digests": archive.recent_digests(limit=20)},
        )

    @app.get("/feed.atom", include_in_schema=False)
    def feed(request: Request) -> Response:
        params = request.query_params
        labels = tuple(label for label in params.getlist("label") if label in LABELS) or ("core",)
        filters = SearchFilters(labels=labels, sources=tuple(params.getlist("source")))
        q = params.get("q", "").strip()
        if q:
            found = search(db, q, filters, limit=50)
            by_id = archive.articles(found.article_ids)
            articles = sorted((by_id[i] for i in found.article_ids if i in by_id), key=lambda a: -(a.id or 0))
        else:
            articles = archive.recent(filters, limit=50)
        updated = max((a.updated_at or a.first_seen_at for a in articles), default=None)
        etag = (
            '"'
            + hashlib.sha256(
                repr((str(request.url.query), [(a.id, a.content_hash, a.label) for a in articles])).encode()
            ).hexdigest()[:32]
            + '"'
        )
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if updated is not None:
            headers["Last-Modified"] = format_datetime(updated.replace(microsecond=0), usegmt=True)
        if _not_modified(request, etag, updated):
            return Response(status_code=304, headers=headers)
        base = config.web.base_url or str(request.base_url).rstrip("/")
        body = build_feed(
            articles,
            title=f"newsmon: {config.digest.topic} ({', '.join(labels)})",
            self_url=str(request.url),
            base_url=base,
            updated=updated,
        )
        return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        return page(
            request, "login.html", {"next": _local_path(request.query_params.get("next", "/")), "error": ""}
        )

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        target = _local_path(str(form.get("next") or "/"))
        if not guard.csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        if guard.token is None:
            return RedirectResponse(target, status_code=303)
        if not guard.token_matches(str(form.get("token") or "")):
            return page(request, "login.html", {"next": target, "error": "wrong token"}, status_code=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            AUTH_COOKIE,
            guard.cookie_value(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    api.register(app, config, db, archive, guard)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return page(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )

    return app


def _headline_first(articles, filters: SearchFilters) -> list:
    """The story's articles in digest order, but headed by one that matches the page's filters
    (a Russian-language listing shows a Russian report, with the others as "also in")."""
    ordered = group_stories(articles)[0]

    def matches(a) -> bool:
        when = a.published_at or a.first_seen_at
        return (
            (not filters.sources or a.source in filters.sources)
            and (not filters.languages or a.language in filters.languages)
            and (filters.since is None or when >= filters.since)
            and (filters.until is None or when < filters.until)
        )

    return [a for a in ordered if matches(a)] + [a for a in ordered if not matches(a)]


def _local_path(target: str) -> str:
    # Only same-site paths: a login form must not redirect elsewhere.
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _not_modified(request: Request, etag: str, updated: datetime | None) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        return etag in (t.strip() for t in match.split(",")) or match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since and updated is not None:
        try:
            return updated.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _body_for(article, terms: list[str]) -> str:
    """The lead when it holds a query word, else the body (where the hit is)."""
    lead = article.lead or ""
    if lead and any(s.mark for s in highlight_terms(lead, terms)):
        return lead
    return article.body or lead


def _record_feedback(db: Database, article_id: int, label: str, note: str | None, who: str) -> None:
    from storage.feedback import record_feedback

    record_feedback(db, article_id, label=label, note=note, who=who)


def _feedback_rows(db: Database, article_id: int) -> list:
    from storage.feedback import feedback_rows

    return feedback_rows(db, article_id=article_id)


def _story_links(db: Database, story_id: int, members) -> list[str]:
    """What tied the reports together, as the story grouper recorded it (one line per joined report)."""
    from storage.stories import StoryIndex

    lines = []
    for article, link in StoryIndex(db).links(story_id):
        if link is None or link.matched_id is None:
            continue
        why = "; ".join(link.reasons) or link.how
        lines.append(f"#{article.id} joined #{link.matched_id} ({link.how}, score {link.score:.2f}): {why}")
    return lines


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsmon")
    except PackageNotFoundError:
        return "0"
