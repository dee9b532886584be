"""The rest of the control plane from the boto3 side: tags, algorithms, UpdateDataset, UpdateSolution,
StopSolutionVersionCreation, dataset export jobs and data deletion jobs (to and from moto S3),
metric attributions published to moto CloudWatch."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import boto3
import pytest

from allstore.personalize import recipes
from allstore.personalize.server import PersonalizeServer
from allstore.personalize.state.jobs import TRANSITION_VARIABLE
from tests.unit.personalize.conftest import (
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    Clients,
    Store,
    deploy,
    make_clients,
    unvalidated,
    wait_for,
)
from tests.unit.personalize.test_workshop import put_clicks

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"


def test_tags_given_at_creation_are_listed_and_changed(clients: Clients) -> None:
    p = clients.personalize
    group_arn = p.create_dataset_group(name="tagged", tags=[{"tagKey": "team", "tagValue": "store"}])[
        "datasetGroupArn"
    ]
    assert p.list_tags_for_resource(resourceArn=group_arn)["tags"] == [
        {"tagKey": "team", "tagValue": "store"}
    ]
    p.tag_resource(resourceArn=group_arn, tags=[{"tagKey": "stage", "tagValue": "dev"}])
    p.untag_resource(resourceArn=group_arn, tagKeys=["team"])
    assert p.list_tags_for_resource(resourceArn=group_arn)["tags"] == [{"tagKey": "stage", "tagValue": "dev"}]

    with pytest.raises(p.exceptions.InvalidInputException, match="reserved"):
        p.tag_resource(resourceArn=group_arn, tags=[{"tagKey": "aws:owner", "tagValue": "x"}])
    with pytest.raises(p.exceptions.TooManyTagsException):
        p.tag_resource(resourceArn=group_arn, tags=[{"tagKey": f"k{n}", "tagValue": "v"} for n in range(50)])
    with pytest.raises(p.exceptions.TooManyTagsException):
        p.create_dataset_group(
            name="overtagged", tags=[{"tagKey": f"k{n}", "tagValue": "v"} for n in range(51)]
        )
    assert [group["name"] for group in p.list_dataset_groups()["datasetGroups"]] == ["tagged"]
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.list_tags_for_resource(resourceArn=group_arn.replace("tagged", "missing"))
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"])
    p.delete_dataset_group(datasetGroupArn=group_arn)
    wait_for(lambda: {"status": "GONE" if not p.list_dataset_groups()["datasetGroups"] else "-"}, ("GONE",))
    again = p.create_dataset_group(name="tagged")["datasetGroupArn"]  # same ARN, created without tags
    assert p.list_tags_for_resource(resourceArn=again)["tags"] == []


def test_algorithms_and_feature_transformations_of_the_recipes(clients: Clients) -> None:
    p = clients.personalize
    recipe = p.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")["recipe"]
    algorithm = p.describe_algorithm(algorithmArn=recipe["algorithmArn"])["algorithm"]
    assert algorithm["defaultHyperParameters"] == dict(
        recipes.get_recipe("aws-user-personalization").default_hyperparameters
    )
    transformation = p.describe_feature_transformation(
        featureTransformationArn=recipe["featureTransformationArn"]
    )["featureTransformation"]
    assert transformation["status"] == "ACTIVE"
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_algorithm(algorithmArn="arn:aws:personalize:::algorithm/aws-nothing")


def test_update_dataset_and_solution(clients: Clients, store: Store) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    wider = {
        **ITEMS_SCHEMA,
        "fields": [*ITEMS_SCHEMA["fields"], {"name": "BRAND", "type": ["null", "string"]}],
    }
    wider_arn = p.create_schema(name="items-wider", schema=json.dumps(wider))["schemaArn"]
    p.update_dataset(datasetArn=shop.items_arn, schemaArn=wider_arn)
    wait_for(lambda: p.describe_dataset(datasetArn=shop.items_arn)["dataset"]["latestDatasetUpdate"])
    dataset = p.describe_dataset(datasetArn=shop.items_arn)["dataset"]
    assert dataset["schemaArn"] == wider_arn and dataset["latestDatasetUpdate"]["schemaArn"] == wider_arn
    strict = {**ITEMS_SCHEMA, "fields": [*ITEMS_SCHEMA["fields"], {"name": "COLOUR", "type": "string"}]}
    strict_arn = p.create_schema(name="items-strict", schema=json.dumps(strict))["schemaArn"]
    with pytest.raises(p.exceptions.InvalidInputException, match="COLOUR"):
        p.update_dataset(datasetArn=shop.items_arn, schemaArn=strict_arn)
    interactions_arn = p.create_schema(name="not-items", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
    with pytest.raises(p.exceptions.InvalidInputException):
        p.update_dataset(datasetArn=shop.items_arn, schemaArn=interactions_arn)

    p.update_solution(
        solutionArn=shop.solution_arn,
        performAutoTraining=True,
        solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}},
    )
    solution = p.describe_solution(solutionArn=shop.solution_arn)["solution"]
    assert solution["performAutoTraining"] is True
    assert solution["latestSolutionUpdate"]["solutionUpdateConfig"]["autoTrainingConfig"] == {
        "schedulingExpression": "rate(7 days)"
    }


def test_update_dataset_goes_through_the_update_statuses(state_dir, monkeypatch) -> None:
    """UpdateDataset is not instant: latestDatasetUpdate is CREATE PENDING, then CREATE IN_PROGRESS
    (the statuses the API reference gives every update summary), then ACTIVE, each for the transition
    time; the dataset keeps its old schema meanwhile, and a second update or an import is refused."""
    monkeypatch.setenv(TRANSITION_VARIABLE, "0.3")
    server = PersonalizeServer(state_dir, port=0)
    server.start()
    try:
        p = make_clients(server).personalize
        group = p.create_dataset_group(name="updating")["datasetGroupArn"]
        wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
        old = p.create_schema(name="items", schema=json.dumps(ITEMS_SCHEMA))["schemaArn"]
        dataset = p.create_dataset(name="items", schemaArn=old, datasetGroupArn=group, datasetType="Items")[
            "datasetArn"
        ]
        wait_for(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
        wider = {
            **ITEMS_SCHEMA,
            "fields": [*ITEMS_SCHEMA["fields"], {"name": "BRAND", "type": ["null", "string"]}],
        }
        new = p.create_schema(name="items-wider", schema=json.dumps(wider))["schemaArn"]
        p.update_dataset(datasetArn=dataset, schemaArn=new)
        described = p.describe_dataset(datasetArn=dataset)["dataset"]
        assert described["latestDatasetUpdate"]["status"] == "CREATE PENDING"
        assert described["schemaArn"] == old and described["latestDatasetUpdate"]["schemaArn"] == new
        with pytest.raises(p.exceptions.ResourceInUseException):
            p.update_dataset(datasetArn=dataset, schemaArn=new)
        with pytest.raises(p.exceptions.ResourceInUseException):
            p.create_dataset_import_job(
                jobName="meanwhile",
                datasetArn=dataset,
                dataSource={"dataLocation": "/nowhere.csv"},
                roleArn=ROLE,
            )
        seen = [described["latestDatasetUpdate"]["status"]]
        while seen[-1] != "ACTIVE":
            time.sleep(0.05)
            described = p.describe_dataset(datasetArn=dataset)["dataset"]
            if described["latestDatasetUpdate"]["status"] != seen[-1]:
                seen.append(described["latestDatasetUpdate"]["status"])
                assert described["schemaArn"] == (new if seen[-1] == "ACTIVE" else old)
        assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    finally:
        server.stop()


def test_min_provisioned_tps_is_validated_and_shown(clients: Clients, store: Store, server) -> None:
    """minProvisionedTPS (the campaign's minimum requests per second): at least 1, 1 by default,
    shown by DescribeCampaign and in latestCampaignUpdate, which goes through the update statuses
    while the campaign keeps its old settings, as the service does."""
    shop = deploy(clients, store, campaign=False)
    p, unchecked = clients.personalize, unvalidated(clients)  # the service checks, not botocore
    with pytest.raises(p.exceptions.InvalidInputException, match="minProvisionedTPS"):
        unchecked.create_campaign(name="none", solutionVersionArn=shop.version_arn, minProvisionedTPS=0)
    arn = p.create_campaign(name="default", solutionVersionArn=shop.version_arn)["campaignArn"]
    assert wait_for(lambda: p.describe_campaign(campaignArn=arn)["campaign"])["minProvisionedTPS"] == 1
    with pytest.raises(p.exceptions.InvalidInputException, match="minProvisionedTPS"):
        unchecked.update_campaign(campaignArn=arn, minProvisionedTPS=0)
    server.service.state.jobs.pause = 0.3  # the transitional statuses last a while from here on
    p.update_campaign(campaignArn=arn, minProvisionedTPS=4)
    seen = []
    while not seen or seen[-1] != "ACTIVE":
        campaign = p.describe_campaign(campaignArn=arn)["campaign"]
        status = campaign["latestCampaignUpdate"]["status"]
        if not seen or status != seen[-1]:
            seen.append(status)
            assert campaign["latestCampaignUpdate"]["minProvisionedTPS"] == 4
            assert campaign["minProvisionedTPS"] == (4 if status == "ACTIVE" else 1)
        time.sleep(0.05)
    assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]


def test_stop_solution_version_creation(clients: Clients, store: Store, monkeypatch) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    release = threading.Event()
    fit = recipes.get_recipe("aws-user-personalization").fit

    def slow_fit(*args, **kwargs):
        release.wait(10)
        return fit(*args, **kwargs)

    monkeypatch.setattr(recipes.get_recipe("aws-user-personalization"), "fit", slow_fit)
    version_arn = p.create_solution_version(solutionArn=shop.solution_arn)["solutionVersionArn"]
    wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"],
        until=("CREATE IN_PROGRESS",),
    )
    p.stop_solution_version_creation(solutionVersionArn=version_arn)
    stopping = p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"]
    assert stopping["status"] == "CREATE STOPPING"
    release.set()
    version = wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"],
        until=("CREATE STOPPED", "ACTIVE"),
    )
    assert version["status"] == "CREATE STOPPED"
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.create_campaign(name="from-stopped", solutionVersionArn=version_arn)
    with pytest.raises(p.exceptions.ResourceInUseException, match="nothing to stop"):
        p.stop_solution_version_creation(solutionVersionArn=shop.version_arn)


def _export(clients: Clients, s3, dataset_arn: str, name: str, mode: str) -> list[dict]:
    p = clients.personalize
    job_arn = p.create_dataset_export_job(
        jobName=name,
        datasetArn=dataset_arn,
        ingestionMode=mode,
        roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": f"s3://workshop/exports/{name}/"}},
    )["datasetExportJobArn"]
    job = wait_for(lambda: p.describe_dataset_export_job(datasetExportJobArn=job_arn)["datasetExportJob"])
    assert job["status"] == "ACTIVE", job
    body = s3.get_object(Bucket="workshop", Key=f"exports/{name}/{name}.csv")["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_and_delete_a_users_data(clients: Clients, store: Store, s3) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=shop.group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    put_clicks(clients, tracker["trackingId"], "session-1", ["item-0-1", "item-0-2"], user_id="user-1")
    put_clicks(clients, tracker["trackingId"], "session-2", ["item-1-1"], user_id="user-2")

    imported = len(store.interactions_csv.read_text().splitlines()) - 1
    bulk = _export(clients, s3, shop.interactions_arn, "bulk", "BULK")
    put = _export(clients, s3, shop.interactions_arn, "put", "PUT")
    everything = _export(clients, s3, shop.interactions_arn, "all", "ALL")
    assert len(bulk) == imported and len(put) == 3 and len(everything) == imported + 3
    assert {(row["USER_ID"], row["ITEM_ID"]) for row in put} == {
        ("user-1", "item-0-1"),
        ("user-1", "item-0-2"),
        ("user-2", "item-1-1"),
    }
    items = _export(clients, s3, shop.items_arn, "items", "BULK")
    assert {row["ITEM_ID"] for row in items} == set(store.item_category)
    jobs = p.list_dataset_export_jobs(datasetArn=shop.interactions_arn)["datasetExportJobs"]
    assert sorted(job["jobName"] for job in jobs) == ["all", "bulk", "put"]

    s3.put_object(Bucket="workshop", Key="delete/users.csv", Body=b"USER_ID\nuser-1\nnobody\n")
    job_arn = p.create_data_deletion_job(
        jobName="forget-user-1",
        datasetGroupArn=shop.group_arn,
        dataSource={"dataLocation": "s3://workshop/delete/users.csv"},
        roleArn=ROLE,
    )["dataDeletionJobArn"]
    job = wait_for(
        lambda: p.describe_data_deletion_job(dataDeletionJobArn=job_arn)["dataDeletionJob"],
        until=("COMPLETED", "FAILED"),
    )
    assert job["status"] == "COMPLETED" and job["numDeleted"] == 1
    after = _export(clients, s3, shop.interactions_arn, "after", "ALL")
    assert "user-1" not in {row["USER_ID"] for row in after}
    assert len(after) == len(everything) - sum(row["USER_ID"] == "user-1" for row in everything)
    users = _export(clients, s3, shop.users_arn, "users-after", "BULK")
    assert "user-1" not in {row["USER_ID"] for row in users}
    listed = p.list_data_deletion_jobs(datasetGroupArn=shop.group_arn)["dataDeletionJobs"]
    assert [entry["status"] for entry in listed] == ["COMPLETED"]


def test_item_and_user_exports_tell_bulk_rows_from_put_rows(clients: Clients, store: Store, s3) -> None:
    """Every dataset type records where each row came from: BULK exports the imported rows, PUT the
    PutItems / PutUsers rows, ALL both; a FULL import replaces only the bulk rows (PUT rows stay)."""
    shop = deploy(clients, store, campaign=False)
    p, events = clients.personalize, clients.events
    events.put_items(
        datasetArn=shop.items_arn,
        items=[{"itemId": "new-item", "properties": json.dumps({"categoryL1": "kayaks", "price": 120})}],
    )
    events.put_users(
        datasetArn=shop.users_arn, users=[{"userId": "new-user", "properties": '{"segment": "gold"}'}]
    )
    for dataset_arn, column, imported, added in (
        (shop.items_arn, "ITEM_ID", set(store.item_category), "new-item"),
        (shop.users_arn, "USER_ID", set(store.user_category), "new-user"),
    ):
        name = column.split("_")[0].lower()
        assert {row[column] for row in _export(clients, s3, dataset_arn, f"{name}-bulk", "BULK")} == imported
        put = _export(clients, s3, dataset_arn, f"{name}-put", "PUT")
        assert [row[column] for row in put] == [added]
        every = _export(clients, s3, dataset_arn, f"{name}-all", "ALL")
        assert {row[column] for row in every} == imported | {added} and len(every) == len(imported) + 1
    assert _export(clients, s3, shop.items_arn, "item-put-row", "PUT")[0]["CATEGORY_L1"] == "kayaks"

    one_item = store.items_csv.with_name("one-item.csv")
    one_item.write_text("ITEM_ID,CATEGORY_L1,PRICE\nitem-0-0,outdoors,9.5\n")
    job_arn = p.create_dataset_import_job(
        jobName="replace-items",
        datasetArn=shop.items_arn,
        dataSource={"dataLocation": str(one_item)},
        roleArn=ROLE,
        importMode="FULL",
    )["datasetImportJobArn"]
    job = wait_for(lambda: p.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"])
    assert job["status"] == "ACTIVE", job
    assert [row["ITEM_ID"] for row in _export(clients, s3, shop.items_arn, "after-full", "BULK")] == [
        "item-0-0"
    ]
    assert [row["ITEM_ID"] for row in _export(clients, s3, shop.items_arn, "after-full-put", "PUT")] == [
        "new-item"
    ]


def test_metric_attribution_publishes_to_cloudwatch_and_s3(
    clients: Clients, store: Store, s3, tmp_path
) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    metrics = [
        {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"},
        {"eventType": "click", "metricName": "CLICKED_PRICE", "expression": "SUM(Items.PRICE)"},
    ]
    with pytest.raises(p.exceptions.InvalidInputException, match="numeric column"):
        p.create_metric_attribution(
            name="bad",
            datasetGroupArn=shop.group_arn,
            metrics=[{"eventType": "click", "metricName": "X", "expression": "SUM(Items.CATEGORY_L1)"}],
            metricsOutputConfig={"roleArn": ROLE},
        )
    arn = p.create_metric_attribution(
        name="impact",
        datasetGroupArn=shop.group_arn,
        metrics=metrics,
        metricsOutputConfig={"roleArn": ROLE, "s3DataDestination": {"path": "s3://workshop/metrics/"}},
    )["metricAttributionArn"]
    wait_for(lambda: p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"])
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == metrics
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_metric_attribution(
            name="second",
            datasetGroupArn=shop.group_arn,
            metrics=metrics,
            metricsOutputConfig={"roleArn": ROLE},
        )

    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=shop.group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    shown = clients.runtime.get_recommendations(campaignArn=shop.campaign_arn, userId="user-1", numResults=2)
    clicked = shown["itemList"][0]["itemId"]
    clients.events.put_events(
        trackingId=tracker["trackingId"],
        userId="user-1",
        sessionId="session-1",
        eventList=[
            {
                "eventType": "click",
                "itemId": clicked,
                "sentAt": time.time(),
                "recommendationId": shown["recommendationId"],
            },
            {
                "eventType": "click",
                "itemId": "item-0-0",
                "sentAt": time.time(),
                "metricAttribution": {"eventAttributionSource": "email"},
            },
        ],
    )
    cloudwatch = boto3.client("cloudwatch")
    published = cloudwatch.list_metrics(Namespace="AWS/Personalize")["Metrics"]
    by_source = {
        (
            metric["MetricName"],
            {d["Name"]: d["Value"] for d in metric["Dimensions"]}["EventAttributionSource"],
        )
        for metric in published
    }
    assert by_source == {
        ("CLICKS", shop.campaign_arn),
        ("CLICKED_PRICE", shop.campaign_arn),
        ("CLICKS", "email"),
        ("CLICKED_PRICE", "email"),
    }

    # a retried event (same eventId) is recorded, and counted, once
    for _ in range(2):
        clients.events.put_events(
            trackingId=tracker["trackingId"],
            userId="user-1",
            sessionId="session-1",
            eventList=[
                {
                    "eventId": "retried",
                    "eventType": "click",
                    "itemId": "item-0-1",
                    "sentAt": time.time(),
                    "metricAttribution": {"eventAttributionSource": "newsletter"},
                }
            ],
        )
    now = time.time()
    statistics = cloudwatch.get_metric_statistics(
        Namespace="AWS/Personalize",
        MetricName="CLICKS",
        Dimensions=[
            {"Name": "MetricAttributionArn", "Value": arn},
            {"Name": "EventAttributionSource", "Value": "newsletter"},
        ],
        StartTime=now - 600,
        EndTime=now + 600,
        Period=3600,
        Statistics=["Sum"],
    )
    assert [point["Sum"] for point in statistics["Datapoints"]] == [1.0]

    # an incremental import that asks for it reports its metrics in the attribution's S3 folder
    more = tmp_path / "more.csv"
    more.write_text(
        "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n"
        "user-5,item-0-0,click,,1700000000\nuser-6,item-0-0,click,,1700000001\nuser-6,item-0-1,purchase,,1700000002\n"
    )
    job_arn = p.create_dataset_import_job(
        jobName="more",
        datasetArn=shop.interactions_arn,
        dataSource={"dataLocation": str(more)},
        importMode="INCREMENTAL",
        publishAttributionMetricsToS3=True,
    )["datasetImportJobArn"]
    wait_for(lambda: p.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"])
    report = s3.get_object(Bucket="workshop", Key="metrics/more-metrics.csv")["Body"].read().decode()
    rows = {
        (row["METRIC_NAME"], row["EVENT_ATTRIBUTION_SOURCE"]): float(row["VALUE"])
        for row in csv.DictReader(io.StringIO(report))
    }
    price = float(store.items_csv.read_text().splitlines()[1].split(",")[2])  # item-0-0's PRICE
    assert rows == {
        ("CLICKS", "SOURCE_NAME_UNDEFINED"): 2.0,
        ("CLICKED_PRICE", "SOURCE_NAME_UNDEFINED"): 2 * price,
    }

    p.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["CLICKED_PRICE"])
    assert [
        m["metricName"] for m in p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]
    ] == ["CLICKS"]
    assert [
        found["name"]
        for found in p.list_metric_attributions(datasetGroupArn=shop.group_arn)["metricAttributions"]
    ] == ["impact"]
    p.delete_metric_attribution(metricAttributionArn=arn)
    wait_for(
        lambda: {"status": "GONE" if not p.list_metric_attributions()["metricAttributions"] else "-"},
        ("GONE",),
    )
