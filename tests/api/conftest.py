"""A served shop: the known graph of tests/graphs.py in an embedded store, BOUGHT_WITH derived,
a small LightGCN trained on it, and the service and GraphQL app over both."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from graphrec.api.app import App
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.serving.service import Service
from graphrec.store.base import GraphStore
from tests.conftest import free_port, open_backend
from tests.graphs import served_config, shop_batch

API_KEY = "test-key"


@pytest.fixture(params=["ladybug", "neo4j"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """The served shop in the embedded store and in Neo4j: the API behaves the same on both."""
    graph = open_backend(request.param, tmp_path)
    graph.write(shop_batch())
    graph.replace_bought_with(bought_with_edges(export_snapshot(graph), ["view", "click"], 50, 2))
    yield graph
    graph.close()


@pytest.fixture()
def service(store: GraphStore, shop_artifact: Path, tmp_path: Path) -> Iterator[Service]:
    config = served_config()
    served = Service.open(store, shop_artifact, config=config, log_dir=tmp_path / "log")
    yield served
    served.close()  # its background work done before the store closes


@contextmanager
def uvicorn_serving(app: App) -> Iterator[int]:
    """``app`` served as ``graphrec serve`` serves it (uvicorn) on a free port of 127.0.0.1, in
    a thread."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not running.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield port
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def headless_chromium(window: str) -> Any:
    """Debian's Chromium under selenium, headless, ``window`` pixels wide and high ("1280,900").
    Skipped without chromium and chromedriver, unless GRAPHREC_REQUIRE_BROWSER is set (CI)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        if os.environ.get("GRAPHREC_REQUIRE_BROWSER"):
            pytest.fail("the browser test is required: apt-get install chromium chromium-driver")
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        f"--window-size={window}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=DriverService(driver), options=options)
