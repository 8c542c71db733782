"""URL canonicalisation: every spelling of one article's address folds to one key."""

import pytest

from storage.urls import canonicalize, strip_tracking

BASE = "https://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html"


@pytest.mark.parametrize(
    "variant",
    [
        BASE,
        "http://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html",
        "https://www.hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html",
        "https://HANOIMOI.VN/ha-noi-va-mat-xco-va-ky-ket-563102.html",
        "https://m.hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html",
        "https://hanoimoi.vn/amp/ha-noi-va-mat-xco-va-ky-ket-563102.html",
        "https://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.amp.html",
        "https://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html/",
        "https://hanoimoi.vn:443/ha-noi-va-mat-xco-va-ky-ket-563102.html",
        "https://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html#comments",
        "https://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html?utm_source=rss&utm_medium=feed",
        "https://hanoimoi.vn/ha-noi-va-mat-xco-va-ky-ket-563102.html?fbclid=IwAR0abc&zarsrc=31",
    ],
)
def test_variants_fold_to_one_key(variant):
    assert canonicalize(variant) == BASE


def test_meaningful_query_is_kept_and_sorted():
    assert canonicalize("https://example.vn/a?id=2&cat=5&utm_campaign=x") == "https://example.vn/a?cat=5&id=2"


def test_different_articles_stay_different():
    assert canonicalize(BASE) != canonicalize(BASE.replace("563102", "563103"))
    # A subdomain that is a different edition is not folded away.
    assert canonicalize("https://en.vietnamplus.vn/a-post1.vnp") != canonicalize(
        "https://ru.vietnamplus.vn/a-post1.vnp"
    )


def test_cyrillic_paths_are_percent_encoded_consistently():
    raw = "https://vovworld.vn/ru-RU/новости/ханой-и-москва-123.vov"
    encoded = canonicalize(raw)
    assert encoded == canonicalize(encoded)
    assert "%D0%BD" in encoded.upper()


@pytest.mark.parametrize("bad", ["", "mailto:a@b.vn", "https:///nohost"])
def test_bad_urls_raise(bad):
    with pytest.raises(ValueError):
        canonicalize(bad)


def test_strip_tracking_keeps_host_and_scheme():
    assert strip_tracking("http://www.x.vn/a.html?utm_source=rss&p=2#top") == "http://www.x.vn/a.html?p=2"
