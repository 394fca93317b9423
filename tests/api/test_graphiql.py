"""GraphiQL served from the package (graphrec/api/graphiql.py): the page and its vendored files,
nothing from another origin, only the files of a fixed table; off, a browser is told how to turn
it on; ``graphrec serve`` turns it on by default on a loopback address. The browser test runs a
query in headless Chromium (skipped without it, as test_shop_page is)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from graphql import get_introspection_query
from starlette.testclient import TestClient
from typer.testing import CliRunner

from graphrec.api import graphiql, server
from graphrec.api.app import App
from graphrec.api.server import ServeOptions, graphiql_on
from graphrec.cli import app as cli
from graphrec.serving.service import Service
from tests.api.conftest import API_KEY, headless_chromium, uvicorn_serving

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
READ_KEY = "shop-key"
SIZES = {  # at least, in bytes
    "graphiql.min.js": 500_000,
    "graphiql.min.css": 100_000,
    "react.production.min.js": 5_000,
    "react-dom.production.min.js": 100_000,
    "LICENSES.txt": 3_000,
    "VERSIONS": 40,
}


@pytest.fixture()
def client(service: Service) -> TestClient:
    return TestClient(App(service, api_key=API_KEY, read_key=READ_KEY, graphiql=True))


def asgi_get(app: App, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as given (an HTTP client would resolve its dot segments)."""
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_page_and_its_files_come_from_the_package(client: TestClient) -> None:
    page = client.get("/graphql", headers=BROWSER)  # no key needed for the page
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>graphrec GraphiQL</title>" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    links = re.findall(r"""(?:src|href)=["']([^"']*)""", page.text)
    assert len(links) == 4 and all(link.startswith("/graphiql/") for link in links)
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    for link in links:  # with ?v=: a new version is a new address
        assert client.get(link).status_code == 200
    for name, content_type in graphiql.ASSETS.items():
        answer = client.get(f"/graphiql/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == content_type.decode()
        assert "max-age=31536000" in answer.headers["cache-control"]
        assert len(answer.content) >= SIZES[name], name
    assert client.get("/graphiql/VERSIONS").text.splitlines() == [
        "graphiql@3.9.0",
        "react@18.3.1",
        "react-dom@18.3.1",
    ]
    assert "MIT License" in client.get("/graphiql/LICENSES.txt").text
    metrics = client.get("/metrics").text
    assert 'graphrec_requests_total{path="/graphiql",status="200"}' in metrics


def test_only_the_files_of_the_table_are_served(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, App)
    for path in (
        "/graphiql/../app.py",
        "/graphiql/../../config.py",
        "/graphiql/..%2fapp.py",
        "/graphiql//etc/passwd",
        "/graphiql/static/graphiql/VERSIONS",
        "/graphiql/index.umd.js.map",
        "/graphiql/",
        "/graphiql/graphiql.html",
    ):
        status, body = asgi_get(app, path)
        assert status == 404 and b"import" not in body, path
    assert client.get("/graphiql/nothing.js").status_code == 404
    assert client.post("/graphiql/graphiql.min.js").status_code == 404


def test_the_api_is_unchanged_beside_the_page(client: TestClient) -> None:
    assert client.get("/graphql").status_code == 401  # not a browser: the key is needed
    shop = {"x-api-key": READ_KEY}
    got = client.get("/graphql?query={trending(k:1){rank}}", headers=shop)
    assert got.status_code != 200  # queries over GET stay refused
    answer = client.post("/graphql", json={"query": "{ trending(k: 2) { rank } }"}, headers=shop)
    assert answer.json() == {"data": {"trending": [{"rank": 1}, {"rank": 2}]}}
    page = client.get("/graphql?query={trending(k:1){rank}}", headers=BROWSER)
    assert page.status_code == 200 and "graphrec GraphiQL" in page.text


def test_graphiql_loads_the_schema(client: TestClient) -> None:
    """The introspection GraphiQL 3 sends nests ``ofType`` 8 deep: within the depth limit."""
    query = get_introspection_query(
        descriptions=True, input_value_deprecation=True, schema_description=True
    )
    answer = client.post("/graphql", json={"query": query}, headers={"x-api-key": READ_KEY})
    assert answer.status_code == 200
    assert "errors" not in answer.json() and answer.json()["data"]["__schema"]["types"]
    deep = "{ __schema { types { " + "fields { type { " * 5 + "name" + " } }" * 5 + " } } }"
    refused = client.post("/graphql", json={"query": deep}, headers={"x-api-key": READ_KEY})
    assert "exceeds maximum operation depth" in refused.json()["errors"][0]["message"]


def test_off_a_browser_is_told_how_to_turn_it_on(service: Service) -> None:
    client = TestClient(App(service, api_key=API_KEY))
    answer = client.get("/graphql", headers=BROWSER)
    assert answer.status_code == 404
    assert "GraphiQL is off" in answer.text and "--graphiql" in answer.text
    assert client.get("/graphiql/graphiql.min.js").status_code == 404
    assert client.post("/graphql", json={"query": "{ trending(k: 1) { rank } }"}).json() == {
        "data": {"trending": [{"rank": 1}]}
    }


@pytest.mark.parametrize(
    ("host", "on"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("shop.example", False),
    ],
)
def test_on_by_default_on_a_loopback_address(host: str, on: bool) -> None:
    assert graphiql_on(None, host) is on
    assert graphiql_on(True, host) is True and graphiql_on(False, host) is False


@pytest.mark.parametrize(
    ("args", "on"),
    [
        ([], True),
        (["--no-graphiql"], False),
        (["--host", "0.0.0.0"], False),
        (["--host", "0.0.0.0", "--graphiql"], True),
        (["--host", "0.0.0.0", "--dev"], True),  # the old name, hidden
    ],
)
def test_serve_passes_the_choice_on(args: list[str], on: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[ServeOptions] = []
    monkeypatch.setattr(server, "run", lambda options, *_a, **_k: seen.append(options))
    host = [] if "--host" in args else ["--host", "127.0.0.1"]
    result = CliRunner().invoke(cli, ["serve", *host, *args])
    assert result.exit_code == 0, result.output
    assert seen[0].graphiql is on
    both = CliRunner().invoke(cli, ["serve", "--dev", "--no-graphiql"])
    assert both.exit_code == 2 and "not with --no-graphiql" in both.output


@pytest.fixture()
def browser_server(service: Service) -> Iterator[str]:
    with uvicorn_serving(App(service, api_key=API_KEY, graphiql=True)) as port:
        yield f"http://127.0.0.1:{port}"


def test_graphiql_runs_a_query_in_chromium(browser_server: str) -> None:
    browser = headless_chromium("1280,900")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        wait = WebDriverWait(browser, 30)
        browser.get(f"{browser_server}/graphql?query={quote('{ trending(k: 2) { rank } }')}")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".graphiql-container")))
        assert browser.title == "graphrec GraphiQL"
        button = wait.until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button"))
        )
        button.click()
        wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".result-window"), '"rank": 1')
        )
        assert '"rank": 2' in browser.find_element(By.CSS_SELECTOR, ".result-window").text
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert loaded and all(url.startswith(browser_server + "/") for url in loaded), loaded
        assert any("/graphiql/graphiql.min.js" in url for url in loaded)
    finally:
        browser.quit()
