"""Delivering a recorded digest: over SMTP (yagmail), or into the outbox folder.

Each call makes exactly one attempt and reports it; retrying is the next
digest run's job, with the same recorded bytes. Retrying inside one run is how
other tools mail a digest twice: a timeout after the server accepted DATA looks
like a failure, and an immediate resend duplicates it.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from settings import AppConfig

log = logging.getLogger(__name__)

PASSWORD_ENV = "NEWSMON_SMTP_PASSWORD"


class DeliveryError(Exception):
    """A delivery attempt failed; the message is safe to show and log (never holds the password)."""


@dataclass(frozen=True)
class Delivered:
    status: str  # sent | outbox
    warning: str | None = None  # e.g. some (not all) recipients refused
    outbox_path: str | None = None


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
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
            return None
        # Desktop keyrings need a session bus; without one they can block or prompt.
        name = type(backend).__module__.lower()
        if ("secretservice" in name or "kwallet" in name) and not env.get("DBUS_SESSION_BUS_ADDRESS"):
            return None
        return keyring.get_password(config.smtp.keyring_service, user)
    except Exception as exc:  # a broken keyring must not stop the digest
        log.warning("keyring lookup failed (%s); set %s instead", type(exc).__name__, PASSWORD_ENV)
        return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code}: {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused: " + ", ".join(sorted(exc.recipients))
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


def send_smtp(config: AppConfig, sender: str, recipients: list[str], raw_message: str,
              env: Mapping[str, str] | None = None) -> Delivered:
    """One SMTP transaction for one digest, on a fresh connection that is closed afterwards."""
    import yagmail

    smtp = config.smtp
    if not recipients:
        raise DeliveryError("no recipients: set digest.recipients or NEWSMON_DIGEST_TO")
    password = smtp_password(config, env)
    if smtp.user and not password:
        raise DeliveryError(f"no SMTP password for {smtp.user}: set {PASSWORD_ENV} or store it with "
                            f"`keyring set {smtp.keyring_service} {smtp.user}`")
    port = smtp.port or {"ssl": 465, "starttls": 587, "none": 25}[smtp.security]
    context = ssl.create_default_context()
    extra = {"timeout": smtp.timeout_seconds}
    if smtp.security == "ssl":
        extra["context"] = context
    # yagmail's own connection handling (SSL, STARTTLS, login), with its unsafe defaults closed:
    # the password is always passed in (yagmail would otherwise prompt and offer to store it),
    # STARTTLS verifies the certificate (smtplib's default context does not), and the client
    # lives for this one message only (no stale connection kept between digests).
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
        refused = client.smtp.sendmail(sender, recipients, raw_message.encode("ascii"))
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"{smtp.host}:{port}: {_describe(exc)}") from None
    except UnicodeEncodeError:
        # smtplib sends AUTH credentials as ASCII only; say so without echoing them.
        raise DeliveryError(f"{smtp.host}:{port}: the SMTP user name or password has non-ASCII characters, "
                            "which SMTP AUTH (Python's smtplib) cannot send") from None
    finally:
        try:
            client.close()
        except Exception:  # the QUIT after a failure may fail too; the outcome is already known
            pass
    warning = None
    if refused:
        warning = "refused: " + ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(refused.items()))
    return Delivered("sent", warning)


def write_outbox(config: AppConfig, digest_id: int, created_stamp: str, raw_message: str, html: str) -> Delivered:
    """Write ``<stamp>-digest-<id>.eml`` and ``.html`` atomically (temp file, then rename)."""
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
    path = str(Path(folder) / f"{stem}.eml")
    return Delivered("outbox", outbox_path=path)
