"""A merchandiser's walk through Neo4j Browser, in headless Chromium, on the test Neo4j: log in,
open graphrec's guide (served by graphrec, parameters from the shop being served), run the
"why was this recommended" query, and see its graph. Saves screenshots in GRAPHREC_SCREENSHOTS
(default: the test's temporary folder); docs/ shows them.

Needs the test Neo4j and Debian's chromium and chromedriver (see tests/conftest.py and
tests/api/test_shop_page.py for when a missing one skips and when it fails).
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphrec.api.app import GUIDE_PATH, App
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.serving.service import Service
from graphrec.store import GraphStore
from tests.api.conftest import API_KEY, headless_chromium, uvicorn_serving
from tests.conftest import open_backend
from tests.graphs import served_config, shop_batch


@pytest.fixture
def served_on_neo4j(shop_artifact: Path, tmp_path: Path) -> Iterator[str]:
    store: GraphStore = open_backend("neo4j", tmp_path)
    store.write(shop_batch())
    store.replace_bought_with(bought_with_edges(export_snapshot(store), ["view", "click"], 50, 2))
    service = Service.open(store, shop_artifact, config=served_config())
    try:
        with uvicorn_serving(App(service, api_key=API_KEY)) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        store.close()


def test_the_guide_is_served_with_the_shops_parameters(served_on_neo4j: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{served_on_neo4j}{GUIDE_PATH}")
    assert refused.value.code == 401  # it names a shopper: the API key is needed
    with urllib.request.urlopen(f"{served_on_neo4j}{GUIDE_PATH}?key={API_KEY}") as answer:
        assert answer.headers["access-control-allow-origin"] == "*"
        page = answer.read().decode()
    assert page.count("<slide>") == 11
    # carol is recommended cream for serum, which two shoppers bought together with it
    assert page.count(':params {user_id: "carol", item_id: "cream"}') == 4
    assert ':params {item_id: "serum", limit: 10}' in page
    assert 'data-query="why_bought_with"' in page and "-[b:BOUGHT_WITH]-&gt;" in page


def test_merchandiser_walks_the_guide_in_neo4j_browser(
    served_on_neo4j: str, tmp_path: Path
) -> None:
    browser = headless_chromium("1920,1200")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    folder = Path(os.environ.get("GRAPHREC_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)

    def testid(name: str) -> tuple[str, str]:
        return (By.CSS_SELECTOR, f'[data-testid="{name}"]')

    def body_has(b: Any, *texts: str) -> str | bool:
        shown = b.find_element(By.TAG_NAME, "body").text
        return next((text for text in texts if text in shown), False)

    def run_in_editor(command: str | None = None) -> None:
        if command is not None:
            browser.find_element(*testid("activeEditor")).click()
            ActionChains(browser).send_keys(command).perform()
        browser.find_element(*testid("editor-Run")).click()

    try:
        wait = WebDriverWait(browser, 30)
        http_port = os.environ.get("NEO4J_HTTP_PORT", "7474")
        browser.get(f"http://127.0.0.1:{http_port}/browser/")
        wait.until(ec.element_to_be_clickable(testid("username"))).send_keys("neo4j")
        password = os.environ.get("GRAPHREC_NEO4J_PASSWORD", "")
        browser.find_element(*testid("password")).send_keys(password)
        browser.find_element(*testid("connect")).click()
        wait.until(ec.invisibility_of_element_located(testid("disconnectedBanner")))

        guide = f"{served_on_neo4j}{GUIDE_PATH}?key={API_KEY}"
        for _ in range(10):  # Browser reads the allow-list from Neo4j a moment after it connects
            run_in_editor(f":guide {guide}")
            if wait.until(lambda b: body_has(b, "Each slide asks", "not allowed")) != "not allowed":
                break
            time.sleep(1)
        browser.save_screenshot(str(folder / "neo4j-browser-guide.png"))
        run_in_editor(f":guide {guide}#slide-1")  # "Why was this recommended?"
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Why was this"))
        blocks = wait.until(
            lambda b: (
                b.find_elements(By.CSS_SELECTOR, "pre.runnable")
                if len(b.find_elements(By.CSS_SELECTOR, "pre.runnable")) >= 2
                else False
            )
        )
        assert blocks[0].text.startswith(":params {user_id:")
        blocks[0].click()  # the shop's parameters into the editor ...
        run_in_editor()  # ... and set
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), '"user_id": "carol"'))
        blocks[1].click()  # the saved query
        run_in_editor()
        graph = (By.CSS_SELECTOR, '[data-testid="frame"] svg .node')
        wait.until(lambda b: len(b.find_elements(*graph)) >= 3)  # carol, serum, cream
        shown = browser.find_element(By.TAG_NAME, "body").text
        assert "Why was this recommended?" in shown
        browser.save_screenshot(str(folder / "neo4j-browser-why.png"))
        assert (folder / "neo4j-browser-why.png").stat().st_size > 20_000
        ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    except Exception:
        browser.save_screenshot(str(folder / "neo4j-browser-failed.png"))  # to see where
        raise
    finally:
        browser.quit()
