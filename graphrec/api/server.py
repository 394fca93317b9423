"""``graphrec serve`` assembled: the store, the model version to serve, the service, the ASGI
app, warmed up, under uvicorn with one worker or several.

Several workers (``--workers N``) are several processes, each with its own memory built from the
store, kept in step through the store's change feed (:mod:`graphrec.serving.follow`): so they
need a store several processes write to, Neo4j. uvicorn starts them from :func:`create_app`,
with the options in the environment.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from graphrec.api import running
from graphrec.api.app import App
from graphrec.api.graphiql import on_by_default
from graphrec.api.operations import Operations, operations_root
from graphrec.config import get_settings
from graphrec.errors import InvalidInput
from graphrec.serving.activity import DAY
from graphrec.serving.configured import engine_config, models_dir, version_to_serve
from graphrec.serving.service import Service
from graphrec.store import open_store

#: Where :func:`create_app` finds its options in a worker process.
OPTIONS_VARIABLE = "GRAPHREC_SERVE_OPTIONS"


@dataclass(frozen=True)
class ServeOptions:
    store: str | None = None
    artifact: str | None = None  # None: the version the store says, else the newest
    graphiql: bool = False  # GraphiQL at /graphql for a browser (see graphiql_on)
    fast_path: bool = True
    workers: int = 1  # the answer cache's memory is split between them


log = logging.getLogger(__name__)


def build(options: ServeOptions) -> App:
    """The app for ``options``: its store opened, its model version loaded, warmed up. With no
    artifact named and none active in the store, the one served becomes the active one."""
    settings = get_settings()
    config = engine_config(settings, options.workers)
    store = open_store(options.store)
    try:
        folder = models_dir()
        path = version_to_serve(store, options.artifact, activate=True)
        service = Service.open(
            store,
            path,
            config=config,
            kind_weights=settings.kind_weights,
            log_dir=settings.data_dir / "log",
            log_secret=settings.log_secret,
            models_dir=folder,
            sync_seconds=settings.sync_seconds,
            cache_dir=settings.data_dir / "cache" / "serving",
        )
    except BaseException:
        store.close()
        raise
    folders = [operations_root()] + ([settings.operations] if settings.operations else [])
    app = App(
        service,
        api_key=settings.api_key,
        read_key=settings.read_key,
        graphiql=options.graphiql,
        fast_path=options.fast_path,
        operations=Operations.load(*folders),
    )
    _say_if_nothing_is_recent(service)
    app.warm_up()  # first: it leaves the answer cache empty
    if app.fast is not None:
        app.fast.reserve()
    _freeze()
    service.after_reload.append(_freeze)
    return app


def _say_if_nothing_is_recent(service: Service) -> None:
    """On the wall clock, data that ended long ago trends nothing: say how to replay it."""
    activity = service.engine.live.activity
    settings = activity.settings
    age = (activity.now() - activity.data_now) / DAY
    if settings.clock == "wall" and activity.data_now and age > settings.window_days:
        log.warning(
            "the newest interaction is %d days old, so nothing trends on the wall clock; "
            "GRAPHREC_CLOCK=data serves as of the data's newest interaction",
            age,
        )


def _freeze() -> None:
    """What is loaded is long-lived: keep the cyclic GC from rescanning it (moved to the
    permanent generation, which costs nothing to do). A replaced engine holds no reference
    cycle (tests/api/test_server.py), so it is freed as soon as nothing refers to it, without
    the full collection that paused answers for 0.2-0.26 s on Amazon Beauty."""
    gc.freeze()


def create_app() -> App:
    """uvicorn's factory in each worker process (``--workers N``)."""
    raw = os.environ.get(OPTIONS_VARIABLE)
    if not raw:
        raise InvalidInput(f"{OPTIONS_VARIABLE} is not set: start workers with graphrec serve")
    _one_thread()
    return build(ServeOptions(**json.loads(raw)))


def _one_thread() -> None:
    """One request's products are small: BLAS threads only spin against the event loop and
    whatever else runs on the machine (under load, the scoring product took 4x longer with two
    threads: 20 % of a request against 7 %, sampled with py-spy). More cores: more workers."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    if "torch" in sys.modules:  # else it is imported with one thread, if at all (GraphSAGE)
        sys.modules["torch"].set_num_threads(1)
    else:
        os.environ["OMP_NUM_THREADS"] = "1"


def graphiql_on(choice: bool | None, host: str) -> bool:
    """``--graphiql``/``--no-graphiql`` (``choice``), else on where the server binds a loopback
    address (127.0.0.1, ::1, localhost): GraphiQL is for a developer on the machine."""
    return on_by_default(host) if choice is None else choice


def _pages(options: ServeOptions) -> str:
    graphiql = "GraphiQL: /graphql in a browser; " if options.graphiql else ""
    return f" ({graphiql}shop page: /shop)"


def run(
    options: ServeOptions,
    host: str,
    port: int,
    workers: int = 1,
    say: Callable[[str], None] = print,
    poller: Any = None,
) -> None:
    """Serve until stopped, saying where (``say``). ``workers`` > 1 needs a shared store
    (Neo4j). ``poller``: a started-and-stopped companion of the one worker (``--busy-poll``)."""
    import uvicorn

    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "proxy_headers": False,  # no client addresses are used: one layer less per request
    }
    if workers > 1:
        store = open_store(options.store)
        try:
            shared = store.shared
        finally:
            store.close()
        if not shared:
            raise InvalidInput(
                f"--workers {workers} needs a store that several processes write to (Neo4j: "
                "--store neo4j://HOST); the embedded store has one writer, so one worker"
            )
        options = replace(options, workers=workers)
        os.environ[OPTIONS_VARIABLE] = json.dumps(asdict(options))
        pages = _pages(options)
        say(
            f"graphrec serves http://{host}:{port}/graphql{pages} with {workers} workers (starting)"
        )
        uvicorn.run("graphrec.api.server:create_app", factory=True, workers=workers, **common)
        return
    _one_thread()
    app = build(options)
    say(
        f"graphrec serves {app.service.version} from {app.service.store.url} at "
        f"http://{host}:{port}/graphql" + _pages(options)
    )
    if poller is not None:
        poller.start()
    take_away = None
    if not app.service.store.shared:  # commands that write to the embedded store find this server
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
        token = secrets.token_hex(16)
        app.keys.operator_token = token
        take_away = running.announce(
            Path(app.service.store.url), f"http://{local}:{port}/graphql", token
        )
        app.on_shutdown.append(take_away)
    try:
        uvicorn.run(app, **common)
    finally:
        if poller is not None:
            poller.stop()
        if take_away is not None:
            take_away()
