"""docker-compose.yml: valid against the Compose specification's schema (check-jsonschema's
bundled copy, offline), and shaped as the README promises. No Docker engine runs here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    return subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_compose_file_matches_the_compose_spec() -> None:
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("healthcheck:", "healthchek:", 1))
    result = validate(broken)
    assert result.returncode == 1
    assert "healthchek" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_services_ports_and_order(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"neo4j", "setup", "api"}
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port  # nothing listens beyond this machine
    assert services["api"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert services["setup"]["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert "healthcheck" in services["neo4j"] and "healthcheck" in services["api"]
    assert set(compose["volumes"]) >= {"neo4j-data", "graphrec-state"}


def test_secrets_come_from_the_environment(compose: dict) -> None:
    api = compose["services"]["api"]["environment"]
    assert api["GRAPHREC_API_KEY"].startswith("${GRAPHREC_API_KEY:?")
    assert api["GRAPHREC_NEO4J_PASSWORD"].startswith("${GRAPHREC_NEO4J_PASSWORD:?")
    auth = compose["services"]["neo4j"]["environment"]["NEO4J_AUTH"]
    assert auth.startswith("neo4j/${GRAPHREC_NEO4J_PASSWORD:?")
    assert api["GRAPHREC_STORE"] == "neo4j://neo4j:7687"
