"""A solution version's training, run in the background: the dataset group's data as the solution
restricts it, the recipe's fit (after tune, for performHPO; the best of a comparison of recipes, for
performAutoML), then the model saved with what the runtime needs beside it and the metrics."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from allstore.personalize.errors import JobFailed, invalid_input, not_found
from allstore.personalize.evaluation import solution_metrics
from allstore.personalize.recipes import Recipe, RetiredRecipe, TrainingData, event_weights, get_recipe
from allstore.personalize.recipes.hyperparameters import hpo_max_trials, hpo_search_space
from allstore.personalize.schemas import parse_schema
from allstore.personalize.state.kinds import Dataset, Schema, Solution, SolutionVersion
from allstore.personalize.state.models import bundle
from allstore.personalize.state.service_state import ServiceState

logger = logging.getLogger(__name__)
HPO_BUDGET_SECONDS = 60.0
# The service's documented minimum for training: 1000 interactions, and 25 users with two or more.
MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
DEFAULT_AUTOML_METRIC = "precision_at_25"


def recipe_of(recipe_arn: str) -> Recipe:
    """The recipe an ARN names: ResourceNotFoundException for an unknown one, InvalidInputException
    for a retired one."""
    try:
        return get_recipe(recipe_arn)
    except RetiredRecipe as retired:
        raise invalid_input(retired.args[0]) from None
    except KeyError:
        raise not_found(f"Recipe {recipe_arn} does not exist.") from None


def takes_actions(solution: Solution) -> bool:
    """Whether the solution's recipe is Next-Best-Action's kind (PERSONALIZED_ACTIONS)."""
    return bool(solution.recipe_arn) and recipe_of(solution.recipe_arn).recipe_type == "PERSONALIZED_ACTIONS"


def train(
    state: ServiceState, version_arn: str, solution: Solution, previous: SolutionVersion | None
) -> None:
    """Train the version; any exception fails it and no model file is written."""
    started = time.monotonic()
    version = state.resources.get(SolutionVersion, version_arn)
    skipped: list[str] = []
    if takes_actions(solution):  # trains on the action interactions, not the item interactions
        events_seq = state.action_events.last_seq(solution.dataset_group_arn)
        data = state.action_training_data(solution.dataset_group_arn, events_seq, skipped)
    else:
        events_seq = state.events.last_seq(solution.dataset_group_arn)
        events_config = events_config_of(state, solution)
        data = state.training_data(
            solution.dataset_group_arn,
            events_seq,
            solution.event_type,
            solution.event_value_threshold,
            skipped,
            events_config,
        )
    if skipped:
        logger.warning(
            "%s: skipped %d rows training cannot read (first: %s)", version_arn, len(skipped), skipped[0]
        )
    _check_minimum_data(data)
    overrides = solution.hyperparameter_overrides
    if solution.perform_auto_ml:
        recipe = _best_recipe(state, solution, data, overrides)
    else:
        recipe = recipe_of(solution.recipe_arn)
    _check_recipe_data(state, recipe, solution.dataset_group_arn, data)
    hyperparameters = {**recipe.default_hyperparameters, **overrides}
    changes: dict[str, Any] = {}
    if version.training_mode == "UPDATE" and previous is not None:
        hyperparameters.update(previous.tuned_hyperparameters)
    elif solution.perform_hpo:  # hpoConfig's ranges, checked by CreateSolution, else the recipe's own
        hpo = solution.solution_config.get("hpoConfig")
        space = hpo_search_space(hpo, recipe, hyperparameters)
        hyperparameters = recipe.tune(
            data, hyperparameters, HPO_BUDGET_SECONDS, space=space, max_trials=hpo_max_trials(hpo)
        )
        changes["tuned_hpo_params"] = {"algorithmHyperParameters": dict(hyperparameters)}
    model = recipe.fit(data, hyperparameters)
    metrics = solution_metrics(recipe, data, hyperparameters)
    state.models.save(version_arn, bundle(model, recipe.name, recipe.recipe_type, data, events_seq))
    state.resources.update(
        SolutionVersion,
        version_arn,
        metrics=metrics,
        skipped_rows=len(skipped),
        training_hours=(time.monotonic() - started) / 3600,
        **changes,
    )


def interaction_fields(state: ServiceState, group_arn: str) -> list[str] | None:
    """The column names of the dataset group's Item interactions schema (None without the dataset)."""
    dataset = state.metadata.dataset_of(group_arn, "INTERACTIONS")
    if dataset is None:
        return None
    schema = parse_schema(state.resources.get(Schema, dataset.schema_arn).schema)
    return [field.name.upper() for field in schema.fields]


