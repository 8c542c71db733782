"""The zygote (monitor.daemon.zygote): children forked from a process that did the imports once.
Its preload installs no reactor, starts no thread and opens no connection; a forked child crawls
the mirror and reads its config afresh; a zygote that cannot start or dies does not lose a child;
one that hangs (stopped) is killed and replaced, the child started the plain way; one killed under
running children leaves their real exit codes and a crawl record that says what stopped it.
The guarantees each child has (time limit, group kill, dying with the daemon) are tested for
both ways of starting one in test_daemon_units.py."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.daemon import zygote
from monitor.daemon.children import ChildProcess, ChildResult, child_command
from monitor.daemon.proc import pid_running
from monitor.mirror import MirrorServer, default_root
from monitor.relevance.classifier import RelevanceClassifier
from monitor.relevance.model import SHIPPED_MODEL
from scheduler import Daemon
from storage import Database
from tests.helpers.daemon import runs_of
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
    # What a forked child starts with is what the zygote holds after its preload (numpy, story
    # grouping and relevance included).
    assert seen == {"reactor": False, "missing": []}
    assert {"numpy", "monitor.stories.grouping", "monitor.relevance"} <= set(zygote.PRELOAD)
    pid = launcher.pid
    assert pid is not None
    # numpy's BLAS library is loaded, and started no thread pool: one thread in the zygote itself.
    maps = Path(f"/proc/{pid}/maps").read_text().lower()
    assert "blas" in maps or "mkl" in maps
    assert len(os.listdir(f"/proc/{pid}/task")) == 1
    assert not tcp_sockets(pid), "the zygote holds a TCP connection (a database?)"
    targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    assert not [t for t in targets if t.endswith((".db", ".toml", "-wal"))], targets


# What a crawl's relevance step does (RelevanceModel.load with the config's model file), and
# whether the lexicon and classifier it got are the ones the zygote had loaded before the fork.
MODEL_PROBE = """
import json, sys
from pathlib import Path
from monitor.daemon.child import write_result
from monitor.relevance import RelevanceModel, classifier, terms
held = {id(x) for x in [*classifier._SHARED.values(), *terms._SHARED.values()]}
model = RelevanceModel.load(None, model_file=Path(sys.argv[1]))
write_result(json.dumps({
    "classifier": id(model.classifier) in held,
    "lexicon": id(model._lex) in held,
    "digest": model.classifier.digest,
}))
"""


def test_the_zygote_holds_the_crawls_model_and_a_changed_model_file_is_read_anew(tmp_path):
    model_file = tmp_path / "model.npz"
    shutil.copy(SHIPPED_MODEL, model_file)
    launcher = zygote.Zygote(relevance=[(None, str(model_file))])

    def probe() -> dict:
        result = _run(launcher, MODEL_PROBE, str(model_file))
        assert result.forked and result.returncode == 0, result.stderr_tail
        return json.loads(result.output or "")

    try:
        loaded = RelevanceClassifier.load(model_file)
        assert probe() == {"classifier": True, "lexicon": True, "digest": loaded.digest}
        # Retrained since the zygote started: another model in the same file.
        retrained = dataclasses.replace(loaded, intercept=loaded.intercept + 0.5, digest="")
        retrained.save(model_file)
        assert retrained.digest != loaded.digest
        assert probe() == {"classifier": False, "lexicon": True, "digest": retrained.digest}
    finally:
        launcher.close()


def test_the_daemons_zygote_loads_the_model_its_crawls_use(tmp_path):
    ws = Workspace(tmp_path)
    config = load_config(ws.write_config('[relevance]\nmodel_file = "models/mine.npz"\n'), env={})
    launcher = Daemon(config, db=Database(config.database_url), zygote=zygote.Zygote()).zygote()
    # Resolved as the crawl resolves it: beside the config. (Nothing is started until a child.)
    assert launcher is not None and launcher.pid is None
    assert launcher.relevance == [(None, str(tmp_path / "models" / "mine.npz"))]
    off = load_config(ws.write_config("[daemon]\npreforked_children = false\n"), env={})
    assert Daemon(off, db=Database(off.database_url)).zygote() is None


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


@pytest.fixture
def own_zygote() -> Iterator[zygote.Zygote]:
    """A zygote of this test's own (its failures count for it alone)."""
    launcher = zygote.Zygote()
    yield launcher
    launcher.close()


DONE = "from monitor.daemon.child import write_result; write_result('done')"


def _run(launcher: zygote.Zygote, code: str = DONE, *args: str) -> ChildResult:
    return ChildProcess(
        "the test child",
        [sys.executable, "-c", code, *args],
        dict(os.environ),
        time_limit=120,
        zygote=launcher,
    ).run()


def test_a_hung_zygote_is_killed_and_restarted_and_the_child_started_the_plain_way(own_zygote, caplog):
    assert _run(own_zygote).forked
    hung = own_zygote.pid
    assert hung is not None
    own_zygote.fork_timeout = 3  # (it is started: a fork takes milliseconds)
    os.kill(hung, signal.SIGSTOP)  # alive, but answers nothing
    with caplog.at_level(logging.WARNING, logger="newsmon.daemon"):
        result = _run(own_zygote)
    # Not wedged: after the timeout the child ran, the plain way, and the stopped zygote is gone.
    assert (result.forked, result.output, result.returncode) == (False, "done", 0)
    assert not pid_running(hung)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(
        f"the zygote (pid {hung}) did not answer a fork request within 3 s" in m and "killed it" in m
        for m in errors
    ), errors
    # The next child is forked from a new zygote (whose start, its imports, takes seconds).
    own_zygote.fork_timeout = zygote.FORK_TIMEOUT
    again = _run(own_zygote)
    assert again.forked and again.output == "done"
    assert own_zygote.pid not in (None, hung) and own_zygote.disabled is None


