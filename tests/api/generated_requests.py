"""Generated requests, valid and not, for the API's robustness test and benchmark
(``benchmarks/reliability/fuzz.py``).

Families: documents generated from the published schema (hypothesis-graphql, valid and
invalid), the persisted operations with generated variables (by text and by hash), and bodies
and headers that are not a GraphQL request at all (random JSON and bytes, a body over the size
limit, deep nesting, other content types, keys with other characters than ASCII). Requests
never carry the admin key on a mutation: every mutation sent is one that must be refused (no
key, a wrong one) or recording with the read key (events for items the shop does not have), so
a run changes nothing in the graph.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

#: What an answer must never hold.
FAULT_MARKS = ("Traceback", 'File "', "Unexpected error")


@dataclass(frozen=True)
class Sent:
    family: str
    body: bytes
    headers: dict[str, bytes] = field(default_factory=dict)
    method: str = "POST"
    path: str = "/graphql"


def problems(status: int, body: bytes) -> list[str]:
    """What is wrong with an answer: a server error, or a fault's traces in it."""
    found = [f"HTTP {status}"] if status >= 500 else []
    text = body.decode("utf-8", "replace")
    return found + [f"answer holds {mark!r}" for mark in FAULT_MARKS if mark in text]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/graphql",
        "multipart/form-data; boundary=x",
        "",
    ]
)


@functools.cache
def _documents(sdl: str) -> dict[str, st.SearchStrategy[str]]:
    return {
        "query": queries(sdl),
        "query-invalid": queries(sdl, mode=Mode.NEGATIVE),
        "mutation": mutations(sdl),
        "mutation-invalid": mutations(sdl, mode=Mode.NEGATIVE),
    }


def _json_request(
    family: str, request: Any, key: str | None, content_type: str = "application/json"
) -> Sent:
    headers = {"content-type": content_type.encode()} if content_type else {}
    if key is not None:
        headers["x-api-key"] = key.encode()
    return Sent(
        family, orjson.dumps(request) if not isinstance(request, bytes) else request, headers
    )


def requests(
    sdl: str, operations: dict[str, str], admin_key: str, read_key: str
) -> st.SearchStrategy[Sent]:
    """Every family, mixed. ``operations``: the persisted operations' texts by name."""
    documents = _documents(sdl)
    # mostly a key that opens the door, so that most requests reach GraphQL
    any_key = st.sampled_from([admin_key, read_key, read_key, read_key, None, "wrong", "ключ"])
    no_admin = st.sampled_from([read_key, read_key, read_key, None, "wrong-key", "ключ"])
    texts = sorted(operations.values())

    @st.composite
    def document(draw: st.DrawFn) -> Sent:
        family = draw(st.sampled_from(sorted(documents)))
        query = draw(documents[family])
        key = draw(no_admin if family.startswith("mutation") else any_key)
        return _json_request(family, {"query": query}, key)

    @st.composite
    def persisted(draw: st.DrawFn) -> Sent:
        text = draw(st.sampled_from(texts))
        variables = draw(st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5))
        key = draw(
            no_admin if text.lstrip().startswith("mutation") or "mutation " in text else any_key
        )
        if draw(st.booleans()):
            return _json_request("persisted", {"query": text, "variables": variables}, key)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if draw(st.booleans()):
            digest = draw(st.sampled_from([digest[::-1], "0" * 64, "", "x"]))
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        return _json_request(
            "persisted-hash", {"variables": variables, "extensions": extensions}, key
        )

    @st.composite
    def not_graphql(draw: st.DrawFn) -> Sent:
        kind = draw(
            st.sampled_from(["json", "bytes", "text-query", "big", "deep", "get", "surrogate"])
        )
        key = draw(no_admin)
        if kind == "json":
            return _json_request("not-graphql", draw(JSON_VALUES), key, draw(CONTENT_TYPES))
        if kind == "bytes":
            return _json_request(
                "not-graphql", draw(st.binary(max_size=2000)), key, draw(CONTENT_TYPES)
            )
        if kind == "text-query":
            return _json_request("not-graphql", {"query": draw(st.text(max_size=400))}, key)
        if kind == "big":
            size = draw(st.integers(200_000, 400_000))
            return _json_request("not-graphql", {"query": "{ " + "a" * size + " }"}, key)
        if kind == "deep":
            depth = draw(st.integers(100, 100_000))
            return _json_request("not-graphql", b"[" * depth + b"]" * depth, key)
        if kind == "surrogate":
            return _json_request(
                "not-graphql", b'{"query": "{ item(id: \\"\\ud800\\") { id } }"}', key
            )
        query = quote(draw(st.text(max_size=200)), safe="")
        headers = {} if key is None else {"x-api-key": key.encode()}
        return Sent("not-graphql", b"", headers, "GET", f"/graphql?query={query}")

    return st.one_of(document(), persisted(), not_graphql())
