"""Small facts about processes, read from the operating system."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def pid_running(pid: int) -> bool:
    """True when the process exists and has not ended (a zombie, not yet reaped, has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return pid_alive(pid) if not Path("/proc").is_dir() else False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def rss_kb(pid: int | None = None) -> int | None:
    """Resident memory of a process in KiB (Linux /proc); None where that is not available."""
    path = Path(f"/proc/{pid or os.getpid()}/status")
    try:
        for line in path.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
