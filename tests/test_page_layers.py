"""The layers every spider shares, on pages written here: JSON-LD with HTML entities,
meta tags written with name= and in US order, comma-joined tags, sitemap ordering."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request

from spiders.base import newest_sitemaps
from spiders.hanoimoi import HanoimoiSpider
from spiders.page import Page, metadata_fields, text_of

URL = "https://hanoimoi.vn/pho-di-bo-mo-rong-them-hai-tuyen-moi-570001.html"
# A page in the shape of hanoimoi's (NewsArticle JSON-LD with escaped strings, US-order
# meta date with name=), but without the site's article markup: only the fallbacks can read it.
PAGE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Phố đi bộ mở rộng thêm hai tuyến mới</title>
<meta name="article:published_time" content="2/3/2026 6:52:01 PM">
<meta property="og:site_name" content="Báo Hànộimới">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Ph&#7889; &#273;i b&#7897; Hai B&#224; Tr&#432;ng m&#7903; r&#7897;ng",
 "description": "Qu&#7853;n &amp; ph&#432;&#7901;ng th&#7889;ng nh&#7845;t l&#7897; tr&#236;nh.",
 "author": {"@type": "Person", "name": "Minh &#272;&#7913;c"},
 "publisher": {"@type": "Organization", "name": "Báo Hànộimới"}}</script>
</head><body><div class="page-new-layout"><article>
<p>Từ tháng Ba, phố đi bộ quanh hồ sẽ có thêm hai tuyến mới nối với khu phố cổ, theo kế hoạch
mà thành phố vừa thông qua sau nhiều vòng lấy ý kiến người dân và các hộ kinh doanh.</p>
<p>Các tuyến mới mở vào tối thứ Sáu, thứ Bảy và Chủ nhật; phương tiện cá nhân được hướng dẫn
đi đường vòng, và các bãi trông giữ xe được bố trí thêm ở những tuyến phố lân cận.</p>
</article></div>
<div class="c-powered"><p>(*) Không sao chép dưới mọi hình thức khi chưa có sự đồng ý bằng văn bản.</p></div>
</body></html>"""


def read(html: str):
    response = HtmlResponse(url=URL, body=html.encode("utf-8"), encoding="utf-8", request=Request(URL))
    return HanoimoiSpider().read_article(response)


def test_entity_escaped_json_ld_is_unescaped_in_every_field():
    meta = metadata_fields(Page.from_html(URL, PAGE))
    assert meta.title == "Phố đi bộ Hai Bà Trưng mở rộng"
    assert meta.lead == "Quận & phường thống nhất lộ trình."
    assert meta.author == "Minh Đức"
    item = read(PAGE)
    assert (item.title, item.lead, item.author) == (meta.title, meta.lead, meta.author)
    assert item.layers["title"] == item.layers["lead"] == item.layers["author"] == "metadata"


def test_us_order_meta_date_written_with_name_is_read_month_first():
    item = read(PAGE)
    assert item.published_at.isoformat() == "2026-02-03T18:52:01+07:00"  # not 2 March, 06:52
    assert item.layers["published_at"] == "metadata"


def test_footer_copyright_line_is_not_body():
    item = read(PAGE)
    assert item.layers["body"] == "main_text"
    assert item.body.startswith("Từ tháng Ba, phố đi bộ quanh hồ")
    assert "Không sao chép" not in item.body


def test_comma_joined_article_tag_is_several_tags_and_site_name_is_no_author():
    page = PAGE.replace('"author": {"@type": "Person", "name": "Minh &#272;&#7913;c"},', "")
    page = page.replace(
        "<title>",
        '<meta property="article:tag" content="Phố đi bộ,Hoàn Kiếm, Giao thông">'
        '<meta name="author" content="Báo Hànộimới"><title>',
    )
    item = read(page)
    assert item.tags == ["Phố đi bộ", "Hoàn Kiếm", "Giao thông"]
    assert item.author is None


def test_inline_elements_join_their_sentence():
    root = Page.from_html(
        URL, "<p>Đội <a href='/x'>Tây Ban Nha</a>, sau <b>hiệp phụ</b>.<br>Dòng hai</p>"
    ).root
    assert text_of(root.find(".//p")) == "Đội Tây Ban Nha, sau hiệp phụ. Dòng hai"


def test_sitemaps_without_lastmod_are_newest_first_by_their_numbers():
    entries = [
        {"loc": f"https://www.vietnamplus.vn/sitemaps/news-{y}-{m}.xml"}
        for y, m in ((2026, 9), (2026, 12), (2025, 12), (2026, 10), (2026, 1))
    ]
    order = [e["loc"].rsplit("/", 1)[1] for e in newest_sitemaps(entries)]
    assert order == [
        "news-2026-12.xml",
        "news-2026-10.xml",
        "news-2026-9.xml",
        "news-2026-1.xml",
        "news-2025-12.xml",
    ]


def test_sitemap_lastmod_wins_over_names():
    entries = [
        {"loc": "https://x.vn/a-2.xml", "lastmod": "2026-11-01T00:00:00Z"},
        {"loc": "https://x.vn/a-10.xml", "lastmod": "2026-10-01"},
        {"loc": "https://x.vn/a-99.xml"},
    ]
    assert [e["loc"] for e in newest_sitemaps(entries)] == [
        "https://x.vn/a-2.xml",
        "https://x.vn/a-10.xml",
        "https://x.vn/a-99.xml",
    ]
