"""The digest part of `newsmon status`: what waits, what failed, who refused, where the last one went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from monitor.config import AppConfig
from storage import Database
from storage.deliveries import DeliveryStore
from storage.digests import DigestStore

# How many failed digests and refused destinations status lists (newest last).
SHOWN = 10


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


@dataclass
class DigestDeliveryStatus:
    # Digests with a delivery still to make: id, destinations waiting, next attempt, last error.
    pending: list[dict] = field(default_factory=list)
    # Digests delivered nowhere (their articles went back to the next digest): id, created, error.
    failed: list[dict] = field(default_factory=list)
    # Destinations that refused a digest for good: digest id, destination, error, when.
    refused: list[dict] = field(default_factory=list)
    last_delivered: dict | None = None
    # Where a new digest would go now: "email" or "outbox" (no SMTP host: outbox_folder).
    channel: str = "email"
    outbox_folder: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def channel_status(config: AppConfig) -> DigestDeliveryStatus:
    """Where a new digest would go (no database needed)."""
    status = DigestDeliveryStatus(channel="email" if config.smtp.host else "outbox")
    if not config.smtp.host:
        status.outbox_folder = str(config.resolve_path(config.digest.outbox))
    return status


def digest_delivery_status(config: AppConfig, db: Database) -> DigestDeliveryStatus:
    store, deliveries = DigestStore(db), DeliveryStore(db)
    status = channel_status(config)
    waiting: dict[int, list] = {}
    for row in deliveries.open_rows():
        waiting.setdefault(row.digest_id, []).append(row)
    for digest_id, rows in sorted(waiting.items()):
        next_at = min((r.next_attempt_at for r in rows if r.next_attempt_at), default=None)
        status.pending.append(
            {
                "id": digest_id,
                "waiting_for": [r.destination for r in rows],
                "next_attempt_at": _iso(next_at),
                "attempts": max(r.attempts for r in rows),
                "last_error": next((r.last_error for r in rows if r.last_error), None),
            }
        )
    status.failed = [
        {
            "id": d.id,
            "created_at": _iso(d.created_at),
            "article_count": d.article_count,
            "error": d.last_error,
        }
        for d in store.with_status(["failed"], newest=SHOWN)
    ]
    status.refused = [
        {
            "digest_id": d.digest_id,
            "destination": d.destination,
            "error": d.last_error,
            "at": _iso(d.last_attempt_at),
        }
        for d in deliveries.failed_since(None, newest=SHOWN)
    ]
    last = store.last_delivered()
    if last is not None:
        status.last_delivered = {
            "id": last.id,
            "status": last.status,
            "article_count": last.article_count,
            "sent_at": _iso(last.sent_at),
            "outbox_path": last.outbox_path,
        }
    return status


def format_digest_delivery(
    status: DigestDeliveryStatus, local: Callable[[datetime | None], str]
) -> list[str]:
    """Indented lines for the "digests:" block of `newsmon status`."""

    def when(text: str | None) -> str:
        return local(datetime.fromisoformat(text)) if text else "-"

    lines: list[str] = []
    if status.channel == "outbox":
        lines.append(
            f"  digests are written to outbox {status.outbox_folder}, not mailed (no SMTP host configured)"
        )
    for p in status.pending:
        lines.append(
            f"  digest {p['id']} pending for {', '.join(p['waiting_for'])}: next attempt "
            f"{when(p['next_attempt_at'])} (attempt {p['attempts']} failed: {p['last_error'] or '-'})"
        )
    for f in status.failed:
        lines.append(
            f"  digest {f['id']} FAILED (delivered nowhere, its {f['article_count']} article(s) go into "
            f"the next digest): {f['error'] or '-'}"
        )
    for r in status.refused:
        lines.append(
            f"  {r['destination']} REFUSED digest {r['digest_id']} at {when(r['at'])}: {r['error'] or '-'}"
        )
    if status.pending or status.failed:
        lines.append("  (newsmon digest --retry ID sends one again now; --drop ID gives up on it)")
    ld = status.last_delivered
    if ld:
        where = f"written to outbox {ld['outbox_path']}" if ld["status"] == "outbox" else "sent"
        lines.append(
            f"  last delivered: digest {ld['id']} ({where}, {ld['article_count']} article(s)) "
            f"at {when(ld['sent_at'])}"
        )
    return lines
