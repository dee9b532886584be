"""Benchmark item hydration: 25 items with one BatchGetItem versus 25 sequential GetItem calls.

The API turns a list of ids (from Personalize or search) into items. This measures why it uses
`ItemStore.hydrate` (one BatchGetItem) rather than a GetItem per id, against the same local
DynamoDB: the local store's moto server (`allstore.local.aws.MotoServer`, with its fast paths) on
127.0.0.1, in a process of its own so the server does not share this interpreter. The two methods
run in alternating rounds on the same random ids; the script prints the median and
90th-percentile time of each and the ratio of the medians.

    .venv/bin/python benchmarks/hydration.py [--items 1000] [--ids 25] [--rounds 40]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import time
from decimal import Decimal
from typing import Any

import boto3
from allstore_common.items import ItemStore

from allstore.credentials import StoreCredentials
from allstore.local.aws import MotoServer

TABLE = "Items"
REGION = "us-east-1"
WORDS = [
    "trail",
    "tent",
    "light",
    "carbon",
    "steel",
    "pack",
    "water",
    "bottle",
    "glove",
    "ball",
    "bike",
    "lamp",
]


def serve(port_queue: Any, credentials: StoreCredentials) -> None:
    """Child process: run moto's server on an ephemeral loopback port until terminated."""
    url = MotoServer(credentials).start()
    port_queue.put(int(url.rsplit(":", 1)[1]))
    while True:
        time.sleep(3600)


def catalogue_item(rng: random.Random, number: int) -> dict[str, Any]:
    """An item about the size of a real catalogue entry (title, features, a description paragraph)."""

    def words(count: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(count))

    return {
        "asin": f"B{number:09d}",
        "title": words(8).title(),
        "imUrl": f"https://images.example/{number}.jpg",
        "genre": "Sports",
        "category": rng.choice(["Camping", "Cycling", "Running", "Climbing"]),
        "brand": words(1).title(),
        "price": Decimal(rng.randint(100, 50_000)) / 100,
        "feature": [words(12) for _ in range(5)],
        "description": [words(80)],
        "popularity": rng.randint(0, 500),
        "popularityGroup": "all",
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000, help="items in the table")
    parser.add_argument("--ids", type=int, default=25, help="ids hydrated per request")
    parser.add_argument("--rounds", type=int, default=40, help="timed rounds per method")
    arguments = parser.parse_args()

    port_queue: Any = multiprocessing.Queue()
    credentials = StoreCredentials.generate()
    server = multiprocessing.Process(target=serve, args=(port_queue, credentials), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=60)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                **credentials.environment(),
                "AWS_DEFAULT_REGION": REGION,
            }
        )
        run(arguments.items, arguments.ids, arguments.rounds)
    finally:
        server.terminate()
        server.join()


def run(item_count: int, id_count: int, rounds: int) -> None:
    dynamodb = boto3.resource("dynamodb")
    table = dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "asin", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    rng = random.Random(7)
    items = [catalogue_item(rng, number) for number in range(item_count)]
    with table.batch_writer() as writer:
        for item in items:
            writer.put_item(Item=item)
    store = ItemStore(TABLE, dynamodb=boto3.client("dynamodb"), cache_seconds=0)  # every round reads

    def batch(ids: list[str]) -> int:
        return len(store.hydrate(ids).items)

    def one_by_one(ids: list[str]) -> int:
        return sum(1 for asin in ids if "Item" in table.get_item(Key={"asin": asin}))

    timings: dict[str, list[float]] = {"BatchGetItem": [], "sequential GetItem": []}
    methods = {"BatchGetItem": batch, "sequential GetItem": one_by_one}
    for round_number in range(rounds + 3):  # the first 3 rounds warm connections up and are not timed
        ids = [item["asin"] for item in rng.sample(items, id_count)]
        for name, method in methods.items():
            start = time.perf_counter()
            found = method(ids)
            elapsed = time.perf_counter() - start
            assert found == id_count, f"{name} found {found} of {id_count} items"
            if round_number >= 3:
                timings[name].append(elapsed * 1000)

    print(
        f"Hydrating {id_count} of {item_count} items, {rounds} rounds, local DynamoDB (moto server, 127.0.0.1)"
    )
    for name, samples in timings.items():
        print(
            f"  {name:<20} median {statistics.median(samples):7.2f} ms   p90 {percentile(samples, 0.9):7.2f} ms"
        )
    ratio = statistics.median(timings["sequential GetItem"]) / statistics.median(timings["BatchGetItem"])
    print(f"  sequential GetItem / BatchGetItem (medians): {ratio:.1f}x")


if __name__ == "__main__":
    main()
