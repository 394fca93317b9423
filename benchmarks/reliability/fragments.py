"""How long a document of nested fragments takes to check, Strawberry's depth limiter against
graphrec's (graphrec/api/limits.py): each fragment spreads the next twice, so a naive walk
visits 2^levels paths. Both schemas are the same two-field toy; nothing else runs.

    python benchmarks/reliability/fragments.py [--levels 14 16 18] [--ours 30]
"""

from __future__ import annotations

import argparse
import time

import strawberry
from strawberry.extensions import AddValidationRules, QueryDepthLimiter

from graphrec.api.limits import MAX_DEPTH, DocumentLimits


@strawberry.type
class Item:
    id: str


@strawberry.type
class Query:
    @strawberry.field
    def trending(self, k: int = 1) -> list[Item]:
        return [Item(id="x")]


def nested_fragments(levels: int) -> str:
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ trending(k: 1) {{ id }} }}")
    return "\n".join(parts)


def seconds(schema: strawberry.Schema, levels: int) -> float:
    started = time.perf_counter()
    schema.execute_sync(nested_fragments(levels))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[14, 16, 18])
    parser.add_argument("--ours", type=int, nargs="+", default=[18, 30, 60])
    args = parser.parse_args()
    theirs = strawberry.Schema(
        query=Query, extensions=[lambda: QueryDepthLimiter(max_depth=MAX_DEPTH)]
    )
    ours = strawberry.Schema(query=Query, extensions=[lambda: AddValidationRules([DocumentLimits])])
    for levels in args.levels:
        a, b = seconds(theirs, levels), seconds(ours, levels)
        ratio = a / b
        print(f"{levels:3d} levels: QueryDepthLimiter {a:.3f} s, ", end="")
        print(f"DocumentLimits {b:.4f} s, {ratio:.0f}x")
    for levels in args.ours:
        print(f"{levels:3d} levels: DocumentLimits {seconds(ours, levels):.4f} s")


if __name__ == "__main__":
    main()
