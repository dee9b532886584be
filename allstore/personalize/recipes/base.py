"""The contract between the Personalize service and its recommendation algorithms.

The service (resources, wire protocol, filters, events) never looks inside a model: a recipe turns
`TrainingData` into a `Model`, and a model turns a history or an item into one score per catalogue
item. Selecting the top N, applying filters and excluding items is the service's job, so a better
algorithm drops in by registering a new `Recipe` without touching the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

RecipeType = Literal[
    "USER_PERSONALIZATION",
    "RELATED_ITEMS",
    "PERSONALIZED_RANKING",
    "POPULAR_ITEMS",
    "USER_SEGMENTATION",
    "PERSONALIZED_ACTIONS",
]


@dataclass(frozen=True)
class TrainingData:
    """Interactions as parallel arrays (one row per event, sorted by timestamp), plus metadata.

    `users` and `items` map the integer codes in `user_codes` / `item_codes` back to ids.
    `item_metadata` / `user_metadata` hold the Items / Users datasets' rows keyed by id (fields as
    in the schema, e.g. CATEGORY_L1, PRICE), or are empty when the dataset group has none.
    `event_type_weights` is a solution's eventsConfig as each event type's weight (the largest 1.0;
    see event_weights.py), or empty: every interaction weighs the same.
    """

    users: np.ndarray  # (n_users,) str ids
    items: np.ndarray  # (n_items,) str ids: the catalogue a model scores
    user_codes: np.ndarray  # (n_events,) int32 index into `users`
    item_codes: np.ndarray  # (n_events,) int32 index into `items`
    timestamps: np.ndarray  # (n_events,) int64 unix seconds
    event_types: np.ndarray  # (n_events,) str, "" when the dataset has no EVENT_TYPE
    event_values: np.ndarray  # (n_events,) float32, NaN when the dataset has no EVENT_VALUE
    item_metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    user_metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    event_type_weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_columns(
        cls,
        user_ids: Sequence[str] | np.ndarray,
        item_ids: Sequence[str] | np.ndarray,
        timestamps: Sequence[int] | np.ndarray,
        event_types: Sequence[str] | np.ndarray | None = None,
        event_values: Sequence[float] | np.ndarray | None = None,
        *,
        catalogue: Sequence[str] | np.ndarray | None = None,
        item_metadata: Mapping[str, Mapping[str, Any]] | None = None,
        user_metadata: Mapping[str, Mapping[str, Any]] | None = None,
        event_type_weights: Mapping[str, float] | None = None,
    ) -> TrainingData:
        """Encode columnar interactions (as a dataset import or a file reader yields them).

        `catalogue` adds items nobody has interacted with yet (e.g. the Items dataset), so models
        score them too. Rows are sorted by timestamp; equal timestamps keep their given order.
        """
        user_ids = np.asarray(user_ids, dtype=str)
        item_ids = np.asarray(item_ids, dtype=str)
        timestamps = np.asarray(timestamps, dtype=np.int64)
        n_events = len(user_ids)
        if not len(item_ids) == len(timestamps) == n_events:
            raise ValueError("user_ids, item_ids and timestamps must have the same length")
        event_types = np.full(n_events, "") if event_types is None else np.asarray(event_types, dtype=str)
        event_values = (
            np.full(n_events, np.nan, dtype=np.float32)
            if event_values is None
            else np.asarray(event_values, dtype=np.float32)
        )
        # Ids are encoded before the rows are put in time order, and only the int32 codes are
        # reordered: copies of string columns (about 50 bytes a row each) dominated peak memory.
        order = np.argsort(timestamps, kind="stable")
        users, user_codes = _encode(user_ids)
        items, item_codes = _encode(item_ids, catalogue)
        user_codes, item_codes = user_codes[order], item_codes[order]
        return cls(
            users=users,
            items=items,
            user_codes=user_codes,
            item_codes=item_codes,
            timestamps=timestamps[order],
            event_types=event_types[order],
            event_values=event_values[order],
            item_metadata=dict(item_metadata or {}),
            user_metadata=dict(user_metadata or {}),
            event_type_weights=dict(event_type_weights or {}),
        )

    @classmethod
    def from_codes(
        cls,
        user_codes: np.ndarray,
        distinct_users: np.ndarray,
        item_codes: np.ndarray,
        distinct_items: np.ndarray,
        timestamps: np.ndarray,
        event_type_codes: np.ndarray | None = None,
        distinct_event_types: np.ndarray | None = None,
        event_values: np.ndarray | None = None,
        *,
        catalogue: Sequence[str] | np.ndarray | None = None,
        item_metadata: Mapping[str, Mapping[str, Any]] | None = None,
        user_metadata: Mapping[str, Mapping[str, Any]] | None = None,
        event_type_weights: Mapping[str, float] | None = None,
    ) -> TrainingData:
        """`from_columns` of ids already encoded (a reader's codes into its distinct values, in
        any order, e.g. `allstore.data.interactions.Interactions`): the same TrainingData as
        `from_columns(distinct_users[user_codes], ...)`, without building and sorting a string
        per row — only the distinct values are sorted and the codes mapped onto them."""
        user_codes, item_codes = np.asarray(user_codes), np.asarray(item_codes)
        timestamps = np.asarray(timestamps, dtype=np.int64)
        n_events = len(user_codes)
        if not len(item_codes) == len(timestamps) == n_events:
            raise ValueError("user_codes, item_codes and timestamps must have the same length")
        order = np.argsort(timestamps, kind="stable")
        users, user_map = _recode(user_codes, distinct_users)
        items, item_map = _recode(item_codes, distinct_items, catalogue)
        if event_type_codes is None or distinct_event_types is None or not len(distinct_event_types):
            event_types = np.full(n_events, "")
        else:
            event_types = np.asarray(distinct_event_types, dtype=str)[np.asarray(event_type_codes)[order]]
        return cls(
            users=users,
            items=items,
            user_codes=user_map[user_codes[order]],
            item_codes=item_map[item_codes[order]],
            timestamps=timestamps[order],
            event_types=event_types,
            event_values=(
                np.full(n_events, np.nan, dtype=np.float32)
                if event_values is None
                else np.asarray(event_values, dtype=np.float32)[order]
            ),
            item_metadata=dict(item_metadata or {}),
            user_metadata=dict(user_metadata or {}),
            event_type_weights=dict(event_type_weights or {}),
        )


def _recode(
    codes: np.ndarray, distinct: np.ndarray, extra: Sequence[str] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(the sorted distinct ids the codes use, plus `extra`; each old code's new int32 code): what
    `_encode` gives the decoded column, from the distinct values alone (unused ones dropped)."""
    distinct = np.asarray(distinct, dtype=str)
    used = np.zeros(len(distinct), dtype=bool)
    used[codes] = True
    present = distinct[used]
    parts = [present] if extra is None else [present, np.asarray(extra, dtype=str)]
    ids = np.unique(np.concatenate(parts))
    mapping = np.full(len(distinct), -1, dtype=np.int32)
    mapping[used] = np.searchsorted(ids, present)
    return ids, mapping


