"""solutionConfig.eventsConfig (issue 20 point 3), through boto3 against the local service: refused
as the service refuses it, and honoured in training — each event type weighs by its weight, types
the list does not name and events below their type's threshold are not trained on."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.unit.personalize.conftest import (
    INTERACTIONS_SCHEMA,
    MINIMAL_INTERACTIONS_SCHEMA,
    Clients,
    Store,
    deploy,
    unvalidated,
    wait_for,
)

V2 = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
WEIGHTS = {
    "eventParametersList": [{"eventType": "purchase", "weight": 1.0}, {"eventType": "click", "weight": 0.1}]
}
TYPES_ONLY = {
    **MINIMAL_INTERACTIONS_SCHEMA,
    "fields": [*MINIMAL_INTERACTIONS_SCHEMA["fields"], {"name": "EVENT_TYPE", "type": "string"}],
}


def group_with_interactions(clients: Clients, name: str, schema: dict = INTERACTIONS_SCHEMA) -> str:
    """A dataset group whose Item interactions dataset has `schema` (nothing imported)."""
    p = clients.personalize
    group = p.create_dataset_group(name=name)["datasetGroupArn"]
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    schema_arn = p.create_schema(name=name, schema=json.dumps(schema))["schemaArn"]
    dataset = p.create_dataset(
        name=name, schemaArn=schema_arn, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    wait_for(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    return group


def refused(client, **kwargs) -> str:
    with pytest.raises(ClientError) as failure:
        client.create_solution(**kwargs)
    assert failure.value.response["Error"]["Code"] == "InvalidInputException", failure.value.response
    return failure.value.response["Error"]["Message"]


def events(*entries: dict) -> dict:
    return {"eventsConfig": {"eventParametersList": list(entries)}}


def test_create_solution_refuses_what_the_service_refuses(clients: Clients) -> None:
    p = clients.personalize
    group = group_with_interactions(clients, "rules")

    def create(solution_config: dict, recipe: str = V2, client=p) -> str:
        return refused(
            client, name="s", datasetGroupArn=group, recipeArn=recipe, solutionConfig=solution_config
        )

    # only the two v2 recipes take an events configuration
    for recipe in ("aws-user-personalization", "aws-similar-items", "aws-sims", "aws-personalized-ranking"):
        message = create({"eventsConfig": WEIGHTS}, f"arn:aws:personalize:::recipe/{recipe}")
        assert f"eventsConfig is not supported by {recipe}" in message
        assert "aws-user-personalization-v2" in message and "aws-personalized-ranking-v2" in message
    # a weight between 0.0 and 1.0 (botocore checks only the minimum, so the service checks both)
    message = create(events({"eventType": "purchase", "weight": 1.5}))
    assert "weight is 1.5; an event weight must be between 0.0 and 1.0" in message
    message = create(events({"eventType": "purchase", "weight": -0.1}), client=unvalidated(clients))
    assert "must be between 0.0 and 1.0" in message
    # at most 10 event types (the model's limit), each named once
    message = create(events(*({"eventType": f"type-{k}", "weight": 0.5} for k in range(11))))
    assert "eventParametersList must have at most 10 items" in message
    message = create(events({"eventType": "click", "weight": 0.5}, {"eventType": "click", "weight": 0.2}))
    assert "names event type 'click' more than once" in message
    assert "eventType is required" in create(events({"weight": 0.5}))
    assert "at least one event type" in create(events())
    assert "at least one must be above 0" in create(
        events({"eventType": "click", "weight": 0.0}, {"eventType": "purchase", "weight": 0})
    )
    # ten named types are the most, and accepted
    ten = events(*({"eventType": f"type-{k}", "weight": k / 10} for k in range(10)))
    accepted = p.create_solution(name="ten", datasetGroupArn=group, recipeArn=V2, solutionConfig=ten)
    described = p.describe_solution(solutionArn=accepted["solutionArn"])["solution"]
    assert described["solutionConfig"]["eventsConfig"] == ten["eventsConfig"]


def test_the_interactions_schema_must_carry_what_the_configuration_reads(clients: Clients) -> None:
    p = clients.personalize
    no_types = group_with_interactions(clients, "no-types", MINIMAL_INTERACTIONS_SCHEMA)
    message = refused(
        p, name="s", datasetGroupArn=no_types, recipeArn=V2, solutionConfig={"eventsConfig": WEIGHTS}
    )
    assert "has no EVENT_TYPE column" in message
    no_values = group_with_interactions(clients, "no-values", TYPES_ONLY)
    thresholded = events({"eventType": "watch", "eventValueThreshold": 0.5, "weight": 1.0})
    message = refused(p, name="s", datasetGroupArn=no_values, recipeArn=V2, solutionConfig=thresholded)
    assert "eventValueThreshold for watch" in message and "no EVENT_VALUE column" in message
    p.create_solution(
        name="ok", datasetGroupArn=no_values, recipeArn=V2, solutionConfig={"eventsConfig": WEIGHTS}
    )


def test_update_solution_checks_and_replaces_the_events_configuration(clients: Clients) -> None:
    p = clients.personalize
    group = group_with_interactions(clients, "updates")
    arn = p.create_solution(
        name="s", datasetGroupArn=group, recipeArn=V2, solutionConfig={"eventsConfig": WEIGHTS}
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=arn)["solution"])
    with pytest.raises(p.exceptions.InvalidInputException, match="more than once"):
        p.update_solution(
            solutionArn=arn,
            solutionUpdateConfig=events({"eventType": "a", "weight": 1.0}, {"eventType": "a", "weight": 0.5}),
        )
    changed = events({"eventType": "purchase", "weight": 0.2}, {"eventType": "click", "weight": 0.6})
    p.update_solution(solutionArn=arn, solutionUpdateConfig=changed)
    solution = p.describe_solution(solutionArn=arn)["solution"]
    assert solution["solutionConfig"]["eventsConfig"] == changed["eventsConfig"]
    assert solution["latestSolutionUpdate"]["solutionUpdateConfig"]["eventsConfig"] == changed["eventsConfig"]

    v1 = p.create_solution(
        name="v1", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-user-personalization"
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=v1)["solution"])
    with pytest.raises(p.exceptions.InvalidInputException, match="not supported by aws-user-personalization"):
        p.update_solution(solutionArn=v1, solutionUpdateConfig={"eventsConfig": WEIGHTS})


# ---------------------------------------------------------------- weights in training

FILLERS = [f"f{k}" for k in range(30)]


def weighted_store(folder: Path, views: bool, view_value: float = 0.2, seed: int = 5) -> Store:
    """120 shoppers each click through a few fillers, buy "A", then most click "X" and the others buy
    "Y"; with `views`, most also view "Z" right after "A" (EVENT_VALUE `view_value`). "probe" has
    just bought "A": what comes next for them is what the weights decide."""
    rng = random.Random(seed)
    rows, clock = [], 1_600_000_000
    for user in range(120):
        for item in rng.sample(FILLERS, 8):
            clock += 60
            rows.append((f"u{user}", item, "click", "", clock))
        clock += 60
        rows.append((f"u{user}", "A", "purchase", "", clock))
        if views and user % 10 != 0:
            clock += 30
            rows.append((f"u{user}", "Z", "view", f"{view_value}", clock))
        clock += 60
        rows.append(
            (f"u{user}", "X", "click", "", clock)
            if user % 5 < 3
            else (f"u{user}", "Y", "purchase", "", clock)
        )
    rows += [("probe", "f3", "click", "", clock + 60), ("probe", "A", "purchase", "", clock + 120)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in ("interactions", "items", "users")}
    with paths["interactions"].open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"])
        writer.writerows(rows)
    with paths["items"].open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["ITEM_ID", "CATEGORY_L1", "PRICE"])
        writer.writerows((item, "general", "10.00") for item in [*FILLERS, "A", "X", "Y", "Z"])
    with paths["users"].open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "SEGMENT"])
        writer.writerows((user, "all") for user in sorted({row[0] for row in rows}))
    return Store(paths["interactions"], paths["items"], paths["users"], {}, {})


def recommended(clients: Clients, store: Store, name: str, solution_config: dict | None = None) -> list[dict]:
    """The probe's recommendations (items and scores) from a User-Personalization-v2 campaign."""
    deployed = deploy(clients, store, "aws-user-personalization-v2", name, solution_config)
    return clients.runtime.get_recommendations(
        campaignArn=deployed.campaign_arn, userId="probe", numResults=10
    )["itemList"]


