"""Serving stands on its own: none of its modules imports Strawberry, GraphQL or torch (the
GraphQL types live in graphrec.api; torch comes only with GraphSAGE's encoder, when used)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import graphrec.serving


def test_no_serving_module_imports_strawberry_graphql_or_torch() -> None:
    modules = [
        f"graphrec.serving.{m.name}" for m in pkgutil.iter_modules(graphrec.serving.__path__)
    ]
    assert "graphrec.serving.engine" in modules and len(modules) > 20
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in ('torch', 'strawberry', 'graphql') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
