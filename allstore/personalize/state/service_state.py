"""Everything the service keeps under its state directory, opened together: the stores, the
background jobs and the metadata cache, plus what spans stores (cascading deletes, recovery after a
restart, the training data of a dataset group). The APIs hold one `ServiceState` and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from allstore.personalize.errors import not_found
from allstore.personalize.recipes import TrainingData
from allstore.personalize.recipes.event_weights import EventParameters
from allstore.personalize.state import training_data
from allstore.personalize.state.attribution import Attribution
from allstore.personalize.state.datasets import DatasetStore
from allstore.personalize.state.events import EventStore
from allstore.personalize.state.inference import Inference
from allstore.personalize.state.jobs import Jobs
from allstore.personalize.state.kinds import (
    JOB_KINDS,
    KINDS,
    BatchInferenceJob,
    BatchSegmentJob,
    Campaign,
    DataDeletionJob,
    Dataset,
    DatasetExportJob,
    DatasetGroup,
    DatasetImportJob,
    EventTracker,
    Filter,
    MetricAttribution,
    Recommender,
    Solution,
    SolutionVersion,
)
from allstore.personalize.state.metadata import Metadata
from allstore.personalize.state.models import ModelStore
from allstore.personalize.state.resources import Resource, ResourceStore, in_request_region
from allstore.personalize.state.tags import TagStore
from allstore.state_dir import DirectoryLock
from allstore.workshop.statuses import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_STOPPED,
    CREATE_STOPPING,
    DELETE_PENDING,
    IN_PROGRESS,
    INACTIVE,
    being_deleted,
)

INTERRUPTED = "Interrupted: the service stopped before this finished; create it again."


class ServiceState:
    """One per state directory: a second is refused, naming the first (StateDirectoryInUse)."""

    def __init__(self, root: Path, workers: int = 2) -> None:
        self.directory_lock = DirectoryLock.acquire(root, "Personalize service")
        self.resources = ResourceStore(root / "resources", KINDS)
        self.datasets = DatasetStore(root / "datasets")
        self.events = EventStore(root / "events")
        self.action_events = EventStore(root / "action-events")  # PutActionInteractions
        self.models = ModelStore(root / "models")
        self.jobs = Jobs(self.resources, workers)
        self.metadata = Metadata(self.resources, self.datasets)
        self.tags = TagStore(root / "tags")
        self.attribution = Attribution(self.resources, self.metadata)
        self.inference = Inference(self.resources, self.models, self.events, self.metadata)

    def find_any(self, arn: str) -> Resource | None:
        """The resource of any kind with this ARN (for the operations that take any ARN: tags)."""
        for kind in KINDS:
            resource = self.resources.find(kind, arn)
            if resource is not None:
                return resource
        return None

    def tracker(self, tracking_id: str) -> EventTracker:
        """The ACTIVE event tracker of the request's region with this trackingId (PutEvents,
        PutActionInteractions), or ResourceNotFoundException."""
        trackers = self.resources.select(
            EventTracker,
            lambda tracker: tracker.tracking_id == tracking_id and in_request_region(tracker.arn),
        )
        if not trackers or trackers[0].status != ACTIVE:
            raise not_found(f"No active event tracker has trackingId {tracking_id}.")
        return trackers[0]

    def delete_users(self, group_arn: str, user_ids: set[str]) -> int:
        """Remove every record of these users from the group's datasets and recorded events (a data
        deletion job); returns how many of them had any."""
        found: set[str] = set()
        for dataset in self.resources.select(Dataset, lambda dataset: dataset.dataset_group_arn == group_arn):
            columns = self.datasets.load(dataset.arn)
            if not columns or "USER_ID" not in columns:
                continue
            doomed = np.isin(columns["USER_ID"], list(user_ids))
            if doomed.any():
                found.update(columns["USER_ID"][doomed].tolist())
                self.datasets.save(
                    dataset.arn,
                    {name: column[~doomed] for name, column in columns.items()},
                    self.datasets.origins(dataset.arn)[~doomed],
                )
        found.update(event.user_id for event in self.events.events(group_arn) if event.user_id in user_ids)
        found.update(
            event.user_id for event in self.action_events.events(group_arn) if event.user_id in user_ids
        )
        self.events.delete_users(group_arn, user_ids)
        self.action_events.delete_users(group_arn, user_ids)
        self.metadata.changed()
        return len(found)

    def delete(self, kind: type[Resource], arn: str) -> dict:
        """Mark the usable resource DELETE PENDING and remove it in the background, as the service
        does (ResourceNotFoundException when it does not exist or is already being deleted)."""
        with self.resources.lock:
            self.resources.usable(kind, arn)
            self.resources.update(kind, arn, status=DELETE_PENDING)
        self.jobs.delete(kind, arn, lambda: self.finish_delete(kind, arn))
        return {}

    def finish_delete(self, kind: type[Resource], arn: str) -> None:
        """Remove a DELETE PENDING resource and what only it owns (also run after a restart)."""
        store = self.resources
        if kind is DatasetGroup:
            for owned in (Filter, MetricAttribution, DataDeletionJob):
                for resource in store.select(owned, lambda resource: resource.dataset_group_arn == arn):
                    store.remove(owned, resource.arn)
            self.events.delete(arn)
            self.action_events.delete(arn)
        elif kind is Dataset:
            for job_kind in (DatasetImportJob, DatasetExportJob):
                for job in store.select(job_kind, lambda job: job.dataset_arn == arn):
                    store.remove(job_kind, job.arn)
            self.datasets.delete(arn)
            self.metadata.changed()
        elif kind is Solution:
            for version in store.select(SolutionVersion, lambda version: version.solution_arn == arn):
                for job_kind in (BatchInferenceJob, BatchSegmentJob):
                    for job in store.select(
                        job_kind, lambda job, of=version.arn: job.solution_version_arn == of
                    ):
                        store.remove(job_kind, job.arn)
                self.models.delete(version.arn)
                store.remove(SolutionVersion, version.arn)
        elif kind is Recommender:
            self.models.delete(arn)
        store.remove(kind, arn)
        if kind is Campaign:
            self.unload_unserved()

    def importing(self, dataset_arns: set[str]) -> list[DatasetImportJob]:
        """The import jobs in progress into any of these datasets."""
        return self.resources.select(
            DatasetImportJob, lambda job: job.dataset_arn in dataset_arns and job.status in IN_PROGRESS
        )

    def unload_unserved(self) -> None:
        """Keep in memory only the models campaigns serve or are switching to."""
        served = set()
        for campaign in self.resources.select(Campaign, lambda campaign: not being_deleted(campaign.status)):
            served.add(campaign.solution_version_arn)
            if campaign.latest_campaign_update is not None:
                served.add(campaign.latest_campaign_update.solution_version_arn)
        served |= {recommender.arn for recommender in self.resources.select(Recommender)}
        self.models.keep_only(served)

    def training_data(
        self,
        group_arn: str,
        events_seq: int,
        event_type: str | None,
        event_value_threshold: float | None,
        skipped: list[str] | None = None,
        events_config: Sequence[EventParameters] | None = None,
    ) -> TrainingData:
        interactions = self.metadata.dataset_of(group_arn, "INTERACTIONS")
        columns = self.datasets.load(interactions.arn) if interactions else None
        return training_data.training_data(
            columns,
            self.events.events(group_arn, up_to_seq=events_seq),
            self.metadata.rows(group_arn, "ITEMS"),
            self.metadata.rows(group_arn, "USERS"),
            event_type,
            event_value_threshold,
            skipped,
            events_config,
        )

    def action_training_data(
        self, group_arn: str, events_seq: int, skipped: list[str] | None = None
    ) -> TrainingData:
        """Next-Best-Action's data: the Action interactions dataset plus recorded action interactions,
        actions as the items (every action of the Actions dataset in the catalogue, its rows as metadata)."""
        dataset = self.metadata.dataset_of(group_arn, "ACTION_INTERACTIONS")
        columns = self.datasets.load(dataset.arn) if dataset else None
        if columns and "ACTION_ID" in columns:
            columns = {**columns, "ITEM_ID": columns["ACTION_ID"]}
        return training_data.training_data(
            columns,
            self.action_events.events(group_arn, up_to_seq=events_seq),
            self.metadata.rows(group_arn, "ACTIONS"),
            {},
            skipped=skipped,
        )

    def recover(self) -> None:
        """After a restart: work that was running is failed (its output was never published), quick
        creations are finished, and pending deletions are completed."""
        store = self.resources

        def changing(resource: Resource) -> bool:
            return resource.status in IN_PROGRESS

        for kind in JOB_KINDS:
            for resource in store.select(kind, lambda resource: resource.status == CREATE_STOPPING):
                store.update(kind, resource.arn, status=CREATE_STOPPED)
            for resource in store.select(kind, changing):
                store.update(kind, resource.arn, status=CREATE_FAILED, failure_reason=INTERRUPTED)
        for job in store.select(DataDeletionJob, lambda job: job.status in ("PENDING", "IN_PROGRESS")):
            store.update(DataDeletionJob, job.arn, status="FAILED", failure_reason=INTERRUPTED)
        for kind in (DatasetGroup, Dataset, Solution, EventTracker, Filter, MetricAttribution):
            for resource in store.select(kind, changing):
                store.update(kind, resource.arn, status=ACTIVE)
        for campaign in store.select(Campaign, changing):
            self.jobs.activate(
                Campaign, campaign.arn, lambda arn=campaign.solution_version_arn: self.models.load(arn)
            )
        for campaign in store.select(Campaign):
            update = campaign.latest_campaign_update
            if update is not None and update.status in IN_PROGRESS:
                store.update(
                    Campaign,
                    campaign.arn,
                    latest_campaign_update=update.failed(INTERRUPTED),
                )
        for dataset in store.select(Dataset):  # an UpdateDataset cut off keeps the old schema
            if (update := dataset.latest_dataset_update) is not None and update.status in IN_PROGRESS:
                store.update(Dataset, dataset.arn, latest_dataset_update=update.failed(INTERRUPTED))
        self._recover_recommenders()
        for kind in reversed(KINDS):
            for resource in store.select(kind, lambda resource: being_deleted(resource.status)):
                self.finish_delete(kind, resource.arn)

    def _recover_recommenders(self) -> None:
        """A training that was running failed; a stop or start that was under way is finished."""
        store = self.resources
        for recommender in store.select(Recommender, lambda recommender: recommender.status in IN_PROGRESS):
            if recommender.status.startswith("STOP"):
                store.update(Recommender, recommender.arn, status=INACTIVE)
            elif recommender.status.startswith("START"):
                store.update(Recommender, recommender.arn, status=ACTIVE)
            else:
                store.update(Recommender, recommender.arn, status=CREATE_FAILED, failure_reason=INTERRUPTED)
            update = recommender.latest_recommender_update
            if update is not None and update.status in IN_PROGRESS:
                store.update(
                    Recommender,
                    recommender.arn,
                    latest_recommender_update=update.finished(CREATE_FAILED, INTERRUPTED),
                )

    def close(self) -> None:
        self.jobs.close()
        self.directory_lock.release()