# A child that closes its work on SIGTERM (as a crawl does: it records its run as killed) and
# exits 7; with "plain", one that SIGTERM simply ends. Either tells the test it runs (argv[1]).
WAITS = """
import signal, sys
from pathlib import Path
from monitor.daemon.child import write_result

def closing(*_):
    write_result("closed on SIGTERM")
    sys.exit(7)

if sys.argv[2] == "closing":
    signal.signal(signal.SIGTERM, closing)
Path(sys.argv[1]).touch()
while True:
    signal.pause()
"""


def test_children_of_a_zygote_killed_under_them_end_with_their_real_exit_codes(own_zygote, tmp_path, caplog):
    assert _run(own_zygote).forked
    server = own_zygote.pid
    results: dict[str, ChildResult] = {}

    def run(how: str) -> None:
        results[how] = _run(own_zygote, WAITS, str(tmp_path / how), how)

    threads = [threading.Thread(target=run, args=(how,)) for how in ("closing", "plain")]
    with caplog.at_level(logging.WARNING, logger="newsmon.daemon"):
        for thread in threads:
            thread.start()
        wait_until(
            lambda: (tmp_path / "closing").exists() and (tmp_path / "plain").exists(), 60, "both children"
        )
        os.kill(server, signal.SIGKILL)
        for thread in threads:
            thread.join(60)
    closing, plain = results["closing"], results["plain"]
    for result in (closing, plain):
        assert result.forked and result.stop_reason is None
        assert result.zygote_lost and f"the zygote (pid {server})" in result.zygote_lost
    # Its own exit code, not the 255 multiprocessing makes up when the zygote's report is lost.
    assert (closing.returncode, closing.output) == (7, "closed on SIGTERM")
    assert "ended with code 7 after the zygote" in closing.ended()
    # Killed by the signal: it wrote no exit code, and nobody knows one.
    assert (plain.returncode, plain.output) == (None, None)
    assert plain.ended().startswith("ended with an unknown exit code after the zygote")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum(f"the zygote (pid {server}) that forked it died" in m for m in errors) == 2, errors
    # The next child gets a new zygote.
    again = _run(own_zygote)
    assert again.forked and own_zygote.pid not in (None, server)


SLOW_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Slow</title><link>https://slow.example/</link>
<item><title>Never seen</title><link>https://slow.example/a-1.html</link></item>
</channel></rss>
"""


@pytest.fixture
def slow_mirror(tmp_path: Path) -> Iterator[MirrorServer]:
    """hanoimoi.vn, and a site whose feed answers only after a long delay."""
    root = tmp_path / "mirror"
    shutil.copytree(default_root() / "hanoimoi.vn", root / "hanoimoi.vn")
    (root / "slow.example").mkdir()
    (root / "slow.example" / "feed.xml").write_text(SLOW_FEED, encoding="utf-8")
    (root / "slow.example" / "_mirror.toml").write_text('[[route]]\npath = "/feed.xml"\ndelay = 60\n')
    with MirrorServer(root) as server:
        yield server


@pytest.mark.slow  # whole crawls
def test_a_crawl_whose_zygote_is_killed_is_recorded_as_killed_by_that(
    tmp_path: Path, slow_mirror, own_zygote
) -> None:
    ws = Workspace(tmp_path)
    sources = (
        '[sources.hanoimoi]\n[sources.slow]\nspider = "generic"\nfeeds = ["https://slow.example/feed.xml"]\n'
    )
    config = load_config(ws.write_config(f'mirror = "{slow_mirror.url}"\n{sources}'), env={})
    daemon = Daemon(
        config, db=Database(config.database_url), child_env=ws.env(), cwd=str(tmp_path), zygote=own_zygote
    )
    outcomes = {}
    crawl = threading.Thread(target=lambda: outcomes.setdefault("slow", daemon.crawl("slow")))
    crawl.start()
    # Killed while the crawl runs (its record is open: it waits for the slow feed).
    wait_until(
        lambda: [r for r in runs_of(ws.db_url, "slow") if r.status == "running"], 120, "the slow crawl"
    )
    server = own_zygote.pid
    assert server is not None
    os.kill(server, signal.SIGKILL)
    crawl.join(120)
    outcome = outcomes["slow"]
    (run,) = runs_of(ws.db_url, "slow")
    assert outcome is not None and outcome.status == run.status == "killed"
    # The child closed its record on the SIGTERM it got with the zygote's death; the daemon says
    # what stopped it, with the child's own exit code.
    assert run.message and run.message.startswith(
        f"killed: the crawl process ended with code 1 after the zygote (pid {server}) that forked it died"
    ), run.message
    # The next crawl is forked from a new zygote.
    quick = daemon.crawl("hanoimoi")
    # (partial: some of the mirror's hanoimoi pages fail, as in test_daemon_limits)
    assert quick is not None and quick.status in ("ok", "partial") and quick.counts["new"] > 0
    assert own_zygote.pid not in (None, server) and own_zygote.disabled is None
