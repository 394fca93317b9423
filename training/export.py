"""Export the store to a training snapshot: ``python -m training.export [--store URL] OUT``.

The same as ``graphrec export``; kept here so that training jobs have one folder of entry points.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphrec.errors import GraphRecError
from graphrec.graph.snapshot import export_snapshot
from graphrec.store import open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the snapshot")
    parser.add_argument("--store", default=None, help="store URL (default: GRAPHREC_STORE)")
    args = parser.parse_args(argv)
    try:
        store = open_store(args.store)
        try:
            snapshot = export_snapshot(store)
        finally:
            store.close()
        snapshot.save(args.out)
    except GraphRecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"snapshot {snapshot.meta['fingerprint']} -> {args.out}: {snapshot.meta['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
