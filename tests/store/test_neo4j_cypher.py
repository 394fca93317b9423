"""Every Neo4j query passes Neo4j's own Cypher parser (run offline through Node).

Needs ``npm ci --prefix tools/cypher-lint``; skipped without it unless GRAPHREC_REQUIRE_CYPHER_LINT
is set, as .ci/run sets it, so CI fails on a Neo4j syntax error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tools" / "cypher-lint"


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (LINT / "node_modules").is_dir():
        if os.environ.get("GRAPHREC_REQUIRE_CYPHER_LINT"):
            pytest.fail(
                "the Cypher linter is required: node, and npm ci --prefix tools/cypher-lint"
            )
        pytest.skip(
            "node or tools/cypher-lint/node_modules missing (npm ci --prefix tools/cypher-lint)"
        )
    return subprocess.run(
        [node, str(LINT / "lint.mjs"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_neo4j_queries_pass_neo4j_parser() -> None:
    result = _lint(ROOT / "cypher" / "neo4j")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 problem(s)" in result.stdout


def test_saved_explore_queries_pass_neo4j_parser() -> None:
    result = _lint(ROOT / "cypher" / "explore")
    assert result.returncode == 0, result.stdout + result.stderr
    neo4j_only = _lint(ROOT / "cypher" / "explore-neo4j")
    assert neo4j_only.returncode == 0, neo4j_only.stdout + neo4j_only.stderr
    assert " 1 statement(s) checked" in neo4j_only.stdout


def test_the_linter_catches_a_bad_query() -> None:
    result = _lint(LINT / "fixtures" / "bad")
    assert result.returncode == 1
    assert "typo.cypher:2:26: error: Invalid input 'RETURNN'" in result.stdout
    assert "titel is not present" in result.stdout