def events_config_of(
    state: ServiceState, solution: Solution
) -> tuple[event_weights.EventParameters, ...] | None:
    """The solution's eventsConfig entries (checked by CreateSolution and UpdateSolution), or None;
    JobFailed when the Item interactions dataset cannot carry them."""
    try:
        parameters = event_weights.parse(solution.solution_config.get("eventsConfig"))
        if parameters is not None:
            fields = interaction_fields(state, solution.dataset_group_arn)
            event_weights.check_columns(parameters, fields or [])
    except ValueError as error:
        raise JobFailed(str(error)) from None
    return parameters


def _check_minimum_data(data: TrainingData) -> None:
    """Fail the training as the service does when the interactions are fewer than its minimum."""
    users_with_two = int((np.bincount(data.user_codes, minlength=len(data.users)) >= 2).sum())
    if len(data.user_codes) < MIN_INTERACTIONS:
        raise JobFailed(
            fewer_interactions(len(data.user_codes), counted=" after eventType and eventValueThreshold")
        )
    if users_with_two < MIN_USERS_WITH_TWO:
        raise JobFailed(fewer_users(users_with_two))


def fewer_interactions(count: int, event_type: str | None = None, counted: str = "") -> str:
    """Too few interactions, in the words of the service's messages ("Dataset has fewer than 1000
    interactions after filtering by event type: <event type>"; "Create failed. ..."), then how many
    there are (`counted`: what was counted)."""
    if event_type is not None:
        return (
            f"Dataset has fewer than {MIN_INTERACTIONS} interactions after filtering by event type: "
            f"{event_type} (it has {count})."
        )
    return f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions ({count}{counted})."


def fewer_users(count: int) -> str:
    """Too few users with two interactions: the service's message, then how many there are."""
    return (
        f"Create failed. Dataset has fewer than {MIN_USERS_WITH_TWO} users with at least 2 interactions "
        f"each ({count} have two or more)."
    )


def _check_recipe_data(state: ServiceState, recipe: Recipe, group_arn: str, data: TrainingData) -> None:
    """The recipes' own documented minimums, beyond every recipe's: SIMS needs 1000 unique
    interactions (a row repeated with the same user, item and time counts once);
    Item-Attribute-Affinity an Items dataset with a metadata column that is neither textual nor a
    reserved keyword."""
    if recipe.name == "aws-sims":
        rows = np.stack([data.user_codes, data.item_codes, data.timestamps]).astype(np.int64)
        unique = np.unique(rows, axis=1).shape[1]
        if unique < MIN_INTERACTIONS:
            raise JobFailed(
                f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} unique interactions, which "
                f"{recipe.name} needs ({unique}; rows with the same user, item and timestamp count once)."
            )
    if recipe.name == "aws-item-attribute-affinity":
        items = state.resources.select(
            Dataset,
            lambda dataset: dataset.dataset_group_arn == group_arn and dataset.dataset_type == "ITEMS",
        )
        schema = parse_schema(state.resources.get(Schema, items[0].schema_arn).schema) if items else None
        fields = (
            [field.name for field in schema.metadata_fields("ITEMS") if not field.textual] if schema else []
        )
        columns = (state.datasets.load(items[0].arn) or {}) if items else {}
        if not any(_varies(columns.get(name)) for name in fields):
            # the service's failureReason (reported in aws-samples/retail-demo-store), then what is here
            raise JobFailed(
                "Did not find any attribute to train on. There may not be any attribute in the items "
                "dataset, or all attribute values either have same or all distinct values. ("
                + (
                    f"dataset group {group_arn} has no Items dataset"
                    if schema is None
                    else f"metadata columns that are neither textual nor reserved: {', '.join(fields) or 'none'}"
                )
                + ")"
            )


def _varies(column: np.ndarray | None) -> bool:
    """Whether an attribute column can tell items apart and group them: neither one value for every
    item nor a different value for each."""
    if column is None or len(column) == 0:
        return False
    distinct = len(np.unique(column))
    return 1 < distinct < len(column)


def _best_recipe(
    state: ServiceState, solution: Solution, data: TrainingData, overrides: dict[str, str]
) -> Recipe:
    """performAutoML: the recipe from the list with the best validation metric."""
    metric = solution.auto_ml_metric or DEFAULT_AUTOML_METRIC
    best, best_value, best_arn = None, float("-inf"), None
    for recipe_arn in solution.auto_ml_recipe_arns:
        recipe = recipe_of(recipe_arn)
        metrics = solution_metrics(recipe, data, {**recipe.default_hyperparameters, **overrides})
        if metric not in metrics:
            raise JobFailed(f"autoMLConfig.metricName {metric} is not one of {sorted(metrics)}")
        if metrics[metric] > best_value:
            best, best_value, best_arn = recipe, metrics[metric], recipe_arn
    state.resources.update(Solution, solution.arn, auto_ml_result={"bestRecipeArn": best_arn})
    return best
