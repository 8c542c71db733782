"""Loopback HTTP servers that misbehave on purpose, for crawl tests.

``MisbehavingServer`` answers each path with what its route says: a status, headers
and body; a list of answers given in turn (the last one repeats); a gzip bomb; a page
cut short; or no answer at all until the server stops. It records every hit with its
time, so a test can check what was (and was not) requested, and when.
``SilentServer`` accepts connections and never answers a byte.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: Send the body gzip-compressed (Content-Encoding: gzip).
    gzip: bool = False
    #: Send an ETag and answer If-None-Match with 304.
    etag: bool = False
    #: Hold the connection open without answering until the server stops.
    hang: bool = False

    def raw_body(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, content_type=None, headers={"Location": location})


def gzip_bomb(size: int) -> Reply:
    """``size`` bytes of spaces inside an HTML page, gzip-compressed (a few KB on the wire)."""
    return Reply(body=b"<html><body>" + b" " * size + b"</body></html>", gzip=True)


Route = Reply | list[Reply] | Callable[[], Reply]


@dataclass
class Hit:
    path: str
    at: float
    headers: dict[str, str]


class MisbehavingServer:
    """``with MisbehavingServer({"/feed": Reply(...)}) as s: s.url``"""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: list[Hit] = []
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server._answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def hits_of(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def _next_reply(self, path: str) -> Reply:
        route = self.routes.get(path)
        if route is None:
            return Reply(status=404, body="<html><body>not here</body></html>")
        if callable(route):
            return route()
        if isinstance(route, list):
            with self._lock:
                n = self._served.get(path, 0)
                self._served[path] = n + 1
            return route[min(n, len(route) - 1)]
        return route

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.hits.append(Hit(path, time.monotonic(), dict(handler.headers.items())))
        reply = self._next_reply(path)
        if reply.hang:
            self._stopping.wait()
            handler.close_connection = True
            return
        body = reply.raw_body()
        headers = dict(reply.headers)
        status = reply.status
        if reply.etag:
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            headers.setdefault("Last-Modified", email.utils.formatdate(1_790_000_000, usegmt=True))
            if handler.headers.get("If-None-Match") == tag:
                status, body = 304, b""
        if reply.gzip and body:
            body = gzip.compress(body, compresslevel=9, mtime=0)
            headers["Content-Encoding"] = "gzip"
        handler.send_response(status)
        if reply.content_type and status != 304:
            handler.send_header("Content-Type", reply.content_type)
        for key, value in headers.items():
            handler.send_header(key, value)
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 304 and body:
            handler.wfile.write(body)

    def start(self) -> MisbehavingServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="misbehaving", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> MisbehavingServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SilentServer:
    """Accepts TCP connections on loopback and never answers (a site behind a black hole)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="silent", daemon=True)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            self._conns.append(conn)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self.sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- pages they serve

RU = (
    "Москва и Ханой договорились о сотрудничестве в области образования и науки. "
    "Стороны подписали меморандум о взаимопонимании в столице Вьетнама. "
)


def article(title: str, paragraphs: int = 3, *, charset: str | None = None, cut: bool = False) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    paras = [f"<p>{title}: {RU} Абзац номер {i + 1}.</p>" for i in range(paragraphs)]
    head = (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body><article>"
        f'<h1>{title}</h1><time datetime="2026-11-20T08:00:00+07:00">20 ноября 2026</time><div class="body">'
    )
    if cut:
        return head + paras[0] + "<p>" + RU[:40]
    return head + "".join(paras) + "</div></article></body></html>"


def rss(base: str, links: list[str]) -> str:
    items = "".join(
        f"<item><title>t{i}</title><link>{link}</link><guid>{link}</guid></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>site</title>'
        f"<link>{base}/</link><description>d</description>{items}</channel></rss>"
    )
