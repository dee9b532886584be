"""Schemas, dataset groups, datasets and dataset import jobs (AmazonPersonalize.<Operation>): the
data a dataset group holds, read from S3 or a local path in the background."""

from __future__ import annotations

from typing import Any

from allstore.personalize.errors import JobFailed, in_use, invalid_input
from allstore.personalize.schemas import DATASET_TYPES, parse_schema
from allstore.personalize.state.datasets import parse_csv, read_csv_text
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

    def create_schema(self, params: Result) -> Result:
        parse_schema(params["schema"])
        arn = make_arn("schema", params["name"])
        self.store.new(
            "schema",
            arn,
            {
                "name": params["name"],
                "schemaArn": arn,
                "schema": params["schema"],
                "domain": params.get("domain"),
            },
        )
        self.store.update("schema", arn, status=ACTIVE)
        return {"schemaArn": arn}

    def describe_schema(self, params: Result) -> Result:
        return {"schema": self.store.get("schema", params["schemaArn"])}

    def list_schemas(self, params: Result) -> Result:
        return self.store.list_page("schema", "schemas", params)

    def delete_schema(self, params: Result) -> Result:
        arn = params["schemaArn"]
        self.store.get("schema", arn)
        users = self.store.select("dataset", lambda dataset: dataset["schemaArn"] == arn)
        if users:
            raise in_use(f"Schema {arn} is used by dataset {users[0]['datasetArn']}.")
        self.store.remove("schema", arn)
        return {}

    # -- dataset groups ---------------------------------------------------------------------------

    def create_dataset_group(self, params: Result) -> Result:
        arn = make_arn("dataset-group", params["name"])
        self.store.new(
            "dataset-group",
            arn,
            {
                "name": params["name"],
                "datasetGroupArn": arn,
                "domain": params.get("domain"),
                "roleArn": params.get("roleArn"),
                "kmsKeyArn": params.get("kmsKeyArn"),
            },
        )
        self.state.jobs.activate("dataset-group", arn)
        return {"datasetGroupArn": arn, "domain": params.get("domain")}

    def describe_dataset_group(self, params: Result) -> Result:
        return {"datasetGroup": self.store.get("dataset-group", params["datasetGroupArn"])}

    def list_dataset_groups(self, params: Result) -> Result:
        return self.store.list_page("dataset-group", "datasetGroups", params)

    def delete_dataset_group(self, params: Result) -> Result:
        arn = params["datasetGroupArn"]
        self.store.usable("dataset-group", arn)
        for kind, label in (
            ("dataset", "datasets"),
            ("solution", "solutions"),
            ("event-tracker", "event trackers"),
        ):
            if self.store.select(kind, lambda document: document["datasetGroupArn"] == arn):
                raise in_use(f"Dataset group {arn} still has {label}; delete them first.")

        return self.state.delete("dataset-group", arn)

    # -- datasets and imports ---------------------------------------------------------------------

    def create_dataset(self, params: Result) -> Result:
        group = self.store.usable("dataset-group", params["datasetGroupArn"])
        schema_document = self.store.usable("schema", params["schemaArn"])
        dataset_type = params["datasetType"].upper()
        if dataset_type not in DATASET_TYPES:
            raise invalid_input(
                f"datasetType must be one of Interactions, Items, Users, not {params['datasetType']!r}."
            )
        parse_schema(schema_document["schema"]).check_dataset_type(dataset_type)
        arn = make_arn("dataset", f"{group['name']}/{dataset_type}")
        self.store.new(
            "dataset",
            arn,
            {
                "name": params["name"],
                "datasetArn": arn,
                "datasetGroupArn": group["datasetGroupArn"],
                "datasetType": dataset_type,
                "schemaArn": params["schemaArn"],
            },
        )
        self.state.jobs.activate("dataset", arn)
        return {"datasetArn": arn}

    def describe_dataset(self, params: Result) -> Result:
        return {"dataset": self.store.get("dataset", params["datasetArn"])}

    def list_datasets(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self.store.list_page(
            "dataset", "datasets", params, lambda document: group in (None, document["datasetGroupArn"])
        )

    def delete_dataset(self, params: Result) -> Result:
        arn = params["datasetArn"]
        dataset = self.store.usable("dataset", arn)
        if self.store.select(
            "dataset-import-job", lambda job: job["datasetArn"] == arn and job["status"] in IN_PROGRESS
        ):
            raise in_use(f"Dataset {arn} has an import job in progress.")
        if self.store.select(
            "solution-version",
            lambda version: (
                version["datasetGroupArn"] == dataset["datasetGroupArn"] and version["status"] in IN_PROGRESS
            ),
        ):
            raise in_use(f"A solution version of dataset group {dataset['datasetGroupArn']} is training.")

        return self.state.delete("dataset", arn)

    def create_dataset_import_job(self, params: Result) -> Result:
        dataset = self.store.usable("dataset", params["datasetArn"])  # no need to wait: creation is instant
        location = params["dataSource"].get("dataLocation")
        if not location:
            raise invalid_input("dataSource.dataLocation is required (s3://bucket/key, file:// or a path).")
        if self.store.select(
            "dataset-import-job",
            lambda job: job["datasetArn"] == dataset["datasetArn"] and job["status"] in IN_PROGRESS,
        ):
            raise in_use(f"Dataset {dataset['datasetArn']} already has an import job in progress.")
        arn = make_arn("dataset-import-job", params["jobName"])
        mode = params.get("importMode", "FULL")
        self.store.new(
            "dataset-import-job",
            arn,
            {
                "jobName": params["jobName"],
                "datasetImportJobArn": arn,
                "datasetArn": dataset["datasetArn"],
                "dataSource": {"dataLocation": location},
                "roleArn": params.get("roleArn"),
                "importMode": mode,
                "publishAttributionMetricsToS3": params.get("publishAttributionMetricsToS3"),
            },
        )
        schema = parse_schema(self.store.get("schema", dataset["schemaArn"])["schema"])

        def load() -> None:
            columns = parse_csv(read_csv_text(location), schema)
            if not len(next(iter(columns.values()))):
                raise JobFailed(f"{location} has no rows")
            if mode == "FULL":
                self.state.datasets.save(dataset["datasetArn"], columns)
            else:
                self.state.datasets.append(dataset["datasetArn"], columns)
            self.state.metadata.changed()

        self.state.jobs.activate("dataset-import-job", arn, load, long=True)
        return {"datasetImportJobArn": arn}

    def describe_dataset_import_job(self, params: Result) -> Result:
        return {"datasetImportJob": self.store.get("dataset-import-job", params["datasetImportJobArn"])}

    def list_dataset_import_jobs(self, params: Result) -> Result:
        dataset = params.get("datasetArn")
        return self.store.list_page(
            "dataset-import-job",
            "datasetImportJobs",
            params,
            lambda job: dataset in (None, job["datasetArn"]),
        )
