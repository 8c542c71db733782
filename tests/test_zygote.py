"""The zygote (monitor.daemon.zygote): children forked from a process that did the imports once.
Its preload installs no reactor, starts no thread and opens no connection; a forked child crawls
the mirror and reads its config afresh; a zygote that cannot start or dies does not lose a child.
The guarantees each child has (time limit, group kill, dying with the daemon) are tested for
both ways of starting one in test_daemon_units.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.daemon import zygote
from monitor.daemon.children import ChildProcess, child_command
from monitor.daemon.proc import pid_running
from tests.helpers.waiting import tcp_sockets, wait_until
from tests.helpers.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from monitor.daemon.child import write_result
write_result(json.dumps({
    "reactor": "twisted.internet.reactor" in sys.modules,
    "missing": [m for m in sys.argv[1:] if m not in sys.modules],
}))
"""


def _probe(launcher: zygote.Zygote) -> dict:
    child = ChildProcess(
        "probe",
        [sys.executable, "-c", PROBE, *zygote.PRELOAD],
        dict(os.environ),
        time_limit=300,
        zygote=launcher,
    )
    result = child.run()
    assert result.forked and result.returncode == 0, result.stderr_tail
    return json.loads(result.output or "")


def test_the_zygote_has_everything_imported_and_no_reactor_thread_or_connection():
    launcher = zygote.shared()
    seen = _probe(launcher)
    # What a forked child starts with is what the zygote holds after its preload.
    assert seen == {"reactor": False, "missing": []}
    pid = launcher.pid
    assert pid is not None
    assert len(os.listdir(f"/proc/{pid}/task")) == 1  # one thread in the zygote itself
    assert not tcp_sockets(pid), "the zygote holds a TCP connection (a database?)"
    targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    assert not [t for t in targets if t.endswith((".db", ".toml", "-wal"))], targets


def test_a_killed_zygote_is_started_again_for_the_next_child():
    launcher = zygote.shared()
    _probe(launcher)
    first = launcher.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: not pid_running(first), 10, "the zygote to die")
    assert _probe(launcher)["reactor"] is False
    assert launcher.pid not in (None, first) and launcher.disabled is None


FALLBACK_DRIVER = """
import json, os, sys
from monitor.daemon import zygote
from monitor.daemon.children import ChildProcess
launcher = zygote.Zygote(preload=["tests.helpers.zygote_breaks"])
code = "from monitor.daemon.child import write_result; write_result('done')"
results = [
    ChildProcess(f"child {i}", [sys.executable, "-c", code], dict(os.environ), time_limit=120, zygote=launcher).run()
    for i in range(4)
]
print(json.dumps({"results": [[r.output, r.returncode, r.forked] for r in results], "off": launcher.disabled}))
"""


def test_a_zygote_that_cannot_start_loses_no_child():
    run = subprocess.run(
        [sys.executable, "-c", FALLBACK_DRIVER], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    # Every child ran, the plain way; after three failures the zygote is left off, said once.
    assert report["results"] == [["done", 0, False]] * 4
    assert report["off"]
    assert run.stderr.count("this child is started the plain way") == 2
    assert run.stderr.count("until the daemon restarts") == 1


@pytest.mark.slow  # a whole crawl
def test_a_forked_child_crawls_the_mirror_and_reads_its_config_afresh(tmp_path: Path, mirror) -> None:
    ws = Workspace(tmp_path)
    ws.write_config(f'mirror = "{mirror.url}"\n[sources.kinhtedothi]\n')
    launcher = zygote.shared()

    def crawl() -> object:
        # The config comes from the environment the daemon gives the child (NEWSMON_CONFIG).
        return ChildProcess(
            "the crawl of kinhtedothi",
            child_command(None, "crawl", "kinhtedothi"),
            ws.env(),
            time_limit=600,
            cwd=str(tmp_path),
            zygote=launcher,
        ).run()

    result = crawl()
    assert result.forked and result.returncode == 0, result.stderr_tail
    outcome = json.loads(result.output or "")
    assert outcome["status"] == "ok" and outcome["counts"]["new"] > 0
    assert result.peak_rss_kb and result.peak_rss_kb > 1000
    # A config edited since is what the next child reads.
    ws.config_path.write_text('mirror = "unterminated\n', encoding="utf-8")
    broken = crawl()
    assert broken.forked and broken.returncode == 1 and broken.output is None
    assert "Error:" in broken.stderr_tail and str(ws.config_path) in broken.stderr_tail
