"""`_bulk`: per-item results and statuses, the `errors` flag, whole-request failures, concurrent writers."""

from __future__ import annotations

import json
import threading

import pytest
import requests
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import ConflictError, NotFoundError, RequestError, helpers

from tests.unit.search.conftest import client_for


def ndjson(*lines: dict) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


@pytest.fixture
def products(client):
    client.indices.create(index="items", body=INDEX_MAPPING)
    return client


def test_mixed_actions_report_each_item_as_opensearch_does(products):
    products.index(index="items", id="B002", body={"title": "old lamp"}, refresh=True)
    body = ndjson(
        {"index": {"_index": "items", "_id": "B001"}},
        {"title": "Camping stove", "price": 40},
        {"create": {"_index": "items", "_id": "B002"}},
        {"title": "duplicate"},
        {"update": {"_index": "items", "_id": "B001"}},
        {"doc": {"price": 35}},
        {"update": {"_index": "items", "_id": "B404"}},
        {"doc": {"price": 1}},
        {"delete": {"_index": "items", "_id": "B002"}},
        {"delete": {"_index": "items", "_id": "B405"}},
    )
    response = products.bulk(body=body, refresh=True)
    assert response["errors"] is True
    items = [
        (action, result["status"], result.get("result"))
        for item in response["items"]
        for action, result in item.items()
    ]
    assert items == [
        ("index", 201, "created"),
        ("create", 409, None),
        ("update", 200, "updated"),
        ("update", 404, None),
        ("delete", 200, "deleted"),
        ("delete", 404, "not_found"),
    ]
    assert response["items"][1]["create"]["error"]["type"] == "version_conflict_engine_exception"
    assert response["items"][3]["update"]["error"]["type"] == "document_missing_exception"
    assert "error" not in response["items"][5]["delete"]
    assert products.get(index="items", id="B001")["_source"] == {"title": "Camping stove", "price": 35}
    assert products.count(index="items")["count"] == 1


def test_successful_bulk_has_errors_false_and_default_index_from_the_path(products):
    body = ndjson({"index": {"_id": "1"}}, {"title": "tent"}, {"index": {"_id": "2"}}, {"title": "tarp"})
    response = products.bulk(index="items", body=body, refresh="wait_for")
    assert response["errors"] is False
    assert [item["index"]["_index"] for item in response["items"]] == ["items", "items"]
    assert products.count(index="items")["count"] == 2


def test_helpers_bulk_indexes_many_documents_in_one_request(products):
    actions = [
        {"_index": "items", "_id": f"B{n:04d}", "_source": {"title": f"product number {n}", "price": n}}
        for n in range(500)
    ]
    indexed, errors = helpers.bulk(products, actions, refresh=True)
    assert (indexed, errors) == (500, [])
    assert products.count(index="items", body={"query": {"range": {"price": {"gte": 250}}}})["count"] == 250


def test_one_bad_document_fails_only_its_item(products):
    body = ndjson(
        {"index": {"_index": "items", "_id": "good"}},
        {"title": "fine", "price": 3},
        {"index": {"_index": "items", "_id": "bad"}},
        {"title": "broken", "price": "free"},
    )
    response = products.bulk(body=body, refresh=True)
    assert response["errors"] is True
    assert response["items"][0]["index"]["status"] == 201
    assert response["items"][1]["index"]["status"] == 400
    assert response["items"][1]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert products.count(index="items")["count"] == 1


def test_new_fields_across_a_bulk_are_mapped_dynamically(client):
    body = ndjson(
        {"index": {"_index": "free", "_id": "1"}},
        {"name": "tent", "weight": 2.5},
        {"index": {"_index": "free", "_id": "2"}},
        {"name": "stove", "fuel": "gas"},
    )
    assert client.bulk(body=body, refresh=True)["errors"] is False
    properties = client.indices.get_mapping(index="free")["free"]["mappings"]["properties"]
    assert set(properties) == {"name", "weight", "fuel"}
    assert client.count(index="free", body={"query": {"match": {"fuel": "gas"}}})["count"] == 1


def test_in_a_missing_index_an_update_creates_it_and_a_delete_does_not(client):
    """Issue 21 §4, as OpenSearch answers: an update auto-creates the index (then upserts, or
    fails with document_missing_exception); a delete fails with index_not_found_exception."""
    body = ndjson(
        {"delete": {"_index": "gone", "_id": "1"}},
        {"update": {"_index": "fresh", "_id": "1"}},
        {"doc": {"a": 1}},
        {"update": {"_index": "upserted", "_id": "1"}},
        {"doc": {"a": 1}, "upsert": {"a": 0}},
    )
    items = client.bulk(body=body)["items"]
    assert items[0]["delete"]["error"]["type"] == "index_not_found_exception"
    assert items[0]["delete"]["error"]["resource.type"] == "index_expression"
    assert (items[1]["update"]["status"], items[1]["update"]["error"]["type"]) == (
        404,
        "document_missing_exception",
    )
    assert (items[2]["update"]["status"], items[2]["update"]["result"]) == (201, "created")
    assert [client.indices.exists(index=name) for name in ("gone", "fresh", "upserted")] == [
        False,
        True,
        True,
    ]


