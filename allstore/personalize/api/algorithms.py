"""The algorithms and feature transformations behind the recipes (DescribeAlgorithm,
DescribeFeatureTransformation): each recipe's `algorithmArn` / `featureTransformationArn`, as
ListRecipes reports them, described with the recipe's default hyperparameters and the ranges
hpoConfig may search (isTunable as the recipe pages document)."""

from __future__ import annotations

from typing import Any

from allstore.personalize.errors import not_found
from allstore.personalize.recipes import RECIPES, Recipe
from allstore.personalize.recipes.hyperparameters import ALGORITHM_ARN_PREFIX, tunable_ranges
from allstore.personalize.state.service_state import ServiceState
from allstore.workshop.statuses import ACTIVE

Result = dict[str, Any]
ALGORITHM_PREFIX = ALGORITHM_ARN_PREFIX
FEATURE_TRANSFORMATION_PREFIX = "arn:aws:personalize:::feature-transformation/"
PUBLISHED = 1_559_347_200.0  # 2019-06-01, the date the service reports for its recipes


def _recipe(arn: str, prefix: str, label: str) -> Recipe:
    recipe = RECIPES.get(arn.removeprefix(prefix)) if arn.startswith(prefix) else None
    if recipe is None:
        raise not_found(f"{label} {arn} does not exist.")
    return recipe


class AlgorithmsApi:
    """Read-only: what each recipe runs."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def describe_algorithm(self, algorithm_arn: str) -> Result:
        recipe = _recipe(algorithm_arn, ALGORITHM_PREFIX, "Algorithm")
        return {
            "algorithm": {
                "name": recipe.name,
                "algorithmArn": algorithm_arn,
                # no container: the algorithm runs in the local service's own process
                "algorithmImage": {"name": recipe.name, "dockerURI": f"allstore:{type(recipe).__module__}"},
                "defaultHyperParameters": dict(recipe.default_hyperparameters),
                "defaultHyperParameterRanges": tunable_ranges(recipe),
                "defaultResourceConfig": {},
                "trainingInputMode": "File",
                "creationDateTime": PUBLISHED,
                "lastUpdatedDateTime": PUBLISHED,
            }
        }

    def describe_feature_transformation(self, feature_transformation_arn: str) -> Result:
        recipe = _recipe(feature_transformation_arn, FEATURE_TRANSFORMATION_PREFIX, "Feature transformation")
        return {
            "featureTransformation": {
                "name": recipe.name,
                "featureTransformationArn": feature_transformation_arn,
                "defaultParameters": {
                    name: recipe.default_hyperparameters[name]
                    for name in getattr(recipe, "featurization_parameters", ())
                },
                "status": ACTIVE,
                "creationDateTime": PUBLISHED,
                "lastUpdatedDateTime": PUBLISHED,
            }
        }
