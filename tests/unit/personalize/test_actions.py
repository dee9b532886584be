"""Next best actions from the boto3 side: Actions and Action interactions datasets imported,
an aws-next-best-action campaign, PutActionInteractions changing GetActionRecommendations at once,
PutActions adding an action."""

from __future__ import annotations

import csv
import json
import random
import time
from pathlib import Path

import pytest

from tests.unit.personalize.conftest import Clients, wait_for

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
ACTIONS_SCHEMA = {
    "type": "record",
    "name": "Actions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ACTION_ID", "type": "string"},
        {"name": "VALUE", "type": ["null", "float"]},
        {"name": "REPEAT_FREQUENCY", "type": ["null", "int"]},
    ],
    "version": "1.0",
}
ACTION_INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "ActionInteractions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ACTION_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ],
    "version": "1.0",
}


def write_action_data(folder: Path, users: int = 300, seed: int = 5) -> tuple[Path, Path]:
    """Members take "join" and "app" together; "card" is taken by a third of everyone offered it."""
    rng = random.Random(seed)
    rows, clock = [], 1_700_000_000
    for user in range(users):
        member = rng.random() < 0.5
        for action, rate in (
            ("join", 0.8 if member else 0.1),
            ("app", 0.8 if member else 0.1),
            ("card", 0.33),
        ):
            clock += 60
            taken = rng.random() < rate
            rows.append(
                (f"u{user}", action, clock, "NOT_TAKEN" if action == "card" and not taken else "VIEWED")
            )
            if taken:
                rows.append((f"u{user}", action, clock + 30, "TAKEN"))
    interactions = folder / "action_interactions.csv"
    with interactions.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"])
        writer.writerows(rows)
    actions = folder / "actions.csv"
    actions.write_text("ACTION_ID,VALUE,REPEAT_FREQUENCY\njoin,10,\napp,1,\ncard,5,30\n")
    return actions, interactions


