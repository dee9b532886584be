"""Every error class the three APIs define, raised as botocore's modelled exception on the client."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests

from allstore.personalize import recipes
from allstore.personalize.server import PersonalizeServer
from tests.unit.personalize.conftest import (
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    Clients,
    Store,
    deploy,
    wait_for,
)


@pytest.fixture
def shop(clients: Clients, store: Store):
    return deploy(clients, store)


def test_control_plane_invalid_input(clients: Clients) -> None:
    p = clients.personalize
    with pytest.raises(p.exceptions.InvalidInputException, match="not valid JSON"):
        p.create_schema(name="broken", schema="{not json")
    with pytest.raises(p.exceptions.InvalidInputException, match="Avro record"):
        p.create_schema(name="broken", schema=json.dumps({"type": "string"}))
    with pytest.raises(p.exceptions.InvalidInputException, match="does not match"):
        p.create_dataset_group(name="-starts-with-a-dash")
    with pytest.raises(p.exceptions.InvalidInputException, match="ECOMMERCE"):
        p.create_dataset_group(name="group", domain="GROCERIES")
    group_arn = p.create_dataset_group(name="group")["datasetGroupArn"]
    items_schema = p.create_schema(name="items-only", schema=json.dumps(ITEMS_SCHEMA))["schemaArn"]
    with pytest.raises(p.exceptions.InvalidInputException, match="USER_ID"):
        p.create_dataset(
            name="wrong", schemaArn=items_schema, datasetGroupArn=group_arn, datasetType="Interactions"
        )
    with pytest.raises(p.exceptions.InvalidInputException, match="ACTION_ID"):
        p.create_dataset(
            name="wrong", schemaArn=items_schema, datasetGroupArn=group_arn, datasetType="Actions"
        )
    with pytest.raises(p.exceptions.InvalidInputException, match="datasetType"):
        p.create_dataset(
            name="wrong", schemaArn=items_schema, datasetGroupArn=group_arn, datasetType="Bookings"
        )
    with pytest.raises(p.exceptions.InvalidInputException, match="recipeArn is required"):
        p.create_solution(name="no-recipe", datasetGroupArn=group_arn)
    with pytest.raises(p.exceptions.InvalidInputException, match="Action interactions datasets"):
        p.create_solution(
            name="actions",
            datasetGroupArn=group_arn,
            recipeArn="arn:aws:personalize:::recipe/aws-next-best-action",
        )
    with pytest.raises(p.exceptions.InvalidInputException, match="aws-hrnn is no longer available"):
        p.create_solution(
            name="retired", datasetGroupArn=group_arn, recipeArn="arn:aws:personalize:::recipe/aws-hrnn"
        )
    with pytest.raises(p.exceptions.InvalidInputException, match="Unknown hyperparameters"):
        p.create_solution(
            name="bad-hp",
            datasetGroupArn=group_arn,
            recipeArn="arn:aws:personalize:::recipe/aws-sims",
            solutionConfig={"algorithmHyperParameters": {"no_such_knob": "1"}},
        )
    with pytest.raises(p.exceptions.InvalidInputException, match="eventValueThreshold"):
        p.create_solution(
            name="bad-threshold",
            datasetGroupArn=group_arn,
            recipeArn="arn:aws:personalize:::recipe/aws-sims",
            solutionConfig={"eventValueThreshold": "lots"},
        )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("EXCLUDE ItemID", "expected WHERE"),
        ('INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("a"', "expected ')'"),
        ('INCLUDE ItemID WHERE Items.CATEGORY_L1 LIKE "a"', "IN, NOT IN or a comparison"),
        ('INCLUDE ItemID WHERE Items.NO_SUCH_FIELD IN ("a")', "no field NO_SUCH_FIELD"),
        ('EXCLUDE ItemID WHERE Interactions.ITEM_ID IN ("a")', "EVENT_TYPE"),
        ('SHOW ItemID WHERE Items.CATEGORY_L1 IN ("a")', "expected INCLUDE or EXCLUDE"),
        ('INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("a") |', "expected INCLUDE or EXCLUDE, found the end"),
    ],
)
def test_bad_filter_expressions_say_what_is_wrong(
    clients: Clients, shop, expression: str, message: str
) -> None:
    with pytest.raises(clients.personalize.exceptions.InvalidInputException, match=re.escape(message)):
        clients.personalize.create_filter(
            name="bad", datasetGroupArn=shop.group_arn, filterExpression=expression
        )


def test_not_found_already_exists_in_use_limit_and_next_token(clients: Clients, shop) -> None:
    p = clients.personalize
    missing = shop.group_arn + "-missing"
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset_group(datasetGroupArn=missing)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-no-such-recipe")
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.create_solution(
            name="x", datasetGroupArn=shop.group_arn, recipeArn="arn:aws:personalize:::recipe/aws-nope"
        )
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_dataset_group(name="shop")
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_schema(name="shop-Interactions", schema=json.dumps(INTERACTIONS_SCHEMA))
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_dataset_group(datasetGroupArn=shop.group_arn)
    with pytest.raises(p.exceptions.ResourceInUseException, match="used by dataset"):
        p.delete_schema(schemaArn=p.describe_dataset(datasetArn=shop.items_arn)["dataset"]["schemaArn"])
    with pytest.raises(p.exceptions.ResourceInUseException, match="used by campaign"):
        p.delete_solution(solutionArn=shop.solution_arn)
    for index in range(10):
        p.create_filter(
            name=f"filter-{index}",
            datasetGroupArn=shop.group_arn,
            filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
        )
    with pytest.raises(p.exceptions.LimitExceededException):
        p.create_filter(
            name="filter-10",
            datasetGroupArn=shop.group_arn,
            filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
        )
    with pytest.raises(p.exceptions.InvalidNextTokenException):
        p.list_filters(datasetGroupArn=shop.group_arn, nextToken="not-a-token")


def test_a_campaign_needs_an_active_version_and_one_training_at_a_time(
    clients: Clients, shop, monkeypatch
) -> None:
    p = clients.personalize
    recipe = recipes.get_recipe("aws-user-personalization")
    original_fit = recipe.fit
    release = threading.Event()

    def held_fit(*args, **kwargs):
        release.wait(30)
        return original_fit(*args, **kwargs)

    monkeypatch.setattr(recipe, "fit", held_fit)
    version_arn = p.create_solution_version(solutionArn=shop.solution_arn)["solutionVersionArn"]
    with pytest.raises(p.exceptions.ResourceInUseException, match="already has a version in training"):
        p.create_solution_version(solutionArn=shop.solution_arn)
    with pytest.raises(p.exceptions.ResourceInUseException, match="not ACTIVE"):
        p.create_campaign(name="too-early", solutionVersionArn=version_arn)
    with pytest.raises(p.exceptions.ResourceInUseException, match="not ACTIVE"):
        p.get_solution_metrics(solutionVersionArn=version_arn)
    with pytest.raises(p.exceptions.ResourceInUseException, match="training"):
        p.delete_dataset(datasetArn=shop.interactions_arn)
    # quick creations do not queue behind trainings, even when every training worker is busy
    second = p.create_solution(
        name="second",
        datasetGroupArn=shop.group_arn,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
    )["solutionArn"]
    second_version = p.create_solution_version(solutionArn=second)["solutionVersionArn"]
    other_group = p.create_dataset_group(name="while-training")["datasetGroupArn"]
    group = wait_for(lambda: p.describe_dataset_group(datasetGroupArn=other_group)["datasetGroup"], timeout=5)
    assert group["status"] == "ACTIVE"
    still_training = p.describe_solution_version(solutionVersionArn=second_version)["solutionVersion"]
    assert still_training["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
    release.set()
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "ACTIVE"


def test_pagination(clients: Clients) -> None:
    p = clients.personalize
    for index in range(5):
        p.create_schema(name=f"schema-{index}", schema=json.dumps(INTERACTIONS_SCHEMA))
    first = p.list_schemas(maxResults=2)
    second = p.list_schemas(maxResults=2, nextToken=first["nextToken"])
    third = p.list_schemas(maxResults=2, nextToken=second["nextToken"])
    assert "nextToken" not in third
    names = [schema["name"] for page in (first, second, third) for schema in page["schemas"]]
    assert sorted(names) == [f"schema-{index}" for index in range(5)]
    assert names[0] == "schema-4"  # newest first
    assert set(first["schemas"][0]) == {"name", "schemaArn", "creationDateTime", "lastUpdatedDateTime"}
    paginated = [
        schema["name"]
        for page in p.get_paginator("list_schemas").paginate(PaginationConfig={"PageSize": 2})
        for schema in page["schemas"]
    ]
    assert paginated == names
    recipes = p.list_recipes()["recipes"]
    assert {
        "aws-user-personalization",
        "aws-sims",
        "aws-personalized-ranking",
        "aws-popularity-count",
        "aws-user-personalization-v2",
        "aws-item-affinity",
    } <= {recipe["name"] for recipe in recipes}
    assert not any(recipe["name"].startswith("aws-hrnn") for recipe in recipes)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-hrnn")


def test_runtime_errors(clients: Clients, shop) -> None:
    runtime = clients.runtime
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_recommendations(campaignArn=shop.campaign_arn + "-missing", userId="user-1")
    with pytest.raises(runtime.exceptions.InvalidInputException, match="at most 500"):
        runtime.get_recommendations(campaignArn=shop.campaign_arn, userId="user-1", numResults=501)
    with pytest.raises(runtime.exceptions.InvalidInputException, match="userId is required"):
        runtime.get_recommendations(campaignArn=shop.campaign_arn, itemId="item-0-0")
    with pytest.raises(runtime.exceptions.InvalidInputException, match="GetPersonalizedRanking needs"):
        runtime.get_personalized_ranking(
            campaignArn=shop.campaign_arn, userId="user-1", inputList=["item-0-0"]
        )
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_recommendations(
            campaignArn=shop.campaign_arn, userId="user-1", filterArn=shop.group_arn + "-no-filter"
        )
    with pytest.raises(runtime.exceptions.InvalidInputException, match="filterArn"):
        runtime.get_recommendations(campaignArn=shop.campaign_arn, userId="user-1", filterValues={"X": '"y"'})


def test_ranking_input_list_limit(clients: Clients, store: Store) -> None:
    shop = deploy(clients, store, recipe="aws-personalized-ranking", name="ranking")
    with pytest.raises(clients.runtime.exceptions.InvalidInputException, match="at most 500"):
        clients.runtime.get_personalized_ranking(
            campaignArn=shop.campaign_arn,
            userId="user-1",
            inputList=[f"item-{index}" for index in range(501)],
        )


def test_events_errors(clients: Clients, shop) -> None:
    p, events = clients.personalize, clients.events
    tracking_id = p.create_event_tracker(name="tracker", datasetGroupArn=shop.group_arn)["trackingId"]
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException) as second:
        p.create_event_tracker(name="tracker-2", datasetGroupArn=shop.group_arn)
    # The original workshop's notebook 2 takes the existing tracker from the message's first ARN.
    message = second.value.response["Error"]["Message"]
    existing = message[message.index("arn:aws:personalize") :].partition(" ")[0]
    assert p.describe_event_tracker(eventTrackerArn=existing)["eventTracker"]["trackingId"] == tracking_id
    now = time.time()
    event = {"eventType": "click", "itemId": "item-0-0", "sentAt": now}
    # PutEvents' model lists only InvalidInputException: an unknown trackingId is one.
    with pytest.raises(events.exceptions.InvalidInputException, match="no-such-tracking-id"):
        events.put_events(trackingId="no-such-tracking-id", sessionId="s", eventList=[event])
    with pytest.raises(events.exceptions.InvalidInputException, match="at most 10"):
        events.put_events(trackingId=tracking_id, sessionId="s", eventList=[event] * 11)
    with pytest.raises(events.exceptions.InvalidInputException, match="not valid JSON"):
        events.put_events(
            trackingId=tracking_id, sessionId="s", eventList=[{**event, "properties": "{itemId: 1"}]
        )
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_items(datasetArn=shop.items_arn + "-missing", items=[{"itemId": "x"}])
    with pytest.raises(events.exceptions.InvalidInputException, match="not ITEMS"):
        events.put_items(datasetArn=shop.users_arn, items=[{"itemId": "x"}])
    with pytest.raises(events.exceptions.InvalidInputException, match="not a field"):
        events.put_items(
            datasetArn=shop.items_arn, items=[{"itemId": "x", "properties": '{"colour": "red"}'}]
        )
    with pytest.raises(events.exceptions.InvalidInputException, match="PRICE"):
        events.put_items(
            datasetArn=shop.items_arn, items=[{"itemId": "x", "properties": '{"categoryL1": "a"}'}]
        )


def test_put_items_and_users_update_filters_without_retraining(clients: Clients, shop) -> None:
    p, events, runtime = clients.personalize, clients.events, clients.runtime
    events.put_items(
        datasetArn=shop.items_arn,
        items=[{"itemId": "item-0-0", "properties": json.dumps({"categoryL1": "clearance", "price": 1.5})}],
    )
    events.put_users(
        datasetArn=shop.users_arn, users=[{"userId": "user-1", "properties": '{"segment": "platinum"}'}]
    )
    clearance = p.create_filter(
        name="clearance",
        datasetGroupArn=shop.group_arn,
        filterExpression='INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("clearance") IF CurrentUser.SEGMENT = "platinum"',
    )
    wait_for(lambda: p.describe_filter(filterArn=clearance["filterArn"])["filter"])
    for_platinum = runtime.get_recommendations(
        campaignArn=shop.campaign_arn, userId="user-1", filterArn=clearance["filterArn"]
    )
    assert [entry["itemId"] for entry in for_platinum["itemList"]] == ["item-0-0"]
    for_silver = runtime.get_recommendations(
        campaignArn=shop.campaign_arn, userId="user-0", filterArn=clearance["filterArn"]
    )
    assert len(for_silver["itemList"]) == 25  # the IF does not hold, so the statement does not apply


def test_unsupported_operations_and_paths_answer_clearly(clients: Clients) -> None:
    unknown = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonPersonalize.NoSuchThing"}
    headers = clients.signed("POST", "/", b"{}", unknown)
    response = requests.post(f"{clients.url}/", data=b"{}", headers=headers, timeout=5)
    assert response.status_code == 400 and response.json()["__type"] == "InvalidInputException"
    assert "NoSuchThing is not supported by the local Personalize service" in response.json()["message"]
    headers = clients.signed("POST", "/no-such-route", b"{}")
    response = requests.post(f"{clients.url}/no-such-route", data=b"{}", headers=headers, timeout=5)
    assert response.status_code == 404
    assert response.json()["__type"] == "UnknownOperationException"
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    headers = clients.signed("POST", "/recommendations", b"{not json")
    broken = requests.post(f"{clients.url}/recommendations", data=b"{not json", headers=headers, timeout=5)
    assert broken.status_code == 400 and broken.json()["__type"] == "InvalidInputException"
    assert requests.get(clients.url, timeout=5).json() == {"status": "ok"}
    elsewhere = requests.get(
        f"{clients.url}/elsewhere", headers=clients.signed("GET", "/elsewhere"), timeout=5
    )
    assert elsewhere.status_code == 404
    with pytest.raises(ValueError, match="loopback"):
        PersonalizeServer("unused", host="0.0.0.0")  # noqa: S104 - the point: it is refused


def test_training_modes(clients: Clients, store: Store) -> None:
    shop = deploy(clients, store, recipe="aws-sims", name="modes")
    p = clients.personalize
    with pytest.raises(p.exceptions.InvalidInputException, match="only for User-Personalization"):
        p.create_solution_version(solutionArn=shop.solution_arn, trainingMode="UPDATE")
    with pytest.raises(p.exceptions.InvalidInputException, match="AUTOTRAIN"):
        p.create_solution_version(solutionArn=shop.solution_arn, trainingMode="AUTOTRAIN")
    fresh = p.create_solution(
        name="fresh",
        datasetGroupArn=shop.group_arn,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=fresh)["solution"])
    with pytest.raises(p.exceptions.InvalidInputException, match="needs an ACTIVE solution version"):
        p.create_solution_version(solutionArn=fresh, trainingMode="UPDATE")
