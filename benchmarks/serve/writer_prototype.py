"""A measurement behind the serving README's "next step": what writing the one-off reasons'
JSON with one compiled loop costs when Python still makes a row per reason.

Answers for ``--shoppers`` new shoppers are made once; then, per answer and best of
``--rounds``, three things are timed over them: the compiled plan's serialiser for the reasons
(the product's path), Python making the rows (a template number and the positions of the
pieces: the text's and the support's JSON, the JSON of each node and relationship), and rows
plus the compiled loop plus one fragment per item. The loop's output is checked to parse equal
to the serialiser's first. Prototype only: nothing here serves requests.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load import QUERY  # noqa: E402

LIT, PIECE = 0, 1
#: row columns: the item's slot, the template (0: one ready piece), then piece positions
TEXT, SUPPORT, NODES, RELS, WIDTH = 2, 3, 4, 8, 11


def _field(selection: SelectionSetNode, name: str) -> SelectionSetNode:
    for node in selection.selections:
        if isinstance(node, FieldNode) and node.name.value == name:
            assert node.selection_set is not None
            return node.selection_set
    raise SystemExit(f"the benchmark query does not select {name}")


def _write(rows, ops, starts, lits, lit_off, blob, off, slots, out, ends):  # type: ignore[no-untyped-def]
    pos = 0
    r = 0
    n = rows.shape[0]
    for j in range(slots):
        out[pos] = 91  # [
        pos += 1
        first = True
        while r < n and rows[r, 0] == j:
            if not first:
                out[pos] = 44  # ,
                pos += 1
            first = False
            template = rows[r, 1]
            if template == 0:
                p = rows[r, 2]
                a, b = off[p], off[p + 1]
                out[pos : pos + b - a] = blob[a:b]
                pos += b - a
            else:
                for q in range(starts[template - 1], starts[template]):
                    if ops[q, 0] == LIT:
                        a, b = lit_off[ops[q, 1]], lit_off[ops[q, 1] + 1]
                        out[pos : pos + b - a] = lits[a:b]
                    else:
                        p = rows[r, ops[q, 1]]
                        a, b = off[p], off[p + 1]
                        out[pos : pos + b - a] = blob[a:b]
                    pos += b - a
            r += 1
        out[pos] = 93  # ]
        pos += 1
        ends[j] = pos
    return pos


class Prototype:
    def __init__(self, schema: Any) -> None:
        from numba import njit

        from graphrec.api.fast import _Generator

        operation = parse(QUERY).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        reasons = _field(
            _field(_field(operation.selection_set, "recommendations"), "items"), "reasons"
        )
        path = _field(reasons, "path")
        types = schema.type_map
        self.reason = _Generator().serializer(types["Reason"], reasons)
        self.node = _Generator().serializer(types["PathNode"], _field(path, "nodes"))
        self.rel = _Generator().serializer(types["PathRelationship"], _field(path, "relationships"))
        self.lits: list[bytes] = []
        self.ops: list[tuple[int, int]] = []
        self.starts = [0]
        self.templates: dict[tuple[Any, int, int], int] = {}
        self.write = njit(nogil=True)(_write)
        self.tables: tuple[np.ndarray, ...] | None = None

    def template(self, kind: Any, nodes: int, rels: int) -> int:
        """A per-kind template for the query's ``Reason`` selection (kind, text, support,
        path { nodes relationships }), as literal pieces and row columns."""
        key = (kind, nodes, rels)
        if key not in self.templates:

            def lit(b: bytes) -> tuple[int, int]:
                self.lits.append(b)
                return LIT, len(self.lits) - 1

            ops = [lit(b'{"kind":' + orjson.dumps(kind._name_) + b',"text":'), (PIECE, TEXT)]
            ops += [lit(b',"support":'), (PIECE, SUPPORT), lit(b',"path":{"nodes":[')]
            for i in range(nodes):
                ops += [lit(b",")] if i else []
                ops.append((PIECE, NODES + i))
            ops.append(lit(b'],"relationships":['))
            for i in range(rels):
                ops += [lit(b",")] if i else []
                ops.append((PIECE, RELS + i))
            ops.append(lit(b"]}}"))
            self.ops += ops
            self.starts.append(len(self.ops))
            self.templates[key] = len(self.starts) - 1
        return self.templates[key]

    def rows(self, answer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        pieces: list[bytes] = []
        rows = []
        for j, recommendation in enumerate(answer.items):
            for reason in recommendation.reasons:
                if "_shared" in reason.__dict__ or not reason.path.relationships:
                    pieces.append(orjson.dumps(self.reason(reason)))
                    rows.append([j, 0, len(pieces) - 1] + [0] * (WIDTH - 3))
                    continue
                nodes, rels = reason.path.nodes, reason.path.relationships
                row = [j, self.template(reason.kind, len(nodes), len(rels))] + [0] * (WIDTH - 2)
                for column, piece in (
                    (TEXT, orjson.dumps(reason.text)),
                    (SUPPORT, orjson.dumps(float(reason.support))),
                    *((NODES + i, _memo(n, self.node)) for i, n in enumerate(nodes)),
                    *((RELS + i, _memo(r, self.rel)) for i, r in enumerate(rels)),
                ):
                    pieces.append(piece)
                    row[column] = len(pieces) - 1
                rows.append(row)
        off = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in pieces], out=off[1:])
        blob = np.frombuffer(b"".join(pieces), dtype=np.uint8)
        return np.array(rows, dtype=np.int64), blob, off, len(answer.items)

    def fragments(self, answer: Any, out: np.ndarray, ends: np.ndarray) -> list[orjson.Fragment]:
        rows, blob, off, slots = self.rows(answer)
        if self.tables is None or len(self.tables[1]) != len(self.starts):  # new templates
            lit_off = np.zeros(len(self.lits) + 1, dtype=np.int64)
            np.cumsum([len(x) for x in self.lits], out=lit_off[1:])
            self.tables = (
                np.array(self.ops, dtype=np.int64).reshape(-1, 2),
                np.array(self.starts, dtype=np.int64),
                np.frombuffer(b"".join(self.lits), dtype=np.uint8),
                lit_off,
            )
        total = self.write(rows, *self.tables, blob, off, slots, out, ends)
        data = out[:total].tobytes()
        bounds = [0, *ends[:slots].tolist()]
        return [orjson.Fragment(data[bounds[j] : bounds[j + 1]]) for j in range(slots)]


def _memo(obj: Any, serialise: Any) -> bytes:
    """The JSON of a shared node or relationship, kept on it (as the plans keep theirs)."""
    found = obj.__dict__.get("_prototype")
    if found is None:
        found = obj.__dict__["_prototype"] = orjson.dumps(serialise(obj))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--artifact", required=True, type=Path)
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import pyarrow.parquet as pq
    import torch
    from threadpoolctl import threadpool_limits

    from graphrec.api import schema as api
    from graphrec.serving.service import Service
    from graphrec.store import open_store

    threadpool_limits(1)
    torch.set_num_threads(1)
    service = Service.open(open_store(args.store), args.artifact)
    users = pq.read_table(args.artifact / "snapshot" / "users.parquet").column("id").to_pylist()
    random.Random(0).shuffle(users)
    answers = [api.recommend(service, u, 20, None, None, None) for u in users[: args.shoppers]]
    proto = Prototype(api.schema._schema)
    out, ends = np.empty(1 << 22, dtype=np.uint8), np.empty(1024, dtype=np.int64)
    for answer in answers:  # templates, memos, compiling; and the check
        mine = [orjson.loads(orjson.dumps(f)) for f in proto.fragments(answer, out, ends)]
        ref = [
            orjson.loads(orjson.dumps([proto.reason(r) for r in i.reasons])) for i in answer.items
        ]
        if mine != ref:
            sys.exit("the compiled writer's JSON differs from the serialiser's")
    steps = {
        "the plan's serialiser, reasons only": lambda a: [
            [proto.reason(r) for r in i.reasons] for i in a.items
        ],
        "Python making rows and pieces": proto.rows,
        "rows, compiled loop, fragments": lambda a: proto.fragments(a, out, ends),
    }
    for name, step in steps.items():
        best = float("inf")
        for _ in range(args.rounds):
            started = time.perf_counter()
            for answer in answers:
                step(answer)
            best = min(best, time.perf_counter() - started)
        print(f"{name:38s} {best / len(answers) * 1e6:7.1f} us per answer (best of {args.rounds})")


if __name__ == "__main__":
    main()
