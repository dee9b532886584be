"""The workshop's calls in order, through boto3 against the running service, on generated data."""

from __future__ import annotations

import json
import time

import pytest

from tests.unit.personalize.conftest import INTERACTIONS_SCHEMA, Clients, Store, deploy, wait_for

METRIC_KEYS = {
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
}


def recommended(clients: Clients, campaign_arn: str, user_id: str, **kwargs) -> list[dict]:
    return clients.runtime.get_recommendations(campaignArn=campaign_arn, userId=user_id, **kwargs)["itemList"]


def put_clicks(
    clients: Clients, tracking_id: str, session_id: str, items: list[str], user_id: str | None = None
) -> None:
    now = time.time()
    events = [
        {"eventType": "click", "itemId": item, "sentAt": now + index, "properties": '{"discount": "no"}'}
        for index, item in enumerate(items)
    ]
    kwargs = {"userId": user_id} if user_id else {}
    clients.events.put_events(trackingId=tracking_id, sessionId=session_id, eventList=events, **kwargs)


def test_workshop_sequence(clients: Clients, store: Store) -> None:
    p = clients.personalize
    shop = deploy(clients, store)

    # metrics: the documented keys, as fractions
    metrics = p.get_solution_metrics(solutionVersionArn=shop.version_arn)["metrics"]
    assert set(metrics) == METRIC_KEYS
    assert all(0.0 <= value <= 1.0 for value in metrics.values())
    assert metrics["precision_at_5"] > 0  # users have a favourite category: the model finds some of it

    # recommend: default 25 results, scores are shares of one distribution, the favourite category leads
    items = recommended(clients, shop.campaign_arn, "user-1")
    assert len(items) == 25
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0 + 1e-6
    top = [item["itemId"] for item in items[:5]]
    assert sum(store.item_category[item] == store.user_category["user-1"] for item in top) >= 4
    assert len(recommended(clients, shop.campaign_arn, "user-1", numResults=500)) == len(store.item_category)

    # unknown users get popular items (the same list for any stranger)
    stranger = [item["itemId"] for item in recommended(clients, shop.campaign_arn, "nobody-1", numResults=10)]
    assert stranger == [
        item["itemId"] for item in recommended(clients, shop.campaign_arn, "nobody-2", numResults=10)
    ]

    # event tracker → put events → changed recommendations, within a second, without retraining
    tracker = p.create_event_tracker(name="shop-tracker", datasetGroupArn=shop.group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    cycling = [item for item, category in store.item_category.items() if category == "cycling"][:6]
    started = time.monotonic()
    put_clicks(clients, tracker["trackingId"], "session-a", cycling, user_id="user-1")
    after = [item["itemId"] for item in recommended(clients, shop.campaign_arn, "user-1", numResults=5)]
    assert time.monotonic() - started < 1.0
    assert after != top
    assert sum(store.item_category[item] == "cycling" for item in after) >= 3
    # an anonymous session is personalised by its session id
    fishing = [item for item, category in store.item_category.items() if category == "fishing"][:4]
    put_clicks(clients, tracker["trackingId"], "anon-session", fishing)
    anonymous = [
        item["itemId"] for item in recommended(clients, shop.campaign_arn, "anon-session", numResults=5)
    ]
    assert sum(store.item_category[item] == "fishing" for item in anonymous) >= 3

    # filters: interactions, item metadata with a parameter, a | chain, numbers
    purchased = p.create_filter(
        name="no-purchased",
        datasetGroupArn=shop.group_arn,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "purchase")',
    )
    by_category = p.create_filter(
        name="by-category",
        datasetGroupArn=shop.group_arn,
        filterExpression="INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    )
    chained = p.create_filter(
        name="cheap-unseen",
        datasetGroupArn=shop.group_arn,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*") | INCLUDE ItemID WHERE Items.PRICE < 10 OR Items.CATEGORY_L1 = "fishing"',
    )
    for created in (purchased, by_category, chained):
        assert (
            wait_for(lambda arn=created["filterArn"]: p.describe_filter(filterArn=arn)["filter"])["status"]
            == "ACTIVE"
        )
    seen = set(cycling) | set(_training_items(store, "user-1"))
    unseen = recommended(
        clients, shop.campaign_arn, "user-1", numResults=500, filterArn=purchased["filterArn"]
    )
    assert unseen and not {item["itemId"] for item in unseen} & seen
    only_fishing = recommended(
        clients,
        shop.campaign_arn,
        "user-1",
        numResults=50,
        filterArn=by_category["filterArn"],
        filterValues={"CATEGORY": '"fishing"'},
    )
    assert len(only_fishing) == 12 and {store.item_category[item["itemId"]] for item in only_fishing} == {
        "fishing"
    }
    two = recommended(
        clients,
        shop.campaign_arn,
        "user-1",
        numResults=50,
        filterArn=by_category["filterArn"],
        filterValues={"CATEGORY": '"fishing","cycling"'},
    )
    assert {store.item_category[item["itemId"]] for item in two} == {"fishing", "cycling"}
    cheap = recommended(clients, shop.campaign_arn, "user-1", numResults=500, filterArn=chained["filterArn"])
    assert cheap and all(item["itemId"] not in seen for item in cheap)

    # recorded events are used by the next training: an item only seen in events joins the catalogue
    put_clicks(clients, tracker["trackingId"], "session-b", ["brand-new-item"] * 3, user_id="user-2")
    update_arn = p.create_solution_version(solutionArn=shop.solution_arn, trainingMode="UPDATE")[
        "solutionVersionArn"
    ]
    update = wait_for(lambda: p.describe_solution_version(solutionVersionArn=update_arn)["solutionVersion"])
    assert update["status"] == "ACTIVE" and update["trainingMode"] == "UPDATE"
    assert "brand-new-item" not in {
        item["itemId"] for item in recommended(clients, shop.campaign_arn, "user-2", numResults=500)
    }

    # update campaign → the new version serves
    p.update_campaign(campaignArn=shop.campaign_arn, solutionVersionArn=update_arn)
    campaign = wait_for(
        lambda: p.describe_campaign(campaignArn=shop.campaign_arn)["campaign"]["latestCampaignUpdate"]
    )
    assert campaign["status"] == "ACTIVE"
    assert p.describe_campaign(campaignArn=shop.campaign_arn)["campaign"]["solutionVersionArn"] == update_arn
    assert "brand-new-item" in {
        item["itemId"] for item in recommended(clients, shop.campaign_arn, "user-2", numResults=500)
    }

    # deletes, in dependency order; the service refuses to delete what is still in use
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_dataset_group(datasetGroupArn=shop.group_arn)
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_solution(solutionArn=shop.solution_arn)
    p.delete_campaign(campaignArn=shop.campaign_arn)
    _wait_gone(lambda: p.describe_campaign(campaignArn=shop.campaign_arn), p)
    with pytest.raises(clients.runtime.exceptions.ResourceNotFoundException):
        recommended(clients, shop.campaign_arn, "user-1")
    p.delete_solution(solutionArn=shop.solution_arn)
    _wait_gone(lambda: p.describe_solution(solutionArn=shop.solution_arn), p)
    p.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
    _wait_gone(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]), p)
    schema_arns = [
        dataset["schemaArn"]
        for dataset in (
            p.describe_dataset(datasetArn=arn)["dataset"]
            for arn in (shop.interactions_arn, shop.items_arn, shop.users_arn)
        )
    ]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_schema(schemaArn=schema_arns[0])
    for dataset_arn in (shop.interactions_arn, shop.items_arn, shop.users_arn):
        p.delete_dataset(datasetArn=dataset_arn)
        _wait_gone(lambda arn=dataset_arn: p.describe_dataset(datasetArn=arn), p)
    for schema_arn in schema_arns:
        p.delete_schema(schemaArn=schema_arn)
    p.delete_dataset_group(datasetGroupArn=shop.group_arn)
    _wait_gone(lambda: p.describe_dataset_group(datasetGroupArn=shop.group_arn), p)
    assert p.list_dataset_groups()["datasetGroups"] == []
    assert p.list_filters()["Filters"] == []
    assert p.list_schemas()["schemas"] == []


