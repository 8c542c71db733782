"""Scrapy spiders, one per site on a shared base, with their items, middlewares and pipeline."""

# The site spiders that are sources by default, by name. Kept here so that reading the
# config does not import Scrapy and every spider (the daemon stays small);
# tests/test_registry.py checks it against the spiders the registry discovers.
BUILTIN_SOURCES = (
    "baoquocte",
    "hanoimoi",
    "hanoitimes",
    "kinhtedothi",
    "nhandan",
    "vietnamplus",
    "vietnamplus_en",
    "vietnamplus_ru",
    "vovworld",
)

# Every spider name a source may give as `spider` (the site spiders plus the generic one).
SPIDER_NAMES = (*BUILTIN_SOURCES, "generic")
