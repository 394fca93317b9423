"""A blend: tuned models' scores added, each divided by its typical spread, with weights.

    score(u, i) = sum over parts k of  weights[k] * score_k(u, i) / scales[k]

``scales[k]`` is the median, over a fixed sample of shoppers, of the spread (standard
deviation over the catalogue) of part k's scores: it puts models whose scores differ in size
by a hundred times (LightGCN's dot products, EASE's weights) on one footing, and it is one
number per part, so the blend stays linear. Its served form is therefore the parts' own,
added: item-item weights summed (each item's strongest kept), user vectors scaled and laid
side by side with the item vectors. That needs the parts to weigh a shopper's items by the
same recency half-life, which the blend checks.

``graphrec train --model auto`` blends its two best models when that scores better on
validation (graphrec/training/blending.py): on Amazon Beauty, LightGCN (0.9) with EASE (0.1)
tested at recall@20 0.1283 against LightGCN's 0.1208 (benchmarks/quality).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.base import History, OnEval, Recommender
from graphrec.models.serving_parts import ServingParts, strongest_per_row, width_for

#: shoppers whose score spread sets a part's scale (a fixed sample)
SCALE_SHOPPERS = 2000


def half_life(model: Recommender) -> float:
    """The recency half-life a model weighs a shopper's items with (0: all the same)."""
    return float(model.config.get("recency_half_life", 0.0) or 0.0)


class Blend(Recommender):
    name = "blend"

    def __init__(
        self,
        parts: list[dict[str, Any]] | None = None,
        weights: list[float] | None = None,
        **config: Any,
    ) -> None:
        from graphrec.models import MODELS

        parts = parts or []
        weights = [1.0] * len(parts) if weights is None else [float(w) for w in weights]
        if len(parts) < 2:
            raise InvalidInput(f"blend: parts must name at least two models, got {len(parts)}")
        if len(weights) != len(parts):
            raise InvalidInput(
                f"blend: {len(weights)} weights for {len(parts)} parts; give one per part"
            )
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise InvalidInput(f"blend: weights must be >= 0 and not all 0, got {weights}")
        super().__init__(parts=parts, weights=weights, **config)
        self.models: list[Recommender] = []
        for index, part in enumerate(parts):
            name = part.get("model") if isinstance(part, dict) else None
            if name not in MODELS or name in ("blend", "pop", "random"):
                raise InvalidInput(
                    f"blend: parts[{index}].model must be a trained model other than pop, "
                    f"random and blend, got {name!r}"
                )
            params = {**part.get("params", {}), "device": config.get("device", "auto")}
            try:
                self.models.append(MODELS[name](**params))
            except (TypeError, InvalidInput) as e:
                raise InvalidInput(f"blend: parts[{index}] ({name}): {e}") from e
        lives = {half_life(model) for model in self.models}
        if len(lives) > 1:
            raise InvalidInput(
                "blend: the parts must weigh a shopper's items with one recency_half_life, "
                f"got {sorted(lives)}"
            )
        self.weights = np.asarray(weights, dtype=np.float64)
        self.scales = np.ones(len(parts), dtype=np.float64)

    @classmethod
    def of(cls, fitted: list[tuple[str, dict[str, Any], Recommender]], split: Split) -> Blend:
        """A blend of models already fitted on ``split`` (name, settings, model), weighing
        them equally until :meth:`set_weights`; scaled on ``split``."""
        blend = cls(parts=[{"model": name, "params": params} for name, params, _ in fitted])
        blend.models = [model for _, _, model in fitted]
        blend.num_users, blend.num_items = fitted[0][2].num_users, fitted[0][2].num_items
        blend.scale(split)
        return blend

    def set_weights(self, weights: list[float]) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self.config["weights"] = [float(w) for w in weights]

    def use_snapshot(self, snapshot: Snapshot) -> None:
        for model in self.models:
            model.use_snapshot(snapshot)

    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        """Each part fitted in turn, then the scales measured. A part that stops early does so
        on ``split.valid``; the search gives each such part its best epochs, so that the
        blend's final fit, on training and validation together, trains that many."""
        history = History()
        for model in self.models:
            part = model.fit(split, on_eval=on_eval)
            history.seconds += part.seconds
            history.stopped = history.stopped or part.stopped
        self.num_users, self.num_items = split.num_users, split.num_items
        self.scale(split)
        return history

    @torch.no_grad()
    def scale(self, split: Split) -> None:
        """Each part's scale: the median spread of its scores over a fixed sample of the
        shoppers with training items."""
        users = np.flatnonzero(np.diff(split.train.indptr) > 0)
        if len(users) > SCALE_SHOPPERS:
            users = np.sort(np.random.default_rng(0).choice(users, SCALE_SHOPPERS, replace=False))
        for index, model in enumerate(self.models):
            spread = float(np.median(model.user_scores(users).float().std(dim=1).cpu().numpy()))
            self.scales[index] = spread if np.isfinite(spread) and spread > 0 else 1.0

    def observe(self, history: sp.csr_matrix) -> None:
        for model in self.models:
            model.observe(history)

    def factors(self) -> np.ndarray:
        """What each part's scores are multiplied by."""
        return self.weights / self.scales

    def user_scores(self, users: np.ndarray) -> Tensor:
        total: Tensor | None = None
        for factor, model in zip(self.factors(), self.models, strict=True):
            if factor == 0:
                continue
            scores = model.user_scores(users).float().cpu() * float(factor)
            total = scores if total is None else total + scores
        assert total is not None  # the weights are not all 0
        return total

    def item_vectors(self) -> Tensor | None:
        """The first part's that has item vectors (what similar items and write-back read)."""
        for model in self.models:
            vectors = model.item_vectors()
            if vectors is not None:
                return vectors
        return None

    def similar_items(self, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.models[0].similar_items(items, k)

    def serving_parts(self) -> ServingParts:
        """The parts' served forms added: item-item weights summed, each item's strongest
        kept; user vectors scaled, beside each other, as are the item vectors."""
        forms = [model.serving_parts() for model in self.models]
        factors = self.factors()
        users = np.hstack([f.users * np.float32(c) for f, c in zip(forms, factors, strict=True)])
        items = np.hstack([f.items for f in forms])
        summed: sp.csr_matrix | None = None
        for form, factor in zip(forms, factors, strict=True):
            if form.neighbours is not None and factor != 0:
                part = form.neighbours.astype(np.float32) * np.float32(factor)
                summed = part if summed is None else summed + part
        if summed is not None:
            summed = summed.tocsr()
            summed = strongest_per_row(
                lambda rows: summed[rows].toarray(), self.num_items, width_for(self.num_items)
            )
        return ServingParts(
            np.ascontiguousarray(items, dtype=np.float32),
            np.ascontiguousarray(users, dtype=np.float32),
            summed,
            max(form.half_life for form in forms),
        )

    def state(self) -> dict[str, np.ndarray]:
        """Each part's state, its keys prefixed ``part<k>.``, and the scales."""
        arrays = {"scales": self.scales, "shape": np.array([self.num_users, self.num_items])}
        for index, model in enumerate(self.models):
            arrays.update({f"part{index}.{k}": v for k, v in model.state().items()})
        return arrays

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.scales = np.asarray(state["scales"], dtype=np.float64)
        self.num_users, self.num_items = (int(v) for v in state["shape"])
        for index, model in enumerate(self.models):
            prefix = f"part{index}."
            model.set_state({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
