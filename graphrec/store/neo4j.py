"""Neo4j 5 through the official driver: constraints, batched UNWIND writes, routed reads.

A write of a :class:`GraphBatch` runs in one managed write transaction (the driver retries it on
transient errors), so a failed load leaves nothing behind. Reads go through
``execute_query(..., routing_=READ)``. Driver errors come back as :class:`StoreError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import neo4j
import pyarrow as pa
from neo4j import exceptions as neo4j_errors

from graphrec.errors import GraphRecError, InvalidInput, StoreError, StoreUnavailable
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
    embedding_rows,
    require_unique,
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

BACKEND = "neo4j"
T = TypeVar("T")
# The driver logs each retry and server notice; graphrec reports the error it ends in. An
# application that configures logging still gets these records.
logging.getLogger("neo4j").addHandler(logging.NullHandler())


class Neo4jStore(CypherReads):
    """A :class:`~graphrec.store.base.GraphStore` on a Neo4j 5 server."""

    #: Any number of processes write and read it at once.
    shared = True

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        database: str | None = None,
        batch_size: int = 10_000,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self._database = database
        self._batch_size = batch_size
        self._driver = neo4j.GraphDatabase.driver(
            url,
            auth=(user, password),
            # A label or type the graph does not hold yet (an empty store, no SIMILAR_TO before
            # the first training) is normal here, not worth a warning per query.
            notifications_disabled_classifications=[
                neo4j.NotificationDisabledClassification.UNRECOGNIZED
            ],
            connection_timeout=timeout,
            connection_acquisition_timeout=timeout,
            max_transaction_retry_time=timeout,
        )
        self._schema_ready = False

    # -- plumbing -------------------------------------------------------------------------
    def _guard(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as e:
            raise self._error(e) from e

    def _error(self, e: Exception) -> GraphRecError:
        """The driver's error as graphrec's: unreachable, bad input, or a failed query."""
        if isinstance(e, neo4j_errors.ServiceUnavailable):
            return StoreUnavailable(f"Neo4j at {self.url} is unreachable: {e}")
        if isinstance(e, neo4j_errors.AuthError):
            return StoreUnavailable(f"Neo4j at {self.url} refused the credentials: {e}")
        if isinstance(e, neo4j_errors.Neo4jError):
            if (e.code or "").startswith("Neo.ClientError.Statement.Parameter"):
                return InvalidInput(f"query parameters: {e.message}")
            if (e.code or "").endswith("MemoryPoolOutOfMemoryError"):
                return StoreError(
                    f"Neo4j at {self.url} has too little heap for this write, which is one "
                    "transaction (nothing of it was kept): give Neo4j a larger heap "
                    "(NEO4J_HEAP with tools/neo4j/neo4j.sh, else server.memory.heap.max_size). "
                    f"Neo4j said: {e.message}"
                )
            return StoreError(f"Neo4j query failed ({e.code}): {e.message}")
        return StoreError(f"Neo4j driver error: {e}")

    def _ensure_schema(self) -> None:
        """Constraints and indexes, created on first use (no network in the constructor)."""
        if self._schema_ready:
            return
        for statement in statements(BACKEND, "schema"):
            self._run_schema(statement)
        self._schema_ready = True

    def _run_schema(self, statement: str) -> None:
        self._guard(lambda: self._driver.execute_query(statement, database_=self._database))

    def _rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return self._rows_of(query(BACKEND, name), params)

    def explore(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return self._rows_of(saved_query(name, neo4j=True), params)

    def _rows_of(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self._ensure_schema()
        records, _, _ = self._guard(
            lambda: self._driver.execute_query(
                statement,
                params,
                database_=self._database,
                routing_=neo4j.RoutingControl.READ,
            )
        )
        return [record.data() for record in records]

    def _write_tx(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        self._ensure_schema()

        def run() -> T:
            with self._driver.session(database=self._database) as session:
                return session.execute_write(work)

        return self._guard(run)

    def _unwind(
        self,
        tx: neo4j.ManagedTransaction,
        name: str,
        rows: pa.Table,
        check: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Run a file's statements, ``$rows`` in batches; the others with ``params``.

        With ``check``, each batch's ``matched`` count must equal its size: MATCH silently drops
        a row whose endpoint is missing, and raising here rolls the whole transaction back.
        """
        for statement in statements(BACKEND, name):
            if "$rows" not in statement:
                tx.run(statement, params or {}).consume()
                continue
            for chunk in rows.to_batches(max_chunksize=self._batch_size):
                record = tx.run(statement, rows=chunk.to_pylist()).single()
                if check and (record is None or record["matched"] != chunk.num_rows):
                    missing = chunk.num_rows - (record["matched"] if record else 0)
                    raise InvalidInput(
                        f"{check}: {missing} row(s) name a node that does not exist "
                        "(dangling reference); nothing was written"
                    )

    @staticmethod
    def _append_change(tx: neo4j.ManagedTransaction, kind: str, body: dict[str, Any]) -> int:
        """Record a change in the feed, inside the caller's transaction; its number."""
        record = tx.run(query(BACKEND, "append_change"), entry(kind, body)).single()
        seq = int(record["seq"]) if record else 0
        if seq % PRUNE_EVERY == 0:
            tx.run(query(BACKEND, "prune_changes"), through=seq - KEEP).consume()
        return seq

    # -- writes ---------------------------------------------------------------------------
    def write(self, batch: GraphBatch) -> WriteSummary:
        check_batch(batch)
        before = self.counts()

        def work(tx: neo4j.ManagedTransaction) -> int:
            for name in NODE_TABLES:
                self._unwind(tx, NODE_QUERY[name], getattr(batch, name))
            for name, query_name in REL_QUERY.items():
                rows: pa.Table = getattr(batch, name)
                self._unwind(tx, query_name, rows, check=name)
            if not any(batch.sizes().values()):
                return 0
            return self._append_change(tx, *of_batch(batch))

        change = self._write_tx(work)
        after = self.counts()
        created = {
            "users": after.nodes["User"] - before.nodes["User"],
            "items": after.nodes["Item"] - before.nodes["Item"],
            "categories": after.nodes["Category"] - before.nodes["Category"],
            "brands": after.nodes["Brand"] - before.nodes["Brand"],
        }
        for name, rel in REL_TYPE_OF.items():
            created[name] = after.relationships[rel] - before.relationships[rel]
        return WriteSummary(created=created, updated={}, change=change)

    def _replace_item_edges(
        self, name: str, edges: pa.Table, of_items: list[str] | None = None
    ) -> int:
        edges = edges.select(SCHEMAS[name].names).cast(SCHEMAS[name])
        require_unique(edges, REL_TABLES[name][0], name)
        file = f"replace_{name}" if of_items is None else f"replace_{name}_of"
        params = {"item_ids": list(of_items)} if of_items is not None else {}

        def work(tx: neo4j.ManagedTransaction) -> int:
            self._unwind(tx, file, edges, check=name, params=params)
            self._append_change(tx, RELOAD, {"reason": f"{name} replaced"})
            return edges.num_rows

        return self._write_tx(work)

    def write_item_embeddings(self, rows: pa.Table) -> int:
        rows, dimensions = embedding_rows(rows)
        if rows.num_rows == 0:
            return 0
        self._prepare_vector_index(dimensions)

        def work(tx: neo4j.ManagedTransaction) -> int:
            self._unwind(tx, "write_item_embeddings", rows, check="item_embeddings")
            self._append_change(tx, RELOAD, {"reason": "item embeddings written"})
            return rows.num_rows

        written = self._write_tx(work)
        self._schema("await_vector_index", seconds=600)
        return written

    def _prepare_vector_index(self, dimensions: int) -> None:
        """The vector index for embeddings of this size: one of another size (an earlier model)
        is dropped, or Neo4j would leave every new vector out of it."""
        existing = self._rows("vector_index_dimensions")
        if existing and existing[0]["dimensions"] != dimensions:
            self._schema("drop_vector_index")
        self._schema("prepare_embeddings", dimensions=dimensions)

    def _schema(self, name: str, **params: Any) -> None:
        """A schema statement, in a transaction of its own as Neo4j wants."""
        statement = query(BACKEND, name)
        self._guard(lambda: self._driver.execute_query(statement, params, database_=self._database))

    def delete_user(self, user_id: str) -> bool:
        def work(tx: neo4j.ManagedTransaction) -> bool:
            if tx.run(query(BACKEND, "get_user"), user_id=user_id).single() is None:
                return False
            tx.run(query(BACKEND, "delete_user"), user_id=user_id).consume()
            naming = tx.run(query(BACKEND, "changes_naming"), needle=needle(user_id)).data()
            for change in naming:  # their events leave the feed too
                body = without_user(change["body"], user_id)
                tx.run(query(BACKEND, "set_change_body"), seq=change["seq"], body=body).consume()
            self._append_change(tx, FORGET, {"user_id": user_id})
            return True

        return self._write_tx(work)

    def put_rule(self, rule: Rule) -> None:
        params = rule_params(rule)

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(query(BACKEND, "put_rule"), params).consume()
            self._append_change(tx, RULES, {})

        self._write_tx(work)

    def delete_rule(self, rule_id: str) -> bool:
        def work(tx: neo4j.ManagedTransaction) -> bool:
            record = tx.run(query(BACKEND, "delete_rule"), id=rule_id).single()
            deleted = bool(record and record["deleted"])
            if deleted:
                self._append_change(tx, RULES, {})
            return deleted

        return self._write_tx(work)

    def put_setting(self, key: str, value: str) -> int:
        def work(tx: neo4j.ManagedTransaction) -> int:
            tx.run(query(BACKEND, "put_setting"), key=key, value=value).consume()
            return self._append_change(tx, SETTING, {"key": key, "value": value})

        return self._write_tx(work)

    def clear(self) -> None:
        self._ensure_schema()

        def run() -> None:  # CALL ... IN TRANSACTIONS needs an auto-commit transaction
            with self._driver.session(database=self._database) as session:
                session.run(query(BACKEND, "clear")).consume()

        self._guard(run)
        self._write_tx(lambda tx: self._append_change(tx, RELOAD, {"reason": "store cleared"}))

    # -- reads ----------------------------------------------------------------------------
    def stream(self, table: str, batch_size: int = 250_000) -> Iterator[pa.RecordBatch]:
        """A table's rows as Arrow batches. An export query returns a record per row, or (a
        single column ``rows``) a record per node holding that node's rows as lists."""
        if table not in SCHEMAS:
            raise InvalidInput(f"unknown table {table!r}; expected one of {sorted(SCHEMAS)}")
        self._ensure_schema()
        schema = SCHEMAS[table]
        with self._driver.session(
            database=self._database, default_access_mode=neo4j.READ_ACCESS, fetch_size=10_000
        ) as session:
            result = self._guard(lambda: session.run(query(BACKEND, f"export_{table}")))
            grouped = result.keys() == ["rows"]
            buffer: list[Sequence[Any]] = []
            try:
                for record in result:
                    if grouped:
                        buffer.extend(record[0])
                    else:
                        buffer.append(record)  # a Record is a tuple of the row's values
                    if len(buffer) >= batch_size:
                        yield _record_batch(buffer, schema)
                        buffer = []
            except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as e:
                raise self._error(e) from e  # Neo4j went away part-way, say
            if buffer:
                yield _record_batch(buffer, schema)

    def counts(self) -> Counts:
        nodes = dict.fromkeys(NODE_LABELS, 0)
        rels = dict.fromkeys(REL_TYPES, 0)
        for row in self._rows("counts"):
            (nodes if row["name"] in nodes else rels)[row["name"]] = int(row["n"])
        return Counts(nodes=nodes, relationships=rels)

    def close(self) -> None:
        self._driver.close()


def _record_batch(rows: list[Sequence[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows of values in the schema's column order, as one Arrow batch."""
    columns = zip(*rows, strict=True)
    return pa.RecordBatch.from_arrays(
        [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)],
        schema=schema,
    )
