"""VOV World (vovworld.vn), the Voice of Vietnam's foreign-language service: its
Russian pages under /ru-RU/.

From ../shared/sources.md (section 5): articles at /ru-RU/<section>/<cyrillic-slug>-<id>.vov
(percent-encoded in links; m.vovworld.vn is the mobile copy); categories
/ru-RU/<name>/<id>.vov with `.cate-hl` / `.cate-list` stories and page-number paging;
the "cms" markup (spiders/cms.py); leads start "(VOVWORLD) - "; ru pages carry a
stray Vietnamese "Chia sẻ" label, which is not text. No Russian feed or sitemap is
known, so the listings are the way in.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from spiders.cms import CmsSpider

#: (section, category id) of the Russian service's listings.
SECTIONS = (("новости", 1147), ("беседа", 1150), ("культура", 1153))


class VovworldSpider(CmsSpider):
    name = "vovworld"
    label = "VOV World (Голос Вьетнама)"
    site_host = "vovworld.vn"
    language = "ru"
    languages = ("ru",)

    listing_pages = tuple(f"https://vovworld.vn{quote(f'/ru-RU/{section}/{cat_id}.vov')}" for section, cat_id in SECTIONS)

    # Slugs are percent-encoded Cyrillic; the id is the last number before .vov.
    article_url_re = re.compile(r"^https?://(?:m\.)?vovworld\.vn/ru-RU/[^/?#]+/[^/?#]+-\d{5,}\.vov$")
    skip_url_re = re.compile(r"/ru-RU/(?:tag|author|video|live)/", re.I)
    amp_url_re = (re.compile(r"^(https?://)m\.(vovworld\.vn)/"), r"\1\2/")
    lead_prefix_re = re.compile(r"^\(VOVWORLD\)\s*[-–—]\s*", re.I)

    date_selectors = (".article__meta time",)
    author_selectors = (".article__meta .links li a", "a.cms-author")
