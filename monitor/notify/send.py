"""One attempt to post one message to one chat channel through Apprise.

Apprise speaks to 100+ services by URL (``tgram://``, ``slack://``, ``matrix://``, ``msteams://``,
``json://``...). Its own way of failing is a False and some log lines; this module turns that into
an ``Attempt`` whose ``kind`` says whether to retry: a 5xx, 408 or 429 answer and a connection
that could not be made are transient, any other 4xx is permanent (the service refused this URL or
message and will refuse it again), and a URL Apprise does not understand is permanent too.

What Apprise is allowed to do here: post the message to the URL's service, once. It retries
nothing (``retry`` 0; retrying is the outbox's job, with back-off), waits at most the channel's
timeout for a connection and for an answer, keeps no state on disk (persistent storage in
memory), loads no plugins from disk, and is given no attachments (it would fetch attachment URLs).

The URL may hold a secret (a bot token). It is never logged and never stored: messages name the
channel and its service only, and Apprise's own log lines (which can quote a token inside a
request URL) are kept away from newsmon's log, read only for the HTTP status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus

from monitor.digest.delivery import PERMANENT, TRANSIENT, Attempt

log = logging.getLogger(__name__)

# Apprise plugins report a refused request as "... error=503." in a warning.
_STATUS = re.compile(r"\berror=(\d{3})\b")
_CONNECTION = re.compile(r"connection|connect|timed? ?out|socket|unreachable|refused", re.IGNORECASE)
TRANSIENT_CODES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class ChatTarget:
    """A channel as the sender needs it: its name (for messages), its URL or the variable holding
    it, and how long to wait."""

    name: str
    url: str | None
    url_env: str | None
    timeout_seconds: float

    def resolve(self, env: Mapping[str, str]) -> str | None:
        return self.url if self.url else env.get(self.url_env or "") or None

    def where(self) -> str:
        """Where the URL comes from, for messages: the variable's name, never its value."""
        return f"${self.url_env}" if self.url_env else "url"


def service_of(url: str) -> str:
    """The URL's scheme (``tgram``, ``slack``, ``json``...): all of it that may be logged."""
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else "?"


def kind_of_status(code: int) -> str:
    return TRANSIENT if code >= 500 or code in TRANSIENT_CODES else PERMANENT


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a malformed plugin log line must not break the send
            pass


def _plugin(url: str, timeout: float):
    import apprise

    asset = apprise.AppriseAsset(storage_mode="memory", service_timeout=timeout)
    plugin = apprise.Apprise.instantiate(url, asset=asset)
    if plugin is None:
        return None
    # One try, bounded: retrying is the outbox's job.
    plugin.retry = 0
    plugin.socket_connect_timeout = min(timeout, plugin.socket_connect_timeout or timeout)
    plugin.socket_read_timeout = timeout
    return plugin


def _judge(name: str, service: str, lines: list[str]) -> Attempt:
    """A failed send in our own words, from the plugin's log lines."""
    codes = [int(m.group(1)) for line in lines for m in [_STATUS.search(line)] if m]
    if codes:
        code = codes[-1]
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = ""
        kind = kind_of_status(code)
        hint = "; retried later" if kind == TRANSIENT else "; check the channel's URL (token, chat id)"
        return Attempt(name, False, f"{name} ({service}): HTTP {code} {reason}".rstrip() + hint, kind)
    if any(_CONNECTION.search(line) for line in lines):
        return Attempt(
            name, False, f"{name} ({service}): no connection (refused, unreachable or timed out)", TRANSIENT
        )
    return Attempt(name, False, f"{name} ({service}): not delivered (no reason given)", TRANSIENT)


@contextmanager
def _kept_from_the_log() -> Iterator[_Capture]:
    """Apprise's log lines (read for the status) and urllib3's (which quote request paths, a bot
    token's place) are captured or dropped instead of reaching newsmon's log."""
    capture = _Capture()
    loggers = [logging.getLogger("apprise"), logging.getLogger("urllib3")]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    loggers[0].addHandler(capture)
    loggers[0].setLevel(logging.INFO)
    for lg in loggers:
        lg.propagate = False
    try:
        yield capture
    finally:
        loggers[0].removeHandler(capture)
        for lg, (propagate, level) in zip(loggers, saved):
            lg.propagate = propagate
            lg.setLevel(level)


def post(target: ChatTarget, title: str, body: str, env: Mapping[str, str]) -> Attempt:
    """Post one message; never raises for delivery trouble."""
    url = target.resolve(env)
    if not url:
        return Attempt(
            target.name,
            False,
            f"{target.name}: {target.url_env} is not set in newsmon's environment (it holds the channel's URL)",
            TRANSIENT,
        )
    service = service_of(url)
    with _kept_from_the_log() as capture:
        try:
            plugin = _plugin(url, target.timeout_seconds)
        except Exception:  # Apprise refused the URL outright
            plugin = None
        if plugin is None:
            return Attempt(
                target.name,
                False,
                f"{target.name}: its {service}:// URL ({target.where()}) is not one Apprise understands "
                "(see https://github.com/caronc/apprise/wiki for the URL forms)",
                PERMANENT,
            )
        try:
            ok = bool(plugin.notify(body=body, title=title))
        except Exception as exc:  # a plugin bug must not lose the message: retried later
            capture.lines.append(f"exception {type(exc).__name__}")
            ok = False
    if ok:
        return Attempt(target.name, True)
    return _judge(target.name, service, capture.lines)
