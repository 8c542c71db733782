"""Entry point of the daemon's children: `python -m monitor.daemon.child <newsmon args>`.

The same as `newsmon <args>` (a crawl or a digest), except that on Linux the child asks
the kernel to send it SIGTERM when the daemon that started it dies. Without that, a
daemon killed with SIGKILL would leave its crawl running, and the next daemon could
start a second crawl of the same source beside it.
"""

from __future__ import annotations

import os
import signal
import sys

PARENT_ENV = "NEWSMON_DAEMON_PID"


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    expected = os.environ.get(PARENT_ENV)
    # The parent may have died before prctl took effect: then nobody will signal us.
    if expected and os.getppid() != int(expected):
        sys.exit(3)


def main() -> None:
    _die_with_parent()
    from monitor.cli import main as cli_main

    cli_main(sys.argv[1:])


if __name__ == "__main__":
    main()
