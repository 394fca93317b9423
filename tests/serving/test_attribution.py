"""The attribution log: pseudonyms keyed by a secret, and a privacy delete that removes a
shopper's rows, also under another process that appends to the same files."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrec.serving import attribution, lift
from graphrec.serving.attribution import SECRET_FILE, AttributionLog, log_files


def test_pseudonyms_need_the_secret(tmp_path: Path) -> None:
    made = AttributionLog(tmp_path / "a")
    assert (tmp_path / "a" / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    again = AttributionLog(tmp_path / "a")  # a restart: the same secret, the same pseudonyms
    assert made.pseudonym("alice") == again.pseudonym("alice") != made.pseudonym("bob")
    other = AttributionLog(tmp_path / "b")  # another folder, another random secret
    assert other.pseudonym("alice") != made.pseudonym("alice")
    given = AttributionLog(tmp_path / "c", secret="shared-by-replicas")
    assert given.pseudonym("alice") == AttributionLog(
        tmp_path / "d", "shared-by-replicas"
    ).pseudonym("alice")


def test_a_privacy_delete_removes_the_shoppers_rows(tmp_path: Path) -> None:
    one, two = AttributionLog(tmp_path), AttributionLog(tmp_path)  # two processes, one folder
    one.answer("r1", "alice", "PERSONALIZED", b'"items":["serum"]')
    two.answer("r2", "bob", "PERSONALIZED", b'"items":["cream"]')
    one.answer("r3", "alice", "CONTROL", b'"items":["toner"]')
    assert one.forget("alice") == 2
    assert one.forget("alice") == 0
    two.answer(
        "r4", "bob", "PERSONALIZED", b'"items":["brush"]'
    )  # reopens the file that replaced its own
    text = (tmp_path / "served.jsonl").read_text()
    assert one.pseudonym("alice") not in text
    assert [line.split('"rec":"')[1][:2] for line in text.splitlines()] == ["r2", "r4"]


def test_logs_rotate_and_are_read_and_forgotten_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attribution, "ROTATE_BYTES", 300)  # a few rows per file
    log = AttributionLog(tmp_path)
    for n in range(40):
        log.answer(f"r{n:02d}", "alice" if n % 2 else "bob", "PERSONALIZED", b'"items":["serum"]')
    files = log_files(tmp_path, "served.jsonl")
    assert len(files) == attribution.KEEP_ROTATED + 1  # the oldest rotated away
    rows = lift._read(tmp_path / "served.jsonl")
    recs = [row["rec"] for row in rows]
    assert recs == sorted(recs) and recs[-1] == "r39"  # oldest first, none twice
    assert all(path.stat().st_size <= 300 + 200 for path in files)
    assert log.forget("alice") == len([r for r in rows if r["user"] == log.pseudonym("alice")])
    assert not any(
        log.pseudonym("alice") in p.read_text() for p in log_files(tmp_path, "served.jsonl")
    )
