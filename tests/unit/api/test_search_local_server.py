"""GET /search against AllStore's local OpenSearch-compatible server (allstore.search), end to end.

The products are indexed the way the UpdateSearchCluster function indexes them (the shared mapping
and document shape), so these tests show the handler's query finding what shoppers type — several
words, misspellings, brands — and the hits coming back hydrated and, for a user, re-ranked.
"""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from allstore_common.items import CARD_ATTRIBUTES
from allstore_common.search_index import INDEX_MAPPING, search_document
from opensearchpy import OpenSearch

from allstore.search import SearchServer
from tests.unit.api.conftest import api_event, assert_error, create_items_table, invoke, wiring_parameter

TABLE = "search-items"
CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/personalized-ranking"


def product(asin: str, title: str, brand: str, category: str, **extra) -> dict:
    return {
        "asin": asin,
        "title": title,
        "brand": brand,
        "category": category,
        "genre": category,
        "imUrl": f"https://images.example/{asin}.jpg",
        "price": Decimal("49.99"),
        "popularity": 1,
        "popularityGroup": "all",
        **extra,
    }


PRODUCTS = [
    product(
        "TENT",
        "Ultralight Trail Tent",
        "Peakline",
        "Camping",
        feature=["Sleeps two", "Waterproof fly"],
        price=Decimal("189"),
    ),
    product("SHOE", "Trail Running Shoe", "Swiftfoot", "Running", description=["Grippy sole for mud."]),
    product("BIKE", "Carbon Road Bike", "Velocita", "Cycling"),
    product("LAMP", "Camping Lantern", "Peakline", "Camping", feature=["Bright LED light, 300 lumens"]),
    product("MATS", "Tent Footprint", "Groundwork", "Camping", price=Decimal("19.5"), popularity=7),
]


@pytest.fixture(scope="module")
def search_server(tmp_path_factory, aws) -> Iterator[str]:
    create_items_table(PRODUCTS, TABLE)
    with SearchServer(tmp_path_factory.mktemp("search"), port=0) as server:
        client = OpenSearch(hosts=[server.url], timeout=10, max_retries=0)
        client.indices.create(index="items", body=INDEX_MAPPING)
        for item in PRODUCTS:
            client.index(index="items", id=item["asin"], body=search_document(item))
        client.indices.refresh(index="items")
        yield server.url


@pytest.fixture
def handler(search_server, load):
    return load(
        "search",
        ITEMS_TABLE=TABLE,
        SEARCH_ENDPOINT=search_server,
        SEARCH_INDEX="items",
        WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN),
        MAX_PROMOTED_RESULTS="1",
    )


def search(handler, **query: str) -> list[str]:
    response = invoke(handler, api_event("/search", query=query))
    assert response.status == 200, response.body
    return [item["asin"] for item in response.body["results"]]


def test_misspelt_words_still_find_the_product(handler):
    assert search(handler, q="ultralite trial tnet")[0] == "TENT"


def test_exact_title_phrase_ranks_first(handler):
    found = search(handler, q="trail running shoe")
    assert found[0] == "SHOE"
    assert "TENT" in found  # "trail" alone still matches


def test_brand_and_feature_text_are_searched(handler):
    assert search(handler, q="velocita") == ["BIKE"]
    assert search(handler, q="lumens") == ["LAMP"]


def test_hits_are_the_items_cards_from_dynamodb(handler):
    response = invoke(handler, api_event("/search", query={"q": "footprint"}))
    card = {key: value for key, value in PRODUCTS[4].items() if key in CARD_ATTRIBUTES}
    assert response.body["results"] == [{**card, "price": 19.5}]
    assert "popularity" not in response.body["results"][0]


def test_user_ranking_promotes_over_search_order(handler, stub_personalize):
    hits = search(handler, q="tent")
    stub_personalize(handler).add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": asin} for asin in reversed(hits)]},
        {"campaignArn": CAMPAIGN, "userId": "u1", "inputList": hits},
    )
    response = invoke(handler, api_event("/search", query={"q": "tent", "u": "u1"}))
    assert [item["asin"] for item in response.body["results"]] == [hits[-1], *hits[:-1]]
    assert [item.get("Promoted") for item in response.body["results"]] == [True] + [None] * (len(hits) - 1)


def test_index_not_created_yet_is_503(search_server, load):
    handler = load("search", ITEMS_TABLE=TABLE, SEARCH_ENDPOINT=search_server, SEARCH_INDEX="not-created")
    assert_error(invoke(handler, api_event("/search", query={"q": "tent"})), 503, "index does not exist")


def refined(handler, **query: str | list[str]) -> dict:
    response = invoke(handler, api_event("/search", query=query))
    assert response.status == 200, response.body
    return response.body


def test_brand_price_and_sort_are_applied_by_the_engine(handler):
    assert [item["asin"] for item in refined(handler, q="tent lantern", sort="price-asc")["results"]] == [
        "MATS",
        "LAMP",
        "TENT",
    ]
    assert [item["asin"] for item in refined(handler, q="tent lantern", sort="price-desc")["results"]] == [
        "TENT",
        "LAMP",
        "MATS",
    ]
    assert refined(handler, q="tent lantern", sort="popularity")["results"][0]["asin"] == "MATS"
    peakline = refined(handler, q="tent lantern", brand="Peakline", maxPrice="100")
    assert [item["asin"] for item in peakline["results"]] == ["LAMP"]
    assert peakline["total"] == 1
    both = refined(handler, q="tent lantern", brand=["Peakline", "Groundwork"], minPrice="40")
    assert sorted(item["asin"] for item in both["results"]) == ["LAMP", "TENT"]
