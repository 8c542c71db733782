"""`[web] enabled = true`: `newsmon run` starts the web server beside the daemon and stops it
when the daemon stops."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from monitor.smtp_sink import SmtpSink
from tests.helpers.daemon import loopback_config
from tests.helpers.waiting import free_port, listening, wait_until
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers


def test_daemon_starts_and_stops_the_web_server(workspace: Workspace, mirror) -> None:
    port = free_port()
    with SmtpSink() as sink:
        workspace.write_config(
            loopback_config(
                mirror.url,
                sink.port,
                f"""
[sources.hanoimoi]
schedule = "interval:6h"
[web]
enabled = true
port = {port}
""",
            )
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            cwd=workspace.path,
            env=workspace.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until(lambda: listening(port) or daemon.poll() is not None, 90, "the web server to listen")
            assert daemon.poll() is None, daemon.communicate()
            import urllib.request

            # The daemon's first crawl shows up on the page's source list once it is recorded.
            def crawled() -> bool:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sources", timeout=10) as response:
                    rows = {s["name"]: s for s in json.loads(response.read())}
                return rows.get("hanoimoi", {}).get("last_status") in ("ok", "partial")

            wait_until(crawled, 120, "the daemon's crawl to show on /api/sources")
        finally:
            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=120)
        assert daemon.returncode == 0, err
        wait_until(lambda: not listening(port), 30, "the web server to stop with the daemon")
