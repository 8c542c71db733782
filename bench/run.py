"""The whole job, measured in one run: `python bench/run.py [--quick] [--json] [--smoke] [--children]`.

Builds a synthetic news site of N articles in vi/en/ru from the mirror's own texts
(tests/mirror/src: unique URLs and titles, dates spread over a month, 60-150 KB pages
with navigation and boxes, a sitemap and a feed), serves it on loopback with newsmon's
mirror server, and measures, interleaving the runs it compares:

1. raw_pages_per_s: a bare Scrapy spider downloading the article pages (the limit here);
2. e2e_articles_per_s, e2e_ratio (raw time / newsmon time; 1.0 is the limit) and
   e2e_cpu_s_per_1000: `newsmon crawl` of a generic source on that site, politeness off as
   in mirror mode (discover, parse, classify, store, group), each a whole process;
3. recrawl_article_requests, recrawl_seconds: a second crawl of the unchanged site;
4. story_ms_per_article by articles a day ({"30", "300", "3000"}; story_cpu_ms_per_article:
   the grouping thread's CPU, steadier on a busy machine) and
   ingest_ratio_1m_vs_10k (store + group per article with 1M stored vs 10k, the large
   store filled in bulk);
5. digest_seconds and status_seconds (`newsmon digest --dry-run`, `newsmon status`, whole
   processes) at 10k and 1M stored, with a year of crawl-run history;
6. relevance_articles_per_s, crawl_peak_rss_mb, idle_daemon_rss_mb,
   crawl_process_start_cpu_s (CPU of a `newsmon crawl` that finds nothing changed);
7. daemon_crawl_child_cpu_s ({"exec", "forked"}): CPU of one daemon crawl child of an
   unchanged source, started afresh vs forked from the zygote (monitor.daemon.zygote),
   interleaved; daemon_changed_crawl_child_cpu_s: the same for a first crawl of a small
   site (every article new); zygote_start_cpu_s: the zygote's own imports, once per daemon;
   zygote_rss_mb: its resident memory once started.

`--children` runs only part 7 (on the site of the mode chosen, crawled first), with a third
child interleaved, "forked_light": forked from the zygote as it was until 2026-12-03, without
numpy, the relevance model and story grouping preloaded.

`--quick` uses a smaller site and no 1M fill (the large store is 50k; 1M-keyed values
are null); `--smoke` is a tiny run for the test suite. Only public entry points are used:
the `newsmon` command, ArticleStore, StoryGrouper, RelevanceModel, the mirror server, and
the tables' own models for bulk fills. Nothing here touches the internet.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "news.bench.example"
END = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
_LANG_OF_SITE = {
    "hanoitimes": "en",
    "vietnamplus_en": "en",
    "vietnamplus_ru": "ru",
    "vovworld": "ru",
    "tass": "ru",
}
_LANG_SHARE = (("vi", 0.6), ("en", 0.25), ("ru", 0.15))
_SOURCES = 10  # sources in the digest/status config (a year of their crawl runs is stored)


@dataclass(frozen=True)
class Mode:
    name: str
    pages: int  # synthetic site size
    pairs: int  # interleaved raw/e2e pairs
    story_days: float  # history before the new articles, per rate (the window is ±3 days)
    story_new: int  # new articles timed per rate
    small: int  # stored articles for the "10k" point
    large: int | None  # for the "1M" point (None: no fill)
    ingest_new: int
    repeats: int  # digest/status runs per size
    relevance: int
    start_runs: int
    history_days: int  # crawl-run history stored for digest/status


MODES = {
    "full": Mode("full", 3000, 2, 3, 20, 10_000, 1_000_000, 60, 3, 1000, 3, 365),
    "quick": Mode("quick", 400, 2, 0.5, 8, 5_000, 50_000, 30, 2, 300, 2, 365),
    "smoke": Mode("smoke", 20, 1, 0.02, 2, 200, 2_000, 4, 1, 30, 1, 7),
}
RATES = (30, 300, 3000)


# ------------------------------------------------------------------ texts and the site


@dataclass(frozen=True)
class Text:
    title: str
    lead: str
    paragraphs: tuple[str, ...]


def mirror_texts() -> dict[str, list[Text]]:
    """The mirror's own article texts (tests/mirror/src), by language."""
    out: dict[str, list[Text]] = {"vi": [], "en": [], "ru": []}
    for site_dir in sorted((ROOT / "tests" / "mirror" / "src").iterdir()):
        site_toml = site_dir / "site.toml"
        if not site_toml.is_file():
            continue
        lang = tomllib.loads(site_toml.read_text(encoding="utf-8")).get("lang") or _LANG_OF_SITE.get(
            site_dir.name, "vi"
        )
        files = sorted(site_dir.glob("articles/*.toml")) + sorted(site_dir.glob("articles.toml"))
        for file in files:
            for a in tomllib.loads(file.read_text(encoding="utf-8")).get("article", []):
                body = a.get("body") or []
                body = [body] if isinstance(body, str) else [p for p in body if isinstance(p, str)]
                if a.get("title") and body:
                    out[lang].append(Text(a["title"], a.get("sapo") or "", tuple(body)))
    return out


