"""Recommenders behind one interface (:class:`~graphrec.models.base.Recommender`)."""

from __future__ import annotations

from graphrec.models.base import History, Recommender
from graphrec.models.baselines import ItemKNN, Popularity, Random
from graphrec.models.gfcf import BSPM, GFCF
from graphrec.models.lightgcn import MF, LightGCN
from graphrec.models.sage import GraphSAGE

MODELS: dict[str, type[Recommender]] = {
    model.name: model
    for model in (LightGCN, GFCF, BSPM, GraphSAGE, MF, Popularity, ItemKNN, Random)
}

__all__ = [
    "BSPM",
    "GFCF",
    "MF",
    "MODELS",
    "GraphSAGE",
    "History",
    "ItemKNN",
    "LightGCN",
    "Popularity",
    "Random",
    "Recommender",
]
