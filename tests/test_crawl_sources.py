"""Several sources in one `newsmon crawl`: each keeps its own name, and a dead one stops nothing."""

import json

import pytest

from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, mirror):
    ws = Workspace(tmp_path_factory.mktemp("sources"))
    ws.write_config(
        "[sources.hanoimoi]\n"
        "[sources.kinhtedothi]\n"
        "[sources.deadsite]\n"
        'spider = "generic"\n'
        'feeds = ["https://dead-site.example.vn/rss/home.rss"]\n'
        'languages = ["vi"]\n'
    )
    result = ws.run("crawl", "--json", NEWSMON_MIRROR=mirror.url)
    runs = {r["source"]: r for r in map(json.loads, result.stdout.splitlines())}
    articles = ws.run_json("articles", "--json")
    return result, runs, articles


def test_each_source_keeps_its_own_name(crawl):
    _, runs, articles = crawl
    by_source = {}
    for a in articles:
        by_source.setdefault(a["source"], set()).add(a["url"].split("/")[2])
    assert by_source == {"hanoimoi": {"hanoimoi.vn"}, "kinhtedothi": {"kinhtedothi.vn"}}
    assert runs["hanoimoi"]["new"] == 43 and runs["kinhtedothi"]["new"] == len(
        [a for a in articles if a["source"] == "kinhtedothi"]
    )


def test_a_dead_source_fails_alone(crawl):
    result, runs, _ = crawl
    assert runs["deadsite"]["status"] == "failed"
    assert runs["deadsite"]["errors"] >= 1 and runs["deadsite"]["new"] == 0
    assert runs["hanoimoi"]["status"] == "partial" and runs["kinhtedothi"]["status"] == "ok"
    assert result.returncode == 1  # a failed source is worth a non-zero exit for cron users
