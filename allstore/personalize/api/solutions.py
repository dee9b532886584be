"""Recipes, solutions and solution versions (AmazonPersonalize.<Operation>): what may be trained,
checked here; the training itself runs in the background (state/training.py)."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from allstore.personalize.errors import ServiceError, in_use, invalid_input, not_found
from allstore.personalize.recipes import RECIPE_ARN_PREFIX, RECIPES, event_weights
from allstore.personalize.recipes.hyperparameters import (
    ALGORITHM_ARN_PREFIX,
    check_documented,
    hpo_max_trials,
    hpo_search_space,
    known_names,
)
from allstore.personalize.recipes.use_cases import USE_CASES
from allstore.personalize.state.jobs import hour_seconds
from allstore.personalize.state.kinds import (
    Campaign,
    Dataset,
    DatasetGroup,
    Solution,
    SolutionVersion,
)
from allstore.personalize.state.resources import make_arn, paginate
from allstore.personalize.state.service_state import ServiceState
from allstore.personalize.state.training import interaction_fields, recipe_of, takes_actions, train
from allstore.workshop.statuses import (
    ACTIVE,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATE_STOPPING,
    IN_PROGRESS,
)

Result = dict[str, Any]
RECIPES_PUBLISHED = 1_559_347_200.0  # 2019-06-01, the date the service reports for its recipes


logger = logging.getLogger(__name__)
SCHEDULE = re.compile(r"rate\((\d+) days?\)")
DEFAULT_SCHEDULE = "rate(7 days)"


def schedule_days(config: Result | None) -> int:
    """The days between automatic trainings of an autoTrainingConfig (1 to 30, default 7)."""
    expression = ((config or {}).get("autoTrainingConfig") or {}).get(
        "schedulingExpression"
    ) or DEFAULT_SCHEDULE
    match = SCHEDULE.fullmatch(expression)
    days = int(match.group(1)) if match else 0
    if not 1 <= days <= 30:
        raise invalid_input(f"schedulingExpression {expression!r} must be rate(N days) with N from 1 to 30.")
    return days


class SolutionsApi:
    """Recipes, solutions, solution versions (training) and their metrics."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    # -- recipes ----------------------------------------------------------------------------------

    def _recipe_documents(self) -> list[Result]:
        """The custom recipes, then the domains' use cases (each with its domain)."""
        entries = [(name, recipe, None) for name, recipe in RECIPES.items()]
        entries += [(name, use_case.recipe, use_case) for name, use_case in USE_CASES.items()]
        documents = []
        for name, recipe, use_case in entries:
            document = {
                "name": name,
                "recipeArn": RECIPE_ARN_PREFIX + name,
                "status": ACTIVE,
                "algorithmArn": f"arn:aws:personalize:::algorithm/{recipe.name}",
                "featureTransformationArn": f"arn:aws:personalize:::feature-transformation/{recipe.name}",
                "description": use_case.description if use_case else recipe.description,
                "recipeType": recipe.recipe_type,
                "creationDateTime": RECIPES_PUBLISHED,
                "lastUpdatedDateTime": RECIPES_PUBLISHED,
            }
            if use_case is not None:
                document["domain"] = use_case.domain
            documents.append(document)
        return documents

    def list_recipes(
        self,
        recipe_provider: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        domain: str | None = None,
    ) -> Result:
        documents = [
            document for document in self._recipe_documents() if domain in (None, document.get("domain"))
        ]
        page, token = paginate(documents, next_token, max_results)
        return {"recipes": page, "nextToken": token}

    def describe_recipe(self, recipe_arn: str) -> Result:
        for document in self._recipe_documents():
            if document["recipeArn"] == recipe_arn:
                return {"recipe": document}
        raise not_found(f"Recipe {recipe_arn} does not exist.")

    # -- solutions and versions -------------------------------------------------------------------

    def create_solution(
        self,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str | None = None,
        perform_hpo: bool = False,
        perform_auto_ml: bool = False,
        event_type: str | None = None,
        solution_config: Result | None = None,
        perform_auto_training: bool = True,
    ) -> Result:
        """performAutoTraining defaults to true as on AWS: `auto_train` starts a version an hour after
        creation, then every autoTrainingConfig.schedulingExpression (7 days by default)."""
        group = self.store.usable(DatasetGroup, dataset_group_arn)
        solution = Solution(
            arn=make_arn(Solution.kind, name),
            name=name,
            dataset_group_arn=group.arn,
            recipe_arn=recipe_arn,
            perform_hpo=perform_hpo,
            perform_auto_ml=perform_auto_ml,
            event_type=event_type,
            solution_config=solution_config or {},
            perform_auto_training=perform_auto_training,
        )
        self._check(solution)
        schedule_days(solution.solution_config)
        self.store.new(solution)
        self.state.jobs.activate(Solution, solution.arn)
        return {"solutionArn": solution.arn}

    def _check(self, solution: Solution) -> None:
        """What CreateSolution refuses: no recipe, unknown recipes or hyperparameters, a bad threshold."""
        recipe_arns = solution.auto_ml_recipe_arns
        if solution.perform_auto_ml:
            if solution.recipe_arn:
                raise invalid_input("Specify either recipeArn or performAutoML, not both.")
            if not recipe_arns:
                raise invalid_input("performAutoML needs solutionConfig.autoMLConfig.recipeList.")
        elif not solution.recipe_arn:
            raise invalid_input("recipeArn is required unless performAutoML is true.")
        else:
            recipe_arns = [solution.recipe_arn]
        for recipe_arn in recipe_arns:
            recipe = recipe_of(recipe_arn)
            if recipe.recipe_type == "PERSONALIZED_ACTIONS":
                types = {
                    dataset.dataset_type
                    for dataset in self.store.select(
                        Dataset, lambda dataset: dataset.dataset_group_arn == solution.dataset_group_arn
                    )
                }
                if not {"ACTIONS", "ACTION_INTERACTIONS"} <= types:
                    raise invalid_input(
                        f"{recipe.name} trains on the Actions and Action interactions datasets; dataset "
                        f"group {solution.dataset_group_arn} does not have both."
                    )
            hpo = solution.solution_config.get("hpoConfig")
            if solution.perform_hpo and not getattr(recipe, "hpo_supported", True):
                raise invalid_input(
                    f"{recipe.name} does not support hyperparameter optimization: performHPO must be false "
                    "(the recipe page: HPO can't be used with it)."
                )
            transformation = solution.solution_config.get("featureTransformationParameters") or {}
            featurization = getattr(recipe, "featurization_parameters", ())
            if set(transformation) - set(featurization):
                raise invalid_input(
                    f"featureTransformationParameters for {recipe.name} take "
                    f"{', '.join(featurization) or 'nothing'}, not {', '.join(sorted(set(transformation) - set(featurization)))}."
                )
            unknown = set(solution.hyperparameter_overrides) - known_names(recipe)
            if unknown:
                raise invalid_input(
                    # The service's sentence (for a name its algorithm does not use), then which.
                    f"Provide a hyperparameter that is used in the algorithm: {ALGORITHM_ARN_PREFIX}"
                    f"{recipe.name}. Unknown hyperparameters for {recipe.name}: "
                    f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(known_names(recipe)))}."
                )
            overrides = solution.hyperparameter_overrides
            try:
                check_documented(overrides, getattr(recipe, "documented_ranges", {}))
                hpo_search_space(hpo, recipe, {**recipe.default_hyperparameters, **overrides})
                hpo_max_trials(hpo)
            except ValueError as error:
                raise invalid_input(str(error)) from None
        try:
            _ = solution.event_value_threshold  # float() of the configured string
        except ValueError:
            raise invalid_input("solutionConfig.eventValueThreshold must be a number.") from None
        self._check_events_config(solution.solution_config.get("eventsConfig"), recipe_arns, solution)

    def _check_events_config(
        self, events_config: Result | None, recipe_arns: list[str], solution: Solution
    ) -> None:
        """An eventsConfig as the service takes it: for the v2 recipes only, its rules kept
        (event_weights.parse), and an Item interactions dataset, if there is one yet, with the
        columns it reads."""
        try:
            parameters = event_weights.parse(events_config)
            if parameters is None:
                return
            for recipe_arn in recipe_arns:
                event_weights.check_recipe(recipe_of(recipe_arn).name)
            fields = interaction_fields(self.state, solution.dataset_group_arn)
            if fields is not None:
                event_weights.check_columns(parameters, fields)
        except ValueError as error:
            raise invalid_input(str(error)) from None

    def describe_solution(self, solution_arn: str) -> Result:
        solution = self.store.get(Solution, solution_arn)
        versions = self._versions(solution.arn)
        latest = {"latestSolutionVersion": versions[0].wire()} if versions else {}
        return {"solution": {**solution.wire(), **latest}}

    def _versions(self, solution_arn: str) -> list[SolutionVersion]:
        return self.store.select(SolutionVersion, lambda version: version.solution_arn == solution_arn)

    def list_solutions(
        self,
        dataset_group_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            Solution, "solutions", next_token, max_results, dataset_group_arn=dataset_group_arn
        )

    def delete_solution(self, solution_arn: str) -> Result:
        arn = solution_arn
        self.store.usable(Solution, arn)
        versions = self._versions(arn)
        version_arns = {version.arn for version in versions}
        campaigns = self.store.select(
            Campaign, lambda campaign: campaign.solution_version_arn in version_arns
        )
        if campaigns:
            raise in_use(f"Solution {arn} is used by campaign {campaigns[0].arn}; delete it first.")
        if any(version.status in IN_PROGRESS for version in versions):
            raise in_use(f"Solution {arn} has a version in training.")

        return self.state.delete(Solution, arn)

    def create_solution_version(
        self, solution_arn: str, name: str | None = None, training_mode: str = "FULL"
    ) -> Result:
        solution = self.store.usable(Solution, solution_arn)  # no need to wait: creation is instant
        if training_mode == "AUTOTRAIN":
            raise invalid_input("trainingMode AUTOTRAIN is set by the service itself; use FULL or UPDATE.")
        with self.store.lock:  # the check for a training under way and the new version at once
            return self._start_version(solution, name, training_mode)

    def auto_train(self) -> None:
        """Start the automatic versions that are due (run at start and periodically): a solution with
        performAutoTraining trains an hour after creation (skipped if a version was created by then),
        then once its latest automatic version is older than the schedule. A solution that cannot
        train now (no interactions, an import or a training running) is tried again next round."""
        hour = hour_seconds()
        now = time.time()
        for solution in self.store.select(Solution, lambda solution: solution.status == ACTIVE):
            if solution.perform_auto_training is False:
                continue
            try:
                days = schedule_days(solution.solution_config)
                versions = self._versions(solution.arn)
                automatic = [version for version in versions if version.training_type == "AUTOMATIC"]
                if automatic:
                    due = automatic[0].creation_date_time + days * 24 * hour
                else:
                    first = solution.creation_date_time + hour
                    manual_in_first_hour = any(version.creation_date_time <= first for version in versions)
                    due = first + days * 24 * hour if manual_in_first_hour else first
                if now >= due:
                    with self.store.lock:  # not turned off or deleted since the select
                        if self.store.usable(Solution, solution.arn).perform_auto_training is not False:
                            self._start_version(solution, None, "AUTOTRAIN", "AUTOMATIC")
            except ServiceError as error:
                logger.info("automatic training of %s not started: %s", solution.arn, error.message)

    def _start_version(
        self, solution: Solution, name: str | None, training_mode: str, training_type: str = "MANUAL"
    ) -> Result:
        """Create the version and train it in the background (AUTOTRAIN trains as FULL does)."""
        versions = self._versions(solution.arn)
        if any(version.status in IN_PROGRESS for version in versions):
            raise in_use(f"Solution {solution.arn} already has a version in training.")
        previous = next((version for version in versions if version.status == ACTIVE), None)
        if training_mode == "UPDATE":
            if (
                solution.perform_auto_ml
                or recipe_of(solution.recipe_arn).recipe_type != "USER_PERSONALIZATION"
            ):
                raise invalid_input("trainingMode UPDATE is only for User-Personalization solutions.")
            if previous is None:
                raise invalid_input("trainingMode UPDATE needs an ACTIVE solution version trained with FULL.")
        group_arn = solution.dataset_group_arn
        datasets = self.store.select(Dataset, lambda dataset: dataset.dataset_group_arn == group_arn)
        needed, label = (
            ("ACTION_INTERACTIONS", "Action interactions")
            if takes_actions(solution)
            else ("INTERACTIONS", "Interactions")
        )
        if not any(dataset.dataset_type == needed for dataset in datasets):
            raise in_use(f"Dataset group {group_arn} has no {label} dataset.")
        if self.state.importing({dataset.arn for dataset in datasets}):
            raise in_use(f"Dataset group {group_arn} has an import job in progress.")
        arn = f"{solution.arn}/{secrets.token_hex(4)}"
        self.store.new(
            SolutionVersion(
                arn=arn,
                name=name,
                solution_arn=solution.arn,
                dataset_group_arn=group_arn,
                recipe_arn=solution.recipe_arn,
                perform_hpo=solution.perform_hpo and training_mode in ("FULL", "AUTOTRAIN"),
                perform_auto_ml=solution.perform_auto_ml,
                event_type=solution.event_type,
                solution_config=solution.solution_config,
                training_mode=training_mode,
                training_type=training_type,
            )
        )
        self.state.jobs.activate(
            SolutionVersion, arn, lambda: train(self.state, arn, solution, previous), long=True
        )
        return {"solutionVersionArn": arn}

    def describe_solution_version(self, solution_version_arn: str) -> Result:
        return {"solutionVersion": self.store.get(SolutionVersion, solution_version_arn).wire()}

    def list_solution_versions(
        self, solution_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Result:
        if solution_arn:
            self.store.get(Solution, solution_arn)
        return self.store.list_page(
            SolutionVersion, "solutionVersions", next_token, max_results, solution_arn=solution_arn
        )

    def get_solution_metrics(self, solution_version_arn: str) -> Result:
        version = self.store.active(SolutionVersion, solution_version_arn)
        return {"solutionVersionArn": version.arn, "metrics": version.metrics}

    def update_solution(
        self,
        solution_arn: str,
        perform_auto_training: bool | None = None,
        perform_incremental_update: bool | None = None,
        solution_update_config: Result | None = None,
    ) -> Result:
        """Change the solution's automatic training: off stops the schedule, a new
        autoTrainingConfig.schedulingExpression replaces the creation's one; a new eventsConfig
        (checked as CreateSolution checks it) replaces the solution's for the trainings after it."""
        solution = self.store.active(Solution, solution_arn)
        auto_training_config = (solution_update_config or {}).get("autoTrainingConfig")
        if auto_training_config is not None:
            schedule_days(solution_update_config)
        events_config = (solution_update_config or {}).get("eventsConfig")
        if events_config is not None:
            recipe_arns = solution.auto_ml_recipe_arns if solution.perform_auto_ml else [solution.recipe_arn]
            self._check_events_config(events_config, recipe_arns, solution)
        if solution.latest_solution_update and solution.latest_solution_update.get("status") in IN_PROGRESS:
            raise in_use(f"Solution {solution_arn} is already being updated.")
        now = time.time()
        update = {
            "solutionUpdateConfig": solution_update_config or {},
            "performAutoTraining": perform_auto_training,
            "performIncrementalUpdate": perform_incremental_update,
            "status": ACTIVE,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        changes: Result = {"latest_solution_update": {k: v for k, v in update.items() if v is not None}}
        if perform_auto_training is not None:
            changes["perform_auto_training"] = perform_auto_training
        if perform_incremental_update is not None:
            changes["perform_incremental_update"] = perform_incremental_update
        if auto_training_config is not None or events_config is not None:  # from the next training on
            changes["solution_config"] = {
                **solution.solution_config,
                **({"autoTrainingConfig": auto_training_config} if auto_training_config is not None else {}),
                **({"eventsConfig": events_config} if events_config is not None else {}),
            }
        self.store.update(Solution, solution.arn, **changes)
        return {"solutionArn": solution.arn}

    def stop_solution_version_creation(self, solution_version_arn: str) -> Result:
        """CREATE STOPPING, then CREATE STOPPED when the training gives way (a stopped version's
        model is never served)."""
        with self.store.lock:
            version = self.store.usable(SolutionVersion, solution_version_arn)
            if version.status not in (CREATE_PENDING, CREATE_IN_PROGRESS):
                raise in_use(f"Solution version {solution_version_arn} is {version.status}: nothing to stop.")
            self.store.update(SolutionVersion, version.arn, status=CREATE_STOPPING)
        return {}
