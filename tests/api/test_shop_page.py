"""The shop page end to end in headless Chromium: pick a shopper, see why-paths drawn, open an
item, buy, and the recommendations change. Needs Debian's chromium and chromedriver; skipped
without them unless GRAPHREC_REQUIRE_BROWSER is set (CI sets it). Keeps a screenshot in
GRAPHREC_SCREENSHOTS (default: the test's temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphrec.api.app import App
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY, headless_chromium, uvicorn_serving


@pytest.fixture()
def server(service: Service) -> Iterator[str]:
    with uvicorn_serving(App(service, api_key=API_KEY)) as port:  # as `graphrec serve` runs it
        yield f"http://127.0.0.1:{port}"


def test_shop_page_buy_changes_the_recommendations(server: str, tmp_path: Path) -> None:
    browser = headless_chromium("1280,900")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        wait = WebDriverWait(browser, 20)
        browser.get(f"{server}/shop?user=alice")  # no key in the address
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".card.rec")))
        browser.find_element(By.ID, "key").send_keys(API_KEY)  # typed, for buying
        cards = browser.find_elements(By.CSS_SELECTOR, ".card.rec")
        before = [c.get_attribute("data-item") for c in cards]
        assert before and "serum" not in before  # alice bought it already
        assert browser.find_elements(By.CSS_SELECTOR, ".card.rec svg.path circle")  # paths drawn
        assert "Bought together with" in browser.page_source or "Same brand" in browser.page_source
        # open an item: similar and bought-together lists
        cards[0].find_element(By.CSS_SELECTOR, ".title").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "detail"), "Similar items"))
        # buy the first recommendation: it leaves the list
        first = before[0]
        cards[0].find_element(By.CSS_SELECTOR, "button.buy").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "status"), f"bought {first}"))
        after = [
            c.get_attribute("data-item")
            for c in browser.find_elements(By.CSS_SELECTOR, ".card.rec")
        ]
        assert first not in after
        folder = Path(os.environ.get("GRAPHREC_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(folder / "shop.png"))
        assert (folder / "shop.png").stat().st_size > 10_000
    finally:
        browser.quit()
