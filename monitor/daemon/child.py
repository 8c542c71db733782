"""Entry point of the daemon's children: `python -m monitor.daemon.child [-c CONFIG] TASK ...`.

TASK is ``crawl SOURCE``, ``digest [--retry-due]``, ``notify`` or ``web``: the work of `newsmon crawl`,
`newsmon digest`, `newsmon notify` and `newsmon web`, done by the same library functions (not through the
command line). A crawl or digest writes its outcome as JSON to the file the daemon names in
NEWSMON_CHILD_RESULT (``CrawlOutcome.to_json``/``DigestOutcome.to_json``; the daemon reads it
back with ``from_json``). Errors go to stderr, whose last lines the daemon keeps.

On Linux the child also asks the kernel to send it SIGTERM when the daemon that started it
dies. Without that, a daemon killed with SIGKILL would leave its crawl running, and the
next daemon could start a second crawl of the same source beside it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import AppConfig

# The pid of the process this child must die with: the daemon, or the zygote that forked it
# (monitor.daemon.zygote), which itself exits with the daemon.
PARENT_ENV = "NEWSMON_DAEMON_PID"
# The file a crawl or digest child writes its outcome to (named by the daemon).
RESULT_ENV = "NEWSMON_CHILD_RESULT"


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when this process's parent dies; exit 3 at once when the parent
    is no longer the one named in PARENT_ENV (it died before the request took effect)."""
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


def write_result(text: str) -> None:
    """Hand the outcome to the daemon: written whole or not at all (a kill mid-write leaves
    no half an object), or printed when no daemon named a file."""
    target = os.environ.get(RESULT_ENV)
    if not target:
        print(text, flush=True)
        return
    partial = Path(f"{target}.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)


def _crawl(config: AppConfig, args: argparse.Namespace) -> int:
    import gc

    from monitor.crawling import check_sources, run_crawls
    from storage import Database

    names = check_sources(config, [args.source])
    Database(config.database_url)  # fail early and clearly if the database cannot be opened
    (outcome,) = run_crawls(config, names, install_logging=False)
    # The crawl's objects die with the process: skip the final garbage collection of them.
    gc.freeze()
    write_result(outcome.to_json())
    return 1 if outcome.status in ("failed", "blocked", "killed") else 0


def _digest(config: AppConfig, args: argparse.Namespace) -> int:
    from monitor.digest import run_digest
    from storage import Database

    outcome = run_digest(config, Database(config.database_url), compose_new=not args.retry_due)
    write_result(outcome.to_json())
    return 1 if outcome.status in ("pending", "failed") else 0


def _notify(config: AppConfig, _args: argparse.Namespace) -> int:
    import json

    from monitor.notify.service import run_notify
    from storage import Database

    outcome = run_notify(config, Database(config.database_url))
    write_result(json.dumps(outcome.as_dict(), ensure_ascii=False))
    return 0 if outcome.ok else 1


def _web(config: AppConfig, _args: argparse.Namespace) -> int:
    from monitor.web.security import TOKEN_ENV, WebSecurityError
    from monitor.web.server import serve
    from storage import Database

    token = os.environ.get(TOKEN_ENV) or None
    try:
        serve(config, Database(config.database_url), host=config.web.host, port=config.web.port, token=token)
    except WebSecurityError as exc:
        return _error(exc)
    return 0


TASKS = {"crawl": _crawl, "digest": _digest, "notify": _notify, "web": _web}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitor.daemon.child")
    parser.add_argument("-c", "--config", help="config file (default as for newsmon)")
    tasks = parser.add_subparsers(dest="task", required=True)
    tasks.add_parser("crawl").add_argument("source")
    tasks.add_parser("digest").add_argument("--retry-due", action="store_true")
    tasks.add_parser("notify")
    tasks.add_parser("web")
    return parser


def main(argv: list[str] | None = None) -> None:
    die_with_parent()
    args = _parser().parse_args(argv)
    from monitor.config import ConfigError, load_config
    from monitor.crawling import UnknownSourceError
    from monitor.logs import setup_logging
    from storage import DatabaseError

    setup_logging(logging.WARNING)
    try:
        config = load_config(args.config)
        code = TASKS[args.task](config, args)
    except (ConfigError, UnknownSourceError, DatabaseError) as exc:
        code = _error(exc)
    sys.exit(code)


def _error(exc: Exception) -> int:
    print(f"Error: {exc}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    main()
