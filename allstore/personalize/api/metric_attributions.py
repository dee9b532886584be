"""Metric attributions (AmazonPersonalize.<Operation>): which event types a dataset group reports
on and how (SAMPLECOUNT() or SUM(<dataset>.<COLUMN>)); the state layer's Attribution publishes the
values as events and imports arrive."""

from __future__ import annotations

from typing import Any

from allstore.personalize.errors import already_exists, invalid_input
from allstore.personalize.schemas import parse_schema
from allstore.personalize.state.attribution import parse_expression
from allstore.personalize.state.kinds import DatasetGroup, MetricAttribution, Schema
from allstore.personalize.state.resources import make_arn, paginate
from allstore.personalize.state.service_state import ServiceState

Result = dict[str, Any]
MAX_METRICS = 10


class MetricAttributionsApi:
    """Create/Describe/List/Update/Delete MetricAttribution and ListMetricAttributionMetrics."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    def _check(self, group_arn: str, metrics: list[Result]) -> None:
        """Unique metric names, valid expressions, SUM over a numeric column the dataset has."""
        names = [metric["metricName"] for metric in metrics]
        if len(set(names)) != len(names):
            raise invalid_input("Each metric of a metric attribution needs a name of its own.")
        if len(metrics) > MAX_METRICS:
            raise invalid_input(f"A metric attribution has at most {MAX_METRICS} metrics.")
        for metric in metrics:
            term = parse_expression(metric["expression"])
            if term is None:
                continue
            dataset = self.state.metadata.dataset_of(group_arn, term[0])
            if dataset is None:
                continue  # the service checks the column once the dataset exists
            field = parse_schema(self.store.get(Schema, dataset.schema_arn).schema).field(term[1])
            if field is None or not field.numeric:
                raise invalid_input(
                    f"{metric['expression']}: {term[0].title()} has no numeric column {term[1]}."
                )

    def create_metric_attribution(
        self, name: str, dataset_group_arn: str, metrics: list[Result], metrics_output_config: Result
    ) -> Result:
        group = self.store.active(DatasetGroup, dataset_group_arn)
        existing = self.store.select(MetricAttribution, lambda found: found.dataset_group_arn == group.arn)
        if existing:
            raise already_exists(
                f"Dataset group {group.arn} already has metric attribution {existing[0].arn}."
            )
        self._check(group.arn, metrics)
        arn = make_arn(MetricAttribution.kind, name)
        self.store.new(
            MetricAttribution(
                arn=arn,
                name=name,
                dataset_group_arn=group.arn,
                metrics=metrics,
                metrics_output_config=metrics_output_config,
            )
        )
        self.state.jobs.activate(MetricAttribution, arn)
        return {"metricAttributionArn": arn}

    def describe_metric_attribution(self, metric_attribution_arn: str) -> Result:
        return {"metricAttribution": self.store.get(MetricAttribution, metric_attribution_arn).wire()}

    def list_metric_attributions(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            MetricAttribution,
            "metricAttributions",
            next_token,
            max_results,
            lambda found: dataset_group_arn in (None, found.dataset_group_arn),
        )

    def list_metric_attribution_metrics(
        self,
        metric_attribution_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        if not metric_attribution_arn:
            raise invalid_input("metricAttributionArn is required.")
        metrics = self.store.get(MetricAttribution, metric_attribution_arn).metrics
        page, token = paginate(metrics, next_token, max_results)
        return {"metrics": page, "nextToken": token}

    def update_metric_attribution(
        self,
        metric_attribution_arn: str | None = None,
        add_metrics: list[Result] | None = None,
        remove_metrics: list[str] | None = None,
        metrics_output_config: Result | None = None,
    ) -> Result:
        if not metric_attribution_arn:
            raise invalid_input("metricAttributionArn is required.")
        attribution = self.store.active(MetricAttribution, metric_attribution_arn)
        removing = set(remove_metrics or ())
        unknown = removing - {metric["metricName"] for metric in attribution.metrics}
        if unknown:
            raise invalid_input(f"The metric attribution has no metric {sorted(unknown)[0]}.")
        metrics = [metric for metric in attribution.metrics if metric["metricName"] not in removing]
        metrics += add_metrics or []
        self._check(attribution.dataset_group_arn, metrics)
        self.store.update(
            MetricAttribution,
            attribution.arn,
            metrics=metrics,
            metrics_output_config=metrics_output_config or attribution.metrics_output_config,
        )
        return {"metricAttributionArn": attribution.arn}

    def delete_metric_attribution(self, metric_attribution_arn: str) -> Result:
        self.store.usable(MetricAttribution, metric_attribution_arn)
        return self.state.delete(MetricAttribution, metric_attribution_arn)
