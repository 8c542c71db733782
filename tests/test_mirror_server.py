"""The offline mirror behaves like a real site where a crawler notices."""

from __future__ import annotations

import gzip
import http.client
import signal
import subprocess

import pytest

from monitor.mirror import MirrorServer, default_root
from tests.helpers.waiting import free_port, wait_until
from tests.helpers.workspace import REPO, newsmon_command

KALUGA = "/hanoimoi.vn/ha-noi-kaluga-ban-thuc-day-dau-tu-vao-cong-nghiep-ho-tro-563102.html"


def get(server: MirrorServer, path: str, headers: dict | None = None, method: str = "GET"):
    host, port = server.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request(method, path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def test_article_page_with_type_and_validators(mirror):
    resp, body = get(mirror, KALUGA)
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    assert resp.getheader("ETag") and resp.getheader("Last-Modified")
    assert "Kaluga" in body.decode("utf-8")


def test_gzip_when_asked(mirror):
    resp, body = get(mirror, KALUGA, {"Accept-Encoding": "gzip, deflate"})
    assert resp.getheader("Content-Encoding") == "gzip"
    assert "Kaluga" in gzip.decompress(body).decode("utf-8")


def test_conditional_get_answers_304(mirror):
    resp, _ = get(mirror, KALUGA)
    etag, modified = resp.getheader("ETag"), resp.getheader("Last-Modified")
    assert get(mirror, KALUGA, {"If-None-Match": etag})[0].status == 304
    assert get(mirror, KALUGA, {"If-Modified-Since": modified})[0].status == 304
    assert get(mirror, KALUGA, {"If-None-Match": '"other"'})[0].status == 200


def test_feed_route_has_rss_type_and_tracking_params_are_ignored(mirror):
    resp, body = get(mirror, "/hanoimoi.vn/rss/kinh-te?utm_source=x")
    assert resp.status == 200
    assert resp.getheader("Content-Type").startswith("application/rss+xml")
    assert b"<rss" in body


def test_statuses(mirror):
    assert get(mirror, "/hanoimoi.vn/rss/van-hoa")[0].status == 404
    assert get(mirror, "/hanoimoi.vn/the-gioi/trang-2")[0].status == 500
    assert get(mirror, "/no-such-site.vn/")[0].status == 404
    assert get(mirror, "/hanoimoi.vn/_mirror.toml")[0].status == 404  # routes are not content
    assert get(mirror, "/hanoimoi.vn/../hanoimoi.com.vn/_mirror.toml")[0].status == 404


def test_redirect_location_is_the_real_site(mirror):
    resp, _ = get(
        mirror,
        "/hanoimoi.com.vn/Tin-tuc/Kinh-te/563102/ha-noi-kaluga-ban-thuc-day-dau-tu-vao-cong-nghiep-ho-tro",
    )
    assert resp.status == 301
    assert resp.getheader("Location") == "https://hanoimoi.vn" + KALUGA.removeprefix("/hanoimoi.vn")


def test_blocked_host_answers_403_and_hits_are_logged():
    with MirrorServer(default_root(), blocked_hosts={"hanoimoi.vn"}) as server:
        assert get(server, KALUGA)[0].status == 403
        assert get(server, KALUGA, method="HEAD")[0].status == 403
        assert [(h.host, h.status) for h in server.hits] == [("hanoimoi.vn", 403)] * 2


def test_newsmon_mirror_command_serves_until_interrupted(workspace):
    port = free_port()

    cmd = newsmon_command()
    proc = subprocess.Popen(
        [*cmd, "mirror", "--port", str(port)],
        cwd=REPO,
        env=workspace.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def robots() -> http.client.HTTPResponse | None:
            assert proc.poll() is None, proc.communicate()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/hanoimoi.vn/robots.txt")
                return conn.getresponse()
            except OSError:
                return None

        resp = wait_until(robots, 60, "newsmon mirror to answer")
        assert resp.status == 200 and b"Sitemap:" in resp.read()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert f"NEWSMON_MIRROR=http://127.0.0.1:{port}" in err


@pytest.mark.parametrize("path", ["/hanoimoi.vn/a%00b.html", "/hanoi%00moi.vn/", "/hanoimoi.vn/%00"])
def test_a_nul_in_the_path_is_a_bad_request_and_the_server_goes_on(mirror, path):
    resp, body = get(mirror, path)
    assert resp.status == 400 and b"400" in body
    assert get(mirror, KALUGA)[0].status == 200
