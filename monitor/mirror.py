"""The offline mirror: a real HTTP server on loopback that serves fixture copies of
the news sites, so tests and the demo crawl without the internet.

``GET /<host>/<path>`` serves ``<root>/<host>/<path>``. Per-host routes in
``<root>/<host>/_mirror.toml`` give special paths a file, a content type, a status
or a redirect (see tests/mirror/README.md). The server behaves like a real site
where crawlers notice: status codes, content types, gzip, ETag/Last-Modified with
304, and redirects whose Location is the real site's URL.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import logging
import mimetypes
import threading
import time
import tomllib
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


#: Faults the committed mirror plants on purpose, by demo source (see tests/mirror/src), so the
#: demo can tell its errors from real trouble. Keep in step with the mirror's sources.
PLANTED_FAULTS: dict[str, tuple[str, ...]] = {
    "hanoimoi": (
        "a feed that is missing (404)",
        "a listing page that answers 500",
        "a truncated article page",
        "an article without a readable date",
    ),
    "tass": ("an article without a readable date",),
}


def default_root() -> Path:
    """The mirror's sites, installed with the package (monitor/mirror_sites, generated from
    tests/mirror/src): the demo and the tests serve it, from a checkout or any install."""
    return Path(__file__).resolve().parent / "mirror_sites"


@dataclass
class Route:
    path: str
    file: str | None = None
    content_type: str | None = None
    status: int = 200
    redirect: str | None = None
    # Seconds to wait before answering: a slow or hung site, for time-limit tests.
    delay: float = 0


@dataclass
class Hit:
    host: str
    path: str
    status: int


@dataclass
class MirrorState:
    root: Path
    blocked_hosts: set[str] = field(default_factory=set)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _routes: dict[str, tuple[float, dict[str, Route]]] = field(default_factory=dict)

    def routes(self, host: str) -> dict[str, Route]:
        """The host's routes, re-read when _mirror.toml changes (tests edit mirrors live)."""
        path = self.root / host / "_mirror.toml"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return {}
        cached = self._routes.get(host)
        if cached and cached[0] == mtime:
            return cached[1]
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        routes = {r["path"]: Route(**r) for r in data.get("route", [])}
        self._routes[host] = (mtime, routes)
        return routes


class MirrorHandler(BaseHTTPRequestHandler):
    server_version = "newsmon-mirror/1.0"
    protocol_version = "HTTP/1.1"
    state: MirrorState  # set on the subclass made per server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        logger.debug("mirror: " + format, *args)

    def do_HEAD(self) -> None:
        self.handle_get(head=True)

    def do_GET(self) -> None:
        self.handle_get(head=False)

    # ------------------------------------------------------------------

    def handle_get(self, head: bool) -> None:
        target = urlsplit(self.path)
        host, _, rest = unquote(target.path).lstrip("/").partition("/")
        self._target = (host, "/" + rest)
        if "\x00" in host or "\x00" in rest:
            # No file name holds a NUL (the OS refuses it): a bad request, not a server error.
            self._send_error(HTTPStatus.BAD_REQUEST, "Bad Request", head)
            return
        self._serve(host, "/" + rest, head)

    def _serve(self, host: str, path: str, head: bool) -> int:
        root = self.state.root
        site = (root / host).resolve() if host else None
        if not host or site is None or not site.is_dir() or root.resolve() not in site.parents:
            return self._send_error(HTTPStatus.NOT_FOUND, "unknown site", head)
        if host in self.state.blocked_hosts:
            return self._send_error(HTTPStatus.FORBIDDEN, "Access denied", head)

        route = self.state.routes(host).get(path)
        if route is not None and route.delay:
            time.sleep(route.delay)
        if route is not None:
            if route.redirect:
                location = route.redirect
                if location.startswith("/"):
                    # Crawlers resolve Location against the real URL they asked for.
                    location = f"https://{host}{location}"
                return self._send(301, b"", "text/html; charset=utf-8", head, extra={"Location": location})
            if route.file is None and route.status >= 400:
                return self._send_error(route.status, HTTPStatus(route.status).phrase, head)
            file = self._resolve(site, "/" + route.file if route.file else path)
            if file is None:
                return self._send_error(HTTPStatus.NOT_FOUND, "Not Found", head, site)
            return self._send_file(file, route.status, route.content_type, head)

        file = self._resolve(site, path)
        if file is None:
            return self._send_error(HTTPStatus.NOT_FOUND, "Not Found", head, site)
        return self._send_file(file, 200, None, head)

    @staticmethod
    def _resolve(site: Path, path: str) -> Path | None:
        candidate = (site / path.lstrip("/")).resolve()
        if candidate != site and site not in candidate.parents:
            return None  # no escaping the site folder with ../
        if candidate.is_dir():
            candidate = candidate / "index.html"
        elif not candidate.exists() and not candidate.suffix:
            candidate = candidate.with_name(candidate.name + ".html")
        if candidate.is_file() and not candidate.name.startswith("_"):
            return candidate
        return None

    def _send_file(self, file: Path, status: int, content_type: str | None, head: bool) -> int:
        body = file.read_bytes()
        content_type = (
            content_type
            or _TYPES.get(file.suffix.lower())
            or (mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        )
        if status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            mtime = int(file.stat().st_mtime)
            last_modified = email.utils.formatdate(mtime, usegmt=True)
            if self._not_modified(etag, mtime):
                return self._send(304, b"", None, True, extra={"ETag": etag, "Last-Modified": last_modified})
            return self._send(
                status, body, content_type, head, extra={"ETag": etag, "Last-Modified": last_modified}
            )
        return self._send(status, body, content_type, head)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return mtime <= since
        return False

    def _send_error(self, status: int, message: str, head: bool, site: Path | None = None) -> int:
        page = site / "404.html" if site is not None and status == 404 else None
        if page is not None and page.is_file():
            body = page.read_bytes()
        else:
            body = (
                f"<!DOCTYPE html><html><head><title>{int(status)} {message}</title></head>"
                f"<body><h1>{int(status)} {message}</h1></body></html>".encode()
            )
        return self._send(int(status), body, "text/html; charset=utf-8", head)

    def _send(
        self, status: int, body: bytes, content_type: str | None, head: bool, extra: dict | None = None
    ) -> int:
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if body and accepts_gzip and len(body) > 256:
            body = gzip.compress(body, mtime=0)
            encoded = True
        else:
            encoded = False
        # Logged before the response goes out: a client that has read it may look at the log at once.
        with self.state.lock:
            self.state.hits.append(Hit(*self._target, status))
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304 and body:
            self.wfile.write(body)
        return status


class MirrorServer:
    """The mirror on a thread: ``with MirrorServer(root) as m: m.url``."""

    def __init__(
        self,
        root: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        blocked_hosts: set[str] | None = None,
    ) -> None:
        self.state = MirrorState(
            root=(root or default_root()).resolve(), blocked_hosts=set(blocked_hosts or ())
        )
        if not self.state.root.is_dir():
            raise FileNotFoundError(f"mirror root {self.state.root} is not a folder")
        handler = type("BoundMirrorHandler", (MirrorHandler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        assert isinstance(host, str)  # an IPv4/IPv6 server's address is (str, int, ...)
        return f"http://{host}:{port}"

    @property
    def hits(self) -> list[Hit]:
        with self.state.lock:
            return list(self.state.hits)

    def clear_hits(self) -> None:
        with self.state.lock:
            self.state.hits.clear()

    def start(self) -> MirrorServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="newsmon-mirror", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
