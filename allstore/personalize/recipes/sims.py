"""aws-sims: items similar to a given item, from how users interact with items together.

Like Personalize's SIMS this is item-to-item co-occurrence discounted by popularity (so the
best-seller is not "similar" to everything); interactions close together in a user's sequence
count more than ones far apart, which is what "people who viewed this then viewed" means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from allstore.personalize.recipes import item_features, item_graph
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_float, read_int
from allstore.personalize.recipes.item_model import ItemToItemModel
from allstore.personalize.recipes.tuning import tune_on_validation
from allstore.personalize.recipes.user_personalization import history_length_filter


class Sims:
    """Symmetric, proximity-weighted, popularity-discounted co-occurrence."""

    name = "aws-sims"
    recipe_type = "RELATED_ITEMS"
    description = (
        "Similar items: items that the same users interact with, closer together in time counting "
        "more, discounted by popularity. Needs retraining to learn from new events."
    )
    default_hyperparameters: Mapping[str, str] = {
        "popularity_discount_factor": "0.5",
        "min_cointeraction_count": "1",
        "min_user_history_length_percentile": "0.0",
        "max_user_history_length_percentile": "0.995",
        "cointeraction_window": "3",
        "cointeraction_step_decay": "0.5",
        "whole_history_weight": "0.3",
        "neighbours": "200",
        "metadata_weight": "0.1",
    }
    search_space: Mapping[str, Sequence[str]] = {
        "popularity_discount_factor": ("0.3", "0.5", "0.7"),
        "cointeraction_window": ("1", "3", "5"),
        "whole_history_weight": ("0.1", "0.3", "1.0"),
        "metadata_weight": ("0.0", "0.1", "0.3"),
    }
    # The SIMS page's hyperparameters and ranges ("HPO tunable: Yes" for the first two), so
    # algorithmHyperParameters and hpoConfig are checked against them; the percentiles are
    # featurization hyperparameters (featureTransformationParameters, not tunable).
    documented_ranges: Mapping[str, tuple] = {
        "popularity_discount_factor": ("continuous", 0.0, 1.0),
        "min_cointeraction_count": ("integer", 0, 10),
        "min_user_history_length_percentile": ("continuous", 0.0, 1.0),
        "max_user_history_length_percentile": ("continuous", 0.0, 1.0),
    }
    featurization_parameters = ("min_user_history_length_percentile", "max_user_history_length_percentile")

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        return self.related_model(
            data, hp, item_features.categorical_features(data.items, data.item_metadata)
        )

    def related_model(
        self, data: TrainingData, hp: Mapping[str, str], features: sp.csr_matrix
    ) -> ItemToItemModel:
        """The co-interaction graph of `hp` (defaults merged) with `features` as the item metadata."""
        user_codes, item_codes = item_graph.user_ordered(data, history_length_filter(data, hp))
        n_items = len(data.items)
        neighbours = item_graph.blended_neighbours(
            user_codes,
            item_codes,
            len(data.users),
            n_items,
            window=read_int(hp, "cointeraction_window", 1, 50),
            step_decay=read_float(hp, "cointeraction_step_decay", 0.0, 1.0),
            backward_weight=1.0,
            cooccurrence_weight=read_float(hp, "whole_history_weight", 0.0, 10.0),
            popularity_discount=read_float(hp, "popularity_discount_factor", 0.0, 1.0),
            neighbours=read_int(hp, "neighbours", 1, 5000),
        )
        neighbours = item_graph.drop_rare_pairs(
            neighbours,
            user_codes,
            item_codes,
            len(data.users),
            read_int(hp, "min_cointeraction_count", 0, 1000),
        )
        counts = np.bincount(item_codes, minlength=n_items).astype(np.float32)
        return ItemToItemModel.related_items(
            data.items,
            neighbours,
            counts,
            item_features=features,
            metadata_weight=read_float(hp, "metadata_weight", 0.0, 10.0),
        )

    # performHPO: tune(data, hyperparameters, budget_seconds) searches `search_space`.
    tune = tune_on_validation
