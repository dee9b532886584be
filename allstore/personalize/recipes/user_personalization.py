"""aws-user-personalization (and the legacy HRNN names): next-item recommendation from a history.

The model mixes two item-to-item signals: what people interacted with *next* (sequential
transitions, nearer steps weigh more, a little backward flow for items bought together) and what
the same people interacted with at all (co-occurrence). Both are discounted by popularity and
pruned to each item's strongest neighbours; a history is scored by summing its items' rows with
recent items weighing more, so new events change recommendations at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from allstore.personalize.recipes import item_graph
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_bool, read_float, read_int
from allstore.personalize.recipes.item_model import ItemToItemModel


def history_length_filter(data: TrainingData, hyperparameters: Mapping[str, str]) -> np.ndarray:
    """Rows of users whose history length lies within the documented percentile bounds, so bots
    and one-off visitors do not shape the model."""
    low = read_float(hyperparameters, "min_user_history_length_percentile", 0.0, 1.0, 0.0)
    high = read_float(hyperparameters, "max_user_history_length_percentile", 0.0, 1.0, 1.0)
    if low >= high:
        raise ValueError(
            "min_user_history_length_percentile must be below max_user_history_length_percentile"
        )
    lengths = np.bincount(data.user_codes, minlength=len(data.users))
    observed = lengths[lengths > 0]
    if len(observed) == 0:
        return np.zeros(len(data.user_codes), dtype=bool)
    lower, upper = np.quantile(observed, [low, high])
    per_event = lengths[data.user_codes]
    return (per_event >= lower) & (per_event <= upper)


class UserPersonalization:
    """Recency-weighted transitions + co-occurrence, scored from the growing history."""

    name = "aws-user-personalization"
    recipe_type = "USER_PERSONALIZATION"
    description = (
        "Next-item recommendations from each user's recent history: sequential transitions and "
        "co-occurrence between items, weighted towards the latest interactions. Updates in real "
        "time from PutEvents without retraining."
    )
    default_hyperparameters: Mapping[str, str] = {
        "bptt": "32",
        "recency_mask": "true",
        "min_user_history_length_percentile": "0.0",
        "max_user_history_length_percentile": "0.99",
        "history_decay": "0.6",
        "transition_window": "3",
        "transition_step_decay": "0.5",
        "backward_weight": "0.5",
        "cooccurrence_weight": "0.3",
        "popularity_discount": "0.5",
        "neighbours": "200",
        "popularity_prior": "0.001",
    }
    search_space: Mapping[str, Sequence[str]] = {
        "history_decay": ("0.3", "0.6", "0.8"),
        "cooccurrence_weight": ("0.1", "0.3", "1.0"),
        "popularity_discount": ("0.3", "0.5", "0.7"),
        "transition_window": ("1", "3", "5"),
    }

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        keep = history_length_filter(data, hp)
        user_codes, item_codes = item_graph.user_ordered(data)
        keep_sorted = keep[np.lexsort((data.timestamps, data.user_codes))]
        user_codes, item_codes = user_codes[keep_sorted], item_codes[keep_sorted]
        n_items = len(data.items)
        neighbours = item_graph.blended_neighbours(
            user_codes,
            item_codes,
            len(data.users),
            n_items,
            window=read_int(hp, "transition_window", 1, 50, 3),
            step_decay=read_float(hp, "transition_step_decay", 0.0, 1.0, 0.5),
            backward_weight=read_float(hp, "backward_weight", 0.0, 10.0, 0.5),
            cooccurrence_weight=read_float(hp, "cooccurrence_weight", 0.0, 10.0, 0.3),
            popularity_discount=read_float(hp, "popularity_discount", 0.0, 1.0, 0.5),
            neighbours=read_int(hp, "neighbours", 1, 5000, 200),
        )
        counts = np.bincount(item_codes, minlength=n_items).astype(np.float32)
        prior = read_float(hp, "popularity_prior", 0.0, 1.0, 0.001) * counts / max(counts.max(), 1.0)
        recency = read_bool(hp, "recency_mask", True)
        return ItemToItemModel(
            items=data.items,
            neighbours=neighbours,
            prior=prior,
            history_decay=read_float(hp, "history_decay", 0.0, 1.0, 0.6) if recency else 1.0,
            max_history=read_int(hp, "bptt", 1, 10_000, 32),
        )

    def tune(
        self, data: TrainingData, hyperparameters: Mapping[str, str], budget_seconds: float
    ) -> dict[str, str]:
        from allstore.personalize.recipes.tuning import tune_on_validation

        return tune_on_validation(self, data, hyperparameters, budget_seconds)
