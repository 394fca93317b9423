"""The LightGCN / NGCF benchmark split: ``train.txt`` and ``test.txt``, one user per line.

Each line is ``user_id item_id item_id ...``. The files carry no time and no kind: every pair is a
``checkin`` with timestamp 0 (unknown), and its ``split`` property keeps the given train/test split.
"""

from __future__ import annotations

from pathlib import Path

from graphrec.data._build import InteractionsBuilder, Parsed, assemble
from graphrec.data._read import Problems, read_lines, require_file
from graphrec.errors import InvalidInput

KIND = "checkin"


def read(path: Path, kind_weights: dict[str, float]) -> Parsed:
    if not path.is_dir():
        raise InvalidInput(f"lightgcn: expected a folder holding train.txt (and test.txt): {path}")
    problems = Problems()
    interactions = InteractionsBuilder(problems, kind_weights)
    weight = kind_weights.get(KIND, 1.0)
    files = [("train", require_file(path / "train.txt", "lightgcn train.txt"))]
    if (path / "test.txt").exists():
        files.append(("test", require_file(path / "test.txt", "lightgcn test.txt")))
    for split, file in files:
        for number, line in read_lines(file, problems):
            fields = line.split()
            if not all(field.isdigit() for field in fields):
                bad = next(f for f in fields if not f.isdigit())
                position = fields.index(bad) + 1
                problems.add(
                    file, number, f"field {position}", f"{bad!r} is not a non-negative integer id"
                )
                continue
            user = fields[0]
            for item in fields[1:]:
                interactions.add(file, number, user, item, KIND, 0, weight, None, split)
    return assemble(None, interactions, catalogue_complete=False)
