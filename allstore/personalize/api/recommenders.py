"""Recommenders (AmazonPersonalize.<Operation>): a domain dataset group's use case, trained and
deployed as one resource, with the service's status transitions:

    CREATE PENDING > CREATE IN_PROGRESS > ACTIVE -or- CREATE FAILED
    STOP PENDING > STOP IN_PROGRESS > INACTIVE > START PENDING > START IN_PROGRESS > ACTIVE
    DELETE PENDING > (gone)

Training reads the dataset group's data restricted to the use case's event types, checks the
minimums the service documents (1000 interactions, 25 users with two or more, 1000 events of the
required type), fits the use case's recipe and stores the model under the recommender's ARN, where
GetRecommendations(recommenderArn=...) finds it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from allstore.personalize.errors import JobFailed, in_use, invalid_input, not_found
from allstore.personalize.evaluation import solution_metrics
from allstore.personalize.recipes import RECIPE_ARN_PREFIX, TrainingData
from allstore.personalize.recipes.use_cases import (
    MIN_EVENTS_OF_REQUIRED_TYPE,
    MIN_INTERACTIONS,
    MIN_USERS_WITH_TWO,
    USE_CASES,
    UseCase,
)
from allstore.personalize.recipes.validation import subset
from allstore.personalize.state.inference import exploration_settings
from allstore.personalize.state.kinds import Dataset, DatasetGroup, Recommender, RecommenderUpdate
from allstore.personalize.state.models import ModelBundle, bundle
from allstore.personalize.state.resources import make_arn
from allstore.personalize.state.service_state import ServiceState
from allstore.personalize.state.training import fewer_interactions, fewer_users
from allstore.workshop.statuses import (
    ACTIVE,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    IN_PROGRESS,
    INACTIVE,
    START_IN_PROGRESS,
    START_PENDING,
    STOP_IN_PROGRESS,
    STOP_PENDING,
)

Result = dict[str, Any]
REQUIRED_INTERACTION_COLUMNS = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE")
DEFAULT_MIN_REQUESTS_PER_SECOND = 1  # recommenderConfig.minRecommendationRequestsPerSecond (min 1)


def use_case_of(recipe_arn: str) -> UseCase:
    """The use case of a recipe ARN, or ResourceNotFoundException."""
    use_case = USE_CASES.get(recipe_arn.removeprefix(RECIPE_ARN_PREFIX))
    if use_case is None:
        raise not_found(f"Recipe {recipe_arn} is not a domain use case (recommenders need one).")
    return use_case


class RecommendersApi:
    """Create/Describe/List/Update/Start/Stop/Delete Recommender."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    def create_recommender(
        self,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str,
        recommender_config: dict[str, Any] | None = None,
    ) -> Result:
        group = self.store.usable(DatasetGroup, dataset_group_arn)
        use_case = use_case_of(recipe_arn)
        if group.domain is None:
            raise invalid_input(
                f"Dataset group {group.arn} is a custom dataset group: recommenders need a domain dataset group."
            )
        if group.domain != use_case.domain:
            raise invalid_input(
                f"{recipe_arn} is a {use_case.domain} use case; {group.arn} is {group.domain}."
            )
        datasets = {
            dataset.dataset_type
            for dataset in self.store.select(Dataset, lambda dataset: dataset.dataset_group_arn == group.arn)
        }
        if "INTERACTIONS" not in datasets:
            raise invalid_input(f"Dataset group {group.arn} has no Item interactions dataset.")
        if use_case.items_dataset_required and "ITEMS" not in datasets:
            raise invalid_input(f"{recipe_arn} needs an Items dataset in {group.arn}.")
        config = _checked_config(recommender_config or {}, use_case)
        arn = make_arn(Recommender.kind, name)
        self.store.new(
            Recommender(
                arn=arn,
                name=name,
                dataset_group_arn=group.arn,
                recipe_arn=recipe_arn,
                recommender_config=config,
            )
        )
        self.state.jobs.activate(Recommender, arn, lambda: self._train(arn), long=True)
        return {"recommenderArn": arn}

    def _train(self, arn: str) -> None:
        model, metrics = self._fit(self.store.get(Recommender, arn))
        self.state.models.save(arn, model)
        self.store.update(Recommender, arn, model_metrics=metrics)

    def _fit(self, recommender: Recommender) -> tuple[ModelBundle, dict[str, float]]:
        """A model of the recommender's use case on the dataset group's data now (with its
        configuration's training columns), and its metrics."""
        use_case = use_case_of(recommender.recipe_arn)
        group_arn = recommender.dataset_group_arn
        events_seq = self.state.events.last_seq(group_arn)
        everything = self.state.training_data(group_arn, events_seq, None, None, [])
        data = _training_data(
            everything, use_case, recommender.excluded_columns, recommender.included_columns
        )
        hyperparameters = {**use_case.recipe.default_hyperparameters, **use_case.hyperparameters}
        model = use_case.recipe.fit(data, hyperparameters)
        metrics = solution_metrics(use_case.recipe, data, hyperparameters)
        # Histories of every event type, so the automatic filter sees purchases a View model skipped.
        return bundle(model, use_case.name, use_case.recipe_type, everything, events_seq), metrics

    def describe_recommender(self, recommender_arn: str) -> Result:
        return {"recommender": self.store.get(Recommender, recommender_arn).wire()}

    def list_recommenders(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            Recommender,
            "recommenders",
            next_token,
            max_results,
            lambda recommender: dataset_group_arn in (None, recommender.dataset_group_arn),
        )

    def update_recommender(self, recommender_arn: str, recommender_config: dict[str, Any]) -> Result:
        """The new configuration applies when the update is ACTIVE; the recommender serves with the
        old one meanwhile. A change of the columns used in training (trainingDataConfig) retrains
        the recommender's model in full first, as the service does; other changes (exploration,
        metadata, minRecommendationRequestsPerSecond) need no training."""
        recommender = self.store.active(Recommender, recommender_arn)
        current = recommender.latest_recommender_update
        if current is not None and current.status in IN_PROGRESS:
            raise in_use(f"Recommender {recommender_arn} is already being updated.")
        config = _checked_config(
            {**recommender.recommender_config, **recommender_config}, use_case_of(recommender.recipe_arn)
        )
        retrain = _training_columns(config) != _training_columns(recommender.recommender_config)
        update = RecommenderUpdate(recommender_config=config)
        self.store.update(Recommender, recommender_arn, latest_recommender_update=update)

        def prepare() -> Callable[[], None]:
            trained = (
                self._fit(dataclasses.replace(recommender, recommender_config=config)) if retrain else None
            )

            def apply() -> None:
                changes: dict[str, Any] = {"recommender_config": config}
                if trained is not None:
                    self.state.models.save(recommender_arn, trained[0])
                    changes["model_metrics"] = trained[1]
                self.store.update(Recommender, recommender_arn, **changes)

            return apply

        self.state.jobs.update(
            Recommender, recommender_arn, "latest_recommender_update", update, prepare, long=retrain
        )
        return {"recommenderArn": recommender_arn}

    def stop_recommender(self, recommender_arn: str) -> Result:
        self._transition(recommender_arn, ACTIVE, (STOP_PENDING, STOP_IN_PROGRESS, INACTIVE))
        return {"recommenderArn": recommender_arn}

    def start_recommender(self, recommender_arn: str) -> Result:
        self._transition(recommender_arn, INACTIVE, (START_PENDING, START_IN_PROGRESS, ACTIVE))
        return {"recommenderArn": recommender_arn}

    def _transition(self, arn: str, needed: str, steps: tuple[str, str, str]) -> None:
        recommender = self.store.usable(Recommender, arn)
        if recommender.status != needed:
            raise invalid_input(f"Recommender {arn} is {recommender.status}; it must be {needed}.")
        self.store.update(Recommender, arn, status=steps[0])

        def run() -> None:
            self.store.update(Recommender, arn, status=steps[1])
            self.store.update(Recommender, arn, status=steps[2])

        self.state.jobs.run(run)

    def delete_recommender(self, recommender_arn: str) -> Result:
        recommender = self.store.usable(Recommender, recommender_arn)
        if recommender.status in (CREATE_PENDING, CREATE_IN_PROGRESS):
            raise in_use(f"Recommender {recommender_arn} is still being created.")
        return self.state.delete(Recommender, recommender_arn)


