"""Trained models: a `ModelBundle` per solution version, pickled under `<state>/models/`.

A `ModelBundle` is the unit that is pickled: the model, each user's training history (so the
runtime can add real-time events to it), item popularity (the answer for unknown users and items)
and the sequence number of the last recorded event the training saw.
"""

from __future__ import annotations

import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from allstore.personalize.recipes import Model, TrainingData, event_weights
from allstore.state_dir import arn_filename, atomic_file


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
    weights = event_weights.row_weights(data)  # popularity counts eventsConfig's weights too
    item_counts = np.bincount(data.item_codes, weights=weights, minlength=len(data.items)).astype(np.float64)
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