@dataclass
class Synthetic:
    n: int
    lang: str
    title: str
    lead: str
    paragraphs: list[str]
    published: datetime
    author: str

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def path(self) -> str:
        return f"/{self.lang}/bai-viet-{self.n}.html"

    @property
    def url(self) -> str:
        return f"https://{HOST}{self.path}"


class Generator:
    """Deterministic synthetic articles: paragraphs of three mirror texts of one language,
    a unique title and dateline, a publication time in [start, end)."""

    def __init__(self, texts: dict[str, list[Text]]) -> None:
        self.texts = {lang: items for lang, items in texts.items() if items}

    def article(self, n: int, start: datetime, end: datetime) -> Synthetic:
        rng = random.Random(n * 7919 + 17)
        roll, lang = rng.random(), _LANG_SHARE[-1][0]
        for candidate, share in _LANG_SHARE:
            if roll < share:
                lang = candidate
                break
            roll -= share
        pool = self.texts.get(lang) or next(iter(self.texts.values()))
        a, b, c = (rng.choice(pool) for _ in range(3))
        paragraphs = (
            list(a.paragraphs)
            + list(b.paragraphs[: max(1, len(b.paragraphs) // 2)])
            + list(c.paragraphs[-1:])
        )
        place = rng.choice(
            ["Hà Nội", "Moscow", "Kaluga", "Đà Nẵng", "Saint Petersburg", "Hải Phòng", "Tatarstan"]
        )
        paragraphs[0] = f"{place}, {n % 28 + 1}/{n % 12 + 1} - {paragraphs[0]}"
        published = start + (end - start) * rng.random()
        title = f"{a.title} ({place}, {n})"
        return Synthetic(
            n,
            lang,
            title,
            a.lead or b.title,
            paragraphs,
            published,
            rng.choice(["Minh Anh", "Linh Pham", "Ivan Petrov", "Thu Hà", "Quang Huy"]),
        )


_CATEGORIES = [
    "Thời sự",
    "Chính trị",
    "Kinh tế",
    "Xã hội",
    "Thế giới",
    "Văn hóa",
    "Giáo dục",
    "Sức khỏe",
    "Thể thao",
    "Pháp luật",
    "Đô thị",
    "Du lịch",
    "Công nghệ",
    "Bất động sản",
    "Giải trí",
    "Xe",
    "Bạn đọc",
    "Video",
    "Podcast",
    "English",
    "Русский",
]
_STYLE = "".join(
    f".c{i}{{margin:{i % 7}px;padding:{i % 5}px;color:#{i * 2654435761 % 0xFFFFFF:06x}}}" for i in range(600)
)
_SCRIPT = "window.__cfg=" + json.dumps(
    {"ads": [{"slot": f"s{i}", "size": [300, 250], "k": "x" * 24} for i in range(120)]}
)


def page_html(art: Synthetic, others: list[Synthetic], target_bytes: int) -> str:
    esc = html.escape
    iso = art.published.astimezone(timezone(timedelta(hours=7))).isoformat()
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": art.title,
        "description": art.lead,
        "datePublished": iso,
        "author": {"@type": "Person", "name": art.author},
        "inLanguage": art.lang,
    }
    nav = "".join(
        f'<li><a href="/{art.lang}/chuyen-muc-{i}">{esc(c)}</a></li>' for i, c in enumerate(_CATEGORIES)
    )
    head = (
        f'<!DOCTYPE html><html lang="{art.lang}"><head><meta charset="utf-8"><title>{esc(art.title)} | Bench News</title>'
        f'<meta name="description" content="{esc(art.lead)}"><meta property="og:title" content="{esc(art.title)}">'
        f'<meta property="og:description" content="{esc(art.lead)}"><meta property="article:published_time" content="{iso}">'
        f'<link rel="canonical" href="{art.url}"><script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        f"<style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>"
        f'<header><div class="logo"><a href="/">Bench News</a></div><nav><ul class="menu">{nav}</ul></nav></header>'
        f'<div class="breadcrumb"><a href="/">Trang chủ</a> / <a href="/{art.lang}/">{esc(_CATEGORIES[art.n % len(_CATEGORIES)])}</a></div>'
        f'<main><article><h1 class="title">{esc(art.title)}</h1><div class="meta"><span class="author">{esc(art.author)}</span>'
        f'<time datetime="{iso}">{art.published:%d/%m/%Y %H:%M}</time></div><p class="sapo"><b>{esc(art.lead)}</b></p>'
        '<div class="content">'
    )
    body = "".join(f"<p>{esc(p)}</p>" for p in art.paragraphs)
    tail = '</div><div class="tags"><a href="/tag/hop-tac">hợp tác</a></div></article>'
    boxes: list[str] = []
    size = len(head) + len(body) + len(tail) + 600
    k = 0
    while size < target_bytes:
        items = []
        for j in range(12):
            o = others[(art.n * 31 + k * 12 + j) % len(others)]
            items.append(
                f'<li class="item"><a href="{o.path}" class="thumb"><img src="/img/{o.n}.jpg" alt=""></a>'
                f'<h3><a href="{o.path}">{esc(o.title)}</a></h3><p class="summary">{esc(o.lead)}</p></li>'
            )
        box = f'<aside class="box box-{k}"><h2>Tin liên quan</h2><ul>{"".join(items)}</ul></aside>'
        boxes.append(box)
        size += len(box.encode())
        k += 1
    footer = (
        "<footer><p>© Bench News. Giấy phép số 000/GP-BTTTT.</p><ul>"
        + "".join(
            f'<li><a href="/{art.lang}/chuyen-muc-{i}">{esc(c)}</a></li>' for i, c in enumerate(_CATEGORIES)
        )
        + "</ul></footer></body></html>"
    )
    return head + body + tail + "".join(boxes) + "</main>" + footer


def build_site(root: Path, gen: Generator, n: int) -> list[Synthetic]:
    """Write the site under root/HOST: article pages, sitemap.xml, rss.xml, robots.txt."""
    site = root / HOST
    start, end = END - timedelta(days=30), END
    arts = [gen.article(i, start, end) for i in range(n)]
    for lang in ("vi", "en", "ru"):
        (site / lang).mkdir(parents=True, exist_ok=True)
    for art in arts:
        target = random.Random(art.n).randint(60_000, 150_000)
        (site / art.path.lstrip("/")).write_text(page_html(art, arts, target), encoding="utf-8")
    urls = "".join(f"<url><loc>{a.url}</loc><lastmod>{a.published.isoformat()}</lastmod></url>" for a in arts)
    (site / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        encoding="utf-8",
    )
    newest = sorted(arts, key=lambda a: a.published, reverse=True)[:50]
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{a.url}</link>"
        f"<pubDate>{a.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for a in newest
    )
    (site / "rss.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Bench News</title><link>https://{HOST}/</link>{items}</channel></rss>",
        encoding="utf-8",
    )
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return arts


# ------------------------------------------------------------------ processes


@dataclass
class Proc:
    seconds: float
    cpu: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def newsmon_argv(*args: str) -> list[str]:
    exe = Path(sys.executable).parent / "newsmon"
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "monitor", *args]


