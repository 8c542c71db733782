"""Waiting on a condition with a deadline (never a bare sleep standing in for one), and a free
loopback port."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll PREDICATE until it returns something truthy, and return that; fail naming WHAT after
    TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on HOST:PORT."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def listening_sockets(pid: int) -> set[int]:
    """Inodes of the TCP sockets process PID listens on (Linux /proc; empty where it has none)."""
    return tcp_sockets(pid, state="0A")  # TCP_LISTEN


def tcp_sockets(pid: int, state: str | None = None) -> set[int]:
    """Inodes of the TCP sockets process PID holds (in that state, if given)."""
    try:
        fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return set()
    mine = {int(link[8:-1]) for link in fds if link.startswith("socket:[")}
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if state is None or fields[3] == state:
                found.add(int(fields[9]))
    return mine & found
