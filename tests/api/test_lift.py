"""The lift report: known counts give known rates, lift and intervals; only real conversions
count; the serve log written by the service is what the report reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphrec.cli import app
from graphrec.errors import InvalidInput
from graphrec.rules import Rule
from graphrec.serving.event_writes import EventInput
from graphrec.serving.lift import lift
from graphrec.serving.options import RecFilter
from graphrec.serving.service import Service


def write_log(folder: Path, served: list[dict], events: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "served.jsonl").write_text("".join(json.dumps(r) + "\n" for r in served))
    (folder / "events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in events))


def planted_log(folder: Path) -> None:
    """100 personalised answers, 20 converted; 100 control answers, 10 converted; plus events
    that must not count."""
    served, events = [], []
    for group, converting in (("personalized", 20), ("control", 10)):
        for n in range(100):
            rec = f"{group}-{n}"
            served.append(
                {"rec": rec, "user": f"u{n}", "group": group, "items": ["a", "b"], "ts": 1000}
            )
            if n < converting:
                events.append(
                    {"rec": rec, "user": f"u{n}", "item": "b", "kind": "purchase", "ts": 2000}
                )
            elif n == converting:  # a view is not a conversion
                events.append(
                    {"rec": rec, "user": f"u{n}", "item": "b", "kind": "view", "ts": 2000}
                )
            elif n == converting + 1:  # an item the answer did not show
                events.append(
                    {"rec": rec, "user": f"u{n}", "item": "z", "kind": "purchase", "ts": 2000}
                )
            elif n == converting + 2:  # two days later
                events.append(
                    {
                        "rec": rec,
                        "user": f"u{n}",
                        "item": "a",
                        "kind": "purchase",
                        "ts": 1000 + 2 * 86_400,
                    }
                )
            elif n == converting + 3:  # somebody else
                events.append(
                    {"rec": rec, "user": "other", "item": "a", "kind": "purchase", "ts": 2000}
                )
    served.append(
        {"rec": "cold-1", "user": "new", "group": "cold_start", "items": ["a"], "ts": 1000}
    )
    write_log(folder, served, events)


def test_known_counts_give_known_lift(tmp_path: Path) -> None:
    planted_log(tmp_path)
    result = lift(tmp_path)
    assert (result.personalized.answers, result.personalized.converted) == (101, 20)
    assert (result.control.answers, result.control.converted) == (100, 10)
    # cold-start answers are personalised by assignment: 20 / 101 against 10 / 100
    assert result.relative == pytest.approx(20 / 101 / 0.1 - 1)
    assert result.relative_low < result.relative < result.relative_high


def test_interval_matches_the_textbook_numbers(tmp_path: Path) -> None:
    planted_log(tmp_path)
    served = (tmp_path / "served.jsonl").read_text().splitlines()[:-1]  # drop the cold answer
    (tmp_path / "served.jsonl").write_text("\n".join(served) + "\n")
    result = lift(tmp_path)
    assert result.relative == pytest.approx(1.0)
    # Katz log interval: se = sqrt(1/20 - 1/100 + 1/10 - 1/100) = 0.3606
    assert result.relative_low == pytest.approx(-0.013437, abs=1e-5)
    assert result.relative_high == pytest.approx(3.054479, abs=1e-5)
    assert result.difference == pytest.approx(0.1)
    assert result.difference_low == pytest.approx(0.002002, abs=1e-5)
    assert result.difference_high == pytest.approx(0.197998, abs=1e-5)


def test_no_log_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no served answers"):
        lift(tmp_path)
    (tmp_path / "served.jsonl").write_text("{broken\n")
    with pytest.raises(InvalidInput, match="served.jsonl:1"):
        lift(tmp_path)


def test_the_service_log_feeds_the_report(service: Service, tmp_path: Path) -> None:
    service.engine.config.control_share = 0.0
    answer = service.engine.recommend("alice", 3)
    service.log.served(answer)
    first = answer.items[0].item.id
    service.record(
        [
            EventInput(
                "alice", first, "purchase", ts=None, recommendation_id=answer.recommendation_id
            )
        ]
    )
    result = lift(tmp_path / "log")
    assert (result.personalized.answers, result.personalized.converted) == (1, 1)
    assert result.control.answers == 0
    logged = (tmp_path / "log" / "served.jsonl").read_text()
    assert "alice" not in logged  # pseudonymised


def test_cli(tmp_path: Path) -> None:
    planted_log(tmp_path)
    result = CliRunner().invoke(app, ["report", "lift", "--log-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "lift: +98.0%" in result.output
    missing = CliRunner().invoke(app, ["report", "lift", "--log-dir", str(tmp_path / "none")])
    assert missing.exit_code == 2


def test_html_report_shows_models_curves_and_lift(tmp_path: Path, shop_artifact: Path) -> None:
    planted_log(tmp_path / "log")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "html",
            str(shop_artifact),
            "--baselines",
            "pop",
            "--log-dir",
            str(tmp_path / "log"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "lightgcn@" in page and "<td>pop</td>" in page
    for metric in ("recall", "ndcg", "coverage", "diversity", "popularity"):
        assert f"<th>{metric}@6</th>" in page  # six items: metrics at k = 6
    assert page.count("data:image/png;base64,") >= 4  # accuracy, beyond, curve, lift
    assert "Lift +98.0%" in page
    nothing = CliRunner().invoke(
        app, ["report", "html", "--log-dir", str(tmp_path / "none"), "--out", str(out)]
    )
    assert nothing.exit_code == 2 and "nothing to report" in nothing.output


def test_the_served_log_keeps_each_impression(service: Service, tmp_path: Path) -> None:
    """Model version, and per item its position, score and slot kind; conversions are counted
    per slot kind."""
    engine = service.engine
    pin = Rule(action="pin", item="toner", position=1)
    engine.config = dataclasses.replace(engine.config, control_share=0.0, rules=[pin])
    everything = RecFilter(in_stock_only=False)  # the toner is out of stock
    for _ in range(30):  # exploration draws by the answer's id: until a slot is not the pin's
        answer = engine.recommend("alice", 4, everything, explore=0.25)
        if "exploration" in answer.slots:
            break
    service.log.served(answer)
    row = json.loads((tmp_path / "log" / "served.jsonl").read_text().splitlines()[-1])
    assert row["model"] == engine.version != ""
    assert row["items"] == answer.item_ids and row["items"][0] == "toner"
    assert row["scores"] == pytest.approx(answer.scores, abs=1e-6)
    assert sorted(row["slots"]) == ["exploration", "personalized", "personalized", "pinned"]
    assert row["slots"][0] == "pinned"
    explored = row["items"][row["slots"].index("exploration")]
    service.record(
        [EventInput("alice", explored, "purchase", ts=None, recommendation_id=row["rec"])]
    )
    slots = {s.slot: (s.shown, s.converted) for s in lift(tmp_path / "log").slots}
    assert slots == {"exploration": (1, 1), "personalized": (2, 0), "pinned": (1, 0)}
