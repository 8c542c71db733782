"""The web pages in a real browser (Debian's chromium, driven by Selenium through chromedriver):
front page → search → article → a feedback click that changes the label; no sideways
scrolling at phone and desktop widths."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.workspace import Workspace
from tests.webserver import WebProcess

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def site(mirror, tmp_path_factory) -> Iterator[WebProcess]:
    ws = Workspace(tmp_path_factory.mktemp("browser"))
    ws.write_config("[sources.hanoimoi]\n")
    ws.run("crawl", "hanoimoi", NEWSMON_MIRROR=mirror.url, check=True)
    web = WebProcess(ws.path, ws.env()).wait_ready()
    yield web
    web.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    # No skip: `.ci/run` installs chromium and chromium-driver; a machine without them fails here.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def no_overflow(driver) -> tuple[int, int]:
    return driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")


def test_browse_search_open_and_correct_a_label(site: WebProcess, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
    browser.set_window_size(1280, 1000)
    browser.get(site.url + "/")
    assert browser.find_elements(By.CSS_SELECTOR, "li.item h2 a"), "the front page lists stories"

    box = browser.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("hop tac ha noi\n")
    wait.until(ec.url_contains("/search?q="))
    results = browser.find_elements(By.CSS_SELECTOR, "li.item h2 a")
    assert results, "searching without diacritics finds Vietnamese articles"
    assert browser.find_elements(By.CSS_SELECTOR, "li.item mark")

    results[0].click()
    wait.until(ec.url_matches(r"/articles/\d+$"))
    before = browser.find_element(By.ID, "label").text
    target = "none" if before != "none" else "core"
    browser.find_element(By.ID, f"feedback-{target}").click()
    wait.until(ec.presence_of_element_located((By.ID, "saved")))
    assert browser.find_element(By.ID, "label").text == target
    assert target in browser.find_element(By.CSS_SELECTOR, ".history").text

    for width in (400, 1280):
        browser.set_window_size(width, 900)
        for path in ("/", browser.current_url.replace(site.url, "").split("?")[0], "/sources"):
            browser.get(site.url + path)
            scroll, inner = no_overflow(browser)
            browser.save_screenshot(str(tmp_path / f"{width}{path.replace('/', '_')}.png"))
            assert scroll <= inner, f"{path} scrolls sideways at {width} px ({scroll} > {inner})"
