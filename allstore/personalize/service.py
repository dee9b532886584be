"""The service behind the wire protocol: the stores, the background workers and the dispatch of
each operation of the three APIs to its implementation.

`handle(api, operation, params)` validates params against botocore's model, runs the operation and
shapes the result with the model's output shape, so the HTTP layer only moves bytes.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from allstore.personalize import apimodel, training
from allstore.personalize.control_plane import IN_PROGRESS, ControlPlane
from allstore.personalize.dataset_store import DatasetStore, rows_by_id
from allstore.personalize.errors import JobFailed, invalid_input
from allstore.personalize.events import EventStore
from allstore.personalize.ingest import Ingest
from allstore.personalize.recipes import TrainingData
from allstore.personalize.resources import KINDS, ResourceStore
from allstore.personalize.runtime import Runtime
from allstore.state_dir import DirectoryLock
from allstore.state_dir import StateDirectoryInUse as StateDirectoryInUse  # raised by __init__

logger = logging.getLogger(__name__)
INTERRUPTED = "Interrupted: the service stopped before this finished; create it again."
_ID_FIELDS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID"}


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class PersonalizeService:
    """All state lives under `state_dir`, so a new instance on the same directory carries on."""

    def __init__(self, state_dir: str | Path, workers: int = 2) -> None:
        root = Path(state_dir)
        # One service per directory: a second is refused, naming the first (StateDirectoryInUse).
        self.directory_lock = DirectoryLock.acquire(root, "Personalize service")
        self.resources = ResourceStore(root / "resources")
        self.datasets = DatasetStore(root / "datasets")
        self.events = EventStore(root / "events")
        self.models = training.ModelStore(root / "models")
        # Imports and trainings take minutes; quick transitions and deletes must not queue behind them.
        self._long_jobs = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="personalize-job")
        self._quick_jobs = ThreadPoolExecutor(max_workers=2, thread_name_prefix="personalize-quick")
        self._metadata_lock = threading.Lock()
        self._metadata: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.data_version = 0  # bumped when item/user metadata changes, so caches built on it rebuild
        self.control_plane = ControlPlane(self)
        self.runtime = Runtime(self)
        self.ingest = Ingest(self)
        self._operations: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {}
        for api, implementation in (
            (apimodel.CONTROL_PLANE, self.control_plane),
            (apimodel.RUNTIME, self.runtime),
            (apimodel.EVENTS, self.ingest),
        ):
            for operation in apimodel.service_model(api).operation_names:
                method = getattr(implementation, _snake_case(operation), None)
                if method is not None:
                    self._operations[(api, operation)] = method
        self._recover()

    # -- dispatch ---------------------------------------------------------------------------------

    def handle(self, api: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        method = self._operations.get((api, operation))
        if method is None:
            raise invalid_input(f"{operation} is not supported by the local Personalize service.")
        apimodel.validate(api, operation, params)
        result = method(params)
        # Control-plane documents carry internal fields, so they are cut to the API's shape; the
        # runtime and events APIs build their answers in shape already (and are latency-bound).
        return apimodel.output(api, operation, result) if api == apimodel.CONTROL_PLANE else result

    # -- background work --------------------------------------------------------------------------

    def run_background(self, work: Callable[[], None], long: bool = False) -> None:
        def run() -> None:
            try:
                work()
            except Exception:
                logger.exception("background work failed")

        (self._long_jobs if long else self._quick_jobs).submit(run)

    def activate(
        self, kind: str, arn: str, work: Callable[[], None] | None = None, long: bool = False
    ) -> None:
        """CREATE PENDING → CREATE IN_PROGRESS → ACTIVE in the background, or CREATE FAILED with the
        error as failureReason."""

        def run() -> None:
            self.resources.update(kind, arn, status="CREATE IN_PROGRESS")
            try:
                if work is not None:
                    work()
            except Exception as error:
                reason = str(error) if isinstance(error, JobFailed) else f"{type(error).__name__}: {error}"
                logger.warning("%s %s failed: %s", kind, arn, reason)
                self.resources.update(kind, arn, status="CREATE FAILED", failureReason=reason)
                return
            self.resources.update(kind, arn, status="ACTIVE")

        self.run_background(run, long)

    def _recover(self) -> None:
        """After a restart: work that was running is failed (its output was never published), quick
        creations are finished, and pending deletions are completed."""
        for kind in ("dataset-import-job", "solution-version"):
            for document in self.resources.select(kind, lambda document: document["status"] in IN_PROGRESS):
                self.resources.update(
                    kind, document["_arn"], status="CREATE FAILED", failureReason=INTERRUPTED
                )
        for kind in ("dataset-group", "dataset", "solution", "event-tracker", "filter"):
            for document in self.resources.select(kind, lambda document: document["status"] in IN_PROGRESS):
                self.resources.update(kind, document["_arn"], status="ACTIVE")
        for document in self.resources.select("campaign", lambda document: document["status"] in IN_PROGRESS):
            self.activate(
                "campaign", document["_arn"], lambda arn=document["solutionVersionArn"]: self.models.load(arn)
            )
        for document in self.resources.select("campaign"):
            update = document.get("latestCampaignUpdate") or {}
            if update.get("status") in IN_PROGRESS:
                self.resources.update(
                    "campaign",
                    document["_arn"],
                    latestCampaignUpdate={
                        **update,
                        "status": "CREATE FAILED",
                        "failureReason": INTERRUPTED,
                        "lastUpdatedDateTime": time.time(),
                    },
                )
        for kind in reversed(KINDS):
            for document in self.resources.select(
                kind, lambda document: document["status"] == "DELETE PENDING"
            ):
                self.control_plane.finish_delete(kind, document["_arn"])

    def close(self) -> None:
        """Finish the running jobs (queued ones are dropped: the next start marks them interrupted)."""
        for executor in (self._quick_jobs, self._long_jobs):
            executor.shutdown(wait=True, cancel_futures=True)
        self.directory_lock.release()

    # -- data shared by the APIs ------------------------------------------------------------------

    def dataset_of(self, group_arn: str, dataset_type: str) -> dict[str, Any] | None:
        found = self.resources.select(
            "dataset",
            lambda dataset: (
                dataset["datasetGroupArn"] == group_arn and dataset["datasetType"] == dataset_type
            ),
        )
        return found[0] if found else None

    def metadata(self, group_arn: str, dataset_type: str) -> dict[str, dict[str, Any]]:
        """Items or Users rows keyed by id (empty without such a dataset), cached until data changes."""
        key = (group_arn, dataset_type)
        with self._metadata_lock:
            cached = self._metadata.get(key)
        if cached is not None:
            return cached
        dataset = self.dataset_of(group_arn, dataset_type)
        rows = (
            rows_by_id(self.datasets.load(dataset["datasetArn"]), _ID_FIELDS[dataset_type]) if dataset else {}
        )
        with self._metadata_lock:
            self._metadata[key] = rows
        return rows

    def data_changed(self) -> None:
        with self._metadata_lock:
            self._metadata.clear()
            self.data_version += 1

    def training_data(
        self,
        group_arn: str,
        events_seq: int,
        event_type: str | None,
        event_value_threshold: float | None,
        skipped: list[str] | None = None,
    ) -> TrainingData:
        interactions = self.dataset_of(group_arn, "INTERACTIONS")
        columns = self.datasets.load(interactions["datasetArn"]) if interactions else None
        return training.training_data(
            columns,
            self.events.events(group_arn, up_to_seq=events_seq),
            self.metadata(group_arn, "ITEMS"),
            self.metadata(group_arn, "USERS"),
            event_type,
            event_value_threshold,
            skipped,
        )