def _training_items(store: Store, user_id: str) -> list[str]:
    lines = store.interactions_csv.read_text().splitlines()[1:]
    return [line.split(",")[1] for line in lines if line.split(",")[0] == user_id]


def _wait_gone(describe, personalize, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            describe()
        except personalize.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.02)
    raise AssertionError("the resource was not deleted")


def test_sims_returns_similar_items_without_scores(clients: Clients, store: Store) -> None:
    shop = deploy(clients, store, recipe="aws-sims", name="sims")
    item = "item-2-0"
    similar = clients.runtime.get_recommendations(campaignArn=shop.campaign_arn, itemId=item, numResults=10)[
        "itemList"
    ]
    assert len(similar) == 10 and all("score" not in entry for entry in similar)
    assert item not in {entry["itemId"] for entry in similar}
    assert sum(store.item_category[entry["itemId"]] == "cycling" for entry in similar[:5]) >= 3
    # an unknown item gets popular items
    unknown = clients.runtime.get_recommendations(campaignArn=shop.campaign_arn, itemId="no-such-item")[
        "itemList"
    ]
    assert len(unknown) == 25
    # a filter on the current item's category
    same_category = clients.personalize.create_filter(
        name="same-category",
        datasetGroupArn=shop.group_arn,
        filterExpression="INCLUDE ItemID WHERE Items.CATEGORY_L1 IN (CurrentItem.CATEGORY_L1)",
    )["filterArn"]
    wait_for(lambda: clients.personalize.describe_filter(filterArn=same_category)["filter"])
    filtered = clients.runtime.get_recommendations(
        campaignArn=shop.campaign_arn, itemId="item-3-1", numResults=50, filterArn=same_category
    )["itemList"]
    assert {store.item_category[entry["itemId"]] for entry in filtered} == {"fishing"} and len(filtered) == 11


