"""The control-plane operations (AmazonPersonalize.<Operation>): create, describe, list and delete
every resource, with the service's ARNs, status transitions and dependency rules.

Long work (imports, training, campaign deployment) runs on the service's background workers; each
resource moves CREATE PENDING → CREATE IN_PROGRESS → ACTIVE, or CREATE FAILED with a failureReason.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any

from allstore.personalize import dataset_store, training
from allstore.personalize.errors import (
    JobFailed,
    already_exists,
    in_use,
    invalid_input,
    limit_exceeded,
    not_found,
)
from allstore.personalize.evaluation import solution_metrics
from allstore.personalize.filters import parse_filter
from allstore.personalize.recipes import LEGACY_ALIASES, RECIPE_ARN_PREFIX, RECIPES, get_recipe
from allstore.personalize.resources import ACCOUNT_ID, make_arn, paginate
from allstore.personalize.schemas import DATASET_TYPES, parse_schema

if TYPE_CHECKING:
    from allstore.personalize.service import PersonalizeService

logger = logging.getLogger(__name__)
Result = dict[str, Any]
IN_PROGRESS = ("CREATE PENDING", "CREATE IN_PROGRESS")
MAX_FILTERS_PER_DATASET_GROUP = 10
HPO_BUDGET_SECONDS = 60.0
RECIPES_PUBLISHED = 1_559_347_200.0  # 2019-06-01, the date the service reports for its recipes
DEFAULT_AUTOML_METRIC = "precision_at_25"


class ControlPlane:
    def __init__(self, service: PersonalizeService) -> None:
        self.service = service
        self.store = service.resources

    # -- shared helpers ---------------------------------------------------------------------------

    def _new(self, kind: str, arn: str, document: Result) -> Result:
        with self.store.lock:
            if self.store.find(kind, arn) is not None:
                raise already_exists(f"{arn} already exists.")
            return self.store.create(kind, arn, {**document, "status": "CREATE PENDING"})

    def _usable(self, kind: str, arn: str) -> Result:
        document = self.store.get(kind, arn)
        if document["status"].startswith("DELETE"):
            raise not_found(f"{arn} is being deleted.")
        return document

    def _active(self, kind: str, arn: str) -> Result:
        document = self._usable(kind, arn)
        if document["status"] != "ACTIVE":
            raise in_use(f"{arn} is {document['status']}, not ACTIVE.")
        return document

    def _delete(self, kind: str, arn: str) -> Result:
        self.store.update(kind, arn, status="DELETE PENDING")
        self.service.run_background(lambda: self.finish_delete(kind, arn))
        return {}

    def finish_delete(self, kind: str, arn: str) -> None:
        """Remove a DELETE PENDING resource and what only it owns (also run after a restart)."""
        if kind == "dataset-group":
            for filter_ in self.store.select("filter", lambda document: document["datasetGroupArn"] == arn):
                self.store.remove("filter", filter_["filterArn"])
            self.service.events.delete(arn)
        elif kind == "dataset":
            for job in self.store.select("dataset-import-job", lambda job: job["datasetArn"] == arn):
                self.store.remove("dataset-import-job", job["datasetImportJobArn"])
            self.service.datasets.delete(arn)
            self.service.data_changed()
        elif kind == "solution":
            for version in self.store.select(
                "solution-version", lambda version: version["solutionArn"] == arn
            ):
                self.service.models.delete(version["solutionVersionArn"])
                self.store.remove("solution-version", version["solutionVersionArn"])
        self.store.remove(kind, arn)
        if kind == "campaign":
            self._unload_unserved()

    def _list(self, kind: str, key: str, params: Result, where=lambda _: True) -> Result:
        page, token = paginate(
            self.store.select(kind, where), params.get("nextToken"), params.get("maxResults")
        )
        return {key: page, "nextToken": token}

    # -- schemas ----------------------------------------------------------------------------------

    def create_schema(self, params: Result) -> Result:
        parse_schema(params["schema"])
        arn = make_arn("schema", params["name"])
        self._new(
            "schema",
            arn,
            {
                "name": params["name"],
                "schemaArn": arn,
                "schema": params["schema"],
                "domain": params.get("domain"),
            },
        )
        self.store.update("schema", arn, status="ACTIVE")
        return {"schemaArn": arn}

    def describe_schema(self, params: Result) -> Result:
        return {"schema": self.store.get("schema", params["schemaArn"])}

    def list_schemas(self, params: Result) -> Result:
        return self._list("schema", "schemas", params)

    def delete_schema(self, params: Result) -> Result:
        arn = params["schemaArn"]
        self.store.get("schema", arn)
        users = self.store.select("dataset", lambda dataset: dataset["schemaArn"] == arn)
        if users:
            raise in_use(f"Schema {arn} is used by dataset {users[0]['datasetArn']}.")
        self.store.remove("schema", arn)
        return {}

    # -- dataset groups ---------------------------------------------------------------------------

    def create_dataset_group(self, params: Result) -> Result:
        arn = make_arn("dataset-group", params["name"])
        self._new(
            "dataset-group",
            arn,
            {
                "name": params["name"],
                "datasetGroupArn": arn,
                "domain": params.get("domain"),
                "roleArn": params.get("roleArn"),
                "kmsKeyArn": params.get("kmsKeyArn"),
            },
        )
        self.service.activate("dataset-group", arn)
        return {"datasetGroupArn": arn, "domain": params.get("domain")}

    def describe_dataset_group(self, params: Result) -> Result:
        return {"datasetGroup": self.store.get("dataset-group", params["datasetGroupArn"])}

    def list_dataset_groups(self, params: Result) -> Result:
        return self._list("dataset-group", "datasetGroups", params)

    def delete_dataset_group(self, params: Result) -> Result:
        arn = params["datasetGroupArn"]
        self._usable("dataset-group", arn)
        for kind, label in (
            ("dataset", "datasets"),
            ("solution", "solutions"),
            ("event-tracker", "event trackers"),
        ):
            if self.store.select(kind, lambda document: document["datasetGroupArn"] == arn):
                raise in_use(f"Dataset group {arn} still has {label}; delete them first.")

        return self._delete("dataset-group", arn)

    # -- datasets and imports ---------------------------------------------------------------------

    def create_dataset(self, params: Result) -> Result:
        group = self._usable("dataset-group", params["datasetGroupArn"])
        schema_document = self._usable("schema", params["schemaArn"])
        dataset_type = params["datasetType"].upper()
        if dataset_type not in DATASET_TYPES:
            raise invalid_input(
                f"datasetType must be one of Interactions, Items, Users, not {params['datasetType']!r}."
            )
        parse_schema(schema_document["schema"]).check_dataset_type(dataset_type)
        arn = make_arn("dataset", f"{group['name']}/{dataset_type}")
        self._new(
            "dataset",
            arn,
            {
                "name": params["name"],
                "datasetArn": arn,
                "datasetGroupArn": group["datasetGroupArn"],
                "datasetType": dataset_type,
                "schemaArn": params["schemaArn"],
            },
        )
        self.service.activate("dataset", arn)
        return {"datasetArn": arn}

    def describe_dataset(self, params: Result) -> Result:
        return {"dataset": self.store.get("dataset", params["datasetArn"])}

    def list_datasets(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self._list(
            "dataset", "datasets", params, lambda document: group in (None, document["datasetGroupArn"])
        )

    def delete_dataset(self, params: Result) -> Result:
        arn = params["datasetArn"]
        dataset = self._usable("dataset", arn)
        if self.store.select(
            "dataset-import-job", lambda job: job["datasetArn"] == arn and job["status"] in IN_PROGRESS
        ):
            raise in_use(f"Dataset {arn} has an import job in progress.")
        if self.store.select(
            "solution-version",
            lambda version: (
                version["datasetGroupArn"] == dataset["datasetGroupArn"] and version["status"] in IN_PROGRESS
            ),
        ):
            raise in_use(f"A solution version of dataset group {dataset['datasetGroupArn']} is training.")

        return self._delete("dataset", arn)

    def create_dataset_import_job(self, params: Result) -> Result:
        dataset = self._usable("dataset", params["datasetArn"])  # no need to wait: creation is instant
        location = params["dataSource"].get("dataLocation")
        if not location:
            raise invalid_input("dataSource.dataLocation is required (s3://bucket/key, file:// or a path).")
        if self.store.select(
            "dataset-import-job",
            lambda job: job["datasetArn"] == dataset["datasetArn"] and job["status"] in IN_PROGRESS,
        ):
            raise in_use(f"Dataset {dataset['datasetArn']} already has an import job in progress.")
        arn = make_arn("dataset-import-job", params["jobName"])
        mode = params.get("importMode", "FULL")
        self._new(
            "dataset-import-job",
            arn,
            {
                "jobName": params["jobName"],
                "datasetImportJobArn": arn,
                "datasetArn": dataset["datasetArn"],
                "dataSource": {"dataLocation": location},
                "roleArn": params.get("roleArn"),
                "importMode": mode,
                "publishAttributionMetricsToS3": params.get("publishAttributionMetricsToS3"),
            },
        )
        schema = parse_schema(self.store.get("schema", dataset["schemaArn"])["schema"])

        def load() -> None:
            columns = dataset_store.parse_csv(dataset_store.read_csv_text(location), schema)
            if not len(next(iter(columns.values()))):
                raise JobFailed(f"{location} has no rows")
            if mode == "FULL":
                self.service.datasets.save(dataset["datasetArn"], columns)
            else:
                self.service.datasets.append(dataset["datasetArn"], columns)
            self.service.data_changed()

        self.service.activate("dataset-import-job", arn, load, long=True)
        return {"datasetImportJobArn": arn}

    def describe_dataset_import_job(self, params: Result) -> Result:
        return {"datasetImportJob": self.store.get("dataset-import-job", params["datasetImportJobArn"])}

    def list_dataset_import_jobs(self, params: Result) -> Result:
        dataset = params.get("datasetArn")
        return self._list(
            "dataset-import-job",
            "datasetImportJobs",
            params,
            lambda job: dataset in (None, job["datasetArn"]),
        )

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
                    "status": "ACTIVE",
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
        group = self._usable("dataset-group", params["datasetGroupArn"])
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
        self._new(
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
        self.service.activate("solution", arn)
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
        return self._list(
            "solution", "solutions", params, lambda document: group in (None, document["datasetGroupArn"])
        )

    def delete_solution(self, params: Result) -> Result:
        arn = params["solutionArn"]
        self._usable("solution", arn)
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

        return self._delete("solution", arn)

    def create_solution_version(self, params: Result) -> Result:
        solution = self._usable("solution", params["solutionArn"])  # no need to wait: creation is instant
        mode = params.get("trainingMode", "FULL")
        if mode == "AUTOTRAIN":
            raise invalid_input("trainingMode AUTOTRAIN is set by the service itself; use FULL or UPDATE.")
        versions = self.store.select(
            "solution-version", lambda version: version["solutionArn"] == solution["solutionArn"]
        )
        if any(version["status"] in IN_PROGRESS for version in versions):
            raise in_use(f"Solution {solution['solutionArn']} already has a version in training.")
        previous = next((version for version in versions if version["status"] == "ACTIVE"), None)
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
        self._new(
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
        self.service.activate(
            "solution-version", arn, lambda: self._train(arn, solution, previous), long=True
        )
        return {"solutionVersionArn": arn}

    def _train(self, version_arn: str, solution: Result, previous: Result | None) -> None:
        """Train in the background; any exception fails the version and no model file is written."""
        started = time.monotonic()
        version = self.store.get("solution-version", version_arn)
        config = solution["solutionConfig"] or {}
        threshold = config.get("eventValueThreshold")
        events_seq = self.service.events.last_seq(solution["datasetGroupArn"])
        skipped: list[str] = []
        data = self.service.training_data(
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
        self.service.models.save(
            version_arn, training.bundle(model, recipe.name, recipe.recipe_type, data, events_seq)
        )
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
        return self._list(
            "solution-version",
            "solutionVersions",
            params,
            lambda version: solution in (None, version["solutionArn"]),
        )

    def get_solution_metrics(self, params: Result) -> Result:
        version = self._active("solution-version", params["solutionVersionArn"])
        return {"solutionVersionArn": version["solutionVersionArn"], "metrics": version["_metrics"]}

    # -- campaigns --------------------------------------------------------------------------------

    def create_campaign(self, params: Result) -> Result:
        version = self._active("solution-version", params["solutionVersionArn"])
        arn = make_arn("campaign", params["name"])
        self._new(
            "campaign",
            arn,
            {
                "name": params["name"],
                "campaignArn": arn,
                "solutionVersionArn": version["solutionVersionArn"],
                "minProvisionedTPS": params.get("minProvisionedTPS", 1),
                "campaignConfig": params.get("campaignConfig") or {},
            },
        )
        self.service.activate(
            "campaign", arn, lambda: self.service.models.load(version["solutionVersionArn"])
        )
        return {"campaignArn": arn}

    def update_campaign(self, params: Result) -> Result:
        campaign = self._active("campaign", params["campaignArn"])
        update = campaign.get("latestCampaignUpdate") or {}
        if update.get("status") in IN_PROGRESS:
            raise in_use(f"Campaign {campaign['campaignArn']} is already being updated.")
        version_arn = params.get("solutionVersionArn") or campaign["solutionVersionArn"]
        self._active("solution-version", version_arn)
        now = time.time()
        update = {
            "solutionVersionArn": version_arn,
            "minProvisionedTPS": params.get("minProvisionedTPS", campaign["minProvisionedTPS"]),
            "campaignConfig": params.get("campaignConfig") or campaign["campaignConfig"],
            "status": "CREATE PENDING",
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        self.store.update("campaign", campaign["campaignArn"], latestCampaignUpdate=update)
        self.service.run_background(lambda: self._apply_campaign_update(campaign["campaignArn"], update))
        return {"campaignArn": campaign["campaignArn"]}

    def _apply_campaign_update(self, campaign_arn: str, update: Result) -> None:
        """Deploy the new version, then switch traffic to it; the old one serves until then."""
        try:
            self.service.models.load(update["solutionVersionArn"])
        except Exception as error:
            self.store.update(
                "campaign",
                campaign_arn,
                latestCampaignUpdate={
                    **update,
                    "status": "CREATE FAILED",
                    "failureReason": f"{type(error).__name__}: {error}",
                    "lastUpdatedDateTime": time.time(),
                },
            )
            return
        finished = {**update, "status": "ACTIVE", "lastUpdatedDateTime": time.time()}
        self.store.update(
            "campaign",
            campaign_arn,
            solutionVersionArn=update["solutionVersionArn"],
            minProvisionedTPS=update["minProvisionedTPS"],
            campaignConfig=update["campaignConfig"],
            latestCampaignUpdate=finished,
        )
        self._unload_unserved()

    def _unload_unserved(self) -> None:
        """Keep in memory only the models campaigns serve or are switching to."""
        served = set()
        for campaign in self.store.select(
            "campaign", lambda campaign: not campaign["status"].startswith("DELETE")
        ):
            served.add(campaign["solutionVersionArn"])
            served.add((campaign.get("latestCampaignUpdate") or {}).get("solutionVersionArn"))
        self.service.models.keep_only(served)

    def describe_campaign(self, params: Result) -> Result:
        return {"campaign": self.store.get("campaign", params["campaignArn"])}

    def list_campaigns(self, params: Result) -> Result:
        solution = params.get("solutionArn")
        return self._list(
            "campaign",
            "campaigns",
            params,
            lambda campaign: solution is None or campaign["solutionVersionArn"].startswith(solution + "/"),
        )

    def delete_campaign(self, params: Result) -> Result:
        self._usable("campaign", params["campaignArn"])
        return self._delete("campaign", params["campaignArn"])

    # -- event trackers and filters ---------------------------------------------------------------

    def create_event_tracker(self, params: Result) -> Result:
        group = self._usable("dataset-group", params["datasetGroupArn"])
        if self.store.select(
            "event-tracker", lambda tracker: tracker["datasetGroupArn"] == group["datasetGroupArn"]
        ):
            raise already_exists(f"Dataset group {group['datasetGroupArn']} already has an event tracker.")
        arn = make_arn("event-tracker", secrets.token_hex(4))
        tracking_id = str(uuid.uuid4())
        self._new(
            "event-tracker",
            arn,
            {
                "name": params["name"],
                "eventTrackerArn": arn,
                "accountId": ACCOUNT_ID,
                "trackingId": tracking_id,
                "datasetGroupArn": group["datasetGroupArn"],
            },
        )
        self.service.activate("event-tracker", arn)
        return {"eventTrackerArn": arn, "trackingId": tracking_id}

    def describe_event_tracker(self, params: Result) -> Result:
        return {"eventTracker": self.store.get("event-tracker", params["eventTrackerArn"])}

    def list_event_trackers(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self._list(
            "event-tracker",
            "eventTrackers",
            params,
            lambda tracker: group in (None, tracker["datasetGroupArn"]),
        )

    def delete_event_tracker(self, params: Result) -> Result:
        self._usable("event-tracker", params["eventTrackerArn"])
        return self._delete("event-tracker", params["eventTrackerArn"])

    def create_filter(self, params: Result) -> Result:
        group = self._usable("dataset-group", params["datasetGroupArn"])
        expression = parse_filter(params["filterExpression"])
        items_dataset = self.service.dataset_of(group["datasetGroupArn"], "ITEMS")
        fields = expression.item_fields() - {"ITEM_ID"}
        if fields:
            if items_dataset is None:
                raise invalid_input(
                    f"The filter uses Items.{sorted(fields)[0]} but dataset group has no Items dataset."
                )
            schema = parse_schema(self.store.get("schema", items_dataset["schemaArn"])["schema"])
            known = {field.name.upper() for field in schema.fields}
            if fields - known:
                raise invalid_input(
                    f"Items has no field {sorted(fields - known)[0]}; fields: {', '.join(sorted(known))}."
                )
        existing = self.store.select(
            "filter", lambda document: document["datasetGroupArn"] == group["datasetGroupArn"]
        )
        if len(existing) >= MAX_FILTERS_PER_DATASET_GROUP:
            raise limit_exceeded(f"A dataset group can have at most {MAX_FILTERS_PER_DATASET_GROUP} filters.")
        arn = make_arn("filter", params["name"])
        self._new(
            "filter",
            arn,
            {
                "name": params["name"],
                "filterArn": arn,
                "datasetGroupArn": group["datasetGroupArn"],
                "filterExpression": params["filterExpression"],
            },
        )
        self.service.activate("filter", arn)
        return {"filterArn": arn}

    def describe_filter(self, params: Result) -> Result:
        return {"filter": self.store.get("filter", params["filterArn"])}

    def list_filters(self, params: Result) -> Result:
        group = params.get("datasetGroupArn")
        return self._list(
            "filter", "Filters", params, lambda document: group in (None, document["datasetGroupArn"])
        )

    def delete_filter(self, params: Result) -> Result:
        self._usable("filter", params["filterArn"])
        return self._delete("filter", params["filterArn"])
