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


def test_data_diagnostic(workshop_store: WorkshopStore, run_notebook) -> None:
    """Run first, as the workshop does: before any training the store shows popular items."""
    for _ in range(2):  # re-runnable: it reads the staging data and writes nothing
        printed = run_notebook("0. Data Diagnostic.ipynb", SAMPLE_INTERACTIONS=SAMPLE)

        rates = marker(printed, "RATES")
        assert "missing_rate" in rates and "repeat_rate" in rates
        slope = float(re.search(r"POPULARITY FIT slope=(-?[\d.]+)", printed).group(1))
        assert -3 < slope < 0
        assert "# DIAGNOSING ITEMS TABLE" in printed and "# DIAGNOSING USERS TABLE" in printed
        user, shown, note = re.fullmatch(r"(\S+): (\d+) items; (.*)", marker(printed, "STORE PAGE")).groups()
        assert user in demo_users(workshop_store) and int(shown) > 0
        assert note and workshop_store.get(f"/Prod/recommendations/{user}").json()["warning"].startswith(note)


def demo_users(store: WorkshopStore) -> list[str]:
    """The store's log-in list, as its web UI reads it."""
    return [user["Id"] for user in store.get("/Prod/session").json()["UserList"]]


def store_page_note(printed: str, user_id: str) -> str:
    """What a notebook printed after `STORE PAGE <user_id>`: "... items; from the campaign" or the
    store's warning."""
    line = marker(printed, f"STORE PAGE {re.escape(user_id)}:?")
    return line.rsplit("; ", 1)[1]


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
        f"{prefix}-similar-items": "aws-similar-items",
        f"{prefix}-personalized-ranking": "aws-personalized-ranking-v2",
    }
    assert not any(solution["performAutoTraining"] for solution in solutions.values())

    # the store's demo users (its log-in list) are all in the training data, so each is personalised
    logins = demo_users(workshop_store)
    s3 = workshop_store.client("s3")
    bucket = workshop_store.environment["STAGING_BUCKET"]
    trained = s3.get_object(Bucket=bucket, Key="workshop/interactions.csv")["Body"].read().decode()
    trained_users = {line.split(",", 1)[0] for line in trained.splitlines()[1:]}
    assert logins and set(logins) <= trained_users
    kept, total, user_id = re.fullmatch(
        r"(\d+) of (\d+) - we follow (\S+)", marker(printed, "DEMO USERS kept:")
    ).groups()
    assert int(kept) == int(total) == len(logins) and user_id in logins
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
    assert store_page_note(printed, user_id) == "from the campaign"  # the notebook showed the store's page

    # the whole catalogue is the Items dataset, cold (never bought) products included
    found = re.fullmatch(
        r"([\d,]+) in the catalogue, ([\d,]+) never bought \(cold\)", marker(printed, "ITEMS")
    )
    catalogue, cold = (int(value.replace(",", "")) for value in found.groups())
    items_csv = s3.get_object(Bucket=bucket, Key="workshop/items.csv")["Body"].read().decode().splitlines()
    assert items_csv[0] == "ITEM_ID,CATEGORY_L1,CATEGORY_L2,BRAND,PRICE,CREATION_TIMESTAMP"
    assert len(items_csv) - 1 == catalogue > cold > 0
    personalize = workshop_store.client("personalize")
    group = next(
        g["datasetGroupArn"]
        for g in personalize.list_dataset_groups()["datasetGroups"]
        if g["name"] == prefix
    )
    assert {
        d["datasetType"].upper() for d in personalize.list_datasets(datasetGroupArn=group)["datasets"]
    } == {
        "INTERACTIONS",
        "ITEMS",
    }
    # event-type weights on the User-Personalization-v2 solution
    events = solutions[f"{prefix}-user-personalization"]["solutionConfig"]["eventsConfig"]
    assert json.loads(marker(printed, "EVENTS CONFIG")) == events
    assert {p["eventType"]: p["weight"] for p in events["eventParametersList"]} == {
        "rating": 1.0,
        "click": 0.5,
    }

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
    personalize = workshop_store.client("personalize")
    trackers = personalize.list_event_trackers()["eventTrackers"]
    tracker = next(t for t in trackers if t["name"] == f"{workshop_store.stack}-workshop-clicks")
    tracking_id = personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
        "eventTracker"
    ]["trackingId"]
    assert workshop_store.wired(CLICK_TRACKING) == {"trackingId": tracking_id}
    user_id = re.search(r"^STORE PAGE (\S+):", printed, re.MULTILINE).group(1)
    clicked_category = re.search(r"^clicking \d+ products in (.+)$", printed, re.MULTILINE).group(1)
    shown = re.fullmatch(
        rf"(\d+) of (\d+) from {re.escape(clicked_category)}; from the campaign",
        marker(printed, f"STORE PAGE {user_id}:"),
    )
    assert shown and int(shown.group(1)) > 0, printed[-2000:]  # the store's page moved with the clicks

    again = run_notebook("2. Enabling Real-Time Feedback.ipynb")  # a second tracker would be refused
    assert "RECOMMENDATIONS CHANGED" in again
    assert [t["eventTrackerArn"] for t in personalize.list_event_trackers()["eventTrackers"]] == [
        t["eventTrackerArn"] for t in trackers
    ]
    assert workshop_store.wired(CLICK_TRACKING) == {"trackingId": tracking_id}


