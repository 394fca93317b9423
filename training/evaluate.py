"""Evaluate models side by side: ``python -m training.evaluate [ARTIFACT ...] ...``.

The same as ``graphrec evaluate`` (every option of ``graphrec evaluate --help``); kept here so that
training jobs have one folder of entry points.
"""

from __future__ import annotations

import sys

from graphrec.cli import app


def main(argv: list[str] | None = None) -> None:
    app(
        ["evaluate", *(sys.argv[1:] if argv is None else argv)],
        prog_name="python -m training.evaluate",
    )


if __name__ == "__main__":
    main()
