"""Loaders on small files made here, into every backend: known counts, located errors,
all-or-nothing, idempotence."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphrec.data import load, read_source
from graphrec.errors import InvalidData, InvalidInput
from graphrec.store import GraphStore


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def lightgcn_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lightgcn"
    write(folder / "train.txt", "0 0 1 2\n1 1 2\n2 3\n")
    write(folder / "test.txt", "0 3\n1 0\n")
    return folder


def amazon_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "amazon" / "derived"
    write(
        folder / "items.tsv",
        "item_id\tasin\ttitle\tbrand_inferred\tcategories\tattr_ids\n"
        "1\tA1\tOPI Nail Lacquer\tOPI\tMakeup|Nails|Nail Polish\t1 2\n"
        "2\tA2\tShampoo\tL&#39;Oreal Paris\tHair Care|Shampoos|Skin Care|Face\t3\n"
        "3\tA3\tComb\tUnknown\tTools & Accessories\t4\n"
        "4\tA4\tLotion\t\tSkin Care|Body\t5\n",
    )
    write(folder / "users.tsv", "user_id\treviewer_id\n1\tR1\n2\tR2\n")
    write(
        folder / "interactions.tsv",
        "user_id\titem_id\ttimestamp\n1\t1\t100\n1\t2\t200\n2\t2\t150\n2\t3\t160\n",
    )
    return folder.parent


def movielens_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ml" / "ml-100k"
    write(folder / "u.genre", "unknown|0\nAction|1\nComedy|2\n\n")
    write(
        folder / "u.item",
        "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n"
        "2|Café Noir (1996)|15-Mar-1996||http://y|0|1|1\n",
        encoding="latin-1",
    )
    write(folder / "u.data", "10\t1\t5\t881250949\n10\t2\t3\t881250950\n11\t1\t4\t881250951\n")
    return folder.parent


def csv_dir(tmp_path: Path, interactions: str | None = None, items: str | None = None) -> Path:
    folder = tmp_path / "shop"
    write(
        folder / "interactions.csv",
        interactions
        or (
            "user_id,item_id,kind,ts,weight,rating\n"
            "u1,serum,view,2024-05-01T10:00:00Z,,\n"
            "u1,serum,purchase,1714557600,,\n"
            "u2,serum,rating,1714557700,,4.5\n"
            "u2,cream,cart,1714557800,2.5,\n"
        ),
    )
    write(
        folder / "items.csv",
        items
        or (
            "item_id,title,brand,category,price,in_stock\n"
            'serum,"Serum, hydrating",Glow,Skin Care > Face > Serums,24.0,true\n'
            "cream,Night Cream,Glow,Skin Care > Face > Moisturizers|Gifts,31.5,no\n"
        ),
    )
    return folder


def test_lightgcn_keeps_the_split(store: GraphStore, tmp_path: Path) -> None:
    report = load(store, "lightgcn", lightgcn_dir(tmp_path))
    assert report.rows["interactions"] == 8
    counts = store.counts()
    assert counts.nodes["User"] == 3 and counts.nodes["Item"] == 4
    splits = pa.Table.from_batches(list(store.stream("interactions"))).column("split")
    assert splits.to_pylist().count("test") == 2


def test_amazon_builds_a_category_tree_and_brands(store: GraphStore, tmp_path: Path) -> None:
    load(store, "amazon", amazon_dir(tmp_path))
    shampoo = store.get_item("A2")
    assert shampoo is not None
    assert shampoo["brand"] == {"id": "l'oreal paris", "name": "L'Oreal Paris"}
    assert [c["id"] for c in shampoo["categories"]] == [
        "Beauty > Hair Care > Shampoos",
        "Beauty > Skin Care > Face",
    ]
    assert store.get_item("A3")["brand"] is None  # type: ignore[index]  # "Unknown" dropped
    assert store.recent_interactions("R1")[0].item_id == "A2"
    parents = pa.Table.from_batches(list(store.stream("category_parents")))
    assert ("Beauty > Makeup > Nails", "Beauty > Makeup") in set(
        zip(*parents.to_pydict().values(), strict=True)
    )
    assert store.counts().nodes == {"User": 2, "Item": 4, "Category": 10, "Brand": 2}


def test_movielens_ratings_genres_and_latin1(store: GraphStore, tmp_path: Path) -> None:
    load(store, "movielens", movielens_dir(tmp_path))
    cafe = store.get_item("2")
    assert cafe is not None and cafe["title"] == "Café Noir (1996)"
    assert cafe["created_at"] == 826848000  # 1996-03-15
    assert [c["name"] for c in cafe["categories"]] == ["Action", "Comedy"]
    ratings = store.recent_interactions("10")
    assert [(r.item_id, r.kind, r.rating, r.weight) for r in ratings] == [
        ("2", "rating", 3.0, 3.0),
        ("1", "rating", 5.0, 5.0),
    ]


def test_csv_reads_kinds_weights_times_and_paths(store: GraphStore, tmp_path: Path) -> None:
    load(store, "csv", csv_dir(tmp_path))
    events = store.recent_interactions("u1")
    assert [(e.kind, e.ts, e.weight) for e in events] == [
        ("purchase", 1714557600, 5.0),
        ("view", 1714557600, 1.0),
    ]
    cream = store.get_item("cream")
    assert cream is not None and cream["in_stock"] is False and cream["price"] == 31.5
    assert {c["id"] for c in cream["categories"]} == {"Skin Care > Face > Moisturizers", "Gifts"}
    assert store.get_item("serum")["title"] == "Serum, hydrating"  # type: ignore[index]
    assert store.recent_interactions("u2")[0].weight == 2.5


def test_parquet_is_read_like_csv(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "user_id": ["a", "b"],
                "item_id": ["x", "x"],
                "kind": ["purchase", "view"],
                "ts": [1, 2],
            }
        ),
        folder / "interactions.parquet",
    )
    load(store, "csv", folder)
    assert store.counts().nodes == {"User": 2, "Item": 1, "Category": 0, "Brand": 0}


@pytest.mark.parametrize(
    "fmt,maker",
    [
        ("lightgcn", lightgcn_dir),
        ("amazon", amazon_dir),
        ("movielens", movielens_dir),
        ("csv", csv_dir),
    ],
)
def test_loading_twice_changes_nothing(store: GraphStore, tmp_path: Path, fmt: str, maker) -> None:  # type: ignore[no-untyped-def]
    folder = maker(tmp_path)
    first = load(store, fmt, folder)
    before = store.counts()
    second = load(store, fmt, folder)
    assert first.written.changed and not second.written.changed
    assert store.counts() == before


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown format 'xml'; expected one of lightgcn"):
        read_source("xml", tmp_path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = amazon_dir(tmp_path)
    (folder / "derived" / "users.tsv").unlink()
    with pytest.raises(InvalidInput, match=r"amazon users.tsv not found: .*users.tsv"):
        read_source("amazon", folder)
    with pytest.raises(InvalidInput, match="path not found"):
        read_source("csv", tmp_path / "nowhere")


def test_empty_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    write(folder / "interactions.csv", "")
    with pytest.raises(InvalidInput, match=r"csv interactions file is empty: .*interactions.csv"):
        read_source("csv", folder)


def test_missing_column_is_named(tmp_path: Path) -> None:
    folder = csv_dir(tmp_path, interactions="user_id,item_id,ts\nu1,serum,5\n")
    with pytest.raises(InvalidInput, match=r"lacks column\(s\) \['kind'\]"):
        read_source("csv", folder)


def test_wrong_encoding_names_file_and_line(store: GraphStore, tmp_path: Path) -> None:
    folder = csv_dir(
        tmp_path, interactions="user_id,item_id,kind,ts\nu1,serum,view,1\nu\xe9,serum,view,2\n"
    )
    (folder / "interactions.csv").write_bytes(
        (folder / "interactions.csv").read_text().encode("latin-1")
    )
    with pytest.raises(InvalidData) as caught:
        load(store, "csv", folder)
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("interactions.csv", 3)
    assert "not valid utf-8: byte 0xe9 at column 2" in problem.message


def test_bad_rows_are_all_reported_with_line_and_field(store: GraphStore, tmp_path: Path) -> None:
    folder = csv_dir(
        tmp_path,
        interactions=(
            "user_id,item_id,kind,ts,weight\n"
            "u1,serum,purchase,100,\n"
            "u1,serum,Buy Now,101,\n"
            "u2,serum,view,yesterday,\n"
            "u3,cream,view,102,-1\n"
            "u4,cream,view\n"
        ),
    )
    with pytest.raises(InvalidData) as caught:
        load(store, "csv", folder)
    located = [(p.line, p.field) for p in caught.value.problems]
    assert located == [(3, "kind"), (4, "ts"), (5, "weight"), (6, None)]
    assert "'yesterday': expected Unix seconds or an ISO-8601" in str(caught.value)
    assert "interactions.csv, line 4, field 'ts'" in str(caught.value)
    assert store.counts().nodes["User"] == 0  # a failed load changes nothing


def test_skip_invalid_loads_good_rows_and_reports_bad(store: GraphStore, tmp_path: Path) -> None:
    folder = csv_dir(
        tmp_path,
        interactions=(
            "user_id,item_id,kind,ts\nu1,serum,purchase,100\nu1,serum,Buy Now,101\n"
            "u2,ghost,view,5\n"
        ),
    )
    report = load(store, "csv", folder, skip_invalid=True)
    assert [(p.line, p.field) for p in report.skipped] == [(3, "kind"), (4, "item_id")]
    assert report.rows["interactions"] == 1
    assert store.counts().relationships["INTERACTED"] == 1
    assert store.get_user("u2") is None


def test_duplicate_item_ids_name_both_lines(store: GraphStore, tmp_path: Path) -> None:
    folder = csv_dir(tmp_path, items="item_id,title\nserum,A\ncream,B\nserum,C\n")
    with pytest.raises(
        InvalidData,
        match=r"items.csv, line 4, field 'id': duplicate item id "
        r"'serum' \(first at line 2\)",
    ):
        load(store, "csv", folder)


def test_duplicate_interactions_are_reported(tmp_path: Path) -> None:
    folder = lightgcn_dir(tmp_path)
    write(folder / "train.txt", "0 0 1\n0 1\n")
    parsed = read_source("lightgcn", folder)
    [problem] = parsed.problems.found
    assert problem.line == 2 and "duplicate interaction" in problem.message
    assert "first seen at line 1" in problem.message


def test_dangling_references_are_refused(store: GraphStore, tmp_path: Path) -> None:
    folder = amazon_dir(tmp_path)
    with (folder / "derived" / "interactions.tsv").open("a") as f:
        f.write("1\t9\t300\n3\t1\t300\n")
    with pytest.raises(InvalidData) as caught:
        load(store, "amazon", folder)
    messages = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert messages == [
        (6, "item_id", "unknown item '9' (not in items.tsv)"),
        (7, "user_id", "unknown user '3' (not in users.tsv)"),
    ]
    csv_folder = csv_dir(tmp_path, interactions="user_id,item_id,kind,ts\nu1,ghost,view,1\n")
    with pytest.raises(InvalidData, match="unknown item 'ghost' \\(not in the items file nor"):
        load(store, "csv", csv_folder)
    assert store.counts().nodes["Item"] == 0


def test_interactions_may_name_items_already_in_the_store(
    store: GraphStore, tmp_path: Path
) -> None:
    load(store, "csv", csv_dir(tmp_path))
    later = tmp_path / "later"
    write(later / "interactions.csv", "user_id,item_id,kind,ts\nu9,cream,purchase,7\n")
    write(later / "items.csv", "item_id,title\nmask,Clay Mask\n")
    load(store, "csv", later)
    assert store.recent_interactions("u9")[0].item_id == "cream"
    assert store.get_item("cream")["title"] == "Night Cream"  # type: ignore[index]


def test_malformed_lightgcn_line(tmp_path: Path) -> None:
    folder = lightgcn_dir(tmp_path)
    write(folder / "test.txt", "0 3\n1 x2\n")
    [problem] = read_source("lightgcn", folder).problems.found
    assert (Path(problem.file).name, problem.line, problem.field) == ("test.txt", 2, "field 2")


@pytest.mark.parametrize(
    ("interactions", "line", "message"),
    [
        # cut mid-line: the last line's ts would read as 16000
        (b"user_id,item_id,kind,ts\nu1,serum,view,1600000000\nu2,serum,purchase,16000", 3,
         "ends without a line break: the file may have been cut here"),
        (b"user_id,item_id,kind,ts\nu1,serum,view,99999999999999999999999\n", 2,
         "Unix seconds out of range"),
        (b"user_id,item_id,kind,ts\nu1,serum,view," + b"x" * 3_000_000 + b"\nu2,serum,view,1\n", 2,
         "is longer than 1,048,576 bytes"),
        (b'user_id,item_id,kind,ts\nu1,"' + b"y" * 200_000 + b'",view,1\n', 2,
         "cannot be read: field larger than field limit"),
    ],
)  # fmt: skip
def test_damaged_files_are_refused_by_line_and_load_nothing(
    store: GraphStore, tmp_path: Path, interactions: bytes, line: int, message: str
) -> None:
    folder = csv_dir(tmp_path)
    (folder / "interactions.csv").write_bytes(interactions)
    with pytest.raises(InvalidData) as caught:
        load(store, "csv", folder)
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("interactions.csv", line)
    assert message in problem.message
    assert store.counts().nodes["Item"] == 0  # nothing was loaded
