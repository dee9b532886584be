"""The workshop notebooks, executed in order against a local store, and the store they leave behind.

Each notebook prints marker lines (METRICS, RECOMMENDED, ...) with its key results; the tests read
those and check the side effects through the store: its wiring parameters, Personalize resources
and the HTTP API.
"""

from __future__ import annotations

import json
import re

import pytest
from nbclient.exceptions import CellExecutionError

from allstore.local.personalize_bootstrap import INTERACTIONS_SCHEMA
from allstore.workshop.wiring import CLICK_TRACKING, KEYS, RECOMMENDATIONS, SEARCH_RANKING, SIMILAR_ITEMS
from tests.notebooks.conftest import WorkshopStore
from tests.unit.personalize.test_workshop import METRIC_KEYS

SAMPLE = 8_000  # interactions the notebooks train on: enough signal, seconds per training


def marker(printed: str, name: str) -> str:
    """The rest of the first printed line starting with `name`."""
    found = re.search(rf"^{name} (.*)$", printed, re.MULTILINE)
    assert found, f"the notebook printed no {name} line:\n{printed[-3000:]}"
    return found.group(1)


def personalize_names(store: WorkshopStore) -> dict[str, list[str]]:
    personalize = store.client("personalize")
    return {
        "datasetGroups": [group["name"] for group in personalize.list_dataset_groups()["datasetGroups"]],
        "campaigns": [campaign["name"] for campaign in personalize.list_campaigns()["campaigns"]],
        "solutions": [solution["name"] for solution in personalize.list_solutions()["solutions"]],
        "schemas": [schema["name"] for schema in personalize.list_schemas()["schemas"]],
    }


def campaign_arn(store: WorkshopStore, name: str) -> str:
    campaigns = store.client("personalize").list_campaigns()["campaigns"]
    return next(campaign["campaignArn"] for campaign in campaigns if campaign["name"] == name)


def workshop_solutions(store: WorkshopStore) -> dict[str, dict]:
    """The workshop's solutions by name, as DescribeSolution answers."""
    personalize = store.client("personalize")
    return {
        summary["name"]: personalize.describe_solution(solutionArn=summary["solutionArn"])["solution"]
        for summary in personalize.list_solutions()["solutions"]
        if summary["name"].startswith(f"{store.stack}-workshop-")
    }


def test_our_first_campaign(workshop_store: WorkshopStore, run_notebook) -> None:
    printed = run_notebook("1. Our First Campaign.ipynb", SAMPLE_INTERACTIONS=SAMPLE)

    assert set(json.loads(marker(printed, "METRICS"))) == METRIC_KEYS
    assert "RECOMMENDED 10 items for a new visitor" in printed
    prefix = f"{workshop_store.stack}-workshop"
    campaign = campaign_arn(workshop_store, f"{prefix}-user-personalization")
    assert workshop_store.wired(RECOMMENDATIONS) == {"campaignArn": campaign, "filterArn": ""}
    # every model of the workshop started at once, on the current recipes, automatic training off
    solutions = workshop_solutions(workshop_store)
    assert {name: solution["recipeArn"].rsplit("/", 1)[1] for name, solution in solutions.items()} == {
        f"{prefix}-user-personalization": "aws-user-personalization-v2",
        f"{prefix}-sims": "aws-sims",
        f"{prefix}-personalized-ranking": "aws-personalized-ranking-v2",
    }
    assert not any(solution["performAutoTraining"] for solution in solutions.values())

    # the store's demo users (its log-in list) are all in the training data, so each is personalised
    demo_users = [user["Id"] for user in workshop_store.get("/Prod/session").json()["UserList"]]
    s3 = workshop_store.client("s3")
    bucket = workshop_store.environment["STAGING_BUCKET"]
    trained = s3.get_object(Bucket=bucket, Key="workshop/interactions.csv")["Body"].read().decode()
    trained_users = {line.split(",", 1)[0] for line in trained.splitlines()[1:]}
    assert demo_users and set(demo_users) <= trained_users
    kept, total, user_id = re.fullmatch(
        r"(\d+) of (\d+) - we follow (\S+)", marker(printed, "DEMO USERS kept:")
    ).groups()
    assert int(kept) == int(total) == len(demo_users) and user_id in demo_users
    assert re.search(
        rf"^RECOMMENDED 10 items for {user_id}$", printed, re.MULTILINE
    )  # the notebook follows them
    served = workshop_store.get_when_wired(f"/Prod/recommendations/{user_id}")
    assert served.status_code == 200
    body = served.json()
    assert "warning" not in body, body.get("warning")
    expected = workshop_store.client("personalize-runtime").get_recommendations(
        campaignArn=campaign, userId=user_id, numResults=50
    )
    expected_ids = [item["itemId"] for item in expected["itemList"]]
    served_ids = [item["asin"] for item in body["results"]]
    assert served_ids and set(served_ids) <= set(expected_ids)

    # run again (a participant re-running it, or a fresh kernel): everything is found, nothing made twice
    versions = {
        name: solution["latestSolutionVersion"]["solutionVersionArn"] for name, solution in solutions.items()
    }
    again = run_notebook("1. Our First Campaign.ipynb", SAMPLE_INTERACTIONS=SAMPLE)
    assert marker(again, "METRICS") == marker(printed, "METRICS")
    assert campaign_arn(workshop_store, f"{prefix}-user-personalization") == campaign
    assert {
        name: solution["latestSolutionVersion"]["solutionVersionArn"]
        for name, solution in workshop_solutions(workshop_store).items()
    } == versions


