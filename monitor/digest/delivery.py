"""Delivery channels: one attempt to hand one recorded message to a set of destinations.

A channel never raises for delivery trouble: it reports, per destination, whether the
attempt went through and, if not, whether the failure is *transient* (worth retrying
later: 4xx replies, timeouts, connection and TLS trouble, a failed login) or *permanent*
(a 5xx reply to that destination or to the message). A failure before any destination
was tried (server unreachable, login refused) is the result's ``session_error``; its
message carries a hint for the usual causes.

Each call makes exactly one attempt; retrying is the caller's job (monitor.digest.service,
with back-off, on the recorded bytes). Retrying inside one call is how other tools mail a
digest twice: a timeout after the server accepted DATA looks like a failure, and an
immediate resend duplicates it.

Channels are looked up by name in ``CHANNELS`` (``email``, ``outbox``, ``chat``: the digest-mode
`[[notify]]` channels, destination: the channel's name; monitor.notify).
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.config import AppConfig

log = logging.getLogger(__name__)

PASSWORD_ENV = "NEWSMON_SMTP_PASSWORD"
TRANSIENT, PERMANENT = "transient", "permanent"
APP_PASSWORD_HINT = (
    "the server refused the login: check smtp.user and the password "
    "(Gmail and Outlook need an app password, not the account password)"
)
TLS_HINT = "TLS mismatch: port 465 is ssl, 587 is starttls (set smtp.security and smtp.port to match)"


@dataclass(frozen=True)
class Attempt:
    """How one destination fared: ``ok``, else ``error`` and its ``kind`` (transient | permanent)."""

    destination: str
    ok: bool
    error: str | None = None
    kind: str | None = None


@dataclass
class ChannelResult:
    attempts: list[Attempt] = field(default_factory=list)
    # Set when the attempt failed before any destination was tried (every attempt then carries it).
    session_error: str | None = None
    outbox_path: str | None = None

    @classmethod
    def all_failed(cls, destinations: Sequence[str], error: str, kind: str = TRANSIENT) -> ChannelResult:
        return cls([Attempt(d, False, error, kind) for d in destinations], session_error=error)


class DeliveryError(Exception):
    """A delivery attempt failed before reaching any destination; the message is safe to show
    and log (never holds the password)."""


def smtp_password(config: AppConfig, env: Mapping[str, str] | None = None) -> str | None:
    """NEWSMON_SMTP_PASSWORD, else the system keyring (service ``smtp.keyring_service``, user ``smtp.user``).

    The keyring is asked only when a real backend is available, and any error is
    swallowed: on a headless host a keyring lookup must never wait for a prompt.
    """
    env = os.environ if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    user = config.smtp.user
    if not user:
        return None
    try:
        import keyring

        if not usable_keyring(env):
            return None
        return keyring.get_password(config.smtp.keyring_service, user)
    except Exception as exc:  # a broken keyring must not stop the digest
        log.warning("keyring lookup failed (%s); set %s instead", type(exc).__name__, PASSWORD_ENV)
        return None


def usable_keyring(env: Mapping[str, str]) -> bool:
    """Whether the system keyring has a real backend that will answer without a prompt."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return False
    # Desktop keyrings need a session bus; without one they can block or prompt.
    name = type(backend).__module__.lower()
    return not (("secretservice" in name or "kwallet" in name) and not env.get("DBUS_SESSION_BUS_ADDRESS"))


def claim_stale_after(config: AppConfig) -> timedelta:
    return timedelta(seconds=config.smtp.claim_stale_seconds)


def kind_of(code: int) -> str:
    """SMTP reply codes: 5xx is permanent, anything else that is not success is worth retrying."""
    return PERMANENT if 500 <= code < 600 else TRANSIENT


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"SMTP {code}: {' '.join(text.split())}"


