"""URL canonicalisation: the many spellings of one article's address fold to one key."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say how a reader arrived.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "zarsrc",
        "zalo_source",
        "gidzl",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "share",
        "from",
        "source",
        "rss",
        "cmpid",
        "itm_source",
        "itm_medium",
        "itm_campaign",
        "amp",
        "output",
        "utm",
    }
)
TRACKING_PREFIXES = ("utm_", "itm_", "pk_", "mtm_", "hsa_")

# Host prefixes of mobile/AMP mirrors of the same page.
_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_AMP_PATH = re.compile(r"^/amp(?=/)|/amp/?$|\.amp(?=\.html?$)")


def is_tracking_param(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _without_tracking(query: str) -> str:
    return urlencode(
        [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k)]
    )


def canonicalize(url: str) -> str:
    """The storage key for an article URL.

    Folds: scheme (http → https), host case and www./m./amp. prefixes, default
    ports, AMP path variants (/amp/…, …/amp, ….amp.html), fragments, tracking
    parameters, parameter order, trailing slashes, and percent-encoding.
    """
    url = url.strip()
    if not url:
        raise ValueError("empty URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", ""):
        raise ValueError(f"not a web URL: {url!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = _without_tracking(parts.query)
    return canonicalize_url(urlunsplit(("https", netloc, path, query, "")), keep_fragments=False)


def try_canonicalize(url: str) -> str | None:
    try:
        return canonicalize(url)
    except ValueError:
        return None


def strip_tracking(url: str) -> str:
    """The URL without its fragment and tracking parameters; host and scheme kept as given."""
    parts = urlsplit(url)
    query = _without_tracking(parts.query)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
