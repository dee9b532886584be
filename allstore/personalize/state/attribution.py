"""Metric attributions at work: what each recorded event or incrementally imported interaction adds
to the dataset group's metrics, published where the service publishes them — CloudWatch for events
(PutMetricData, namespace AWS/Personalize, by metric attribution and event attribution source) and
the attribution's S3 folder for imports that ask for it (publishAttributionMetricsToS3).

The source of an event is its metricAttribution.eventAttributionSource, else the campaign whose
recommendation it names (recommendationId), else SOURCE_NAME_UNDEFINED, as the developer guide has
it. boto3 reaches CloudWatch and S3 through AWS_ENDPOINT_URL_<SERVICE> (moto locally); a metric
that cannot be published is logged, never an error of the PutEvents or import that caused it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import boto3
import numpy as np

from allstore.personalize.errors import invalid_input
from allstore.personalize.state.kinds import MetricAttribution
from allstore.personalize.state.metadata import Metadata
from allstore.personalize.state.objects import write_text
from allstore.personalize.state.resources import ResourceStore
from allstore.workshop.statuses import ACTIVE

logger = logging.getLogger(__name__)
NAMESPACE = "AWS/Personalize"
UNDEFINED_SOURCE = "SOURCE_NAME_UNDEFINED"
MAX_REMEMBERED_RECOMMENDATIONS = 100_000
_EXPRESSION = re.compile(
    r"^\s*(?:SAMPLECOUNT\(\s*\)|SUM\(\s*(Items|Interactions)\.([A-Za-z_][A-Za-z0-9_]*)\s*\))\s*$", re.I
)


def parse_expression(expression: str) -> tuple[str, str] | None:
    """None for SAMPLECOUNT(), or (dataset, FIELD) for SUM(Items.FIELD) / SUM(Interactions.FIELD)."""
    match = _EXPRESSION.match(expression)
    if match is None:
        raise invalid_input(
            f"metric expression {expression!r} must be SAMPLECOUNT() or SUM(Items.<COLUMN>) / "
            "SUM(Interactions.<COLUMN>)."
        )
    if match.group(1) is None:
        return None
    return match.group(1).upper(), match.group(2).upper()


@dataclass(frozen=True)
class Interaction:
    """What a metric reads of one event or imported row."""

    event_type: str
    item_id: str | None
    values: Mapping[str, float]  # numeric Interactions columns (EVENT_VALUE, ...)
    source: str | None = None
    recommendation_id: str | None = None


class Attribution:
    """Computes and publishes metric attribution values; remembers recent recommendation ids."""

    def __init__(self, resources: ResourceStore, metadata: Metadata) -> None:
        self.resources = resources
        self.metadata = metadata
        self._lock = threading.Lock()
        self._recommendations: OrderedDict[str, str] = OrderedDict()

    def remember(self, recommendation_id: str, source_arn: str) -> None:
        """The campaign behind a recommendation, so an event naming it is attributed to it."""
        with self._lock:
            self._recommendations[recommendation_id] = source_arn
            while len(self._recommendations) > MAX_REMEMBERED_RECOMMENDATIONS:
                self._recommendations.popitem(last=False)

    def _source(self, interaction: Interaction) -> str:
        if interaction.source:
            return interaction.source
        with self._lock:
            found = self._recommendations.get(interaction.recommendation_id or "")
        return found or UNDEFINED_SOURCE

    def _attribution(self, group_arn: str) -> MetricAttribution | None:
        found = self.resources.select(
            MetricAttribution, lambda attribution: attribution.dataset_group_arn == group_arn
        )
        return found[0] if found and found[0].status == ACTIVE else None

    def values(
        self, attribution: MetricAttribution, interactions: Iterable[Interaction]
    ) -> dict[tuple[str, str], float]:
        """(metricName, source) → the metric's total over these interactions."""
        items = self.metadata.rows(attribution.dataset_group_arn, "ITEMS")
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for interaction in interactions:
            for metric in attribution.metrics:
                if metric["eventType"] != interaction.event_type:
                    continue
                term = parse_expression(metric["expression"])
                if term is None:
                    value = 1.0
                elif term[0] == "ITEMS":
                    row = items.get(interaction.item_id or "", {})
                    value = _number(next((v for k, v in row.items() if k.upper() == term[1]), None))
                else:
                    value = _number(interaction.values.get(term[1]))
                totals[(metric["metricName"], self._source(interaction))] += value
        return dict(totals)

    def publish_events(self, group_arn: str, interactions: list[Interaction]) -> None:
        """Recorded events' metrics to CloudWatch."""
        attribution = self._attribution(group_arn)
        if attribution is None:
            return
        totals = self.values(attribution, interactions)
        if not totals:
            return
        data = [
            {
                "MetricName": name,
                "Dimensions": [
                    {"Name": "MetricAttributionArn", "Value": attribution.arn},
                    {"Name": "EventAttributionSource", "Value": source},
                ],
                "Value": value,
                "Unit": "None",
            }
            for (name, source), value in sorted(totals.items())
        ]
        try:
            cloudwatch = boto3.client("cloudwatch")
            for start in range(0, len(data), 1000):
                cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + 1000])
        except Exception:  # the events are recorded; only their metric is lost
            logger.exception("metric attribution %s: publishing to CloudWatch failed", attribution.arn)

    def publish_import(self, group_arn: str, job_name: str, columns: Mapping[str, np.ndarray]) -> None:
        """An incremental import's metrics (its Interactions rows) as CSV in the attribution's S3 folder."""
        attribution = self._attribution(group_arn)
        destination = (
            (attribution.metrics_output_config.get("s3DataDestination") or {}) if attribution else {}
        )
        if attribution is None or not destination.get("path"):
            return
        rows = len(columns["ITEM_ID"])

        def cells(name: str) -> list:
            return columns[name].tolist() if name in columns else [None] * rows

        numeric = {name: column.tolist() for name, column in columns.items() if column.dtype.kind in "if"}
        event_types, items = cells("EVENT_TYPE"), cells("ITEM_ID")
        sources, recommendations = cells("EVENT_ATTRIBUTION_SOURCE"), cells("RECOMMENDATION_ID")
        interactions = [
            Interaction(
                event_type=event_types[row] or "",
                item_id=items[row],
                values={name: values[row] for name, values in numeric.items()},
                source=sources[row] or None,
                recommendation_id=recommendations[row] or None,
            )
            for row in range(rows)
        ]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["METRIC_NAME", "EVENT_ATTRIBUTION_SOURCE", "VALUE", "TIMESTAMP"])
        now = int(time.time())
        for (name, source), value in sorted(self.values(attribution, interactions).items()):
            writer.writerow([name, source, repr(value), now])
        try:
            write_text(destination["path"], f"{job_name}-metrics.csv", out.getvalue())
        except Exception:
            logger.exception("metric attribution %s: writing to S3 failed", attribution.arn)


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0
