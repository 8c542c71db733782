"""Storing and story-grouping articles on a worker thread, in batches, so the reactor
thread keeps downloading and parsing while the database is written.

The item pipeline hands each article to :class:`ArticleWriter` and gets a Deferred that
fires (on the reactor thread) once the article is stored and grouped. Scrapy waits for
those Deferreds before it closes a spider, so a crawl that ends, times out or is stopped
with SIGTERM still stores every article it parsed, and its counts are complete when the
crawl-run record is closed. Whatever is queued when the thread picks up work is stored
in one transaction (up to ``batch_size`` articles); a batch that fails is retried one
article at a time, so one bad article fails alone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from spiders.resources import crawler_articles
from storage import Article, SaveResult

logger = logging.getLogger(__name__)

_STOP = object()
# Several crawls in one process each have a writer; storing and grouping take turns, as they
# did on the one reactor thread. Across processes (the daemon's parallel crawls) each story
# decision holds the database's story lock (StoryIndex.deciding -> Database.serialized), so two
# crawls never decide stories for one event at once without seeing each other's articles.
_WRITE_LOCK = threading.Lock()


@dataclass
class _Job:
    article: Article
    extra_urls: Sequence[str]
    done: Deferred


class ArticleWriter:
    """One worker thread per crawl that stores articles in batches and groups the new ones."""

    def __init__(self, crawler: Crawler, batch_size: int = 50) -> None:
        from twisted.internet import reactor

        self.crawler = crawler
        # Made here, on the reactor thread: one database handle per crawl, not one per thread.
        self.store = crawler_articles(crawler)
        self.batch_size = batch_size
        self._stories: Any = None  # spiders.stories.StoryStep, made on the writer thread
        self._reactor = reactor
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, article: Article, extra_urls: Sequence[str] = ()) -> Deferred:
        """Queue one article; the Deferred fires with its SaveResult, or fails with the error."""
        done: Deferred = Deferred()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="newsmon-writer", daemon=True)
                self._thread.start()
        self._queue.put(_Job(article, tuple(extra_urls), done))
        return done

    def close(self) -> Deferred:
        """Stop the thread once the queue is empty; fires when it has ended."""
        from twisted.internet.threads import deferToThread

        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            done: Deferred = Deferred()
            done.callback(None)
            return done
        self._queue.put(_STOP)
        return deferToThread(thread.join)

    # ------------------------------------------------------------ the worker thread
    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            batch = [job]
            stop = False
            while len(batch) < self.batch_size:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            with _WRITE_LOCK:
                self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Job]) -> None:
        # Story grouping (numpy, scipy, the entity table) is imported on this thread, and only
        # by a crawl that stores something.
        from spiders.stories import StoryStep

        if self._stories is None:
            self._stories = StoryStep(self.crawler)

        outcomes: list[SaveResult | Failure]
        try:
            outcomes = list(self.store.save_many([(j.article, j.extra_urls) for j in batch]))
        except Exception:  # noqa: BLE001 - find the article that fails, store the rest
            outcomes = []
            for job in batch:
                try:
                    outcomes.append(self.store.save(job.article, extra_urls=job.extra_urls))
                except Exception:  # noqa: BLE001 - reported through the item's Deferred
                    outcomes.append(Failure())
        for job, outcome in zip(batch, outcomes):
            if isinstance(outcome, SaveResult):
                # Grouping never raises: a failure is logged and counted there.
                self._stories.group_saved(outcome.article_id, outcome.outcome.value)
            self._reactor.callFromThread(_fire, job.done, outcome)


def _fire(done: Deferred, outcome: SaveResult | Failure) -> None:
    if isinstance(outcome, Failure):
        done.errback(outcome)
    else:
        done.callback(outcome)
