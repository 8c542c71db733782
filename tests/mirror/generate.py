#!/usr/bin/env python3
"""Generate the offline mirror of news sites from data + Jinja2 templates.

    python tests/mirror/generate.py [SITE...]          # default: every folder in src/
    python tests/mirror/generate.py --check [SITE...]  # exit 1 if sites/ is stale

For each SITE, reads ``src/<site>/site.toml``, every ``articles*.toml`` and
``articles/*.toml`` beside it, renders ``src/<site>/templates/`` and copies
``src/<site>/static/`` verbatim, then wipes and rewrites
``sites/<host>/`` (and ``sites/<legacy host>/`` if the site declares one).
Output depends on the inputs only (no clock, sorted iteration), so running it
twice gives no diff.  See README.md for the file formats.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
import tomllib
import unicodedata
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

HERE = Path(__file__).resolve().parent
# The generated sites ship inside the package, so `newsmon demo` works from any install.
SRC, SITES = HERE / "src", HERE.parent.parent / "monitor" / "mirror_sites"

WEEKDAYS_VI = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
ARTICLE_DEFAULTS = {
    "author": "",
    "tags": [],
    "also_in": [],
    "variants": [],
    "slug": "",
    "in_feed": True,
    "in_listing": True,
    "in_sitemap": True,
    "featured": False,
    "template": "article.html",
    "legacy": False,
}


def slugify(text: str) -> str:
    """Vietnamese-style URL slug: no diacritics, đ -> d, words joined by '-'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


def us_datetime(dt) -> str:
    """A .NET default date as some CMSes write it in meta tags: "1/28/2026 6:52:01 AM"."""
    hour = dt.hour % 12 or 12
    return f"{dt.month}/{dt.day}/{dt.year} {hour}:{dt.minute:02d}:{dt.second:02d} {'AM' if dt.hour < 12 else 'PM'}"


def latin1_entities(text: str) -> str:
    """HTML-escape as a .NET CMS does in JSON-LD strings: &<>" and every character from U+00A0
    to U+00FF as a numeric entity ("Hai B&#224; Trưng"); the rest stays as it is."""
    text = html.escape(text, quote=True).replace("&#x27;", "'")
    return "".join(f"&#{ord(c)};" if 0xA0 <= ord(c) <= 0xFF else c for c in text)


