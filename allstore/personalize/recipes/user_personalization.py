"""aws-user-personalization (and the legacy HRNN names): next-item recommendation from a history.

The model is item-to-item: what people interacted with *next* after each item (sequential
transitions over a window of following steps, nearer steps weighing more, plus some backward flow
because items bought together are reviewed in either order), optionally mixed with whole-history
co-occurrence, and pruned to each item's strongest neighbours. A history is scored by summing its
items' rows, recent items weighing more, plus each history item's repeat rate (re-buying is its
own habit) and a pull towards items with the same metadata; new events change recommendations at
once. docs/recipes.md has the measurements behind each choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from allstore.personalize.recipes import event_weights, item_features, item_graph, latent_factors
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_bool, read_float, read_int
from allstore.personalize.recipes.item_model import ItemToItemModel
from allstore.personalize.recipes.latent_factors import LatentBlend
from allstore.personalize.recipes.tuning import best_value, tune_on_validation

# "auto" windows: short ones suit session-like data (a few related items in a row), long ones
# review data where the order of items bought together is loose (Sports 2014: 20 beats 3 by 10%).
AUTO_WINDOWS = ("20", "10", "3")


def history_length_filter(data: TrainingData, hyperparameters: Mapping[str, str]) -> np.ndarray:
    """Rows of users whose history length lies within the documented percentile bounds, so bots
    and one-off visitors do not shape the model."""
    low = read_float(hyperparameters, "min_user_history_length_percentile", 0.0, 1.0)
    high = read_float(hyperparameters, "max_user_history_length_percentile", 0.0, 1.0)
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
    """Recency-weighted item transitions, repeat habits and metadata, scored from the history."""

    name = "aws-user-personalization"
    recipe_type = "USER_PERSONALIZATION"
    description = (
        "Next-item recommendations from each user's recent history: what people interact with "
        "after each item, how often items are bought again, and similar items by metadata, weighted "
        "towards the latest interactions. Updates in real time from PutEvents without retraining."
    )
    default_hyperparameters: Mapping[str, str] = {
        # The recipe's documented hyperparameters the model honours, with their documented defaults
        # (documented_ranges; max_user_history_length_percentile excepted, see below), then ours.
        "bptt": "32",
        "recency_mask": "true",
        "min_user_history_length_percentile": "0.0",
        "max_user_history_length_percentile": "1.0",
        "history_decay": "0.5",
        "transition_window": "auto",
        "transition_step_decay": "0.9",
        "backward_weight": "0.3",
        "cooccurrence_weight": "0.0",
        "popularity_discount": "0.2",
        "neighbours": "200",
        "metadata_weight": "0.1",
        "popularity_prior": "0.001",
        "repeat_weight": "3.0",
        "repeat_decay": "1.0",
        "latent_weight": "0.3",
    }
    search_space: Mapping[str, Sequence[str]] = {
        "history_decay": ("0.3", "0.5", "0.7"),
        "transition_step_decay": ("0.7", "0.9", "1.0"),
        "backward_weight": ("0.1", "0.3", "0.6"),
        "cooccurrence_weight": ("0.0", "0.05", "0.2"),
        "popularity_discount": ("0.0", "0.2", "0.4"),
        "repeat_weight": ("0.0", "1.0", "3.0", "6.0"),
        "repeat_decay": ("0.8", "0.95", "1.0"),
        "metadata_weight": ("0.0", "0.1", "0.3"),
    }

    # The recipe page's hyperparameters and ranges ("HPO tunable: Yes" for hidden_dimension, bptt
    # and recency_mask): CreateSolution and hpoConfig are checked against them, DescribeAlgorithm
    # reports them. hidden_dimension is the rank of a latent-factor component blended into the
    # scores (latent_factors.py) with our latent_weight; it has no default here (the page's is
    # 149): unset, the model has no latent component. bptt is how many of the latest interactions a
    # history is scored from, recency_mask whether recent ones weigh more. The page's default for
    # max_user_history_length_percentile is 0.99; here it stays 1.0 (every user trains), which
    # measured better (docs/personalize.md).
    documented_ranges: Mapping[str, tuple] = {
        "hidden_dimension": ("integer", 32, 256),
        "bptt": ("integer", 2, 32),
        "recency_mask": ("categorical", ()),
        "min_user_history_length_percentile": ("continuous", 0.0, 1.0),
        "max_user_history_length_percentile": ("continuous", 0.0, 1.0),
    }

    # The featurization hyperparameters, which solutionConfig.featureTransformationParameters sets.
    featurization_parameters = ("min_user_history_length_percentile", "max_user_history_length_percentile")
    # Documented names without a default here: accepted, reported by DescribeAlgorithm's ranges
    # and tunable, applied only when set (or chosen by HPO).
    optional_parameters = ("hidden_dimension",)

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel | LatentBlend:
        hp = self._with_window({**self.default_hyperparameters, **hyperparameters}, data)
        order = item_graph.user_order(data, history_length_filter(data, hp))
        user_codes, item_codes = data.user_codes[order], data.item_codes[order]
        weights = event_weights.row_weights(data)  # eventsConfig's (v2 recipes), or None
        weights = None if weights is None else weights[order]
        n_items = len(data.items)
        neighbours = item_graph.blended_neighbours(
            user_codes,
            item_codes,
            len(data.users),
            n_items,
            window=read_int(hp, "transition_window", 1, 100),
            step_decay=read_float(hp, "transition_step_decay", 0.0, 1.0),
            backward_weight=read_float(hp, "backward_weight", 0.0, 10.0),
            cooccurrence_weight=read_float(hp, "cooccurrence_weight", 0.0, 10.0),
            popularity_discount=read_float(hp, "popularity_discount", 0.0, 1.0),
            neighbours=read_int(hp, "neighbours", 1, 5000),
            row_weights=weights,
        )
        counts = np.bincount(item_codes, weights=weights, minlength=n_items).astype(np.float32)
        prior = read_float(hp, "popularity_prior", 0.0, 1.0) * counts / max(counts.max(), 1.0)
        recency = read_bool(hp, "recency_mask")
        repeat_weight = read_float(hp, "repeat_weight", 0.0, 100.0)
        repeats = item_graph.repeat_rates(user_codes, item_codes, n_items, 5.0, weights)
        model = ItemToItemModel(
            items=data.items,
            neighbours=neighbours,
            prior=prior,
            history_decay=read_float(hp, "history_decay", 0.0, 1.0) if recency else 1.0,
            max_history=read_int(hp, "bptt", 2, 32),
            repeat_rates=repeat_weight * repeats if repeat_weight > 0 else None,
            repeat_decay=read_float(hp, "repeat_decay", 0.0, 1.0) if recency else 1.0,
            item_features=item_features.categorical_features(data.items, data.item_metadata),
            metadata_weight=read_float(hp, "metadata_weight", 0.0, 10.0),
        )
        if "hidden_dimension" not in hp:
            return model
        factors = latent_factors.item_factors(
            latent_factors.interaction_matrix(user_codes, item_codes, len(data.users), n_items),
            read_int(hp, "hidden_dimension", 32, 256),
        )
        return LatentBlend(model, factors, read_float(hp, "latent_weight", 0.0, 10.0))

    def tune(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        budget_seconds: float,
        space: Mapping[str, Sequence[str]] | None = None,
        max_trials: int | None = None,
    ) -> dict[str, str]:
        """performHPO: settle the window first (so trials do not each redo it), then search."""
        window = self._with_window({**self.default_hyperparameters, **hyperparameters}, data)
        fixed = {**hyperparameters, "transition_window": window["transition_window"]}
        return tune_on_validation(self, data, fixed, budget_seconds, space, max_trials)

    def _with_window(self, hp: dict[str, str], data: TrainingData) -> dict[str, str]:
        """`transition_window` "auto" replaced by the best of AUTO_WINDOWS on a validation split."""
        if hp["transition_window"] != "auto":
            return hp
        return {**hp, "transition_window": best_value(self, data, hp, "transition_window", AUTO_WINDOWS)}
