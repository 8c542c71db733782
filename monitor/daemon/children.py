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
from monitor.daemon.zygote import ForkedChild, Zygote, forkable
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
    # Forked from the zygote (False: started afresh).
    forked: bool = False
    # Set when the zygote that forked it died while it ran (it was ended with it: SIGTERM); the
    # exit code is then the one the child wrote itself, None when it wrote none (killed).
    zygote_lost: str | None = None

    def ended(self) -> str:
        """How it ended, for a message: its exit code, and whether its zygote died under it."""
        code = "an unknown exit code" if self.returncode is None else f"code {self.returncode}"
        if self.zygote_lost:
            return f"ended with {code} after {self.zygote_lost}"
        return f"exited with {code}"


@dataclass
class ChildProcess:
    """One child process (a crawl of one source, or a digest). ``run()`` blocks until it
    ends; ``stop(reason)`` from any thread makes it end: SIGTERM to its process group
    (Scrapy closes the crawl and its record), then SIGKILL after ``kill_grace`` seconds.
    The child finds the file for its result in the environment (RESULT_ENV).

    With a ``zygote``, a command of this interpreter (``-m MODULE`` or ``-c CODE``) is forked
    from it, with everything imported, instead of started afresh; the same guarantees hold, and
    a child the zygote cannot fork is started the plain way (monitor.daemon.zygote)."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    time_limit: float
    kill_grace: float = 10.0
    cwd: str | None = None
    zygote: Zygote | None = None
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
            child: _Child | None = None
            if self.zygote is not None and forkable(self.argv):
                forked = self.zygote.start(self.argv, env, self.cwd, Path(folder) / "stderr")
                if forked is not None:
                    watched = self._watch(forked, t0)
                    if watched.stop_reason is None and not forked.reached_task():
                        # Ended before its task began (the zygote died under it; what it said is
                        # in the daemon's own log): nothing of the task ran, so it runs now, the
                        # plain way.
                        self.zygote.failed(
                            f"{self.name} exited with code {forked.returncode} before it started"
                        )
                    elif forked.zygote_lost:
                        self.zygote.lost(self.name, forked.zygote_lost)
                        child = forked
                    else:
                        self.zygote.started()
                        child = forked
            if child is None:
                # Its own session and process group: a terminal's Ctrl-C reaches only the daemon,
                # which decides what happens to crawls; and a kill reaches anything the crawl started.
                child = _Exec(
                    subprocess.Popen(
                        self.argv,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                        env=env,
                        cwd=self.cwd,
                        start_new_session=True,
                    ),
                    err,
                )
                watched = self._watch(child, t0)
            output = result_file.read_text(encoding="utf-8") if result_file.exists() else None
            tail = child.stderr_tail(_TAIL_BYTES)
        return ChildResult(
            self.name,
            started_at,
            time.monotonic() - t0,
            child.returncode,
            output,
            watched.stop_reason,
            tail,
            watched.peak_rss_kb,
            watched.killed_hard,
            forked=child.forked,
            zygote_lost=getattr(child, "zygote_lost", None),
        )

    def _watch(self, child: _Child, t0: float) -> _Watched:
        """Wait for the child to end: sample its memory, and stop it at its time limit or when
        asked (SIGTERM to its group, SIGKILL after the grace)."""
        self.pid = child.pid
        watched = _Watched()
        term_at: float | None = None
        deadline = t0 + self.time_limit
        while not child.wait(_POLL_SECONDS):
            rss = rss_kb(child.pid)
            if rss is not None and (watched.peak_rss_kb is None or rss > watched.peak_rss_kb):
                watched.peak_rss_kb = rss
            now = time.monotonic()
            if watched.stop_reason is None:
                with self._lock:
                    stop_reason = self._stop_reason
                if stop_reason is None and now >= deadline:
                    stop_reason = f"exceeded its time limit of {_human(self.time_limit)}"
                if stop_reason is not None:
                    logger.warning("stopping %s: %s", self.name, stop_reason)
                    _signal_group(child.pid, signal.SIGTERM)
                    watched.stop_reason = stop_reason
                    term_at = now
            elif not watched.killed_hard and term_at is not None and now - term_at >= self.kill_grace:
                logger.warning("%s did not stop within %s: killing it", self.name, _human(self.kill_grace))
                _signal_group(child.pid, signal.SIGKILL)
                watched.killed_hard = True
        if watched.stop_reason is not None:
            # Whatever the crawl itself started must not outlive it.
            _signal_group(child.pid, signal.SIGKILL)
        return watched


@dataclass
class _Watched:
    stop_reason: str | None = None
    peak_rss_kb: int | None = None
    killed_hard: bool = False
    # Forked from the zygote (False: started afresh).
    forked: bool = False


class _Exec:
    """A child started afresh (exec of its command)."""

    forked = False

    def __init__(self, proc: subprocess.Popen[bytes], err: IO[bytes]) -> None:
        self._proc = proc
        self._err = err
        self.pid = proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def wait(self, timeout: float) -> bool:
        """Whether it has ended (then ``returncode``), waiting up to ``timeout`` seconds."""
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stderr_tail(self, size: int) -> str:
        self._err.seek(0, os.SEEK_END)
        self._err.seek(max(0, self._err.tell() - size))
        return self._err.read().decode("utf-8", "replace").strip()


_Child = _Exec | ForkedChild


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        # No such group (yet): a forked child that has not made its own session is still only
        # itself.
        try:
            os.kill(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    except PermissionError:
        pass


def _human(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