def test_expanding_to_other_campaigns(workshop_store: WorkshopStore, run_notebook) -> None:
    prefix = f"{workshop_store.stack}-workshop"
    for run in range(2):  # the second run finds both campaigns and trains nothing
        printed = run_notebook("3. Expanding to Other Campaigns.ipynb")

        metrics = json.loads(marker(printed, "METRICS"))
        assert set(metrics) == {"similar-items", "personalized-ranking"}
        assert all(set(values) == METRIC_KEYS for values in metrics.values())
        assert marker(printed, "SIMILAR") == "10 items"
        assert re.search(r"^RANKED \d+ .* for (\S+)$", printed, re.MULTILINE).group(1) in demo_users(
            workshop_store
        )
        similar = campaign_arn(workshop_store, f"{prefix}-similar-items")
        ranking = campaign_arn(workshop_store, f"{prefix}-personalized-ranking")
        if run == 0:
            first = (similar, ranking)
        assert (similar, ranking) == first
        assert workshop_store.wired(SIMILAR_ITEMS)["campaignArn"] == similar
        assert workshop_store.wired(SEARCH_RANKING)["campaignArn"] == ranking
        # the store's own pages, as the notebook showed them
        assert re.search(r"^STORE SIMILAR (\d+) items; from the campaign$", printed, re.MULTILINE), printed[
            -2000:
        ]
        hits, promoted = map(
            int, re.search(r"^STORE SEARCH .*: (\d+) hits, (\d+) promoted$", printed, re.MULTILINE).groups()
        )
        assert hits >= promoted > 0  # re-ranked by the campaign

    item_id = workshop_store.get("/Prod/items?limit=1").json()["results"][0]["asin"]
    similar_page = workshop_store.get_when_wired(f"/Prod/recommendationsitem/{item_id}")
    assert similar_page.status_code == 200
    assert similar_page.json()["results"] and "warning" not in similar_page.json()


