"""`newsmon run` as a real process in a workspace, and reading what it recorded."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

from storage import CrawlRunLog, Database
from storage.models import CrawlRun, utcnow
from tests.helpers.waiting import wait_until
from tests.helpers.workspace import Workspace, newsmon_command


class DaemonProcess:
    """`newsmon run` started through the real entry point in its workspace."""

    def __init__(self, ws: Workspace, name: str, *args: str, **env: str) -> None:
        self.ws = ws
        self.log_path = ws.path / f"{name}.log"
        cmd = newsmon_command(*args)
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ws.path,
            env=ws.env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.pid = self.proc.pid

    @classmethod
    def run(cls, ws: Workspace, name: str, **env: str) -> DaemonProcess:
        return cls(ws, name, "run", **env)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def wait_for_log(self, text: str, timeout: float = 30) -> str:
        def seen() -> bool:
            if self.proc.poll() is not None and text not in self.log():
                raise AssertionError(
                    f"the daemon exited ({self.proc.returncode}) before logging {text!r}:\n" + self.log()
                )
            return text in self.log()

        wait_until(seen, timeout, f"{text!r} in the daemon log")
        return self.log()

    def wait_for_log_count(self, text: str, count: int, timeout: float = 30) -> str:
        """Wait until TEXT occurs at least COUNT times in the log (the daemon still running)."""

        def seen() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the daemon exited ({self.proc.returncode}):\n" + self.log())
            return self.log().count(text) >= count

        wait_until(seen, timeout, f"{count} × {text!r} in the daemon log")
        return self.log()

    def send(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.send(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()


def runs_of(db_url: str, source: str) -> list[CrawlRun]:
    return CrawlRunLog(Database(db_url)).since(source, utcnow() - timedelta(days=1))


def loopback_config(mirror_url: str, smtp_port: int, extra: str = "") -> str:
    return f"""
mirror = "{mirror_url}"
log_level = "INFO"

[digest]
recipients = ["analyst@example.org"]
sender = "newsmon@example.org"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
{extra}"""


def daemon_pids_for(config_path: Path) -> list[int]:
    """Processes whose command line mentions this workspace's config (crawl children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().split(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(config_path) in cmdline and state != "Z":
            found.append(int(entry.name))
    return found
