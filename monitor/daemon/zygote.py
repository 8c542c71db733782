"""Pre-forked children: a long-lived process (the zygote) that has imported Scrapy, Twisted,
SQLAlchemy, lxml, trafilatura and newsmon once, and forks a fresh child for each crawl, digest
or notify run, so a child costs only its own work (a fresh interpreter spends about 2 CPU-seconds
on imports before it does anything).

It is the standard library's multiprocessing *forkserver*, started lazily by the first child
(so an idle daemon neither holds nor counts its memory), with newsmon's imports as its preload.
The preload only imports modules: it installs no Twisted reactor, opens no database, starts no
thread and reads no config (tests/test_zygote.py checks the server). A forked child then does
what `python -m MODULE ARGS` / `python -c CODE ARGS` would: its own session and process group,
the environment, working directory and title the daemon gives it, stdin and stdout on
/dev/null, stderr in the file the daemon reads the crash tail from, and the module run as
``__main__`` (so the config is read afresh by each child, as before).

Dying with the daemon: the forkserver exits when the daemon that started it dies (it waits on a
pipe whose only writer is the daemon), and each child asks the kernel for SIGTERM when its
parent (the forkserver) dies, checking that the parent is still the one named in
NEWSMON_DAEMON_PID. multiprocessing hands every forked child a copy of that pipe's write end
(meant for children that start processes of their own); the child closes it first, or a running
crawl would keep the forkserver, and so itself, alive after the daemon's death.

When the zygote cannot start or fork (or a forked child ends before it reached its task) the
child is started the plain way (exec) with a warning: nothing is lost. After three failures in a
row the zygote is left off until the daemon restarts. Code upgrades need a daemon restart, as
before (the zygote keeps the code it imported).
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from multiprocessing import context, forkserver, popen_forkserver, process, reduction, spawn, util
from pathlib import Path

from monitor.daemon.child import PARENT_ENV

logger = logging.getLogger("newsmon.daemon")

# Imported once by the zygote: what a crawl of an unchanged source, a digest and a notify run
# import, less numpy and what needs it (relevance model, story grouping: numpy's BLAS starts
# threads at import) and less anything that installs a reactor. Crawls that find new articles
# import those themselves.
PRELOAD: tuple[str, ...] = (
    "monitor.daemon.zygote",
    "monitor.daemon.child",
    "monitor.config",
    "monitor.logs",
    "monitor.crawling",
    "monitor.crawl_settings",
    "monitor.digest",
    "monitor.notify.service",
    "storage",
    "storage.daemon",
    "storage.entry_points",
    "storage.http_cache",
    "storage.schema",
    "settings",
    "spiders.registry",
    "spiders.base",
    "spiders.generic",
    "spiders.standalone",
    "spiders.pipelines",
    "spiders.middlewares",
    "spiders.extensions",
    "spiders.page",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.core.downloader",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.robotstxt",
    "scrapy.extensions.throttle",
    "scrapy.pqueues",
    "scrapy.squeues",
    "scrapy.statscollectors",
    "scrapy.logformatter",
    "scrapy.dupefilters",
    "twisted.web.client",
    "feedparser",
    "dateparser",
    "chardet",
    "protego",
    "tzlocal",
    "trafilatura",
    "setproctitle",
)

# Consecutive failures after which the zygote is left off until the daemon restarts.
MAX_FAILURES = 3


def forkable(argv: Sequence[str]) -> bool:
    """Whether a command can be run by a forked child: this interpreter with -m or -c."""
    return len(argv) >= 3 and argv[0] == sys.executable and argv[1] in ("-m", "-c")


class Zygote:
    """The launcher of pre-forked children of one process (multiprocessing keeps one forkserver
    per process: make one Zygote per process, see ``shared``)."""

    def __init__(self, preload: Sequence[str] = PRELOAD) -> None:
        self.preload = list(preload)
        self._lock = threading.Lock()
        self._context: object | None = None
        self._failures = 0
        self.disabled: str | None = None

    @property
    def pid(self) -> int | None:
        """The forkserver's pid, once started."""
        return getattr(forkserver._forkserver, "_forkserver_pid", None)

    def ensure_running(self) -> int:
        """Start the forkserver unless it runs; return its pid."""
        import multiprocessing

        with self._lock:
            if self._context is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(self.preload)
                self._context = context
            forkserver.ensure_running()
            pid = self.pid
        if pid is None:
            raise RuntimeError("the forkserver did not start")
        return pid

    def start(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: str | None, stderr_path: Path
    ) -> ForkedChild | None:
        """Fork a child running ``argv`` (see ``forkable``); None (logged) when the zygote is off
        or failed, and the caller starts the child the plain way."""
        if self.disabled is not None:
            return None
        try:
            server = self.ensure_running()
            child_env = dict(env)
            # The child checks that its parent is still this one after asking for the death signal.
            child_env[PARENT_ENV] = str(server)
            proc = _Process(
                target=run_forked,
                args=(list(argv[1:]), child_env, cwd, str(stderr_path), " ".join(argv)),
                name=f"newsmon-{os.path.basename(argv[-1])}",
            )
            proc.start()
            # multiprocessing joins its children at exit; the daemon decides itself what happens to
            # children still running then (they die with it), so it must not block on them.
            process._children.discard(proc)  # type: ignore[attr-defined]
        except Exception as exc:  # whatever went wrong, the child is started the plain way
            self.failed(f"could not fork a child ({type(exc).__name__}: {exc})")
            return None
        return ForkedChild(proc, stderr_path)

    def started(self) -> None:
        """A forked child reached its task: the zygote works."""
        self._failures = 0

    def failed(self, reason: str) -> None:
        self._failures += 1
        if self._failures >= MAX_FAILURES and self.disabled is None:
            self.disabled = reason
            logger.error(
                "pre-forked children: %s; %d failures in a row, so children are started the plain way "
                "until the daemon restarts",
                reason,
                self._failures,
            )
        else:
            logger.warning("pre-forked children: %s; this child is started the plain way", reason)


