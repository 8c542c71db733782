"""Logging set-up shared by the command line and the daemon: one stderr handler (the live
progress display may swap stderr) and optionally a file, with brief lines below -v."""

from __future__ import annotations

import logging
import sys


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes: the live progress display of
    `newsmon crawl` swaps it for a proxy that prints above the table."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(level: int, log_file: str | None = None) -> None:
    """One stderr handler (and optionally a file) at ``level``.

    The level sits on the handlers, not only the root logger: Scrapy sets its own
    loggers to DEBUG, and their records reach every root handler.
    """
    root = logging.getLogger()
    # Tracebacks are for -v: without it a failure is the one line that names it.
    fmt = (logging.Formatter if level < logging.WARNING else _BriefFormatter)(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in list(root.handlers):
        if getattr(handler, "_newsmon", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = [_StderrHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setLevel(level)
        handler.setFormatter(fmt)
        handler._newsmon = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(level, root.level) if root.level else level)


class _BriefFormatter(logging.Formatter):
    """A log line without its traceback (the exception's own message is kept on the line)."""

    def format(self, record: logging.LogRecord) -> str:
        if not (record.exc_info or record.exc_text or record.stack_info):
            return super().format(record)
        exc = record.exc_info[1] if record.exc_info else None
        brief = logging.makeLogRecord(record.__dict__)
        brief.exc_info = brief.exc_text = brief.stack_info = None
        line = super().format(brief)
        if exc is not None and str(exc) and str(exc) not in line:
            line += f" ({type(exc).__name__}: {exc})"
        return line
