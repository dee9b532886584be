"""`allstore evaluate --report out.html`: one self-contained page a data scientist can keep or send.

It holds the interval table, the charts that make trade-offs visible (each model's NDCG@10 with its
95% interval, NDCG against catalogue coverage, each metric against K), what the lists recommend,
the segments (NDCG@10 by history length and for cold users, recall of warm and cold items; the
same table the terminal prints, from `evaluation_slices.slices_table`) and the manifest that makes
the run repeatable (commit, data hash, seeds, hyperparameters, timings). Charts are matplotlib
figures inlined as SVG, the page a jinja2 template with autoescaping: no script, no network.
"""

from __future__ import annotations

import io
import json
import platform
import re
import shutil
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import jinja2
import numpy as np
from matplotlib.figure import Figure

import allstore
from allstore.personalize.evaluation_slices import slices_table

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>allstore evaluate: {{ report["dataset"] }} ({{ report["protocol"] }})</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 90rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.best { font-weight: bold; }
figure { display: inline-block; margin: 0 1rem 1rem 0; vertical-align: top; }
figcaption { font-size: 0.85rem; color: #555; max-width: 32rem; }
.wide { overflow-x: auto; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; font-size: 0.8rem; }
</style>
</head>
<body>
<h1>{{ report["dataset"] }}: protocol {{ report["protocol"] }}</h1>
<p>{{ "{:,}".format(report["users"]) }} users, {{ "{:,}".format(report["items"]) }} items
{%- if report.get("users_evaluated") %}, {{ "{:,}".format(report["users_evaluated"]) }} users evaluated{% endif %}{%- if report.get("users_sampled_from") %} (a sample of {{ "{:,}".format(report["users_sampled_from"]) }}: --max-users){% endif %}
{%- if report["seeds"] | length > 1 %} (split seeds {{ report["seeds"] | join(", ") }} pooled){% endif %}.
Intervals: 95% bootstrap over users; p: two-sided Wilcoxon signed-rank test of the paired per-user
difference from the best model.</p>
{% macro accuracy(rows, metrics, best) %}
<div class="wide"><table>
<tr><th>model</th><th>{{ labels[primary] }}</th><th>95% CI</th><th>Δ best</th><th>p</th>
{% for metric in metrics if metric != primary %}<th>{{ labels[metric] }}</th>{% endfor %}<th>train s</th><th>score s</th></tr>
{% for row in rows %}
<tr{% if row.model == best %} class="best"{% endif %}><td>{{ row.model }}</td>
<td>{{ "%.4f" | format(row.get(primary)) if row.get(primary) is number else "–" }}</td>
{% set ci = row.get("interval_95", {}).get(primary) %}
<td>{{ "%.4f–%.4f" | format(ci[0], ci[1]) if ci else "–" }}</td>
{% set versus = row.get("vs_best", {}).get(primary) %}
<td>{{ "%+.4f" | format(versus.difference) if versus else ("best" if ci else "–") }}</td>
<td>{{ "%.2g" | format(versus.p_value) if versus else "–" }}</td>
{% for metric in metrics if metric != primary %}<td>{{ "%.4f" | format(row.get(metric)) if row.get(metric) is number else "–" }}</td>{% endfor %}
<td>{{ "%.2f" | format(row.get("train_seconds")) if row.get("train_seconds") is number else "–" }}</td>
<td>{{ "%.2f" | format(row.get("score_seconds")) if row.get("score_seconds") is number else "–" }}</td></tr>
{% endfor %}
</table></div>
{% endmacro %}
{% if report["results"] %}
<h2>Accuracy</h2>
{{ accuracy(report["results"], metrics, best) }}
{% endif %}
{% for chart in charts %}
<figure>{{ chart.svg | safe }}<figcaption>{{ chart.caption }}</figcaption></figure>
{% endfor %}
{% if beyond %}
<h2>What the top-{{ beyond_k }} lists recommend</h2>
<div class="wide"><table>
<tr><th>model</th>{% for key in beyond %}<th>{{ key.replace("_at_" ~ beyond_k, "").replace("_", " ") }}</th>{% endfor %}</tr>
{% for row in report["results"] if row.get("beyond_accuracy") %}
<tr><td>{{ row.model }}</td>{% for key in beyond %}
<td>{{ "%.4g" | format(row.beyond_accuracy[key]) if key in row.beyond_accuracy else "–" }}</td>{% endfor %}</tr>
{% endfor %}
</table></div>
{% endif %}
{% if segments %}
<h2>{{ labels[primary] }} by segment</h2>
<p>{{ labels[primary] }} by the number of interactions in each test user's input (users in brackets)
{%- if "cold users" in segments.header %}, and for cold users (no history before the cut-off){% endif %};
then the recall of the relevant items the training part has interactions with (warm) and of those
it has none with (cold: only item metadata can bring them up), with how many of the relevant items
are cold and their share. Of the first split seed.</p>
<div class="wide"><table>
<tr><th>model</th>{% for name in segments.header %}<th>{{ name }}</th>{% endfor %}</tr>
{% for model, cells in segments.rows %}
<tr><td>{{ model }}</td>{% for cell in cells %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</table></div>
{% endif %}
{% if ranking %}
<h2>Re-ranking candidate lists</h2>
<p>Re-rankers (Personalized-Ranking) order a list they are given, so they are scored on each test
user's candidate list, not on the whole catalogue: {{ ranking["candidates"]["rule"] }}. The
baselines re-rank the same lists; the figures are not comparable with the table above (ordering
{{ ranking["candidates"]["per_user"] }} candidates is an easier task)
{%- if ranking.get("users_evaluated") %}. {{ "{:,}".format(ranking["users_evaluated"]) }} users evaluated{% endif %}.</p>
{{ accuracy(ranking["results"], ranking_metrics, ranking_best) }}
{% endif %}
<h2>Manifest</h2>
<pre>{{ manifest }}</pre>
</body>
</html>
"""


def manifest(report: dict, data_sha256: str, seconds: float, config: dict | None) -> dict:
    """What repeats the run: the code's commit, the data's hash, protocol, seeds, K, cut-off, each
    model's hyperparameters and timings (the ranking task's apart, with its candidate rule), the
    wall clock, and the config file's settings."""
    return {
        "commit": _commit(),
        "allstore_version": metadata.version("allstore"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "data_sha256": data_sha256,
        "protocol": report["protocol"],
        "seeds": report["seeds"],
        "models": _models(report["results"]),
        **(
            {"ranking": {"candidates": ranking["candidates"], "models": _models(ranking["results"])}}
            if (ranking := report.get("ranking"))
            else {}
        ),
        "seconds": round(seconds, 3),
        "config": config,
    }


def _models(rows: Sequence[dict]) -> dict:
    return {
        row["model"]: {
            "hyperparameters": row.get("hyperparameters"),
            "tuning": row.get("tuning"),
            "train_seconds": row.get("train_seconds"),
            "score_seconds": row.get("score_seconds"),
        }
        for row in rows
    }


def _commit() -> str | None:
    """The commit of the checkout the allstore package runs from ("+dirty" with local changes);
    None when it is not in a git checkout or git is not installed."""
    head = _git("rev-parse", "HEAD")
    changed = _git("status", "--porcelain", "--untracked-files=no")
    return None if head is None else head + ("+dirty" if changed else "")


def _git(*arguments: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    folder = Path(allstore.__file__).resolve().parent
    try:
        completed = subprocess.run(  # noqa: S603 - git found on PATH, our own arguments
            [git, "-C", str(folder), *arguments], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip()


def write_report(path: Path, report: dict, labels: dict[str, str], primary: str) -> None:
    """The page for `report` (the JSON object the command prints, manifest included)."""
    ranking = report.get("ranking")
    metrics = _metrics(report["results"])
    ranking_metrics = _metrics(ranking["results"]) if ranking else []
    beyond = list(dict.fromkeys(key for row in report["results"] for key in row.get("beyond_accuracy") or {}))
    cutoffs = sorted({int(key.rsplit("_", 1)[1]) for key in beyond})
    beyond_k = 10 if 10 in cutoffs else cutoffs[0] if cutoffs else 10
    beyond = [key for key in beyond if key.endswith(f"_at_{beyond_k}")]  # the JSON has every K
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    page = environment.from_string(PAGE).render(
        report=report,
        metrics=metrics,
        labels={key: labels.get(key, key) for key in [*metrics, *ranking_metrics, primary]},
        primary=primary,
        best=_best(report["results"], primary),
        ranking=ranking,
        ranking_metrics=ranking_metrics,
        ranking_best=_best(ranking["results"], primary) if ranking else None,
        beyond=beyond,
        beyond_k=beyond_k,
        charts=charts(report, primary, labels),
        segments=_segments(report["results"], primary),
        manifest=json.dumps(report.get("manifest"), indent=2),
    )
    path.write_text(page)


def _metrics(rows: Sequence[dict]) -> list[str]:
    """The metrics the rows report (floats, not the timings), in order of first appearance."""
    return list(
        dict.fromkeys(
            key
            for row in rows
            for key, value in row.items()
            if key != "model" and isinstance(value, float) and not key.endswith("_seconds")
        )
    )


def _best(rows: Sequence[dict], primary: str) -> str | None:
    scored = [row for row in rows if primary in row]
    return max(scored, key=lambda row: row[primary])["model"] if scored else None


def _segments(rows: Sequence[dict], primary: str) -> dict | None:
    found = slices_table(rows, primary) if re.fullmatch(r".+_at_\d+", primary) else None
    return None if found is None else {"header": found[0], "rows": found[1]}


def charts(report: dict, primary: str, labels: dict[str, str]) -> list[dict]:
    """The page's figures as {"svg", "caption"}; a chart the run has no data for is left out."""
    rows = [row for row in report["results"] if primary in row]
    found = []
    with_intervals = [row for row in rows if primary in row.get("interval_95", {})]
    if with_intervals:
        found.append(
            {
                "svg": _error_bars(with_intervals, primary, labels.get(primary, primary)),
                "caption": f"{labels.get(primary, primary)} of each model with its 95% bootstrap interval over users.",
            }
        )
    coverage_key = next(
        (
            key
            for key in ("catalogue_coverage_at_10",)
            if any(key in (row.get("beyond_accuracy") or {}) for row in rows)
        ),
        None,
    )
    if coverage_key:
        found.append(
            {
                "svg": _accuracy_vs_coverage(rows, primary, coverage_key, labels.get(primary, primary)),
                "caption": "Accuracy against the share of the catalogue the top-10 lists recommend: up and right "
                "is better on both.",
            }
        )
    curves = _metric_families(rows)
    if curves:
        found.append(
            {
                "svg": _metric_vs_k(rows, curves),
                "caption": "Each metric against the cut-off K (--k).",
            }
        )
    return found


def _metric_families(rows: Sequence[dict]) -> dict[str, list[tuple[int, str]]]:
    """Metric families measured at two or more K: {family: [(K, key), ...]}."""
    families: dict[str, dict[int, str]] = {}
    for row in rows:
        for key in row:
            match = re.fullmatch(r"(.+)_at_(\d+)", key)
            if match and isinstance(row[key], float) and match.group(1) != "mean_reciprocal_rank":
                families.setdefault(match.group(1), {})[int(match.group(2))] = key
    return {family: sorted(by_k.items()) for family, by_k in families.items() if len(by_k) >= 2}


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue and DOCTYPE: the SVG sits inside HTML


def _error_bars(rows: Sequence[dict], primary: str, label: str) -> str:
    ordered = sorted(rows, key=lambda row: row[primary])
    means = np.array([row[primary] for row in ordered])
    low = np.array([row["interval_95"][primary][0] for row in ordered])
    high = np.array([row["interval_95"][primary][1] for row in ordered])
    figure = Figure(figsize=(6, 0.45 * len(ordered) + 1.2))
    axes = figure.subplots()
    axes.errorbar(means, range(len(ordered)), xerr=[means - low, high - means], fmt="o", capsize=4)
    axes.set_yticks(range(len(ordered)), [row["model"] for row in ordered])
    axes.set_xlabel(f"{label} (95% CI)")
    axes.grid(axis="x", alpha=0.3)
    return _svg(figure)


def _accuracy_vs_coverage(rows: Sequence[dict], primary: str, coverage_key: str, label: str) -> str:
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    for row in rows:
        coverage = (row.get("beyond_accuracy") or {}).get(coverage_key)
        if coverage is not None:
            axes.scatter(coverage, row[primary])
            axes.annotate(row["model"], (coverage, row[primary]), textcoords="offset points", xytext=(5, 5))
    axes.set_xlabel("catalogue coverage of the top-10 lists")
    axes.set_ylabel(label)
    axes.grid(alpha=0.3)
    return _svg(figure)


def _metric_vs_k(rows: Sequence[dict], families: dict[str, list[tuple[int, str]]]) -> str:
    figure = Figure(figsize=(4.2 * len(families), 3.6))
    for axes, (family, points) in zip(
        figure.subplots(1, len(families), squeeze=False)[0], families.items(), strict=True
    ):
        for row in rows:
            present = [(k, row[key]) for k, key in points if key in row]
            axes.plot(
                [k for k, _ in present], [value for _, value in present], marker="o", label=row["model"]
            )
        axes.set_xscale("log")
        axes.minorticks_off()
        axes.set_xticks([k for k, _ in points], [str(k) for k, _ in points])
        axes.set_xlabel("K")
        axes.set_title(family.replace("_", " "))
        axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    return _svg(figure)
