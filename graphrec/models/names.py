"""The models by name, and which of them serving can serve: known without importing any model
(or torch), so that serving a model version and listing versions stay light. A test keeps these
in step with the model classes."""

from __future__ import annotations

#: Every model ``graphrec train`` makes, and the module of its class.
MODULES: dict[str, str] = {
    "lightgcn": "graphrec.models.lightgcn",
    "gfcf": "graphrec.models.gfcf",
    "bspm": "graphrec.models.gfcf",
    "sage": "graphrec.models.sage",
    "mf": "graphrec.models.lightgcn",
    "pop": "graphrec.models.baselines",
    "itemknn": "graphrec.models.baselines",
    "random": "graphrec.models.baselines",
    "ease": "graphrec.models.ease",
    "als": "graphrec.models.als",
    "blend": "graphrec.models.blend",
}
#: Serving scores with user and item vectors plus item-item weights summed over a shopper's
#: items (graphrec/models/serving_parts.py): the embedding models, ALS, the graph filters, EASE
#: and item-KNN have that form, and so has a blend of them (their forms added); the popularity
#: and random baselines do not.
SERVABLE = ("lightgcn", "gfcf", "bspm", "sage", "mf", "als", "ease", "itemknn", "blend")
#: Models whose network embeds items that arrive while serving (from title, brand, categories).
INDUCTIVE = ("sage",)


def servable(model_name: str) -> bool:
    """Whether ``graphrec serve`` can serve an artifact of this model: the one place that says
    so."""
    return model_name in SERVABLE


def servable_names() -> list[str]:
    return list(SERVABLE)