def test_personalized_ranking_follows_events_and_appends_unknown_items(
    clients: Clients, store: Store
) -> None:
    shop = deploy(clients, store, recipe="aws-personalized-ranking", name="ranking")
    candidates = ["item-0-3", "item-2-3", "item-3-3", "not-in-the-model", "item-1-3"]
    ranked = clients.runtime.get_personalized_ranking(
        campaignArn=shop.campaign_arn, userId="user-2", inputList=candidates
    )
    ranking = ranked["personalizedRanking"]
    assert [entry["itemId"] for entry in ranking][-1] == "not-in-the-model"
    assert ranking[0]["itemId"] == "item-2-3"  # user-2 likes cycling
    assert sum(entry.get("score", 0) for entry in ranking) == pytest.approx(1.0, abs=1e-5)
    tracker = clients.personalize.create_event_tracker(name="ranking-tracker", datasetGroupArn=shop.group_arn)
    wait_for(
        lambda: clients.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
            "eventTracker"
        ]
    )
    put_clicks(
        clients, tracker["trackingId"], "s1", [f"item-3-{index}" for index in range(8)], user_id="user-2"
    )
    reranked = clients.runtime.get_personalized_ranking(
        campaignArn=shop.campaign_arn, userId="user-2", inputList=candidates
    )
    assert reranked["personalizedRanking"][0]["itemId"] == "item-3-3"


def test_popularity_count_returns_popular_items_without_scores(clients: Clients, store: Store) -> None:
    shop = deploy(clients, store, recipe="aws-popularity-count", name="popular")
    items = clients.runtime.get_recommendations(campaignArn=shop.campaign_arn, userId="user-5", numResults=4)[
        "itemList"
    ]
    assert all("score" not in entry for entry in items)
    assert {entry["itemId"] for entry in items} <= {f"item-{c}-{i}" for c in range(4) for i in range(3)}


def test_solution_config_hpo_and_event_value_threshold(clients: Clients, store: Store) -> None:
    config = {"eventValueThreshold": "0.02", "algorithmHyperParameters": {}}  # keeps 1000+ rows
    shop = deploy(clients, store, name="tuned", solution_config=config)
    solution = clients.personalize.describe_solution(solutionArn=shop.solution_arn)["solution"]
    assert solution["solutionConfig"]["eventValueThreshold"] == "0.02"
    p = clients.personalize
    hpo_arn = p.create_solution(
        name="tuned-hpo",
        datasetGroupArn=shop.group_arn,
        performHPO=True,
        recipeArn="arn:aws:personalize:::recipe/aws-sims",
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=hpo_arn)["solution"])
    version_arn = p.create_solution_version(solutionArn=hpo_arn)["solutionVersionArn"]
    version = wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"], timeout=120
    )
    assert version["status"] == "ACTIVE", version
    assert version["tunedHPOParams"]["algorithmHyperParameters"]


