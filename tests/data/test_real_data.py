"""The real datasets in ../shared/data load to the counts their READMEs give."""

from __future__ import annotations

from graphrec.data import load
from graphrec.store import GraphStore
from tests.conftest import shared_data


def test_movielens_100k(embedded: GraphStore) -> None:
    report = load(embedded, "movielens", shared_data("movielens-100k"))
    assert not report.skipped
    counts = embedded.counts()
    assert counts.nodes == {"User": 943, "Item": 1682, "Category": 20, "Brand": 0}
    assert counts.relationships["INTERACTED"] == 100_000


def test_amazon_beauty(embedded: GraphStore) -> None:
    load(embedded, "amazon", shared_data("amazon-beauty-2014"))
    counts = embedded.counts()
    assert (counts.nodes["User"], counts.nodes["Item"]) == (22_363, 12_101)
    assert counts.relationships["INTERACTED"] == 198_502
    # 7,474 items name a brand; the 20 whose brand is "Unknown" get none.
    assert counts.relationships["MADE_BY"] == 7_454
    item = embedded.get_item("B004756YJA")
    assert item is not None
    assert item["title"] == "OPI Nail Lacquer, Simmer and Shimmer, 0.5-Fluid Ounce"
    assert item["brand"] == {"id": "opi", "name": "OPI"}
    assert [c["id"] for c in item["categories"]] == ["Beauty > Makeup > Nails > Nail Polish"]
