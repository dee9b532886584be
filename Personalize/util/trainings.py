"""Start a solution's training without waiting for it, re-runnably, with automatic training off.

Notebook 1 starts every model the workshop needs right after the import, so the trainings run side
by side while participants go on; the later notebooks call the same function and get the versions
already training (or trained) instead of new ones.
"""

from __future__ import annotations

from typing import Any

from allstore.workshop.resources import SOLUTION, get_or_create
from util import progress

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"


def start(
    personalize: Any, name: str, dataset_group_arn: str, recipe: str, **options: Any
) -> tuple[str, str]:
    """(solution ARN, solution version ARN) of solution `name` with `recipe` (e.g. "aws-similar-items"),
    creating the solution and a version only when missing; `options` go to CreateSolution.

    performAutoTraining is off: Personalize's default (on) would train a new version every 7 days
    (billed training hours) for as long as the solution exists, while the store's clicks arrive.
    """
    solution_arn = get_or_create(
        personalize,
        SOLUTION,
        name,
        lambda: personalize.create_solution(
            name=name,
            datasetGroupArn=dataset_group_arn,
            recipeArn=RECIPE_PREFIX + recipe,
            performAutoTraining=False,
            **options,
        ),
        datasetGroupArn=dataset_group_arn,
    )
    solution = progress.wait_until_active(
        lambda: personalize.describe_solution(solutionArn=solution_arn)["solution"], f"{name} solution"
    )
    latest = solution.get("latestSolutionVersion", {}).get("solutionVersionArn")
    version_arn = (
        latest or personalize.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    )
    return solution_arn, version_arn