ENCODE_ROWS = 1 << 20


def _encode(
    ids: np.ndarray, extra: Sequence[str] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(ids + extra, return_inverse=True) restricted to `ids`, with int32 codes, a million
    rows at a time: np.unique makes two sorted copies of the whole string column."""
    chunks = range(0, len(ids), ENCODE_ROWS)
    parts = [np.unique(ids[start : start + ENCODE_ROWS]) for start in chunks]
    if extra is not None:
        parts.append(np.asarray(extra, dtype=str))
    distinct = np.unique(np.concatenate(parts)) if parts else ids[:0]
    codes = np.empty(len(ids), dtype=np.int32)
    for start in chunks:
        codes[start : start + ENCODE_ROWS] = np.searchsorted(distinct, ids[start : start + ENCODE_ROWS])
    return distinct, codes


class Model(Protocol):
    """A trained, picklable model. Scores are over `items`; higher is better; -inf means never."""

    items: np.ndarray

    def score_history(self, history: Sequence[str], timestamps: Sequence[int] | None = None) -> np.ndarray:
        """Scores for someone whose interactions so far are `history` (oldest first; may be empty,
        may contain ids the model has never seen). Used for users, anonymous sessions and, in
        real time, events sent with PutEvents after training."""
        ...

    def score_item(self, item_id: str) -> np.ndarray | None:
        """Scores of items similar to `item_id`, or None when the model does not know the item."""
        ...


class Recipe(Protocol):
    """An algorithm registered under a Personalize recipe ARN."""

    name: str  # e.g. "aws-user-personalization"
    recipe_type: RecipeType
    description: str
    default_hyperparameters: Mapping[str, str]  # strings, as Personalize reports them

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> Model:
        """Train on `data`. `hyperparameters` are the solution's algorithmHyperParameters merged
        over the defaults (string values, as the API carries them)."""
        ...

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """performHPO: search a small space on a validation split within the budget (at most
        `max_trials` trainings) and return the best hyperparameters (reported as tunedHPOParams).
        `space` is hpoConfig's ranges as candidate values per name; None: the recipe's own."""
        ...
