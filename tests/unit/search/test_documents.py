"""Single-document APIs: index, get, update, delete, refresh semantics and dynamic mapping."""

from __future__ import annotations

import time

import pytest
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import ConflictError, NotFoundError, RequestError

TENT = {"asin": "B001", "title": "Two person trail tent", "price": 129.99, "popularity": 12}


@pytest.fixture
def products(client):
    client.indices.create(index="items", body=INDEX_MAPPING)
    return client


def test_index_then_get_returns_source_and_versions(products):
    created = products.index(index="items", id="B001", body=TENT)
    assert created["result"] == "created"
    assert created["_version"] == 1
    assert created["_shards"]["failed"] == 0
    updated = products.index(index="items", id="B001", body={**TENT, "price": 99.0})
    assert updated["result"] == "updated"
    assert updated["_version"] == 2
    assert updated["_seq_no"] > created["_seq_no"]
    document = products.get(index="items", id="B001")
    assert document["found"] is True
    assert document["_version"] == 2
    assert document["_source"] == {**TENT, "price": 99.0}


def test_get_is_real_time_but_search_waits_for_a_refresh(products):
    products.index(index="items", id="B001", body=TENT)
    assert products.get(index="items", id="B001")["_source"]["title"] == TENT["title"]
    query = {"query": {"match": {"title": "tent"}}}
    assert products.search(index="items", body=query)["hits"]["total"]["value"] == 0
    products.indices.refresh(index="items")
    assert products.search(index="items", body=query)["hits"]["total"]["value"] == 1


def test_writes_become_searchable_within_about_a_second_without_refresh(products):
    products.index(index="items", id="B001", body=TENT)
    deadline = time.monotonic() + 3
    while products.count(index="items")["count"] == 0:
        assert time.monotonic() < deadline, "write not visible to search within 3 s"
        time.sleep(0.05)


def test_refresh_parameter_makes_the_write_searchable_at_once(products):
    products.index(index="items", id="B001", body=TENT, refresh="wait_for")
    assert products.count(index="items")["count"] == 1
    products.delete(index="items", id="B001", refresh=True)
    assert products.count(index="items")["count"] == 0


def test_missing_document_is_not_found(products):
    with pytest.raises(NotFoundError) as raised:
        products.get(index="items", id="nope")
    assert raised.value.info == {"_index": "items", "_id": "nope", "found": False}
    assert products.exists(index="items", id="nope") is False
    with pytest.raises(NotFoundError) as deleted:
        products.delete(index="items", id="nope")
    assert deleted.value.info["result"] == "not_found"


def test_delete_removes_the_document(products):
    products.index(index="items", id="B001", body=TENT, refresh=True)
    assert products.exists(index="items", id="B001") is True
    assert products.delete(index="items", id="B001")["result"] == "deleted"
    assert products.exists(index="items", id="B001") is False


def test_create_refuses_an_existing_id_with_a_conflict(products):
    products.create(index="items", id="B001", body=TENT)
    with pytest.raises(ConflictError) as raised:
        products.create(index="items", id="B001", body=TENT)
    assert raised.value.error == "version_conflict_engine_exception"
    with pytest.raises(ConflictError):
        products.index(index="items", id="B001", body=TENT, op_type="create")


def test_post_without_id_generates_one(products):
    created = products.index(index="items", body=TENT)
    assert len(created["_id"]) == 20
    assert products.get(index="items", id=created["_id"])["_source"] == TENT


