"""One HTML page people look at: every model and baseline side by side, training curves,
coverage and diversity, popularity bias, and the control-group lift, with plots.

The page is self-contained (plots embedded as PNG), so it can be mailed or archived as is.
"""

from __future__ import annotations

import base64
import html
import io
import time
from pathlib import Path
from typing import Any

from graphrec.serving.lift import Lift
from graphrec.training.compare import bar_figure

ACCURACY = ("recall", "ndcg", "precision", "hit", "map")
BEYOND = ("coverage", "diversity", "novelty", "popularity")


def _pick(row: dict[str, float], prefixes: tuple[str, ...]) -> list[str]:
    """For each prefix, the metric at k = 20 when there is one, else at the largest k
    (small catalogues are evaluated at fewer items)."""
    chosen = []
    for prefix in prefixes:
        ks = sorted(int(key.split("@")[1]) for key in row if key.startswith(f"{prefix}@"))
        if ks:
            chosen.append(f"{prefix}@{20 if 20 in ks else ks[-1]}")
    return chosen


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _bars(results: dict[str, Any], metrics: list[str], title: str) -> str | None:
    fig = bar_figure(results, metrics, title)
    return None if fig is None else _png(fig)


def _lift_plot(lift: Lift) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(4.5, 3.4))
    groups = [lift.personalized, lift.control]
    rates = [g.rate for g in groups]
    errors = [1.96 * (g.rate * (1 - g.rate) / max(g.answers, 1)) ** 0.5 for g in groups]
    axis.bar(
        ["personalised", "control"], rates, yerr=errors, capsize=6, color=["#2f6fde", "#9aa5b1"]
    )
    axis.set_ylabel("conversion rate (95 % CI)")
    axis.set_title("personalised vs popularity control")
    fig.tight_layout()
    return _png(fig)


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def html_report(
    results: dict[str, Any] | None,
    curves: dict[str, Path],
    lift: Lift | None,
    title: str = "graphrec report",
) -> str:
    """The page; ``results`` from :func:`graphrec.training.compare.compare`, ``curves`` maps a
    model label to its artifact's curve.png, ``lift`` from :func:`graphrec.serving.lift.lift`."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font:15px/1.45 system-ui,sans-serif;color:#1f2933;margin:24px auto;max-width:1200px}",
        "table{border-collapse:collapse;margin:8px 0 20px}td,th{padding:4px 10px;border-bottom:1px"
        " solid #d9dee4;text-align:right}th:first-child,td:first-child{text-align:left}"
        "img{max-width:100%;margin:6px 0}.best{font-weight:700}.note{color:#6b7785}",
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Made {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.</p>",
    ]
    if results is not None:
        split = results["split"]
        parts.append(
            f"<h2>Offline evaluation</h2><p>{html.escape(split['kind'])} split of data "
            f"{html.escape(results['data_fingerprint'])}: {split['users']:,} users, "
            f"{split['items']:,} items, {split['test']:,} test interactions. Full ranking over "
            "every item, each user's earlier items masked. Best value of each column in bold "
            "(for popularity, lower is less biased).</p>"
        )
        names = list(results["models"])
        first = results["models"][names[0]] if names else {}
        accuracy, beyond = _pick(first, ACCURACY), _pick(first, BEYOND)
        metrics = accuracy + beyond
        best: dict[str, float] = {}
        for metric in metrics:
            values = [results["models"][n].get(metric) for n in names]
            present = [v for v in values if v is not None]
            if present:
                lower_is_better = metric.startswith("popularity@")
                best[metric] = min(present) if lower_is_better else max(present)
        parts.append("<table><tr><th>model</th>" + "".join(f"<th>{m}</th>" for m in metrics))
        for name in names:
            row = results["models"][name]
            cells = []
            for metric in metrics:
                value = row.get(metric)
                mark = " class='best'" if value is not None and value == best.get(metric) else ""
                cells.append(f"<td{mark}>{'' if value is None else f'{value:.4g}'}</td>")
            parts.append(f"<tr><td>{html.escape(name)}</td>{''.join(cells)}</tr>")
        parts.append("</table>")
        for heading, chosen, label in (
            (None, accuracy[:2] + accuracy[-1:], "accuracy"),
            ("Coverage, diversity and popularity bias", beyond, "beyond accuracy"),
        ):
            if heading:
                parts.append(f"<h2>{heading}</h2>")
            plot = _bars(results, chosen, label)
            if plot is not None:
                parts.append(_img(plot, label))
    if curves:
        parts.append("<h2>Training curves</h2>")
        for label, path in curves.items():
            data = base64.b64encode(path.read_bytes()).decode()
            parts.append(f"<h3>{html.escape(label)}</h3>{_img(data, label)}")
    parts.append("<h2>Control-group lift</h2>")
    if lift is None:
        parts.append("<p class='note'>No serve log given (graphrec serve writes one).</p>")
    else:
        rows = "".join(
            f"<tr><td>{g.group}</td><td>{g.answers:,}</td><td>{g.converted:,}</td>"
            f"<td>{g.rate:.4f}</td></tr>"
            for g in (lift.personalized, lift.control)
        )
        parts.append(
            "<table><tr><th>group</th><th>answers</th><th>converted</th><th>rate</th></tr>"
            f"{rows}</table>"
        )
        if lift.relative is None:
            parts.append("<p>Lift is not defined yet: a group has no conversions.</p>")
        else:
            parts.append(
                f"<p>Lift {lift.relative:+.1%} (95 % CI {lift.relative_low:+.1%} .. "
                f"{lift.relative_high:+.1%}); conversion = {', '.join(lift.kinds)} within "
                f"{lift.window_s / 3600:g} h of an answer.</p>"
            )
        parts.append(_img(_lift_plot(lift), "lift"))
    parts.append("</body></html>")
    return "\n".join(parts)