def test_enabling_real_time_feedback(workshop_store: WorkshopStore, run_notebook) -> None:
    printed = run_notebook("2. Enabling Real-Time Feedback.ipynb")

    changed = re.search(r"^RECOMMENDATIONS CHANGED: (\d+) of (\d+) are new$", printed, re.MULTILINE)
    assert changed, printed[-3000:]
    assert int(changed.group(1)) > 0
    trackers = workshop_store.client("personalize").list_event_trackers()["eventTrackers"]
    tracker = next(t for t in trackers if t["name"] == f"{workshop_store.stack}-workshop-clicks")
    tracking_id = workshop_store.client("personalize").describe_event_tracker(
        eventTrackerArn=tracker["eventTrackerArn"]
    )["eventTracker"]["trackingId"]
    assert workshop_store.wired(CLICK_TRACKING) == {"trackingId": tracking_id}


def test_expanding_to_other_campaigns(workshop_store: WorkshopStore, run_notebook) -> None:
    printed = run_notebook("3. Expanding to Other Campaigns.ipynb")

    metrics = json.loads(marker(printed, "METRICS"))
    assert set(metrics) == {"sims", "personalized-ranking"}
    assert all(set(values) == METRIC_KEYS for values in metrics.values())
    assert marker(printed, "SIMILAR") == "10 items"
    assert re.search(r"^RANKED \d+ ", printed, re.MULTILINE)
    prefix = f"{workshop_store.stack}-workshop"
    sims = campaign_arn(workshop_store, f"{prefix}-sims")
    ranking = campaign_arn(workshop_store, f"{prefix}-personalized-ranking")
    assert workshop_store.wired(SIMILAR_ITEMS)["campaignArn"] == sims
    assert workshop_store.wired(SEARCH_RANKING)["campaignArn"] == ranking

    item_id = workshop_store.get("/Prod/items?limit=1").json()["results"][0]["asin"]
    similar = workshop_store.get_when_wired(f"/Prod/recommendationsitem/{item_id}")
    assert similar.status_code == 200
    assert similar.json()["results"] and "warning" not in similar.json()

    item = workshop_store.get("/Prod/items?limit=1").json()["results"][0]
    user_id = workshop_store.get("/Prod/session").json()["UserList"][0]["Id"]
    query = item["title"].split()[-1]
    searched = workshop_store.get_when_wired(f"/Prod/search?q={query}&u={user_id}")
    assert searched.status_code == 200, searched.text
    assert "warning" not in searched.json(), searched.json().get("warning")
    assert any(hit.get("Promoted") for hit in searched.json()["results"])  # re-ranked by the campaign


