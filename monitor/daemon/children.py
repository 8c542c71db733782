"""The daemon's work in child processes: a fresh Twisted reactor and fresh memory for
every crawl, a daemon that never imports Scrapy, a time limit, and a kill that reaches
the whole process group."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from monitor.daemon.child import PARENT_ENV, RESULT_ENV
from monitor.daemon.proc import rss_kb
from storage.models import utcnow

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.2
_TAIL_BYTES = 4000


def child_command(config_path: str | None, task: str, *args: str) -> list[str]:
    """A task of monitor.daemon.child (crawl SOURCE, digest, web) as a child process."""
    argv = [sys.executable, "-m", "monitor.daemon.child"]
    if config_path:
        argv += ["-c", config_path]
    return [*argv, task, *args]


@dataclass
class ChildResult:
    """How one child ended."""

    name: str
    started_at: datetime
    seconds: float
    returncode: int | None
    # What it wrote to the result file the daemon named (a crawl's or digest's outcome as
    # JSON), when it got that far.
    output: str | None = None
    # Why the daemon stopped it (time limit, shutdown); None when it ended by itself.
    stop_reason: str | None = None
    # The last lines it wrote to stderr, for a crash message.
    stderr_tail: str = ""
    peak_rss_kb: int | None = None
    killed_hard: bool = False


@dataclass
class ChildProcess:
    """One child process (a crawl of one source, or a digest). ``run()`` blocks until it
    ends; ``stop(reason)`` from any thread makes it end: SIGTERM to its process group
    (Scrapy closes the crawl and its record), then SIGKILL after ``kill_grace`` seconds.
    The child finds the file for its result in the environment (RESULT_ENV)."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    time_limit: float
    kill_grace: float = 10.0
    cwd: str | None = None
    _stop_reason: str | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    pid: int | None = field(default=None, init=False)

    def stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason

    def run(self) -> ChildResult:
        started_at = utcnow()
        t0 = time.monotonic()
        env = dict(self.env)
        env[PARENT_ENV] = str(os.getpid())
        with tempfile.TemporaryDirectory(prefix="newsmon-child-") as folder, tempfile.TemporaryFile() as err:
            result_file = Path(folder) / "result.json"
            env[RESULT_ENV] = str(result_file)
            # Its own session and process group: a terminal's Ctrl-C reaches only the daemon,
            # which decides what happens to crawls; and a kill reaches anything the crawl started.
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )
            self.pid = proc.pid
            peak = None
            stop_reason: str | None = None
            term_at: float | None = None
            killed_hard = False
            deadline = t0 + self.time_limit
            while True:
                try:
                    proc.wait(timeout=_POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    pass
                rss = rss_kb(proc.pid)
                if rss is not None and (peak is None or rss > peak):
                    peak = rss
                now = time.monotonic()
                if stop_reason is None:
                    with self._lock:
                        stop_reason = self._stop_reason
                    if stop_reason is None and now >= deadline:
                        stop_reason = f"exceeded its time limit of {_human(self.time_limit)}"
                    if stop_reason is not None:
                        logger.warning("stopping %s: %s", self.name, stop_reason)
                        _signal_group(proc.pid, signal.SIGTERM)
                        term_at = now
                elif not killed_hard and term_at is not None and now - term_at >= self.kill_grace:
                    logger.warning(
                        "%s did not stop within %s: killing it", self.name, _human(self.kill_grace)
                    )
                    _signal_group(proc.pid, signal.SIGKILL)
                    killed_hard = True
            if stop_reason is not None:
                # Whatever the crawl itself started must not outlive it.
                _signal_group(proc.pid, signal.SIGKILL)
            output = result_file.read_text(encoding="utf-8") if result_file.exists() else None
            tail = _tail(err)
        return ChildResult(
            self.name,
            started_at,
            time.monotonic() - t0,
            proc.returncode,
            output,
            stop_reason,
            tail,
            peak,
            killed_hard,
        )


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - _TAIL_BYTES))
    return stream.read().decode("utf-8", "replace").strip()


def _human(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
