"""GraphiQL, served from the package, no CDN: a browser's GET ``/graphql`` (Accept: text/html)
gets :file:`graphiql.html`, which loads graphiql, React and ReactDOM from ``/graphiql/``
(vendored in :file:`static/graphiql/`; ``tools/graphiql/update.sh`` refreshes them).

Only the names of :data:`ASSETS` are served: a request's path is looked up in that table, never
joined to a folder. The files are read on first use and kept.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from pathlib import Path
from typing import Any

#: Where the assets are served.
PREFIX = "/graphiql/"
#: The files served under :data:`PREFIX`, with their content types.
ASSETS: dict[str, bytes] = {
    "graphiql.min.js": b"application/javascript; charset=utf-8",
    "graphiql.min.css": b"text/css; charset=utf-8",
    "react.production.min.js": b"application/javascript; charset=utf-8",
    "react-dom.production.min.js": b"application/javascript; charset=utf-8",
    "LICENSES.txt": b"text/plain; charset=utf-8",
    "VERSIONS": b"text/plain; charset=utf-8",
}
FOLDER = Path(__file__).parent / "static" / "graphiql"
HTML = b"text/html; charset=utf-8"
#: The page names the assets with ``?v=`` (a hash of VERSIONS), so a new version is a new URL.
CACHED = ((b"cache-control", b"public, max-age=31536000, immutable"),)
NOT_SNIFFED = (b"x-content-type-options", b"nosniff")
#: (status, body, content type, headers): what :func:`graphrec.api.app._respond` sends.
Answer = tuple[int, bytes, bytes, tuple[tuple[bytes, bytes], ...]]

OFF: Answer = (
    404,
    b"<!doctype html><meta charset='utf-8'><title>GraphiQL is off</title>"
    b"<p>GraphiQL is off on this server. <code>graphrec serve</code> turns it on when it binds "
    b"a loopback address (127.0.0.1, ::1, localhost), or anywhere with "
    b"<code>--graphiql</code>. The API answers POST /graphql.</p>\n",
    HTML,
    (),
)
NOT_FOUND: Answer = (404, b"no such GraphiQL file\n", b"text/plain; charset=utf-8", ())


def wants_page(scope: dict[str, Any]) -> bool:
    """Whether a request is a browser's visit: a GET that accepts HTML."""
    if scope["method"] != "GET":
        return False
    return any(name == b"accept" and b"text/html" in value for name, value in scope["headers"])


def on_by_default(host: str) -> bool:
    """Whether ``graphrec serve`` serves GraphiQL unless told: on a loopback address only."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GraphiQL:
    """The page and the assets, read from the package on first use and kept."""

    def __init__(self, folder: Path = FOLDER) -> None:
        self.folder = folder
        self._page: Answer | None = None
        self._assets: dict[str, Answer] = {}

    def page(self) -> Answer:
        if self._page is None:
            version = hashlib.sha256((self.folder / "VERSIONS").read_bytes()).hexdigest()[:12]
            text = (Path(__file__).parent / "graphiql.html").read_text(encoding="utf-8")
            text = text.replace("{{v}}", version)
            script = re.search(r"<script>(.*?)</script>", text, re.DOTALL)
            assert script is not None  # the page's own script: allowed by its hash alone
            digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest())
            policy = (
                b"default-src 'self'; script-src 'self' 'sha256-" + digest + b"'; "
                b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
                b"connect-src 'self'; frame-ancestors 'none'"
            )
            headers = ((b"content-security-policy", policy), NOT_SNIFFED)
            self._page = (200, text.encode(), HTML, headers)
        return self._page

    def asset(self, path: str) -> Answer:
        """The file ``path`` names (``/graphiql/<name>``), if :data:`ASSETS` has the name."""
        name = path.removeprefix(PREFIX)
        found = self._assets.get(name)
        if found is None:
            content_type = ASSETS.get(name)
            if content_type is None:
                return NOT_FOUND
            body = (self.folder / name).read_bytes()
            found = self._assets[name] = (200, body, content_type, (*CACHED, NOT_SNIFFED))
        return found