def _describe(exc: BaseException, security: str, port: int) -> str:
    """A session failure in words, with a hint for the usual causes."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{_reply(exc.smtp_code, exc.smtp_error)}; {APP_PASSWORD_HINT}"
    if isinstance(exc, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(exc).upper():
        return f"the server offers no STARTTLS; {TLS_HINT}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc}); {TLS_HINT}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    mismatch = (security != "ssl" and port == 465) or (security == "ssl" and port in (25, 587))
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out" + (f"; {TLS_HINT}" if mismatch else "")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection ({exc})" + (f"; {TLS_HINT}" if mismatch else "")
    if isinstance(exc, ConnectionRefusedError):
        return f"{type(exc).__name__}: {exc}; check smtp.host and smtp.port"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the SMTP host ({exc}); check smtp.host and the network"
    return f"{type(exc).__name__}: {exc}"


def _connect(config: AppConfig, sender: str, env: Mapping[str, str] | None):
    """A yagmail client, connected and logged in; DeliveryError (with a hint) when it cannot be."""
    import yagmail

    smtp = config.smtp
    port = smtp_port(config)
    password = smtp_password(config, env)
    if smtp.user and not password:
        raise DeliveryError(
            f"no SMTP password for {smtp.user}: set {PASSWORD_ENV}, or store it in the system "
            f"keyring with `newsmon set-password` (desktop hosts only)"
        )
    context = ssl.create_default_context()
    extra: dict[str, Any] = {"timeout": smtp.timeout_seconds}
    if smtp.security == "ssl":
        extra["context"] = context
    # yagmail's own connection handling (SSL, STARTTLS, login), with its unsafe defaults closed:
    # the password is always passed in (yagmail would otherwise prompt and offer to store it),
    # STARTTLS verifies the certificate (smtplib's default context does not), and the client
    # lives for this one attempt only (no stale connection kept between digests).
    client = yagmail.SMTP(
        user=smtp.user or sender,
        password=password or "",
        host=smtp.host,
        port=port,
        smtp_ssl=smtp.security == "ssl",
        smtp_starttls={"context": context} if smtp.security == "starttls" else False,
        smtp_skip_login=not smtp.user,
        soft_email_validation=False,
        **extra,
    )
    client.set_logging(None)
    # yagmail appends "@gmail.com" to a user name without "@"; log in with the name as configured.
    client.user = smtp.user or sender
    try:
        client.login()
    except (smtplib.SMTPException, OSError) as exc:
        _close(client)
        raise DeliveryError(f"{smtp.host}:{port}: {_describe(exc, smtp.security, port)}") from None
    except UnicodeEncodeError:
        _close(client)
        # smtplib sends AUTH credentials as ASCII only; say so without echoing them.
        raise DeliveryError(
            f"{smtp.host}:{port}: the SMTP user name or password has non-ASCII characters, "
            "which SMTP AUTH (Python's smtplib) cannot send"
        ) from None
    return client


def _close(client) -> None:
    try:
        client.close()
    except Exception:  # the QUIT after a failure may fail too; the outcome is already known
        pass


def smtp_port(config: AppConfig) -> int:
    return config.smtp.port or {"ssl": 465, "starttls": 587, "none": 25}[config.smtp.security]


def send_smtp(
    config: AppConfig,
    sender: str,
    recipients: Sequence[str],
    raw_message: str,
    env: Mapping[str, str] | None = None,
) -> ChannelResult:
    """One SMTP transaction on a fresh connection: MAIL, one RCPT per recipient, DATA.

    Each recipient's own RCPT reply decides its fate; the reply to the message (DATA) applies
    to every recipient the server had accepted.
    """
    recipients = list(recipients)
    if not recipients:
        return ChannelResult()
    where = f"{config.smtp.host}:{smtp_port(config)}"
    try:
        client = _connect(config, sender, env)
    except DeliveryError as exc:
        return ChannelResult.all_failed(recipients, str(exc))
    smtp: smtplib.SMTP = client.smtp
    attempts: list[Attempt] = []
    accepted: list[str] = []
    text: bytes | str  # the server's reply text; smtplib gives bytes, its exceptions either
    try:
        smtp.ehlo_or_helo_if_needed()
        code, text = smtp.mail(sender)
        if code != 250:
            error = f"{where}: sender {sender} refused: {_reply(code, text)}"
            return ChannelResult([Attempt(r, False, error, kind_of(code)) for r in recipients])
        for recipient in recipients:
            code, text = smtp.rcpt(recipient)
            if code in (250, 251):
                accepted.append(recipient)
            else:
                attempts.append(Attempt(recipient, False, f"{where}: {_reply(code, text)}", kind_of(code)))
        if not accepted:
            smtp.rset()
            return ChannelResult(attempts)
        try:
            code, text = smtp.data(raw_message.encode("ascii"))
        except smtplib.SMTPDataError as exc:  # the DATA command itself was refused
            code, text = exc.smtp_code, exc.smtp_error
        if code == 250:
            attempts.extend(Attempt(r, True) for r in accepted)
        else:
            attempts.extend(
                Attempt(r, False, f"{where}: {_reply(code, text)}", kind_of(code)) for r in accepted
            )
        return ChannelResult(attempts)
    except (smtplib.SMTPException, OSError) as exc:
        # Cut off mid-transaction: whoever has no answer yet is retried later (the same Message-ID
        # lets a reader see a duplicate for what it is, should the server have kept the message).
        error = f"{where}: {_describe(exc, config.smtp.security, smtp_port(config))}"
        done = {a.destination for a in attempts}
        attempts.extend(Attempt(r, False, error, TRANSIENT) for r in recipients if r not in done)
        return ChannelResult(attempts, session_error=error if not accepted and not done else None)
    finally:
        _close(client)


def write_outbox(config: AppConfig, digest_id: int, created_stamp: str, raw_message: str, html: str) -> str:
    """Write ``<stamp>-digest-<id>.eml`` and ``.html`` atomically (temp file, then rename); the .eml path."""
    folder = config.resolve_path(config.digest.outbox)
    stem = f"{created_stamp}-digest-{digest_id}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in ((".html", html.encode("utf-8")), (".eml", raw_message.encode("ascii"))):
            final = folder / f"{stem}{suffix}"
            tmp = final.with_name(final.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, final)
    except OSError as exc:
        raise DeliveryError(f"cannot write to outbox {folder}: {exc.strerror or exc}") from None
    return str(Path(folder) / f"{stem}.eml")


@dataclass(frozen=True)
class Message:
    """What a channel delivers: the recorded digest's bytes and what names its files; for chat
    channels, its subject and stories (``items``: monitor.digest.content.Item, headline first;
    ``overflow``: stories beyond digest.max_items, counted only)."""

    digest_id: int
    sender: str
    raw_message: str
    html: str
    created_stamp: str  # local time, for outbox file names
    subject: str = ""
    items: tuple = ()
    overflow: int = 0


def email_channel(
    config: AppConfig, message: Message, destinations: Sequence[str], env: Mapping[str, str] | None
) -> ChannelResult:
    return send_smtp(config, message.sender, destinations, message.raw_message, env)


def outbox_channel(
    config: AppConfig, message: Message, destinations: Sequence[str], env: Mapping[str, str] | None
) -> ChannelResult:
    try:
        path = write_outbox(
            config, message.digest_id, message.created_stamp, message.raw_message, message.html
        )
    except DeliveryError as exc:
        return ChannelResult.all_failed(destinations, str(exc))
    return ChannelResult([Attempt(d, True) for d in destinations], outbox_path=path)


def chat_channel(
    config: AppConfig, message: Message, destinations: Sequence[str], env: Mapping[str, str] | None
) -> ChannelResult:
    """The digest in short form to each `[[notify]]` channel named in ``destinations``."""
    from monitor.notify.channels import send_digest

    return send_digest(config, message, destinations, os.environ if env is None else env)


Channel = Callable[[AppConfig, Message, Sequence[str], "Mapping[str, str] | None"], ChannelResult]
CHANNELS: dict[str, Channel] = {"email": email_channel, "outbox": outbox_channel, "chat": chat_channel}


def destinations(config: AppConfig, recipients: Sequence[str]) -> list[tuple[str, str]]:
    """(channel, destination) pairs a new digest goes to: each recipient by email when an SMTP
    host is set, else the outbox folder (once)."""
    if config.smtp.host:
        return [("email", r) for r in dict.fromkeys(recipients)]
    return [("outbox", config.digest.outbox)]