def bench_env(config: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env["PYTHONIOENCODING"] = "utf-8"
    if config is not None:
        env["NEWSMON_CONFIG"] = str(config)
    return env


def run_process(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> Proc:
    """Run a whole process; wall time, its CPU (user + system) and peak RSS from wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True
        )
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): the child goes too
            os.killpg(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(
            seconds,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def raw_worker(url_file: str) -> None:
    """The bare Scrapy spider: download every URL in the file, do nothing with the pages."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = Path(url_file).read_text(encoding="utf-8").split()

    class RawSpider(scrapy.Spider):
        name = "raw"
        pages = 0

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)

        def parse(self, response):
            RawSpider.pages += 1

    process = CrawlerProcess(
        {
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "DOWNLOAD_TIMEOUT": 15,
        }
    )
    process.crawl(RawSpider)
    process.start()
    print(json.dumps({"pages": RawSpider.pages}))


# ------------------------------------------------------------------ crawl benchmarks


def crawl_config(folder: Path, db: Path, mirror_url: str) -> Path:
    config = folder / "newsmon.toml"
    config.write_text(
        f'''database_url = "{db}"
mirror = "{mirror_url}"

[crawl]
time_limit_minutes = 60

[sources.bench]
spider = "generic"
sitemaps = ["https://{HOST}/sitemap.xml"]
feeds = ["https://{HOST}/rss.xml"]
timezone = "Asia/Ho_Chi_Minh"
''',
        encoding="utf-8",
    )
    return config


def crawl_json(proc: Proc) -> dict[str, Any]:
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"newsmon crawl printed no summary (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def bench_crawl(work: Path, mode: Mode, arts: list[Synthetic], mirror, log) -> dict[str, Any]:
    url_file = work / "urls.txt"
    url_file.write_text("\n".join(f"{mirror.url}/{HOST}{a.path}" for a in arts), encoding="utf-8")
    raw_runs, e2e_runs = [], []
    last_config = None
    for k in range(mode.pairs):
        raw = run_process(
            [sys.executable, str(Path(__file__).resolve()), "--raw-worker", str(url_file)],
            env=bench_env(),
            cwd=work,
            timeout=1200,
        )
        pages = json.loads(raw.stdout.strip().splitlines()[-1])["pages"] if raw.returncode == 0 else 0
        if pages != len(arts):
            raise RuntimeError(
                f"the raw spider downloaded {pages} of {len(arts)} pages:\n{raw.stderr[-2000:]}"
            )
        raw_runs.append(raw)
        folder = work / f"e2e{k}"
        folder.mkdir()
        config = crawl_config(folder, folder / "newsmon.db", mirror.url)
        e2e = run_process(
            newsmon_argv("crawl", "bench", "--json"), env=bench_env(config), cwd=folder, timeout=3600
        )
        summary = crawl_json(e2e)
        stored = summary.get("new", 0) + summary.get("duplicates", 0)
        if summary.get("status") not in ("ok", "partial") or stored < 0.95 * len(arts):
            raise RuntimeError(f"newsmon crawl stored {stored} of {len(arts)} articles: {summary}")
        e2e_runs.append((e2e, summary))
        last_config = config
        log(
            f"  pair {k + 1}: raw {raw.seconds:.1f} s ({raw.cpu:.1f} s CPU), newsmon crawl {e2e.seconds:.1f} s "
            f"({e2e.cpu:.1f} s CPU, {summary.get('new')} new, {summary.get('duplicates')} duplicates, "
            f"{summary.get('errors')} errors)"
        )
    raw_s = statistics.median(r.seconds for r in raw_runs)
    e2e_s = statistics.median(e.seconds for e, _ in e2e_runs)
    e2e_cpu = statistics.median(e.cpu for e, _ in e2e_runs)

    # A second crawl of the unchanged site, then crawls that find nothing changed (start-up cost).
    mirror.clear_hits()
    folder = last_config.parent
    again = run_process(
        newsmon_argv("crawl", "bench", "--json"), env=bench_env(last_config), cwd=folder, timeout=1200
    )
    crawl_json(again)
    article_hits = sum(1 for h in mirror.hits if h.host == HOST and h.path.endswith(".html"))
    starts = [again.cpu]
    for _ in range(mode.start_runs - 1):
        starts.append(
            run_process(
                newsmon_argv("crawl", "bench", "--json"), env=bench_env(last_config), cwd=folder, timeout=600
            ).cpu
        )
    log(
        f"  re-crawl: {again.seconds:.1f} s, {article_hits} article page(s) requested; "
        f"CPU of crawls that find nothing new: {', '.join(f'{s:.2f}' for s in starts)} s"
    )
    return {
        "pages": len(arts),
        "raw_pages_per_s": len(arts) / raw_s,
        "e2e_articles_per_s": len(arts) / e2e_s,
        "e2e_ratio": raw_s / e2e_s,
        "e2e_cpu_s_per_1000": 1000 * e2e_cpu / len(arts),
        "raw_cpu_s_per_1000": 1000 * statistics.median(r.cpu for r in raw_runs) / len(arts),
        # CPU of the raw spider / CPU of the newsmon crawl: less sensitive to machine load than e2e_ratio.
        "e2e_cpu_ratio": statistics.median(r.cpu for r in raw_runs) / e2e_cpu,
        "recrawl_article_requests": article_hits,
        "recrawl_seconds": again.seconds,
        "crawl_peak_rss_mb": max(e.max_rss_mb for e, _ in e2e_runs),
        "crawl_process_start_cpu_s": statistics.median(starts),
    }


# ------------------------------------------------------------------ stored articles in bulk


def article_row(art: Synthetic, aid: int, *, short: bool = False, label: str = "none") -> dict[str, Any]:
    body = art.paragraphs[0] if short else art.body
    return {
        "id": aid,
        "canonical_url": art.url,
        "url": art.url,
        "source": f"s{aid % _SOURCES}",
        "title": art.title,
        "lead": art.lead,
        "body": body,
        "author": art.author,
        "tags": [],
        "language": art.lang,
        "published_at": art.published,
        "first_seen_at": art.published,
        "fetched_at": art.published,
        "content_hash": f"{aid:064x}",
        "label": label,
        "score": 0.9 if label == "core" else 0.1,
        "reasons": [],
        "relevance_version": "bench",
        "story_id": aid,
    }


def bulk_articles(db, rows: list[dict[str, Any]]) -> None:
    """Insert article rows and their URL keys in one transaction (no per-row ORM work)."""
    from sqlalchemy import insert

    from storage import Article
    from storage.models import ArticleUrl

    with db.session() as session:
        conn = session.connection()
        conn.execute(insert(Article.__table__), _complete(Article.__table__, rows))
        conn.execute(
            insert(ArticleUrl.__table__),
            [
                {"canonical_url": r["canonical_url"], "article_id": r["id"], "seen_at": r["fetched_at"]}
                for r in rows
            ],
        )


def index_stories(db, rows: list[dict[str, Any]]) -> None:
    """Put bulk-inserted articles into the story index, each keeping its own story
    (StoryGrouper.refresh re-indexes an article that has a story without regrouping it)."""
    from monitor.stories import StoryGrouper
    from storage import Article

    grouper = StoryGrouper(db)
    for r in rows:
        grouper.refresh(Article(**r))


def history_rows(
    gen: Generator, first_id: int, count: int, start: datetime, end: datetime, *, short: bool = False
) -> list[dict[str, Any]]:
    rows = []
    for k in range(count):
        aid = first_id + k
        art = gen.article(aid, start, end)
        art.published = start + (end - start) * (k + 0.5) / count
        rng = aid % 100
        label = "core" if rng < 3 else "national" if rng < 10 else "none"
        rows.append(article_row(art, aid, short=short, label=label))
    return rows


def new_articles(gen: Generator, base: int, count: int, after: datetime) -> list[dict[str, Any]]:
    """Fields of new articles (an Article is made from them per database: one object, one session)."""
    out = []
    for k in range(count):
        art = gen.article(base + k, after, after + timedelta(hours=1))
        art.published = after + timedelta(minutes=2 * (k + 1))
        out.append(
            dict(
                canonical_url=art.url,
                url=art.url,
                source="bench",
                title=art.title,
                lead=art.lead,
                body=art.body,
                language=art.lang,
                published_at=art.published,
                content_hash="",
                label="none",
                reasons=[],
            )
        )
    return out


def store_and_group(db, grouper, fields: dict[str, Any]) -> float:
    """What the crawl pipeline does per new article after parsing: store it, give it its story."""
    from storage import Article, ArticleStore

    t0 = time.perf_counter()
    saved = ArticleStore(db).save(Article(**fields))
    stored = ArticleStore(db).get(saved.article_id)
    grouper.assign(stored)
    return time.perf_counter() - t0


def bench_story_rates(
    work: Path, mode: Mode, gen: Generator, log
) -> tuple[dict[str, float], dict[str, float]]:
    """Per-article story grouping cost with 30, 300 and 3,000 stored articles a day: median wall
    milliseconds, and median CPU milliseconds of the grouping thread (steadier on a busy machine)."""
    from monitor.stories import StoryGrouper
    from storage import Article, ArticleStore, Database

    dbs = {}
    for rate in RATES:
        db = Database(f"sqlite:///{work / f'stories-{rate}.db'}")
        count = round(rate * mode.story_days)
        t0 = time.perf_counter()
        for start in range(0, count, 5000):
            n = min(5000, count - start)
            span = timedelta(days=mode.story_days)
            chunk = history_rows(
                gen, 1 + start, n, END - span + span * start / count, END - span + span * (start + n) / count
            )
            bulk_articles(db, chunk)
            index_stories(db, chunk)
        log(f"  {rate}/day: {count} articles stored and indexed in {time.perf_counter() - t0:.1f} s")
        dbs[rate] = (db, StoryGrouper(db))
    fresh = new_articles(gen, 5_000_000, mode.story_new + 1, END)
    times: dict[int, list[float]] = {rate: [] for rate in RATES}
    cpu: dict[int, list[float]] = {rate: [] for rate in RATES}
    for rate in RATES:  # warm caches and code paths alike
        store_and_group(dbs[rate][0], dbs[rate][1], fresh[0])
    for article in fresh[1:]:
        for rate in RATES:  # interleaved: machine load hits every rate alike
            db, grouper = dbs[rate]
            saved = ArticleStore(db).save(Article(**article))
            stored = ArticleStore(db).get(saved.article_id)
            t0, c0 = time.perf_counter(), time.thread_time()
            grouper.assign(stored)
            times[rate].append(time.perf_counter() - t0)
            cpu[rate].append(time.thread_time() - c0)
    for db, _ in dbs.values():
        db.dispose()
    return {str(rate): 1000 * statistics.median(times[rate]) for rate in RATES}, {
        str(rate): 1000 * statistics.median(cpu[rate]) for rate in RATES
    }


def _complete(table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give required columns this file does not know (added by a later schema) an empty value."""
    from sqlalchemy import Integer, Numeric

    missing = (
        [
            c
            for c in table.columns
            if not c.nullable
            and c.default is None
            and c.server_default is None
            and not c.primary_key
            and c.name not in rows[0]
        ]
        if rows
        else []
    )
    for c in missing:
        empty = 0 if isinstance(c.type, (Integer, Numeric)) else ""
        for r in rows:
            r[c.name] = empty
    return rows


def add_run_history(db, days: int, sources: int = _SOURCES) -> int:
    """``days`` of crawl runs (every source every 30 minutes) and daily sent digests."""
    from sqlalchemy import insert

    from storage.models import CrawlRun, Digest

    rows = []
    t = END - timedelta(days=days)
    k = 0
    while t < END:
        for s in range(sources):
            status = "failed" if k % 97 == 0 else "partial" if k % 13 == 0 else "ok"
            rows.append(
                {
                    "source": f"s{s}",
                    "started_at": t,
                    "finished_at": t + timedelta(seconds=40),
                    "status": status,
                    "pid": 1,
                    "host": "bench",
                    "requests": 20,
                    "articles_seen": 5,
                    "new": 2,
                    "updated": 0,
                    "unchanged": 0,
                    "duplicates": 0,
                    "errors": int(status != "ok"),
                    "blocked": 0,
                    "not_modified": 3,
                    "message": None,
                    "error_samples": [],
                }
            )
            k += 1
        t += timedelta(minutes=30)
    digests = [
        {
            "message_id": f"<bench-{d}@bench>",
            "created_at": END - timedelta(days=d),
            "status": "sent",
            "sender": "newsmon@localhost",
            "recipients": ["reader@bench.example"],
            "raw_message": "",
            "html": "",
            "subject": "newsmon digest",
            "sent_at": END - timedelta(days=d),
        }
        for d in range(days, 0, -1)
    ]
    with db.session() as session:
        conn = session.connection()
        for start in range(0, len(rows), 20_000):
            conn.execute(
                insert(CrawlRun.__table__), _complete(CrawlRun.__table__, rows[start : start + 20_000])
            )
        conn.execute(insert(Digest.__table__), _complete(Digest.__table__, digests))
    return len(rows)


def stored_config(folder: Path, db: Path) -> Path:
    config = folder / "newsmon.toml"
    sources = "".join(
        f'\n[sources.s{s}]\nspider = "generic"\nfeeds = ["https://{HOST}/rss.xml"]\n' for s in range(_SOURCES)
    )
    config.write_text(f'database_url = "{db}"\n{sources}', encoding="utf-8")
    return config


def bench_stored(work: Path, mode: Mode, gen: Generator, log) -> dict[str, Any]:
    """digest/status at the small and large stored sizes, and store+group per article at each."""
    from monitor.stories import StoryGrouper
    from storage import Database

    small_db = work / "small.db"
    db = Database(f"sqlite:///{small_db}")
    t0 = time.perf_counter()
    span = timedelta(days=30)
    for start in range(0, mode.small, 5000):
        n = min(5000, mode.small - start)
        rows = history_rows(
            gen,
            1 + start,
            n,
            END - span + span * start / mode.small,
            END - span + span * (start + n) / mode.small,
        )
        bulk_articles(db, rows)
        # Grouping a new article looks at most 3 days back: the last 4 days are story-indexed,
        # older articles only stored (as in the large store below, so both index the same recent past).
        index_stories(db, [r for r in rows if r["published_at"] >= END - timedelta(days=4)])
    runs = add_run_history(db, mode.history_days)
    db.dispose()
    log(
        f"  {mode.small:,} stored articles (the last 4 days story-indexed) and {runs:,} crawl runs "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    sizes = {mode.small: small_db}
    if mode.large:
        large_db = work / "large.db"
        shutil.copyfile(small_db, large_db)
        db = Database(f"sqlite:///{large_db}")
        t0 = time.perf_counter()
        older = mode.large - mode.small
        past_end = END - span
        past_start = past_end - timedelta(days=max(365, older // 3000))
        for start in range(0, older, 20_000):
            n = min(20_000, older - start)
            a = past_start + (past_end - past_start) * start / older
            b = past_start + (past_end - past_start) * (start + n) / older
            bulk_articles(db, history_rows(gen, mode.small + 1 + start, n, a, b, short=True))
        db.dispose()
        log(
            f"  {mode.large:,} stored: {older:,} older articles added in bulk in {time.perf_counter() - t0:.1f} s "
            "(stored and URL-keyed; not story-indexed: they are older than any story window)"
        )
        sizes[mode.large] = large_db

    folders = {}
    for n, path in sizes.items():
        folder = work / f"stored-{n}"
        folder.mkdir()
        folders[n] = stored_config(folder, path)
    digest_t: dict[int, list[float]] = {n: [] for n in sizes}
    status_t: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(mode.repeats):
        for n, config in folders.items():
            d = run_process(
                newsmon_argv("digest", "--dry-run"), env=bench_env(config), cwd=config.parent, timeout=600
            )
            if d.returncode != 0:
                raise RuntimeError(f"newsmon digest --dry-run failed:\n{d.stderr[-2000:]}")
            s = run_process(
                newsmon_argv("status", "--json"), env=bench_env(config), cwd=config.parent, timeout=600
            )
            if s.returncode != 0:
                raise RuntimeError(f"newsmon status failed:\n{s.stderr[-2000:]}")
            digest_t[n].append(d.seconds)
            status_t[n].append(s.seconds)
            log(
                f"  {n:,} stored: digest --dry-run {d.seconds:.2f} s ({d.cpu:.2f} s CPU), "
                f"status {s.seconds:.2f} s ({s.cpu:.2f} s CPU)"
            )

    # Store + group per article at each size, interleaved article by article.
    handles = {n: Database(f"sqlite:///{p}") for n, p in sizes.items()}
    groupers = {n: StoryGrouper(db) for n, db in handles.items()}
    fresh = new_articles(gen, 9_000_000, mode.ingest_new + 1, END)
    for n in sizes:
        store_and_group(handles[n], groupers[n], fresh[0])
    ingest: dict[int, list[float]] = {n: [] for n in sizes}
    for article in fresh[1:]:
        for n in sizes:
            ingest[n].append(store_and_group(handles[n], groupers[n], article))
    for db in handles.values():
        db.dispose()
    key = {n: str(n) for n in sizes}
    out: dict[str, Any] = {
        "stored_sizes": list(sizes),
        "digest_seconds": {key[n]: statistics.median(v) for n, v in digest_t.items()},
        "status_seconds": {key[n]: statistics.median(v) for n, v in status_t.items()},
        "ingest_ms_per_article": {key[n]: 1000 * statistics.mean(v) for n, v in ingest.items()},
    }
    if mode.large:
        ratio = statistics.mean(ingest[mode.large]) / statistics.mean(ingest[mode.small])
        out["ingest_ratio_large_vs_small"] = ratio
        out["ingest_ratio_1m_vs_10k"] = ratio if (mode.small, mode.large) == (10_000, 1_000_000) else None
    return out


# ------------------------------------------------------------------ the rest


def bench_relevance(mode: Mode, gen: Generator) -> float:
    from monitor.relevance import RelevanceModel

    model = RelevanceModel.load(None)
    arts = [gen.article(7_000_000 + k, END - timedelta(days=1), END) for k in range(mode.relevance)]
    model.judge(arts[0].title, arts[0].body, lead=arts[0].lead, lang=arts[0].lang)
    t0 = time.perf_counter()
    for a in arts:
        model.judge(a.title, a.body, lead=a.lead, lang=a.lang)
    return len(arts) / (time.perf_counter() - t0)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# Daemon crawl children per mode: pairs on the unchanged site, pairs on a small changed site,
# articles of that site.
CHILD_RUNS = {"full": (8, 3, 20), "quick": (5, 2, 10), "smoke": (2, 1, 3)}


def bench_daemon_children(
    work: Path, mode: Mode, gen: Generator, log, variants: tuple[str, ...] = ("exec", "forked")
) -> dict[str, Any]:
    """A daemon's crawl children (ChildProcess, as scheduler.Daemon makes them), started afresh and
    forked from the zygote, interleaved, in a driver process of their own. ``variants`` may add
    "forked_light": forked from a zygote as it was until 2026-12-03 (no numpy, relevance model or
    story grouping preloaded, no gc.freeze)."""
    from monitor.mirror import MirrorServer

    pairs, changed_pairs, pages = CHILD_RUNS[mode.name]
    unchanged = work / f"e2e{mode.pairs - 1}" / "newsmon.toml"  # crawled several times: nothing new
    build_site(work / "small-site", gen, pages)
    with MirrorServer(work / "small-site") as small:
        configs = []
        for k in range(len(variants) * changed_pairs):
            folder = work / f"changed{k}"
            folder.mkdir()
            configs.append(str(crawl_config(folder, folder / "newsmon.db", small.url)))
        spec = work / "children.json"
        spec.write_text(
            json.dumps(
                {"unchanged": str(unchanged), "pairs": pairs, "changed": configs, "variants": variants}
            ),
            encoding="utf-8",
        )
        proc = run_process(
            [sys.executable, str(Path(__file__).resolve()), "--children-worker", str(spec)],
            env=bench_env(),
            cwd=work,
            timeout=3600,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"the daemon-children driver failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    for what in ("unchanged", "changed"):
        for how in variants:
            log(
                f"  {what} site, {how}: CPU {', '.join(f'{c:.2f}' for c in data[what][how]['cpu'])} s, "
                f"wall {', '.join(f'{w:.1f}' for w in data[what][how]['seconds'])} s"
            )
    for how, zyg in data["zygotes"].items():
        log(f"  zygote ({how}): start {zyg['start_cpu_s']:.2f} s CPU, RSS {zyg['rss_mb']:.0f} MB")
    log(f"  {pages} new articles a changed crawl; load average {data['load']}")

    def medians(what: str) -> dict[str, float]:
        return {how: statistics.median(data[what][how]["cpu"]) for how in variants}

    return {
        "daemon_crawl_child_cpu_s": medians("unchanged"),
        "daemon_changed_crawl_child_cpu_s": medians("changed"),
        "zygote_start_cpu_s": data["zygotes"]["forked"]["start_cpu_s"],
        "zygote_rss_mb": {how: zyg["rss_mb"] for how, zyg in data["zygotes"].items()},
        "children_load_average": data["load"],
    }


def children_only(mode: Mode, gen: Generator, log) -> dict[str, Any]:
    """`--children`: the site, crawled (twice, so the unchanged source is as part 7 meets it in a
    full run), then the daemon crawl children exec / forked / forked_light, interleaved."""
    from monitor.mirror import MirrorServer

    with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as tmp:
        work = Path(tmp)
        build_site(work / "site", gen, mode.pages)
        with MirrorServer(work / "site") as mirror:
            folder = work / f"e2e{mode.pairs - 1}"
            folder.mkdir()
            config = crawl_config(folder, folder / "newsmon.db", mirror.url)
            for _ in range(2):
                crawl_json(
                    run_process(
                        newsmon_argv("crawl", "bench", "--json"),
                        env=bench_env(config),
                        cwd=folder,
                        timeout=3600,
                    )
                )
            log("daemon crawl children: afresh, forked, forked from the light zygote (interleaved):")
            return bench_daemon_children(work, mode, gen, log, ("exec", "forked", "forked_light"))


def children_worker(spec_file: str) -> None:
    """The driver of bench_daemon_children: runs crawl children in turn afresh and forked (from
    each zygote), and measures each one's CPU: its own (exec: this process's reaped children) or
    its zygote's (forked: the zygote reaps them), plus this process's share (starting and
    watching it)."""
    import resource

    from monitor.daemon import zygote
    from monitor.daemon.children import ChildProcess, child_command

    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    variants: list[str] = spec["variants"]
    launchers = {
        "forked": zygote.Zygote(),
        "forked_light": zygote.Zygote(preload=zygote.LIGHT_PRELOAD, relevance=(), freeze=False),
    }
    launchers = {how: launchers[how] for how in variants if how != "exec"}
    tick = os.sysconf("SC_CLK_TCK")

    def zygote_cpu(launcher: zygote.Zygote | None, children: bool = True) -> float:
        if launcher is None or launcher.pid is None:
            return 0.0
        fields = Path(f"/proc/{launcher.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11 : 15 if children else 13]) / tick

    def mine() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def crawl(config: str, how: str) -> tuple[float, float]:
        launcher = launchers.get(how)
        before = mine() + zygote_cpu(launcher)
        t0 = time.perf_counter()
        result = ChildProcess(
            "bench crawl",
            child_command(config, "crawl", "bench"),
            bench_env(),
            time_limit=1800,
            zygote=launcher,
        ).run()
        seconds = time.perf_counter() - t0
        outcome = json.loads(result.output or "{}")
        if result.forked != (launcher is not None) or outcome.get("status") not in ("ok", "partial"):
            raise RuntimeError(f"crawl child ({how}) failed: {outcome or result.stderr_tail[-2000:]}")
        return mine() + zygote_cpu(launcher) - before, seconds

    # A zygote's start (its imports) is paid once per daemon, by its first child.
    out: dict[str, Any] = {"zygotes": {}}
    for how, launcher in launchers.items():
        warm = ChildProcess(
            "warm", [sys.executable, "-c", "pass"], bench_env(), time_limit=600, zygote=launcher
        )
        if not warm.run().forked:
            raise RuntimeError(f"the zygote ({how}) did not start")
        out["zygotes"][how] = {
            "start_cpu_s": zygote_cpu(launcher, children=False),
            "rss_mb": rss_mb(launcher.pid) if launcher.pid else None,
        }
    load0 = os.getloadavg()
    runs = [(spec["unchanged"], "unchanged")] * spec["pairs"]
    runs += [(config, "changed") for config in spec["changed"][:: len(variants)]]
    for what in ("unchanged", "changed"):
        out[what] = {how: {"cpu": [], "seconds": []} for how in variants}
    for k, (config, what) in enumerate(runs):
        # Take turns at going first, so none always meets a warmer machine.
        order = variants[k % len(variants) :] + variants[: k % len(variants)]
        for how in order:
            if what == "changed":  # a fresh database each time: every article is new
                config = spec["changed"][len(variants) * (k - spec["pairs"]) + variants.index(how)]
            cpu, seconds = crawl(config, how)
            out[what][how]["cpu"].append(cpu)
            out[what][how]["seconds"].append(seconds)
    load1 = os.getloadavg()
    out["load"] = [round(x, 2) for x in (*load0, *load1)]
    for launcher in launchers.values():
        launcher.close()
    print(json.dumps(out))


def bench_idle_daemon(work: Path) -> float:
    """RSS of `newsmon run` once it has scheduled its jobs and waits (nothing due for months)."""
    folder = work / "daemon"
    folder.mkdir()
    config = folder / "newsmon.toml"
    sources = "".join(
        f'\n[sources.s{s}]\nspider = "generic"\nfeeds = ["https://{HOST}/rss.xml"]\nschedule = "cron:0 3 1 1 *"\n'
        for s in range(_SOURCES)
    )
    config.write_text(
        f'database_url = "{folder / "newsmon.db"}"\n\n[digest]\nschedules = ["cron:0 4 1 1 *"]\n{sources}',
        encoding="utf-8",
    )
    log_path = folder / "daemon.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            newsmon_argv("run"),
            env=bench_env(config),
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            if text.count("next run") >= _SOURCES + 1:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"newsmon run exited early ({proc.returncode}):\n{text[-2000:]}")
            time.sleep(0.1)
        else:
            raise RuntimeError("newsmon run did not schedule its jobs within 120 s")
        samples = []
        for _ in range(5):  # it is idle now: the RSS no longer moves
            samples.append(rss_mb(proc.pid) or 0.0)
            time.sleep(0.2)
        return max(samples)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


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


def table(result: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, dict):
            return ", ".join(f"{k}: {fmt(x)}" for k, x in v.items())
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
        return str(v)

    keys = [
        *KEYS,
        "zygote_rss_mb",
        "children_load_average",
        "raw_cpu_s_per_1000",
        "e2e_cpu_ratio",
        "story_cpu_ms_per_article",
        "ingest_ms_per_article",
        "ingest_ratio_large_vs_small",
        "stored_sizes",
        "pages",
        "mode",
        "seconds",
    ]
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {k} | {fmt(result.get(k))} |" for k in keys if k in result]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller site, no 1M fill (under 3 minutes)")
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run that only checks that everything works"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--children",
        action="store_true",
        help="only the daemon crawl children (7), with the zygote as it was before numpy, the relevance "
        "model and story grouping were preloaded (forked_light) interleaved too",
    )
    parser.add_argument("--raw-worker", metavar="URLFILE", help=argparse.SUPPRESS)
    parser.add_argument("--children-worker", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw_worker:
        raw_worker(args.raw_worker)
        return 0
    if args.children_worker:
        children_worker(args.children_worker)
        return 0
    mode = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    # SIGTERM unwinds like Ctrl-C: children stopped, servers closed, temporary files removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from monitor.mirror import MirrorServer

    started = time.perf_counter()
    result: dict[str, Any] = {"mode": mode.name}
    gen = Generator(mirror_texts())
    if args.children:
        result.update(children_only(mode, gen, log))
        result["seconds"] = time.perf_counter() - started
        print(json.dumps(result) if args.json else table(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        arts = build_site(work / "site", gen, mode.pages)
        size = sum(p.stat().st_size for p in (work / "site" / HOST).rglob("*.html")) / len(arts) / 1024
        log(
            f"site: {len(arts)} articles, {size:.0f} KB a page on average, built in {time.perf_counter() - t0:.1f} s"
        )
        with MirrorServer(work / "site") as mirror:
            log("crawls (interleaved: raw spider, newsmon crawl, ...):")
            result.update(bench_crawl(work, mode, arts, mirror, log))
            log("daemon crawl children, started afresh vs forked from the zygote (interleaved):")
            result.update(bench_daemon_children(work, mode, gen, log))
        log("story grouping by articles a day:")
        result["story_ms_per_article"], result["story_cpu_ms_per_article"] = bench_story_rates(
            work, mode, gen, log
        )
        log("stored articles, digest and status:")
        result.update(bench_stored(work, mode, gen, log))
        result.setdefault("ingest_ratio_1m_vs_10k", None)
        result["relevance_articles_per_s"] = bench_relevance(mode, gen)
        result["idle_daemon_rss_mb"] = bench_idle_daemon(work)
    result["seconds"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(result))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
