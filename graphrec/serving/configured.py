"""What graphrec's settings (``GRAPHREC_*``) make of serving: the engine's settings and the model
version to serve. Shared by ``graphrec serve`` and ``graphrec recommend``."""

from __future__ import annotations

from pathlib import Path

from graphrec.config import Settings, get_settings
from graphrec.models import versions
from graphrec.rules import load_rules
from graphrec.serving.activity import ActivitySettings
from graphrec.serving.options import EngineConfig
from graphrec.store.base import GraphStore


def models_dir() -> Path:
    return get_settings().data_dir / "models"


def engine_config(settings: Settings, workers: int = 1) -> EngineConfig:
    """The engine's settings from graphrec's (``GRAPHREC_*``)."""
    return EngineConfig(
        explore=settings.explore,
        explore_bandit=settings.explore_bandit,
        explore_max_age_days=settings.explore_max_age_days,
        control_share=settings.control_share,
        rules=load_rules(settings.rules),
        activity=ActivitySettings(
            window_days=settings.trending_days,
            trending_half_life_days=settings.trending_half_life_days,
            popular_half_life_days=settings.popular_half_life_days,
            clock=settings.clock,
            refresh_seconds=settings.activity_refresh_seconds,
        ),
        fresh_days=settings.fresh_days,
        fresh_boost=settings.fresh_boost,
        answer_cache_bytes=settings.answer_cache_mb * 2**20 // max(workers, 1),
        new_item_text=settings.new_item_text,
    )


def version_to_serve(store: GraphStore, artifact: str | None, activate: bool = False) -> Path:
    """The artifact named, else the version the store says is active, else the newest (which,
    with ``activate``, becomes the active one)."""
    if artifact is not None:
        return Path(artifact)
    folder = models_dir()
    active = versions.active(store)
    path = versions.to_serve(folder, active).path
    if active is None and activate:
        versions.activate(store, folder, path.name)
    return path
