"""Training a solution version: the dataset group's data as `TrainingData`, the recipe's fit (and
tune, for performHPO), and the trained model saved with what the runtime needs next to it.

A `ModelBundle` is the unit that is pickled: the model, each user's training history (so the
runtime can add real-time events to it), item popularity (the answer for unknown users and items)
and the sequence number of the last recorded event the training saw.
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from allstore.personalize.dataset_store import Columns
from allstore.personalize.errors import JobFailed
from allstore.personalize.events import RecordedEvent
from allstore.personalize.recipes import Model, TrainingData
from allstore.state_dir import arn_filename, atomic_file

logger = logging.getLogger(__name__)


def readable_events(events: Sequence[RecordedEvent]) -> tuple[list[RecordedEvent], list[str]]:
    """The interactions among `events` that training can use, and why each other one was skipped
    (events recorded before PutEvents checked sentAt and eventValue as the service does)."""
    kept, skipped = [], []
    for event in events:
        if event.item_id is None:
            continue  # an impression-only event: not an interaction
        reason = event.unreadable()
        if reason is None:
            kept.append(event)
        else:
            skipped.append(reason)
    return kept, skipped


def training_data(
    interactions: Columns | None,
    events: Sequence[RecordedEvent],
    item_metadata: Mapping[str, Mapping[str, Any]],
    user_metadata: Mapping[str, Mapping[str, Any]],
    event_type: str | None = None,
    event_value_threshold: float | None = None,
    skipped: list[str] | None = None,
) -> TrainingData:
    """Imported interactions plus recorded events, restricted as the solution asks: only `event_type`
    when set, and only events whose value is at least `event_value_threshold` when set. Rows training
    cannot read are left out and their reasons appended to `skipped`, so one bad row never fails
    every training of the dataset group."""
    columns = interactions or {}
    recorded, unreadable = readable_events(events)
    users = np.concatenate(
        [
            columns.get("USER_ID", np.array([], dtype=str)),
            np.array([event.user_id or event.session_id for event in recorded], dtype=str),
        ]
    )
    items = np.concatenate(
        [
            columns.get("ITEM_ID", np.array([], dtype=str)),
            np.array([event.item_id for event in recorded], dtype=str),
        ]
    )
    timestamps = np.concatenate(
        [
            columns.get("TIMESTAMP", np.array([], dtype=np.int64)).astype(np.int64),
            np.array([int(event.sent_at) for event in recorded], dtype=np.int64),
        ]
    )
    n_imported = len(columns.get("USER_ID", []))
    types = np.concatenate(
        [
            columns.get("EVENT_TYPE", np.full(n_imported, "")).astype(str),
            np.array([event.event_type for event in recorded], dtype=str),
        ]
    )
    values = np.concatenate(
        [
            columns.get("EVENT_VALUE", np.full(n_imported, np.nan)).astype(np.float64),
            np.array(
                [np.nan if event.event_value is None else event.event_value for event in recorded],
                dtype=np.float64,
            ),
        ]
    )
    keep = ~np.isinf(values)  # an EVENT_VALUE of ±inf imported before the import refused it
    unreadable += [f"imported row {row + 1}: EVENT_VALUE is not finite" for row in np.flatnonzero(~keep)]
    if skipped is not None:
        skipped.extend(unreadable)
    if event_type:
        keep &= types == event_type
    if event_value_threshold is not None:
        with np.errstate(invalid="ignore"):
            keep &= values >= event_value_threshold
    if not keep.any():
        raise JobFailed(
            "no interactions to train on (import interactions, or check eventType / eventValueThreshold)"
        )
    return TrainingData.from_columns(
        users[keep],
        items[keep],
        timestamps[keep],
        types[keep],
        values[keep],
        catalogue=list(item_metadata),
        item_metadata=item_metadata,
        user_metadata=user_metadata,
    )


@dataclass
class ModelBundle:
    """A trained model and what the runtime needs beside it."""

    model: Model
    recipe_name: str
    recipe_type: str
    events_seq: int  # recorded events up to this sequence number are in the training data
    popularity: np.ndarray  # (len(model.items),) interaction counts
    users: np.ndarray  # user ids with a training history
    history_offsets: np.ndarray  # user u's history is history_items[offsets[u]:offsets[u+1]]
    history_items: np.ndarray  # item ids, oldest first within a user
    history_timestamps: np.ndarray
    history_event_types: np.ndarray

    def __post_init__(self) -> None:
        self._user_rows: dict[str, int] | None = None
        self._item_rows: dict[str, int] | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Lookup tables are rebuilt after loading rather than pickled."""
        state = dict(self.__dict__)
        state["_user_rows"] = state["_item_rows"] = None
        return state

    def item_row(self, item_id: str) -> int | None:
        """The position of `item_id` in the model's items, or None."""
        if self._item_rows is None:
            self._item_rows = {item: row for row, item in enumerate(self.model.items.tolist())}
        return self._item_rows.get(item_id)

    def training_history(self, user_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._user_rows is None:
            self._user_rows = {user: row for row, user in enumerate(self.users.tolist())}
        row = self._user_rows.get(user_id)
        if row is None:
            empty = np.array([], dtype=str)
            return empty, np.array([], dtype=np.int64), empty
        window = slice(self.history_offsets[row], self.history_offsets[row + 1])
        return self.history_items[window], self.history_timestamps[window], self.history_event_types[window]


def bundle(
    model: Model, recipe_name: str, recipe_type: str, data: TrainingData, events_seq: int
) -> ModelBundle:
    order = np.lexsort((np.arange(len(data.user_codes)), data.user_codes))  # by user, then time
    counts = np.bincount(data.user_codes, minlength=len(data.users))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    item_counts = np.bincount(data.item_codes, minlength=len(data.items)).astype(np.float64)
    position = {item: index for index, item in enumerate(data.items.tolist())}
    popularity = np.array(
        [item_counts[position[item]] if item in position else 0.0 for item in model.items.tolist()]
    )
    return ModelBundle(
        model=model,
        recipe_name=recipe_name,
        recipe_type=recipe_type,
        events_seq=events_seq,
        popularity=popularity,
        users=data.users,
        history_offsets=offsets,
        history_items=data.items[data.item_codes[order]],
        history_timestamps=data.timestamps[order],
        history_event_types=data.event_types[order],
    )


class ModelStore:
    """Pickled bundles under `<state>/models/`, written to a temporary file and renamed, so a crash
    mid-save leaves no model rather than a corrupt one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._cache: dict[str, ModelBundle] = {}

    def _path(self, version_arn: str) -> Path:
        return self.root / arn_filename(version_arn, ".pkl")

    def save(self, version_arn: str, model_bundle: ModelBundle) -> None:
        with atomic_file(self._path(version_arn)) as file:
            pickle.dump(model_bundle, file, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, version_arn: str) -> ModelBundle:
        with self._lock:
            if version_arn not in self._cache:
                with self._path(version_arn).open("rb") as file:
                    self._cache[version_arn] = pickle.load(file)  # noqa: S301 - our own state directory
            return self._cache[version_arn]

    def keep_only(self, version_arns: set[str]) -> None:
        """Unload models no campaign serves (they stay on disk and load again on demand)."""
        with self._lock:
            for version_arn in set(self._cache) - version_arns:
                del self._cache[version_arn]

    def delete(self, version_arn: str) -> None:
        with self._lock:
            self._cache.pop(version_arn, None)
            self._path(version_arn).unlink(missing_ok=True)
