"""The ASGI application: ``/graphql`` (and GraphiQL there for a browser, when on, with its files
under ``/graphiql/``), ``/health``, ``/ready``, ``/metrics`` (Prometheus), ``/shop`` (a page for
shoppers that talks only to ``/graphql``) and ``/guides/merchandisers.html`` (a Neo4j Browser
guide to the saved queries).

``/graphql`` answers the queries a shop sends again and again through a compiled plan
(:mod:`graphrec.api.fast`), the same answer as Strawberry's executor without its per-field
overhead; every other request goes through Strawberry.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL

from graphrec.api.errors import ADMIN, READ, log_client_errors_in_one_line
from graphrec.api.fast import AnswerRing, FastPath
from graphrec.api.graphiql import OFF, PREFIX, GraphiQL, wants_page
from graphrec.api.guide import guide_html
from graphrec.api.operations import Operations
from graphrec.api.requests import BadRequest, check_json_request, read_body
from graphrec.api.schema import schema
from graphrec.serving.service import Service

Scope = dict[str, Any]
GUIDE_PATH = "/guides/merchandisers.html"
#: The shop page's recommendations (api/operations/), answered once before the first request.
WARM_UP_OPERATION = "ShopRecommendations"
log = logging.getLogger(__name__)


#: The answer to a request without a key where reads need one.
NEEDS_KEY = {
    "errors": [
        {
            "message": "this server needs a key in X-API-Key (the read key, GRAPHREC_READ_KEY)",
            "extensions": {"code": "UNAUTHORIZED"},
        }
    ]
}


class _GraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(self, service: Service, keys: Keys, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.service = service
        self.keys = keys
        log_client_errors_in_one_line()

    async def get_context(self, request: Request, response: Response) -> dict[str, Any]:  # type: ignore[override]
        return {"service": self.service, "role": self.keys.role(request.headers.get("x-api-key"))}


@dataclass
class Keys:
    """The keys a request may carry in X-API-Key: ``admin`` (GRAPHREC_API_KEY: everything),
    ``read`` (GRAPHREC_READ_KEY: what a shop frontend does; when set, reads need a key too),
    and the operator token that stands for the admin key (the commands beside a server on the
    embedded store)."""

    admin: str = ""
    read: str = ""
    operator_token: str = ""

    def role(self, given: str | None) -> str | None:
        if authorized(given, self.admin) or authorized(given, self.operator_token):
            return ADMIN
        if authorized(given, self.read):
            return READ
        return None


def shop_page(operations: Operations) -> bytes:
    """shop.html with the persisted operations it sends put in."""
    page = (Path(__file__).parent / "shop.html").read_text(encoding="utf-8")
    texts = {op.name: op.text for op in operations}
    return page.replace("/* OPERATIONS */ {}", orjson.dumps(texts).decode()).encode()


def authorized(given: str | None, expected: str) -> bool:
    """Whether ``given`` is the key, compared in constant time (as bytes: a key with other
    characters than ASCII is just a wrong key)."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "graphrec_requests", "HTTP requests", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "graphrec_request_seconds",
            "Request latency",
            ["path"],
            buckets=(0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.fast = Counter(
            "graphrec_graphql_fast",
            "GraphQL requests answered by a compiled plan",
            registry=self.registry,
        )
        self.items = Gauge("graphrec_items", "Items in memory", registry=self.registry)
        self.users = Gauge("graphrec_users", "Users in memory", registry=self.registry)
        self.events = Gauge("graphrec_events_recorded", "Events recorded", registry=self.registry)
        self.commits = Gauge(
            "graphrec_event_commits",
            "Transactions that committed recorded events (concurrent calls share one)",
            registry=self.registry,
        )
        self.store_up = Gauge(
            "graphrec_store_up", "1 if the store answered", registry=self.registry
        )
        self.cache = Gauge(
            "graphrec_answer_cache",
            "Answers served from (hit) or computed past (miss) the answer cache",
            ["result"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}

    def observe(self, path: str, status: int, seconds: float) -> None:
        """Count a request and its latency (label lookups done once per path and status)."""
        children = self._children.get((path, status))
        if children is None:
            children = (self.requests.labels(path, str(status)), self.latency.labels(path))
            self._children[(path, status)] = children
        children[0].inc()
        children[1].observe(seconds)


class App:
    def __init__(
        self,
        service: Service,
        api_key: str = "",
        graphiql: bool = False,
        read_key: str = "",
        fast_path: bool = True,
        operations: Operations | None = None,
    ) -> None:
        """``graphiql``: serve GraphiQL (:mod:`.graphiql`) to a browser's GET ``/graphql``.
        ``operations``: the persisted operations (default: the shipped ones)."""
        self.service = service
        self.api_key = api_key
        self.keys = Keys(admin=api_key, read=read_key)
        self.graphql = _GraphQL(service, self.keys, graphql_ide=None, allow_queries_via_get=False)
        self.graphiql = GraphiQL() if graphiql else None
        self.operations = Operations.load() if operations is None else operations
        self.fast = FastPath(schema, service, self.operations) if fast_path else None
        if self.fast is not None:
            service.before_swap.append(self.fast.prepare)
        self.metrics = Metrics()
        self.shop_page = shop_page(self.operations)
        self._guide_page: tuple[int, bytes] | None = None  # (service generation, page)
        #: called as the server shuts down (ASGI lifespan)
        self.on_shutdown: list[Callable[[], None]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    for callback in self.on_shutdown:
                        callback()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return await self.graphql(scope, receive, send)
        started = time.perf_counter()
        path = scope["path"]
        status = {"code": 500}

        async def tracked(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        known = ("/graphql", "/health", "/ready", "/metrics", "/shop", GUIDE_PATH)
        label = path if path in known else "/graphiql" if path.startswith(PREFIX) else "other"
        try:
            if path == "/graphql" and wants_page(scope):  # a browser: no key needed for the page
                ide = self.graphiql
                await _respond(tracked, *(ide.page() if ide is not None else OFF))
            elif path == "/graphql" and not self._allowed(scope):
                await _json(tracked, 401, NEEDS_KEY)
            elif path == "/graphql":
                self.service.sync()  # what other processes wrote to the store
                if scope["method"] != "POST":
                    await self.graphql(scope, receive, tracked)  # type: ignore[arg-type]
                elif await self._fast(scope, receive, send, tracked):
                    status["code"] = 200  # sent untracked: one coroutine less per message
            elif path == "/health":
                await _json(tracked, 200, {"status": "ok"})
            elif path == "/ready":
                problem = await asyncio.to_thread(self.service.check_store)
                ok = problem is None
                body = {
                    "ready": True,
                    "store": "up" if ok else f"down, answering from memory: {problem}",
                    "model": self.service.artifact.meta.get("model"),
                    "artifact": self.service.version,
                    "applied_change": self.service.applied,
                }
                await _json(tracked, 200 if ok else 503, body)
            elif path == "/metrics":
                await self._metrics(tracked)
            elif path == "/shop":
                await _respond(tracked, 200, self.shop_page, b"text/html; charset=utf-8")
            elif path == GUIDE_PATH:
                await self._guide(scope, tracked)
            elif path.startswith(PREFIX) and self.graphiql is not None and scope["method"] == "GET":
                await _respond(tracked, *self.graphiql.asset(path))
            else:
                await _json(tracked, 404, {"error": f"no route {path}"})
        finally:
            self.metrics.observe(label, status["code"], time.perf_counter() - started)

    async def _guide(self, scope: Scope, send: Any) -> None:
        """The merchandisers' Neo4j Browser guide (:mod:`.guide`). It names a shopper, so it
        needs the API key (``?key=``) when one is set. Neo4j Browser fetches it from its own
        origin: the answer allows any."""
        cors = (
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET"),
            (b"access-control-allow-headers", b"pragma, cache-control"),  # Browser sends them
        )
        if scope["method"] == "OPTIONS":  # the preflight those headers need
            await _respond(send, 204, b"", b"text/plain", cors)
            return
        key = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("key", [None])[0]
        if self.api_key and not authorized(key, self.api_key):
            await _json(send, 401, {"error": "the guide needs the API key: ?key=..."})
            return
        generation = self.service.generation  # made again only after a model reload
        if self._guide_page is None or self._guide_page[0] != generation:
            self._guide_page = (generation, guide_html(self.service).encode())
        await _respond(send, 200, self._guide_page[1], b"text/html; charset=utf-8", cors)

    def warm_up(self) -> None:
        """Answer the shop page's query for a new shopper and a known one, unlogged and
        uncounted, so that what compiles on first use (the reason writer's loops) compiles
        before the first request."""
        service, fast = self.service, self.fast
        if fast is None:
            return
        with service.log.paused():
            query = self.operations[WARM_UP_OPERATION].text
            for user in ["graphrec-warm-up", *service.engine.top_shoppers(1)]:
                body = orjson.dumps({"query": query, "variables": {"user": user}})
                fast.try_execute(body)
        fast.answers = AnswerRing()  # nothing of it is reused
        fast.hits = fast.misses = 0

    def _role(self, scope: Scope) -> str | None:
        """Who the request's X-API-Key speaks for (:meth:`Keys.role`)."""
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                return self.keys.role(value.decode("latin-1"))
        return None

    def _allowed(self, scope: Scope) -> bool:
        """Whether a request may be answered at all: with a read key set, reads need a key."""
        return not self.keys.read or self._role(scope) is not None

    def _try(self, body: bytes) -> bytes | None:
        if self.fast is None:
            return None
        try:
            answer = self.fast.try_execute(body)
        except Exception:  # noqa: BLE001 - a fault in a plan: Strawberry answers instead
            log.exception("compiled plan failed; answering through Strawberry")
            return None
        if answer is not None:
            self.metrics.fast.inc()
        return answer

    async def _fast(self, scope: Scope, receive: Any, send: Any, tracked: Any) -> bool:
        """Answer a POST through a compiled plan (True), else through Strawberry (False),
        which sends through ``tracked``."""
        headers = dict(scope["headers"])
        is_json = headers.get(b"content-type", b"").startswith(b"application/json")
        try:
            body = await read_body(scope, receive)
            if is_json:
                check_json_request(body)
        except BadRequest as e:
            log.info("client error: %s", e)
            await _json(tracked, e.status, e.answer())
            return False
        recording = None
        if self.fast is not None and is_json and self._role(scope) in (ADMIN, READ):
            recording = self.fast.try_record(body)
        if recording is not None:  # queued: answered once committed, other requests go on
            self.metrics.fast.inc()
            await _respond(send, 200, await recording.answer(), b"application/json")
            return True
        answer = self._try(body) if is_json else None
        if answer is not None:
            await _respond(send, 200, answer, b"application/json")
            return True
        if self.fast is not None:  # a persisted operation sent by its hash: Strawberry needs it
            body = self.fast.expand(body) or body
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.graphql(scope, replay, tracked)
        return False

    async def _metrics(self, send: Any) -> None:
        live = self.service.engine.live
        self.metrics.items.set(live.num_items)
        self.metrics.users.set(len(live.user_index))
        self.metrics.events.set(self.service.counters["events"])
        self.metrics.commits.set(self.service.commits.groups)
        self.metrics.store_up.set(1 if self.service.store_ok else 0)
        if self.fast is not None:
            self.metrics.cache.labels("hit").set(self.fast.hits)
            self.metrics.cache.labels("miss").set(self.fast.misses)
        body = generate_latest(self.metrics.registry)
        await _respond(send, 200, body, b"text/plain; version=0.0.4")


async def _respond(
    send: Any,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _json(send: Any, status: int, body: Any) -> None:
    await _respond(send, status, orjson.dumps(body), b"application/json")