def test_improving_relevance(workshop_store: WorkshopStore, run_notebook) -> None:
    printed = run_notebook("4. Improving Relevance.ipynb")

    comparison = json.loads(marker(printed, "COMPARISON"))
    assert list(comparison) == ["interactions only", "with metadata"]  # HPO is off unless asked for
    assert all(set(values) == METRIC_KEYS for values in comparison.values())
    assert re.search(
        r"^(campaign now serves the metadata model|keeping the first model)", printed, re.MULTILINE
    )
    # exploration of the cold items the whole catalogue brought, filters and a promotion
    explored = json.loads(marker(printed, "EXPLORATION cold items in the top 25:"))
    assert explored["0.9"] > explored["0.1"], explored
    reviewed_before, reviewed_after = map(
        int,
        re.fullmatch(r"(\d+) reviewed items before, (\d+) after", marker(printed, "FILTER unseen:")).groups(),
    )
    assert reviewed_after == 0 < reviewed_before
    in_category, returned = map(
        int, re.match(r"(\d+) of (\d+) in ", marker(printed, "FILTER category:")).groups()
    )
    assert in_category == returned > 0
    assert int(marker(printed, "PROMOTED").split()[0]) > 0
    filters = workshop_store.client("personalize").list_filters()["Filters"]
    unseen = next(f["filterArn"] for f in filters if f["name"] == f"{workshop_store.stack}-workshop-unseen")
    assert workshop_store.wired(RECOMMENDATIONS)["filterArn"] == unseen  # the store's row applies it
    campaign = workshop_store.client("personalize").describe_campaign(
        campaignArn=campaign_arn(workshop_store, f"{workshop_store.stack}-workshop-user-personalization")
    )["campaign"]
    assert campaign["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.3"
    metadata = workshop_solutions(workshop_store)[
        f"{workshop_store.stack}-workshop-user-personalization-metadata"
    ]
    assert metadata["performHPO"] is False and metadata["performAutoTraining"] is False


def test_data_diagnostic(run_notebook) -> None:
    printed = run_notebook("0. Data Diagnostic.ipynb", SAMPLE_INTERACTIONS=SAMPLE)

    rates = marker(printed, "RATES")
    assert "missing_rate" in rates and "repeat_rate" in rates
    slope = float(re.search(r"POPULARITY FIT slope=(-?[\d.]+)", printed).group(1))
    assert -3 < slope < 0
    assert "# DIAGNOSING ITEMS TABLE" in printed and "# DIAGNOSING USERS TABLE" in printed


def test_clean_up(workshop_store: WorkshopStore, run_notebook) -> None:
    before = personalize_names(workshop_store)
    assert before["campaigns"] and before["datasetGroups"]

    with pytest.raises(CellExecutionError, match="set CONFIRM = True"):
        run_notebook("Clean Up.ipynb")  # without the confirmation switch nothing goes
    assert personalize_names(workshop_store) == before

    printed = run_notebook("Clean Up.ipynb", CONFIRM=True)

    assert re.search(r"^DELETED \d+; REMAINING 0$", printed, re.MULTILINE), printed[-3000:]
    stack = workshop_store.stack
    leftovers = [
        name
        for names in personalize_names(workshop_store).values()
        for name in names
        if name == stack or name.startswith(f"{stack}-")
    ]
    assert leftovers == []
    for consumer in KEYS:
        assert not any(workshop_store.wired(consumer).values()), consumer
    staged = workshop_store.client("s3").list_objects_v2(
        Bucket=workshop_store.environment["STAGING_BUCKET"], Prefix="workshop/"
    )
    assert not {"workshop/interactions.csv", "workshop/items.csv"} & {
        o["Key"] for o in staged.get("Contents", [])
    }
    body = workshop_store.get(f"/Prod/recommendations/{'A' * 13}").json()
    assert body["results"] and "warning" in body  # popular items again, with how to enable a campaign


def test_cleanup_command(workshop_store: WorkshopStore, monkeypatch) -> None:
    """`allstore workshop cleanup` as teardown.sh runs it: only the stack's resources go."""
    from typer.testing import CliRunner

    from allstore.cli import app

    for name, value in workshop_store.environment.items():
        monkeypatch.setenv(name, value)
    personalize = workshop_store.client("personalize")
    stack = workshop_store.stack
    schema = json.dumps(INTERACTIONS_SCHEMA)
    created = {}
    for name in (f"{stack}-extra", f"{stack}x-other"):  # the second only shares the prefix's letters
        schema_arn = personalize.create_schema(name=f"{name}-schema", schema=schema)["schemaArn"]
        group_arn = personalize.create_dataset_group(name=name)["datasetGroupArn"]
        personalize.create_dataset(
            name=f"{name}-interactions",
            schemaArn=schema_arn,
            datasetGroupArn=group_arn,
            datasetType="Interactions",
        )
        personalize.create_event_tracker(name=f"{name}-clicks", datasetGroupArn=group_arn)
        personalize.create_filter(
            name=f"{name}-no-clicks",
            datasetGroupArn=group_arn,
            filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
        )
        created[name] = group_arn
    runner = CliRunner()

    declined = runner.invoke(app, ["workshop", "cleanup", "--stack", stack], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert f"dataset group {stack}-extra" in declined.output
    assert f"{stack}x-other" not in declined.output

    result = runner.invoke(app, ["workshop", "cleanup", "--stack", stack, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Deleted 5 Personalize resources" in result.output
    order = [line.split()[1] for line in result.output.splitlines() if line.startswith("deleting ")]
    assert order == [
        "event",
        "filter",
        "dataset",
        "schema",
        "dataset",
    ]  # trackers+filters, datasets, schemas, groups
    names = personalize_names(workshop_store)
    assert f"{stack}-extra" not in names["datasetGroups"] and f"{stack}x-other" in names["datasetGroups"]
    assert f"{stack}x-other-schema" in names["schemas"]

    again = runner.invoke(app, ["workshop", "cleanup", "--stack", stack, "--yes"])
    assert again.exit_code == 0 and "nothing to delete" in again.output
    other = runner.invoke(app, ["workshop", "cleanup", "--stack", f"{stack}x", "--yes"])
    assert other.exit_code == 0 and "Deleted 5" in other.output, other.output


@pytest.fixture
def generated_ucsd_files(tmp_path):
    from allstore.data import synthetic

    folder = tmp_path / "ucsd"
    synthetic.write_store(synthetic.generate_store(300, 6_000, 300, seed=7), folder)
    return folder / synthetic.REVIEWS_FILE, folder / synthetic.PRODUCTS_FILE


def test_ucsd_preprocessing(generated_ucsd_files, run_notebook, tmp_path) -> None:
    from allstore_common import records

    reviews, metadata = generated_ucsd_files
    output = tmp_path / "out"
    printed = run_notebook(
        "util/UCSD Preprocessing.ipynb", REVIEWS=str(reviews), METADATA=str(metadata), OUTPUT_DIR=str(output)
    )

    written = re.search(r"^WROTE (\d+) products and (\d+) interactions", printed, re.MULTILINE)
    assert written and int(written.group(1)) > 0 and int(written.group(2)) > 0
    products = list(records.iter_records(output / "products.json.gz"))
    assert len(products) == int(written.group(1))
    assert all(records.title(product) and records.image_url(product) for product in products)
    interactions = list(records.iter_records(output / "interactions.csv"))
    assert len(interactions) == int(written.group(2))
    assert {records.item_id(row) for row in interactions} <= {records.item_id(p) for p in products}
    items_header = (output / "items.csv").read_text().splitlines()[0]
    assert items_header == "ITEM_ID,CATEGORY_L1,CATEGORY_L2,BRAND,PRICE"
