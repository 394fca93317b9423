"""The lift of personalised recommendations over the popularity control group.

``graphrec serve`` logs every answer (``served.jsonl``: recommendation id, pseudonymous shopper,
group, model version, and per item its id, score and slot kind) and every event sent with a
``recommendationId`` (``events.jsonl``). An answer *converts* when a later event of one of the
conversion kinds names one of its items, within ``window`` seconds. Groups are compared as
assigned (intention to treat): ``control`` is the popularity bucket, ``personalized`` every
other answer (cold-start answers included). Per slot kind (personalized, exploration, pinned,
control, cold_start), the items shown in such slots and the share of them converted.

Relative lift = rate(personalized) / rate(control) - 1, with a 95 % interval from the log of the
ratio of two proportions (Katz et al., 1978); the absolute difference gets a Wald interval.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphrec.errors import InvalidInput
from graphrec.serving.attribution import log_files

Z95 = 1.959963984540054
CONTROL = "control"


@dataclass(frozen=True)
class GroupRate:
    group: str
    answers: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class SlotRate:
    """Items shown in one kind of slot, and how many of them converted."""

    slot: str
    shown: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.shown if self.shown else 0.0


@dataclass(frozen=True)
class Lift:
    personalized: GroupRate
    control: GroupRate
    kinds: tuple[str, ...]
    window_s: int
    relative: float | None
    relative_low: float | None
    relative_high: float | None
    difference: float
    difference_low: float
    difference_high: float
    slots: tuple[SlotRate, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["personalized"]["rate"] = self.personalized.rate
        out["control"]["rate"] = self.control.rate
        for row, slot in zip(out["slots"], self.slots, strict=True):
            row["rate"] = slot.rate
        return out


def _read(path: Path) -> list[dict[str, Any]]:
    """A log's rows, its rotated files first (``served.jsonl.2``, ``.1``, then the current)."""
    rows = []
    for file in log_files(path.parent, path.name):
        for number, line in enumerate(file.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InvalidInput(f"{file}:{number}: not a JSON line ({e.msg})") from e
    return rows


def lift(log_dir: Path, kinds: tuple[str, ...] = ("purchase",), window_s: int = 86_400) -> Lift:
    served = _read(log_dir / "served.jsonl")
    if not served:
        raise InvalidInput(f"no served answers logged in {log_dir} (is this the serve log?)")
    answers = {row["rec"]: row for row in served}
    converted: set[str] = set()
    bought: set[tuple[str, str]] = set()  # (answer, item) converted
    for event in _read(log_dir / "events.jsonl"):
        answer = answers.get(event.get("rec"))
        if answer is None or event.get("kind") not in kinds:
            continue
        in_time = 0 <= int(event["ts"]) - int(answer["ts"]) <= window_s
        if in_time and event.get("user") == answer["user"] and event["item"] in answer["items"]:
            converted.add(answer["rec"])
            bought.add((answer["rec"], event["item"]))
    counts = {"personalized": [0, 0], CONTROL: [0, 0]}
    for rec, answer in answers.items():
        group = CONTROL if answer["group"] == CONTROL else "personalized"
        counts[group][0] += 1
        counts[group][1] += rec in converted
    treated = GroupRate("personalized", *counts["personalized"])
    control = GroupRate(CONTROL, *counts[CONTROL])
    return dataclasses.replace(
        _compare(treated, control, kinds, window_s), slots=_slot_rates(answers, bought)
    )


def _slot_rates(
    answers: dict[str, dict[str, Any]], bought: set[tuple[str, str]]
) -> tuple[SlotRate, ...]:
    """Per slot kind, the items shown and converted (an answer logged before slots were, by
    its group)."""
    shown: dict[str, list[int]] = {}
    for rec, answer in answers.items():
        items = answer["items"]
        slots = answer.get("slots") or [answer["group"]] * len(items)
        for item, slot in zip(items, slots, strict=False):
            counts = shown.setdefault(slot, [0, 0])
            counts[0] += 1
            counts[1] += (rec, item) in bought
    return tuple(SlotRate(slot, *shown[slot]) for slot in sorted(shown))


def _compare(treated: GroupRate, control: GroupRate, kinds: tuple[str, ...], window_s: int) -> Lift:
    p1, p2 = treated.rate, control.rate
    n1, n2 = max(treated.answers, 1), max(control.answers, 1)
    se_diff = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    diff = p1 - p2
    relative = low = high = None
    if treated.converted and control.converted:
        log_ratio = math.log(p1 / p2)
        se = math.sqrt(
            1 / treated.converted
            - 1 / treated.answers
            + 1 / control.converted
            - 1 / control.answers
        )
        relative = p1 / p2 - 1
        low = math.exp(log_ratio - Z95 * se) - 1
        high = math.exp(log_ratio + Z95 * se) - 1
    return Lift(
        personalized=treated,
        control=control,
        kinds=kinds,
        window_s=window_s,
        relative=relative,
        relative_low=low,
        relative_high=high,
        difference=diff,
        difference_low=diff - Z95 * se_diff,
        difference_high=diff + Z95 * se_diff,
    )
