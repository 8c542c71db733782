"""The built-in source list matches the spiders that exist."""

import sys

from spiders import BUILTIN_SOURCES, SPIDER_NAMES
from spiders.registry import spider_classes


def test_builtin_sources_are_the_shipped_site_spiders():
    sources = [name for name, cls in spider_classes().items() if getattr(cls, "builtin_source", True)]
    assert list(BUILTIN_SOURCES) == sources
    assert "generic" in spider_classes() and "generic" not in BUILTIN_SOURCES
    assert sorted(SPIDER_NAMES) == sorted(spider_classes())


def test_reading_the_config_does_not_import_scrapy():
    import subprocess

    code = "import sys; from monitor.config import load_config; load_config(None, env={}); print('scrapy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_scrapy_settings_module_imports_nothing_of_newsmon():
    """settings.py is Scrapy's settings module only: loading it pulls in no newsmon package."""
    import subprocess

    code = (
        "import sys; import settings; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('monitor', 'spiders', 'storage', 'scheduler')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