def test_actions_recommended_after_put_action_interactions(clients: Clients, tmp_path: Path) -> None:
    p = clients.personalize
    actions_csv, interactions_csv = write_action_data(tmp_path)
    group_arn = p.create_dataset_group(name="actions")["datasetGroupArn"]
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"])
    datasets = {}
    for dataset_type, schema, path in (
        ("Actions", ACTIONS_SCHEMA, actions_csv),
        ("Action_Interactions", ACTION_INTERACTIONS_SCHEMA, interactions_csv),
    ):
        schema_arn = p.create_schema(name=dataset_type, schema=json.dumps(schema))["schemaArn"]
        datasets[dataset_type] = arn = p.create_dataset(
            name=dataset_type, schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType=dataset_type
        )["datasetArn"]
        wait_for(lambda arn=arn: p.describe_dataset(datasetArn=arn)["dataset"])
        job_arn = p.create_dataset_import_job(
            jobName=f"{dataset_type}-import",
            datasetArn=arn,
            dataSource={"dataLocation": str(path)},
            roleArn=ROLE,
        )["datasetImportJobArn"]
        job = wait_for(
            lambda job_arn=job_arn: p.describe_dataset_import_job(datasetImportJobArn=job_arn)[
                "datasetImportJob"
            ]
        )
        assert job["status"] == "ACTIVE", job
    # The recipe page: action_optimization_period is an integer 7-28 (days), and no HPO.
    for config, extra, message in (
        ({"featureTransformationParameters": {"action_optimization_period": "6"}}, {}, "between 7 and 28"),
        ({"featureTransformationParameters": {"action_optimization_period": "29"}}, {}, "between 7 and 28"),
        ({}, {"performHPO": True}, "does not support hyperparameter optimization"),
    ):
        with pytest.raises(p.exceptions.InvalidInputException, match=message):
            p.create_solution(
                name="refused",
                datasetGroupArn=group_arn,
                recipeArn="arn:aws:personalize:::recipe/aws-next-best-action",
                solutionConfig=config,
                **extra,
            )
    solution_arn = p.create_solution(
        name="next-best",
        datasetGroupArn=group_arn,
        recipeArn="arn:aws:personalize:::recipe/aws-next-best-action",
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=solution_arn)["solution"])
    version_arn = p.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "ACTIVE", version
    metrics = p.get_solution_metrics(solutionVersionArn=version_arn)["metrics"]
    assert 0 < metrics["precision_at_5"] <= 0.2 and 0 < metrics["coverage"] <= 1
    campaign_arn = p.create_campaign(name="next-best", solutionVersionArn=version_arn)["campaignArn"]
    wait_for(lambda: p.describe_campaign(campaignArn=campaign_arn)["campaign"])
    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])

    runtime = clients.runtime

    def recommended(user: str) -> list[str]:
        answer = runtime.get_action_recommendations(campaignArn=campaign_arn, userId=user, numResults=3)
        assert all(0.0 <= entry["score"] <= 1.0 for entry in answer["actionList"])
        return [entry["actionId"] for entry in answer["actionList"]]

    before = recommended("newcomer")
    assert sorted(before) == ["app", "card", "join"]
    clients.events.put_action_interactions(
        trackingId=tracker["trackingId"],
        actionInteractions=[
            {
                "actionId": "join",
                "userId": "newcomer",
                "sessionId": "s1",
                "timestamp": time.time(),
                "eventType": "TAKEN",
            }
        ],
    )
    after = recommended("newcomer")
    assert "join" not in after  # taken, and join has no REPEAT_FREQUENCY: done
    assert after[0] == "app"  # those who joined install the app

    # Action filters (the developer guide's examples): on the Actions dataset with a parameter in
    # parentheses, and on the user's action interactions, real-time ones included.
    def action_filter(name: str, expression: str) -> str:
        arn = p.create_filter(name=name, datasetGroupArn=group_arn, filterExpression=expression)["filterArn"]
        wait_for(lambda: p.describe_filter(filterArn=arn)["filter"])
        return arn

    def filtered(user: str, filter_arn: str, **values: str) -> list[str]:
        answer = runtime.get_action_recommendations(
            campaignArn=campaign_arn,
            userId=user,
            filterArn=filter_arn,
            **({"filterValues": values} if values else {}),
        )
        return [entry["actionId"] for entry in answer["actionList"]]

    cheap = action_filter("cheap", "EXCLUDE ActionID WHERE Actions.VALUE > ($VALUE)")
    assert filtered("someone", cheap, VALUE="4") == ["app"]  # join (10) and card (5) excluded
    assert sorted(filtered("someone", cheap)) == ["app", "card", "join"]  # no value: no condition
    declined = action_filter(
        "declined", 'INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")'
    )
    assert filtered("newcomer", declined) == []
    clients.events.put_action_interactions(
        trackingId=tracker["trackingId"],
        actionInteractions=[
            {
                "actionId": "card",
                "userId": "newcomer",
                "sessionId": "s1",
                "timestamp": time.time(),
                "eventType": "NOT_TAKEN",
            }
        ],
    )
    assert filtered("newcomer", declined) == ["card"]
    item_filter = action_filter("items", 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")')
    with pytest.raises(runtime.exceptions.InvalidInputException, match="ActionID"):
        filtered("newcomer", item_filter)
    with pytest.raises(p.exceptions.InvalidInputException, match="Actions has no field COLOUR"):
        p.create_filter(
            name="bad",
            datasetGroupArn=group_arn,
            filterExpression='INCLUDE ActionID WHERE Actions.COLOUR IN ("red")',
        )

    with pytest.raises(clients.events.exceptions.InvalidInputException, match="eventType"):
        clients.events.put_action_interactions(
            trackingId=tracker["trackingId"],
            actionInteractions=[
                {
                    "actionId": "app",
                    "userId": "newcomer",
                    "sessionId": "s1",
                    "timestamp": time.time(),
                    "eventType": "CLICK",
                }
            ],
        )
    with pytest.raises(runtime.exceptions.InvalidInputException, match="GetActionRecommendations"):
        runtime.get_recommendations(campaignArn=campaign_arn, userId="newcomer")

    # PutActions adds an action to the Actions dataset (exported back to read it)
    clients.events.put_actions(
        datasetArn=datasets["Actions"], actions=[{"actionId": "gift", "properties": json.dumps({"value": 3})}]
    )
    export_arn = p.create_dataset_export_job(
        jobName="actions-export",
        datasetArn=datasets["Actions"],
        ingestionMode="ALL",
        roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": str(tmp_path / "export")}},
    )["datasetExportJobArn"]
    wait_for(lambda: p.describe_dataset_export_job(datasetExportJobArn=export_arn)["datasetExportJob"])
    exported = list(csv.DictReader((tmp_path / "export" / "actions-export.csv").open()))
    assert {row["ACTION_ID"]: row["VALUE"] for row in exported}["gift"] == "3.0"
