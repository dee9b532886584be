"""Domain dataset groups and recommenders from the boto3 side: the domain schemas' rules,
ListRecipes(domain=...), each use case trained on the synthetic store and asked through
GetRecommendations(recommenderArn=...), its automatic filtering (also of real-time events), the
service's status transitions (create, stop, start, update, delete) and its data minimums."""

from __future__ import annotations

import csv
import itertools
import json
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from allstore.data import synthetic
from allstore.personalize.recipes.use_cases import USE_CASES

from .conftest import INTERACTIONS_SCHEMA, Clients, unvalidated, wait_for

# The domains' interactions schema: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP.
DOMAIN_INTERACTIONS = {
    **INTERACTIONS_SCHEMA,
    "fields": [field for field in INTERACTIONS_SCHEMA["fields"] if field["name"] != "EVENT_VALUE"],
}
ECOMMERCE_ITEMS = {
    "type": "record",
    "name": "Items",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "PRICE", "type": "float"},
        {"name": "CATEGORY_L1", "type": "string", "categorical": True},
    ],
}
VOD_ITEMS = {
    "type": "record",
    "name": "Items",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
    ],
}


def write_store(folder: Path, kinds: tuple[str, str], items_header: list[str]) -> dict:
    """The synthetic store's events, every third one of the second kind (Purchase / Click), and its
    catalogue as an Items CSV (category as CATEGORY_L1 or GENRES)."""
    store = synthetic.generate_store(items=300, interactions=6000, seed=5)
    events, catalogue, tree = store.events, store.catalogue, synthetic.leaves()
    users = store.user_ids[events.user].tolist()
    items = catalogue.asins[events.item].tolist()
    event_types = [kinds[1] if k % 3 == 2 else kinds[0] for k in range(len(items))]
    interactions = folder / "interactions.csv"
    with interactions.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])
        writer.writerows(zip(users, items, event_types, events.timestamp.tolist(), strict=True))
    items_csv = folder / "items.csv"
    category = {
        asin: tree[leaf].path[0]
        for asin, leaf in zip(catalogue.asins.tolist(), catalogue.leaf.tolist(), strict=True)
    }
    with items_csv.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(items_header)
        for asin in catalogue.asins.tolist():
            writer.writerow(
                [asin, 9.99, category[asin]]
                if items_header[1] == "PRICE"
                else [asin, category[asin], 1_600_000_000]
            )
    return {
        "interactions": interactions,
        "items": items_csv,
        "users": users,
        "item_ids": items,
        "event_types": event_types,
        "timestamps": events.timestamp.tolist(),
        "category": category,
    }


def domain_group(p, name: str, domain: str, data: dict, items_schema: dict) -> str:
    group = p.create_dataset_group(name=name, domain=domain)
    assert group["domain"] == domain
    group_arn = group["datasetGroupArn"]
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"])
    for kind, schema, path in (
        ("Interactions", DOMAIN_INTERACTIONS, data["interactions"]),
        ("Items", items_schema, data["items"]),
    ):
        schema_arn = p.create_schema(name=f"{name}-{kind}", schema=json.dumps(schema), domain=domain)[
            "schemaArn"
        ]
        dataset_arn = p.create_dataset(
            name=f"{name}-{kind}", schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType=kind
        )["datasetArn"]
        wait_for(lambda arn=dataset_arn: p.describe_dataset(datasetArn=arn)["dataset"])
        job_arn = p.create_dataset_import_job(
            jobName=f"{name}-{kind}",
            datasetArn=dataset_arn,
            dataSource={"dataLocation": f"file://{path}"},
            roleArn="arn:aws:iam::123456789012:role/personalize",
        )["datasetImportJobArn"]
        job = wait_for(
            lambda arn=job_arn: p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        )
        assert job["status"] == "ACTIVE", job
    return group_arn


