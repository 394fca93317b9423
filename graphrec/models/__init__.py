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


def servable(model_name: str) -> bool:
    """Whether ``graphrec serve`` can serve an artifact of this model: the one place that says
    so. Serving ranks by user and item vectors, which the embedding models and the graph filters
    give; the popularity, item-KNN and random baselines do not."""
    model = MODELS.get(model_name)
    return model is not None and hasattr(model, "user_vectors")


def servable_names() -> list[str]:
    return [name for name in MODELS if servable(name)]


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
    "servable",
    "servable_names",
]
