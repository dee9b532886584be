"""UpdateSearchCluster: DynamoDB stream records from moto, applied to an OpenSearch double over HTTP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import OpenSearch

from allstore.local.lambda_code import load_handler
from allstore.search import SearchServer

from .fake_opensearch import FakeOpenSearch
from .stream_events import dynamodb_stream_event

CODE_DIR = Path(__file__).parents[3] / "functions" / "streaming" / "update_search_cluster"


@pytest.fixture
def search():
    with FakeOpenSearch() as server:
        yield server


@pytest.fixture
def handler(search, monkeypatch):
    monkeypatch.setenv("SEARCH_ENDPOINT", search.endpoint)
    monkeypatch.setenv("SEARCH_INDEX", "items")
    return load_handler(CODE_DIR)


def _failed_sequence_numbers(response: dict) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def _put_catalogue(table) -> None:
    table.put_item(
        Item={
            "asin": "B001",
            "title": "Trail running shoe",
            "imUrl": "https://example.com/b001.jpg",
            "genre": "Shoes",
            "price": Decimal("59.99"),
            "popularity": 12,
            "popularityGroup": "all",
            "description": ["Light.", "Grippy."],
            "tags": {"trail", "running"},
        }
    )
    table.put_item(Item={"asin": "B002", "title": "Tent", "imUrl": "", "genre": "Camping", "popularity": 0})
    table.put_item(Item={"asin": "B003", "title": "Stove", "imUrl": "", "genre": "Camping", "popularity": 3})


def test_batch_is_applied_with_one_bulk_request_after_creating_the_index(
    handler, search, items_table, lambda_context
):
    _put_catalogue(items_table)
    items_table.update_item(
        Key={"asin": "B002"},
        UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": "Tent, 2 person"},
    )
    items_table.delete_item(Key={"asin": "B003"})
    event = dynamodb_stream_event(items_table)
    assert [record["eventName"] for record in event["Records"]] == ["INSERT"] * 3 + ["MODIFY", "REMOVE"]

    response = handler(event, lambda_context)

    assert response == {"batchItemFailures": []}
    assert search.state.indexes == {"items": INDEX_MAPPING}
    assert len(search.state.bulk_requests) == 1
    documents = search.state.documents["items"]
    assert set(documents) == {"B001", "B002"}
    assert documents["B001"]["price"] == 59.99
    assert documents["B001"]["popularity"] == 12
    assert documents["B001"]["tags"] == ["running", "trail"]
    assert documents["B002"]["title"] == "Tent, 2 person"


def test_existing_index_is_not_recreated(handler, search, items_table, lambda_context):
    search.state.indexes["items"] = {"mappings": {"properties": {}}}
    _put_catalogue(items_table)

    assert handler(dynamodb_stream_event(items_table), lambda_context) == {"batchItemFailures": []}
    assert search.state.indexes["items"] == {"mappings": {"properties": {}}}
    assert set(search.state.documents["items"]) == {"B001", "B002", "B003"}


def test_only_the_rejected_document_is_reported(handler, search, items_table, lambda_context):
    _put_catalogue(items_table)
    event = dynamodb_stream_event(items_table)
    search.state.reject["B002"] = 429

    response = handler(event, lambda_context)

    rejected = event["Records"][1]["dynamodb"]["SequenceNumber"]
    assert _failed_sequence_numbers(response) == [rejected]
    assert set(search.state.documents["items"]) == {"B001", "B003"}


def test_deleting_a_document_the_index_never_had_succeeds(handler, search, items_table, lambda_context):
    _put_catalogue(items_table)
    items_table.delete_item(Key={"asin": "B003"})
    event = dynamodb_stream_event(items_table)
    event["Records"] = [record for record in event["Records"] if record["eventName"] == "REMOVE"]

    assert handler(event, lambda_context) == {"batchItemFailures": []}


def test_malformed_records_are_logged_and_reported_while_the_rest_is_applied(
    handler, search, items_table, lambda_context, caplog
):
    _put_catalogue(items_table)
    items_table.update_item(
        Key={"asin": "B003"}, UpdateExpression="SET title = :t", ExpressionAttributeValues={":t": "Stove 2"}
    )
    event = dynamodb_stream_event(items_table)
    no_keys, _, bad_type, unknown_event = event["Records"]
    del no_keys["dynamodb"]["Keys"]
    bad_type["dynamodb"]["NewImage"]["popularity"] = {"Q": "7"}  # no such DynamoDB type
    unknown_event["eventName"] = "TRUNCATE"

    response = handler(event, lambda_context)

    bad = [record["dynamodb"]["SequenceNumber"] for record in (no_keys, bad_type, unknown_event)]
    assert _failed_sequence_numbers(response) == bad
    assert set(search.state.documents["items"]) == {"B002"}
    logged = [record.sequence_number for record in caplog.records if record.msg == "Malformed stream record"]
    assert logged == bad


def test_search_outage_reports_every_record(handler, search, items_table, lambda_context):
    _put_catalogue(items_table)
    event = dynamodb_stream_event(items_table)
    search.state.bulk_status = 503

    response = handler(event, lambda_context)

    assert _failed_sequence_numbers(response) == [
        record["dynamodb"]["SequenceNumber"] for record in event["Records"]
    ]
    assert search.state.documents == {}


def test_missing_endpoint_fails_the_invocation_with_a_clear_error(monkeypatch, items_table, lambda_context):
    monkeypatch.setenv("SEARCH_ENDPOINT", "")
    handler = load_handler(CODE_DIR)
    _put_catalogue(items_table)

    with pytest.raises(ValueError, match="SEARCH_ENDPOINT is not set"):
        handler(dynamodb_stream_event(items_table), lambda_context)


def test_the_local_search_server_indexes_and_finds_what_the_stream_carries(
    tmp_path, monkeypatch, items_table, lambda_context
):
    with SearchServer(tmp_path / "search", port=0) as server:
        monkeypatch.setenv("SEARCH_ENDPOINT", server.url)
        handler = load_handler(CODE_DIR)
        _put_catalogue(items_table)
        items_table.delete_item(Key={"asin": "B003"})

        assert handler(dynamodb_stream_event(items_table), lambda_context) == {"batchItemFailures": []}

        client = OpenSearch(hosts=[server.url], timeout=10, max_retries=0)
        client.indices.refresh(index="items")
        mapping = client.indices.get_mapping(index="items")["items"]["mappings"]
        assert mapping["properties"]["title"] == INDEX_MAPPING["mappings"]["properties"]["title"]
        hits = client.search(index="items", body={"query": {"match": {"title": "shoe"}}})["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["B001"]
        assert hits[0]["_source"]["price"] == 59.99
        assert client.count(index="items")["count"] == 2
