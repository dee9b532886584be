"""Schemas, dataset groups, datasets and dataset import jobs (AmazonPersonalize.<Operation>): the
data a dataset group holds, read from S3 or a local path in the background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allstore.personalize.errors import JobFailed, in_use, invalid_input
from allstore.personalize.schemas import DATASET_TYPES, parse_schema
from allstore.personalize.state.datasets import BULK, parse_csv, read_csv_text
from allstore.personalize.state.kinds import (
    Dataset,
    DatasetGroup,
    DatasetImportJob,
    DatasetUpdate,
    EventTracker,
    Recommender,
    Schema,
    Solution,
    SolutionVersion,
)
from allstore.personalize.state.resources import make_arn
from allstore.personalize.state.service_state import ServiceState
from allstore.workshop.statuses import ACTIVE, IN_PROGRESS

Result = dict[str, Any]


class DatasetsApi:
    """Schemas, dataset groups, datasets and their import jobs."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    # -- schemas ----------------------------------------------------------------------------------

    def create_schema(self, name: str, schema: str, domain: str | None = None) -> Result:
        parse_schema(schema)
        arn = make_arn(Schema.kind, name)
        self.store.new(Schema(arn=arn, name=name, schema=schema, domain=domain))
        self.store.update(Schema, arn, status=ACTIVE)
        return {"schemaArn": arn}

    def describe_schema(self, schema_arn: str) -> Result:
        return {"schema": self.store.get(Schema, schema_arn).wire()}

    def list_schemas(self, next_token: str | None = None, max_results: int | None = None) -> Result:
        return self.store.list_page(Schema, "schemas", next_token, max_results)

    def delete_schema(self, schema_arn: str) -> Result:
        self.store.get(Schema, schema_arn)
        users = self.store.select(Dataset, lambda dataset: dataset.schema_arn == schema_arn)
        if users:
            raise in_use(f"Schema {schema_arn} is used by dataset {users[0].arn}.")
        self.store.remove(Schema, schema_arn)
        return {}

    # -- dataset groups ---------------------------------------------------------------------------

    def create_dataset_group(
        self,
        name: str,
        role_arn: str | None = None,
        kms_key_arn: str | None = None,
        domain: str | None = None,
    ) -> Result:
        arn = make_arn(DatasetGroup.kind, name)
        self.store.new(
            DatasetGroup(arn=arn, name=name, domain=domain, role_arn=role_arn, kms_key_arn=kms_key_arn)
        )
        self.state.jobs.activate(DatasetGroup, arn)
        return {"datasetGroupArn": arn, "domain": domain}

    def describe_dataset_group(self, dataset_group_arn: str) -> Result:
        return {"datasetGroup": self.store.get(DatasetGroup, dataset_group_arn).wire()}

    def list_dataset_groups(self, next_token: str | None = None, max_results: int | None = None) -> Result:
        return self.store.list_page(DatasetGroup, "datasetGroups", next_token, max_results)

    def delete_dataset_group(self, dataset_group_arn: str) -> Result:
        arn = dataset_group_arn
        self.store.usable(DatasetGroup, arn)
        for kind, label in (
            (Dataset, "datasets"),
            (Solution, "solutions"),
            (EventTracker, "event trackers"),
            (Recommender, "recommenders"),
        ):
            if self.store.select(kind, lambda member: member.dataset_group_arn == arn):
                raise in_use(f"Dataset group {arn} still has {label}; delete them first.")

        return self.state.delete(DatasetGroup, arn)

    # -- datasets and imports ---------------------------------------------------------------------

    def create_dataset(self, name: str, schema_arn: str, dataset_group_arn: str, dataset_type: str) -> Result:
        group = self.store.usable(DatasetGroup, dataset_group_arn)
        schema = self.store.usable(Schema, schema_arn)
        kind = dataset_type.upper()
        if kind not in DATASET_TYPES:
            raise invalid_input(
                f"datasetType must be one of Interactions, Items, Users, Actions, Action_Interactions, not {dataset_type!r}."
            )
        if schema.domain != group.domain:
            raise invalid_input(
                f"Schema {schema.arn} is for the {schema.domain or 'custom'} domain; dataset group "
                f"{group.arn} is {group.domain or 'a custom dataset group'}."
            )
        parse_schema(schema.schema).check_dataset_type(kind, group.domain)
        arn = make_arn(Dataset.kind, f"{group.name}/{kind}")
        self.store.new(
            Dataset(arn=arn, name=name, dataset_group_arn=group.arn, dataset_type=kind, schema_arn=schema_arn)
        )
        self.state.jobs.activate(Dataset, arn)
        return {"datasetArn": arn}

    def describe_dataset(self, dataset_arn: str) -> Result:
        return {"dataset": self.store.get(Dataset, dataset_arn).wire()}

    def list_datasets(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            Dataset, "datasets", next_token, max_results, dataset_group_arn=dataset_group_arn
        )

    def delete_dataset(self, dataset_arn: str) -> Result:
        dataset = self.store.usable(Dataset, dataset_arn)
        if self.state.importing({dataset_arn}):
            raise in_use(f"Dataset {dataset_arn} has an import job in progress.")
        if self.store.select(
            SolutionVersion,
            lambda version: (
                version.dataset_group_arn == dataset.dataset_group_arn and version.status in IN_PROGRESS
            ),
        ):
            raise in_use(f"A solution version of dataset group {dataset.dataset_group_arn} is training.")

        return self.state.delete(Dataset, dataset_arn)

    def update_dataset(self, dataset_arn: str, schema_arn: str) -> Result:
        """Replace the dataset's schema (the stored rows must hold every required field of it): the
        update goes through its statuses in latestDatasetUpdate, and the dataset keeps its schema
        until the update is ACTIVE."""
        dataset = self.store.active(Dataset, dataset_arn)
        if self._updating(dataset):
            raise in_use(f"Dataset {dataset_arn} is already being updated.")
        if self.state.importing({dataset.arn}):
            raise in_use(f"Dataset {dataset_arn} has an import job in progress.")
        schema = parse_schema(self.store.usable(Schema, schema_arn).schema)
        schema.check_dataset_type(dataset.dataset_type)
        columns = self.state.datasets.load(dataset.arn) or {}
        if columns and len(next(iter(columns.values()))):
            missing = [
                field.name for field in schema.fields if not field.nullable and field.name not in columns
            ]
            if missing:
                raise invalid_input(
                    f"Schema {schema_arn} requires {missing[0]}, which the dataset's data does not have; "
                    "make the new field nullable."
                )
        update = DatasetUpdate(schema_arn=schema_arn)
        self.store.update(Dataset, dataset.arn, latest_dataset_update=update)

        def prepare() -> Callable[[], None]:
            def apply() -> None:
                self.store.update(Dataset, dataset.arn, schema_arn=schema_arn)
                self.state.metadata.changed()

            return apply

        self.state.jobs.update(Dataset, dataset.arn, "latest_dataset_update", update, prepare)
        return {"datasetArn": dataset.arn}

    @staticmethod
    def _updating(dataset: Dataset) -> bool:
        return (
            dataset.latest_dataset_update is not None and dataset.latest_dataset_update.status in IN_PROGRESS
        )

    def create_dataset_import_job(
        self,
        job_name: str,
        dataset_arn: str,
        data_source: dict[str, str],
        role_arn: str | None = None,
        import_mode: str = "FULL",
        publish_attribution_metrics_to_s3: bool | None = None,
    ) -> Result:
        dataset = self.store.usable(Dataset, dataset_arn)  # no need to wait: creation is instant
        location = data_source.get("dataLocation")
        if not location:
            raise invalid_input("dataSource.dataLocation is required (s3://bucket/key, file:// or a path).")
        if self.state.importing({dataset.arn}):
            raise in_use(f"Dataset {dataset.arn} already has an import job in progress.")
        if self._updating(dataset):
            raise in_use(
                f"Dataset {dataset.arn} is being updated (UpdateDataset); import after it is ACTIVE."
            )
        arn = make_arn(DatasetImportJob.kind, job_name)
        self.store.new(
            DatasetImportJob(
                arn=arn,
                job_name=job_name,
                dataset_arn=dataset.arn,
                data_source={"dataLocation": location},
                role_arn=role_arn,
                import_mode=import_mode,
                publish_attribution_metrics_to_s3=publish_attribution_metrics_to_s3,
            )
        )
        schema = parse_schema(self.store.get(Schema, dataset.schema_arn).schema)

        def load() -> None:
            columns = parse_csv(read_csv_text(location), schema)
            if not len(next(iter(columns.values()))):
                raise JobFailed(f"{location} has no rows")
            if import_mode == "FULL":  # replaces the bulk rows; PutItems/PutUsers rows stay
                self.state.datasets.replace_bulk(dataset.arn, columns)
            else:
                self.state.datasets.append(dataset.arn, columns, BULK)
            self.state.metadata.changed()
            if (
                publish_attribution_metrics_to_s3
                and import_mode == "INCREMENTAL"
                and dataset.dataset_type == "INTERACTIONS"
            ):
                self.state.attribution.publish_import(dataset.dataset_group_arn, job_name, columns)

        self.state.jobs.activate(DatasetImportJob, arn, load, long=True)
        return {"datasetImportJobArn": arn}

    def describe_dataset_import_job(self, dataset_import_job_arn: str) -> Result:
        return {"datasetImportJob": self.store.get(DatasetImportJob, dataset_import_job_arn).wire()}

    def list_dataset_import_jobs(
        self, dataset_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Result:
        return self.store.list_page(
            DatasetImportJob, "datasetImportJobs", next_token, max_results, dataset_arn=dataset_arn
        )
