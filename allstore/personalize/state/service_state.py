"""Everything the service keeps under its state directory, opened together: the stores, the
background jobs and the metadata cache, plus what spans stores (cascading deletes, recovery after a
restart, the training data of a dataset group). The APIs hold one `ServiceState` and nothing else."""

from __future__ import annotations

import time
from pathlib import Path

from allstore.personalize.recipes import TrainingData
from allstore.personalize.state import training_data
from allstore.personalize.state.datasets import DatasetStore
from allstore.personalize.state.events import EventStore
from allstore.personalize.state.inference import Inference
from allstore.personalize.state.jobs import Jobs
from allstore.personalize.state.metadata import Metadata
from allstore.personalize.state.models import ModelStore
from allstore.personalize.state.resources import KINDS, ResourceStore
from allstore.state_dir import DirectoryLock
from allstore.workshop.statuses import ACTIVE, CREATE_FAILED, DELETE_PENDING, IN_PROGRESS, being_deleted

INTERRUPTED = "Interrupted: the service stopped before this finished; create it again."


class ServiceState:
    """One per state directory: a second is refused, naming the first (StateDirectoryInUse)."""

    def __init__(self, root: Path, workers: int = 2) -> None:
        self.directory_lock = DirectoryLock.acquire(root, "Personalize service")
        self.resources = ResourceStore(root / "resources")
        self.datasets = DatasetStore(root / "datasets")
        self.events = EventStore(root / "events")
        self.models = ModelStore(root / "models")
        self.jobs = Jobs(self.resources, workers)
        self.metadata = Metadata(self.resources, self.datasets)
        self.inference = Inference(self.resources, self.models, self.events, self.metadata)

    def delete(self, kind: str, arn: str) -> dict:
        """Mark the resource DELETE PENDING and remove it in the background, as the service does."""
        self.resources.update(kind, arn, status=DELETE_PENDING)
        self.jobs.run(lambda: self.finish_delete(kind, arn))
        return {}

    def finish_delete(self, kind: str, arn: str) -> None:
        """Remove a DELETE PENDING resource and what only it owns (also run after a restart)."""
        store = self.resources
        if kind == "dataset-group":
            for filter_ in store.select("filter", lambda document: document["datasetGroupArn"] == arn):
                store.remove("filter", filter_["filterArn"])
            self.events.delete(arn)
        elif kind == "dataset":
            for job in store.select("dataset-import-job", lambda job: job["datasetArn"] == arn):
                store.remove("dataset-import-job", job["datasetImportJobArn"])
            self.datasets.delete(arn)
            self.metadata.changed()
        elif kind == "solution":
            for version in store.select("solution-version", lambda version: version["solutionArn"] == arn):
                self.models.delete(version["solutionVersionArn"])
                store.remove("solution-version", version["solutionVersionArn"])
        store.remove(kind, arn)
        if kind == "campaign":
            self.unload_unserved()

    def unload_unserved(self) -> None:
        """Keep in memory only the models campaigns serve or are switching to."""
        served = set()
        for campaign in self.resources.select(
            "campaign", lambda campaign: not being_deleted(campaign["status"])
        ):
            served.add(campaign["solutionVersionArn"])
            served.add((campaign.get("latestCampaignUpdate") or {}).get("solutionVersionArn"))
        self.models.keep_only(served)

    def training_data(
        self,
        group_arn: str,
        events_seq: int,
        event_type: str | None,
        event_value_threshold: float | None,
        skipped: list[str] | None = None,
    ) -> TrainingData:
        interactions = self.metadata.dataset_of(group_arn, "INTERACTIONS")
        columns = self.datasets.load(interactions["datasetArn"]) if interactions else None
        return training_data.training_data(
            columns,
            self.events.events(group_arn, up_to_seq=events_seq),
            self.metadata.rows(group_arn, "ITEMS"),
            self.metadata.rows(group_arn, "USERS"),
            event_type,
            event_value_threshold,
            skipped,
        )

    def recover(self) -> None:
        """After a restart: work that was running is failed (its output was never published), quick
        creations are finished, and pending deletions are completed."""
        store = self.resources

        def changing(document: dict) -> bool:
            return document["status"] in IN_PROGRESS

        for kind in ("dataset-import-job", "solution-version"):
            for document in store.select(kind, changing):
                store.update(kind, document["_arn"], status=CREATE_FAILED, failureReason=INTERRUPTED)
        for kind in ("dataset-group", "dataset", "solution", "event-tracker", "filter"):
            for document in store.select(kind, changing):
                store.update(kind, document["_arn"], status=ACTIVE)
        for document in store.select("campaign", changing):
            self.jobs.activate(
                "campaign", document["_arn"], lambda arn=document["solutionVersionArn"]: self.models.load(arn)
            )
        for document in store.select("campaign"):
            update = document.get("latestCampaignUpdate") or {}
            if update.get("status") in IN_PROGRESS:
                store.update(
                    "campaign",
                    document["_arn"],
                    latestCampaignUpdate={
                        **update,
                        "status": CREATE_FAILED,
                        "failureReason": INTERRUPTED,
                        "lastUpdatedDateTime": time.time(),
                    },
                )
        for kind in reversed(KINDS):
            for document in store.select(kind, lambda document: document["status"] == DELETE_PENDING):
                self.finish_delete(kind, document["_arn"])

    def close(self) -> None:
        self.jobs.close()
        self.directory_lock.release()
