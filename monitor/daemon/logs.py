"""Logging for the daemon: the config's level on stderr (journald keeps it under
systemd) and, when `log_file` is set, the same lines in that file."""

from __future__ import annotations

import logging

from monitor.config import AppConfig
from monitor.logs import setup_logging


def setup_daemon_logging(config: AppConfig, verbose: int = 0) -> None:
    """Replace the CLI's default (warnings only) with the config's level and log file.

    Raises OSError when the log file cannot be opened.
    """
    level = (
        logging.DEBUG
        if verbose >= 2
        else logging.INFO
        if verbose == 1
        else getattr(logging, config.log_level)
    )
    log_file = str(config.resolve_path(config.log_file)) if config.log_file else None
    setup_logging(level, log_file)
    if verbose < 1:
        # APScheduler logs every job start and finish at INFO; the daemon's own lines say what matters.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
