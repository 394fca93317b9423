"""A running ``graphrec serve`` on the embedded store, found by the commands that write to it.

The embedded store takes one writer. While ``graphrec serve`` holds it, it leaves a note beside
the store (``STORE.serving.json``: where it listens, its process id, and a token made at its
start); ``graphrec derive``, ``train``'s write-back, ``models activate | rollback`` and
``delete-user`` then find the note and ask the server to make the write, through the API's
mutations, instead of failing on the store's lock. The token stands for the API key: the note is
readable by its owner only, so whoever may write the store's files may ask (with no
``GRAPHREC_API_KEY`` set, the server takes mutations from them alone).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from graphrec.errors import GraphRecError, InvalidInput, StoreUnavailable

#: How long a command waits for the server's answer (a derive or a write-back takes a while).
TIMEOUT_SECONDS = 600.0


def note_of(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".serving.json")


class Running(NamedTuple):
    url: str  # its GraphQL endpoint
    token: str  # what stands for the API key


def announce(store_path: Path, url: str, token: str) -> Callable[[], None]:
    """Leave the note (``url``: the server's GraphQL endpoint; ``token``: what the server takes
    in place of the API key); returns what takes it away (the server calls it as it shuts
    down)."""
    note = note_of(store_path)
    note.unlink(missing_ok=True)
    text = json.dumps({"url": url, "pid": os.getpid(), "token": token}) + "\n"
    with os.fdopen(os.open(note, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(text)

    def take_away() -> None:
        try:
            if json.loads(note.read_text()).get("pid") == os.getpid():
                note.unlink()
        except (OSError, ValueError):
            pass

    return take_away


def server_of(store_path: Path) -> Running | None:
    """The live server that holds this store, if one left a note."""
    try:
        note = json.loads(note_of(store_path).read_text())
        pid, url, token = int(note["pid"]), str(note["url"]), str(note["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)  # no signal: only whether the process lives
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it lives, under another user
    return Running(url, token)


def ask(url: str, query: str, variables: dict[str, Any], api_key: str) -> dict[str, Any]:
    """Run a mutation on the server; its data, or a GraphRecError with the server's message."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {"content-type": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - our own server's URL
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise StoreUnavailable(
            f"the server at {url} that holds the store did not answer: {e}"
        ) from e
    errors = answer.get("errors")
    if errors:
        code = (errors[0].get("extensions") or {}).get("code")
        message = errors[0].get("message", "error")
        raise (InvalidInput if code in ("BAD_INPUT", "NOT_FOUND") else GraphRecError)(
            f"the server at {url}: {message}"
        )
    return dict(answer["data"])
