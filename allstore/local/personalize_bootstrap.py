"""Recommendations out of the box: the workshop's Personalize steps, run against the local service.

The same boto3 `personalize` calls the workshop notebooks make — schema, dataset group, dataset,
import from the staging bucket, a solution, version and campaign per recipe, an event tracker —
then the campaigns and tracking id are wired into the store's SSM parameters, as the notebooks do
(`allstore.workshop.wiring`). "Recommended for you" is wired with a filter that leaves out what the
shopper viewed or put in the cart in the store, so a product just looked at is not handed straight back. Every resource is named `<stack>-store-...`: the notebook role may
only touch the stack's own names, and the notebooks' `<stack>-workshop-...` stay free.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allstore.workshop import wiring
from allstore.workshop.statuses import IN_PROGRESS

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
    """A recipe to train and the wiring (`allstore.workshop.wiring`) its campaign goes into."""

    recipe: str
    consumer: str


DEPLOYMENTS = (
    Deployment("aws-user-personalization", wiring.RECOMMENDATIONS),
    Deployment("aws-sims", wiring.SIMILAR_ITEMS),
    Deployment("aws-personalized-ranking", wiring.SEARCH_RANKING),
)


VIEW_EVENT_TYPE = "click"  # what the web UI sends for a product view (webui/src/events)
ADD_TO_CART_EVENT_TYPE = "add-to-cart"
UNSEEN_FILTER_EXPRESSION = (
    f'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("{VIEW_EVENT_TYPE}", "{ADD_TO_CART_EVENT_TYPE}")'
)


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
    ssm: Any,
    *,
    stack: str,
    interactions_location: str,
    role_arn: str,
    progress: Progress,
) -> dict[str, str]:
    """Train every deployment, create the event tracker, wire them into the store.

    Returns what was created: campaign ARNs by recipe and the tracking id.
    """
    name = f"{stack}-store"
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
        wiring.wire(ssm, stack, deployment.consumer, campaignArn=campaign_arn)
        created[deployment.recipe] = campaign_arn
    progress("Creating the filter of items already viewed")
    filter_arn = personalize.create_filter(
        name=f"{name}-unseen", datasetGroupArn=group_arn, filterExpression=UNSEEN_FILTER_EXPRESSION
    )["filterArn"]
    _wait(lambda: personalize.describe_filter(filterArn=filter_arn)["filter"], "the unseen-items filter")
    wiring.wire(ssm, stack, wiring.RECOMMENDATIONS, filterArn=filter_arn)
    created["filter"] = filter_arn
    progress("Creating the event tracker")
    tracker = personalize.create_event_tracker(name=f"{name}-clicks", datasetGroupArn=group_arn)
    _wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
            "eventTracker"
        ],
        "the event tracker",
    )
    wiring.wire(ssm, stack, wiring.CLICK_TRACKING, trackingId=tracker["trackingId"])
    created["trackingId"] = tracker["trackingId"]
    return created
