"""The embedded default: LadybugDB (the maintained fork of Kùzu), on disk, no server.

Bulk writes go through COPY from Arrow inside one transaction: the Python side anti-joins each
table against what the store holds, so a reload adds nothing, and a failure rolls everything back.
A small write (a recorded event) anti-joins against only the nodes and relationships it names,
read by primary key, and creates its new users and interactions with one statement over a list
parameter each: a COPY's commit alone took 64 ms.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graphrec.errors import InvalidInput, StoreError, StoreInUse, StoreUnavailable
from graphrec.rules import Rule
from graphrec.store._cypher_store import (
    NODE_QUERY,
    REL_QUERY,
    CypherReads,
    check_batch,
    rule_params,
)
from graphrec.store._tables import (
    NODE_TABLES,
    REL_TABLES,
    REL_TYPE_OF,
    anti_join,
    embedding_rows,
    require_endpoints,
    require_unique,
    split_new_and_changed,
)
from graphrec.store.base import (
    NODE_LABELS,
    REL_TYPES,
    SCHEMAS,
    Counts,
    GraphBatch,
    WriteSummary,
)
from graphrec.store.cypher import query, saved_query, statements
from graphrec.store.feed import (
    FORGET,
    KEEP,
    PRUNE_EVERY,
    RELOAD,
    RULES,
    SETTING,
    entry,
    needle,
    of_batch,
    without_user,
)
from graphrec.store.ladybug_files import EmbeddedFiles

BACKEND = "ladybug"
#: LadybugDB's words when a ROLLBACK finds the transaction already gone.
NO_TRANSACTION = "No active transaction"


#: Rows in a write up to which it reads only what it names from the store.
SMALL_WRITE = 10_000
#: New users or interactions up to which a write creates them with one statement over a list
#: parameter rather than by COPY: a COPY's commit took 64 ms; 128 events took 8.5 ms as a list
#: (70 ms as a statement each). Recorded events come in groups of one to a few hundred.
LIST_ROWS = 1000
ROW_QUERY = {"users": "create_users", "interactions": "create_interactions"}


def _named_ids(batch: GraphBatch, table: str) -> pa.Array:
    """The ids of ``table``'s nodes that ``batch`` names: its rows and its relationships'
    endpoints there."""
    columns = [getattr(batch, table).column("id").combine_chunks()]
    for name in REL_QUERY:
        _, source_col, source_table, target_col, target_table = REL_TABLES[name]
        rows = getattr(batch, name)
        for col, node_table in ((source_col, source_table), (target_col, target_table)):
            if node_table == table and rows.num_rows:
                columns.append(rows.column(col).combine_chunks())
    return pc.unique(pa.concat_arrays([c.cast(pa.string()) for c in columns]))


def _as_copy_source(name: str, rows: pa.Table) -> pa.Table:
    """COPY into a relationship table reads (from, to, properties...) by position."""
    _, source_col, _, target_col, _ = REL_TABLES[name]
    props = [c for c in rows.schema.names if c not in (source_col, target_col)]
    return rows.select([source_col, target_col, *props]).rename_columns(["from", "to", *props])


class LadybugStore(CypherReads):
    """A :class:`~graphrec.store.base.GraphStore` on an embedded LadybugDB directory."""

    #: One process writes; read-only ones see it as it was when they opened it.
    shared = False

    def __init__(
        self,
        path: str | Path,
        buffer_pool_mb: int = 1024,
        threads: int = 0,
        read_only: bool = False,
        min_free_mb: int = 64,
        checkpoint_kb: int = 1024,
    ) -> None:
        """``min_free_mb``: writes are refused while less disk space is free (see
        :mod:`.ladybug_files`); ``checkpoint_kb``: the write-ahead log's size that starts a
        checkpoint (LadybugDB holds memory for each transaction committed since the last)."""
        self.path = Path(path)
        self.url = str(self.path)
        #: one connection, used from several threads (answers, background writes): one at a
        #: time, a transaction and the reading of a result whole
        self._lock = threading.RLock()
        self._files = EmbeddedFiles(
            self.path, buffer_pool_mb, threads, read_only, min_free_mb, checkpoint_kb
        )
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._files.open()
        except RuntimeError as e:
            if "lock" in str(e).lower():
                raise StoreInUse(
                    f"the embedded store at {self.path} is in use by another process, and only "
                    "one may write to it: stop that process first, or use Neo4j for several "
                    "writers. While graphrec serve holds it, derive, train and models activate "
                    "| rollback go through the server, and stats, export and explore read "
                    f"beside it. ({e})",
                    self.path,
                ) from e
            raise StoreUnavailable(f"cannot open the embedded store at {self.path}: {e}") from e
        if not read_only:
            for statement in statements(BACKEND, "schema"):
                self._execute(statement)

    # -- plumbing -------------------------------------------------------------------------
    def _execute(self, statement: str, params: dict[str, Any] | None = None) -> Any:
        """Run a statement (callers that read its result hold ``_lock`` until they have)."""
        with self._lock:
            return self._files.execute(statement, params or {})

    def _rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return self._rows_of(query(BACKEND, name), params)

    def explore(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return self._rows_of(saved_query(name, neo4j=False), params)

    def _rows_of(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            result = self._execute(statement, params)
            columns = result.get_column_names()
            rows = result.get_all()
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _table(self, name: str, ids: pa.Array | None = None) -> pa.Table:
        """A table of the store: whole, or only the nodes (relationships from the nodes) with
        these ids."""
        if ids is not None and len(ids) == 0:
            return SCHEMAS[name].empty_table()
        with self._lock:
            if ids is None:
                result = self._execute(query(BACKEND, f"export_{name}"))
            else:
                params = {"ids": ids.to_pylist()}
                result = self._execute(query(BACKEND, f"export_{name}_of"), params)
            table = result.get_as_arrow()
        schema = SCHEMAS[name]
        if table.num_rows == 0:
            return schema.empty_table()
        return table.rename_columns(schema.names).cast(schema)

    def _run_file(self, name: str, **tables: pa.Table) -> None:
        """Run every statement of a file whose table parameter has rows."""
        for statement in statements(BACKEND, name):
            used = {k: v for k, v in tables.items() if f"${k}" in statement}
            if any(v.num_rows == 0 for v in used.values()):
                continue
            self._execute(statement, used)

    def _rows_as_list(self, name: str, rows: pa.Table) -> None:
        self._execute(query(BACKEND, ROW_QUERY[name]), {"rows": rows.to_pylist()})

    def _in_transaction(self, work: Any) -> Any:
        problem = self._files.space_problem()
        if problem is not None:
            raise StoreUnavailable(problem)
        with self._lock:  # no other thread's statement runs inside the transaction
            self._execute("BEGIN TRANSACTION")
            try:
                outcome = work()
            except BaseException:
                self._rollback()
                raise
            self._execute("COMMIT")
            return outcome

    def _rollback(self) -> None:
        """Undo the open transaction, unless the statement that failed already ended it
        (LadybugDB rolls back by itself after some errors): the caller raises that error."""
        try:
            self._execute("ROLLBACK")
        except StoreError as e:
            if NO_TRANSACTION not in str(e):
                raise

    def _append_change(self, kind: str, body: dict[str, Any]) -> int:
        """Record a change in the feed, inside the caller's transaction; its number."""
        seq = int(self._execute(query(BACKEND, "append_change"), entry(kind, body)).get_all()[0][0])
        if seq % PRUNE_EVERY == 0:
            self._execute(query(BACKEND, "prune_changes"), {"through": seq - KEEP})
        return seq

    # -- writes ---------------------------------------------------------------------------
    def write(self, batch: GraphBatch) -> WriteSummary:
        check_batch(batch)

        def work() -> WriteSummary:
            summary = self._write(batch)
            if not any(batch.sizes().values()):
                return summary
            change = self._append_change(*of_batch(batch))
            return WriteSummary(summary.created, summary.updated, change)

        return self._in_transaction(work)

    def _write(self, batch: GraphBatch) -> WriteSummary:
        created: dict[str, int] = {}
        updated: dict[str, int] = {}
        known: dict[str, pa.Array] = {}
        # a small batch (a recorded event) reads only the nodes and relationships it names;
        # reading the whole store took 290 ms an event on Amazon Beauty, more as it grows
        small = sum(getattr(batch, t).num_rows for t in (*NODE_TABLES, *REL_QUERY)) <= SMALL_WRITE
        for name in NODE_TABLES:
            rows: pa.Table = getattr(batch, name)
            existing = self._table(name, _named_ids(batch, name) if small else None)
            new, changed = split_new_and_changed(rows, existing)
            if name in ROW_QUERY and 0 < new.num_rows <= LIST_ROWS and changed.num_rows == 0:
                self._rows_as_list(name, new)
            else:
                self._run_file(NODE_QUERY[name], new=new, changed=changed)
            created[name], updated[name] = new.num_rows, changed.num_rows
            known[name] = pa.concat_arrays(
                [existing.column("id").combine_chunks(), new.column("id").combine_chunks()]
            )
        # each type is only written by its own table
        present = None if small else self.counts().relationships
        for name, query_name in REL_QUERY.items():
            rows = getattr(batch, name)
            if rows.num_rows == 0:
                created[name] = 0
                continue
            require_endpoints(name, rows, known)
            keys, source = REL_TABLES[name][0], REL_TABLES[name][1]
            if present is None:  # the relationships from the batch's sources: all it could repeat
                existing = self._table(name, pc.unique(rows.column(source).combine_chunks()))
            elif present[REL_TYPE_OF[name]] > 0:
                existing = self._table(name)
            else:
                existing = rows.slice(0, 0)
            new = anti_join(rows, existing, keys)
            if name in ROW_QUERY and 0 < new.num_rows <= LIST_ROWS:
                self._rows_as_list(name, new)
            else:
                self._run_file(query_name, new=_as_copy_source(name, new))
            created[name] = new.num_rows
        return WriteSummary(created=created, updated=updated)

    def _replace_item_edges(
        self, name: str, edges: pa.Table, of_items: list[str] | None = None
    ) -> int:
        edges = edges.select(SCHEMAS[name].names).cast(SCHEMAS[name])
        require_unique(edges, REL_TABLES[name][0], name)
        require_endpoints(name, edges, {"items": self._table("items").column("id")})
        file = f"replace_{name}" if of_items is None else f"replace_{name}_of"

        def work() -> int:
            for statement in statements(BACKEND, file):
                if "$new" not in statement:
                    params = {"item_ids": list(of_items)} if of_items is not None else {}
                    self._execute(statement, params)
                elif edges.num_rows:
                    self._execute(statement, {"new": _as_copy_source(name, edges)})
            self._append_change(RELOAD, {"reason": f"{name} replaced"})
            return edges.num_rows

        return self._in_transaction(work)

    def write_item_embeddings(self, rows: pa.Table) -> int:
        rows, _ = embedding_rows(rows)
        self._execute(query(BACKEND, "prepare_embeddings"))
        if rows.num_rows == 0:
            return 0

        def work() -> int:
            result = self._execute(query(BACKEND, "write_item_embeddings"), {"rows": rows})
            matched = int(result.get_all()[0][0])
            if matched != rows.num_rows:
                raise InvalidInput(
                    f"item_embeddings: {rows.num_rows - matched} item id(s) not "
                    "found among items (dangling reference); nothing was written"
                )
            self._append_change(RELOAD, {"reason": "item embeddings written"})
            return matched

        return self._in_transaction(work)

    def delete_user(self, user_id: str) -> bool:
        def work() -> bool:
            if not self._rows("get_user", user_id=user_id):
                return False
            self._execute(query(BACKEND, "delete_user"), {"user_id": user_id})
            for change in self._rows("changes_naming", needle=needle(user_id)):
                body = without_user(change["body"], user_id)  # their events leave the feed too
                self._execute(
                    query(BACKEND, "set_change_body"), {"seq": change["seq"], "body": body}
                )
            self._append_change(FORGET, {"user_id": user_id})
            return True

        deleted = bool(self._in_transaction(work))
        if deleted:  # the write-ahead log held their rows: into the store file, then emptied
            self._execute("CHECKPOINT")
        return deleted

    def put_rule(self, rule: Rule) -> None:
        params = rule_params(rule)

        def work() -> None:
            self._execute(query(BACKEND, "put_rule"), params)
            self._append_change(RULES, {})

        self._in_transaction(work)

    def delete_rule(self, rule_id: str) -> bool:
        def work() -> bool:
            found = self._execute(query(BACKEND, "delete_rule"), {"id": rule_id}).get_all()
            deleted = bool(found and found[0][0])
            if deleted:
                self._append_change(RULES, {})
            return deleted

        return bool(self._in_transaction(work))

    def put_setting(self, key: str, value: str) -> int:
        def work() -> int:
            self._execute(query(BACKEND, "put_setting"), {"key": key, "value": value})
            return self._append_change(SETTING, {"key": key, "value": value})

        return int(self._in_transaction(work))

    def clear(self) -> None:
        def work() -> None:
            self._execute(query(BACKEND, "clear"))
            self._append_change(RELOAD, {"reason": "store cleared"})

        self._in_transaction(work)

    # -- reads ----------------------------------------------------------------------------
    def stream(self, table: str, batch_size: int = 250_000) -> Iterator[pa.RecordBatch]:
        if table not in SCHEMAS:
            raise InvalidInput(f"unknown table {table!r}; expected one of {sorted(SCHEMAS)}")
        yield from self._table(table).to_batches(max_chunksize=batch_size)

    def counts(self) -> Counts:
        nodes = dict.fromkeys(NODE_LABELS, 0)
        rels = dict.fromkeys(REL_TYPES, 0)
        node_stmt, rel_stmt = statements(BACKEND, "counts")
        for target, statement in ((nodes, node_stmt), (rels, rel_stmt)):
            with self._lock:
                found = self._execute(statement).get_all()
            for name, n in found:
                if name in target:  # Rule nodes are settings, not the shop's graph
                    target[name] = int(n)
        return Counts(nodes=nodes, relationships=rels)

    def problem(self) -> str | None:
        return super().problem() or self._files.space_problem()

    def close(self) -> None:
        with self._lock:  # after the statement another thread runs (a background rebuild)
            self._files.close()
