"""The shop page end to end in headless Chromium: pick a shopper, see why-paths drawn, open an
item, buy, and the recommendations change; the why reads as a shopper reads it at desktop and
phone width. Needs Debian's chromium and chromedriver; skipped without them unless
GRAPHREC_REQUIRE_BROWSER is set (CI sets it). Keeps screenshots in GRAPHREC_SCREENSHOTS
(default: the test's temporary folder)."""

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


DATABASE_WORDS = ("INTERACTED", "BOUGHT_WITH", "MADE_BY", "IN_CATEGORY", "SIMILAR_TO", "User:")

#: Pairs of labels that overlap within one drawing, and labels outside their drawing.
LABEL_FAULTS = """
const faults = [];
for (const svg of document.querySelectorAll("svg.path")) {
  const width = svg.viewBox.baseVal.width;
  const boxes = [...svg.querySelectorAll("text")].map((t) => [t.firstChild.nodeValue, t.getBBox()]);
  for (const [text, b] of boxes) {
    if (b.x < 0 || b.x + b.width > width) faults.push(`cut: ${text}`);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [s, a] = boxes[i], [t, b] = boxes[j];
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x ||
                    a.y + a.height <= b.y || b.y + b.height <= a.y;
      if (!apart) faults.push(`overlap: ${s} / ${t}`);
    }
  }
}
return faults;
"""


@pytest.mark.parametrize(("name", "window"), [("desktop", "1280,900"), ("phone", "390,844")])
def test_the_why_reads_as_a_shopper_reads_it(
    server: str, tmp_path: Path, name: str, window: str
) -> None:
    """No database words and no ids in what a shopper reads; no label overlaps another or is
    cut off; one reason drawn per card, the rest folded; at phone width the columns stack."""
    browser = headless_chromium(window)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        wait = WebDriverWait(browser, 20)
        browser.get(f"{server}/shop?user=alice")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".card.rec svg.path")))
        for details in browser.find_elements(By.CSS_SELECTOR, ".card.rec details"):
            details.find_element(By.TAG_NAME, "summary").click()  # every reason shown
        cards = browser.find_elements(By.CSS_SELECTOR, ".card.rec")
        read = " ".join(c.text for c in cards)
        drawn = browser.execute_script(
            "return [...document.querySelectorAll('.card.rec svg.path text')]"
            ".map((t) => t.firstChild.nodeValue)"
        )
        assert not [w for w in DATABASE_WORDS if w in read or any(w in d for d in drawn)]
        ids = {"alice", "bob", "carol", "dave", "serum", "cream", "toner", "lipstick", "mascara"}
        assert not ids & set(drawn) and "You" in drawn
        assert browser.execute_script(LABEL_FAULTS) == []
        for card in cards:  # one reason in view per card, the others folded under it
            assert len(card.find_elements(By.CSS_SELECTOR, ":scope > .reason")) <= 1
        section = browser.find_element(By.CSS_SELECTOR, "main > section").rect
        aside = browser.find_element(By.CSS_SELECTOR, "main > aside").rect
        stacked = aside["y"] >= section["y"] + section["height"]
        assert stacked == (name == "phone")
        width = browser.execute_script("return document.documentElement.clientWidth")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        folder = Path(os.environ.get("GRAPHREC_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(folder / f"shop-{name}.png"))
    finally:
        browser.quit()
