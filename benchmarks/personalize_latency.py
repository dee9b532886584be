"""GetRecommendations latency over HTTP with an 18k-item catalogue, measured with a boto3 client.

Generates a Sports-2014-sized store (18,357 items, 35,598 users, ~296k interactions with taste
clusters and a popularity long tail), or imports a CSV you give it (USER_ID,ITEM_ID,TIMESTAMP
header), trains a User-Personalization campaign on the local service and times:

- GetRecommendations (numResults 25) for known users, unknown users, and with an item filter;
- PutEvents → a changed GetRecommendations for the same user (the real-time path).

    .venv/bin/python benchmarks/personalize_latency.py [--requests 2000] [--interactions FILE.csv]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import boto3
import numpy as np
from botocore.config import Config

from allstore.credentials import StoreCredentials
from allstore.personalize.server import PersonalizeServer

SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "CATEGORY_L1", "type": "string", "categorical": True},
    ],
    "version": "1.0",
}


def generate(
    folder: Path, n_items: int = 18_357, n_users: int = 35_598, per_user: float = 8.3, seed: int = 0
):
    """Interactions and items CSVs: each user draws mostly from one of 40 taste clusters, skewed to
    each cluster's first items (a popularity long tail)."""
    rng = np.random.default_rng(seed)
    clusters = 40
    item_cluster = rng.integers(0, clusters, n_items)
    by_cluster = np.argsort(item_cluster, kind="stable")
    sizes = np.bincount(item_cluster, minlength=clusters)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lengths = np.maximum(5, rng.poisson(per_user, n_users))
    user_of_row = np.repeat(np.arange(n_users), lengths)
    taste = rng.integers(0, clusters, n_users)[user_of_row]
    cluster = np.where(rng.random(len(user_of_row)) < 0.8, taste, rng.integers(0, clusters, len(user_of_row)))
    rank = np.minimum((sizes[cluster] * rng.random(len(user_of_row)) ** 3).astype(int), sizes[cluster] - 1)
    item = by_cluster[starts[cluster] + rank]
    timestamps = 1_300_000_000 + np.cumsum(rng.integers(1, 30, len(user_of_row)))
    interactions = folder / "interactions.csv"
    with interactions.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "ITEM_ID", "TIMESTAMP"])
        writer.writerows(
            zip((f"u{u}" for u in user_of_row), (f"i{i}" for i in item), timestamps.tolist(), strict=True)
        )
    items = folder / "items.csv"
    with items.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["ITEM_ID", "CATEGORY_L1"])
        writer.writerows((f"i{item}", f"cat{item_cluster[item] % 10}") for item in range(n_items))
    return interactions, items


def wait(describe, key):
    while True:
        resource = describe()[key]
        if resource["status"] in ("ACTIVE", "CREATE FAILED"):
            if resource["status"] != "ACTIVE":
                raise SystemExit(f"{key} failed: {resource.get('failureReason')}")
            return resource
        time.sleep(0.2)


def percentiles(samples: list[float]) -> str:
    values = np.array(samples) * 1000
    return f"p50 {np.percentile(values, 50):.2f} ms  p99 {np.percentile(values, 99):.2f} ms  max {values.max():.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--interactions", type=Path, help="a CSV with USER_ID,ITEM_ID,TIMESTAMP instead of generated data"
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        items_csv = None
        if args.interactions:
            interactions_csv = args.interactions
        else:
            started = time.monotonic()
            interactions_csv, items_csv = generate(folder)
            print(f"generated data in {time.monotonic() - started:.1f}s")
        server = PersonalizeServer(folder / "state")
        url = server.start()
        try:
            assert server.credentials is not None
            campaign, users = run(url, server.credentials, interactions_csv, items_csv, args.requests)
            assert server.service is not None
            samples = []
            for user in users:  # the service's own time, without HTTP and boto3
                begin = time.perf_counter()
                server.service.handle(
                    "personalize-runtime", "GetRecommendations", {"campaignArn": campaign, "userId": user}
                )
                samples.append(time.perf_counter() - begin)
            print("in-process GetRecommendations:   ", percentiles(samples))
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        finally:
            server.stop()