def _training_columns(config: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The columns a configuration includes in and excludes from training, by dataset type, in a
    comparable form."""
    training = config.get("trainingDataConfig") or {}
    return {
        member: {key.upper(): sorted(columns) for key, columns in (training.get(member) or {}).items()}
        for member in ("includedDatasetColumns", "excludedDatasetColumns")
    }


def _checked_config(config: dict[str, Any], use_case: UseCase) -> dict[str, Any]:
    """recommenderConfig as the service checks it beyond botocore's shape: exploration only for the
    personalized use cases (Recommended for you, Top picks for you), which explore new items."""
    if config.get("itemExplorationConfig") and use_case.recipe_type != "USER_PERSONALIZATION":
        raise invalid_input(f"itemExplorationConfig applies to personalized use cases, not {use_case.name}.")
    exploration_settings(config.get("itemExplorationConfig"))  # InvalidInput when out of range
    training = config.get("trainingDataConfig") or {}
    for member in ("includedDatasetColumns", "excludedDatasetColumns"):
        for dataset_type in training.get(member) or {}:
            if dataset_type.upper() not in ("INTERACTIONS", "ITEMS", "USERS"):
                raise invalid_input(f"{member}: {dataset_type} is not Interactions, Items or Users.")
    excluded = training.get("excludedDatasetColumns") or {}
    for dataset_type, columns in excluded.items():
        if dataset_type.upper() == "INTERACTIONS" and (
            required := set(columns) & set(REQUIRED_INTERACTION_COLUMNS)
        ):
            raise invalid_input(
                f"excludedDatasetColumns cannot leave out {sorted(required)[0]}: training needs it."
            )
    # the documented default, shown as the service shows it (it provisions that much, and bills it)
    return {"minRecommendationRequestsPerSecond": DEFAULT_MIN_REQUESTS_PER_SECOND, **config}


def _training_data(
    data: TrainingData,
    use_case: UseCase,
    excluded: dict[str, list[str]],
    included: dict[str, list[str]] | None = None,
) -> TrainingData:
    """The use case's events and the metadata training may read (a dataset's `included` columns
    only, when it names them, less its `excluded` ones), or JobFailed naming the minimum the data
    does not meet."""
    if use_case.training_event_types is not None:
        data = subset(data, np.flatnonzero(np.isin(data.event_types, use_case.training_event_types)))
    included = included or {}

    def kept(dataset_type: str, metadata: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        only, drop = included.get(dataset_type), set(excluded.get(dataset_type, ()))
        return {
            key: {
                name: value
                for name, value in row.items()
                if (only is None or name in only) and name not in drop
            }
            for key, row in metadata.items()
        }

    if any(included.get(kind) is not None or excluded.get(kind) for kind in ("ITEMS", "USERS")):
        data = TrainingData(
            **{
                **data.__dict__,
                "item_metadata": kept("ITEMS", data.item_metadata),
                "user_metadata": kept("USERS", data.user_metadata),
            }
        )
    if use_case.required_event_type is not None:
        count = int((data.event_types == use_case.required_event_type).sum())
        if count < MIN_EVENTS_OF_REQUIRED_TYPE:
            raise JobFailed(fewer_interactions(count, use_case.required_event_type))
    if len(data.user_codes) < MIN_INTERACTIONS:
        raise JobFailed(
            fewer_interactions(len(data.user_codes), counted=f" of the types {use_case.name} trains on")
        )
    per_user = np.bincount(data.user_codes, minlength=len(data.users))
    if (per_user >= 2).sum() < MIN_USERS_WITH_TWO:
        raise JobFailed(fewer_users(int((per_user >= 2).sum())))
    return data
