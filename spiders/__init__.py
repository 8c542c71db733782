"""Scrapy spiders, one per site on a shared base, with their items, middlewares and pipeline."""
