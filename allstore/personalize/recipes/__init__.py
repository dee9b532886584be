"""The recipe registry: Personalize recipe ARNs and names → algorithms.

The service looks recipes up here and nowhere else, so a better algorithm drops in by changing
one line. Legacy HRNN recipes map to User-Personalization, which superseded them in Personalize.
"""

from __future__ import annotations

from allstore.personalize.recipes.base import Model, Recipe, RecipeType, TrainingData
from allstore.personalize.recipes.personalized_ranking import PersonalizedRanking
from allstore.personalize.recipes.popularity import PopularityCount, TrendingNow
from allstore.personalize.recipes.sims import Sims
from allstore.personalize.recipes.user_personalization import UserPersonalization

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (UserPersonalization(), Sims(), PersonalizedRanking(), PopularityCount(), TrendingNow())
}

LEGACY_ALIASES = {
    "aws-hrnn": "aws-user-personalization",
    "aws-hrnn-metadata": "aws-user-personalization",
    "aws-hrnn-coldstart": "aws-user-personalization",
}


def get_recipe(arn_or_name: str) -> Recipe:
    """The recipe for `arn:aws:personalize:::recipe/<name>` or a bare name; KeyError if unknown."""
    name = arn_or_name.removeprefix(RECIPE_ARN_PREFIX)
    name = LEGACY_ALIASES.get(name, name)
    if name not in RECIPES:
        raise KeyError(f"Unknown recipe {arn_or_name!r}; available: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


__all__ = [
    "LEGACY_ALIASES",
    "RECIPES",
    "RECIPE_ARN_PREFIX",
    "Model",
    "Recipe",
    "RecipeType",
    "TrainingData",
    "get_recipe",
]