def test_partial_update_merges_and_reports_noop(products):
    products.index(index="items", id="B001", body=TENT)
    updated = products.update(index="items", id="B001", body={"doc": {"price": 10.0}}, refresh=True)
    assert updated["result"] == "updated"
    assert products.get(index="items", id="B001")["_source"] == {**TENT, "price": 10.0}
    assert products.update(index="items", id="B001", body={"doc": {"price": 10.0}})["result"] == "noop"
    hits = products.search(index="items", body={"query": {"range": {"price": {"lte": 10}}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["B001"]


def test_update_of_missing_document_is_not_found_unless_upserting(products):
    with pytest.raises(NotFoundError) as raised:
        products.update(index="items", id="B404", body={"doc": {"price": 1}})
    assert raised.value.error == "document_missing_exception"
    upserted = products.update(index="items", id="B404", body={"doc": TENT, "doc_as_upsert": True})
    assert upserted["result"] == "created"


def test_scripted_update_is_refused_by_name(products):
    products.index(index="items", id="B001", body=TENT)
    with pytest.raises(RequestError) as raised:
        products.update(index="items", id="B001", body={"script": {"source": "ctx._source.price += 1"}})
    assert "scripted update" in raised.value.info["error"]["reason"]


def test_value_that_does_not_fit_the_mapping_is_a_mapper_parsing_exception(products):
    with pytest.raises(RequestError) as raised:
        products.index(index="items", id="B001", body={**TENT, "price": "cheap"})
    assert raised.value.error == "mapper_parsing_exception"
    assert "price" in raised.value.info["error"]["reason"]
    with pytest.raises(NotFoundError):
        products.get(index="items", id="B001")


def test_metadata_field_inside_a_document_is_refused(client):
    with pytest.raises(RequestError) as raised:
        client.index(index="free", id="1", body={"_id": "other"})
    assert raised.value.error == "mapper_parsing_exception"


def test_non_object_document_is_refused(products):
    with pytest.raises(RequestError):
        products.index(index="items", id="B001", body=["not", "an", "object"])


def test_writing_to_a_new_index_creates_it_with_dynamic_mapping(client):
    client.index(
        index="free",
        id="1",
        body={"name": "Blue kayak", "length": 3, "inflatable": False, "specs": {"maker": "Sea Co"}},
        refresh=True,
    )
    properties = client.indices.get_mapping(index="free")["free"]["mappings"]["properties"]
    assert properties["name"] == {
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
    }
    assert properties["length"] == {"type": "long"}  # a whole number, as OpenSearch maps it
    assert properties["inflatable"] == {"type": "boolean"}
    assert properties["specs"]["properties"]["maker"]["type"] == "text"
    for query in (
        {"match": {"name": "kayak"}},
        {"term": {"name.keyword": "Blue kayak"}},
        {"range": {"length": {"gt": 2.5}}},
        {"term": {"inflatable": False}},
        {"match": {"specs.maker": "sea"}},
    ):
        assert client.count(index="free", body={"query": query})["count"] == 1, query


def test_dynamic_field_added_later_keeps_earlier_documents_searchable(client):
    client.index(index="free", id="1", body={"name": "tent"}, refresh=True)
    client.index(index="free", id="2", body={"name": "stove", "fuel": "gas"}, refresh=True)
    assert client.count(index="free", body={"query": {"match": {"name": "tent"}}})["count"] == 1
    assert client.count(index="free", body={"query": {"match": {"fuel": "gas"}}})["count"] == 1
    assert client.get(index="free", id="1")["_version"] == 1


def test_strict_mapping_refuses_unknown_fields(client):
    client.indices.create(
        index="strict", body={"mappings": {"dynamic": "strict", "properties": {"a": {"type": "keyword"}}}}
    )
    with pytest.raises(RequestError) as raised:
        client.index(index="strict", id="1", body={"a": "x", "b": "y"})
    assert raised.value.error == "strict_dynamic_mapping_exception"


def test_unmapped_fields_stay_in_source_when_dynamic_is_false(products):
    products.index(
        index="items", id="B001", body={**TENT, "related": {"also_bought": ["B002"]}}, refresh=True
    )
    assert products.get(index="items", id="B001")["_source"]["related"] == {"also_bought": ["B002"]}
    assert "related" not in products.indices.get_mapping(index="items")["items"]["mappings"]["properties"]


def test_get_filters_source_with_url_parameters(products):
    products.index(index="items", id="B001", body=TENT)
    assert products.get(index="items", id="B001", _source_includes="title,price")["_source"] == {
        "title": TENT["title"],
        "price": TENT["price"],
    }
    assert "_source" not in products.get(index="items", id="B001", _source="false")


def test_over_long_id_is_refused(products):
    with pytest.raises(RequestError) as raised:
        products.index(index="items", id="x" * 513, body=TENT)
    assert "too long" in raised.value.info["error"]["reason"]


def test_write_responses_have_opensearchs_shape(client):
    """Issue 21 §9: forced_refresh after refresh=true (not wait_for), _shards from the replica
    count, an update's `get` when it asks for `_source`, bulk index with op_type create reported
    under `create`, mapper failures with OpenSearch's caused_by."""
    client.indices.create(
        index="none",
        body={"settings": {"number_of_replicas": 0}, "mappings": {"properties": {"n": {"type": "integer"}}}},
    )
    forced = client.index(index="none", id="1", body={"n": 1}, refresh="true")
    assert forced["forced_refresh"] is True and forced["_shards"] == {
        "total": 1,
        "successful": 1,
        "failed": 0,
    }
    assert "forced_refresh" not in client.index(index="none", id="1", body={"n": 1}, refresh="wait_for")
    default = client.index(index="two", id="1", body={"n": 1})
    assert default["_shards"] == {"total": 2, "successful": 1, "failed": 0}  # AWS's default: one replica
    updated = client.update(index="none", id="1", body={"doc": {"n": 2}, "_source": ["n"]})
    assert updated["get"] == {
        "_seq_no": updated["_seq_no"],
        "_primary_term": 1,
        "found": True,
        "_source": {"n": 2},
    }
    items = client.bulk(
        body=[
            {"index": {"_index": "none", "_id": "2", "op_type": "create"}},
            {"n": 2},
            {"index": {"_index": "none", "_id": "3"}},
            {"n": "abc"},
        ]
    )["items"]
    assert items[0]["create"]["result"] == "created"
    assert items[1]["index"]["error"]["caused_by"] == {
        "type": "number_format_exception",
        "reason": 'For input string: "abc"',
    }
