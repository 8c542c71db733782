"""Rendering a digest: Jinja2 templates to HTML and plain text, then one MIME message."""

from __future__ import annotations

import email.policy
import re
import uuid
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.digest.content import DigestContent

SENDER_NAME = "newsmon"


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def display_url(url: str) -> str:
    """A link as a person reads it: percent-encoded UTF-8 letters decoded (…/phường-hoàn-kiếm…),
    while encoded ASCII (spaces, slashes, controls) and bytes that are not UTF-8 stay encoded,
    so the text still leads to the same page."""

    def decode(match: re.Match[str]) -> str:
        try:
            text = bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)
        return "".join(
            ch if ord(ch) > 127 and ch.isprintable() and not ch.isspace() else quote(ch, safe="")
            for ch in text
        )

    return _ESCAPES.sub(decode, url)


def safe_link(url: str) -> str:
    """Only http(s) links go into the HTML; anything else (javascript:, data:) becomes a dead link."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return "#"
    return url if scheme in ("http", "https") else "#"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.digest", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["link"] = safe_link
    env.filters["readable"] = display_url
    return env


def render_html(content: DigestContent) -> str:
    return environment().get_template("digest.html").render(d=content)


def render_text(content: DigestContent) -> str:
    text = environment().get_template("digest.txt").render(d=content)
    # Collapse the blank-line runs that template control blocks leave behind.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def new_message_id(sender: str) -> str:
    """A globally unique Message-ID in the sender's domain, made once per digest and kept."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "newsmon.localhost"
    return f"<digest.{uuid.uuid4().hex}@{domain}>"


def _address(text: str, default_name: str = "") -> Address:
    name, addr = parseaddr(text)
    if not addr or "@" not in addr:
        raise ValueError(f"not an email address: {text!r}")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name or default_name, username=user, domain=domain)


def address_header(recipients: list[str]) -> list[Address]:
    """The To: header of a digest (ValueError for anything that is not an address)."""
    return [_address(r) for r in recipients]


def build_message(
    *,
    subject: str,
    sender: str,
    recipients: list[str],
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    topic: str,
) -> EmailMessage:
    """multipart/alternative: the plain-text part first, the HTML part last (preferred by readers).

    Built with the standard library rather than yagmail's message helper: that one turns
    every newline of HTML content into <br> and puts the HTML source in the text part.
    """
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = _address(sender, f"{SENDER_NAME} · {topic}")
    msg["To"] = address_header(recipients)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Newsmon-Digest"] = message_id.strip("<>")
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg
