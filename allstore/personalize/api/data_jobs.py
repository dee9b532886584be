"""Dataset export jobs and data deletion jobs (AmazonPersonalize.<Operation>): a dataset's data
written to S3 as CSV, and every record of the users a CSV lists removed from a dataset group."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np

from allstore.personalize.errors import JobFailed
from allstore.personalize.schemas import parse_schema
from allstore.personalize.state.datasets import BULK, PUT, read_csv_text
from allstore.personalize.state.jobs import failure_reason
from allstore.personalize.state.kinds import DataDeletionJob, Dataset, DatasetExportJob, DatasetGroup, Schema
from allstore.personalize.state.objects import write_text
from allstore.personalize.state.resources import make_arn
from allstore.personalize.state.service_state import ServiceState

Result = dict[str, Any]
# A data deletion job's statuses are not the creation ones (the API reference's DataDeletionJob).
PENDING, IN_PROGRESS, COMPLETED, FAILED = "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"
EVENT_COLUMNS = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


class DataJobsApi:
    """Exports to S3 and deletions of users' data."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    # -- dataset export jobs ----------------------------------------------------------------------

    def create_dataset_export_job(
        self, job_name: str, dataset_arn: str, role_arn: str, job_output: Result, ingestion_mode: str = "PUT"
    ) -> Result:
        dataset = self.store.active(Dataset, dataset_arn)
        arn = make_arn(DatasetExportJob.kind, job_name)
        self.store.new(
            DatasetExportJob(
                arn=arn,
                job_name=job_name,
                dataset_arn=dataset.arn,
                ingestion_mode=ingestion_mode,
                role_arn=role_arn,
                job_output=job_output,
            )
        )

        def export() -> None:
            text = self._export_csv(dataset, ingestion_mode)
            write_text(job_output["s3DataDestination"]["path"], f"{job_name}.csv", text)

        self.state.jobs.activate(DatasetExportJob, arn, export, long=True)
        return {"datasetExportJobArn": arn}

    def _export_csv(self, dataset: Dataset, ingestion_mode: str) -> str:
        """BULK: the rows dataset import jobs brought; PUT: the rows added one by one — PutItems,
        PutUsers, PutActions rows of their datasets, PutEvents / PutActionInteractions events of the
        Interactions / Action interactions datasets; ALL: both, bulk rows first."""
        fields = [
            field.name for field in parse_schema(self.store.get(Schema, dataset.schema_arn).schema).fields
        ]
        out = io.StringIO()
        writer = csv.writer(out)
        events = {"INTERACTIONS": self.state.events, "ACTION_INTERACTIONS": self.state.action_events}.get(
            dataset.dataset_type
        )
        id_column = "ACTION_ID" if dataset.dataset_type == "ACTION_INTERACTIONS" else "ITEM_ID"
        header = fields
        if ingestion_mode == "PUT" and events is not None:  # only what an event carries
            header = [name for name in fields if name in (*EVENT_COLUMNS, id_column)]
        writer.writerow(header)
        columns = self.state.datasets.load(dataset.arn) or {}
        if columns:
            origins = self.state.datasets.origins(dataset.arn)
            wanted = {"BULK": (BULK,), "PUT": (PUT,), "ALL": (BULK, PUT)}[ingestion_mode]
            rows = np.flatnonzero(np.isin(origins, wanted))
            lists = [columns[name][rows].tolist() if name in columns else None for name in header]
            for row in range(len(rows)):
                writer.writerow(_cell(values[row]) if values is not None else "" for values in lists)
        if events is not None and ingestion_mode in ("PUT", "ALL"):
            for event in events.events(dataset.dataset_group_arn):
                if event.item_id is None:
                    continue
                values = {
                    "USER_ID": event.user_id or event.session_id,
                    id_column: event.item_id,
                    "TIMESTAMP": int(event.sent_at),
                    "EVENT_TYPE": event.event_type,
                    "EVENT_VALUE": event.event_value,
                }
                writer.writerow(_cell(values.get(name)) for name in header)
        return out.getvalue()

    def describe_dataset_export_job(self, dataset_export_job_arn: str) -> Result:
        return {"datasetExportJob": self.store.get(DatasetExportJob, dataset_export_job_arn).wire()}

    def list_dataset_export_jobs(
        self, dataset_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Result:
        return self.store.list_page(
            DatasetExportJob,
            "datasetExportJobs",
            next_token,
            max_results,
            lambda job: dataset_arn in (None, job.dataset_arn),
        )

    # -- data deletion jobs -----------------------------------------------------------------------

    def create_data_deletion_job(
        self, job_name: str, dataset_group_arn: str, data_source: Result, role_arn: str
    ) -> Result:
        group = self.store.active(DatasetGroup, dataset_group_arn)
        arn = make_arn(DataDeletionJob.kind, job_name)
        job = self.store.new(
            DataDeletionJob(
                arn=arn,
                job_name=job_name,
                dataset_group_arn=group.arn,
                data_source=data_source,
                role_arn=role_arn,
            )
        )
        self.store.update(DataDeletionJob, job.arn, status=PENDING)
        self.state.jobs.run(
            lambda: self._delete(arn, group.arn, data_source.get("dataLocation") or ""), long=True
        )
        return {"dataDeletionJobArn": arn}

    def _delete(self, job_arn: str, group_arn: str, location: str) -> None:
        self.store.update(DataDeletionJob, job_arn, status=IN_PROGRESS)
        try:
            users = self._user_ids(location)
            found = self.state.delete_users(group_arn, users)
        except Exception as error:
            reason = failure_reason(DataDeletionJob.label, job_arn, error)
            self.store.update(DataDeletionJob, job_arn, status=FAILED, failure_reason=reason)
            return
        self.store.update(DataDeletionJob, job_arn, status=COMPLETED, num_deleted=found)

    @staticmethod
    def _user_ids(location: str) -> set[str]:
        users: set[str] = set()
        for text in read_csv_text(location):
            reader = csv.DictReader(io.StringIO(text))
            column = next(
                (name for name in reader.fieldnames or () if name.strip().upper() == "USER_ID"), None
            )
            if column is None:
                raise JobFailed(f"{location} has no USER_ID column")
            users.update(row[column].strip() for row in reader if row.get(column))
        return users

    def describe_data_deletion_job(self, data_deletion_job_arn: str) -> Result:
        return {"dataDeletionJob": self.store.get(DataDeletionJob, data_deletion_job_arn).wire()}

    def list_data_deletion_jobs(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            DataDeletionJob,
            "dataDeletionJobs",
            next_token,
            max_results,
            lambda job: dataset_group_arn in (None, job.dataset_group_arn),
        )
