"""The store's own product query (functions/api/search builds it) finds the right products,
for multi-word and misspelt queries, over a catalogue with many near-miss distractors."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import OpenSearch, helpers

from allstore.local.lambda_code import load_handler
from allstore.search import SearchServer
from tests.unit.search.conftest import client_for

SEARCH_API_CODE = Path(__file__).resolve().parents[3] / "functions" / "api" / "search"
BRANDS = ["Northwind", "Summit Gear", "Riverstone", "Alpine Works", "Coastline"]
ADJECTIVES = ["Waterproof", "Lightweight", "Insulated", "Compact", "Heavy Duty", "Folding"]
NOUNS = [
    "Hiking Boots",
    "Rain Jacket",
    "Camping Lantern",
    "Sleeping Bag",
    "Trekking Poles",
    "Dry Bag",
    "Stove",
]
CATEGORIES = {
    "Hiking Boots": "Footwear",
    "Rain Jacket": "Clothing",
    "Camping Lantern": "Lighting",
    "Sleeping Bag": "Sleep",
    "Trekking Poles": "Hiking",
    "Dry Bag": "Bags",
    "Stove": "Cooking",
}


def catalogue() -> list[dict]:
    """Every brand × adjective × noun: each query word is shared by dozens of products."""
    products = []
    for number, (brand, adjective, noun) in enumerate(itertools.product(BRANDS, ADJECTIVES, NOUNS)):
        products.append(
            {
                "asin": f"B{number:05d}",
                "title": f"{brand} {adjective} {noun}",
                "brand": brand,
                "category": CATEGORIES[noun],
                "description": f"A {adjective.lower()} {noun.lower()} for the outdoors.",
                "feature": [f"Made by {brand}", "Two year warranty"],
                "price": 10.0 + number,
                "imUrl": f"https://img.example/{number}.jpg",
                "popularity": number % 17,
            }
        )
    return products


@pytest.fixture(scope="module")
def product_query() -> Callable[[str, int], dict]:
    """The search API's own request body builder, so these tests follow the query it really sends."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ITEMS_TABLE", "Items")
        return load_handler(SEARCH_API_CODE, "app.product_query")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[tuple[OpenSearch, dict[str, dict]]]:
    server = SearchServer(tmp_path_factory.mktemp("search"))
    server.start()
    client = client_for(server.url)
    client.indices.create(index="items", body=INDEX_MAPPING)
    products = catalogue()
    helpers.bulk(
        client, ({"_index": "items", "_id": p["asin"], "_source": p} for p in products), refresh=True
    )
    yield client, {p["asin"]: p for p in products}
    server.stop()


def titles(store, product_query, text: str) -> list[str]:
    client, by_asin = store
    hits = client.search(index="items", body=product_query(text, 25))["hits"]["hits"]
    assert all(hit["_source"] == {"asin": hit["_id"]} for hit in hits)
    return [by_asin[hit["_id"]]["title"] for hit in hits]


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("Riverstone Insulated Sleeping Bag", "Riverstone Insulated Sleeping Bag"),
        ("riverstone insulated sleeping bag", "Riverstone Insulated Sleeping Bag"),
        ("rivrstone insulatd sleping bag", "Riverstone Insulated Sleeping Bag"),
        ("coastline folding stove", "Coastline Folding Stove"),
        ("coastlin foldng stoev", "Coastline Folding Stove"),
        ("alpine works compact lantern", "Alpine Works Compact Camping Lantern"),
        ("northwnd waterprof hiking boots", "Northwind Waterproof Hiking Boots"),
    ],
)
def test_the_described_product_comes_first(store, product_query, query, expected_first):
    assert titles(store, product_query, query)[0] == expected_first


@pytest.mark.parametrize(
    ("query", "every_top_title_has"),
    [
        ("sleeping bag", "Sleeping Bag"),
        ("sleping bagg", "Sleeping Bag"),
        ("sleping bag", "Sleeping Bag"),
        ("camping lantrn", "Camping Lantern"),
        ("trekking poles", "Trekking Poles"),
        ("trekin poles", "Trekking Poles"),
        ("rain jacket", "Rain Jacket"),
    ],
)
def test_product_type_queries_fill_the_page_with_that_type(store, product_query, query, every_top_title_has):
    top = titles(store, product_query, query)[:25]
    assert len(top) == 25
    assert all(every_top_title_has in title for title in top)


def test_brand_query_ranks_that_brand_first(store, product_query):
    top = titles(store, product_query, "summit gear")[:20]
    assert all(title.startswith("Summit Gear") for title in top)


def test_words_that_match_nothing_return_nothing(store, product_query):
    assert titles(store, product_query, "xylophone quartz") == []