def run(
    url: str, credentials: StoreCredentials, interactions_csv: Path, items_csv: Path | None, requests: int
) -> tuple[str, list[str]]:
    """Set up and time the HTTP calls (signed, as every client must); returns the campaign and the users it asked for."""
    config = Config(retries={"max_attempts": 1})
    keys = {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
    }
    p = boto3.client("personalize", endpoint_url=url, config=config, **keys)
    runtime = boto3.client("personalize-runtime", endpoint_url=url, config=config, **keys)
    events = boto3.client("personalize-events", endpoint_url=url, config=config, **keys)
    group = p.create_dataset_group(name="bench")["datasetGroupArn"]
    datasets = [("Interactions", SCHEMA, interactions_csv)] + (
        [("Items", ITEMS_SCHEMA, items_csv)] if items_csv else []
    )
    started = time.monotonic()
    for dataset_type, schema, path in datasets:
        schema_arn = p.create_schema(name=f"bench-{dataset_type}", schema=json.dumps(schema))["schemaArn"]
        dataset = p.create_dataset(
            name=f"bench-{dataset_type}",
            schemaArn=schema_arn,
            datasetGroupArn=group,
            datasetType=dataset_type,
        )["datasetArn"]
        wait(lambda arn=dataset: p.describe_dataset(datasetArn=arn), "dataset")
        job = p.create_dataset_import_job(
            jobName=f"bench-{dataset_type}", datasetArn=dataset, dataSource={"dataLocation": str(path)}
        )["datasetImportJobArn"]
        wait(lambda arn=job: p.describe_dataset_import_job(datasetImportJobArn=arn), "datasetImportJob")
    print(f"imported in {time.monotonic() - started:.1f}s")
    solution = p.create_solution(
        name="bench", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-user-personalization"
    )["solutionArn"]
    wait(lambda: p.describe_solution(solutionArn=solution), "solution")
    started = time.monotonic()
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(lambda: p.describe_solution_version(solutionVersionArn=version), "solutionVersion")
    print(f"trained (fit + solution metrics) in {time.monotonic() - started:.1f}s")
    metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
    print("solution metrics:", ", ".join(f"{name} {value:.4f}" for name, value in sorted(metrics.items())))
    campaign = p.create_campaign(name="bench", solutionVersionArn=version)["campaignArn"]
    wait(lambda: p.describe_campaign(campaignArn=campaign), "campaign")
    users = [row[0] for row in csv.reader(interactions_csv.open()) if row][1:]
    rng = np.random.default_rng(1)
    known = list(rng.choice(sorted(set(users)), size=requests))
    item_filter = None
    if items_csv:
        item_filter = p.create_filter(
            name="bench",
            datasetGroupArn=group,
            filterExpression="INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CAT)",
        )["filterArn"]
        wait(lambda: p.describe_filter(filterArn=item_filter), "filter")
    for user in known[:200]:  # warm-up: connections, caches
        runtime.get_recommendations(campaignArn=campaign, userId=user)

    def not_found(user: str) -> None:
        with contextlib.suppress(runtime.exceptions.ResourceNotFoundException):
            runtime.get_recommendations(campaignArn=campaign + "-missing", userId=user)

    # The floor: a request the service answers without touching a model (boto3 + HTTP + scheduling),
    # interleaved with the measured calls so both see the same machine load.
    floor: list[float] = []

    def timed(call) -> list[float]:
        samples = []
        for user in known:
            begin = time.perf_counter()
            call(user)
            samples.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            not_found(user)
            floor.append(time.perf_counter() - begin)
        return samples

    print(
        f"catalogue: {len(set(row[1] for row in csv.reader(interactions_csv.open()))) - 1} items with interactions"
    )
    print(
        "GetRecommendations, known users:  ",
        percentiles(timed(lambda user: runtime.get_recommendations(campaignArn=campaign, userId=user))),
    )
    print(
        "GetRecommendations, unknown users:",
        percentiles(
            timed(lambda user: runtime.get_recommendations(campaignArn=campaign, userId="new-" + user))
        ),
    )
    if item_filter:
        print(
            "GetRecommendations, $CAT filter:  ",
            percentiles(
                timed(
                    lambda user: runtime.get_recommendations(
                        campaignArn=campaign,
                        userId=user,
                        filterArn=item_filter,
                        filterValues={"CAT": '"cat3"'},
                    )
                )
            ),
        )
    print("floor (ResourceNotFound), same time:", percentiles(floor))
    tracker = p.create_event_tracker(name="bench", datasetGroupArn=group)
    wait(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]), "eventTracker")
    delays = []
    item_ids = np.array(sorted({row[1] for row in csv.reader(interactions_csv.open())} - {"ITEM_ID"}))
    for user in known[:100]:
        before = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)["itemList"]
        clicked = rng.choice(item_ids, size=3).tolist()
        begin = time.perf_counter()
        events.put_events(
            trackingId=tracker["trackingId"],
            userId=user,
            sessionId=f"s-{user}",
            eventList=[{"eventType": "click", "itemId": item, "sentAt": time.time()} for item in clicked],
        )
        after = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)["itemList"]
        delays.append(time.perf_counter() - begin)
        if after == before:
            print(f"warning: recommendations for {user} did not change after PutEvents")
    print(
        "PutEvents → changed GetRecommendations:",
        percentiles(delays),
        f"(median {statistics.median(delays) * 1000:.1f} ms)",
    )
    return campaign, known


if __name__ == "__main__":
    main()
