"""aws-user-personalization-v2 and aws-personalized-ranking-v2: the same history model as v1 with
the v2 recipes' hyperparameters and limits.

Personalize's v2 recipes consider up to 5 million items (from the Interactions and Items datasets)
and expose `apply_recency_bias` instead of v1's `recency_mask`. The defaults stay v1's: the setting
performHPO found on Sports (older items weighing more) was better there on leave-one-out but worse
on the Personalize protocol and on the synthetic store (docs/recipes.md), so it is not the default.
"""

from __future__ import annotations

from collections.abc import Mapping

from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_bool
from allstore.personalize.recipes.item_model import ItemToItemModel
from allstore.personalize.recipes.user_personalization import UserPersonalization

MAX_ITEMS = 5_000_000  # "can train on up to 5 million items from Item interactions and Items datasets"


class UserPersonalizationV2(UserPersonalization):
    """User-Personalization's model with v2's defaults, hyperparameter names and item limit."""

    name = "aws-user-personalization-v2"
    description = (
        "Next-item recommendations from each user's recent history over up to 5 million items, "
        "updated in real time from PutEvents without retraining."
    )
    default_hyperparameters: Mapping[str, str] = {
        **{
            name: value
            for name, value in UserPersonalization.default_hyperparameters.items()
            if name not in ("recency_mask", "latent_weight")
        },
        "apply_recency_bias": "true",
    }
    # The v2 pages' one hyperparameter: whether the latest interactions weigh more (v1's
    # recency_mask under v2's name), boolean, default true, "HPO tunable: No" (the service runs
    # HPO itself, with automatic training): reported with isTunable false, refused in hpoConfig.
    # v1's hidden_dimension and recency_mask are not v2 names: unknown here.
    documented_ranges: Mapping[str, tuple] = {"apply_recency_bias": ("categorical", ())}
    untunable_parameters = ("apply_recency_bias",)
    optional_parameters = ()

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel:
        if len(data.items) > MAX_ITEMS:
            raise ValueError(
                f"{self.name} trains on at most {MAX_ITEMS:,} items; this data has {len(data.items):,}"
            )
        hp = {**self.default_hyperparameters, **hyperparameters}
        recency = read_bool(hp, "apply_recency_bias")
        return super().fit(data, {**hp, "recency_mask": str(recency).lower()})


class PersonalizedRankingV2(UserPersonalizationV2):
    """User-Personalization-v2's model, registered for ranking (GetPersonalizedRanking)."""

    name = "aws-personalized-ranking-v2"
    recipe_type = "PERSONALIZED_RANKING"
    description = (
        "Re-ranks a list of items for a user by User-Personalization-v2's history-based scores over "
        "up to 5 million items, updated in real time from PutEvents."
    )
