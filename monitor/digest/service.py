"""The digest run: retry what is pending, compose what is new, record it, deliver it, mark it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from settings import AppConfig
from storage import CrawlRunLog, Database
from storage.digests import DigestConflict, DigestStore, NewItem
from storage.models import Article, Digest, utcnow

from monitor.digest.content import DigestContent, Item, group_stories, local_time, make_item, source_health
from monitor.digest.delivery import Delivered, DeliveryError, send_smtp, write_outbox
from monitor.digest.render import build_message, new_message_id, render_html, render_text

log = logging.getLogger(__name__)

OUTCOME_STATUSES = ("sent", "outbox", "empty", "pending", "dry_run")


@dataclass
class DigestOutcome:
    """What one digest run did.

    status: sent (SMTP accepted it), outbox (written to the outbox folder), empty (nothing new,
    nothing sent), pending (recorded but not delivered: ``error`` says why; the next run retries
    it), dry_run (built only: ``html`` and ``text`` hold it). ``retried`` lists pending digests
    from earlier runs that this run tried first.
    """

    status: str
    digest_id: int | None = None
    message_id: str | None = None
    item_count: int = 0
    retried: list[int] = field(default_factory=list)
    error: str | None = None
    subject: str | None = None
    outbox_path: str | None = None
    html: str | None = None
    text: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("html", "text")}


def _stale_after(config: AppConfig) -> timedelta:
    # A 'sending' digest older than this belongs to a process that died mid-attempt.
    return timedelta(seconds=max(600.0, 3 * config.smtp.timeout_seconds))


def _source_labels(config: AppConfig, names: Sequence[str]) -> dict[str, str]:
    labels = {name: name for name in names}
    try:
        from spiders.registry import spider_classes

        classes = spider_classes()
    except Exception as exc:  # labels are cosmetic; never fail a digest over them
        log.warning("cannot read spider labels: %s", exc)
        return labels
    for name in names:
        source = config.sources.get(name)
        cls = classes.get((source.spider if source else None) or name)
        if cls is not None and getattr(cls, "label", ""):
            labels[name] = cls.label
    return labels


def compose(config: AppConfig, db: Database, articles: Sequence[Article], *, now: datetime) -> DigestContent:
    """Group, order and describe ``articles``; add the source-health footer."""
    tz = config.tz
    store = DigestStore(db)
    runs_log = CrawlRunLog(db)
    last = store.last_delivered()
    window = last.created_at if last is not None else now - timedelta(hours=24)
    runs = runs_log.since(None, window)
    sources = list(config.enabled_sources())
    names = list(dict.fromkeys([*sources, *(r.source for r in runs), *(a.source for a in articles)]))
    labels = _source_labels(config, names)

    items = [make_item(group, tz, labels) for group in group_stories(articles)]
    newest_first = sorted(items, key=lambda i: (i.when, i.article_id), reverse=True)
    core = [i for i in newest_first if i.section == "core"]
    national = [i for i in newest_first if i.section == "national"]
    room = config.digest.max_items
    shown_core, shown_national = core[:room], national[: max(0, room - len(core))]
    overflow = [aid for i in core[room:] + national[len(shown_national):] for aid in i.article_ids]
    health = source_health(runs, sources, {n: runs_log.last_success(n) for n in names}, labels, tz,
                           {n: runs_log.degradation(n) for n in names})
    return DigestContent(
        topic=config.digest.topic,
        created=local_time(now, tz),
        date=now.astimezone(tz).strftime("%Y-%m-%d"),
        timezone=config.timezone,
        since=local_time(window, tz),
        core=shown_core,
        national=shown_national,
        overflow=overflow,
        health=health,
    )


def _items(content: DigestContent) -> list[NewItem]:
    rows: list[NewItem] = []
    for section, items in (("core", content.core), ("national", content.national)):
        item: Item
        for item in items:
            rows.append(NewItem(item.article_id, section, "headline", len(rows)))
            rows.extend(NewItem(o.article_id, section, "also", len(rows) + n) for n, o in enumerate(item.also_in))
    rows.extend(NewItem(aid, "core", "overflow", len(rows) + n) for n, aid in enumerate(content.overflow))
    return rows


def _deliver(config: AppConfig, store: DigestStore, digest: Digest, env: Mapping[str, str] | None) -> tuple[Delivered | None, str | None]:
    """One claimed attempt; returns (delivery, None) or (None, error). Never raises for delivery trouble."""
    if not store.claim(digest.id, stale_after=_stale_after(config)):
        return None, "another digest run is delivering this digest"
    try:
        if config.smtp.host:
            delivered = send_smtp(config, digest.sender, list(digest.recipients), digest.raw_message, env)
        else:
            stamp = digest.created_at.astimezone(config.tz).strftime("%Y%m%d-%H%M%S")
            delivered = write_outbox(config, digest.id, stamp, digest.raw_message, digest.html)
    except DeliveryError as exc:
        store.mark_failed(digest.id, str(exc))
        log.warning("digest %s not delivered (left pending): %s", digest.id, exc)
        return None, str(exc)
    except Exception as exc:  # anything else must not lose the digest either
        store.mark_failed(digest.id, f"{type(exc).__name__}: {exc}")
        log.exception("digest %s: unexpected delivery error (left pending)", digest.id)
        return None, f"{type(exc).__name__}: {exc}"
    store.mark_delivered(digest.id, delivered.status, error=delivered.warning, outbox_path=delivered.outbox_path)
    log.info("digest %s %s (%s)", digest.id, delivered.status, digest.message_id)
    return delivered, None


def run_digest(config: AppConfig, db: Database, *, dry_run: bool = False, to: list[str] | None = None,
               since: datetime | None = None, now: datetime | None = None,
               env: Mapping[str, str] | None = None) -> DigestOutcome:
    """Retry pending digests, then build, record and deliver a digest of what is new.

    New means: relevant (core, plus national when ``digest.include_national``) and in no
    digest yet; ``since`` further limits it to articles published since then. With
    ``dry_run`` nothing is recorded, retried or sent. SMTP trouble never raises: the
    digest stays pending and the outcome carries the error.
    """
    now = now or utcnow()
    store = DigestStore(db)
    retried: list[int] = []
    if not dry_run:
        for old in store.retryable(stale_after=_stale_after(config), now=now):
            retried.append(old.id)
            delivered, error = _deliver(config, store, old, env)
            if delivered is None:
                # The server is still unhappy: keep new articles for a later digest rather
                # than piling up more pending mail behind this one.
                return DigestOutcome("pending", old.id, old.message_id, old.article_count, retried, error,
                                     old.subject)

    labels = ["core", "national"] if config.digest.include_national else ["core"]
    for attempt in (1, 2):
        articles = store.candidates(labels, since=since)
        content = compose(config, db, articles, now=now)
        if content.empty and not config.digest.send_empty:
            return DigestOutcome("empty", retried=retried, subject=content.subject)
        html, text = render_html(content), render_text(content)
        if dry_run:
            return DigestOutcome("dry_run", item_count=content.article_count, subject=content.subject,
                                 html=html, text=text)
        sender = config.digest.sender
        recipients = list(to) if to else list(config.digest.recipients)
        message_id = new_message_id(sender)
        try:
            message = build_message(subject=content.subject, sender=sender, recipients=recipients, text=text,
                                    html=html, message_id=message_id, date=now, topic=content.topic)
        except ValueError as exc:
            return DigestOutcome("pending", retried=retried, error=f"bad address in the digest config: {exc}",
                                 subject=content.subject)
        digest = Digest(
            message_id=message_id, created_at=now, subject=content.subject, sender=sender,
            recipients=recipients, raw_message=message.as_string(), html=html,
            core_count=content.core_articles, national_count=content.national_articles,
            article_count=content.article_count,
        )
        try:
            digest = store.create(digest, _items(content))
            break
        except DigestConflict:
            # Another digest run recorded some of these articles a moment ago: compose again without them.
            if attempt == 2:
                return DigestOutcome("empty", retried=retried, error="another digest run took these articles")
    delivered, error = _deliver(config, store, digest, env)
    outcome = DigestOutcome(
        "pending" if delivered is None else delivered.status, digest.id, digest.message_id, digest.article_count,
        retried, error if delivered is None else delivered.warning, digest.subject,
        delivered.outbox_path if delivered else None,
    )
    return outcome
