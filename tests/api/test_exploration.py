"""Events that name an answer teach its exploration slots' bandit, on both stores."""

from __future__ import annotations

import dataclasses

from graphrec.serving.event_writes import EventInput
from graphrec.serving.service import Service


def test_an_event_naming_the_answer_teaches_the_bandit(service: Service) -> None:
    engine = service.engine
    engine.config = dataclasses.replace(engine.config, explore=0.5, control_share=0.0)
    for _ in range(30):  # until an answer has an exploration slot
        answer = engine.recommend("alice", 4)
        if "exploration" in answer.slots:
            break
    explored = answer.item_ids[answer.slots.index("exploration")]
    index = engine.item_index(explored)
    shown = engine.bandit.shown[index]
    assert shown >= 1
    service.record(
        [EventInput("alice", explored, "view", ts=None, recommendation_id=answer.recommendation_id)]
    )
    assert engine.bandit.outcomes[index] == 1
    # a not-interested mark teaches nothing
    other = engine.recommend("bob", 4)
    for item, slot in zip(other.item_ids, other.slots, strict=True):
        if slot == "exploration":
            before = engine.bandit.outcomes[engine.item_index(item)]
            service.record(
                [
                    EventInput(
                        "bob", item, "not_interested", ts=None,
                        recommendation_id=other.recommendation_id,
                    )
                ]
            )  # fmt: skip
            assert engine.bandit.outcomes[engine.item_index(item)] == before
