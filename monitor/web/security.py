"""Who may use the web app, and what every response carries.

- Bound to loopback, no token is needed (the machine's own users only). On any other
  address a token is required (``NEWSMON_WEB_TOKEN``): as ``Authorization: Bearer TOKEN``,
  or once through the login form, which sets an HttpOnly cookie holding a keyed hash of it.
- Every write is a POST. Form posts carry a CSRF token that must equal the value of a
  SameSite=Strict cookie (double submit); requests authenticated by a bearer header need
  none (a browser cannot add that header to a cross-site request).
- Every response gets a strict Content-Security-Policy (no inline scripts or styles),
  nosniff, frame denial and no referrer.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from starlette.requests import Request

TOKEN_ENV = "NEWSMON_WEB_TOKEN"
AUTH_COOKIE = "newsmon_auth"
CSRF_COOKIE = "newsmon_csrf"
CSRF_FIELD = "csrf"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class WebSecurityError(Exception):
    """The web app refuses to start as configured (the message says why)."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_token_for(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise WebSecurityError(
            f"newsmon web on {host} (not loopback) needs a token: set {TOKEN_ENV} to a long random "
            "string, e.g. `export NEWSMON_WEB_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')`"
        )


class Guard:
    """Token and CSRF checks for one running app."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None
        # The auth cookie holds a keyed hash, never the token itself.
        self._key = secrets.token_bytes(32)

    def cookie_value(self) -> str:
        assert self.token is not None
        return hmac.new(self._key, self.token.encode(), hashlib.sha256).hexdigest()

    def token_matches(self, given: str) -> bool:
        if not self.token:
            return False
        return hmac.compare_digest(given.encode(), self.token.encode())

    def bearer(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(value.strip())

    def authenticated(self, request: Request) -> bool:
        if self.token is None:
            return True
        if self.bearer(request):
            return True
        cookie = request.cookies.get(AUTH_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie, self.cookie_value())

    @staticmethod
    def csrf_cookie(request: Request) -> str:
        return request.cookies.get(CSRF_COOKIE) or ""

    def csrf_ok(self, request: Request, submitted: str | None) -> bool:
        if self.token is not None and self.bearer(request):
            return True
        cookie = self.csrf_cookie(request)
        return bool(cookie and submitted) and hmac.compare_digest(cookie, submitted or "")


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)
