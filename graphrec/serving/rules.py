"""Business rules: pin an item to a position, boost or bury items, brands or categories.

Read from a JSON file (``GRAPHREC_RULES``), a list of objects such as::

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
from typing import TYPE_CHECKING, Any

from graphrec.errors import ConfigError

if TYPE_CHECKING:
    from graphrec.serving.live import LiveGraph

ACTIONS = ("pin", "boost", "bury")


@dataclass(frozen=True)
class Rule:
    action: str
    item: str | None = None
    brand: str | None = None
    category: str | None = None
    weight: float = 1.0
    position: int = 1

    def matches(self, live: LiveGraph, index: int) -> bool:
        if self.item is not None and live.item_ids[index] == self.item:
            return True
        brand = live.brand[index]
        if self.brand is not None and brand >= 0 and live.brand_ids[brand] == self.brand:
            return True
        if self.category is not None:
            wanted = live.category_index.get(self.category)
            if wanted is not None and wanted in live.categories_with_ancestors(
                live.item_categories[index]
            ):
                return True
        return False


def parse_rules(raw: Any, where: str) -> list[Rule]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: rules must be a JSON list of objects")
    rules = []
    for number, entry in enumerate(raw, start=1):
        place = f"{where}: rule {number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{place}: expected an object, got {entry!r}")
        unknown = set(entry) - {"action", "item", "brand", "category", "weight", "position"}
        if unknown:
            raise ConfigError(f"{place}: unknown keys {sorted(unknown)}")
        action = entry.get("action")
        if action not in ACTIONS:
            raise ConfigError(f"{place}: action must be one of {ACTIONS}, got {action!r}")
        targets = [key for key in ("item", "brand", "category") if entry.get(key) is not None]
        if len(targets) != 1:
            raise ConfigError(f"{place}: name exactly one of item, brand or category")
        if action == "pin" and targets != ["item"]:
            raise ConfigError(f"{place}: pin takes an item")
        position = entry.get("position", 1)
        if not isinstance(position, int) or position < 1:
            raise ConfigError(f"{place}: position must be an integer >= 1, got {position!r}")
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, int | float):
            raise ConfigError(f"{place}: weight must be a number, got {weight!r}")
        rules.append(
            Rule(
                action=action,
                item=entry.get("item"),
                brand=entry.get("brand"),
                category=entry.get("category"),
                weight=float(weight),
                position=position,
            )
        )
    return rules


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
