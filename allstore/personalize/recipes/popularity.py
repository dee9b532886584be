"""aws-popularity-count and aws-trending-now: the same list for everyone, from interaction counts.

Personalize's popularity recipes ignore who is asking, so the model keeps one score vector. They
also do not change with PutEvents until retrained, which is why the scores are fixed at fit time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_choice

# The Trending-Now page's "Trend discovery frequency" values ("Possible values: 30 min, 1h, 3h, and
# 1 day"; default 3h), in seconds.
_TREND_PERIODS = {"30 min": 1800, "1h": 3600, "3h": 3 * 3600, "1 day": 86400}


class PopularityModel:
    """One fixed score vector, whatever the history."""

    def __init__(self, items: np.ndarray, scores: np.ndarray) -> None:
        self.items = items
        self.scores = np.asarray(scores, dtype=np.float32)
        self.known = frozenset(items.tolist())

    def score_history(self, history: Sequence[str], timestamps: Sequence[int] | None = None) -> np.ndarray:
        return self.scores.copy()

    def score_histories(self, histories: Sequence[Sequence[str]]) -> np.ndarray:
        """The same row for every history (batch form, for offline evaluation)."""
        return np.tile(self.scores, (len(histories), 1))

    def score_item(self, item_id: str) -> np.ndarray | None:
        return self.scores.copy() if item_id in self.known else None


def _counts(data: TrainingData) -> np.ndarray:
    """Interactions per item."""
    return np.bincount(data.item_codes, minlength=len(data.items)).astype(np.float32)


class PopularityCount:
    """Most interactions first."""

    name = "aws-popularity-count"
    recipe_type = "POPULAR_ITEMS"
    description = "Items ranked by how many interactions they have, the same for every user."
    default_hyperparameters: Mapping[str, str] = {}

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> PopularityModel:
        return PopularityModel(data.items, _counts(data))

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """Nothing to tune: counting has no free parameter."""
        return {**self.default_hyperparameters, **hyperparameters}


class TrendingNow:
    """Items whose interactions grew most between the previous period and the latest one."""

    name = "aws-trending-now"
    recipe_type = "POPULAR_ITEMS"
    description = (
        "Items gaining popularity fastest: interactions in the latest trend period compared with the "
        "period before it, ties broken by overall popularity."
    )
    default_hyperparameters: Mapping[str, str] = {"trend_discovery_frequency": "3h"}
    # A feature transformation hyperparameter on the recipe page ("HPO tunable: No"), so it is set
    # in featureTransformationParameters (algorithmHyperParameters takes it too).
    documented_ranges: Mapping[str, tuple] = {
        "trend_discovery_frequency": ("categorical", tuple(_TREND_PERIODS))
    }
    featurization_parameters = ("trend_discovery_frequency",)

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> PopularityModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        period = _TREND_PERIODS[read_choice(hp, "trend_discovery_frequency", _TREND_PERIODS)]
        total = _counts(data)
        if len(data.timestamps) == 0:
            return PopularityModel(data.items, total)
        latest = int(data.timestamps.max())
        recent_rows = data.timestamps > latest - period
        previous_rows = (data.timestamps > latest - 2 * period) & ~recent_rows
        n_items = len(data.items)
        recent = np.bincount(data.item_codes[recent_rows], minlength=n_items)
        previous = np.bincount(data.item_codes[previous_rows], minlength=n_items)
        # Growth dominates; overall popularity (scaled below one step of growth) breaks ties.
        tie_breaker = total / (total.max() + 1.0)
        return PopularityModel(data.items, (recent - previous) + tie_breaker)

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """Nothing to tune: the trend period is the user's choice, not a quality knob."""
        return {**self.default_hyperparameters, **hyperparameters}
