"""Amazon 2014 (the 5-core "Beauty" derivative in ``derived/*.tsv``).

Items keep their ASIN as id, users their reviewerID. Each review is an interaction of kind
``review`` at its (day-resolution) time. An item's category list concatenates one or more paths
from the top level down; a path starts at each top-level name, and every path hangs under a root
named after the department ("Beauty"), so the categories form a real tree.
"""

from __future__ import annotations

from pathlib import Path

from graphrec.data._build import InteractionsBuilder, ItemsBuilder, Parsed, assemble
from graphrec.data._read import Problems, read_records, require_file

KIND = "review"
ROOT = "Beauty"
NO_BRAND = {"", "unknown"}


def _folder(path: Path) -> Path:
    return path / "derived" if (path / "derived").is_dir() else path


def _split_paths(names: list[str], top_level: set[str]) -> list[list[str]]:
    paths: list[list[str]] = []
    for name in names:
        if name in top_level or not paths:
            paths.append([name])
        else:
            paths[-1].append(name)
    return paths


def read(path: Path, kind_weights: dict[str, float], root: str = ROOT) -> Parsed:
    folder = _folder(path)
    problems = Problems()
    items_file = require_file(folder / "items.tsv", "amazon items.tsv")
    users_file = require_file(folder / "users.tsv", "amazon users.tsv")
    inter_file = require_file(folder / "interactions.tsv", "amazon interactions.tsv")

    items = ItemsBuilder(problems)
    asin_of: dict[str, str] = {}
    category_lists: list[tuple[str, list[str]]] = []
    for number, row in read_records(
        items_file, problems, ("item_id", "asin", "title", "brand_inferred", "categories")
    ):
        if not row["item_id"].isdigit():
            problems.add(items_file, number, "item_id", f"{row['item_id']!r} is not an integer")
            continue
        if not row["asin"]:
            problems.add(items_file, number, "asin", "empty")
            continue
        if not items.add(items_file, number, row["asin"], title=row["title"]):
            continue
        asin_of[row["item_id"]] = row["asin"]
        if row["brand_inferred"].lower() not in NO_BRAND:
            items.catalogue.add_brand(row["asin"], row["brand_inferred"])
        names = [name for name in row["categories"].split("|") if name]
        category_lists.append((row["asin"], names))

    top_level = {names[0] for _, names in category_lists if names}
    for asin, names in category_lists:
        for category_path in _split_paths(names, top_level):
            items.catalogue.add_path(asin, [root, *category_path])

    reviewer_of: dict[str, str] = {}
    for number, row in read_records(users_file, problems, ("user_id", "reviewer_id")):
        if not row["user_id"].isdigit() or not row["reviewer_id"]:
            problems.add(users_file, number, "user_id", "expected an integer id and a reviewer_id")
            continue
        if row["user_id"] in reviewer_of:
            problems.add(users_file, number, "user_id", f"duplicate user id {row['user_id']!r}")
            continue
        reviewer_of[row["user_id"]] = row["reviewer_id"]

    interactions = InteractionsBuilder(problems, kind_weights)
    for number, row in read_records(inter_file, problems, ("user_id", "item_id", "timestamp")):
        user = reviewer_of.get(row["user_id"])
        item = asin_of.get(row["item_id"])
        if user is None:
            problems.add(
                inter_file, number, "user_id", f"unknown user {row['user_id']!r} (not in users.tsv)"
            )
            continue
        if item is None:
            problems.add(
                inter_file, number, "item_id", f"unknown item {row['item_id']!r} (not in items.tsv)"
            )
            continue
        try:
            ts = int(row["timestamp"])
        except ValueError:
            problems.add(
                inter_file, number, "timestamp", f"{row['timestamp']!r} is not Unix seconds"
            )
            continue
        interactions.add(inter_file, number, user, item, KIND, ts)
    return assemble(items, interactions, catalogue_complete=True)
