"""Scrapy's settings module: the UPPER_CASE names Scrapy reads (``scrapy crawl`` too).

newsmon's own configuration (the TOML file, environment overrides, validation) is
monitor.config; the per-crawl settings derived from it are made in monitor.crawling.
This module imports nothing of newsmon's, so Scrapy can load it on its own.
"""

# --------------------------------------------------------------------------
# Scrapy settings (module-level constants, read by `scrapy crawl` as well)
# --------------------------------------------------------------------------

BOT_NAME = "newsmon"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitor; polite crawler)"
ROBOTSTXT_OBEY = True

# Politeness: one site is never hit hard, and AutoThrottle backs off when it slows down.
CONCURRENT_REQUESTS = 16
# Items processed at once per response. Scrapy starts this many asyncio tasks for every
# response a callback answers: the default, 100, costs the reactor thread ~0.5 ms of CPU per
# page (0.02 ms with 2). An article page yields one item and an index page only requests, so
# 2 loses nothing.
CONCURRENT_ITEMS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Per try (connect included): with RETRY_TIMES, an entry point that never answers costs
# at most 45 s, and ReachabilityWatch ends a crawl whose site answered nothing in 30 s
# (crawl.unreachable_after_seconds).
DOWNLOAD_TIMEOUT = 15
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
# 403 is not retried: on our sources it means a geo/IP block, which retrying cannot fix.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    # First of all: only http(s) URLs on public addresses (each redirect hop comes back here).
    "spiders.downloads.UrlGuardMiddleware": 60,
    # Below RetryMiddleware (550): sees final outcomes only, counts each failure once by kind.
    "spiders.downloads.ResponseCheckMiddleware": 540,
    # Above RetryMiddleware: notes a 503/429's Retry-After before the retry is scheduled.
    "spiders.downloads.RetryAfterMiddleware": 555,
    # Scrapy's decompression, with a body over the cap once decompressed counted as an error.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "spiders.downloads.CappedDecompressionMiddleware": 590,
    # Above RedirectMiddleware (600): sees each 3xx before it is followed.
    "spiders.downloads.RedirectGuardMiddleware": 610,
    # Below RedirectMiddleware (600), so it sees final responses only, and below
    # DownloaderStats (850), so a 304 it turns into "not modified" is still counted; it
    # keys validators by the real URL, which the mirror's re-issued request carries in meta.
    "spiders.middlewares.ConditionalRequestMiddleware": 560,
    # Before HttpProxyMiddleware (750), so a source's proxy is in place when it runs.
    "spiders.middlewares.SourceProxyMiddleware": 740,
    # Close to the downloader: rewrites real URLs to the offline mirror and back,
    # so every other component only ever sees the real site's URLs.
    "spiders.middlewares.MirrorMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # Above KnownArticleFilter: every link an index gives is checked and noted before known ones go.
    "spiders.middlewares.IndexLinkMiddleware": 650,
    "spiders.middlewares.KnownArticleFilter": 600,
}
ITEM_PIPELINES = {
    "spiders.pipelines.ValidationPipeline": 100,
    "spiders.pipelines.RelevancePipeline": 200,
    "spiders.pipelines.StoragePipeline": 300,
}
EXTENSIONS = {
    "spiders.extensions.CrawlRunRecorder": 500,
    "spiders.extensions.ReachabilityWatch": 510,
}
# Scrapy's remote control would open a code-running HTTP server on localhost in every crawl.
REMOTE_CONTROL_ENABLED = False
