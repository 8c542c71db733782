"""Redesign detection: per crawl, how often the site's own selectors gave each field.

A site that changes its markup keeps delivering articles through the metadata and
main-text layers; what changes is that the selectors stop matching. When, in one run,
the selectors gave title, date or body for under half of the pages read, the run is
degraded: the run record names the fields, the share per field and a sample page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spiders.page import KEY_FIELDS

#: Below this share of a run's pages from the first layer, a key field is degraded.
DEGRADED_BELOW = 0.5


def degraded_fields(stats: Mapping[str, Any], selector_fields: Sequence[str]) -> dict[str, Any]:
    """{} when the selectors held up (or no page was read); else the degraded fields with
    their first-layer hits and page counts, and one page where the selectors missed."""
    pages = int(stats.get("newsmon/layers/pages", 0) or 0)
    if not pages:
        return {}
    fields: dict[str, dict[str, int]] = {}
    sample = ""
    for name in KEY_FIELDS:
        if name not in selector_fields:
            continue
        hits = int(stats.get(f"newsmon/layers/{name}/selectors", 0) or 0)
        if hits < DEGRADED_BELOW * pages:
            fields[name] = {"selectors": hits, "pages": pages}
            sample = sample or str(stats.get(f"newsmon/layers/{name}/sample") or "")
    if not fields:
        return {}
    return {"fields": fields, "sample_url": sample}


def describe(degraded: Mapping[str, Any]) -> str:
    """'title 0/6, body 1/6 pages from selectors' for messages."""
    parts = [f"{name} {v['selectors']}/{v['pages']}" for name, v in (degraded.get("fields") or {}).items()]
    return ", ".join(parts) + " pages from the site's selectors" if parts else ""
