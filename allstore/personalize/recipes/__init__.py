"""The recipe registry: Personalize recipe ARNs and names → algorithms.

The service looks recipes up here and nowhere else, so a better algorithm drops in by changing
one line. The legacy HRNN recipes are retired, as in Personalize: `RETIRED_RECIPES` names their
successor so the service can refuse them with a useful message.
"""

from __future__ import annotations

from allstore.personalize.recipes.base import Model, Recipe, RecipeType, TrainingData
from allstore.personalize.recipes.item_affinity import ItemAffinity, ItemAttributeAffinity
from allstore.personalize.recipes.next_best_action import NextBestAction
from allstore.personalize.recipes.personalized_ranking import PersonalizedRanking
from allstore.personalize.recipes.popularity import PopularityCount, TrendingNow
from allstore.personalize.recipes.similar_items import SimilarItems
from allstore.personalize.recipes.sims import Sims
from allstore.personalize.recipes.user_personalization import UserPersonalization
from allstore.personalize.recipes.v2 import PersonalizedRankingV2, UserPersonalizationV2

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        UserPersonalizationV2(),
        UserPersonalization(),
        PersonalizedRankingV2(),
        PersonalizedRanking(),
        SimilarItems(),
        Sims(),
        PopularityCount(),
        TrendingNow(),
        ItemAffinity(),
        ItemAttributeAffinity(),
        NextBestAction(),
    )
}

RETIRED_RECIPES = {
    "aws-hrnn": "aws-user-personalization-v2",
    "aws-hrnn-metadata": "aws-user-personalization-v2",
    "aws-hrnn-coldstart": "aws-user-personalization-v2",
}


class RetiredRecipe(KeyError):
    """A recipe Personalize no longer offers; `successor` is the one to use instead."""

    def __init__(self, name: str) -> None:
        self.successor = RETIRED_RECIPES[name]
        super().__init__(f"The recipe {name} is no longer available; use {self.successor} instead.")


def get_recipe(arn_or_name: str) -> Recipe:
    """The recipe for `arn:aws:personalize:::recipe/<name>` or a bare name; KeyError if unknown
    (RetiredRecipe, a KeyError, for the retired HRNN recipes)."""
    name = arn_or_name.removeprefix(RECIPE_ARN_PREFIX)
    if name in RETIRED_RECIPES:
        raise RetiredRecipe(name)
    if name not in RECIPES:
        raise KeyError(f"Unknown recipe {arn_or_name!r}; available: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


__all__ = [
    "RECIPES",
    "RECIPE_ARN_PREFIX",
    "RETIRED_RECIPES",
    "Model",
    "Recipe",
    "RecipeType",
    "RetiredRecipe",
    "TrainingData",
    "get_recipe",
]
