"""The README's quick start as a new user runs it: its first command's graphrec steps (load the
Amazon demo shop, train, stats), then ``graphrec serve`` on what they made, answering a shopper
with reasons. Reads ../shared/data (skipped when it is absent)."""

from __future__ import annotations

import json
import shlex
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphrec.cli import app
from tests.conftest import graphrec_serve, shared_data

ROOT = Path(__file__).resolve().parents[1]
MARKER = "# run: install, load a real dataset into the embedded store, train, show it"


def quick_start_steps() -> list[list[str]]:
    """The graphrec commands of the README's first command, in order, without the program."""
    lines = (ROOT / "README.md").read_text().splitlines()
    command = lines[lines.index(MARKER) + 1]
    steps = [shlex.split(part) for part in command.split("&&")]
    return [step[1:] for step in steps if step[0].endswith("/graphrec")]


def test_the_quick_start_trains_a_model_that_serve_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = (shared_data("amazon-beauty-2014") / "derived" / "users.tsv").read_text().splitlines()
    shopper = users[1].split("\t")[1]  # the first shopper's reviewer id, graphrec's user id
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the checkout
    steps = quick_start_steps()
    assert [step[0] for step in steps] == ["load", "train", "stats"]
    runner = CliRunner()
    for step in steps:
        done = runner.invoke(app, step)
        assert done.exit_code == 0, (step, done.output)

    with graphrec_serve() as served:
        query = (
            f'{{ recommendations(userId: "{shopper}", k: 5) '
            "{ strategy items { reasons { kind } } } }"
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{served.port}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            answer = json.loads(r.read())["data"]["recommendations"]
        assert answer["strategy"] == "PERSONALIZED", answer
        assert len(answer["items"]) == 5
        assert all(item["reasons"] for item in answer["items"])
