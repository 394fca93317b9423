"""Recommenders behind one interface (:class:`~graphrec.models.base.Recommender`).

The classes (and torch with them) are imported on first use of a name: serving a model version
whose vectors are saved (:mod:`.artifact`) and listing versions (:mod:`.versions`) import none.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from graphrec.models.names import MODULES, servable, servable_names

if TYPE_CHECKING:
    from graphrec.models.als import ALS
    from graphrec.models.base import History, Recommender
    from graphrec.models.baselines import ItemKNN, Popularity, Random
    from graphrec.models.blend import Blend
    from graphrec.models.ease import EASE
    from graphrec.models.gfcf import BSPM, GFCF
    from graphrec.models.lightgcn import MF, LightGCN
    from graphrec.models.sage import GraphSAGE

    MODELS: dict[str, type[Recommender]]

_CLASSES = {
    "ALS": "graphrec.models.als",
    "Blend": "graphrec.models.blend",
    "EASE": "graphrec.models.ease",
    "History": "graphrec.models.base",
    "Recommender": "graphrec.models.base",
    "ItemKNN": "graphrec.models.baselines",
    "Popularity": "graphrec.models.baselines",
    "Random": "graphrec.models.baselines",
    "BSPM": "graphrec.models.gfcf",
    "GFCF": "graphrec.models.gfcf",
    "MF": "graphrec.models.lightgcn",
    "LightGCN": "graphrec.models.lightgcn",
    "GraphSAGE": "graphrec.models.sage",
}


def _models() -> dict[str, Any]:
    """Every model class by its name (importing them)."""
    found: dict[str, Any] = {}
    for name, module in MODULES.items():
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, type) and getattr(value, "name", None) == name:
                found[name] = value
    return found


def __getattr__(name: str) -> Any:
    if name == "MODELS":
        value: Any = _models()
    elif name in _CLASSES:
        value = getattr(importlib.import_module(_CLASSES[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "ALS",
    "EASE",
    "BSPM",
    "Blend",
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
