"""The search API and the stream indexer against the real OpenSearch node, end to end.

The Items table (moto, with its stream) is filled as the set-up loader fills it; UpdateSearchCluster
receives the stream's records as Lambda's DynamoDB event source sends them and indexes them with
one `_bulk` into an index it creates with our mapping; GET /search then queries that index.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from allstore_common.items import CARD_ATTRIBUTES
from allstore_common.search_index import INDEX_MAPPING, search_document
from moto import mock_aws
from opensearchpy import OpenSearch

from allstore.local.lambda_code import load_handler
from tests.unit.api.conftest import (  # noqa: F401 - fixtures used here
    api_event,
    assert_error,
    invoke,
    load,
    stub_personalize,
    wiring_parameter,
)
from tests.unit.streaming.conftest import FakeLambdaContext
from tests.unit.streaming.stream_events import REGION, dynamodb_stream_event

INDEXER_DIR = Path(__file__).parents[2] / "functions" / "streaming" / "update_search_cluster"
TABLE = "opensearch-items"
INDEX = "handler-items"
CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/personalized-ranking"


def product(asin: str, title: str, brand: str, category: str, **extra: Any) -> dict[str, Any]:
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
def table() -> Iterator[Any]:
    with mock_aws():
        items = boto3.resource("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "asin", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield items


@pytest.fixture(scope="module")
def client(opensearch_url: str) -> OpenSearch:
    return OpenSearch(hosts=[opensearch_url], timeout=30, max_retries=0)


@pytest.fixture(scope="module")
def indexer(opensearch_url: str, table: Any):
    """UpdateSearchCluster, loaded as a cold start with the template's environment for it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCH_ENDPOINT", opensearch_url)
        patch.setenv("SEARCH_INDEX", INDEX)
        handler = load_handler(INDEXER_DIR)

        def run(records: list[dict[str, Any]]) -> list[str]:
            response = handler({"Records": records}, FakeLambdaContext())
            return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]

        yield run


@pytest.fixture(scope="module")
def indexed(indexer, table, client) -> list[dict[str, Any]]:
    """The stream of the catalogue's first load, applied: returns the records the indexer got."""
    if client.indices.exists(index=INDEX):
        client.indices.delete(index=INDEX)
    with table.batch_writer() as writer:
        for item in PRODUCTS:
            writer.put_item(Item=item)
    records = dynamodb_stream_event(table)["Records"]
    assert indexer(records) == []
    client.indices.refresh(index=INDEX)
    return records


def new_records(table: Any, seen: int) -> list[dict[str, Any]]:
    return dynamodb_stream_event(table)["Records"][seen:]


@pytest.fixture
def search_handler(indexed, load, opensearch_url):  # noqa: F811 - the imported fixture
    return load(
        "search",
        ITEMS_TABLE=TABLE,
        SEARCH_ENDPOINT=opensearch_url,
        SEARCH_INDEX=INDEX,
        WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN),
        MAX_PROMOTED_RESULTS="1",
    )


def found(handler, **query: str | list[str]) -> list[str]:
    response = invoke(handler, api_event("/search", query=query))
    assert response.status == 200, response.body
    return [item["asin"] for item in response.body["results"]]


# ------------------------------------------------------------------------- the indexer


def test_the_indexer_creates_the_index_with_our_mapping(indexed, client):
    mapping = client.indices.get_mapping(index=INDEX)[INDEX]["mappings"]
    assert mapping["properties"] == INDEX_MAPPING["mappings"]["properties"]
    assert mapping["dynamic"] == "false"  # OpenSearch echoes the setting as a string


def test_one_bulk_indexes_every_document_as_the_stream_carries_it(indexed, client):
    assert client.count(index=INDEX)["count"] == len(PRODUCTS)
    stored = client.get(index=INDEX, id="TENT")["_source"]
    assert stored == search_document(PRODUCTS[0])
    assert stored["price"] == 189