def rank(items: list[dict], item: str) -> int:
    return [entry["itemId"] for entry in items].index(item)


def test_a_weight_changes_the_ranking(clients: Clients, tmp_path: Path) -> None:
    store = weighted_store(tmp_path / "data", views=False)
    plain = recommended(clients, store, "plain")
    assert rank(plain, "X") < rank(plain, "Y"), plain  # more shoppers click X after A than buy Y
    weighted = recommended(clients, store, "weighted", {"eventsConfig": WEIGHTS})
    assert rank(weighted, "Y") < rank(weighted, "X"), weighted  # a purchase weighs ten clicks
    # only the ratio of weights matters: 0.5 and 0.05 train the same model as 1.0 and 0.1
    halved = events({"eventType": "purchase", "weight": 0.5}, {"eventType": "click", "weight": 0.05})
    assert recommended(clients, store, "halved", halved) == weighted
    # equal weights weigh nothing: the model trained without an events configuration
    equal = events({"eventType": "purchase", "weight": 0.3}, {"eventType": "click", "weight": 0.3})
    assert recommended(clients, store, "equal", equal) == plain


def test_what_the_configuration_leaves_out_has_no_effect(clients: Clients, tmp_path: Path) -> None:
    without_views = recommended(clients, weighted_store(tmp_path / "without", views=False), "without")
    store = weighted_store(tmp_path / "with", views=True, view_value=0.2)
    with_views = recommended(clients, store, "with")
    assert with_views[0]["itemId"] == "Z" and without_views != with_views  # 108 views of Z after A
    both = [{"eventType": "purchase", "weight": 1.0}, {"eventType": "click", "weight": 1.0}]
    # a weight of 0, an event type not listed, and events below their type's threshold: trained as
    # if the views had never been imported, to the score
    for name, view in (
        ("zero", [{"eventType": "view", "weight": 0.0}]),
        ("unlisted", []),
        ("below", [{"eventType": "view", "weight": 1.0, "eventValueThreshold": 0.5}]),
    ):
        assert recommended(clients, store, name, events(*both, *view)) == without_views, name
    # at or above the threshold they count again
    at = recommended(
        clients, store, "at", events(*both, {"eventType": "view", "weight": 1.0, "eventValueThreshold": 0.2})
    )
    assert at == with_views


def test_a_threshold_fails_the_training_when_it_leaves_nothing(clients: Clients, tmp_path: Path) -> None:
    p = clients.personalize
    deployed = deploy(
        clients, weighted_store(tmp_path / "data", views=True), "aws-popularity-count", "shop", campaign=False
    )
    only_views = events({"eventType": "view", "weight": 1.0, "eventValueThreshold": 0.9})
    arn = p.create_solution(
        name="nothing-left", datasetGroupArn=deployed.group_arn, recipeArn=V2, solutionConfig=only_views
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=arn)["solution"])
    version_arn = p.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "CREATE FAILED"
    assert "no interactions to train on" in version["failureReason"]
    assert "eventsConfig" in version["failureReason"]
