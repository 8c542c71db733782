"""One daemon per database: a lock row with a heartbeat, taken over when its daemon is dead."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from monitor.daemon.proc import pid_alive, rss_kb
from storage import Database
from storage.daemon import DaemonLockStore
from storage.models import DaemonLock, utcnow

logger = logging.getLogger(__name__)

# Owner tokens of the locks this process holds (to tell them from a dead namesake's).
_HELD_HERE: set[str] = set()


class LockHeld(Exception):
    """Another live daemon holds the lock; the message says which and what to do."""

    def __init__(self, holder: DaemonLock, message: str) -> None:
        super().__init__(message)
        self.holder = holder


def describe_holder(holder: DaemonLock) -> str:
    age = (utcnow() - holder.heartbeat_at).total_seconds()
    what = "newsmon run --once" if holder.mode == "once" else "newsmon daemon"
    return (
        f"{what} pid {holder.pid} on {holder.host}, started {holder.started_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"last heartbeat {age:.0f} s ago"
    )


class DatabaseLock:
    """Holds the database's daemon lock and keeps its heartbeat fresh on a thread.

    A holder is dead (its lock stale) when its heartbeat is older than ``stale_after``
    seconds, or at once when it ran on this host and its pid is gone (a killed daemon
    restarted by systemd does not wait out the staleness period).
    """

    def __init__(
        self,
        db: Database,
        *,
        mode: str = "daemon",
        stale_after: float = 120,
        heartbeat_seconds: float = 15,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.store = DaemonLockStore(db)
        self.mode = mode
        self.stale_after = stale_after
        self.heartbeat_seconds = heartbeat_seconds
        self.on_lost = on_lost
        self.owner = secrets.token_hex(16)
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def is_stale(self, holder: DaemonLock) -> bool:
        if utcnow() - holder.heartbeat_at > timedelta(seconds=self.stale_after):
            return True
        if holder.host == self.host:
            if holder.pid == self.pid:
                # Our pid but not a lock this process took: a container's daemon, restarted
                # with the same pid, left it behind.
                return holder.owner not in _HELD_HERE
            return not pid_alive(holder.pid)
        return False

    def acquire(self) -> DaemonLock | None:
        """Take the lock, or raise LockHeld. Returns the dead holder it took over from, if any."""
        ok, holder = self.store.try_acquire(self.owner, self.pid, self.host, self.mode, self.is_stale)
        if not ok:
            assert holder is not None
            raise LockHeld(
                holder,
                (
                    f"another newsmon is already running on this database ({describe_holder(holder)}). "
                    "Stop it first (e.g. `systemctl stop newsmon`); if it died, its lock is taken over "
                    f"automatically once its heartbeat is {self.stale_after:.0f} s old."
                ),
            )
        self.held = True
        _HELD_HERE.add(self.owner)
        self.store.heartbeat(self.owner, rss_kb())
        if holder is not None:
            logger.warning("took over the lock of a daemon that is gone (%s)", describe_holder(holder))
        self._thread = threading.Thread(target=self._beat, name="newsmon-heartbeat", daemon=True)
        self._thread.start()
        return holder

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                still_ours = self.store.heartbeat(self.owner, rss_kb())
            except Exception as exc:  # a database hiccup must not kill the daemon; retry next beat
                logger.warning("heartbeat failed: %s", exc)
                continue
            if not still_ours:
                logger.error("the daemon lock was taken over by another process; stopping")
                self.held = False
                _HELD_HERE.discard(self.owner)
                if self.on_lost:
                    self.on_lost()
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.held:
            try:
                self.store.release(self.owner)
            finally:
                self.held = False
                _HELD_HERE.discard(self.owner)

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
