"""The store's own product query (as functions/api/search sends it) finds the right products,
for multi-word and misspelt queries, over a catalogue with many near-miss distractors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import OpenSearch, helpers

from allstore.search import SearchServer
from tests.unit.search.conftest import client_for

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


def product_query(text: str) -> dict:
    """The body the search API sends (functions/api/search/app.py `product_query`)."""
    return {
        "size": 25,
        "_source": ["asin"],
        "query": {
            "bool": {
                "should": [
                    {
                        "multi_match": {
                            "query": text,
                            "fields": ["title^3", "brand^2", "category", "description", "feature"],
                            "fuzziness": "AUTO",
                        }
                    },
                    {"match_phrase": {"title": {"query": text, "boost": 5}}},
                ],
                "minimum_should_match": 1,
            }
        },
    }


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


def titles(store, text: str) -> list[str]:
    client, by_asin = store
    hits = client.search(index="items", body=product_query(text))["hits"]["hits"]
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
def test_the_described_product_comes_first(store, query, expected_first):
    assert titles(store, query)[0] == expected_first


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
def test_product_type_queries_fill_the_page_with_that_type(store, query, every_top_title_has):
    top = titles(store, query)[:25]
    assert len(top) == 25
    assert all(every_top_title_has in title for title in top)


def test_brand_query_ranks_that_brand_first(store):
    top = titles(store, "summit gear")[:20]
    assert all(title.startswith("Summit Gear") for title in top)


def test_words_that_match_nothing_return_nothing(store):
    assert titles(store, "xylophone quartz") == []