def test_auto_ml_picks_a_recipe_from_the_list(clients: Clients, store: Store) -> None:
    shop = deploy(clients, store, name="automl")
    p = clients.personalize
    recipes = [
        "arn:aws:personalize:::recipe/aws-user-personalization",
        "arn:aws:personalize:::recipe/aws-popularity-count",
    ]
    solution_arn = p.create_solution(
        name="automl-solution-2",
        datasetGroupArn=shop.group_arn,
        performAutoML=True,
        solutionConfig={"autoMLConfig": {"metricName": "precision_at_25", "recipeList": recipes}},
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=solution_arn)["solution"])
    version_arn = p.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "ACTIVE", version
    assert (
        p.describe_solution(solutionArn=solution_arn)["solution"]["autoMLResult"]["bestRecipeArn"] in recipes
    )


def test_steps_that_need_no_wait(clients: Clients, store: Store) -> None:
    """Creating a dataset or a solution is instant, so the next call may follow at once (as the local
    bootstrap and some notebooks do); training must finish before a campaign, as in the service."""
    p = clients.personalize
    schema_arn = p.create_schema(name="eager", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
    group_arn = p.create_dataset_group(name="eager")["datasetGroupArn"]
    dataset_arn = p.create_dataset(
        name="eager", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType="INTERACTIONS"
    )["datasetArn"]
    job_arn = p.create_dataset_import_job(
        jobName="eager",
        datasetArn=dataset_arn,
        dataSource={"dataLocation": f"file://{store.interactions_csv}"},
    )["datasetImportJobArn"]
    assert (
        wait_for(lambda: p.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"])[
            "status"
        ]
        == "ACTIVE"
    )
    solution_arn = p.create_solution(
        name="eager",
        datasetGroupArn=group_arn,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
    )["solutionArn"]
    version_arn = p.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    version = wait_for(lambda: p.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"])
    assert version["status"] == "ACTIVE" and version["recipeArn"].endswith("/aws-user-personalization-v2")
    assert (
        p.describe_solution(solutionArn=solution_arn)["solution"]["latestSolutionVersion"]["status"]
        == "ACTIVE"
    )


def test_an_event_id_is_recorded_once(clients: Clients, store: Store, state_dir) -> None:
    """A retried batch (same eventIds) neither changes recommendations again nor trains twice."""
    shop = deploy(clients, store, name="dedup")
    p = clients.personalize
    tracker = p.create_event_tracker(name="dedup", datasetGroupArn=shop.group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    batch = [
        {"eventId": f"seq-{index}", "eventType": "click", "itemId": f"item-3-{index}", "sentAt": time.time()}
        for index in range(4)
    ]
    for _ in range(3):
        clients.events.put_events(
            trackingId=tracker["trackingId"], sessionId="s", userId="user-0", eventList=batch
        )
    log = next((state_dir / "events").glob("*.jsonl")).read_text().splitlines()
    assert [json.loads(line)["eventId"] for line in log] == [f"seq-{index}" for index in range(4)]


def test_perform_auto_training_defaults_to_true_and_can_be_turned_off(clients: Clients, store: Store) -> None:
    """As on AWS: a solution trains itself every 7 days unless performAutoTraining is false."""
    shop = deploy(clients, store, name="auto")
    p = clients.personalize
    assert p.describe_solution(solutionArn=shop.solution_arn)["solution"]["performAutoTraining"] is True
    manual_arn = p.create_solution(
        name="auto-off",
        datasetGroupArn=shop.group_arn,
        recipeArn="arn:aws:personalize:::recipe/aws-sims",
        performAutoTraining=False,
    )["solutionArn"]
    assert p.describe_solution(solutionArn=manual_arn)["solution"]["performAutoTraining"] is False