def create_recommenders(
    p, group_arn: str, use_cases: list[str], config: dict | None = None
) -> dict[str, str]:
    arns = {}
    for use_case in use_cases:
        arn = p.create_recommender(
            name=use_case.removeprefix("aws-"),
            datasetGroupArn=group_arn,
            recipeArn=f"arn:aws:personalize:::recipe/{use_case}",
            **({"recommenderConfig": config} if config else {}),
        )["recommenderArn"]
        assert p.describe_recommender(recommenderArn=arn)["recommender"]["status"] in (
            "CREATE PENDING",
            "CREATE IN_PROGRESS",
        )
        arns[use_case] = arn
    for use_case, arn in arns.items():
        recommender = wait_for(
            lambda arn=arn: p.describe_recommender(recommenderArn=arn)["recommender"], timeout=120
        )
        assert recommender["status"] == "ACTIVE", recommender
        assert recommender["recipeArn"].endswith(use_case)
        assert 0 < recommender["modelMetrics"]["coverage"] <= 1
    return arns


def ids(response: dict) -> list[str]:
    return [entry["itemId"] for entry in response["itemList"]]


def test_ecommerce_domain_dataset_group_through_to_recommendations(clients: Clients, tmp_path: Path):
    p, runtime, events = clients.personalize, clients.runtime, clients.events
    data = write_store(tmp_path, ("View", "Purchase"), ["ITEM_ID", "PRICE", "CATEGORY_L1"])

    # The domain's schema rules, checked where the service checks them.
    group_arn = domain_group(p, "shop", "ECOMMERCE", data, ECOMMERCE_ITEMS)
    loose = {
        **ECOMMERCE_ITEMS,
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "PRICE", "type": "float"},
            {"name": "CATEGORY_L1", "type": "string"},
        ],
    }
    other = p.create_dataset_group(name="shop-2", domain="ECOMMERCE")["datasetGroupArn"]
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=other)["datasetGroup"])
    for name, schema, domain, message in (
        ("loose", loose, "ECOMMERCE", "CATEGORY_L1 must be categorical"),
        ("custom", ECOMMERCE_ITEMS, None, "custom domain"),
    ):
        arn = p.create_schema(name=name, schema=json.dumps(schema), **({"domain": domain} if domain else {}))[
            "schemaArn"
        ]
        with pytest.raises(p.exceptions.InvalidInputException, match=message):
            p.create_dataset(name=name, schemaArn=arn, datasetGroupArn=other, datasetType="Items")
    no_event_type = {
        **DOMAIN_INTERACTIONS,
        "fields": [f for f in DOMAIN_INTERACTIONS["fields"] if f["name"] != "EVENT_TYPE"],
    }
    arn = p.create_schema(name="no-type", schema=json.dumps(no_event_type), domain="ECOMMERCE")["schemaArn"]
    with pytest.raises(p.exceptions.InvalidInputException, match="EVENT_TYPE"):
        p.create_dataset(name="no-type", schemaArn=arn, datasetGroupArn=other, datasetType="Interactions")

    recipes = p.list_recipes(domain="ECOMMERCE")["recipes"]
    use_cases = sorted(recipe["name"] for recipe in recipes)
    assert use_cases == [
        "aws-ecomm-customers-who-viewed-x-also-viewed",
        "aws-ecomm-frequently-bought-together",
        "aws-ecomm-popular-items-by-purchases",
        "aws-ecomm-popular-items-by-views",
        "aws-ecomm-recommended-for-you",
    ]
    assert all(recipe["domain"] == "ECOMMERCE" for recipe in recipes)
    with pytest.raises(p.exceptions.InvalidInputException, match="VIDEO_ON_DEMAND use case"):
        p.create_recommender(
            name="wrong",
            datasetGroupArn=group_arn,
            recipeArn="arn:aws:personalize:::recipe/aws-vod-top-picks",
        )

    arns = create_recommenders(p, group_arn, use_cases, {"enableMetadataWithRecommendations": True})
    assert {
        r["recommenderArn"] for r in p.list_recommenders(datasetGroupArn=group_arn)["recommenders"]
    } == set(arns.values())

    kinds = Counter(zip(data["item_ids"], data["event_types"], strict=True))
    purchased = {user: set() for user in data["users"]}
    for user, item, kind in zip(data["users"], data["item_ids"], data["event_types"], strict=True):
        if kind == "Purchase":
            purchased[user].add(item)
    user = max(purchased, key=lambda u: len(purchased[u]))

    best_sellers = ids(
        runtime.get_recommendations(recommenderArn=arns["aws-ecomm-popular-items-by-purchases"], userId=user)
    )
    assert best_sellers[0] == max(
        (item for item, kind in kinds if kind == "Purchase"), key=lambda i: kinds[(i, "Purchase")]
    )
    most_viewed = ids(
        runtime.get_recommendations(
            recommenderArn=arns["aws-ecomm-popular-items-by-views"], userId=user, numResults=5
        )
    )
    assert most_viewed[0] == max(
        (item for item, kind in kinds if kind == "View"), key=lambda i: kinds[(i, "View")]
    )

    for_you = runtime.get_recommendations(
        recommenderArn=arns["aws-ecomm-recommended-for-you"],
        userId=user,
        numResults=50,
        metadataColumns={"ITEMS": ["CATEGORY_L1"]},
    )
    assert not set(ids(for_you)) & purchased[user]  # purchases are filtered out automatically
    assert all(
        entry["metadata"]["CATEGORY_L1"] == data["category"][entry["itemId"]] for entry in for_you["itemList"]
    )
    # The caller's filter applies after the automatic one.
    top_category = data["category"][ids(for_you)[0]]
    filter_arn = p.create_filter(
        name="not-category",
        datasetGroupArn=group_arn,
        filterExpression="EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    )["filterArn"]
    wait_for(lambda: p.describe_filter(filterArn=filter_arn)["filter"])
    filtered = ids(
        runtime.get_recommendations(
            recommenderArn=arns["aws-ecomm-recommended-for-you"],
            userId=user,
            filterArn=filter_arn,
            filterValues={"CATEGORY": json.dumps(top_category)},
        )
    )
    assert filtered and not any(data["category"][item] == top_category for item in filtered)
    assert not set(filtered) & purchased[user]
    seen_categories = {
        data["category"][i] for u, i in zip(data["users"], data["item_ids"], strict=True) if u == user
    }
    assert np.mean([data["category"][item] in seen_categories for item in ids(for_you)[:10]]) >= 0.7

    item = data["item_ids"][0]
    also_viewed = ids(
        runtime.get_recommendations(
            recommenderArn=arns["aws-ecomm-customers-who-viewed-x-also-viewed"], itemId=item, userId=user
        )
    )
    assert item not in also_viewed and not set(also_viewed) & purchased[user]
    with pytest.raises(runtime.exceptions.InvalidInputException, match="itemId is required"):
        runtime.get_recommendations(
            recommenderArn=arns["aws-ecomm-customers-who-viewed-x-also-viewed"], userId=user
        )

    # Frequently bought together: the items most often purchased within a day of the item.
    purchases = sorted(
        (u, t, i)
        for u, i, k, t in zip(
            data["users"], data["item_ids"], data["event_types"], data["timestamps"], strict=True
        )
        if k == "Purchase"
    )
    together: Counter = Counter()
    for (u1, t1, i1), (u2, t2, i2) in itertools.pairwise(purchases):
        if u1 == u2 and t2 - t1 <= 86400 and i1 != i2:
            together[(i1, i2)] += 1
            together[(i2, i1)] += 1
    (anchor, partner), _ = together.most_common(1)[0]
    bought_with = ids(
        runtime.get_recommendations(
            recommenderArn=arns["aws-ecomm-frequently-bought-together"], itemId=anchor, numResults=10
        )
    )
    assert partner in bought_with and anchor not in bought_with

    # Real time: a purchase sent with PutEvents is filtered out at once and moves the recommendations.
    tracker = p.create_event_tracker(name="shop-tracker", datasetGroupArn=group_arn)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    before = ids(
        runtime.get_recommendations(recommenderArn=arns["aws-ecomm-recommended-for-you"], userId=user)
    )
    bought = before[0]
    events.put_events(
        trackingId=tracker["trackingId"],
        userId=user,
        sessionId="s1",
        eventList=[{"eventType": "Purchase", "itemId": bought, "sentAt": time.time()}],
    )
    after = ids(
        runtime.get_recommendations(recommenderArn=arns["aws-ecomm-recommended-for-you"], userId=user)
    )
    assert bought not in after and after != before

    # Stop, start, update and delete, with the service's statuses.
    arn = arns["aws-ecomm-recommended-for-you"]
    p.stop_recommender(recommenderArn=arn)
    assert (
        wait_for(lambda: p.describe_recommender(recommenderArn=arn)["recommender"], until=("INACTIVE",))[
            "status"
        ]
        == "INACTIVE"
    )
    with pytest.raises(runtime.exceptions.InvalidInputException, match="INACTIVE"):
        runtime.get_recommendations(recommenderArn=arn, userId=user)
    with pytest.raises(p.exceptions.InvalidInputException, match="must be ACTIVE"):
        p.stop_recommender(recommenderArn=arn)
    p.start_recommender(recommenderArn=arn)
    wait_for(lambda: p.describe_recommender(recommenderArn=arn)["recommender"], until=("ACTIVE",))
    p.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 3})
    recommender = wait_for(
        lambda: {**p.describe_recommender(recommenderArn=arn)["recommender"]["latestRecommenderUpdate"]},
        until=("ACTIVE",),
    )
    assert recommender["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3
    assert (
        p.describe_recommender(recommenderArn=arn)["recommender"]["recommenderConfig"][
            "minRecommendationRequestsPerSecond"
        ]
        == 3
    )
    # Exploration, once configured, brings items with few interactions into the answer.
    relevant = ids(runtime.get_recommendations(recommenderArn=arn, userId=user, numResults=10))
    p.update_recommender(
        recommenderArn=arn, recommenderConfig={"itemExplorationConfig": {"explorationWeight": "1"}}
    )
    wait_for(
        lambda: p.describe_recommender(recommenderArn=arn)["recommender"]["latestRecommenderUpdate"],
        until=("ACTIVE",),
    )
    explored = ids(runtime.get_recommendations(recommenderArn=arn, userId=user, numResults=10))
    interactions = Counter(data["item_ids"])
    assert explored != relevant
    assert np.mean([interactions[item] for item in explored]) < np.mean(
        [interactions[item] for item in relevant]
    )
    with pytest.raises(p.exceptions.ResourceInUseException, match="still has"):
        p.delete_dataset_group(datasetGroupArn=group_arn)
    p.delete_recommender(recommenderArn=arn)
    deadline = time.monotonic() + 10
    while any(r["recommenderArn"] == arn for r in p.list_recommenders()["recommenders"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_recommender(recommenderArn=arn)


def test_video_on_demand_use_cases_and_the_data_minimums(clients: Clients, tmp_path: Path):
    p, runtime = clients.personalize, clients.runtime
    data = write_store(tmp_path, ("Watch", "Click"), ["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"])
    group_arn = domain_group(p, "tv", "VIDEO_ON_DEMAND", data, VOD_ITEMS)
    use_cases = sorted(recipe["name"] for recipe in p.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"])
    assert use_cases == [
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-top-picks",
        "aws-vod-trending-now",
    ]
    arns = create_recommenders(p, group_arn, use_cases)
    watched: dict[str, set[str]] = {}
    for user, item, kind in zip(data["users"], data["item_ids"], data["event_types"], strict=True):
        if kind == "Watch":
            watched.setdefault(user, set()).add(item)
    user = max(watched, key=lambda u: len(watched[u]))
    item = sorted(watched[user])[0]
    for use_case, arn in arns.items():
        asked = {
            "userId": user,
            **(
                {"itemId": item}
                if use_case in ("aws-vod-because-you-watched-x", "aws-vod-more-like-x")
                else {}
            ),
        }
        got = ids(runtime.get_recommendations(recommenderArn=arn, numResults=20, **asked))
        assert len(got) == 20, use_case
        if use_case in ("aws-vod-top-picks", "aws-vod-because-you-watched-x", "aws-vod-more-like-x"):
            assert not set(got) & watched[user], use_case  # watched videos are filtered out
    # More like X relates videos by genre as well: most of its answers share the video's genre.
    like = ids(
        runtime.get_recommendations(
            recommenderArn=arns["aws-vod-more-like-x"], userId=user, itemId=item, numResults=10
        )
    )
    assert np.mean([data["category"][other] == data["category"][item] for other in like]) >= 0.5
    counts = Counter(i for i, k in zip(data["item_ids"], data["event_types"], strict=True) if k == "Watch")
    popular = ids(runtime.get_recommendations(recommenderArn=arns["aws-vod-most-popular"], userId=user))
    assert popular[0] == counts.most_common(1)[0][0]

    # Below the minimums (1000 events of the required type) the recommender fails, saying why.
    small = tmp_path / "small"
    small.mkdir()
    rows = list(csv.reader(data["interactions"].open()))
    with (small / "interactions.csv").open("w", newline="") as file:
        csv.writer(file).writerows(rows[0:1] + [row for row in rows[1:] if row[2] == "Click"][:1500])
    few = domain_group(
        p, "few", "VIDEO_ON_DEMAND", {**data, "interactions": small / "interactions.csv"}, VOD_ITEMS
    )
    arn = p.create_recommender(
        name="few-popular", datasetGroupArn=few, recipeArn="arn:aws:personalize:::recipe/aws-vod-most-popular"
    )["recommenderArn"]
    failed = wait_for(lambda: p.describe_recommender(recommenderArn=arn)["recommender"])
    assert (
        failed["status"] == "CREATE FAILED"
        and "fewer than 1000 interactions after filtering by event type: Watch" in failed["failureReason"]
    )


def test_a_restart_fails_a_cut_off_training_and_finishes_stops_and_starts(tmp_path: Path):
    from allstore.personalize.state.kinds import Recommender, RecommenderUpdate
    from allstore.personalize.state.service_state import INTERRUPTED, ServiceState

    state = ServiceState(tmp_path / "state")
    arn = "arn:aws:personalize:us-east-1:123456789012:recommender/"
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g"
    recipe = "arn:aws:personalize:::recipe/aws-vod-most-popular"
    update = RecommenderUpdate(
        recommender_config={}, status="CREATE IN_PROGRESS", creation_date_time=1.0, last_updated_date_time=1.0
    )
    for name, status in (
        ("training", "CREATE IN_PROGRESS"),
        ("stopping", "STOP IN_PROGRESS"),
        ("starting", "START PENDING"),
    ):
        state.resources.new(
            Recommender(arn=arn + name, name=name, dataset_group_arn=group, recipe_arn=recipe)
        )
        state.resources.update(
            Recommender,
            arn + name,
            status=status,
            latest_recommender_update=update if name == "starting" else None,
        )
    state.close()
    again = ServiceState(tmp_path / "state")
    try:
        again.recover()
        training = again.resources.get(Recommender, arn + "training")
        assert (training.status, training.failure_reason) == ("CREATE FAILED", INTERRUPTED)
        assert again.resources.get(Recommender, arn + "stopping").status == "INACTIVE"
        starting = again.resources.get(Recommender, arn + "starting")
        assert starting.status == "ACTIVE"
        assert starting.latest_recommender_update.status == "CREATE FAILED"
    finally:
        again.close()


def test_training_data_config_leaves_out_the_excluded_columns_and_keeps_the_required_ones():
    from allstore.personalize.api.recommenders import _checked_config, _training_data
    from allstore.personalize.errors import ServiceError
    from allstore.personalize.recipes import TrainingData
    from allstore.personalize.recipes.use_cases import USE_CASES

    users = [f"u{k % 40}" for k in range(1200)]
    items = [f"i{k % 30}" for k in range(1200)]
    metadata = {f"i{k}": {"GENRES": f"g{k % 3}", "CONTENT_OWNER": "studio"} for k in range(30)}
    data = TrainingData.from_columns(users, items, range(1200), ["Watch"] * 1200, item_metadata=metadata)
    kept = _training_data(data, USE_CASES["aws-vod-more-like-x"], {"ITEMS": ["GENRES"]})
    assert all(set(row) == {"CONTENT_OWNER"} for row in kept.item_metadata.values())
    only = _training_data(data, USE_CASES["aws-vod-more-like-x"], {}, {"ITEMS": ["GENRES"]})
    assert all(set(row) == {"GENRES"} for row in only.item_metadata.values())
    with pytest.raises(ServiceError, match="includedDatasetColumns: ACTIONS"):
        _checked_config(
            {"trainingDataConfig": {"includedDatasetColumns": {"ACTIONS": ["X"]}}},
            USE_CASES["aws-vod-top-picks"],
        )
    top_picks, popular = USE_CASES["aws-vod-top-picks"], USE_CASES["aws-vod-most-popular"]
    with pytest.raises(ServiceError, match="cannot leave out EVENT_TYPE"):
        _checked_config(
            {"trainingDataConfig": {"excludedDatasetColumns": {"INTERACTIONS": ["EVENT_TYPE"]}}}, top_picks
        )
    with pytest.raises(ServiceError, match="explorationWeight"):
        _checked_config({"itemExplorationConfig": {"explorationWeight": "2"}}, top_picks)
    with pytest.raises(ServiceError, match="personalized use cases"):
        _checked_config({"itemExplorationConfig": {"explorationWeight": "0.5"}}, popular)


def test_update_recommender_retrains_when_the_training_columns_change(
    clients: Clients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A new trainingDataConfig retrains the use case's model in full before the update is ACTIVE
    (the recommender serves with its old configuration meanwhile); other changes, or the same
    columns again, train nothing."""
    p, runtime = clients.personalize, clients.runtime
    data = write_store(tmp_path, ("View", "Purchase"), ["ITEM_ID", "PRICE", "CATEGORY_L1"])
    group_arn = domain_group(p, "retrain", "ECOMMERCE", data, ECOMMERCE_ITEMS)
    use_case = "aws-ecomm-popular-items-by-views"
    arn = create_recommenders(p, group_arn, [use_case])[use_case]
    # minRecommendationRequestsPerSecond: the documented default shown, the model's minimum of 1
    config = p.describe_recommender(recommenderArn=arn)["recommender"]["recommenderConfig"]
    assert config["minRecommendationRequestsPerSecond"] == 1
    with pytest.raises(p.exceptions.InvalidInputException, match="minRecommendationRequestsPerSecond"):
        unvalidated(clients).update_recommender(
            recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 0}
        )
    recipe = USE_CASES[use_case].recipe
    fit, fits, release = recipe.fit, [], threading.Event()

    def held_fit(*args, **kwargs):
        fits.append(args[0])
        release.wait(20)
        return fit(*args, **kwargs)

    monkeypatch.setattr(recipe, "fit", held_fit)

    def latest_update() -> dict:
        return p.describe_recommender(recommenderArn=arn)["recommender"]["latestRecommenderUpdate"]

    p.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 2})
    wait_for(latest_update, until=("ACTIVE",))
    assert fits == []

    excluded = {"trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["CATEGORY_L1"]}}}
    p.update_recommender(recommenderArn=arn, recommenderConfig=excluded)
    wait_for(latest_update, until=("CREATE IN_PROGRESS",))
    deadline = time.monotonic() + 10
    while not fits:
        assert time.monotonic() < deadline, "UpdateRecommender did not retrain"
        time.sleep(0.02)
    assert all("CATEGORY_L1" not in row for row in fits[0].item_metadata.values())
    during = p.describe_recommender(recommenderArn=arn)["recommender"]
    assert during["status"] == "ACTIVE" and "trainingDataConfig" not in during["recommenderConfig"]
    assert runtime.get_recommendations(recommenderArn=arn, userId=data["users"][0])["itemList"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.update_recommender(recommenderArn=arn, recommenderConfig=excluded)
    release.set()
    assert wait_for(latest_update, until=("ACTIVE", "CREATE FAILED"), timeout=60)["status"] == "ACTIVE"
    after = p.describe_recommender(recommenderArn=arn)["recommender"]
    assert after["recommenderConfig"]["trainingDataConfig"] == excluded["trainingDataConfig"]
    assert after["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 2
    trained = len(fits)  # the model, and the metrics' own fit

    p.update_recommender(recommenderArn=arn, recommenderConfig=excluded)  # the same columns
    wait_for(latest_update, until=("ACTIVE",))
    assert len(fits) == trained
