"""A shopper's "forget me", end to end: served, logged, trained on, then forgotten; after it,
neither the store, the log, a model version, nor a server started while the store is down
holds them, and `graphrec privacy audit` says where anything is left."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from graphrec.cli import app
from graphrec.graph.derive import derive_bought_with
from graphrec.graph.snapshot import export_snapshot
from graphrec.models.artifact import load_artifact
from graphrec.privacy import audit
from graphrec.serving.event_writes import EventInput
from graphrec.serving.service import Service
from graphrec.store import GraphBatch, GraphStore, open_store
from graphrec.training.train import train
from tests.api.test_faults import Outage
from tests.graphs import interactions_table, served_config, shop_batch

SHOPPER = "privacy-shopper-7"


def edges(store: GraphStore) -> list[tuple[str, str, float]]:
    rows = pa.Table.from_batches(list(store.stream("bought_with"))).to_pylist()
    return sorted((r["item_id"], r["other_id"], r["weight"]) for r in rows)


def activity(store: GraphStore) -> list[tuple[str, int]]:
    rows = store.item_activity(["view", "click", "not_interested"], 0, 7 * 86400, 90 * 86400)
    return sorted((r["item_id"], r["shoppers"]) for r in rows)


def test_a_forgotten_shopper_is_nowhere(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(str(data / "store"))
    store.write(shop_batch())
    store.write(
        GraphBatch(
            users=pa.table({"id": [SHOPPER]}),
            interactions=interactions_table(
                [
                    (SHOPPER, "serum", "purchase", 5.0, None, 400),
                    (SHOPPER, "cream", "purchase", 5.0, None, 410),
                ]
            ),
        )
    )
    derive_bought_with(store)
    never = open_store(str(tmp_path / "never"))  # the same shop without them, ever
    never.write(shop_batch())
    derive_bought_with(never)
    assert edges(store) != edges(never)  # they count in "bought together by N shoppers"
    models = data / "models"
    version = train(export_snapshot(store), "gfcf", {}, models)
    log_dir = data / "log"
    service = Service.open(store, version, config=served_config(), log_dir=log_dir)
    answer = service.engine.recommend(SHOPPER, k=2)
    service.log.served(answer)
    service.record(
        [EventInput(SHOPPER, "lipstick", "view", recommendation_id=answer.recommendation_id)]
    )
    before = {f.place for f in audit(SHOPPER, store, data, models)}
    assert {"store", "log", "model version"} <= before

    assert service.forget_user(SHOPPER)
    # every count is as if they never shopped: derived edges, popularity, co-interactions
    assert edges(store) == edges(never)
    assert activity(store) == activity(never)
    for item in ("serum", "cream", "lipstick"):
        assert store.co_interactions(item) == never.co_interactions(item)
    left = audit(SHOPPER, store, data, models)
    # the embedded store may keep a deleted string's bytes in its file until the page is
    # reused; nothing else holds the shopper
    assert [f for f in left if not (f.place == "file" and Path(f.detail).name == "store")] == []
    trained = load_artifact(version)
    assert SHOPPER not in trained.snapshot.users.column("id").to_pylist()
    users = trained.vectors()[1]
    assert int((abs(users).sum(axis=1) == 0).sum()) == 1  # their row, zeroed

    # a server started while the store is down serves from the artifact: not them
    outage = Outage(store)
    outage.down = True
    restarted = Service.open(outage, version, config=served_config())  # type: ignore[arg-type]
    assert not restarted.store_ok and restarted.engine.live.user(SHOPPER) is None
    # and one started with the store up: not them, and the edges it serves are without them
    restarted = Service.open(store, version, config=served_config())
    assert restarted.engine.live.user(SHOPPER) is None
    live, other = restarted.engine.live, Service.open(never, version, config=served_config())
    assert sorted(zip(*live.links().nonzero(), strict=True)) == sorted(
        zip(*other.engine.live.links().nonzero(), strict=True)
    )
    # the same id coming back starts cold
    back = service.engine.recommend(SHOPPER, k=2)
    assert back.strategy.value == "cold_start"

    store.close()
    cli = CliRunner().invoke(
        app,
        ["privacy", "audit", SHOPPER, "--store", str(data / "store")],
        env={"GRAPHREC_DATA_DIR": str(data)},
    )
    assert cli.exit_code in (0, 1) and "model version" not in cli.output and "log" not in cli.output
