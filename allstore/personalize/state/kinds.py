"""What each kind of resource holds: one frozen dataclass per kind, its fields named as the API's
members (in Python), its wire shape computed by `Shaped.wire()`. A new kind of resource is a new
class here and an entry in KINDS."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Self

from allstore.personalize.state.resources import INTERNAL, NESTED, Resource, Shaped
from allstore.workshop.statuses import CREATE_FAILED, CREATE_PENDING


@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateSummary(Shaped):
    """A resource's latest update (latestCampaignUpdate, latestDatasetUpdate, ...): its status,
    CREATE PENDING > CREATE IN_PROGRESS > ACTIVE -or- CREATE FAILED, and its times."""

    status: str = CREATE_PENDING
    failure_reason: str | None = None
    creation_date_time: float = dataclasses.field(default_factory=time.time)
    last_updated_date_time: float = dataclasses.field(default_factory=time.time)

    def finished(self, status: str, failure_reason: str | None = None) -> Self:
        return dataclasses.replace(
            self, status=status, failure_reason=failure_reason, last_updated_date_time=time.time()
        )

    def failed(self, reason: str) -> Self:
        return self.finished(CREATE_FAILED, reason)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DatasetUpdate(UpdateSummary):
    """UpdateDataset's schema change: the dataset keeps its schema until this is ACTIVE."""

    schema_arn: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Schema(Resource):
    kind = "schema"
    label = "Schema"
    arn_member = "schemaArn"

    name: str
    schema: str  # the Avro JSON text, as given
    domain: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class DatasetGroup(Resource):
    kind = "dataset-group"
    label = "Dataset group"
    arn_member = "datasetGroupArn"

    name: str
    domain: str | None = None
    role_arn: str | None = None
    kms_key_arn: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Dataset(Resource):
    kind = "dataset"
    label = "Dataset"
    arn_member = "datasetArn"

    name: str
    dataset_group_arn: str
    dataset_type: str  # INTERACTIONS, ITEMS, USERS, ACTIONS or ACTION_INTERACTIONS
    schema_arn: str
    latest_dataset_update: DatasetUpdate | None = dataclasses.field(
        default=None, metadata={NESTED: DatasetUpdate}
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class DatasetImportJob(Resource):
    kind = "dataset-import-job"
    label = "Dataset import job"
    arn_member = "datasetImportJobArn"

    job_name: str
    dataset_arn: str
    data_source: dict[str, str]  # {"dataLocation": ...}
    role_arn: str | None = None
    import_mode: str = "FULL"
    publish_attribution_metrics_to_s3: bool | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Solution(Resource):
    kind = "solution"
    label = "Solution"
    arn_member = "solutionArn"

    name: str
    dataset_group_arn: str
    recipe_arn: str | None = None  # None for performAutoML
    perform_hpo: bool = False
    perform_auto_ml: bool = False
    event_type: str | None = None
    solution_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    auto_ml_result: dict[str, str] | None = None  # {"bestRecipeArn": ...} once a version trained
    perform_auto_training: bool | None = None
    perform_incremental_update: bool | None = None
    latest_solution_update: dict[str, Any] | None = None  # UpdateSolution's change

    @property
    def hyperparameter_overrides(self) -> dict[str, str]:
        """algorithmHyperParameters over featureTransformationParameters: both tune the training."""
        return {
            **(self.solution_config.get("featureTransformationParameters") or {}),
            **(self.solution_config.get("algorithmHyperParameters") or {}),
        }

    @property
    def event_value_threshold(self) -> float | None:
        threshold = self.solution_config.get("eventValueThreshold")
        return float(threshold) if threshold is not None else None

    @property
    def auto_ml_recipe_arns(self) -> list[str]:
        return list((self.solution_config.get("autoMLConfig") or {}).get("recipeList") or [])

    @property
    def auto_ml_metric(self) -> str | None:
        return (self.solution_config.get("autoMLConfig") or {}).get("metricName")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SolutionVersion(Resource):
    kind = "solution-version"
    label = "Solution version"
    arn_member = "solutionVersionArn"

    name: str | None = None
    solution_arn: str
    dataset_group_arn: str
    recipe_arn: str | None = None
    perform_hpo: bool = False
    perform_auto_ml: bool = False
    event_type: str | None = None
    solution_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    training_mode: str = "FULL"
    training_type: str = "MANUAL"
    training_hours: float | None = None
    tuned_hpo_params: dict[str, dict[str, str]] | None = None  # {"algorithmHyperParameters": ...}
    metrics: dict[str, float] | None = dataclasses.field(
        default=None, metadata=INTERNAL
    )  # GetSolutionMetrics' answer
    skipped_rows: int | None = dataclasses.field(
        default=None, metadata=INTERNAL
    )  # rows the training could not read

    @property
    def tuned_hyperparameters(self) -> dict[str, str]:
        return dict((self.tuned_hpo_params or {}).get("algorithmHyperParameters") or {})


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignUpdate(UpdateSummary):
    """A campaign's latest update: the deployment it is switching to, and how that went."""

    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Campaign(Resource):
    kind = "campaign"
    label = "Campaign"
    arn_member = "campaignArn"

    name: str
    solution_version_arn: str
    min_provisioned_tps: int = 1
    campaign_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    latest_campaign_update: CampaignUpdate | None = dataclasses.field(
        default=None, metadata={NESTED: CampaignUpdate}
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventTracker(Resource):
    kind = "event-tracker"
    label = "Event tracker"
    arn_member = "eventTrackerArn"

    name: str
    account_id: str
    tracking_id: str
    dataset_group_arn: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Filter(Resource):
    kind = "filter"
    label = "Filter"
    arn_member = "filterArn"

    name: str
    dataset_group_arn: str
    filter_expression: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class BatchInferenceJob(Resource):
    kind = "batch-inference-job"
    label = "Batch inference job"
    arn_member = "batchInferenceJobArn"

    job_name: str
    solution_version_arn: str
    filter_arn: str | None = None
    num_results: int
    job_input: dict[str, Any]  # {"s3DataSource": {"path": ...}}
    job_output: dict[str, Any]  # {"s3DataDestination": {"path": ...}}
    batch_inference_job_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    role_arn: str
    batch_inference_job_mode: str = "BATCH_INFERENCE"


@dataclasses.dataclass(frozen=True, kw_only=True)
class BatchSegmentJob(Resource):
    kind = "batch-segment-job"
    label = "Batch segment job"
    arn_member = "batchSegmentJobArn"

    job_name: str
    solution_version_arn: str
    filter_arn: str | None = None
    num_results: int
    job_input: dict[str, Any]
    job_output: dict[str, Any]
    role_arn: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecommenderUpdate(UpdateSummary):
    """A recommender's latest UpdateRecommender: the configuration it is switching to."""

    recommender_config: dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Recommender(Resource):
    """A domain use case trained and deployed in one resource (its model is stored under its ARN)."""

    kind = "recommender"
    label = "Recommender"
    arn_member = "recommenderArn"

    name: str
    dataset_group_arn: str
    recipe_arn: str
    recommender_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    model_metrics: dict[str, float] | None = None
    latest_recommender_update: RecommenderUpdate | None = dataclasses.field(
        default=None, metadata={NESTED: RecommenderUpdate}
    )

    @property
    def excluded_columns(self) -> dict[str, list[str]]:
        """trainingDataConfig.excludedDatasetColumns: dataset type → columns training leaves out."""
        training = self.recommender_config.get("trainingDataConfig") or {}
        return {
            key.upper(): list(value) for key, value in (training.get("excludedDatasetColumns") or {}).items()
        }

    @property
    def included_columns(self) -> dict[str, list[str]]:
        """trainingDataConfig.includedDatasetColumns: dataset type → the only columns training reads."""
        training = self.recommender_config.get("trainingDataConfig") or {}
        return {
            key.upper(): list(value) for key, value in (training.get("includedDatasetColumns") or {}).items()
        }

    @property
    def metadata_enabled(self) -> bool:
        return bool(self.recommender_config.get("enableMetadataWithRecommendations"))


@dataclasses.dataclass(frozen=True, kw_only=True)
class DatasetExportJob(Resource):
    kind = "dataset-export-job"
    label = "Dataset export job"
    arn_member = "datasetExportJobArn"

    job_name: str
    dataset_arn: str
    ingestion_mode: str = "PUT"
    role_arn: str
    job_output: dict[str, Any]  # {"s3DataDestination": {"path": ...}}


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataDeletionJob(Resource):
    kind = "data-deletion-job"
    label = "Data deletion job"
    arn_member = "dataDeletionJobArn"

    job_name: str
    dataset_group_arn: str
    data_source: dict[str, str]  # {"dataLocation": CSV of USER_IDs}
    role_arn: str
    num_deleted: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricAttribution(Resource):
    kind = "metric-attribution"
    label = "Metric attribution"
    arn_member = "metricAttributionArn"

    name: str
    dataset_group_arn: str
    metrics: list[dict[str, str]]  # [{"eventType", "metricName", "expression"}]
    metrics_output_config: dict[str, Any]  # {"s3DataDestination"?: {"path"}, "roleArn"}


# Parents before children: recovery finishes deletions children first (in reverse).
KINDS: tuple[type[Resource], ...] = (
    Schema,
    DatasetGroup,
    Dataset,
    DatasetImportJob,
    Solution,
    SolutionVersion,
    Campaign,
    EventTracker,
    Filter,
    BatchInferenceJob,
    BatchSegmentJob,
    Recommender,
    DatasetExportJob,
    DataDeletionJob,
    MetricAttribution,
)
# The kinds whose creation is background work a restart cuts off (it fails them).
JOB_KINDS: tuple[type[Resource], ...] = (
    DatasetImportJob,
    SolutionVersion,
    BatchInferenceJob,
    BatchSegmentJob,
    DatasetExportJob,
)  # DataDeletionJob has statuses of its own (PENDING, IN_PROGRESS, COMPLETED, FAILED); a
# Recommender's stop or start is finished, not failed, after a restart (ServiceState recovers it)
