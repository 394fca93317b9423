from __future__ import annotations

from pathlib import Path

import pytest

from graphrec.config import get_settings
from graphrec.errors import ConfigError
from graphrec.serving.configured import engine_config
from graphrec.store.cypher import (
    BACKENDS,
    NEO4J_ONLY,
    cypher_root,
    split_statements,
    statements,
)


def test_environment_overrides_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHREC_BOUGHT_WITH_TOP_K", "7")
    monkeypatch.setenv("GRAPHREC_KIND_WEIGHTS", '{"view": 0.5, "purchase": 9}')
    settings = get_settings()
    assert settings.bought_with_top_k == 7
    assert settings.kind_weights == {"view": 0.5, "purchase": 9.0}
    get_settings.cache_clear()
    monkeypatch.setenv("GRAPHREC_KIND_WEIGHTS", '{"view": 0}')
    with pytest.raises(ConfigError, match="kind weights must be > 0"):
        get_settings()
    get_settings.cache_clear()
    monkeypatch.setenv("GRAPHREC_KIND_WEIGHTS", "{}")
    monkeypatch.setenv("GRAPHREC_BOUGHT_WITH_TOP_K", "zero")
    with pytest.raises(ConfigError, match="bought_with_top_k"):
        get_settings()
    get_settings.cache_clear()
    monkeypatch.setenv("GRAPHREC_BOUGHT_WITH_TOP_K", "7")
    monkeypatch.setenv("GRAPHREC_NEW_ITEM_TEXT", "sentences")
    assert engine_config(get_settings()).new_item_text == "sentences"  # what serving reads
    get_settings.cache_clear()
    monkeypatch.setenv("GRAPHREC_NEW_ITEM_TEXT", "letters")
    with pytest.raises(ConfigError, match="new_item_text"):
        get_settings()


def test_default_store_is_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert get_settings().store_url == str(tmp_path / "graphrec" / "store")


def test_every_backend_has_the_same_query_files() -> None:
    names = {
        backend: sorted(p.stem for p in (cypher_root() / backend).glob("*.cypher"))
        for backend in BACKENDS
    }
    assert names["ladybug"] == sorted(set(names["neo4j"]) - NEO4J_ONLY)
    assert set(names["neo4j"]) >= NEO4J_ONLY
    for backend in BACKENDS:
        for name in names[backend]:
            assert statements(backend, name), f"{backend}/{name}"


def test_split_statements_skips_comments() -> None:
    text = "// a comment; with a semicolon\nMATCH (n)\nRETURN n;\n\nMATCH (m) RETURN m"
    assert split_statements(text) == ["MATCH (n)\nRETURN n", "MATCH (m) RETURN m"]