class ForkedChild:
    """A child forked by the zygote, as ChildProcess watches it."""

    forked = True

    def __init__(self, proc, stderr_path: Path) -> None:
        self._proc = proc
        self.pid: int = proc.pid
        self.stderr_path = stderr_path
        self.returncode: int | None = None

    def wait(self, timeout: float) -> int | None:
        """Its exit code (negative: the signal that ended it), or None while it runs."""
        import time

        from monitor.daemon.proc import pid_running

        if self.returncode is not None:
            return self.returncode
        self._proc.join(timeout)
        code = self._proc.exitcode
        if code is None:
            return None
        if pid_running(self.pid):
            # The zygote died (its report of the exit code is lost) while the child lives on:
            # it got SIGTERM with the zygote's death and is closing its crawl; wait for it.
            time.sleep(timeout)
            return None
        self.returncode = code
        return code

    def reached_task(self) -> bool:
        """Whether it got as far as its task (it opens its stderr file just before)."""
        return self.stderr_path.exists()

    def stderr_tail(self, size: int) -> str:
        try:
            with open(self.stderr_path, "rb") as stream:
                stream.seek(0, os.SEEK_END)
                stream.seek(max(0, stream.tell() - size))
                return stream.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""


class _Popen(popen_forkserver.Popen):
    """multiprocessing's forkserver start, except that the child does not run the daemon's own
    __main__ first (multiprocessing does, for targets defined there): the target here is
    ``run_forked``, and a script's main (a bench or a test driver) would run again in every child.
    ``_launch`` is the standard library's (3.11-3.13) less those two keys of the preparation data."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


_SHARED: Zygote | None = None
_SHARED_GUARD = threading.Lock()


def shared() -> Zygote:
    """This process's zygote (created on first use; its forkserver starts with the first child)."""
    global _SHARED
    with _SHARED_GUARD:
        if _SHARED is None:
            _SHARED = Zygote()
        return _SHARED


# ----------------------------------------------------------------------------- in the child


def run_forked(args: list[str], env: dict[str, str], cwd: str | None, stderr_path: str, title: str) -> None:
    """The forked child: become what `python ARGS` would be, then run it (``-m MODULE`` as
    ``__main__``, or ``-c CODE``). Runs in the child, right after the fork."""
    import runpy
    import time
    import warnings

    os.setsid()  # its own session and process group, before anything that may take time
    # Before the environment is replaced: setproctitle takes over the memory of the process's
    # original argv and environ, and cannot once the environment has been changed.
    _set_title(title)
    _close_forkserver_pipe()
    os.environ.clear()
    os.environ.update(env)
    from monitor.daemon.child import die_with_parent

    # Exits 3 when the zygote is already gone (before the stderr file exists: the daemon then
    # starts this child the plain way).
    die_with_parent()
    _redirect(stderr_path)
    time.tzset()
    if cwd:
        os.chdir(cwd)
    mode, target, *rest = args
    if mode == "-m":
        sys.argv = [target, *rest]
        sys.path[0] = os.getcwd()  # as `python -m` has it
        # The module is already imported (preloaded); running it as __main__ anew is what
        # `python -m` does too, so runpy's warning about that says nothing here.
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="runpy")
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        sys.path[0] = ""
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})


def _close_forkserver_pipe() -> None:
    fd = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
        forkserver._forkserver._forkserver_alive_fd = None  # type: ignore[attr-defined]


def _redirect(stderr_path: str) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(err, 2)
    os.close(devnull)
    os.close(err)


def _set_title(title: str) -> None:
    """What `ps` shows: the command the child stands for, not the forkserver's."""
    try:
        import setproctitle
    except ImportError:  # pragma: no cover - a declared dependency
        return
    setproctitle.setproctitle(title)