def test_improving_relevance(workshop_store: WorkshopStore, run_notebook) -> None:
    stack = workshop_store.stack
    personalize = workshop_store.client("personalize")
    for run in range(2):  # the second run trains nothing and creates nothing
        printed = run_notebook("4. Improving Relevance.ipynb")

        comparison = json.loads(marker(printed, "COMPARISON"))
        assert list(comparison) == ["User-Personalization-v2 (notebook 1)", "User-Personalization"]  # no HPO
        assert all(set(values) == METRIC_KEYS for values in comparison.values())
        assert re.search(
            r"^(campaign now serves User-Personalization|keeping User-Personalization-v2)",
            printed,
            re.MULTILINE,
        )
        # exploration of the cold items of the catalogue notebook 1 imported, on its own campaign
        explored = json.loads(marker(printed, "EXPLORATION cold items in the top 25:"))
        assert explored["0.9"] > explored["0.1"], explored
        reviewed_before, reviewed_after = map(
            int,
            re.fullmatch(
                r"(\d+) reviewed items before, (\d+) after", marker(printed, "FILTER unseen:")
            ).groups(),
        )
        assert reviewed_after == 0 < reviewed_before
        in_category, returned = map(
            int, re.match(r"(\d+) of (\d+) in ", marker(printed, "FILTER category:")).groups()
        )
        assert in_category == returned > 0
        assert int(marker(printed, "PROMOTED").split()[0]) > 0
        filters = personalize.list_filters()["Filters"]
        unseen = next(f["filterArn"] for f in filters if f["name"] == f"{stack}-workshop-unseen")
        assert workshop_store.wired(RECOMMENDATIONS)["filterArn"] == unseen  # the store's row applies it
        user_id = re.search(r"^STORE PAGE (\S+):", printed, re.MULTILINE).group(1)
        assert re.fullmatch(
            r"\d+ items, 0 already reviewed", marker(printed, f"STORE PAGE {user_id}:").split(";")[0]
        )
        assert store_page_note(printed, user_id) == "from the campaign"
        store_campaign = personalize.describe_campaign(
            campaignArn=campaign_arn(workshop_store, f"{stack}-workshop-user-personalization")
        )["campaign"]
        assert store_campaign["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.3"
        exploration = personalize.describe_campaign(
            campaignArn=campaign_arn(workshop_store, f"{stack}-workshop-exploration")
        )["campaign"]
        assert exploration["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.9"
        solutions = workshop_solutions(workshop_store)
        tuned = solutions[f"{stack}-workshop-user-personalization-v1"]
        assert tuned["recipeArn"].endswith("/aws-user-personalization")
        assert tuned["performHPO"] is False and tuned["performAutoTraining"] is False
        made = {
            "versions": {
                name: s["latestSolutionVersion"]["solutionVersionArn"] for name, s in solutions.items()
            },
            "filters": sorted(f["filterArn"] for f in filters),
            "campaigns": sorted(c["campaignArn"] for c in personalize.list_campaigns()["campaigns"]),
        }
        if run == 0:
            first = made
        assert made == first


def test_metrics_comparison_of_local_and_aws(workshop_store: WorkshopStore) -> None:
    """allstore.workshop.metrics_comparison: the local store's metrics next to AWS's (stubbed here:
    the same calls, answered as the service documents) for every workshop solution."""
    from botocore.stub import Stubber

    from allstore.workshop import metrics_comparison

    local = workshop_store.client("personalize")
    aws = workshop_store.client("personalize")  # its answers come from the stubber, not the store
    arn = "arn:aws:personalize:eu-west-1:123456789012:solution/prod-workshop-"
    aws_metrics = {"coverage": 0.25, "normalized_discounted_cumulative_gain_at_10": 0.125}
    with Stubber(aws) as stub:
        stub.add_response(
            "list_solutions",
            {
                "solutions": [
                    {
                        "name": "prod-workshop-user-personalization",
                        "solutionArn": arn + "user-personalization",
                    },
                    {"name": "prod-workshop-similar-items", "solutionArn": arn + "similar-items"},
                    {"name": "prod-other", "solutionArn": arn + "other"},
                ]
            },
        )
        stub.add_response(
            "describe_solution",
            {
                "solution": {
                    "latestSolutionVersion": {
                        "solutionVersionArn": arn + "user-personalization/1",
                        "status": "ACTIVE",
                    }
                }
            },
            {"solutionArn": arn + "user-personalization"},
        )
        stub.add_response(
            "get_solution_metrics",
            {"solutionVersionArn": arn + "user-personalization/1", "metrics": aws_metrics},
            {"solutionVersionArn": arn + "user-personalization/1"},
        )
        stub.add_response(
            "describe_solution",
            {
                "solution": {
                    "latestSolutionVersion": {
                        "solutionVersionArn": arn + "similar-items/1",
                        "status": "CREATE IN_PROGRESS",
                    }
                }
            },
            {"solutionArn": arn + "similar-items"},
        )
        rows = metrics_comparison.compare({"local": (local, workshop_store.stack), "aws": (aws, "prod")})
        stub.assert_no_pending_responses()

    by_key = {(row["solution"], row["metric"]): row for row in rows}
    local_solutions = {
        name.removeprefix(f"{workshop_store.stack}-workshop-"): solution
        for name, solution in workshop_solutions(workshop_store).items()
    }
    assert {solution for solution, _ in by_key} == set(local_solutions)  # every workshop solution, no other
    for short, solution in local_solutions.items():
        expected = local.get_solution_metrics(
            solutionVersionArn=solution["latestSolutionVersion"]["solutionVersionArn"]
        )["metrics"]
        for key, value in expected.items():
            assert by_key[(short, key)]["local"] == value
    assert by_key[("user-personalization", "coverage")]["aws"] == 0.25
    assert (
        by_key[("user-personalization", "mean_reciprocal_rank_at_25")]["aws"] is None
    )  # AWS did not report it
    assert all(by_key[("similar-items", key)]["aws"] is None for key in METRIC_KEYS)  # still training there
    table = metrics_comparison.format_table(rows, ["local", "aws"]).splitlines()
    assert table[0].split() == ["solution", "metric", "local", "aws"]
    assert any(re.fullmatch(r"user-personalization\s+coverage\s+\S+\s+0\.2500", line) for line in table)


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
    user_id = re.search(r"^STORE PAGE (\S+):", printed, re.MULTILINE).group(1)
    shown, warning = re.fullmatch(
        r"(\d+) items; warning: (.+)", marker(printed, f"STORE PAGE {user_id}:")
    ).groups()
    assert int(shown) > 0 and workshop_store.get(f"/Prod/recommendations/{user_id}").json()[
        "warning"
    ].startswith(warning)
    assert marker(printed, f"Personalize resources of {stack} left:") == "0"

    again = run_notebook("Clean Up.ipynb", CONFIRM=True)  # nothing left to delete, nothing fails
    assert re.search(r"^DELETED 0; REMAINING 0$", again, re.MULTILINE), again[-3000:]


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
