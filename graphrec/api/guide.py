"""A Neo4j Browser guide for merchandisers: the saved queries, one slide each, with parameters
taken from the shop being served, so that every query shows real rows.

``graphrec serve`` serves it at ``/guides/merchandisers.html``; in Neo4j Browser run
``:guide http://127.0.0.1:8000/guides/merchandisers.html`` (the host must be in Neo4j's
``browser.remote_content_hostname_whitelist``). Each slide has two blocks to click and run: the
``:params`` of the demo shop, then the saved query itself, exactly as ``graphrec explore`` runs it.
"""

from __future__ import annotations

import html
from typing import Any

from graphrec.serving.results import ReasonKind
from graphrec.serving.service import Service
from graphrec.store.cypher import saved_queries, saved_query

#: (saved query, slide title, what a merchandiser learns, its parameters)
SLIDES: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "why_bought_with",
        "Why was this recommended?",
        "The shopper's own items that other shoppers bought together with the recommended one: "
        "the path behind the reason shown on the shop page.",
        ("user_id", "item_id"),
    ),
    (
        "why_same_brand",
        "Why: the same brand",
        "Items the shopper had of the recommended item's brand.",
        ("user_id", "item_id"),
    ),
    (
        "why_same_category",
        "Why: the same category",
        "Items the shopper had in the recommended item's category.",
        ("user_id", "item_id"),
    ),
    (
        "why_similar_shoppers",
        "Why: shoppers like this one",
        "How many other shoppers had one of this shopper's items and the recommended one.",
        ("user_id", "item_id"),
    ),
    (
        "bought_with",
        "Bought together",
        "What is bought with an item, strongest first (BOUGHT_WITH, from `graphrec derive`).",
        ("item_id", "limit"),
    ),
    (
        "brand_neighbourhood",
        "A brand's neighbourhood",
        "The brands bought together with this one, by shoppers over all their item pairs.",
        ("brand_id", "limit"),
    ),
    (
        "best_sellers",
        "Best sellers in a category tree",
        "Distinct buyers per item in a category and every category below it.",
        ("category_id", "limit"),
    ),
    (
        "similar_items",
        "Similar items",
        "The nearest items by the trained embeddings (SIMILAR_TO, written back by training).",
        ("item_id", "limit"),
    ),
    (
        "similar_by_vector",
        "Similar items by the vector index",
        "The same question answered by Neo4j's vector index over Item.embedding.",
        ("item_id", "limit"),
    ),
    (
        "coverage_gaps",
        "Coverage gaps",
        "In-stock items no recommendation path reaches: candidates for content, promotion or "
        "rules.",
        ("limit",),
    ),
]


def demo_parameters(service: Service, users_tried: int = 300) -> dict[str, Any]:
    """A shopper and an item recommended to them for a "bought together" reason (the first such
    among the first ``users_tried`` shoppers), the item they bought it with, its brand and
    category: the values every slide's ``:params`` block sets. Asked of the engine directly, so
    nothing is logged as served to these shoppers."""
    users: list[str] = []
    for batch in service.store.stream("users", batch_size=users_tried):
        users = batch.column(0).to_pylist()[:users_tried]
        break
    fallback: dict[str, Any] | None = None
    for user in users:
        for rec in service.engine.recommend(user, k=20, explore=0.0).items:
            picked = {
                "user_id": user,
                "item_id": rec.item.id,
                "seed_item_id": rec.item.id,
                "brand_id": rec.item.brand.id if rec.item.brand else None,
                "category_id": rec.item.category.id if rec.item.category else None,
                "limit": 10,
            }
            fallback = fallback or picked
            for reason in rec.reasons:
                nodes = reason.path.nodes
                if reason.kind == ReasonKind.BOUGHT_WITH and len(nodes) == 3:
                    return {**picked, "seed_item_id": nodes[1].id}
    return fallback or {"user_id": None, "item_id": None, "limit": 10}


def _params(names: tuple[str, ...], values: dict[str, Any]) -> str:
    """A ``:params`` command for these names; the item-centred slides start from the seed."""
    chosen = {
        name: values.get("seed_item_id" if name == "item_id" and "user_id" not in names else name)
        for name in names
    }
    fields = ", ".join(f"{name}: {_cypher_literal(value)}" for name, value in chosen.items())
    return f":params {{{fields}}}"


def _cypher_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def guide_html(service: Service, title: str = "graphrec for merchandisers") -> str:
    """The guide as Neo4j Browser reads it: ``<slide>`` elements, runnable ``<pre>`` blocks."""
    values = demo_parameters(service)
    queries = saved_queries(neo4j=True)  # every name SLIDES may show
    slides = [
        "<slide><h3>{}</h3><p>Each slide asks one question of this shop's graph. Click a grey "
        "block to copy it into the editor, then run it: first the <code>:params</code>, then "
        "the query. The values come from the shop being served: shopper <b>{}</b> was "
        "recommended item <b>{}</b>.</p><p>The same queries run from the command line: "
        "<code>graphrec explore NAME --set key=value</code>.</p></slide>".format(
            html.escape(title),
            html.escape(str(values.get("user_id"))),
            html.escape(str(values.get("item_id"))),
        )
    ]
    for name, heading, text, names in SLIDES:
        if name not in queries:
            continue
        statement = saved_query(name, neo4j=True)
        params = html.escape(_params(names, values), quote=False)
        slides.append(
            f"<slide><h3>{html.escape(heading)}</h3><p>{html.escape(text)}</p>"
            f'<pre class="code runnable">{params}</pre>'
            f'<pre class="code runnable" data-query="{name}">'
            f"{html.escape(statement, quote=False)}</pre>"
            f"<p><small>graphrec explore {name}</small></p></slide>"
        )
    body = "\n".join(slides)
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body>"
        f'<article class="guide">\n{body}\n</article></body></html>'
    )
