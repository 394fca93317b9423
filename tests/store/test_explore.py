"""The merchandisers' saved queries (cypher/explore/) on the known shop, on every backend.

The shop (tests/graphs.py) with BOUGHT_WITH derived (serum-cream 2 shoppers, serum-toner 2),
SIMILAR_TO serum -> cream 0.9, serum -> toner 0.4, and a balm (brand Glow, category Serums)
that nobody has had yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from graphrec.errors import InvalidInput
from graphrec.graph.derive import bought_with_edges
from graphrec.graph.snapshot import export_snapshot
from graphrec.store import GraphBatch, GraphStore
from graphrec.store.cypher import cypher_root
from tests.graphs import shop_batch


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    store.write(shop_batch())
    store.write(
        GraphBatch(
            items=pa.table(
                {
                    "id": ["balm"],
                    "title": ["Lip Balm"],
                    "price": [6.0],
                    "in_stock": [True],
                    "created_at": pa.array([1300], pa.int64()),
                }
            ),
            item_categories=pa.table(
                {"item_id": ["balm"], "category_id": ["Skin Care > Face > Serums"]}
            ),
            item_brands=pa.table({"item_id": ["balm"], "brand_id": ["glow"]}),
        )
    )
    store.replace_bought_with(bought_with_edges(export_snapshot(store), ["view", "click"], 50, 2))
    store.replace_similar_to(
        pa.table(
            {"item_id": ["serum", "serum"], "other_id": ["cream", "toner"], "score": [0.9, 0.4]}
        )
    )
    return store


def scalars(rows: list[dict[str, Any]], *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(row[c] for c in columns) for row in rows]


def test_why_paths(shop: GraphStore) -> None:
    rows = shop.explore("why_bought_with", user_id="alice", item_id="toner")
    assert scalars(rows, "via_item", "kind", "shoppers") == [("serum", "purchase", 2.0)]
    assert rows[0]["x"]["id"] == "toner" and rows[0]["u"]["id"] == "alice"  # nodes for Browser
    rows = shop.explore("why_same_brand", user_id="alice", item_id="balm")
    assert scalars(rows, "via_item", "brand") == [("cream", "Glow"), ("serum", "Glow")]
    rows = shop.explore("why_same_category", user_id="bob", item_id="balm")
    assert scalars(rows, "via_item", "category") == [("serum", "Serums")]
    rows = shop.explore("why_similar_shoppers", user_id="alice", item_id="toner")
    assert scalars(rows, "via_item", "shoppers") == [("serum", 2), ("cream", 1)]
    assert shop.explore("why_bought_with", user_id="dave", item_id="toner") == []


def test_neighbourhoods_and_best_sellers(shop: GraphStore) -> None:
    rows = shop.explore("bought_with", item_id="serum", limit=10)
    assert scalars(rows, "item_id", "shoppers") == [("cream", 2.0), ("toner", 2.0)]
    assert scalars(shop.explore("bought_with", item_id="serum", limit=1), "item_id") == [("cream",)]
    rows = shop.explore("brand_neighbourhood", brand_id="glow", limit=10)
    assert scalars(rows, "brand_id", "shoppers") == [("pure", 2.0)]
    rows = shop.explore("best_sellers", category_id="Skin Care", limit=10)
    assert scalars(rows, "item_id", "shoppers") == [("serum", 3), ("cream", 2), ("toner", 2)]
    rows = shop.explore("best_sellers", category_id="Makeup", limit=10)
    assert scalars(rows, "item_id", "shoppers") == [("mascara", 2), ("lipstick", 1)]  # a view: no


def test_similar_items_and_coverage_gaps(shop: GraphStore) -> None:
    rows = shop.explore("similar_items", item_id="serum", limit=10)
    assert scalars(rows, "item_id", "score") == [("cream", 0.9), ("toner", 0.4)]
    rows = shop.explore("coverage_gaps", limit=10)
    assert scalars(rows, "item_id") == [("balm",), ("brush",)]  # toner is out of stock


def test_every_saved_query_is_tested() -> None:
    names = {p.stem for p in (cypher_root() / "explore").glob("*.cypher")}
    tested = Path(__file__).read_text()
    assert {n for n in names if f'"{n}"' not in tested} == set()


def test_cli_lists_and_runs_saved_queries(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graphrec.cli import app
    from graphrec.store import open_store

    runner = CliRunner()
    listing = runner.invoke(app, ["explore"])
    assert listing.exit_code == 0 and "why_bought_with" in listing.output
    graph = open_store(str(tmp_path / "cli-store"))
    graph.write(shop_batch())
    graph.close()
    store = ["--store", str(tmp_path / "cli-store")]
    ran = runner.invoke(app, ["explore", "best_sellers", "--set", "category_id=Makeup", *store])
    assert ran.exit_code == 0, ran.output
    assert "mascara" in ran.output and "2 row(s)" in ran.output
    unknown = runner.invoke(app, ["explore", "nope", *store])
    assert unknown.exit_code == 2 and "no saved query 'nope'" in unknown.output


def test_a_saved_query_is_named_never_a_path(shop: GraphStore) -> None:
    before = shop.counts()
    for name in ("../ladybug/clear", "../neo4j/clear", "clear", "/etc/passwd"):
        with pytest.raises(InvalidInput, match="no saved query"):
            shop.explore(name)
    assert shop.counts() == before
