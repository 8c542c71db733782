"""The daemon's health for monitoring systems: Prometheus metrics at /metrics and a health
check at /healthz, served on `[metrics] listen` by a small thread of `newsmon run`.

The metrics are read from the database at each scrape (counts grouped in SQL), so they agree
with `newsmon status` and survive restarts; only `newsmon_up` and the scrape's own timing
live in the process.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.config import AppConfig
from monitor.health import check_health
from storage import Database, stats

log = logging.getLogger(__name__)


class NewsmonCollector(Collector):
    def __init__(
        self, config: AppConfig, db: Database, *, extra: Callable[[], Iterable] | None = None
    ) -> None:
        self.config, self.db, self.extra = config, db, extra

    def collect(self):
        up = GaugeMetricFamily("newsmon_up", "1 while the newsmon daemon runs")
        up.add_metric([], 1)
        yield up

        crawls = CounterMetricFamily(
            "newsmon_crawls", "Crawl runs recorded, by source and final status", labels=["source", "status"]
        )
        for (source, status), n in sorted(stats.crawls_by_source_status(self.db).items()):
            crawls.add_metric([source, status], n)
        yield crawls

        errors = CounterMetricFamily(
            "newsmon_fetch_errors",
            "Pages that could not be fetched or read, by source and kind (http_404, timeout, ...)",
            labels=["source", "kind"],
        )
        for (source, kind), n in sorted(stats.crawl_errors_by_source_kind(self.db).items()):
            errors.add_metric([source, kind], n)
        yield errors

        articles = GaugeMetricFamily(
            "newsmon_articles_stored",
            "Articles stored, by source and relevance label",
            labels=["source", "label"],
        )
        for (source, label), n in sorted(stats.articles_by_source_label(self.db).items()):
            articles.add_metric([source, label], n)
        yield articles

        digests = GaugeMetricFamily(
            "newsmon_digests", "Digests recorded, by delivery state", labels=["state"]
        )
        for state, n in sorted(stats.digests_by_status(self.db).items()):
            digests.add_metric([state], n)
        yield digests

        notifications = GaugeMetricFamily(
            "newsmon_notifications",
            "Chat notifications ([[notify]]) by channel, mode and delivery state: digest messages in "
            "digest mode, stories in instant mode",
            labels=["channel", "mode", "state"],
        )
        for (channel, mode, state), n in sorted(stats.notifications_by_channel_state(self.db).items()):
            notifications.add_metric([channel, mode, state], n)
        yield notifications

        health = check_health(self.config, self.db, in_daemon=True)
        now = health.checked_at
        age = GaugeMetricFamily(
            "newsmon_source_last_success_age_seconds",
            "Seconds since the source's last successful crawl (absent: never)",
            labels=["source"],
        )
        stale = GaugeMetricFamily(
            "newsmon_source_stale", "1 when the source is past its stale_after", labels=["source"]
        )
        for s in health.sources:
            if s.last_success is not None:
                age.add_metric([s.source], (now - s.last_success).total_seconds())
            stale.add_metric([s.source], 1 if s.stale(now) else 0)
        yield age
        yield stale
        healthy = GaugeMetricFamily("newsmon_healthy", "1 when /healthz answers 200")
        healthy.add_metric([], 1 if health.ok else 0)
        yield healthy
        if self.extra is not None:
            yield from self.extra()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        log.debug("metrics: " + format, *args)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def metrics_app(config: AppConfig, db: Database, registry: CollectorRegistry):
    metrics = make_wsgi_app(registry)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            health = check_health(config, db, in_daemon=True)
            body = json.dumps(health.as_dict(), ensure_ascii=False).encode()
            status = "200 OK" if health.ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path in ("/metrics", "/"):
            return metrics(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics or /healthz\n"]

    return app


class MetricsServer:
    """/metrics and /healthz on ``listen`` ("HOST:PORT") in a background thread."""

    def __init__(self, config: AppConfig, db: Database, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(NewsmonCollector(config, db))
        self.server = make_server(
            host.strip("[]") or "127.0.0.1",
            int(port),
            metrics_app(config, db, registry),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self.thread = threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True)

    def start(self) -> MetricsServer:
        self.thread.start()
        log.info("metrics on http://%s:%d/metrics, health on /healthz", *self.server.server_address[:2])
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
