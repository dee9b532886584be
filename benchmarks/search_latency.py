"""Search latency of the local search server over HTTP, with the store's own product query.

Indexes N generated products (or a JSON-lines catalogue you give it: one object per line with at
least `asin` and `title`) through `_bulk`, then times the query functions/api/search sends —
fuzzy multi_match over five fields plus a boosted title phrase — for a mix of exact, multi-word
and misspelt queries, from one or more concurrent opensearch-py clients.

    .venv/bin/python benchmarks/search_latency.py [--docs 20000] [--searches 1000] [--clients 1]
        [--catalogue items.json] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import OpenSearch, helpers

from allstore.local.lambda_code import load_handler
from allstore.search import SearchServer

INDEX = "items"
RESULTS = 25  # the page size the store asks for
SEARCH_API_CODE = Path(__file__).resolve().parents[1] / "functions" / "api" / "search"
BRANDS = ["Northwind", "Summit", "Riverstone", "Alpine", "Coastline", "Ironwood", "Bluebird", "Redrock"]
ADJECTIVES = [
    "waterproof", "lightweight", "insulated", "compact", "folding", "reflective", "breathable",
    "adjustable", "padded", "stainless", "portable", "heavy duty", "quick dry", "ultralight",
]  # fmt: skip
NOUNS = [
    "hiking boots", "rain jacket", "camping lantern", "sleeping bag", "trekking poles", "dry bag",
    "camping stove", "water bottle", "headlamp", "tent", "backpack", "yoga mat", "tennis racket",
    "fishing rod", "bike light", "helmet", "gloves", "running shoes", "kayak paddle", "compass",
]  # fmt: skip
CATEGORIES = ["Camping", "Hiking", "Cycling", "Fitness", "Water Sports", "Fishing", "Clothing"]


def generated_products(count: int, rng: random.Random) -> list[dict]:
    products = []
    for number in range(count):
        brand, adjective, noun = rng.choice(BRANDS), rng.choice(ADJECTIVES), rng.choice(NOUNS)
        size = rng.choice(["small", "medium", "large", "xl", f"{rng.randint(1, 40)} litre"])
        products.append(
            {
                "asin": f"B{number:09d}",
                "title": f"{brand} {adjective} {noun} {size}",
                "brand": brand,
                "category": rng.choice(CATEGORIES),
                "description": f"A {adjective} {noun} by {brand}, {size}. Model {rng.randint(100, 999)}.",
                "feature": [f"{rng.choice(ADJECTIVES)} design", f"{rng.randint(1, 5)} year warranty"],
                "price": round(rng.uniform(5, 500), 2),
                "imUrl": f"https://img.example/{number}.jpg",
                "popularity": rng.randint(0, 1000),
            }
        )
    return products


def read_catalogue(path: Path) -> list[dict]:
    with path.open() as lines:
        return [json.loads(line) for line in lines if line.strip()]


def misspell(word: str, rng: random.Random) -> str:
    """One random edit (drop, double or swap a letter) after the first letter."""
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    edit = rng.choice(["drop", "double", "swap"])
    if edit == "drop":
        return word[:at] + word[at + 1 :]
    if edit == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def query_texts(products: list[dict], count: int, rng: random.Random) -> list[str]:
    """A third whole titles, a third two title words, a third two words with a typo each."""
    texts = []
    for number in range(count):
        words = rng.choice(products)["title"].split()
        if number % 3 == 0:
            texts.append(" ".join(words))
        else:
            start = rng.randrange(max(1, len(words) - 1))
            pair = words[start : start + 2]
            texts.append(" ".join(misspell(w, rng) for w in pair) if number % 3 == 2 else " ".join(pair))
    return texts


def api_product_query() -> Callable[[str, int], dict]:
    """The search API's own request body builder (functions/api/search), so the benchmark times what it sends."""
    os.environ.setdefault("ITEMS_TABLE", "Items")  # read when the API module is imported; never used here
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return load_handler(SEARCH_API_CODE, "app.product_query")


def time_searches(url: str, bodies: list[dict], clients: int) -> tuple[list[float], float]:
    """Latency of each search in ms, and the wall time, with `clients` threads sharing the texts."""
    latencies: list[float] = []
    lock = threading.Lock()

    def run(share: list[dict]) -> None:
        client = OpenSearch(hosts=[url], timeout=30)
        mine = []
        for body in share:
            started = time.perf_counter()
            client.search(index=INDEX, body=body)
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(bodies[n::clients],)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20_000, help="generated products to index")
    parser.add_argument("--catalogue", type=Path, help="index this JSON-lines catalogue instead")
    parser.add_argument("--searches", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=1, help="concurrent HTTP clients")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    products = read_catalogue(args.catalogue) if args.catalogue else generated_products(args.docs, rng)
    product_query = api_product_query()
    bodies = [product_query(text, RESULTS) for text in query_texts(products, args.searches, rng)]

    with tempfile.TemporaryDirectory() as data_dir, SearchServer(data_dir) as server:
        client = OpenSearch(hosts=[server.url], timeout=300)
        client.indices.create(index=INDEX, body=INDEX_MAPPING)
        started = time.perf_counter()
        actions = ({"_index": INDEX, "_id": p["asin"], "_source": p} for p in products)
        helpers.bulk(client, actions, chunk_size=1_000, refresh=True)
        index_seconds = time.perf_counter() - started
        time_searches(server.url, bodies[:20], 1)  # the first searches read the term dictionary
        latencies, wall = time_searches(server.url, bodies, args.clients)
        hits = [client.search(index=INDEX, body=body)["hits"]["total"]["value"] for body in bodies[:100]]

    result = {
        "documents": len(products),
        "index_seconds": round(index_seconds, 2),
        "searches": len(latencies),
        "clients": args.clients,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "searches_per_second": round(len(latencies) / wall, 1),
        "queries_with_hits": f"{sum(1 for h in hits if h)}/{len(hits)}",
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