def test_the_update_api_creates_a_missing_index(client):
    created = client.update(index="made", id="1", body={"doc": {"a": 1}, "doc_as_upsert": True})
    assert created["result"] == "created" and client.get(index="made", id="1")["_source"] == {"a": 1}
    with pytest.raises(NotFoundError) as missing:
        client.update(index="made-too", id="1", body={"doc": {"a": 1}})
    assert missing.value.error == "document_missing_exception" and client.indices.exists(index="made-too")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json}\n", "Malformed action/metadata line [1]"),
        (ndjson({"upsert": {"_index": "items", "_id": "1"}}, {"a": 1}), "but found [upsert]"),
        (ndjson({"index": {"_index": "items", "_id": "1"}}), "no document line"),
        ("\n", "no requests added"),
    ],
)
def test_malformed_bulk_request_fails_as_a_whole(products, body, message):
    with pytest.raises(RequestError) as raised:
        products.bulk(body=body)
    assert message in raised.value.info["error"]["reason"]
    assert products.count(index="items")["count"] == 0


def test_bulk_over_plain_http_with_ndjson_content_type(server, products):
    body = ndjson({"index": {"_index": "items", "_id": "1"}}, {"title": "tent"})
    response = requests.post(
        f"{server.url}/_bulk?refresh=true",
        data=body.encode(),
        headers={"Content-Type": "application/x-ndjson"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["items"][0]["index"]["result"] == "created"


def test_concurrent_writers_and_searchers(server, client):
    client.indices.create(index="items", body={"mappings": {"properties": {"title": {"type": "text"}}}})
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            writer = client_for(server.url)
            for batch in range(5):
                actions = (
                    {
                        "_index": "items",
                        "_id": f"{worker}-{batch}-{n}",
                        "_source": {"title": f"tent {worker} {n}"},
                    }
                    for n in range(40)
                )
                helpers.bulk(writer, actions)
        except BaseException as error:
            failures.append(error)

    def search() -> None:
        try:
            reader = client_for(server.url)
            for _ in range(30):
                reader.search(
                    index="items", body={"query": {"match": {"title": {"query": "tnet", "fuzziness": 1}}}}
                )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)] + [
        threading.Thread(target=search) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    client.indices.refresh(index="items")
    assert client.count(index="items")["count"] == 4 * 5 * 40
    assert client.count(index="items", body={"query": {"match": {"title": "tent"}}})["count"] == 800


def test_optimistic_concurrency_and_external_versions(products):
    """Issue 21 §8, as OpenSearch documents optimistic concurrency control: a write with
    `if_seq_no`/`if_primary_term` or an external version applies only to the document expected,
    else 409 version_conflict_engine_exception (opensearch-py's ConflictError)."""
    first = products.index(index="items", id="1", body={"title": "tent"})
    seq_no = first["_seq_no"]
    updated = products.index(
        index="items", id="1", body={"title": "tent 2"}, if_seq_no=seq_no, if_primary_term=1
    )
    assert updated["result"] == "updated"
    for stale in (
        lambda: products.index(
            index="items", id="1", body={"title": "x"}, if_seq_no=seq_no, if_primary_term=1
        ),
        lambda: products.update(
            index="items", id="1", body={"doc": {"title": "x"}}, if_seq_no=seq_no, if_primary_term=1
        ),
        lambda: products.delete(index="items", id="1", if_seq_no=seq_no, if_primary_term=1),
        lambda: products.index(index="items", id="9", body={"title": "x"}, if_seq_no=0, if_primary_term=1),
        lambda: products.get(index="items", id="1", version=1),
    ):
        with pytest.raises(ConflictError) as conflict:
            stale()
        assert conflict.value.error == "version_conflict_engine_exception"
    assert products.get(index="items", id="1")["_source"] == {"title": "tent 2"}
    external = products.index(index="items", id="2", body={"title": "e"}, version=10, version_type="external")
    assert external["_version"] == 10
    with pytest.raises(ConflictError):
        products.index(index="items", id="2", body={"title": "e"}, version=10, version_type="external")
    assert (
        products.index(index="items", id="2", body={"title": "e"}, version=10, version_type="external_gte")[
            "_version"
        ]
        == 10
    )
    assert products.delete(index="items", id="2", version=11, version_type="external")["_version"] == 11
    body = ndjson(
        {"index": {"_index": "items", "_id": "1", "if_seq_no": seq_no, "if_primary_term": 1}},
        {"title": "x"},
        {"index": {"_index": "items", "_id": "3", "version": 5, "version_type": "external"}},
        {"title": "y"},
    )
    items = products.bulk(body=body)["items"]
    assert [item["index"]["status"] for item in items] == [409, 201] and items[1]["index"]["_version"] == 5
    for invalid in (
        lambda: products.index(index="items", id="1", body={}, version=3),  # internal versioning
        lambda: products.index(index="items", id="1", body={}, if_seq_no=1),  # no primary term
        lambda: products.bulk(body=ndjson({"index": {"_index": "items", "_id": "1", "version": 3}}, {})),
    ):
        with pytest.raises(RequestError) as refused:
            invalid()
        assert refused.value.error == "action_request_validation_exception"
