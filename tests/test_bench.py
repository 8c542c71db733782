"""bench/run.py works from a checkout: a tiny run (--smoke) prints every key with sane values.

The benchmark's numbers are not asserted (the machine decides them); that it runs the
real crawl, stores and groups what it fetched, re-crawls without fetching article pages
and reports every measure is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

ROOT = Path(__file__).resolve().parent.parent

KEYS = (
    "raw_pages_per_s",
    "e2e_articles_per_s",
    "e2e_ratio",
    "e2e_cpu_s_per_1000",
    "recrawl_article_requests",
    "recrawl_seconds",
    "story_ms_per_article",
    "ingest_ratio_1m_vs_10k",
    "digest_seconds",
    "status_seconds",
    "relevance_articles_per_s",
    "crawl_peak_rss_mb",
    "idle_daemon_rss_mb",
    "crawl_process_start_cpu_s",
    "daemon_crawl_child_cpu_s",
    "daemon_changed_crawl_child_cpu_s",
    "zygote_start_cpu_s",
)


def test_bench_smoke_run_reports_every_measure() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    data = json.loads(result.stdout)
    assert set(KEYS) <= set(data)
    for key in (
        "raw_pages_per_s",
        "e2e_articles_per_s",
        "e2e_ratio",
        "e2e_cpu_s_per_1000",
        "recrawl_seconds",
        "relevance_articles_per_s",
        "crawl_process_start_cpu_s",
    ):
        assert data[key] > 0, key
    # The re-crawl of the unchanged site fetches no article page.
    assert data["recrawl_article_requests"] == 0
    for key in ("story_ms_per_article", "story_cpu_ms_per_article"):
        assert set(data[key]) == {"30", "300", "3000"}
        assert all(v > 0 for v in data[key].values())
    small, large = data["stored_sizes"]
    assert small < large
    for key in ("digest_seconds", "status_seconds", "ingest_ms_per_article"):
        assert set(data[key]) == {str(small), str(large)} and all(v > 0 for v in data[key].values()), key
    # No 1M fill in a smoke run: that ratio is null, the one it did measure is a number.
    assert data["ingest_ratio_1m_vs_10k"] is None and data["ingest_ratio_large_vs_small"] > 0
    # Whole processes with a Python interpreter, SQLAlchemy and (for the crawl) Scrapy loaded.
    assert 20 < data["idle_daemon_rss_mb"] < data["crawl_peak_rss_mb"] < 4000
    # Daemon crawl children, afresh and forked from the zygote: each measured (a crawl costs CPU).
    for key in ("daemon_crawl_child_cpu_s", "daemon_changed_crawl_child_cpu_s"):
        assert set(data[key]) == {"exec", "forked"} and all(v > 0 for v in data[key].values()), key
    assert data["zygote_start_cpu_s"] > 0
