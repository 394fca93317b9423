"""Train a model: ``python -m training.train [--model NAME] [--snapshot DIR] ...``.

The same as ``graphrec train`` (every option of ``graphrec train --help``); kept here so that
training jobs have one folder of entry points.
"""

from __future__ import annotations

import sys

from graphrec.cli import app


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    app(["train", *args], prog_name="python -m training.train")


if __name__ == "__main__":
    main()
