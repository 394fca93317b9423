"""Recommenders behind one interface (:class:`~graphrec.models.base.Recommender`)."""

from __future__ import annotations

from graphrec.models.base import History, Recommender
from graphrec.models.baselines import ItemKNN, Popularity
from graphrec.models.lightgcn import MF, LightGCN

MODELS: dict[str, type[Recommender]] = {
    model.name: model for model in (LightGCN, MF, Popularity, ItemKNN)
}

__all__ = ["MODELS", "MF", "History", "ItemKNN", "LightGCN", "Popularity", "Recommender"]
