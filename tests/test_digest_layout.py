"""The digest as a reader sees it: rendered by a real browser (Debian's headless chromium) at
phone width (400 px) and desktop width (1000 px), nothing may stick out sideways and no date
may wrap; the plain-text part shows readable links; highlights and "why" keep phrases whole."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from monitor.digest.content import (
    DeliveryProblem,
    DigestContent,
    Item,
    OtherSource,
    SourceHealth,
    explain,
    highlight,
)
from monitor.digest.render import display_url, render_html, render_text

LONG_URL = (
    "https://hanoimoi.vn/" + "ph%C6%B0%E1%BB%9Dng-ho%C3%A0n-ki%E1%BA%BFm-v%C3%A0-qu%E1%BA%ADn-tverskoy-"
    "m%C3%A1t-xc%C6%A1-va-k%C3%BD-bi%C3%AAn-b%E1%BA%A3n-ghi-nh%E1%BB%9B-h%E1%BB%A3p-t%C3%A1c-563371.html"
)

# Records, per width, how the page laid out: the document's scroll width against the viewport, every
# element that sticks out on the right, and on how many lines each date-and-time stands.
PROBE = """
window.addEventListener('load', () => {
  const frame = document.getElementById('digest'), doc = frame.contentDocument;
  const width = doc.documentElement.clientWidth, out = [];
  for (const el of doc.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5) out.push(el.tagName + ': ' + el.textContent.trim().slice(0, 60));
  }
  const dates = [], walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  const re = /\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}/g;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(re)) {
      const range = doc.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      dates.push([m[0], tops.size]);
    }
  }
  document.body.setAttribute('data-layout', JSON.stringify(
    {scroll: doc.documentElement.scrollWidth, width: width, outside: out, dates: dates}));
});
"""


def sample_content() -> DigestContent:
    when = "2026-11-20 07:30"
    snippet = highlight(
        "Ngày 20/11, phường Hoàn Kiếm và quận Tverskoy của thành phố Moskva đã ký biên bản ghi nhớ "
        "hợp tác về văn hóa, du lịch và quản lý đô thị.",
        ["phường Hoàn Kiếm", "thành phố Moskva", "bản ghi nhớ", "hợp tác"],
    )
    item = Item(
        article_id=1,
        section="core",
        title="Phường Hoàn Kiếm và quận Tverskoy (thành phố Moskva, Liên bang Nga) ký biên bản ghi nhớ "
        "hợp tác giai đoạn 2026–2030",
        url=html.unescape(LONG_URL),
        source="hanoimoi",
        source_label="Hà Nội Mới",
        language="vi",
        language_name="Vietnamese",
        when=when,
        snippet=snippet,
        why="core 0.74 · Hanoi: Phường Hoàn Kiếm, Hà Nội · Russia: thành phố Moskva, Liên bang Nga · "
        "cooperation: biên bản ghi nhớ, hợp tác",
        score=0.74,
        also_in=[
            OtherSource(
                2,
                "Москва и Ханой подписали меморандум",
                "https://www.vietnamplus.vn/ru/x.vnp",
                "vietnamplus_ru",
                "VietnamPlus (Russian)",
                "Russian",
                when,
            )
        ],
    )
    national = Item(
        article_id=3,
        section="national",
        title="Việt Nam và Liên bang Nga tăng cường hợp tác năng lượng",
        url="https://baoquocte.vn/viet-nam-nga-tang-cuong-hop-tac-nang-luong-123456.html",
        source="baoquocte",
        source_label="Thế giới & Việt Nam",
        language="vi",
        language_name="Vietnamese",
        when=when,
        snippet=[],
        why="national 0.41 · Vietnam: Việt Nam",
        score=0.41,
    )
    labels = [
        "Hà Nội Mới",
        "Kinh tế & Đô thị",
        "The Hanoi Times",
        "VietnamPlus",
        "VietnamPlus (English)",
        "VietnamPlus (Russian)",
        "Nhân Dân",
        "VOV World (Russian service)",
        "Thế giới & Việt Nam",
        "tass-russian-news-agency-feed",
    ]
    health = [
        SourceHealth(
            f"s{n}",
            label,
            runs=24,
            failed=n % 3,
            found_nothing=12,
            new=137,
            last_success=when if n % 4 else "never",
            last_status="partial",
        )
        for n, label in enumerate(labels)
    ]
    problems = [
        DeliveryProblem(
            7,
            "international-desk.long-mailbox-name@newsroom.example.org",
            "127.0.0.1:2525: SMTP 552: 5.2.2 Mailbox full, quota exceeded for this recipient",
            when,
        )
    ]
    return DigestContent(
        topic="Hà Nội – Nga",
        created=when,
        date="2026-11-20",
        timezone="Asia/Ho_Chi_Minh",
        since="2026-11-19 07:30",
        core=[item, item],
        national=[national],
        overflow=[9, 10],
        health=health,
        delivery=problems,
    )


def layout(page: str, width: int) -> dict:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail(
            "Debian's chromium is needed for this test (apt-get install chromium; .ci/run installs it)"
        )
    host = (
        f'<!DOCTYPE html><html><body style="margin:0"><iframe id="digest" style="width:{width}px;height:4000px;'
        f'border:0" srcdoc="{html.escape(page, quote=True)}"></iframe><script>{PROBE}</script></body></html>'
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "host.html"
        path.write_text(host, encoding="utf-8")
        dom = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={folder}/profile",
                "--window-size=1200,900",
                "--dump-dom",
                path.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, f"the probe did not run: {dom[:500]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [400, 1000])
def test_digest_fits_the_screen_and_dates_stay_on_one_line(width: int) -> None:
    result = layout(render_html(sample_content()), width)
    assert result["width"] == width
    assert result["scroll"] <= width, f"scrolls sideways at {width} px: {result['outside'][:5]}"
    assert result["outside"] == []
    assert len(result["dates"]) >= 10
    assert [d for d in result["dates"] if d[1] != 1] == []


def test_text_part_shows_decoded_links() -> None:
    text = render_text(sample_content())
    assert "https://hanoimoi.vn/phường-hoàn-kiếm-và-quận-tverskoy" in text
    assert "%C6%B0" not in text
    assert display_url("https://example.org/a%20b%2Fc?q=%E1%BA%A1") == "https://example.org/a%20b%2Fc?q=ạ"
    assert (
        display_url("https://example.org/%FF%FE") == "https://example.org/%FF%FE"
    )  # not UTF-8: left as it is


def test_highlight_keeps_phrases_whole() -> None:
    segments = highlight(
        "Hai bên đã ký biên bản ghi nhớ hợp tác tại Hà Nội.", ["bản ghi nhớ", "hợp tác", "Hà Nội"]
    )
    marked = [s.text for s in segments if s.mark]
    assert marked == ["biên bản ghi nhớ hợp tác", "Hà Nội"]
    assert "".join(s.text for s in segments) == "Hai bên đã ký biên bản ghi nhớ hợp tác tại Hà Nội."


def test_why_lists_no_stray_fragments() -> None:
    reasons = [
        {"phrase": "Việt Nam", "side": "vietnam", "weight": 1.5},
        {"phrase": "Việt", "side": "vietnam", "weight": 1.25},
        {"phrase": "Nga", "side": "russia", "weight": 1.5},
        {"phrase": "Liên bang Nga", "side": "russia", "weight": 1.0},
        {"phrase": "hợp tác", "side": "cooperation", "weight": 2.5},
    ]
    why = explain(reasons, "national", 0.4)
    assert "Vietnam: Việt Nam ·" in why and "Việt," not in why and "Việt ·" not in why
    assert "Russia: Liên bang Nga ·" in why
    # A lone fragment joined to its partner by a dash in the text is shown with it.
    lone = [
        {"phrase": "Việt", "side": "vietnam", "weight": 1.0},
        {"phrase": "Nga", "side": "russia", "weight": 1.0},
    ]
    assert "Vietnam: Việt – Nga" in explain(
        lone, "national", 0.3, text="Hội hữu nghị Việt – Nga tổ chức gặp mặt"
    )
