"""An answer's items with their reasons: as objects, or as a compiled operation's JSON.

The last step of :meth:`.engine.Engine.recommend`: the chosen items' reasons are decided
(:meth:`.explanations.Explainer.decide`), then either written straight to JSON by a compiled
plan's writer or made into :class:`.results.Recommendation` objects.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import numpy as np

from graphrec.serving.contributions import Attributed, contributions
from graphrec.serving.events import Recent
from graphrec.serving.explanations import Explainer
from graphrec.serving.live import LiveGraph
from graphrec.serving.reasons import Decided
from graphrec.serving.results import (
    Item,
    Recommendation,
    Recommendations,
    Strategy,
    new_node,
    new_recommendation,
)

#: what filled a slot of an answer (the impression log's ``slots``)
PERSONALIZED, EXPLORATION, PINNED, CONTROL, COLD_START = (
    "personalized", "exploration", "pinned", "control", "cold_start",
)  # fmt: skip
SLOT_OF = {
    Strategy.PERSONALIZED: PERSONALIZED,
    Strategy.CONTROL: CONTROL,
    Strategy.COLD_START: COLD_START,
}


class ItemsWriter(Protocol):
    """Writes the items of an answer, with their reasons, as the JSON of a compiled
    operation (:class:`graphrec.serving.render.ReasonWriter`); None where it cannot."""

    def write(
        self,
        engine: Any,
        asker: str,
        recent: Recent,
        items: list[int],
        scores: list[float],
        decided: Decided,
    ) -> Any: ...


class Answering(Attributed, Protocol):
    """What an answer reads of the engine (:class:`.engine.Engine`)."""

    live: LiveGraph
    explainer: Explainer
    version: str

    def item(self, index: int) -> Item: ...


class Asked(NamedTuple):
    """Who asked, and how the answer was made."""

    user: int | None
    user_id: str
    recommendation_id: str
    strategy: Strategy


def answer_with_reasons(
    engine: Answering,
    asked: Asked,
    recent: Recent,
    mine: np.ndarray,
    chosen: np.ndarray,
    scores: np.ndarray,
    explored: set[int],
    pinned: set[int],
    writer: ItemsWriter | None,
) -> Recommendations:
    """The answer: the chosen items, their scores and reasons (``mine``: all the shopper's
    items; ``recent`` holds their newest events), and what filled each slot: ``pinned`` by a
    rule, ``explored`` by exploration, else the strategy."""
    explainer = engine.explainer
    picked, values = chosen.tolist(), scores.tolist()
    weight = None
    if asked.strategy is Strategy.PERSONALIZED and len(recent) and engine.config.attribute_reasons:
        weight = contributions(engine, asked.user, recent, np.asarray(chosen, dtype=np.int64))
    decided = explainer.decide(
        asked.user,
        recent,
        picked,
        engine.config.max_reasons,
        mine,
        explored,
        fill=True,
        trending=asked.strategy is Strategy.COLD_START,
        weight=weight,
    )
    user_node = (
        explainer.user_node(asked.user)
        if asked.user is not None
        else new_node("User", asked.user_id, None)
    )
    written = None
    if writer is not None:
        written = writer.write(engine, user_node.id, recent, picked, values, decided)
    items: list[Recommendation] = []
    if written is None:
        reasons = explainer.reasons_of(user_node, recent, picked, decided)
        items = [
            new_recommendation(engine.item(i), s, rank, why)
            for rank, (i, s, why) in enumerate(zip(picked, values, reasons, strict=True), 1)
        ]
    item_ids = engine.live.item_ids
    made = SLOT_OF[asked.strategy]
    slots = [PINNED if i in pinned else EXPLORATION if i in explored else made for i in picked]
    return Recommendations(
        recommendation_id=asked.recommendation_id,
        user_id=asked.user_id,
        strategy=asked.strategy,
        items=items,
        degraded=False,
        model_version=engine.version,
        item_ids=[item_ids[i] for i in picked],
        items_json=written,
        scores=values,
        slots=slots,
    )
