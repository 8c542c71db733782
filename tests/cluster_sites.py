"""Many small generic news sites for the cluster test and bench/bench_cluster.py: each site has
two editions (``www.`` and ``en.``, one site for the site lock), each edition a feed of two
articles. Our own invented texts; one article per edition is about Hanoi–Moscow cooperation,
so digests have something to send."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

_ARTICLE = """<!doctype html><html lang="vi"><head>
<meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2026-11-30T0{n}:00:00+07:00">
</head><body><article><h1>{title}</h1>
{body}
</article></body></html>"""

_LOCAL = (
    "<p>Sáng nay, hội chợ hàng tiêu dùng lần thứ {site} đã khai mạc với hơn {stalls} gian hàng của "
    "các doanh nghiệp địa phương.</p>\n<p>Ban tổ chức cho biết hội chợ kéo dài năm ngày, mở cửa từ "
    "tám giờ sáng đến mười giờ tối, phiên bản {edition}.</p>"
)
_COOPERATION = (
    "<p>Ngày 30/11, Chủ tịch UBND thành phố Hà Nội đã tiếp đoàn đại biểu thành phố Moskva (Liên bang "
    "Nga) sang thăm và làm việc, lần thứ {site} phiên bản {edition}.</p>\n<p>Hai bên đã ký biên bản "
    "ghi nhớ hợp tác giữa Hà Nội và Moskva về giáo dục, văn hóa và đầu tư giai đoạn 2026–2030, với "
    "{stalls} dự án cụ thể.</p>"
)


def write_edition(root: Path, site: int, edition: str) -> str:
    """One edition's feed and its two articles under ``root/HOST``; returns the host."""
    host = f"{edition}.site{site:03d}.test"
    folder = root / host
    (folder / "news").mkdir(parents=True, exist_ok=True)
    items = []
    for n, template in ((1, _LOCAL), (2, _COOPERATION)):
        url = f"https://{host}/news/a{n}.html"
        title = (
            f"Hội chợ số {site} {edition} khai mạc tại quận trung tâm"
            if n == 1
            else f"Hà Nội và Moskva ký kết hợp tác, đoàn số {site} {edition}"
        )
        items.append(
            f"<item><title>{title}</title><link>{url}</link>"
            f"<pubDate>Mon, 30 Nov 2026 0{n}:00:00 +0700</pubDate></item>"
        )
        body = template.format(site=site, edition=edition, stalls=100 + n)
        (folder / "news" / f"a{n}.html").write_text(
            _ARTICLE.format(title=title, n=n, body=body), encoding="utf-8"
        )
    (folder / "rss.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Tin</title>'
        f"<link>https://{host}/</link>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return host


def write_sites(root: Path, sites: int) -> list[str]:
    """``sites`` sites of two editions each; returns the hosts."""
    return [write_edition(root, site, edition) for site in range(sites) for edition in ("www", "en")]


def source_name(host: str) -> str:
    return host.replace(".", "_")


def cluster_config(
    mirror_url: str, hosts: list[str], *, period_seconds: int, digest_schedule: str, outbox: Path
) -> str:
    """A config for workers over ``hosts``: one generic source per host, crawled every
    ``period_seconds``; heartbeats every 2 s and a worker silent for 20 s counts as dead, so a
    killed worker is noticed quickly."""
    sources = "".join(
        f'[sources.{source_name(host)}]\nspider = "generic"\nfeeds = ["https://{host}/rss.xml"]\n'
        f'languages = ["vi"]\nschedule = "interval:{period_seconds}s"\ndiscover = false\n'
        for host in hosts
    )
    return (
        f'mirror = "{mirror_url}"\n[crawl]\ndelay_seconds = 0\n'
        "[daemon]\nheartbeat_seconds = 2\nlock_stale_seconds = 20\nshutdown_grace_seconds = 20\n"
        f'[digest]\nschedules = ["{digest_schedule}"]\noutbox = "{outbox}"\n{sources}'
    )


def start_worker(
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    *options: str,
    concurrency: int = 2,
    tick_seconds: int = 5,
    queues: str | None = None,
) -> subprocess.Popen:
    """`newsmon worker --concurrency N --tick-seconds S [--queues Q]` in ``cwd``, its output in ``log``."""
    with open(log, "w") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                *options,
                "worker",
                "--concurrency",
                str(concurrency),
                "--tick-seconds",
                str(tick_seconds),
                *(["--queues", queues] if queues else []),
            ],
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """SIGTERM to each worker still running (they let their crawls finish), then wait; kill what hangs."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
