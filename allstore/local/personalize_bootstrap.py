"""Recommendations out of the box: the workshop's Personalize steps, run against the local service.

The same boto3 `personalize` calls the workshop notebooks make — schema, dataset group, dataset,
import from the staging bucket, a solution, version and campaign per recipe, an event tracker —
then the campaigns and tracking id are wired into the functions with
`update_function_configuration`, as the notebooks do with the LAMBDA_*_ARN variables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
    ],
    "version": "1.0",
}


@dataclass(frozen=True)
class Deployment:
    """A recipe to train and the function (by its template output) whose CAMPAIGN_ARN it sets."""

    recipe: str
    function_output: str


DEPLOYMENTS = (
    Deployment("aws-user-personalization", "GetRecommendationsFunctionArn"),
    Deployment("aws-sims", "GetItemRecommendationsFunctionArn"),
    Deployment("aws-personalized-ranking", "SearchFunctionArn"),
)
TRACKER_FUNCTION_OUTPUT = "PostClickEventFunctionArn"
IN_PROGRESS = {"CREATE PENDING", "CREATE IN_PROGRESS"}


class TrainingFailed(RuntimeError):
    """A Personalize resource ended in CREATE FAILED."""


Progress = Callable[[str], None]


def _wait(describe: Callable[[], dict[str, Any]], what: str, timeout: float = 1800.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        resource = describe()
        status = resource.get("status")
        if status == "ACTIVE":
            return resource
        if status not in IN_PROGRESS:
            raise TrainingFailed(f"{what} is {status}: {resource.get('failureReason', 'no reason given')}")
        if time.monotonic() > deadline:
            raise TrainingFailed(f"{what} did not become ACTIVE within {timeout:.0f} s")
        time.sleep(0.2)


def train_and_deploy(
    personalize: Any,
    lambda_client: Any,
    *,
    name: str,
    interactions_location: str,
    role_arn: str,
    function_arns: dict[str, str],
    progress: Progress,
) -> dict[str, str]:
    """Train every deployment, create the event tracker, wire them into the functions.

    `function_arns` are the template's outputs. Returns what was created: campaign ARNs by recipe and
    the tracking id.
    """
    progress("Creating the dataset group and importing interactions")
    schema_arn = personalize.create_schema(
        name=f"{name}-interactions", schema=json.dumps(INTERACTIONS_SCHEMA)
    )["schemaArn"]
    group_arn = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    _wait(
        lambda: personalize.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"],
        "the dataset group",
    )
    dataset_arn = personalize.create_dataset(
        name=f"{name}-interactions",
        schemaArn=schema_arn,
        datasetGroupArn=group_arn,
        datasetType="Interactions",
    )["datasetArn"]
    job_arn = personalize.create_dataset_import_job(
        jobName=f"{name}-interactions-import",
        datasetArn=dataset_arn,
        dataSource={"dataLocation": interactions_location},
        roleArn=role_arn,
    )["datasetImportJobArn"]
    _wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"],
        "the interactions import",
    )
    created: dict[str, str] = {}
    for deployment in DEPLOYMENTS:
        short = deployment.recipe.removeprefix("aws-")
        progress(f"Training {short}")
        solution_arn = personalize.create_solution(
            name=f"{name}-{short}",
            datasetGroupArn=group_arn,
            recipeArn=f"arn:aws:personalize:::recipe/{deployment.recipe}",
        )["solutionArn"]
        version_arn = personalize.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
        _wait(
            lambda arn=version_arn: personalize.describe_solution_version(solutionVersionArn=arn)[
                "solutionVersion"
            ],
            f"the {short} solution version",
        )
        progress(f"Deploying the {short} campaign")
        campaign_arn = personalize.create_campaign(
            name=f"{name}-{short}", solutionVersionArn=version_arn, minProvisionedTPS=1
        )["campaignArn"]
        _wait(
            lambda arn=campaign_arn: personalize.describe_campaign(campaignArn=arn)["campaign"],
            f"the {short} campaign",
        )
        set_environment(
            lambda_client, function_arns[deployment.function_output], "CAMPAIGN_ARN", campaign_arn
        )
        created[deployment.recipe] = campaign_arn
    progress("Creating the event tracker")
    tracker = personalize.create_event_tracker(name=f"{name}-clicks", datasetGroupArn=group_arn)
    _wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
            "eventTracker"
        ],
        "the event tracker",
    )
    set_environment(
        lambda_client, function_arns[TRACKER_FUNCTION_OUTPUT], "TRACKING_ID", tracker["trackingId"]
    )
    created["trackingId"] = tracker["trackingId"]
    return created


def set_environment(lambda_client: Any, function: str, name: str, value: str) -> None:
    """Set one environment variable, keeping the others (UpdateFunctionConfiguration replaces them all)."""
    variables = (
        lambda_client.get_function_configuration(FunctionName=function)
        .get("Environment", {})
        .get("Variables", {})
    )
    lambda_client.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, name: value}}
    )