def test_modify_and_remove_records_update_and_delete(indexed, indexer, table, client):
    seen = len(indexed)
    table.update_item(
        Key={"asin": "BIKE"},
        UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": "Gravel Bike"},
    )
    table.delete_item(Key={"asin": "MATS"})
    records = new_records(table, seen)
    assert [record["eventName"] for record in records] == ["MODIFY", "REMOVE"]
    try:
        assert indexer(records) == []
        client.indices.refresh(index=INDEX)
        assert client.get(index=INDEX, id="BIKE")["_source"]["title"] == "Gravel Bike"
        assert not client.exists(index=INDEX, id="MATS")
        hits = client.search(index=INDEX, body={"query": {"match": {"title": "footprint"}}})["hits"]["hits"]
        assert hits == []
        # Deleting what the index no longer holds (a retried batch) is done, not a failure.
        assert indexer(records[1:]) == []
    finally:
        table.put_item(Item=PRODUCTS[2])
        table.put_item(Item=PRODUCTS[4])
        assert indexer(new_records(table, seen + 2)) == []
        client.indices.refresh(index=INDEX)


def test_a_document_the_mapping_rejects_is_the_only_failed_record(indexed, indexer, table, client):
    seen = len(dynamodb_stream_event(table)["Records"])
    table.put_item(Item=product("ODD1", "Odd Stove", "Peakline", "Camping", price="cheap"))
    table.put_item(Item=product("ODD2", "Camp Stove", "Peakline", "Camping"))
    records = new_records(table, seen)
    try:
        assert indexer(records) == [records[0]["dynamodb"]["SequenceNumber"]]  # price is a float field
        client.indices.refresh(index=INDEX)
        assert client.exists(index=INDEX, id="ODD2")
        assert not client.exists(index=INDEX, id="ODD1")
    finally:
        table.delete_item(Key={"asin": "ODD1"})
        table.delete_item(Key={"asin": "ODD2"})
        assert indexer(new_records(table, seen + 2)) == []
        client.indices.refresh(index=INDEX)


# ------------------------------------------------------------------------- the search API


def test_misspelt_words_still_find_the_product(search_handler):
    assert found(search_handler, q="ultralite trial tnet")[0] == "TENT"


def test_exact_title_phrase_ranks_first(search_handler):
    hits = found(search_handler, q="trail running shoe")
    assert hits[0] == "SHOE"
    assert "TENT" in hits  # "trail" alone still matches


def test_brand_and_feature_text_are_searched(search_handler):
    assert found(search_handler, q="velocita") == ["BIKE"]
    assert found(search_handler, q="lumens") == ["LAMP"]


def test_brand_price_and_sort_are_applied_by_the_engine(search_handler):
    assert found(search_handler, q="tent lantern", sort="price-asc") == ["MATS", "LAMP", "TENT"]
    assert found(search_handler, q="tent lantern", sort="price-desc") == ["TENT", "LAMP", "MATS"]
    assert found(search_handler, q="tent lantern", sort="popularity")[0] == "MATS"
    assert found(search_handler, q="tent lantern", brand="Peakline", maxPrice="100") == ["LAMP"]
    both = found(search_handler, q="tent lantern", brand=["Peakline", "Groundwork"], minPrice="40")
    assert sorted(both) == ["LAMP", "TENT"]


def test_hits_are_product_cards_from_dynamodb(search_handler):
    response = invoke(search_handler, api_event("/search", query={"q": "footprint"}))
    document = search_document(PRODUCTS[4])
    expected = {key: document[key] for key in CARD_ATTRIBUTES if key in document}
    assert response.body["results"] == [expected]


def test_personalized_ranking_gets_the_hits_in_search_order(search_handler, stub_personalize):  # noqa: F811
    hits = found(search_handler, q="tent")
    assert len(hits) > 1
    stub_personalize(search_handler).add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": asin} for asin in reversed(hits)]},
        {"campaignArn": CAMPAIGN, "userId": "u1", "inputList": hits},
    )
    response = invoke(search_handler, api_event("/search", query={"q": "tent", "u": "u1"}))
    assert [item["asin"] for item in response.body["results"]] == [hits[-1], *hits[:-1]]
    assert [item.get("Promoted") for item in response.body["results"]] == [True] + [None] * (len(hits) - 1)


def test_an_index_not_created_yet_is_503(indexed, load, opensearch_url):  # noqa: F811
    handler = load("search", ITEMS_TABLE=TABLE, SEARCH_ENDPOINT=opensearch_url, SEARCH_INDEX="not-created")
    assert_error(invoke(handler, api_event("/search", query={"q": "tent"})), 503, "index does not exist")
