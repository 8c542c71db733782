"""A loopback HTTP server standing in for a chat service: Apprise's ``json://127.0.0.1:PORT/PATH``
URLs post one JSON object (title, message) per message to it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServer:
    """Records every POST (path, JSON body); answers each path with the next queued status (200
    when none is queued)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.replies: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                with server._lock:
                    server.posts.append((path, json.loads(body or b"{}")))
                    queued = server.replies.get(path) or []
                    code = queued.pop(0) if queued else 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def messages(self, path: str) -> list[dict]:
        with self._lock:
            return [body for p, body in self.posts if p == f"/{path}"]

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
