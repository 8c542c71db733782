"""Progress of `newsmon crawl` while it runs, on standard error.

On a terminal: a live table (Rich), one row per source with pages fetched, articles
seen and new, errors and the time it has taken. Elsewhere (a pipe, a log file, cron):
plain lines, one when a source starts, at most one every ``PLAIN_EVERY`` seconds while
its counts change, and one when it ends. ``-q`` shows none of it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import IO, Protocol

# A plain progress line for one source at most this often (seconds).
PLAIN_EVERY = 10.0


@dataclass
class SourceProgress:
    """What one source's crawl has done so far."""

    source: str
    state: str = "waiting"  # waiting | crawling | finished | stopped (the reason Scrapy gave)
    pages: int = 0
    seen: int = 0
    new: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def counts_text(self) -> str:
        return f"pages={self.pages} seen={self.seen} new={self.new} errors={self.errors}"


class Progress(Protocol):
    """What a crawl tells about itself while it runs."""

    def start(self, sources: list[str]) -> None: ...

    def update(self, source: str, pages: int, seen: int, new: int, errors: int) -> None: ...

    def finish(self, source: str, reason: str) -> None: ...

    def close(self) -> None: ...


class _Tracker:
    """The state both displays keep."""

    def __init__(self) -> None:
        self.rows: dict[str, SourceProgress] = {}

    def start(self, sources: list[str]) -> None:
        self.rows = {name: SourceProgress(name) for name in sources}

    def _apply(
        self, source: str, pages: int, seen: int, new: int, errors: int
    ) -> tuple[SourceProgress, bool]:
        row = self.rows.setdefault(source, SourceProgress(source))
        before = (row.pages, row.seen, row.new, row.errors)
        row.pages, row.seen, row.new, row.errors = pages, seen, new, errors
        if row.state == "waiting":
            row.state = "crawling"
        return row, before != (pages, seen, new, errors)

    def _end(self, source: str, reason: str) -> SourceProgress:
        row = self.rows.setdefault(source, SourceProgress(source))
        row.state = "finished" if reason == "finished" else f"stopped ({reason})"
        row.ended = time.monotonic()
        return row


class PlainProgress(_Tracker):
    """Lines a log or a pipe can keep: start, changes every PLAIN_EVERY seconds, end."""

    def __init__(self, stream: IO[str] | None = None, every: float = PLAIN_EVERY) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.every = every
        self._last: dict[str, float] = {}

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, sources: list[str]) -> None:
        super().start(sources)
        now = time.monotonic()
        for name in sources:
            self._last[name] = now
        self._say(f"crawling {len(sources)} source(s): {', '.join(sources)}")

    def update(self, source: str, pages: int, seen: int, new: int, errors: int) -> None:
        row, changed = self._apply(source, pages, seen, new, errors)
        now = time.monotonic()
        if changed and now - self._last.get(source, 0.0) >= self.every:
            self._last[source] = now
            self._say(f"{source}: {row.counts_text()} ({row.seconds:.0f} s)")

    def finish(self, source: str, reason: str) -> None:
        row = self._end(source, reason)
        self._say(f"{source}: {row.state}, {row.counts_text()} ({row.seconds:.1f} s)")

    def close(self) -> None:
        pass


class LiveProgress(_Tracker):
    """A live table on the terminal, redrawn in place (Rich)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        super().__init__()
        self.console = Console(file=stream or sys.stderr)
        # Log lines (-v) written while the table is up are printed above it, not through it.
        self.live = Live(
            console=self.console,
            refresh_per_second=4,
            transient=False,
            redirect_stderr=stream is None,
            redirect_stdout=False,
            get_renderable=self._table,
        )

    def _table(self):
        from rich.table import Table

        table = Table(title="newsmon crawl", title_justify="left", expand=False)
        table.add_column("source")
        table.add_column("state")
        for name in ("pages", "seen", "new", "errors"):
            table.add_column(name, justify="right")
        table.add_column("time", justify="right")
        for row in self.rows.values():
            style = "red" if row.errors or row.state.startswith("stopped") else None
            table.add_row(
                row.source,
                row.state,
                str(row.pages),
                str(row.seen),
                str(row.new),
                str(row.errors),
                f"{row.seconds:.0f} s",
                style=style,
            )
        return table

    def start(self, sources: list[str]) -> None:
        super().start(sources)
        self.live.start()

    def update(self, source: str, pages: int, seen: int, new: int, errors: int) -> None:
        self._apply(source, pages, seen, new, errors)

    def finish(self, source: str, reason: str) -> None:
        self._end(source, reason)

    def close(self) -> None:
        self.live.refresh()
        self.live.stop()


def progress_for(quiet: bool, stream: IO[str] | None = None) -> Progress | None:
    """The display that fits where standard error goes: none (-q), a live table, or plain lines."""
    out = stream or sys.stderr
    if quiet:
        return None
    if out.isatty():
        return LiveProgress(stream)
    return PlainProgress(stream)
