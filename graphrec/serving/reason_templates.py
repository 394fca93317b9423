"""A persisted operation's reasons as templates: one per reason code, made by calling the
builders of :mod:`graphrec.serving.reasons` with placeholders, encoding the result as the
operation selects it, then cutting it at the placeholders. The compiled writer
(:mod:`graphrec.serving.json_writer`) fills them in: the same sentences, paths and field order
as the objects, by construction."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from graphrec.serving import reasons as r
from graphrec.serving.reasons import Source
from graphrec.serving.results import new_node, new_relationship

# what a placeholder stands for: the node (A the asker, S the recent item, T the item
# explained, O the other shopper, B the brand, C the category) and its field
ENTITIES = "ASTOBC"
FIELDS = "inwvk"  # id, name (JSON value), name as words (in a sentence), verb, event kind
CONST, VALUE, NUMBER, SHOPPERS = 0, 1, 2, 3
COUNT = 918273  # the placeholder count: "918273 shoppers", support 918273.0
LABELS = {"A": "User", "S": "Item", "T": "Item", "O": "User", "B": "Brand", "C": "Category"}
_PLACE = re.compile(
    rb'"\\u0001([A-Z])([a-z])\\u0002"|\\u0001([A-Z])([a-z])\\u0002|918273 shoppers|918273\.0'
)


def _mark(entity: str, field: str) -> str:
    return f"\x01{entity}{field}\x02"


def escaped(text: str) -> bytes:
    """``text`` as inside a JSON string (JSON escapes character by character)."""
    return orjson.dumps(text)[1:-1]


def _node(entity: str) -> Any:
    return new_node(LABELS[entity], _mark(entity, "i"), _mark(entity, "n"))


def prototypes(days: int) -> list[Any]:
    """One reason per code, made by the builders of :mod:`.reasons` from placeholders."""
    source = Source(
        -1,
        _node("S"),
        _mark("S", "w"),
        _mark("S", "v"),
        new_relationship("INTERACTED", 0, 1, _mark("S", "k")),
    )
    asker, target, count = _node("A"), _node("T"), float(COUNT)
    return [
        r.bought_with(asker, source, target, count),
        r.similar_shoppers(asker, source, target, COUNT),
        r.similar_item(asker, source, target, count),
        r.same_brand(asker, source, _node("B"), target),
        r.same_category(asker, source, _node("C"), target),
        r.trending_in(target, _node("C"), count, days),
        r.popular(target, count),
        r.popular(target, 0.0),
        r.exploration(target),
        r.because(asker, source),
    ]  # in the order of r.KINDS


def template(raw: bytes) -> list[tuple[int, int, int, bytes]]:
    """``raw`` (a serialised prototype) as steps: constant bytes, a JSON value or words of a
    node, the number, the shoppers."""
    steps: list[tuple[int, int, int, bytes]] = []
    at = 0
    for found in _PLACE.finditer(raw):
        if found.start() > at:
            steps.append((CONST, 0, 0, raw[at : found.start()]))
        whole = found.group(0)
        if found.group(1):
            entity, field = found.group(1).decode(), found.group(2).decode()
            if field == "l":
                steps.append((CONST, 0, 0, orjson.dumps(LABELS[entity])))
            else:
                steps.append((VALUE, ENTITIES.index(entity), FIELDS.index(field), b""))
        elif found.group(3):
            entity, field = found.group(3).decode(), found.group(4).decode()
            field = "w" if field == "n" else field  # a name inside a sentence: its words
            steps.append((VALUE, ENTITIES.index(entity), FIELDS.index(field), b""))
        elif whole.startswith(b"918273 "):
            steps.append((SHOPPERS, 0, 0, b""))
        else:
            steps.append((NUMBER, 0, 0, b""))
        at = found.end()
    if at < len(raw):
        steps.append((CONST, 0, 0, raw[at:]))
    return steps


class Templates:
    """A plan's reason templates as arrays for :func:`write_answer`."""

    def __init__(self, serialize: Callable[[Any], Any], days: int) -> None:
        self.days = days
        codes, consts = [], bytearray()
        starts = [0]
        for reason in prototypes(days):
            out = serialize(reason)
            raw = orjson.dumps(out)
            for kind, a, b, data in template(raw):
                codes.append((kind, a, b, len(consts), len(data)))
                consts += data
            starts.append(len(codes))
        self.steps = np.array(codes, dtype=np.int64).reshape(-1, 5)
        self.starts = np.array(starts, dtype=np.int64)
        self.consts = np.frombuffer(bytes(consts), dtype=np.uint8)
