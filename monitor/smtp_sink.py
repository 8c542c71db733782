"""A real SMTP server on loopback that keeps what it receives (aiosmtpd).

Used by the tests and by `newsmon demo`, so mail goes through a real SMTP
conversation without leaving the machine:

    with SmtpSink(folder="received") as sink:   # port 0: a free port is picked
        ...send to 127.0.0.1:sink.port...
        sink.wait_for(1)
        sink.messages[0]["Subject"]

``reject=True`` (or setting ``sink.reject`` later) makes it refuse every message
with a 554, as a server that will not take mail does; ``credentials`` makes it
require AUTH LOGIN/PLAIN with that user and password (allowed without TLS:
loopback only). To misbehave per recipient or per message, set at any time:

    sink.rcpt_replies["desk@example.org"] = "552 5.2.2 Mailbox full"   # or a 4xx
    sink.data_reply = "451 4.3.0 Try again later"                       # the reply to the message
    sink.stall_seconds = 30                                             # hang before answering DATA
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
import warnings
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.sink.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.stall_seconds:
            await asyncio.sleep(self.sink.stall_seconds)
        if self.sink.reject:
            return "554 5.7.1 Message refused by the test sink"
        if self.sink.data_reply:
            return self.sink.data_reply
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sink._keep(Envelope(envelope.mail_from, list(envelope.rcpt_tos), data))
        return "250 2.0.0 OK: queued"


class _Authenticator:
    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if self.credentials.get(user) == password:
                return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to listen on port 0 and report the port it got."""

    def factory(self):
        # aiosmtpd warns about AUTH without TLS on every connection; on loopback that is the point.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()

    def _create_server(self):
        inner = super()._create_server()

        async def bind():
            server = await inner
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


class SmtpSink:
    """An SMTP server on ``host``:``port`` (0 = any free port) that stores every accepted message
    in ``.messages`` (and as ``NNNN.eml`` in ``folder`` when given)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        folder: str | Path | None = None,
        *,
        reject: bool = False,
        credentials: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self.folder = Path(folder) if folder is not None else None
        self.reject = reject
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.stall_seconds: float = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self._lock = threading.Condition()
        kwargs: dict[str, Any] = {}
        if credentials:
            kwargs.update(
                authenticator=_Authenticator(dict(credentials)), auth_required=True, auth_require_tls=False
            )
        self._controller = _Controller(_Handler(self), hostname=host, port=port, **kwargs)
        self._started = False

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> SmtpSink:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._controller.stop()
            self._started = False

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _keep(self, envelope: Envelope) -> None:
        message = email.message_from_bytes(envelope.data, policy=email.policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message)
            if self.folder is not None:
                (self.folder / f"{len(self.messages):04d}.eml").write_bytes(envelope.data)
            self._lock.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` messages have arrived; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()
