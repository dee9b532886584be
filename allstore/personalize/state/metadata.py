"""Item and user metadata by id, as the filters and the training read it, cached until data changes."""

from __future__ import annotations

import threading
from typing import Any

from allstore.personalize.state.datasets import DatasetStore, rows_by_id
from allstore.personalize.state.kinds import Dataset
from allstore.personalize.state.resources import ResourceStore

_ID_FIELDS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}


class Metadata:
    """Items or Users rows of a dataset group; `version` grows on every change, so caches built on
    these rows (the runtime's filter index) know when to rebuild."""

    def __init__(self, resources: ResourceStore, datasets: DatasetStore) -> None:
        self.resources = resources
        self.datasets = datasets
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.version = 0

    def dataset_of(self, group_arn: str, dataset_type: str) -> Dataset | None:
        found = self.resources.select(
            Dataset,
            lambda dataset: dataset.dataset_group_arn == group_arn and dataset.dataset_type == dataset_type,
        )
        return found[0] if found else None

    def rows(self, group_arn: str, dataset_type: str) -> dict[str, dict[str, Any]]:
        """Items or Users rows keyed by id (empty without such a dataset)."""
        key = (group_arn, dataset_type)
        with self._lock:
            cached = self._rows.get(key)
        if cached is not None:
            return cached
        dataset = self.dataset_of(group_arn, dataset_type)
        rows = rows_by_id(self.datasets.load(dataset.arn), _ID_FIELDS[dataset_type]) if dataset else {}
        with self._lock:
            self._rows[key] = rows
        return rows

    def changed(self) -> None:
        with self._lock:
            self._rows.clear()
            self.version += 1
