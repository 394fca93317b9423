"""Business rules: pin an item to a position, boost or bury items, brands or categories.

Rules come from two places, used together: a JSON file (``GRAPHREC_RULES``, part of the
deployment) and ``(:Rule)`` nodes in the store, which merchandisers add, change and remove
through the API's ``putRule`` / ``deleteRule`` mutations (or in Neo4j Browser, followed by
``reloadGraph``). The file holds a list of objects such as::

    [{"action": "pin", "item": "B0001", "position": 1},
     {"action": "boost", "brand": "acme", "weight": 0.5},
     {"action": "bury", "category": "Beauty/Clearance"}]

``boost`` adds ``weight`` to the ranking score (in standard deviations of the candidate pool);
``bury`` sends matching items below every other candidate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphrec.errors import ConfigError

ACTIONS = ("pin", "boost", "bury")
KEYS = ("id", "action", "item", "brand", "category", "weight", "position")
MAX_ID = 128


@dataclass(frozen=True)
class Rule:
    action: str
    id: str | None = None
    item: str | None = None
    brand: str | None = None
    category: str | None = None
    weight: float = 1.0
    position: int = 1

    @property
    def target(self) -> tuple[str, str]:
        """``(kind, id)`` of what the rule names: ``("brand", "acme")``."""
        for kind in ("item", "brand", "category"):
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        raise AssertionError("a parsed rule names a target")

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in KEYS}


def parse_rule(entry: Any, place: str) -> Rule:
    """One rule from a mapping, or :class:`ConfigError` naming ``place`` and what is wrong."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{place}: expected an object, got {entry!r}")
    unknown = set(entry) - set(KEYS)
    if unknown:
        raise ConfigError(f"{place}: unknown keys {sorted(unknown)}")
    rule_id = entry.get("id")
    if rule_id is not None and (not isinstance(rule_id, str) or not 0 < len(rule_id) <= MAX_ID):
        raise ConfigError(f"{place}: id must be a string of 1..{MAX_ID} characters")
    action = entry.get("action")
    if action not in ACTIONS:
        raise ConfigError(f"{place}: action must be one of {ACTIONS}, got {action!r}")
    targets = [key for key in ("item", "brand", "category") if entry.get(key) is not None]
    if len(targets) != 1:
        raise ConfigError(f"{place}: name exactly one of item, brand or category")
    if not isinstance(entry[targets[0]], str) or not entry[targets[0]]:
        raise ConfigError(f"{place}: {targets[0]} must be a non-empty string")
    if action == "pin" and targets != ["item"]:
        raise ConfigError(f"{place}: pin takes an item")
    position = entry.get("position")
    position = 1 if position is None else position
    if not isinstance(position, int) or isinstance(position, bool) or not 1 <= position <= 100:
        raise ConfigError(f"{place}: position must be an integer in 1..100, got {position!r}")
    weight = entry.get("weight")
    weight = 1.0 if weight is None else weight
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight != weight:
        raise ConfigError(f"{place}: weight must be a number, got {weight!r}")
    if abs(weight) > 100:
        raise ConfigError(f"{place}: weight must be within -100..100, got {weight!r}")
    return Rule(
        action=action,
        id=rule_id,
        item=entry.get("item"),
        brand=entry.get("brand"),
        category=entry.get("category"),
        weight=float(weight),
        position=position,
    )


def parse_rules(raw: Any, where: str) -> list[Rule]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: rules must be a JSON list of objects")
    return [parse_rule(entry, f"{where}: rule {n}") for n, entry in enumerate(raw, start=1)]


def load_rules(path: Path | None) -> list[Rule]:
    if path is None:
        return []
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as e:
        raise ConfigError(f"rules file not found: {path}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from e
    return parse_rules(raw, str(path))
