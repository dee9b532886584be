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

RecipeType = Literal["USER_PERSONALIZATION", "RELATED_ITEMS", "PERSONALIZED_RANKING", "POPULAR_ITEMS"]


@dataclass(frozen=True)
class TrainingData:
    """Interactions as parallel arrays (one row per event, sorted by timestamp), plus metadata.

    `users` and `items` map the integer codes in `user_codes` / `item_codes` back to ids.
    `item_metadata` / `user_metadata` hold the Items / Users datasets' rows keyed by id (fields as
    in the schema, e.g. CATEGORY_L1, PRICE), or are empty when the dataset group has none.
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
        self, data: TrainingData, hyperparameters: Mapping[str, str], budget_seconds: float
    ) -> dict[str, str]:
        """performHPO: search a small space on a validation split within the budget and return
        the best hyperparameters (reported as tunedHPOParams)."""
        ...
