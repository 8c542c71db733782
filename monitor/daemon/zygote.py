"""Pre-forked children: a long-lived process (the zygote) that has imported Scrapy, Twisted,
SQLAlchemy, lxml, trafilatura and newsmon once, and forks a fresh child for each crawl, digest
or notify run, so a child costs only its own work (a fresh interpreter spends about 2 CPU-seconds
on imports before it does anything).

It is the standard library's multiprocessing *forkserver*, started lazily by the first child
(so an idle daemon neither holds nor counts its memory), with newsmon's imports as its preload,
numpy and story grouping included (what a crawl that finds new articles needs), and the relevance
model the crawls use loaded (``serve``). Loaded models are kept by their files' contents
(``shared_lexicon``, ``shared_classifier``): a child whose config names a changed or another
model file loads that one itself. The preload installs no Twisted reactor, opens no database,
starts no thread (numpy's BLAS is limited to one thread before it is imported: it would start
its thread pool at import, and threads do not survive a fork) and reads no config
(tests/test_zygote.py checks the server); its objects are then frozen out of the garbage
collector (``gc.freeze``), so children neither scan nor copy them. A forked child then does
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
child is started the plain way (exec) with a warning: nothing is lost. A zygote that does not
answer a fork request within ``fork_timeout`` seconds (its start included, for the first child)
hangs: it is killed (SIGKILL; the next child starts a new one) and the child is started the plain
way, with an error in the log. So is a zygote that has not reported, ``fork_timeout`` seconds
after, the end of a child that has ended (it is not reaping its children).

A zygote that dies (or is killed) while children it forked run takes them with it: they get
SIGTERM (see above) and close their work as on any SIGTERM. Their exit codes, which only the
zygote could have reported, are written by each child itself (``run_forked``) to a file beside
its stderr, so the daemon still learns how each ended; ``ForkedChild.zygote_lost`` says why.

After three failures in a row the zygote is left off until the daemon restarts. Code upgrades
need a daemon restart, as before (the zygote keeps the code it imported).

Each Zygote has a forkserver of its own (not multiprocessing's one per process), so it can be
killed and restarted on its own, and a process may hold several (bench/run.py compares two).
"""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing import (
    connection,
    context,
    forkserver,
    popen_forkserver,
    process,
    reduction,
    resource_tracker,
    spawn,
    util,
)
from pathlib import Path

from monitor.daemon.child import PARENT_ENV

logger = logging.getLogger("newsmon.daemon")

