"""Scrapy spiders, one per site on a shared base, with their items, middlewares and pipeline."""

# The site spiders, by name, with their display names. Kept here, as data, so that reading the
# config and naming sources in a digest or chat message import neither Scrapy nor any spider
# (the daemon and the delivering processes stay small); tests/test_registry.py checks it against
# the spiders the registry discovers. Every site spider is a source by default.
SPIDER_LABELS: dict[str, str] = {
    "baoquocte": "Thế giới & Việt Nam",
    "hanoimoi": "Hà Nội Mới",
    "hanoitimes": "The Hanoi Times",
    "kinhtedothi": "Kinh tế & Đô thị",
    "nhandan": "Nhân Dân",
    "vietnamplus": "VietnamPlus",
    "vietnamplus_en": "VietnamPlus (English)",
    "vietnamplus_ru": "Вьетнам+ (VietnamPlus, Russian)",
    "vovworld": "VOV World (Голос Вьетнама)",
}

BUILTIN_SOURCES = tuple(SPIDER_LABELS)

# Every spider name a source may give as `spider` (the site spiders plus the generic one).
SPIDER_NAMES = (*BUILTIN_SOURCES, "generic")