def make_env(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    env.filters.update(
        slugify=slugify,
        html_escape=html.escape,  # plain str, so autoescape escapes it once more
        nfd=lambda s: unicodedata.normalize("NFD", s),
        strftime=lambda dt, fmt: dt.strftime(fmt),
        rfc822=format_datetime,  # Fri, 20 Nov 2026 08:15:00 +0700
        iso=lambda dt: dt.isoformat(),
        weekday_vi=lambda dt: WEEKDAYS_VI[dt.weekday()],
        us_datetime=us_datetime,
        latin1_entities=latin1_entities,
    )
    return env


def load(site_dir: Path) -> tuple[dict, list[dict]]:
    site = tomllib.loads((site_dir / "site.toml").read_text("utf-8"))
    files = sorted(site_dir.glob("articles*.toml")) + sorted(site_dir.glob("articles/*.toml"))
    articles = [a for f in files for a in tomllib.loads(f.read_text("utf-8")).get("article", [])]
    cats = {c["slug"]: c for c in site["category"]}
    seen = set()
    for a in articles:
        for k, v in ARTICLE_DEFAULTS.items():
            a.setdefault(k, v.copy() if isinstance(v, list) else v)
        if a["id"] in seen:
            sys.exit(f"duplicate article id {a['id']}")
        seen.add(a["id"])
        if not isinstance(a["published"], datetime) or a["published"].tzinfo is None:
            sys.exit(f"article {a['id']}: published must be a TOML datetime with offset")
        for c in [a["category"], *a["also_in"]]:
            if c not in cats:
                sys.exit(f"article {a['id']}: unknown category {c!r}")
        a["slug"] = a["slug"] or slugify(a["title"])
        a["path"] = site["article_path"].format(**a)
        a["url"] = site["base_url"] + a["path"]
        a["variant_paths"] = {v: site["variant"][v]["path"].format(**a) for v in a["variants"]}
    articles.sort(key=lambda a: (a["published"], a["id"]), reverse=True)  # newest first
    for c in site["category"]:
        c["articles"] = [a for a in articles if c["slug"] in (a["category"], *a["also_in"])]
    for a in articles:
        a["cat"] = cats[a["category"]]
        same = [
            b
            for b in a["cat"]["articles"]
            if b is not a and b["in_listing"] and b["template"] == "article.html"
        ]
        a["related"] = same[:5]
    return site, articles


def build(site: dict, articles: list[dict], env: Environment) -> tuple[dict, list[dict]]:
    """Return ({request path: text}, [routes]) for the site's own host."""
    pages: dict[str, str] = {}
    routes: list[dict] = [dict(r) for r in site.get("route", [])]
    # globals, so that macros imported by templates see them too
    env.globals.update(
        site=site, categories=site["category"], articles=articles, by_id={a["id"]: a for a in articles}
    )

    def render(path: str, template: str, **ctx) -> None:
        if path in pages:
            sys.exit(f"two pages render to {path}")
        pages[path] = env.get_template(template).render(path=path, **ctx)

    for a in articles:
        render(a["path"], a["template"], a=a)
        for v, vpath in a["variant_paths"].items():
            render(vpath, site["variant"][v]["template"], a=a)

    size = site["page_size"]
    for c in site["category"]:
        listed = [a for a in c["articles"] if a["in_listing"]]
        chunks = [listed[i : i + size] for i in range(0, len(listed), size)] or [[]]
        # category fields (e.g. a numeric id the real URLs carry) may appear in the paths too
        urls = [site["listing_path"].format(**c, category=c["slug"])] + [
            site["listing_page_path"].format(**c, category=c["slug"], page=n)
            for n in range(2, len(chunks) + 1)
        ]
        for n, items in enumerate(chunks, 1):
            render(
                urls[n - 1],
                "listing.html",
                category=c,
                items=items,
                page=n,
                pages=len(chunks),
                next_url=urls[n] if n < len(chunks) else None,
                prev_url=urls[n - 2] if n > 1 else None,
            )
        if c.get("feed", True):
            items = [a for a in c["articles"] if a["in_feed"]][: site["feed_size"]]
            fpath = site["feed_path"].format(**c, category=c["slug"])
            ffile = site["feed_file"].format(**c, category=c["slug"])
            render("/" + ffile, "rss.xml", category=c, items=items)
            routes.append({"path": fpath, "file": ffile, "content_type": site["feed_content_type"]})

    months: dict[str, list[dict]] = {}
    for a in articles:
        if a["in_sitemap"]:
            months.setdefault(site["sitemap_month_path"].format(date=a["published"]), []).append(a)
    for path, items in months.items():
        render(path, "sitemap.xml", items=items)
    render(
        site["sitemap_index"],
        "sitemap_index.xml",
        sitemaps=[
            {"loc": site["base_url"] + p, "lastmod": max(a.get("modified", a["published"]) for a in items)}
            for p, items in sorted(months.items(), reverse=True)
        ],
    )

    for p in site.get("page", []):
        render(p["path"], p["template"])
    # Page extensions the server cannot know (".vnp", ".vov") get their content type by route.
    types = site.get("content_types", {})
    for path in sorted(pages):
        ext = path.rsplit("/", 1)[-1].rpartition(".")[2]
        if "." + ext in types and not any(r["path"] == path for r in routes):
            routes.append({"path": path, "content_type": types["." + ext]})
    return pages, routes


def file_for(path: str, all_paths: set[str]) -> str:
    """Host-relative file serving a request path (the mirror server's lookup rules, reversed)."""
    rel = path.strip("/")
    if not rel:
        return "index.html"
    if "." in rel.rsplit("/", 1)[-1]:
        return rel
    # extensionless: `<path>.html`, unless other pages live below it (then it is a directory)
    if any(p.startswith(path.rstrip("/") + "/") for p in all_paths):
        return rel + "/index.html"
    return rel + ".html"


def toml_value(v) -> str:
    return str(v) if isinstance(v, int) else json.dumps(v, ensure_ascii=False)


def routes_file(routes: list[dict]) -> bytes:
    lines = ["# Generated by tests/mirror/generate.py; edit src/, not this file.\n"]
    for r in sorted(routes, key=lambda r: r["path"]):
        lines.append("\n[[route]]\n" + "".join(f"{k} = {toml_value(r[k])}\n" for k in r))
    return "".join(lines).encode()


def generate(name: str) -> dict[str, dict[str, bytes]]:
    """Render one site: {host: {host-relative file: bytes}}."""
    site_dir = SRC / name
    site, articles = load(site_dir)
    pages, routes = build(site, articles, make_env(site_dir / "templates"))
    files = {file_for(p, set(pages)): text.encode("utf-8") for p, text in pages.items()}
    static = site_dir / "static"
    for f in sorted(static.rglob("*")) if static.is_dir() else []:
        rel = f.relative_to(static).as_posix()
        if f.is_file():
            if rel in files:
                sys.exit(f"{name}: static/{rel} collides with a generated page")
            files[rel] = f.read_bytes()
    if routes:
        files["_mirror.toml"] = routes_file(routes)
    hosts = {site["host"]: files}

    legacy = site.get("legacy")
    if legacy:  # an old domain that only redirects (301) to the current URLs
        cats = {c["slug"]: c for c in site["category"]}
        lroutes = [dict(r) for r in legacy.get("route", [])] + [
            {
                "path": legacy["article_path"].format(legacy_category=cats[a["category"]]["legacy"], **a),
                "redirect": a["url"],
            }
            for a in articles
            if a["legacy"]
        ]
        hosts[legacy["host"]] = {"_mirror.toml": routes_file(lroutes)}
    return hosts


def on_disk(host: str) -> dict[str, bytes]:
    root = SITES / host
    return {f.relative_to(root).as_posix(): f.read_bytes() for f in root.rglob("*") if f.is_file()}


def main(argv: list[str]) -> int:
    check = "--check" in argv  # compare with sites/ instead of writing: fixtures in sync with src/?
    names = [a for a in argv if a != "--check"] or sorted(
        p.name for p in SRC.iterdir() if (p / "site.toml").exists()
    )
    stale = 0
    for name in names:
        if not (SRC / name / "site.toml").exists():
            sys.exit(f"no such site: {SRC / name / 'site.toml'}")
        for host, files in generate(name).items():
            if check:
                current = on_disk(host) if (SITES / host).is_dir() else {}
                diff = sorted(k for k in files.keys() | current.keys() if files.get(k) != current.get(k))
                stale += len(diff)
                print(
                    f"{host}: "
                    + (f"{len(diff)} files differ from src/, e.g. {diff[:3]}" if diff else "up to date")
                )
                continue
            out = SITES / host
            if out.exists():
                shutil.rmtree(out)
            for rel in sorted(files):
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_bytes(files[rel])
            print(f"{host}: wrote {len(files)} files")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