# Imported once by the zygote: what a crawl of an unchanged source, a digest and a notify run
# import, less anything that installs a reactor (the zygote's preload until 2026-12-03; bench/run.py
# --children compares it).
LIGHT_PRELOAD: tuple[str, ...] = (
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
# And what a crawl that finds new articles imports: numpy, relevance, story grouping (datasketch
# brings scipy), the mojibake check.
PRELOAD: tuple[str, ...] = (
    *LIGHT_PRELOAD,
    "numpy",
    "datasketch",
    "ftfy.badness",
    "monitor.relevance",
    "monitor.relevance.classifier",
    "monitor.stories.grouping",
    "spiders.stories",
    "storage.stories",
)
# Set to 1 in the zygote before numpy is imported: BLAS libraries start their thread pools at
# import, and a process with threads must not fork (its children would hold locks no thread owns).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# The relevance model of a crawl: (terms_file, model_file) as the config names them, resolved;
# (None, None) is the built-in terms and the shipped classifier.
RelevanceFiles = tuple[str | None, str | None]

# Consecutive failures after which the zygote is left off until the daemon restarts.
MAX_FAILURES = 3
# How long the zygote may take to answer a fork request (its start included, for the first
# child) before it counts as hung ([daemon] zygote_timeout_seconds).
FORK_TIMEOUT = 60.0


class ZygoteHung(TimeoutError):
    """The zygote did not answer a fork request in time."""

    def __init__(self, pid: int | None, seconds: float) -> None:
        super().__init__(f"the zygote (pid {pid}) did not answer a fork request within {seconds:g} s")
        self.pid = pid


def forkable(argv: Sequence[str]) -> bool:
    """Whether a command can be run by a forked child: this interpreter with -m or -c."""
    return len(argv) >= 3 and argv[0] == sys.executable and argv[1] in ("-m", "-c")


class Zygote:
    """The launcher of pre-forked children: one forkserver (started with the first child), and
    what to do when it fails. A daemon holds one (``shared``); each Zygote has its own server."""

    def __init__(
        self,
        preload: Sequence[str] = PRELOAD,
        fork_timeout: float = FORK_TIMEOUT,
        relevance: Sequence[RelevanceFiles] = ((None, None),),
        freeze: bool = True,
    ) -> None:
        self.preload = list(preload)
        self.fork_timeout = fork_timeout
        self._lock = threading.Lock()
        self._server = _Server(self.preload)
        # The relevance models it loads when it starts (set before the first child).
        self.relevance = list(relevance)
        # Freeze the preloaded objects out of the children's garbage collection.
        self.freeze = freeze
        self._failures = 0
        self.disabled: str | None = None

    @property
    def pid(self) -> int | None:
        """The forkserver's pid, once started."""
        return self._server.pid

    def ensure_running(self) -> int:
        """Start the forkserver unless it runs (a dead one is replaced); return its pid."""
        with self._lock:
            self._server.ensure_running(self.relevance, self.freeze)
            pid = self._server.pid
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
        server: int | None = None
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
            _LAUNCH.server, _LAUNCH.timeout = self._server, self.fork_timeout
            try:
                proc.start()
            finally:
                _LAUNCH.server = _LAUNCH.timeout = None
            # multiprocessing joins its children at exit; the daemon decides itself what happens to
            # children still running then (they die with it), so it must not block on them.
            process._children.discard(proc)  # type: ignore[attr-defined]
        except ZygoteHung as exc:
            self.kill_hung(exc.pid, f"{exc}; this child is started the plain way")
            return None
        except Exception as exc:  # whatever went wrong, the child is started the plain way
            self.failed(f"could not fork a child ({type(exc).__name__}: {exc})")
            return None
        return ForkedChild(proc, stderr_path, self, server)

    def started(self) -> None:
        """A forked child reached its task: the zygote works."""
        self._failures = 0

    def failed(self, reason: str, *, hung: bool = False) -> None:
        self._failures += 1
        if self._failures >= MAX_FAILURES and self.disabled is None:
            self.disabled = reason
            logger.error(
                "pre-forked children: %s; %d failures in a row, so children are started the plain way "
                "until the daemon restarts",
                reason,
                self._failures,
            )
        elif hung:
            logger.error("pre-forked children: %s", reason)
        else:
            logger.warning("pre-forked children: %s; this child is started the plain way", reason)

    def kill_hung(self, pid: int | None, reason: str) -> None:
        """The zygote with this pid hangs: kill it (children it forked that still run get
        SIGTERM), so that the next child starts a new one; logged as an error and counted as a
        failure. Nothing when that zygote is already gone (another thread saw it first)."""
        with self._lock:
            killed = pid is not None and self._server.kill(pid)
        if killed:
            self.failed(f"{reason}; killed it (the next child starts a new one)", hung=True)

    def close(self) -> None:
        """Stop the forkserver (it exits when its pipe from this process closes); children it
        forked that still run get SIGTERM with it."""
        with self._lock:
            self._server.stop()

    def lost(self, child: str, reason: str) -> None:
        """The zygote died while ``child`` ran (it was ended with it): logged as an error and
        counted as a failure; the next child starts a new zygote."""
        self.failed(f"{reason}, and {child} with it; the next child starts a new zygote", hung=True)


class _Server(forkserver.ForkServer):
    """multiprocessing's forkserver, one per Zygote; it can be killed and started again."""

    def __init__(self, preload: list[str]) -> None:
        super().__init__()
        self._preload_modules = preload
        # (Set by ForkServer too; declared here for the type checker, which knows none of them.)
        self._lock = threading.Lock()
        self._forkserver_address: str | None = None
        self._forkserver_alive_fd: int | None = None
        self._forkserver_pid: int | None = None

    @property
    def pid(self) -> int | None:
        return self._forkserver_pid

    def ensure_running(self, relevance: Sequence[RelevanceFiles] = (), freeze: bool = False) -> None:
        """The standard library's ``ForkServer.ensure_running`` (3.11-3.13), with this server's
        state and newsmon's ``serve`` as the server's main: start the server unless it runs; a
        dead one is reaped and replaced."""
        with self._lock:
            resource_tracker.ensure_running()
            if self._forkserver_pid is not None:
                pid, _status = os.waitpid(self._forkserver_pid, os.WNOHANG)
                if not pid:
                    return  # still alive
                self._forget()
            cmd = "from monitor.daemon.zygote import serve; serve(%d, %d, %r, %r, %r)"
            with socket.socket(socket.AF_UNIX) as listener:
                address = connection.arbitrary_address("AF_UNIX")  # type: ignore[attr-defined]
                listener.bind(address)
                if not util.is_abstract_socket_namespace(address):
                    os.chmod(address, 0o600)
                listener.listen()
                # Every client (this process) holds the write end of the "alive" pipe; the server
                # exits when it reads EOF from it.
                alive_r, alive_w = os.pipe()
                try:
                    cmd %= (listener.fileno(), alive_r, self._preload_modules, list(relevance), freeze)
                    exe = spawn.get_executable()
                    args = [exe, *util._args_from_interpreter_flags(), "-c", cmd]  # type: ignore[attr-defined]
                    pid = util.spawnv_passfds(exe, args, [listener.fileno(), alive_r])  # type: ignore[arg-type]
                except BaseException:
                    os.close(alive_w)
                    raise
                finally:
                    os.close(alive_r)
                self._forkserver_address = address
                self._forkserver_alive_fd = alive_w
                self._forkserver_pid = pid

    def kill(self, pid: int) -> bool:
        """SIGKILL the server if it is still the one with this pid (a stopped one dies too), reap
        it and forget it; whether it was."""
        with self._lock:
            if self._forkserver_pid != pid:
                return False
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self._forget()
            return True

    def stop(self, wait: float = 5.0) -> None:
        """Close the server's pipe (it exits on EOF) and reap it; SIGKILL if it has not exited
        within ``wait`` seconds (a hung one)."""
        with self._lock:
            pid = self._forkserver_pid
            if pid is None:
                return
            os.close(self._forkserver_alive_fd)  # type: ignore[arg-type]
            self._forkserver_alive_fd = None
            deadline = time.monotonic() + wait
            try:
                while os.waitpid(pid, os.WNOHANG)[0] == 0:
                    if time.monotonic() > deadline:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        break
                    time.sleep(0.05)
            except (ChildProcessError, ProcessLookupError):
                pass
            self._forget()

    def _forget(self) -> None:
        if self._forkserver_alive_fd is not None:
            os.close(self._forkserver_alive_fd)
        address = self._forkserver_address
        if isinstance(address, str) and not util.is_abstract_socket_namespace(address):
            try:
                os.unlink(address)
            except OSError:
                pass
        self._forkserver_address = None
        self._forkserver_alive_fd = None
        self._forkserver_pid = None


# The server and timeout of the fork request being made on this thread (a Process cannot carry
# them: it is pickled to the child).
_LAUNCH = threading.local()


class ForkedChild:
    """A child forked by the zygote, as ChildProcess watches it."""

    forked = True

    def __init__(self, proc: _Process, stderr_path: Path, zygote: Zygote, server: int | None) -> None:
        self._proc = proc
        self.pid: int = proc.pid  # type: ignore[assignment]
        self.stderr_path = stderr_path
        self.returncode: int | None = None
        self.ended = False
        self._zygote = zygote
        self._server = server
        # Why its exit code came from the child itself (None when its zygote reported it).
        self.zygote_lost: str | None = None
        self._unreported_since: float | None = None

    def wait(self, timeout: float) -> bool:
        """Whether it has ended (then ``returncode``: its exit code, negative for the signal that
        ended it; None when nobody knows it), waiting up to ``timeout`` seconds."""
        from monitor.daemon.proc import pid_running

        if self.ended:
            return True
        self._proc.join(timeout)
        code = self._proc.exitcode
        popen = self._proc._popen  # type: ignore[attr-defined]
        if code is None:
            if not pid_running(self.pid):
                # Ended, and not reported: the zygote is not reaping its children (it hangs).
                now = time.monotonic()
                if self._unreported_since is None:
                    self._unreported_since = now
                elif now - self._unreported_since >= self._zygote.fork_timeout:
                    self._zygote.kill_hung(
                        self._server,
                        f"the zygote (pid {self._server}) did not report the end of its child "
                        f"{self.pid} within {self._zygote.fork_timeout:g} s",
                    )
            return False
        if popen.zygote_lost:
            # The zygote died (its report of the exit code is lost). The child got SIGTERM with it
            # (it asked for that), and may still be closing its work: wait for it to end.
            if pid_running(self.pid):
                time.sleep(timeout)
                return False
            self.zygote_lost = f"the zygote (pid {self._server}) that forked it died while it ran"
            code = self._reported_exit()
        self.returncode = code
        self.ended = True
        return True

    def _reported_exit(self) -> int | None:
        """The exit code the child wrote itself (run_forked), None when it wrote none (killed)."""
        try:
            return int(exit_path(self.stderr_path).read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None

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


def exit_path(stderr_path: Path | str) -> Path:
    """Where a forked child writes its exit code: beside its stderr file."""
    return Path(stderr_path).with_name(Path(stderr_path).name + ".exit")


class _Popen(popen_forkserver.Popen):
    """multiprocessing's forkserver start, with this zygote's server, a bound on the wait for
    its answer, and without running the daemon's own __main__ in the child first
    (multiprocessing does, for targets defined there): the target here is ``run_forked``, and a
    script's main (a bench or a test driver) would run again in every child. ``_launch`` is the
    standard library's (3.11-3.13) less those two keys of the preparation data; ``poll`` its
    own, noting when the zygote died instead of reporting the exit code."""

    zygote_lost = False

    def __init__(self, process_obj) -> None:
        self._server: _Server = _LAUNCH.server
        self._timeout: float = _LAUNCH.timeout
        super().__init__(process_obj)

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
        self.sentinel, w = self._server.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        # The server answers with the child's pid once it has forked it: a server that does not
        # (stopped, deadlocked) would hold this thread, and the daemon, forever.
        if not connection.wait([self.sentinel], self._timeout):
            self.finalizer()
            raise ZygoteHung(self._server.pid, self._timeout)
        self.pid = forkserver.read_signed(self.sentinel)

    def poll(self, flag: int = os.WNOHANG) -> int | None:
        if self.returncode is None:
            if not connection.wait([self.sentinel], 0 if flag == os.WNOHANG else None):
                return None
            try:
                self.returncode = forkserver.read_signed(self.sentinel)
            except (OSError, EOFError):
                # The zygote died before it could report the exit code (255, as multiprocessing says).
                self.zygote_lost = True
                self.returncode = 255
        return self.returncode


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


# ----------------------------------------------------------------------------- in the zygote


def serve(
    listener_fd: int, alive_r: int, preload: list[str], relevance: list[RelevanceFiles], freeze: bool
) -> None:
    """The zygote's main: BLAS limited to one thread, the preload imported, the relevance models
    loaded into their shared caches, the whole frozen out of the garbage collector; then
    multiprocessing's forkserver loop. What cannot be imported or loaded is left to the children
    (each then fails, or imports it, as a fresh process would)."""
    import gc

    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = "1"
    for name in preload:
        try:
            __import__(name)
        except ImportError:  # as multiprocessing's own preload
            pass
    for terms, model in relevance:
        try:
            from monitor.relevance import RelevanceModel

            RelevanceModel.load(Path(terms) if terms else None, model_file=Path(model) if model else None)
        except Exception:  # noqa: BLE001 - a broken file: the crawls say so themselves
            pass
    if freeze:
        gc.collect()
        gc.freeze()
    forkserver.main(listener_fd, alive_r, [])


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
    code = 1  # an exception escaping the task (multiprocessing prints it and exits 1)
    try:
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
        code = 0
    except SystemExit as exc:
        # As multiprocessing turns it into the exit code (and as `python` does).
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
        raise
    finally:
        # For the daemon, should the zygote (which reports exit codes) die before this child.
        try:
            exit_path(stderr_path).write_text(str(code), encoding="ascii")
        except OSError:
            pass


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
