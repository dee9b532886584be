"""Recipes, solutions and solution versions (AmazonPersonalize.<Operation>): training in the
background with the recipe's fit (and tune, for performHPO; a comparison of recipes, for
performAutoML), then the model saved with what the runtime needs beside it."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from allstore.personalize.errors import JobFailed, in_use, invalid_input, not_found
from allstore.personalize.evaluation import solution_metrics
from allstore.personalize.recipes import LEGACY_ALIASES, RECIPE_ARN_PREFIX, RECIPES, get_recipe
from allstore.personalize.state.models import bundle
from allstore.personalize.state.resources import make_arn, paginate
from allstore.personalize.state.service_state import ServiceState
from allstore.workshop.statuses import ACTIVE, IN_PROGRESS

Result = dict[str, Any]
logger = logging.getLogger(__name__)
HPO_BUDGET_SECONDS = 60.0
RECIPES_PUBLISHED = 1_559_347_200.0  # 2019-06-01, the date the service reports for its recipes
DEFAULT_AUTOML_METRIC = "precision_at_25"


class SolutionsApi:
    """Recipes, solutions, solution versions (training) and their metrics."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    # -- recipes ----------------------------------------------------------------------------------

    def _recipe_documents(self) -> list[Result]:
        documents = []
        for name in [*RECIPES, *LEGACY_ALIASES]:
            recipe = get_recipe(name)
            target = LEGACY_ALIASES.get(name)
            documents.append(
                {
                    "name": name,
                    "recipeArn": RECIPE_ARN_PREFIX + name,
                    "status": ACTIVE,
                    "algorithmArn": f"arn:aws:personalize:::algorithm/{recipe.name}",
                    "featureTransformationArn": f"arn:aws:personalize:::feature-transformation/{recipe.name}",
                    "description": f"Legacy recipe, served by {target}. {recipe.description}"
                    if target
                    else recipe.description,
                    "recipeType": recipe.recipe_type,
                    "creationDateTime": RECIPES_PUBLISHED,
                    "lastUpdatedDateTime": RECIPES_PUBLISHED,
                }
            )
        return documents

    def list_recipes(self, params: Result) -> Result:
        page, token = paginate(self._recipe_documents(), params.get("nextToken"), params.get("maxResults"))
        return {"recipes": page, "nextToken": token}

    def describe_recipe(self, params: Result) -> Result:
        for document in self._recipe_documents():
            if document["recipeArn"] == params["recipeArn"]:
                return {"recipe": document}
        raise not_found(f"Recipe {params['recipeArn']} does not exist.")

    # -- solutions and versions -------------------------------------------------------------------

    def create_solution(self, params: Result) -> Result:
        group = self.store.usable("dataset-group", params["datasetGroupArn"])
        config = params.get("solutionConfig") or {}
        auto_ml = bool(params.get("performAutoML"))
        recipe_arns = (config.get("autoMLConfig") or {}).get("recipeList") or []
        if auto_ml:
            if params.get("recipeArn"):
                raise invalid_input("Specify either recipeArn or performAutoML, not both.")
            if not recipe_arns:
                raise invalid_input("performAutoML needs solutionConfig.autoMLConfig.recipeList.")
        elif not params.get("recipeArn"):
            raise invalid_input("recipeArn is required unless performAutoML is true.")
        else:
            recipe_arns = [params["recipeArn"]]
        for recipe_arn in recipe_arns:
            recipe = self._recipe(recipe_arn)
            unknown = set(config.get("algorithmHyperParameters") or {}) - set(recipe.default_hyperparameters)
            if unknown:
                raise invalid_input(
                    f"Unknown hyperparameters for {recipe.name}: {', '.join(sorted(unknown))}; "
                    f"known: {', '.join(sorted(recipe.default_hyperparameters))}."
                )
        if config.get("eventValueThreshold") is not None:
            try:
                float(config["eventValueThreshold"])
            except ValueError:
                raise invalid_input("solutionConfig.eventValueThreshold must be a number.") from None
        arn = make_arn("solution", params["name"])
        self.store.new(
            "solution",
            arn,
            {
                "name": params["name"],
                "solutionArn": arn,
                "datasetGroupArn": group["datasetGroupArn"],
                "recipeArn": params.get("recipeArn"),
                "performHPO": bool(params.get("performHPO")),
                "performAutoML": auto_ml,
                "eventType": params.get("eventType"),
                "solutionConfig": config,
            },
        )
        self.state.jobs.activate("solution", arn)
        return {"solutionArn": arn}

    def _recipe(self, recipe_arn: str):
        try:
            return get_recipe(recipe_arn)
        except KeyError:
            raise not_found(f"Recipe {recipe_arn} does not exist.") from None

    def describe_solution(self, params: Result) -> Result:
        solution = self.store.get("solution", params["solutionArn"])
        versions = self.store.select(
            "solution-version", lambda version: version["solutionArn"] == solution["solutionArn"]
        )
        if versions:
            solution["latestSolutionVersion"] = versions[0]
        return {"solution": solution}

    def list_solutions(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self.store.list_page(
            "solution", "solutions", params, lambda document: group in (None, document["datasetGroupArn"])
        )

    def delete_solution(self, params: Result) -> Result:
        arn = params["solutionArn"]
        self.store.usable("solution", arn)
        versions = self.store.select("solution-version", lambda version: version["solutionArn"] == arn)
        version_arns = {version["solutionVersionArn"] for version in versions}
        campaigns = self.store.select(
            "campaign", lambda campaign: campaign["solutionVersionArn"] in version_arns
        )
        if campaigns:
            raise in_use(
                f"Solution {arn} is used by campaign {campaigns[0]['campaignArn']}; delete it first."
            )
        if any(version["status"] in IN_PROGRESS for version in versions):
            raise in_use(f"Solution {arn} has a version in training.")

        return self.state.delete("solution", arn)

    def create_solution_version(self, params: Result) -> Result:
        solution = self.store.usable(
            "solution", params["solutionArn"]
        )  # no need to wait: creation is instant
        mode = params.get("trainingMode", "FULL")
        if mode == "AUTOTRAIN":
            raise invalid_input("trainingMode AUTOTRAIN is set by the service itself; use FULL or UPDATE.")
        versions = self.store.select(
            "solution-version", lambda version: version["solutionArn"] == solution["solutionArn"]
        )
        if any(version["status"] in IN_PROGRESS for version in versions):
            raise in_use(f"Solution {solution['solutionArn']} already has a version in training.")
        previous = next((version for version in versions if version["status"] == ACTIVE), None)
        if mode == "UPDATE":
            if (
                solution["performAutoML"]
                or self._recipe(solution["recipeArn"]).recipe_type != "USER_PERSONALIZATION"
            ):
                raise invalid_input("trainingMode UPDATE is only for User-Personalization solutions.")
            if previous is None:
                raise invalid_input("trainingMode UPDATE needs an ACTIVE solution version trained with FULL.")
        group_arn = solution["datasetGroupArn"]
        datasets = self.store.select("dataset", lambda dataset: dataset["datasetGroupArn"] == group_arn)
        interactions = next(
            (dataset for dataset in datasets if dataset["datasetType"] == "INTERACTIONS"), None
        )
        if interactions is None:
            raise in_use(f"Dataset group {group_arn} has no Interactions dataset.")
        dataset_arns = {dataset["datasetArn"] for dataset in datasets}
        if self.store.select(
            "dataset-import-job",
            lambda job: job["datasetArn"] in dataset_arns and job["status"] in IN_PROGRESS,
        ):
            raise in_use(f"Dataset group {group_arn} has an import job in progress.")
        version_id = secrets.token_hex(4)
        arn = f"{solution['solutionArn']}/{version_id}"
        self.store.new(
            "solution-version",
            arn,
            {
                "name": params.get("name"),
                "solutionVersionArn": arn,
                "solutionArn": solution["solutionArn"],
                "datasetGroupArn": group_arn,
                "recipeArn": solution["recipeArn"],
                "performHPO": solution["performHPO"] and mode == "FULL",
                "performAutoML": solution["performAutoML"],
                "eventType": solution.get("eventType"),
                "solutionConfig": solution["solutionConfig"],
                "trainingMode": mode,
                "trainingType": "MANUAL",
            },
        )
        self.state.jobs.activate(
            "solution-version", arn, lambda: self._train(arn, solution, previous), long=True
        )
        return {"solutionVersionArn": arn}

    def _train(self, version_arn: str, solution: Result, previous: Result | None) -> None:
        """Train in the background; any exception fails the version and no model file is written."""
        started = time.monotonic()
        version = self.store.get("solution-version", version_arn)
        config = solution["solutionConfig"] or {}
        threshold = config.get("eventValueThreshold")
        events_seq = self.state.events.last_seq(solution["datasetGroupArn"])
        skipped: list[str] = []
        data = self.state.training_data(
            solution["datasetGroupArn"],
            events_seq,
            solution.get("eventType"),
            float(threshold) if threshold is not None else None,
            skipped,
        )
        if skipped:
            logger.warning(
                "%s: skipped %d rows training cannot read (first: %s)", version_arn, len(skipped), skipped[0]
            )
        overrides = dict(config.get("algorithmHyperParameters") or {})
        if solution["performAutoML"]:
            recipe = self._best_recipe(solution, data, overrides)
        else:
            recipe = self._recipe(solution["recipeArn"])
        hyperparameters = {**recipe.default_hyperparameters, **overrides}
        changes: Result = {}
        if version["trainingMode"] == "UPDATE" and previous is not None:
            hyperparameters.update(
                (previous.get("tunedHPOParams") or {}).get("algorithmHyperParameters") or {}
            )
        elif solution["performHPO"]:
            hyperparameters = recipe.tune(data, hyperparameters, HPO_BUDGET_SECONDS)
            changes["tunedHPOParams"] = {"algorithmHyperParameters": dict(hyperparameters)}
        model = recipe.fit(data, hyperparameters)
        metrics = solution_metrics(recipe, data, hyperparameters)
        self.state.models.save(version_arn, bundle(model, recipe.name, recipe.recipe_type, data, events_seq))
        self.store.update(
            "solution-version",
            version_arn,
            _metrics=metrics,
            _skippedRows=len(skipped),
            trainingHours=(time.monotonic() - started) / 3600,
            **changes,
        )

    def _best_recipe(self, solution: Result, data, overrides: Result):
        """performAutoML: the recipe from the list with the best validation metric."""
        auto_ml = solution["solutionConfig"]["autoMLConfig"]
        metric = auto_ml.get("metricName") or DEFAULT_AUTOML_METRIC
        best, best_value, best_arn = None, float("-inf"), None
        for recipe_arn in auto_ml["recipeList"]:
            recipe = self._recipe(recipe_arn)
            metrics = solution_metrics(recipe, data, {**recipe.default_hyperparameters, **overrides})
            if metric not in metrics:
                raise JobFailed(f"autoMLConfig.metricName {metric} is not one of {sorted(metrics)}")
            if metrics[metric] > best_value:
                best, best_value, best_arn = recipe, metrics[metric], recipe_arn
        self.store.update("solution", solution["solutionArn"], autoMLResult={"bestRecipeArn": best_arn})
        return best

    def describe_solution_version(self, params: Result) -> Result:
        return {"solutionVersion": self.store.get("solution-version", params["solutionVersionArn"])}

    def list_solution_versions(self, params: Result) -> Result:
        solution = params.get("solutionArn")
        if solution:
            self.store.get("solution", solution)
        return self.store.list_page(
            "solution-version",
            "solutionVersions",
            params,
            lambda version: solution in (None, version["solutionArn"]),
        )

    def get_solution_metrics(self, params: Result) -> Result:
        version = self.store.active("solution-version", params["solutionVersionArn"])
        return {"solutionVersionArn": version["solutionVersionArn"], "metrics": version["_metrics"]}
