"""VOV World (vovworld.vn), the Voice of Vietnam's foreign-language service: its
Russian pages under /ru-RU/.

From ../shared/sources.md (section 5): articles at /ru-RU/<section>/<cyrillic-slug>-<id>.vov
(percent-encoded in links; m.vovworld.vn is the mobile copy); the "cms" markup
(spiders/cms.py); leads start "(VOVWORLD) - ", also written "(VOVworld) –" and
"(VOVword)-"; ru pages carry a stray Vietnamese "Chia sẻ" label, which is not text.
No Russian-service category id, feed or sitemap is confirmed, so the spider starts
from the service's front page (a listing of its newest stories) and uses the feeds and
sitemaps entry-point discovery finds there and in robots.txt (NewsSpider.discover).
"""

from __future__ import annotations

import re

from spiders import SPIDER_LABELS
from spiders.cms import CmsSpider


class VovworldSpider(CmsSpider):
    name = "vovworld"
    label = SPIDER_LABELS["vovworld"]
    site_host = "vovworld.vn"
    language = "ru"
    languages = ("ru",)

    #: The Russian service's front page (inferred from the /<lang>/… URL scheme).
    home_page = "https://vovworld.vn/ru-RU.vov"
    listing_pages = (home_page,)

    # Slugs are percent-encoded Cyrillic; the id is the last number before .vov.
    article_url_re = re.compile(r"^https?://(?:m\.)?vovworld\.vn/ru-RU/[^/?#]+/[^/?#]+-\d{5,}\.vov$")
    skip_url_re = re.compile(r"/ru-RU/(?:tag|author|video|live)/", re.I)
    amp_url_re = (re.compile(r"^(https?://)m\.(vovworld\.vn)/"), r"\1\2/")
    # "(VOVWORLD) - ", "(VOVworld) –", "(VOVword)-": the service's brand, not text.
    lead_prefix_re = re.compile(r"^\(\s*VOV\s*wor(?:l)?d\s*\)\s*[-–—]\s*", re.I)

    date_selectors = (".article__meta time",)
    author_selectors = (".article__meta .links li a", "a.cms-author")
