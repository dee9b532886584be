"""The workshop's offline metrics from two Personalize endpoints in one table: the local store's and AWS's.

A participant rehearses a step on the local store in seconds while the same step trains on AWS,
then compares GetSolutionMetrics of each workshop solution's latest version on both
(docs/workshop.md, "Rehearse locally, run on AWS"). Solutions are matched by what follows
`<stack>-workshop-` in their names, so the two stacks may be named differently. boto3 only.

    eval "$(allstore local env)"
    python -m allstore.workshop.metrics_comparison --stack NAME --profile P [--region R] [--local-stack NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from allstore.workshop.resources import SOLUTION, list_all


def workshop_prefix(stack: str) -> str:
    return f"{stack}-workshop-"


def latest_metrics(personalize: Any, stack: str) -> dict[str, dict[str, float] | None]:
    """Each workshop solution (by its short name) → its latest version's metrics, or None while that
    version is not ACTIVE (still training, or failed)."""
    prefix = workshop_prefix(stack)
    found: dict[str, dict[str, float] | None] = {}
    for summary in list_all(personalize, SOLUTION):
        if not summary["name"].startswith(prefix):
            continue
        solution = personalize.describe_solution(solutionArn=summary["solutionArn"])["solution"]
        latest = solution.get("latestSolutionVersion") or {}
        short = summary["name"].removeprefix(prefix)
        if latest.get("status") != "ACTIVE":
            found[short] = None
            continue
        metrics = personalize.get_solution_metrics(solutionVersionArn=latest["solutionVersionArn"])
        found[short] = dict(metrics["metrics"])
    return found


def compare(endpoints: Mapping[str, tuple[Any, str]]) -> list[dict[str, Any]]:
    """One row per (solution, metric) with a column per endpoint: `endpoints` maps a label (e.g.
    "local", "aws") to (personalize client, stack name). A value is None where that endpoint has no
    such solution or its latest version has not finished training."""
    metrics = {label: latest_metrics(client, stack) for label, (client, stack) in endpoints.items()}
    solutions = sorted({name for found in metrics.values() for name in found})
    rows = []
    for solution in solutions:
        keys = sorted({key for found in metrics.values() for key in (found.get(solution) or {})})
        for key in keys:
            row: dict[str, Any] = {"solution": solution, "metric": key}
            for label, found in metrics.items():
                row[label] = (found.get(solution) or {}).get(key)
            rows.append(row)
    return rows


def format_table(rows: Sequence[Mapping[str, Any]], labels: Sequence[str]) -> str:
    """`compare`'s rows as aligned text, values to 4 decimals, "-" for None."""
    header = ["solution", "metric", *labels]
    lines = [
        [str(row["solution"]), str(row["metric"])]
        + ["-" if row[label] is None else f"{row[label]:.4f}" for label in labels]
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in [header, *lines]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run in a shell where `eval "$(allstore local env)"` pointed boto3 at the local store: its
    client is the local one; the AWS one is the profile's, with the configured endpoints ignored."""
    parser = argparse.ArgumentParser(
        prog="python -m allstore.workshop.metrics_comparison", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True, help="the AWS stack the notebooks ran in")
    parser.add_argument("--local-stack", help="the local store's stack name (default: $CF_STACK_NAME)")
    parser.add_argument("--profile", required=True, help="the AWS profile (not the local store's keys)")
    parser.add_argument("--region", help="the AWS region (default: the profile's)")
    options = parser.parse_args(argv)
    local_stack = options.local_stack or os.environ.get("CF_STACK_NAME")
    if not local_stack or not os.environ.get("AWS_ENDPOINT_URL_PERSONALIZE"):
        parser.error('run `eval "$(allstore local env)"` first (or pass --local-stack)')

    import boto3
    from botocore.config import Config

    local_client = boto3.client("personalize")  # the endpoint and keys `allstore local env` exported
    aws_client = boto3.session.Session(profile_name=options.profile, region_name=options.region).client(
        "personalize", config=Config(ignore_configured_endpoint_urls=True)
    )
    endpoints = {"local": (local_client, local_stack), "aws": (aws_client, options.stack)}
    print(format_table(compare(endpoints), list(endpoints)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
