"""Which spiders newsmon ships, by name."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from scrapy.utils.spider import iter_spider_classes

if TYPE_CHECKING:
    from spiders.base import NewsSpider


@lru_cache(maxsize=1)
def spider_classes() -> dict[str, type[NewsSpider]]:
    """Spider name → class, for every spider in the `spiders` package."""
    from spiders.base import NewsSpider

    found: dict[str, type[NewsSpider]] = {}
    try:
        from scrapy.utils.misc import walk_modules_iter as walk
    except ImportError:  # Scrapy before 2.14
        from scrapy.utils.misc import walk_modules as walk
    for module in walk("spiders"):
        for cls in iter_spider_classes(module):
            if issubclass(cls, NewsSpider):
                found[cls.name] = cls
    return dict(sorted(found.items()))


def spider_for(source_name: str, spider: str | None = None) -> type[NewsSpider]:
    classes = spider_classes()
    name = spider or source_name
    if name not in classes:
        known = ", ".join(classes) or "none"
        raise KeyError(f"no spider named {name!r} (known: {known})")
    return classes[name]
